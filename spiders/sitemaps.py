"""Sitemaps as a discovery source: XML sitemaps, sitemap indexes and Google News sitemaps.

`read_sitemap` reads one sitemap document, including the Google News fields
(`news:publication_date`, `news:title`) that Scrapy's own `SitemapSpider` drops.
`SitemapNewsSiteSpider` adds sitemaps to `NewsSiteSpider`'s feeds and listings.
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import AsyncIterator, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import ClassVar

import lxml.etree
import scrapy
from scrapy.http import Response

from newscrawl.timestamps import aware_datetime
from spiders.base import NewsSiteSpider

__all__ = ["Sitemap", "SitemapEntry", "SitemapError", "SitemapNewsSiteSpider", "read_sitemap"]

# A sitemap holds at most 50,000 URLs and 50 MB uncompressed (sitemaps.org);
# anything bigger is not a sitemap, or a decompression bomb.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MEDIA_NAMESPACES = frozenset(
    {
        "http://www.google.com/schemas/sitemap-image/1.1",
        "http://www.google.com/schemas/sitemap-video/1.1",
    }
)


class SitemapError(ValueError):
    """The document is not a sitemap (an HTML error page, broken XML, an RSS feed)."""


@dataclass(frozen=True)
class SitemapEntry:
    """One `<url>` of a urlset, or one `<sitemap>` of a sitemap index."""

    url: str
    lastmod: datetime | None = None
    # Google News sitemaps (xmlns:news="http://www.google.com/schemas/sitemap-news/0.9"):
    published_at: datetime | None = None  # news:publication_date
    title: str | None = None  # news:title


@dataclass(frozen=True)
class Sitemap:
    """A parsed sitemap: article entries, or (an index) the locations of other sitemaps."""

    is_index: bool
    entries: tuple[SitemapEntry, ...]


def read_sitemap(body: bytes) -> Sitemap:
    """The sitemap in `body` (plain or gzipped XML); raises `SitemapError` if it is none."""
    xml = _gunzipped(body)
    parser = lxml.etree.XMLParser(
        recover=True, resolve_entities=False, no_network=True, remove_comments=True
    )
    try:
        root = lxml.etree.fromstring(xml, parser=parser)
    except lxml.etree.XMLSyntaxError as exc:
        raise SitemapError(f"not XML: {exc}") from None
    if root is None:
        raise SitemapError("not XML")
    kind = lxml.etree.QName(root).localname
    if kind not in ("urlset", "sitemapindex"):
        raise SitemapError(f"<{kind}> is not a sitemap's root (urlset or sitemapindex)")
    entries: list[SitemapEntry] = []
    for element in root:
        if not isinstance(element.tag, str):
            continue
        fields = _fields(element)
        loc = fields.get("loc")
        if loc:
            entries.append(
                SitemapEntry(
                    url=loc,
                    lastmod=w3c_datetime(fields.get("lastmod")),
                    published_at=w3c_datetime(fields.get("publication_date")),
                    title=fields.get("title"),
                )
            )
    return Sitemap(is_index=kind == "sitemapindex", entries=tuple(entries))


def w3c_datetime(text: str | None) -> datetime | None:
    """A sitemap date (W3C Datetime: "2024-06-20", "2024-06-20T08:15:00+03:00"), aware.

    A date or time without an offset is taken as UTC: the best guess a sitemap allows.
    """
    return aware_datetime(text)


def _fields(element: lxml.etree._Element) -> dict[str, str]:
    """The text of an entry's fields by local name, news:news's children included.

    Image and video extensions are left out: their `image:title` and `video:title`
    name a picture or a clip, not the article.
    """
    found: dict[str, str] = {}
    for child in element.iter():
        if child is element or not isinstance(child.tag, str):
            continue
        qname = lxml.etree.QName(child)
        if qname.namespace in MEDIA_NAMESPACES:
            continue
        name = qname.localname
        text = " ".join((child.text or "").split())
        if text and name not in found:
            found[name] = text
    return found


def _gunzipped(body: bytes) -> bytes:
    # sitemap.xml.gz is often served as application/octet-stream, with no
    # Content-Encoding for the HTTP layer to undo.
    if not body.startswith(b"\x1f\x8b"):
        return body
    try:
        with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
            data = stream.read(MAX_SITEMAP_BYTES + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise SitemapError(f"broken gzip: {exc}") from None
    if len(data) > MAX_SITEMAP_BYTES:
        raise SitemapError(f"more than {MAX_SITEMAP_BYTES} bytes uncompressed")
    return data


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
            queue = (*_newest_first(sitemap.entries), *queue)
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
        base = self.site_url_of(response)
        urls: list[str] = []
        for entry in sitemap.entries:
            url = self._article_url(entry.url, base)
            if url is None:
                continue
            if entry.published_at is not None:
                self._feed_dates.setdefault(url, entry.published_at)
            if entry.title:
                self._feed_titles.setdefault(url, entry.title)
            urls.append(url)
        return list(dict.fromkeys(urls))


def _newest_first(entries: Sequence[SitemapEntry]) -> list[tuple[str, bool]]:
    """Children with a lastmod, newest first, then the undated ones in document order."""
    dated = sorted((e for e in entries if e.lastmod), key=_lastmod, reverse=True)
    undated = [e for e in entries if not e.lastmod]
    return [(e.url, True) for e in dated] + [(e.url, False) for e in undated]


def _lastmod(entry: SitemapEntry) -> datetime:
    assert entry.lastmod is not None
    return entry.lastmod
