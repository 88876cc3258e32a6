"""Validate: cap what a field may hold, and drop what is not an article before it reaches
the archive."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from scrapy.exceptions import DropItem

from newscrawl.items import Article
from pipelines.base import CrawlerPipeline

# Shorter than this, a body is a teaser, a paywall stub or a failed extraction
# (one caption, a "read more" line), not an article worth archiving.
MIN_BODY_CHARS = 80

# The most a field of an article may hold, in characters. A real headline is a
# line, a lead a paragraph, and the longest articles (interviews, transcripts)
# run to a few hundred thousand characters; more than this is a broken or hostile
# page, and every later step (normalising, hashing, the full-text index, Datasette)
# would pay for it. A longer field is cut to its cap (at a paragraph or word
# boundary near it), counted as newscrawl/truncated/<field> and logged; the
# article is kept.
FIELD_CAPS = {"headline": 1_000, "summary": 5_000, "body": 500_000}
TRUNCATED_STAT = "newscrawl/truncated"

logger = logging.getLogger(__name__)


class ValidatePipeline(CrawlerPipeline):
    """Cuts fields longer than `FIELD_CAPS`; drops articles without a headline, without a
    body or with a too-short body.

    Each drop counts in the crawl stats as `newscrawl/dropped/<reason>`, each cut
    field as `newscrawl/truncated/<field>`.
    """

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            self._cap(item)
            self._check(item)
        return item

    def _cap(self, article: Article) -> None:
        for name, cap in FIELD_CAPS.items():
            value: str | None = getattr(article, name)
            if value is None or len(value) <= cap:
                continue
            setattr(article, name, truncated(value, cap))
            self.crawler.stats.inc_value(f"{TRUNCATED_STAT}/{name}")
            logger.warning(
                "%s: %s truncated from %d to %d characters (the cap is %d)",
                article.url,
                name,
                len(value),
                len(getattr(article, name)),
                cap,
            )

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


def truncated(text: str, cap: int) -> str:
    """`text` cut to at most `cap` characters: at the last paragraph break in the final
    tenth before the cap, else the last space there, else at the cap itself."""
    head = text[:cap]
    floor = cap - cap // 10
    for separator in ("\n\n", " "):
        at = head.rfind(separator, floor)
        if at > 0:
            return head[:at].rstrip()
    return head
