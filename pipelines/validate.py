"""Validate: drop what is not an article before it reaches the archive."""

from __future__ import annotations

from typing import Any, NoReturn

from scrapy.exceptions import DropItem

from newscrawl.items import Article
from pipelines.base import CrawlerPipeline

# Shorter than this, a body is a teaser, a paywall stub or a failed extraction
# (one caption, a "read more" line), not an article worth archiving.
MIN_BODY_CHARS = 80


class ValidatePipeline(CrawlerPipeline):
    """Drops articles without a headline, without a body or with a too-short body.

    Each drop counts in the crawl stats as `newscrawl/dropped/<reason>`.
    """

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self._check(item)
        return item

    def _check(self, article: Article) -> None:
        if not (article.headline or "").strip():
            self._drop(article, "no_headline", "no headline")
        body = (article.body or "").strip()
        if not body:
            self._drop(article, "no_body", "no body")
        if len(body) < MIN_BODY_CHARS:
            self._drop(
                article,
                "short_body",
                f"body of {len(body)} characters is shorter than {MIN_BODY_CHARS}",
            )

    def _drop(self, article: Article, reason: str, message: str) -> NoReturn:
        self.crawler.stats.inc_value(f"newscrawl/dropped/{reason}")
        raise DropItem(f"{article.url}: not an article: {message}")
