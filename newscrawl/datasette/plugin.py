"""The newscrawl Datasette plugin: bounded search snippets, and no file paths when public.

Registered as a `datasette` entry point (pyproject.toml), so any Datasette of this
environment has it: `newscrawl serve`, the `datasette` line it prints, and the
tests' in-process Datasette alike.

- `newscrawl_snippet(text, q)`, an SQL function for the "Search with snippets"
  query. FTS5's own `snippet()` tokenises the whole column, and the SQL time limit
  cannot interrupt it: one query over a 52 MB body held the server for minutes.
  This one reads at most `SNIPPET_SCAN_CHARS` characters, whatever it is given.
- A public server (`newscrawl serve --public`, recognised by arbitrary SQL being
  off) shows no absolute file path: `/-/databases.json` (the archive's path) is
  refused, and so is the `crawl_runs` table, whose `log_file` holds the log paths;
  its runs stay visible through the "Site health" and "Outlets" queries.
"""

from __future__ import annotations

import re
from typing import Any

from datasette import Forbidden, hookimpl

__all__ = ["SNIPPET_CONTEXT_CHARS", "SNIPPET_SCAN_CHARS", "is_public", "snippet"]

# The most characters of a text a snippet looks at: the first matches of an
# article are in its first pages, and a bound keeps a request's time bounded.
SNIPPET_SCAN_CHARS = 100_000
# Characters of context shown before and after the first match.
SNIPPET_CONTEXT_CHARS = 80
# Tables a public server does not show: crawl_runs.log_file holds absolute paths.
PUBLIC_HIDDEN_TABLES = frozenset({"crawl_runs"})

_TOKEN = re.compile(r'"[^"]*"|\S+')
_KEYWORDS = frozenset({"AND", "OR", "NOT", "NEAR"})


def is_public(datasette: Any) -> bool:
    """Whether this Datasette is a shared deployment: one that refuses arbitrary SQL."""
    return not datasette.setting("default_allow_sql")


def _patterns(query: str) -> list[re.Pattern[str]]:
    """One case-insensitive pattern per word or phrase of an FTS5 query (NOT parts left out)."""
    patterns = []
    skip_next = False
    for token in _TOKEN.findall(query):
        if token in _KEYWORDS:
            skip_next = token == "NOT"
            continue
        if skip_next:
            skip_next = False
            continue
        # A column filter (headline:word) and FTS5's grouping are not text to find.
        word = re.sub(r"^[\w]+:", "", token).strip("()^+")
        prefix = word.endswith("*")
        word = word.rstrip("*").strip('"').strip()
        if not word:
            continue
        ending = r"\w*" if prefix else r"(?!\w)"
        words = r"\W+".join(re.escape(part) for part in word.split())
        patterns.append(re.compile(rf"(?<!\w){words}{ending}", re.IGNORECASE))
    return patterns


def snippet(text: str | None, query: str | None) -> str | None:
    """The text around the first match of `query` in `text`'s first SNIPPET_SCAN_CHARS
    characters, matches in [brackets] and cuts marked …; None when nothing matches there."""
    if not text or not query:
        return None
    scanned = text[:SNIPPET_SCAN_CHARS]
    patterns = _patterns(query)
    found = [m for p in patterns if (m := p.search(scanned))]
    if not found:
        return None
    first = min(m.start() for m in found)
    start = max(0, first - SNIPPET_CONTEXT_CHARS)
    end = min(len(scanned), first + 2 * SNIPPET_CONTEXT_CHARS)
    # Whole words at both ends.
    if start > 0 and (space := scanned.find(" ", start, first)) != -1:
        start = space + 1
    if end < len(scanned) and (space := scanned.rfind(" ", first, end)) > first:
        end = space
    window = scanned[start:end]
    for pattern in patterns:
        window = pattern.sub(lambda m: f"[{m.group(0)}]", window)
    return ("…" if start > 0 else "") + window + ("…" if end < len(text) else "")


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: Any) -> None:
    conn.create_function("newscrawl_snippet", 2, snippet, deterministic=True)


@hookimpl  # type: ignore[untyped-decorator]
def register_routes(datasette: Any) -> list[tuple[str, Any]]:
    if not is_public(datasette):
        return []

    async def refused() -> None:
        raise Forbidden("not shown on a public server: it names the archive's file")

    return [(r"^/-/databases(\.(?P<format>json))?$", refused)]


@hookimpl  # type: ignore[untyped-decorator]
def permission_allowed(action: str, resource: Any, datasette: Any) -> bool | None:
    if (
        action == "view-table"
        and isinstance(resource, tuple)
        and resource[1] in PUBLIC_HIDDEN_TABLES
        and is_public(datasette)
    ):
        return False
    return None
