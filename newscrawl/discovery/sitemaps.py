"""Sitemaps: XML sitemaps, sitemap indexes and Google News sitemaps, read from their bytes.

`read_sitemap` reads one sitemap document, including the Google News fields
(`news:publication_date`, `news:title`) that Scrapy's own `SitemapSpider` drops.
"""

from __future__ import annotations

import gzip
import io
import zlib
from dataclasses import dataclass
from datetime import datetime

import lxml.etree

from newscrawl.errors import SitemapError
from newscrawl.text import folded_text
from newscrawl.timestamps import aware_datetime, plausible_publication_time

__all__ = ["Sitemap", "SitemapEntry", "is_sitemap", "read_sitemap", "w3c_datetime"]

# A sitemap holds at most 50,000 URLs and 50 MB uncompressed (sitemaps.org);
# anything bigger is not a sitemap, or a decompression bomb.
MAX_SITEMAP_BYTES = 50 * 1024 * 1024
MEDIA_NAMESPACES = frozenset(
    {
        "http://www.google.com/schemas/sitemap-image/1.1",
        "http://www.google.com/schemas/sitemap-video/1.1",
    }
)


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


def is_sitemap(body: bytes) -> bool:
    """Whether `body` is a sitemap rather than a feed or a page (read fully to tell)."""
    head = body[:2048].lstrip()
    if b"<urlset" not in head and b"<sitemapindex" not in head and not head.startswith(b"\x1f\x8b"):
        return False
    try:
        read_sitemap(body)
    except SitemapError:
        return False
    return True


def w3c_datetime(text: str | None) -> datetime | None:
    """A sitemap date (W3C Datetime: "2024-06-20", "2024-06-20T08:15:00+03:00"), aware.

    A date or time without an offset is taken as UTC: the best guess a sitemap allows.
    None when unreadable, or for a year no publication has (`plausible_publication_time`);
    a date after the fetch is rejected where the fetch time is known (the spider).
    """
    moment = aware_datetime(text)
    return moment if moment is not None and plausible_publication_time(moment) else None


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
        text = folded_text(child.text)
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
