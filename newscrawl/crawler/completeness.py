"""Field completeness: which fields each archived article of a crawl had.

A site that redesigns its pages rarely breaks a parser outright; more often
one field quietly disappears (the view counter moved, the author block was
renamed). Counting, per run, how many archived articles had each field lets
`newscrawl status` notice such a drop against the site's own history.
"""

from __future__ import annotations

from typing import Any, Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler

from newscrawl.items import Article

__all__ = ["COMPLETENESS_FIELDS", "FieldCompleteness", "present_fields"]

# The fields whose presence is tracked; crawl_runs has a share_<field> column for each.
COMPLETENESS_FIELDS = ("published_at", "views", "authors", "summary", "links", "language")
STATS_PREFIX = "newscrawl/fields"
ARTICLES_STAT = f"{STATS_PREFIX}/articles"


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


class FieldCompleteness:
    """Extension: counts `newscrawl/fields/articles` and `newscrawl/fields/<field>` per crawl.

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
