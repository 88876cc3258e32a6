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
- A public server returns no text longer than `PUBLIC_CELL_CHARS` characters, in
  any format (HTML, JSON, CSV) and from any view (table, row, canned query): its
  connections decode text through `public_text`, which cuts a longer one and says
  so at its end. Datasette's `truncate_cells_html` cuts only what HTML shows, after
  the whole value is read and while JSON holds it whole, escaped: a page beside a
  23-million-character body (written before the crawl capped bodies at 500,000)
  cost the server over half a GB. Cutting where SQLite hands the text to Python
  leaves only its UTF-8 bytes held whole, briefly.
"""

from __future__ import annotations

import re
from typing import Any

from datasette import Forbidden, hookimpl

__all__ = [
    "PUBLIC_CELL_CHARS",
    "SNIPPET_CONTEXT_CHARS",
    "SNIPPET_SCAN_CHARS",
    "is_public",
    "public_text",
    "snippet",
]

# The most characters of a text a snippet looks at: the first matches of an
# article are in its first pages, and a bound keeps a request's time bounded.
SNIPPET_SCAN_CHARS = 100_000
# Characters of context shown before and after the first match.
SNIPPET_CONTEXT_CHARS = 80
# Tables a public server does not show: crawl_runs.log_file holds absolute paths.
PUBLIC_HIDDEN_TABLES = frozenset({"crawl_runs"})
# The most characters of one value a public server returns: nearly every article
# whole, and a page of 100 rows a few tens of MB at most, even as escaped JSON.
PUBLIC_CELL_CHARS = 50_000
# What ends a value cut to PUBLIC_CELL_CHARS.
CUT_MARK = " … [cut to {chars:,} characters on this public server]"
# A UTF-8 character takes at most 4 bytes.
_UTF8_MAX_BYTES = 4

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


def public_text(data: bytes) -> str:
    """A TEXT value from SQLite as a public server returns it: decoded as Datasette
    does (bad bytes replaced), and cut to PUBLIC_CELL_CHARS characters and CUT_MARK
    when it is longer."""
    limit = PUBLIC_CELL_CHARS
    if len(data) <= limit:
        # Not more characters than bytes: short enough, whatever it holds.
        return str(data, "utf-8", "replace")
    # The first `limit` characters lie in the first 4 * limit bytes; a character cut
    # at that boundary comes after them.
    text = str(data[: _UTF8_MAX_BYTES * limit], "utf-8", "replace")
    if len(text) <= limit and len(data) <= _UTF8_MAX_BYTES * limit:
        return text
    return text[:limit] + CUT_MARK.format(chars=limit)


@hookimpl  # type: ignore[untyped-decorator]
def prepare_connection(conn: Any, database: str, datasette: Any) -> None:
    conn.create_function("newscrawl_snippet", 2, snippet, deterministic=True)
    # Datasette's own tables (_internal) hold its schema copies, not archive text.
    if database != "_internal" and is_public(datasette):
        # Functions in SQL (the snippet, length(body)) still see the whole text.
        conn.text_factory = public_text


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
