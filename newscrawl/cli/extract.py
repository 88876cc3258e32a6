"""Parsing saved pages from disk: the engine behind `newscrawl extract`."""

from __future__ import annotations

import gzip
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.parsing import parser_for
from newscrawl.parsing.decoding import decoded_html

# Attribute-level regexes instead of a full HTML parse: the parser parses the
# page once anyway, and the URL is needed first to choose that parser.
_TAG = re.compile(r"<(?:link|meta)\b[^>]*>", re.IGNORECASE)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")


def extracted_record(
    path: Path, *, url: str | None = None, fetched_at: datetime | None = None
) -> dict[str, Any]:
    """The Article fields of one saved page plus `source`; `error` instead if it fails."""
    record: dict[str, Any] = {"source": str(path)}
    try:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        html = decoded_html(data)
        page_url = url or page_url_of(html) or path.resolve().as_uri()
        when = fetched_at or datetime.fromtimestamp(path.stat().st_mtime, UTC)
        article = parser_for(page_url).parse(html, page_url, when)
    except Exception as exc:  # one bad page must not end a run over a folder
        record["error"] = f"{type(exc).__name__}: {exc}"
        return record
    return article.to_dict() | record


def page_url_of(html: str) -> str | None:
    """The page's own URL as it declares it: `<link rel=canonical>`, else `og:url`."""
    head_end = _HEAD_END.search(html)
    head = html[: head_end.start() if head_end else 200_000]
    og_url = None
    for tag in _TAG.findall(head):
        attrs = {m[0].lower(): m[1] or m[2] or m[3] for m in _ATTR.findall(tag)}
        if attrs.get("rel", "").lower() == "canonical" and attrs.get("href", "").startswith("http"):
            return attrs["href"].strip()
        if attrs.get("property", "").lower() == "og:url" and attrs.get("content", "").startswith(
            "http"
        ):
            og_url = og_url or attrs["content"].strip()
    return og_url
