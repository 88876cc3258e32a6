"""The fallback parser for any domain without a site parser.

Each field comes from the most reliable signal the page offers: JSON-LD first,
then OpenGraph/meta tags, then `<time datetime>`, and trafilatura's reading of
the visible text for the body and as a last resort for the metadata.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

import trafilatura
from lxml.html import HtmlElement

from newscrawl.items import Article, PublishedSource
from newscrawl.parsers.base import SiteParser
from newscrawl.parsers.html import (
    element_text,
    folded_text,
    jsonld_objects,
    jsonld_types,
    meta_content,
    parsed_html,
)
from newscrawl.parsers.language import detected_language
from newscrawl.parsers.links import site_of


class GenericParser(SiteParser):
    """Reads any news page from its structured data and its visible text."""

    # Not registered by domain: the registry falls back to it.
    DOMAINS: ClassVar[tuple[str, ...]] = ()
    ARTICLE_TYPES: ClassVar[frozenset[str]] = frozenset(
        {"NewsArticle", "Article", "ReportageNewsArticle", "BlogPosting", "AnalysisNewsArticle"}
    )

    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        root = parsed_html(html)
        ld = self._article_jsonld(root)
        text = trafilatura.bare_extraction(
            html, url=url, with_metadata=True, include_comments=False, include_tables=False
        )
        meta = text.as_dict() if text is not None else {}
        body = self._body(meta)
        published_at, source = self._published(root, ld, meta, fetched_at)
        return Article(
            url=self.canonical_url(url),
            site=site_of(url),
            fetched_at=fetched_at,
            headline=self._headline(root, ld, meta),
            summary=meta_content(root, "og:description") or meta_content(root, "description"),
            body=body,
            language=detected_language(body, hint=root.get("lang")),
            published_at=published_at,
            published_source=source,
            authors=self._authors(root, ld, meta),
            section=meta_content(root, "article:section"),
            tags=[folded_text(t) for t in root.xpath("//meta[@property='article:tag']/@content")],
        )

    def _article_jsonld(self, root: HtmlElement) -> dict[str, Any]:
        for obj in jsonld_objects(root):
            if jsonld_types(obj) & self.ARTICLE_TYPES:
                return obj
        return {}

    @staticmethod
    def _headline(root: HtmlElement, ld: dict[str, Any], meta: dict[str, Any]) -> str | None:
        h1 = root.xpath("//h1")
        candidates = [
            ld.get("headline") if isinstance(ld.get("headline"), str) else None,
            meta_content(root, "og:title"),
            element_text(h1[0]) if h1 else None,
            meta.get("title"),
        ]
        cleaned = [folded_text(c) for c in candidates if c and folded_text(c)]
        return cleaned[0] if cleaned else None

    @staticmethod
    def _body(meta: dict[str, Any]) -> str | None:
        lines = [folded_text(line) for line in (meta.get("text") or "").splitlines()]
        body = "\n\n".join(line for line in lines if line)
        return body or None

    @staticmethod
    def _published(
        root: HtmlElement, ld: dict[str, Any], meta: dict[str, Any], fetched_at: datetime
    ) -> tuple[datetime | None, PublishedSource | None]:
        time_values = root.xpath("//time/@datetime")
        candidates: list[tuple[Any, PublishedSource]] = [
            (ld.get("datePublished"), "jsonld"),
            (meta_content(root, "article:published_time"), "meta"),
            (time_values[0] if time_values else None, "time"),
            (meta.get("date"), "text"),
        ]
        for value, source in candidates:
            when = _aware_iso(value)
            # A date after the fetch is a template's "now" or a typo, never the publication.
            if when is not None and when <= fetched_at:
                return when, source
        return None, None

    @staticmethod
    def _authors(root: HtmlElement, ld: dict[str, Any], meta: dict[str, Any]) -> list[str]:
        names = _jsonld_names(ld.get("author"))
        if not names and meta_content(root, "author"):
            names = [meta_content(root, "author") or ""]
        if not names and meta.get("author"):
            names = str(meta["author"]).split(";")
        return [folded_text(n) for n in names if folded_text(n)]


def _jsonld_names(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        name = value.get("name")
        return [name] if isinstance(name, str) else []
    if isinstance(value, list):
        return [name for item in value for name in _jsonld_names(item)]
    return []


def _aware_iso(value: Any) -> datetime | None:
    """An ISO 8601 date or date-time; a value without an offset is taken as UTC."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        parsed = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)
