"""Normalise: one spelling for text, lists and URLs, whichever parser produced them."""

from __future__ import annotations

import logging
import re
from typing import Any

from newscrawl.items import Article, Link
from newscrawl.parsing import parser_for
from newscrawl.text import folded_text
from newscrawl.timestamps import plausible_publication_time
from pipelines.base import CrawlerPipeline

logger = logging.getLogger(__name__)

# A paragraph break: a line break with only whitespace around it, at least one blank line.
_PARAGRAPH_BREAK = re.compile(r"\s*\n\s*\n\s*")


class NormalizePipeline(CrawlerPipeline):
    """Folds whitespace, cleans author and tag lists and canonicalises URLs in place.

    Canonical URLs come from the site's parser (`parser_for(url).canonical_url`),
    so the archive's `articles.url` and `links.url` match each other and the
    spider's incremental stop.
    """

    def process_item(self, item: Any) -> Any:
        if isinstance(item, Article):
            normalize_article(item)
        return item


def normalize_article(article: Article) -> None:
    """Normalise the article in place (see NormalizePipeline)."""
    article.url = canonical_url(article.url)
    _drop_implausible_dates(article)
    article.headline = folded_or_none(article.headline)
    article.summary = folded_or_none(article.summary)
    article.body = folded_body(article.body)
    article.section = folded_or_none(article.section)
    article.language = (article.language or "").strip().lower() or None
    article.authors = unique_texts(article.authors)
    article.tags = unique_texts(article.tags)
    article.alternates = {
        language.strip().lower(): canonical_url(url) for language, url in article.alternates.items()
    }
    for link in (*article.links, *article.related):
        link.url = canonical_url(link.url)
        link.title = folded_or_none(link.title)
    # The archive keys links by (kind, position); parsers that leave positions
    # at their default would collide, so number them in order of appearance.
    _renumber_if_colliding(article.links)
    _renumber_if_colliding(article.related)


def _drop_implausible_dates(article: Article) -> None:
    """Clear a published or modified date that no publication can have.

    Every date reader rejects them already; this guards the archive against a
    parser that does not (a site's own), since a year 9999 date cannot even be
    hashed or converted to UTC, and a future one would top every "newest" query.
    """
    published, modified = article.published_at, article.modified_at
    if published is not None and not plausible_publication_time(published, article.fetched_at):
        logger.warning(
            "%s: published_at %s is no publication date; left out",
            article.url,
            published.isoformat(),
        )
        article.published_at, article.published_source = None, None
    if modified is not None and not plausible_publication_time(modified, article.fetched_at):
        article.modified_at = None


def canonical_url(url: str) -> str:
    """The URL the site's parser archives this page under."""
    return parser_for(url).canonical_url(url)


def folded_or_none(text: str | None) -> str | None:
    """The text with each whitespace run as one space; None if nothing is left."""
    return folded_text(text) or None


def folded_body(body: str | None) -> str | None:
    """The body with whitespace folded inside paragraphs and one blank line between them."""
    if not body:
        return None
    paragraphs = (folded_text(p) for p in _PARAGRAPH_BREAK.split(body))
    return "\n\n".join(p for p in paragraphs if p) or None


def unique_texts(values: list[str]) -> list[str]:
    """The folded, non-empty values, first spelling kept for duplicates that differ in case."""
    seen: set[str] = set()
    result = []
    for value in values:
        text = folded_text(value)
        if text and text.casefold() not in seen:
            seen.add(text.casefold())
            result.append(text)
    return result


def _renumber_if_colliding(links: list[Link]) -> None:
    if len({link.position for link in links}) < len(links):
        for position, link in enumerate(links):
            link.position = position
