"""The publication and update dates: JSON-LD, meta tags, `<time datetime>`, visible text.

Only when no ISO value exists anywhere is the visible text read (dateparser, then
htmldate): it is slow, and a guess. Modified dates never count as published; they
go to `modified_at`. No date may lie after the fetch, and no update before the
publication it updates.

A date shown in the page is the page's own only outside the regions that show
other articles (`linked_regions`: links, link lists, card lists, read-also
blocks). A page that shows no date of its own gets none, rather than its first
read-also insert's: the feed's or sitemap's date can then stand in.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from datetime import UTC, datetime, tzinfo
from itertools import chain
from typing import Any

from lxml.html import HtmlElement

from newscrawl.items import PublishedSource
from newscrawl.parsing.dates import dateparser_zone
from newscrawl.parsing.generic.linked_regions import LinkedRegions, linked_regions
from newscrawl.parsing.generic.page import Page
from newscrawl.parsing.html import element_text
from newscrawl.parsing.jsonld import ARTICLE_JSONLD_TYPES, jsonld_types
from newscrawl.timestamps import aware_datetime, plausible_publication_time, rfc822_datetime

# Meta tags with the publication time, most specific first. Modified times
# (article:modified_time, og:updated_time) are deliberately absent.
_PUBLISHED_META = (
    "article:published_time",
    "og:article:published_time",
    "datePublished",
    "publishdate",
    "publish-date",
    "pubdate",
    "parsely-pub-date",
    "sailthru.date",
    "dc.date.issued",
    "DC.date.issued",
    "dcterms.created",
    "date",
)
_MODIFIED_META = (
    "article:modified_time",
    "og:updated_time",
    "dateModified",
    "last-modified",
    "dcterms.modified",
)
# Classes and itemprops of `<time>` elements that show an update, not the publication.
_MODIFIED_HINT = re.compile(r"modif|updat|edit", re.IGNORECASE)
_DIGITS = re.compile(r"\d")


def publication(page: Page) -> tuple[datetime | None, PublishedSource | None]:
    """When the page says the article was published, and which source said so."""
    ld_values = [page.ld.get("datePublished")] + [
        obj.get("datePublished")
        for obj in page.ld_all
        if obj is not page.ld and jsonld_types(obj) & ARTICLE_JSONLD_TYPES
    ]
    regions = linked_regions(page)
    candidates: list[tuple[Iterable[Any], PublishedSource]] = [
        (ld_values, "jsonld"),
        ((page.meta.first(key) for key in _PUBLISHED_META), "meta"),
        (_time_values(page, regions), "time"),
    ]
    for values, source in candidates:
        for value in values:
            when = page_datetime(value, page.zone)
            # A date after the fetch is a template's "now" or a typo, never the
            # publication; the next source may still know better.
            if when is not None and plausible_publication_time(when, page.fetched_at):
                return when, source
    # No ISO value anywhere: only now read the visible text (slow, and a guess).
    when = _text_date(page, regions)
    return (when, "text") if when is not None else (None, None)


def modified_date(page: Page, published_at: datetime | None) -> datetime | None:
    """When the page says it was last updated: JSON-LD, meta tags, `<time>`."""
    values = chain(
        [page.ld.get("dateModified")],
        (page.meta.first(key) for key in _MODIFIED_META),
        _modified_time_values(page, linked_regions(page)),
    )
    for value in values:
        when = page_datetime(value, page.zone)
        # Like a published date, an update cannot lie after the fetch; nor can it
        # come before the publication it updates.
        if when is None or not plausible_publication_time(when, page.fetched_at):
            continue
        if published_at is None or when >= published_at:
            return when
    return None


def page_datetime(value: Any, zone: tzinfo = UTC) -> datetime | None:
    """An ISO 8601 (or RFC 2822) value as an aware datetime; no offset means `zone`.

    None when it is neither, or its year cannot be a publication's
    (`plausible_publication_time`); the caller checks it against the fetch time.
    """
    parsed = aware_datetime(value, naive_zone=zone)
    if parsed is None and isinstance(value, str) and value.strip():
        parsed = rfc822_datetime(value, naive_zone=zone)
    return parsed if parsed is not None and plausible_publication_time(parsed) else None


def _is_modified_time(element: HtmlElement) -> bool:
    return bool(_MODIFIED_HINT.search(f"{element.get('class', '')} {element.get('itemprop', '')}"))


def _time_values(page: Page, regions: LinkedRegions) -> Iterator[Any]:
    """The page's own `<time>` and itemprop dates of the publication, those naming it first."""
    # itemprop="datePublished" and <time pubdate> first: they name the publication.
    named = [
        element
        for element in page.dated_elements
        if element.get("itemprop") == "datePublished"
        or (element.tag == "time" and element.get("pubdate") is not None)
    ]
    for element in _outside(regions, named):
        yield element.get("content")
        yield element.get("datetime")
    # "Updated 10:45" is a <time> too; it must not pass for the publication.
    shown = [e for e in page.dated_elements if e.tag == "time" and not _is_modified_time(e)]
    for element in _outside(regions, shown):
        yield element.get("datetime")


def _modified_time_values(page: Page, regions: LinkedRegions) -> Iterator[Any]:
    """The page's own `<time>` and itemprop dates of an update, itemprop first."""
    named = [e for e in page.dated_elements if e.get("itemprop") == "dateModified"]
    for element in _outside(regions, named):
        yield element.get("content")
        yield element.get("datetime")
    shown = [e for e in page.dated_elements if e.tag == "time" and _is_modified_time(e)]
    for element in _outside(regions, shown):
        yield element.get("datetime")


def _outside(regions: LinkedRegions, elements: list[HtmlElement]) -> Iterator[HtmlElement]:
    """The elements that are not in a region that shows other articles, lazily.

    The regions cost a pass over the page; most pages never get this far.
    """
    return (element for element in elements if not regions.hold(element))


def _text_date(page: Page, regions: LinkedRegions) -> datetime | None:
    shown = page.root.xpath("//time[not(@datetime)]")
    for element in [e for e in shown if not regions.hold(e)][:3]:
        when = _dateparser_date(element_text(element), page.fetched_at, page.zone)
        if when is not None:
            return when
    return _htmldate_date(page, regions)


def _htmldate_date(page: Page, regions: LinkedRegions) -> datetime | None:
    """htmldate's reading of the page outside its linked regions, if it names a day."""
    from htmldate import find_date  # trafilatura's own date finder, imported lazily

    # htmldate reads every date of the tree it is given: links and cards must go.
    tree = regions.tree_without_them()
    options: dict[str, Any] = {
        "original_date": True,
        "url": page.url,
        "max_date": page.fetched_at.date().isoformat(),
    }
    try:
        found = find_date(tree, extensive_search=True, **options)
        # The extensive search ends in guesses that name no day: a copyright
        # notice's year (or any year) becomes January 1st, a month its 1st. A real
        # 1st of the month is found by the search of the markup alone too.
        if (
            found is not None
            and found.endswith("-01")
            and find_date(tree, extensive_search=False, **options) != found
        ):
            return None
    except (ValueError, TypeError):
        return None
    when = page_datetime(found, page.zone)
    return when if when is not None and when <= page.fetched_at else None


def _dateparser_date(text: str, fetched_at: datetime, zone: tzinfo) -> datetime | None:
    """A shown date ("3. Mai 2024, 10:15 Uhr") read by dateparser as time in `zone`;
    None if it is none."""
    if not text or len(text) > 64 or not _DIGITS.search(text):
        return None
    import dateparser  # lazily: slow to load and rarely needed

    settings = {
        # dateparser reads RELATIVE_BASE as wall time in TIMEZONE.
        "RELATIVE_BASE": fetched_at.astimezone(zone).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "TIMEZONE": dateparser_zone(zone),
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    try:
        parsed = dateparser.parse(text, settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None or parsed > fetched_at:
        return None
    return parsed
