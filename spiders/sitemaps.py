"""`SitemapNewsSiteSpider`: `NewsSiteSpider` with sitemaps besides feeds and listings.

Reading a sitemap's bytes is `newscrawl.discovery.sitemaps`'s job; this spider
decides which sitemaps to fetch, in which order, and when to stop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import ClassVar

import scrapy
from scrapy.http import Response

from newscrawl.discovery.sitemaps import Sitemap, SitemapEntry, read_sitemap
from newscrawl.errors import SitemapError
from newscrawl.timestamps import plausible_publication_time
from spiders.base import NewsSiteSpider

__all__ = ["SitemapNewsSiteSpider"]


class SitemapNewsSiteSpider(NewsSiteSpider):
    """A `NewsSiteSpider` that also discovers articles through sitemaps.

    A sitemap index is read newest child first (by `lastmod`). The incremental
    stop applies to the dated children: once one lists only articles the archive
    already holds, the older ones are skipped. Children without a date are always
    read, since nothing tells which of them are new. ``-a max_pages=N`` caps the
    children read per index.
    """

    # Sitemap paths (or URLs) of the site; urlsets, indexes or Google News sitemaps.
    sitemaps: ClassVar[Sequence[str]] = ()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        async for request in super().start():
            yield request
        for path in self.sitemap_locations():
            yield self._request(path, self.parse_sitemap, priority=20)

    def sitemap_locations(self) -> Sequence[str]:
        """The sitemaps to start from: paths on the site or absolute URLs."""
        return self.sitemaps

    def parse_sitemap(
        self, response: Response, queue: tuple[tuple[str, bool], ...] = (), read: int = 1
    ) -> Iterable[scrapy.Request]:
        """Article requests for a urlset; for an index, its children one after another.

        `queue` holds the index's children still to read, as (URL, has a lastmod).
        """
        where = f"sitemap {self.site_url_of(response)}"
        try:
            sitemap = read_sitemap(response.body)
        except SitemapError as exc:
            self.logger.warning("%s is not a sitemap: %s", where, exc)
            sitemap = Sitemap(is_index=False, entries=())
        if sitemap.is_index:
            self.logger.info("%s: an index of %d sitemaps", where, len(sitemap.entries))
            queue = (*_newest_first(sitemap.entries, self._now()), *queue)
        else:
            urls = self._sitemap_article_urls(sitemap, response)
            archived = self._archived_among(urls)
            self.logger.info("%s: %d articles, %d archived", where, len(urls), len(archived))
            yield from self._article_requests(urls)
            settled = self._settled_among(urls)
            if urls and len(settled) == len(urls) and any(dated for _, dated in queue):
                self.logger.info(
                    "%s shows only articles already archived: skipping the older dated "
                    "sitemaps of its index (incremental crawl)",
                    where,
                )
                queue = tuple(child for child in queue if not child[1])
        if not queue:
            return
        if self.max_pages is not None and read >= self.max_pages:
            self.logger.info("%s: max_pages=%d sitemaps read, stopping", where, read)
            return
        (next_url, _), rest = queue[0], queue[1:]
        yield self._request(
            next_url,
            self.parse_sitemap,
            priority=20,
            cb_kwargs={"queue": rest, "read": read + 1},
        )

    def _sitemap_article_urls(self, sitemap: Sitemap, response: Response) -> list[str]:
        declared = ((e.url, e.published_at, e.title) for e in sitemap.entries)
        urls = self._declared_article_urls(declared, self.site_url_of(response))
        return list(dict.fromkeys(urls))


def _newest_first(entries: Sequence[SitemapEntry], now: datetime) -> list[tuple[str, bool]]:
    """Children with a lastmod, newest first, then the undated ones in document order.

    A lastmod after `now` (the crawl's clock) counts as no date: a child dated 2100
    would otherwise be read first on every run, and its incremental stop would skip
    the children that are really the newest.
    """
    dated = sorted((e for e in entries if _dated(e, now)), key=_lastmod, reverse=True)
    undated = [e for e in entries if not _dated(e, now)]
    return [(e.url, True) for e in dated] + [(e.url, False) for e in undated]


def _dated(entry: SitemapEntry, now: datetime) -> bool:
    return entry.lastmod is not None and plausible_publication_time(entry.lastmod, now)


def _lastmod(entry: SitemapEntry) -> datetime:
    assert entry.lastmod is not None
    return entry.lastmod
