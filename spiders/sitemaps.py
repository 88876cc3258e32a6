"""`SitemapNewsSiteSpider`: `NewsSiteSpider` with sitemaps besides feeds and listings.

Reading a sitemap's bytes is `newscrawl.discovery.sitemaps`'s job; this spider
decides which sitemaps to fetch, in which order, and when to stop.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Sequence
from datetime import datetime
from typing import Any, ClassVar

import scrapy
from scrapy.http import Response
from twisted.python.failure import Failure

from newscrawl.discovery.sitemaps import Sitemap, SitemapEntry, read_sitemap
from newscrawl.errors import SitemapError
from newscrawl.timestamps import plausible_publication_time
from spiders.base import NewsSiteSpider

__all__ = ["SitemapNewsSiteSpider"]

# request.meta key of an index's child: whether the index gave it a lastmod.
_DATED_META = "newscrawl_sitemap_dated"


class SitemapNewsSiteSpider(NewsSiteSpider):
    """A `NewsSiteSpider` that also discovers articles through sitemaps.

    A sitemap index is read newest child first (by `lastmod`), one child after
    another. The incremental stop applies to the dated children: once one lists
    only articles the archive already holds, or is unchanged since the last
    finished walk (a 304), the older ones are skipped. Children without a date are
    always read, since nothing tells which of them are new. ``-a max_pages=N`` caps
    the children requested per index.

    Children are independent: one that fails (a 404, a timeout), is no sitemap,
    or was read already in this crawl (listed twice, or by two indexes) is skipped,
    and the walk goes on with the next.
    """

    # Sitemap paths (or URLs) of the site; urlsets, indexes or Google News sitemaps.
    sitemaps: ClassVar[Sequence[str]] = ()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Site URLs of the sitemaps this crawl has requested: each is read once,
        # however many indexes list it (and an index listing itself ends there).
        self._sitemaps_requested: set[str] = set()

    async def start(self) -> AsyncIterator[scrapy.Request]:
        async for request in super().start():
            yield request
        for path in self.sitemap_locations():
            url = self.site_url_of_fetch_url(
                self.fetch_url_of(path if "://" in path else self.site_url + path)
            )
            if url not in self._sitemaps_requested:
                self._sitemaps_requested.add(url)
                yield self._request(path, self.parse_sitemap, priority=20, conditional=True)

    def sitemap_locations(self) -> Sequence[str]:
        """The sitemaps to start from: paths on the site or absolute URLs."""
        return self.sitemaps

    def parse_sitemap(
        self, response: Response, queue: tuple[tuple[str, bool], ...] = (), read: int = 1
    ) -> Iterable[scrapy.Request]:
        """Article requests for a urlset; for an index, its children one after another.

        `queue` holds the children still to read of the index being walked, as (URL,
        has a lastmod); `read` counts the children requested so far.
        """
        url = self.site_url_of(response)
        where = f"sitemap {url}"
        self._sitemaps_requested.add(url)
        if self._unchanged(response, where):
            if response.request is not None and response.request.meta.get(_DATED_META):
                queue = self._after_settled_child(queue, where)
            yield from self._next_child(queue, read, where)
            return
        found_on = self._keep_validators(response)
        try:
            sitemap = read_sitemap(response.body)
        except SitemapError as exc:
            self.logger.warning("%s is not a sitemap: %s", where, exc)
            sitemap = Sitemap(is_index=False, entries=())
        if sitemap.is_index:
            self.logger.info("%s: an index of %d sitemaps", where, len(sitemap.entries))
            if found_on is not None:
                # An index may stay the same while its children change (most give
                # them no lastmod): it is read whole every time, its children
                # conditionally.
                self._validators[found_on] = None
            queue = (*_newest_first(sitemap.entries, self._now()), *queue)
        else:
            urls = self._sitemap_article_urls(sitemap, response)
            archived = self._archived_among(urls)
            self.logger.info("%s: %d articles, %d archived", where, len(urls), len(archived))
            yield from self._article_requests(urls, found_on)
            settled = self._settled_among(urls)
            if urls and len(settled) == len(urls):
                queue = self._after_settled_child(queue, where)
        yield from self._next_child(queue, read, where)

    def sitemap_child_failed(self, failure: Failure) -> Iterable[scrapy.Request]:
        """Errback of an index's child: log the failure, then go on with the next child."""
        self.log_fetch_failure(failure)
        request = getattr(failure, "request", None)
        if not isinstance(request, scrapy.Request):
            return
        where = f"sitemap {self.site_url_of_fetch_url(request.url)}"
        yield from self._next_child(
            request.cb_kwargs.get("queue", ()), request.cb_kwargs.get("read", 1), where
        )

    def _after_settled_child(
        self, queue: tuple[tuple[str, bool], ...], where: str
    ) -> tuple[tuple[str, bool], ...]:
        """The queue without its dated children, once a child holds nothing new."""
        if not any(dated for _, dated in queue):
            return queue
        self.logger.info(
            "%s shows only articles already archived: skipping the older dated "
            "sitemaps of its index (incremental crawl)",
            where,
        )
        return tuple(child for child in queue if not child[1])

    def _next_child(
        self, queue: tuple[tuple[str, bool], ...], read: int, where: str
    ) -> Iterable[scrapy.Request]:
        """The request for the first child of `queue` this crawl has not requested yet.

        None once the queue is done or ``max_pages`` children were requested.
        """
        while queue:
            (child, dated), queue = queue[0], queue[1:]
            child_url = self.site_url_of_fetch_url(child)
            if child_url in self._sitemaps_requested:
                self.logger.info("sitemap %s was read already in this crawl: skipped", child_url)
                continue
            if self.max_pages is not None and read >= self.max_pages:
                self.logger.info("%s: max_pages=%d sitemaps read, stopping", where, read)
                return
            self._sitemaps_requested.add(child_url)
            # dont_filter: the dupefilter would drop a child that another part of
            # the crawl requested (a feed URL that is also a child) without a
            # callback or errback, and the rest of the index with it; the set above
            # is the dedupe.
            yield self._request(
                child,
                self.parse_sitemap,
                priority=20,
                cb_kwargs={"queue": queue, "read": read + 1},
                errback=self.sitemap_child_failed,
                dont_filter=True,
                conditional=True,
                meta={_DATED_META: dated},
            )
            return

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
