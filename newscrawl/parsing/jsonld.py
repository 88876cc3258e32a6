"""JSON-LD on a page: its objects, their types, and the plain values parsers read from them.

Kept generic on purpose (no site knowledge here): site parsers and the generic
parser read the same schema.org properties the same way.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from lxml.html import HtmlElement

from newscrawl.text import folded_text

# schema.org types that mark a page's main JSON-LD object as an article.
ARTICLE_JSONLD_TYPES = frozenset(
    {
        "AnalysisNewsArticle",
        "Article",
        "BackgroundNewsArticle",
        "BlogPosting",
        "LiveBlogPosting",
        "NewsArticle",
        "OpinionNewsArticle",
        "Report",
        "ReportageNewsArticle",
        "ReviewNewsArticle",
    }
)


def jsonld_objects(root: HtmlElement) -> list[dict[str, Any]]:
    """Every JSON-LD object on the page, `@graph` members and list items flattened.

    Broken JSON is skipped: one bad script must not hide the others.
    """
    found: list[dict[str, Any]] = []
    for script in root.xpath("//script[@type='application/ld+json']"):
        raw = script.text or ""
        try:
            data = json.loads(raw)
        except ValueError:
            continue
        found.extend(_flattened_jsonld(data))
    return found


def _flattened_jsonld(data: Any) -> Iterator[dict[str, Any]]:
    if isinstance(data, list):
        for item in data:
            yield from _flattened_jsonld(item)
    elif isinstance(data, dict):
        graph = data.get("@graph")
        if isinstance(graph, list):
            yield from _flattened_jsonld(graph)
        if any(key != "@graph" and key != "@context" for key in data):
            yield data


def jsonld_types(obj: dict[str, Any]) -> set[str]:
    """The object's `@type` values as a set ("NewsArticle" or ["NewsArticle", ...])."""
    value = obj.get("@type")
    if isinstance(value, str):
        return {value}
    if isinstance(value, list):
        return {v for v in value if isinstance(v, str)}
    return set()


def jsonld_text(value: Any) -> str | None:
    """A JSON-LD string value with its whitespace folded; None for "" and for non-strings."""
    return (folded_text(value) or None) if isinstance(value, str) else None


def jsonld_names(value: Any) -> list[str]:
    """The names in a JSON-LD author value: a name, an object, or a list of either."""
    if isinstance(value, list):
        return [name for item in value for name in jsonld_names(item)]
    if isinstance(value, dict):
        name = jsonld_text(value.get("name"))
        return [name] if name else []
    name = jsonld_text(value)
    return [name] if name else []


def jsonld_section(article: dict[str, Any]) -> str | None:
    """The article object's `articleSection`: the first one when it lists several."""
    section = article.get("articleSection")
    if isinstance(section, list):
        section = section[0] if section else None
    return jsonld_text(section)
