"""The item schema: what spiders hand to pipelines, and the one `Article` record.

Field names here are also the archive's column names and the JSON keys of
`newscrawl extract`, so renaming one is a breaking change for analysts' SQL.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

LinkKind = Literal["read_also", "inline", "related"]
PublishedSource = Literal["jsonld", "page", "feed", "meta", "time", "text"]


@dataclass
class Link:
    """A link that an article shows: a read-also insert, an inline link or a related card."""

    kind: LinkKind
    url: str
    title: str | None = None
    # The date the page shows next to the link (read-also inserts, related cards).
    shown_at: datetime | None = None
    # Order of appearance: body links (read_also and inline) share one sequence,
    # related cards have their own.
    position: int = 0
    # The view count shown on a related card; None for body links.
    views: int | None = None


# Article fields that describe how the record was made, not the page.
NOT_PAGE_FIELDS = ("warc_file", "warc_offset", "parser", "fallback_fields")


@dataclass
class Article:
    """One parsed article page. Produced by a parser, never by a spider."""

    url: str  # canonical, e.g. https://unn.ua/en/news/<slug>
    site: str  # the publisher's domain without "www.", e.g. "unn.ua"
    fetched_at: datetime  # timezone-aware; the parser's clock
    headline: str | None = None
    summary: str | None = None
    body: str | None = None  # paragraphs joined by blank lines
    language: str | None = None  # ISO 639-1, detected on the body
    published_at: datetime | None = None  # timezone-aware (Kyiv offset for UNN)
    published_source: PublishedSource | None = None
    # When the page says it was last modified; never used as published_at.
    modified_at: datetime | None = None
    authors: list[str] = field(default_factory=list)
    section: str | None = None
    tags: list[str] = field(default_factory=list)
    views: int | None = None
    links: list[Link] = field(default_factory=list)  # kinds read_also and inline
    related: list[Link] = field(default_factory=list)  # kind related
    alternates: dict[str, str] = field(default_factory=dict)  # language -> URL
    # The WARC record of the response parsed (newscrawl.warc), copied from the
    # Page: the file relative to the WARC folder and the record's offset in it.
    warc_file: str | None = None
    warc_offset: int | None = None
    # Provenance: the parser and version whose rules made the record ("unn/2",
    # "generic/5"), and the fields the generic reading of the page filled in
    # because the site's rules left them empty (sorted; link kinds by kind).
    parser: str | None = None
    fallback_fields: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """What the page says, as JSON-ready data: datetimes become ISO 8601 strings.

        The WARC position is where the archive got the page, and the provenance
        how it was read, not part of what the page says, so both are left out
        (the golden files compare what the page says).
        """
        data = asdict(self)
        for name in NOT_PAGE_FIELDS:
            del data[name]
        return {name: _jsonable(value) for name, value in data.items()}


@dataclass
class Page:
    """A fetched page on its way to a parser: the spider's only output for articles.

    Spiders stop here so that the same pipelines can parse pages that come from
    a live crawl, a mirror or an archived WARC record.
    """

    url: str  # the site URL (a mirror's base_url already mapped back)
    body: bytes
    fetched_at: datetime  # timezone-aware
    content_type: str | None = None  # the Content-Type header, for the charset
    status: int = 200
    # What discovery learned about the page before fetching it. The parser's
    # own findings win; these only fill gaps (published_source becomes "feed").
    feed_published_at: datetime | None = None
    feed_title: str | None = None  # the item's title in a feed or news:title in a sitemap
    # A view count fetched apart from the page, from the site's counter endpoint
    # (`/article/<id>/count-view.html` and the like). Wins over the page's own.
    counted_views: int | None = None
    # Where the response's WARC record is (newscrawl.warc), so the article row
    # can point to the raw material it was parsed from.
    warc_file: str | None = None
    warc_offset: int | None = None


@dataclass
class CardViews:
    """A view count that a listing card shows for an article, read without fetching it.

    Spiders yield it beside their requests; the store pipeline records it as a
    view snapshot of `url` seen on `seen_on`, and every other pipeline passes
    it through untouched.
    """

    url: str  # the article's canonical URL
    views: int
    observed_at: datetime  # timezone-aware: when the listing page was fetched
    seen_on: str  # the listing page's site URL


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_jsonable(v) for v in value]
    return value
