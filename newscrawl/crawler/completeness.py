"""Field completeness: which fields each archived article of a crawl had.

A site that redesigns its pages rarely breaks a parser outright; more often
one field quietly disappears (the view counter moved, the author block was
renamed). Counting, per run, how many archived articles had each field lets
`newscrawl status` notice such a drop against the site's own history.

A redesign that the site parser's rules miss shows the other way round: the
fields are still there, but the generic fallback filled them in
(`Article.fallback_fields`). Those are counted per field too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newscrawl.items import Article

__all__ = [
    "COMPLETENESS_FIELDS",
    "FieldCompleteness",
    "fallback_counts",
    "present_fields",
]

# The fields whose presence is tracked; crawl_runs has a share_<field> column for each.
COMPLETENESS_FIELDS = ("published_at", "views", "authors", "summary", "links", "language")
STATS_PREFIX = "newscrawl/fields"
ARTICLES_STAT = f"{STATS_PREFIX}/articles"
# Articles with at least one field from the fallback, and per field
# (newscrawl/fallback/<field>): the fields are whatever the parsers fall back on.
FALLBACK_ARTICLES_STAT = "newscrawl/fallback_articles"
FALLBACK_PREFIX = "newscrawl/fallback/"


def present_fields(article: Article) -> list[str]:
    """Those of COMPLETENESS_FIELDS that the article has (links: any link or related card)."""
    present = {
        "published_at": article.published_at is not None,
        "views": article.views is not None,
        "authors": bool(article.authors),
        "summary": bool(article.summary),
        "links": bool(article.links or article.related),
        "language": bool(article.language),
    }
    return [name for name in COMPLETENESS_FIELDS if present[name]]


def fallback_counts(stats: Mapping[str, Any]) -> dict[str, int]:
    """How many of a crawl's archived articles had each field from the fallback, by field."""
    return {
        key.removeprefix(FALLBACK_PREFIX): int(value or 0)
        for key, value in stats.items()
        if key.startswith(FALLBACK_PREFIX)
    }


class FieldCompleteness:
    """Extension: counts `newscrawl/fields/articles` and `newscrawl/fields/<field>` per crawl,
    and the fields from the fallback (`newscrawl/fallback/<field>`, `newscrawl/fallback_articles`).

    It listens to `item_scraped`, so only articles that went through every
    pipeline (archived, whether new, updated or unchanged) are counted.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.stats = crawler.stats

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        extension = cls(crawler)
        crawler.signals.connect(extension.item_scraped, signal=signals.item_scraped)
        return extension

    def item_scraped(self, item: Any, spider: Spider) -> None:
        if not isinstance(item, Article) or self.stats is None:
            return
        self.stats.inc_value(ARTICLES_STAT)
        for name in present_fields(item):
            self.stats.inc_value(f"{STATS_PREFIX}/{name}")
        if item.fallback_fields:
            self.stats.inc_value(FALLBACK_ARTICLES_STAT)
        for name in item.fallback_fields:
            self.stats.inc_value(f"{FALLBACK_PREFIX}{name}")
