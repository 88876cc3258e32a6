"""RSS 2.0 and Atom feeds: each item's link, date and title, read from the feed's bytes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from parsel import Selector

from newscrawl.text import folded_text
from newscrawl.timestamps import aware_datetime, plausible_publication_time, rfc822_datetime

__all__ = ["FeedItem", "feed_date", "read_feed"]


@dataclass(frozen=True)
class FeedItem:
    """One `<item>` (RSS) or `<entry>` (Atom) that links somewhere."""

    link: str
    published_at: datetime | None = None
    title: str | None = None


def read_feed(body: bytes) -> list[FeedItem]:
    """The items of the feed in `body`, in document order; items without a link are left out."""
    # From the bytes: feeds are often served as application/octet-stream or with no
    # charset, and the XML declaration knows the encoding best.
    selector = Selector(body=body, type="xml")
    selector.remove_namespaces()
    items: list[FeedItem] = []
    for item in selector.xpath("//item | //entry"):
        link = (
            item.xpath("link/text()").get()
            or item.xpath("link[not(@rel) or @rel='alternate']/@href").get()
            or item.xpath("guid[@isPermaLink='true']/text()").get()
        )
        if not link:
            continue
        published = feed_date(
            item.xpath("pubDate/text() | published/text() | updated/text()").get()
        )
        title = folded_text("".join(item.xpath("title//text()").getall()))
        items.append(FeedItem(link=link, published_at=published, title=title or None))
    return items


def feed_date(text: str | None) -> datetime | None:
    """An RSS (RFC 822) or Atom (ISO 8601) date, timezone-aware; None if unreadable.

    None too for a year no publication has (`plausible_publication_time`: 0001,
    9999). A date after the fetch is rejected where the fetch time is known
    (`newscrawl.parsing.article_from_page`).
    """
    if not text or not text.strip():
        return None
    # RFC 822 "-0000", like an offset-less ISO date, means "UTC, local time unknown".
    moment = rfc822_datetime(text) or aware_datetime(text)
    return moment if moment is not None and plausible_publication_time(moment) else None
