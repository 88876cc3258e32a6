"""Which recorded pages a selective `newscrawl reparse` redoes: those of the rows a parser made.

After a site's redesign is fixed in its parser, only the rows the old parser made
need reading again (`articles.parser`, such as ``unn/1``), and the pages it
dropped. A `Selection` holds the rules of the command line, each a parser name
with an optional version (`--parser unn`, `--parser unn/2`) or a version the
row's must be below (`--parser-below unn/2`); a row is selected when any rule
matches it. A recorded page whose article has no row at all was dropped at crawl
time (or never stored), so it is always selected: the fix may recover it.

It is applied twice. Before parsing, `records_to_redo` keeps the recorded pages
whose URL, canonicalised as the archive stores it, is a selected row or no row,
so the rest cost nothing. After parsing, `newscrawl.runs.reparse` asks again of
the article's own URL, since a page's canonical link may name another URL than
the one it was fetched under.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlite_utils import Database

    from newscrawl.warc.reader import ItemRecord

__all__ = ["ParserRule", "SelectedRecords", "Selection", "records_to_redo"]

# URLs per lookup of their rows: one index lookup each, and a bounded query text.
LOOKUP_BATCH = 5000
_NAME = re.compile(r"[a-z0-9_.-]+", re.IGNORECASE)


@dataclass(frozen=True)
class ParserRule:
    """One rule of the selection: rows made by `name`, at `version` or at a version below it."""

    name: str
    version: str | None = None
    below: bool = False

    @classmethod
    def parsed(cls, text: str, *, below: bool = False) -> ParserRule:
        """The rule that `NAME` or `NAME/VERSION` spells; ValueError for anything else.

        A rule `below` a version needs the version.
        """
        name, slash, version = text.strip().partition("/")
        if not _NAME.fullmatch(name) or (slash and not _NAME.fullmatch(version)):
            raise ValueError(f"not a parser, NAME or NAME/VERSION (unn, unn/2): {text!r}")
        if below and not version:
            raise ValueError(f"a version is needed to select the rows below it (unn/2): {text!r}")
        return cls(name.lower(), version or None, below)

    def matches(self, parser: str | None) -> bool:
        """Whether a row whose `articles.parser` is `parser` falls under this rule.

        A row without a recorded parser was made before provenance was recorded,
        by a version older than any recorded one: it is below every version, and
        matches no name.
        """
        if parser is None:
            return self.below
        name, _, version = parser.partition("/")
        if name.lower() != self.name:
            return False
        if self.version is None:
            return True
        if self.below:
            return _version_key(version) < _version_key(self.version)
        return version == self.version

    def __str__(self) -> str:
        spelled = f"{self.name}/{self.version}" if self.version else self.name
        return f"below {spelled}" if self.below else spelled


@dataclass(frozen=True)
class Selection:
    """The rows to redo: those that any of `rules` matches (and every page without a row)."""

    rules: tuple[ParserRule, ...]

    def __str__(self) -> str:
        return " or ".join(map(str, self.rules))

    def selects(self, parser: str | None) -> bool:
        """Whether an archived row made by `parser` is to be redone."""
        return any(rule.matches(parser) for rule in self.rules)


@dataclass
class SelectedRecords:
    """The records to replay, and what the selection found among the recorded pages."""

    records: list[ItemRecord]
    of_rows: int = 0  # pages of archived rows that the rules select
    without_row: int = 0  # pages whose URL has no row: dropped at crawl time


def records_to_redo(
    db: Database, records: Sequence[ItemRecord], selection: Selection
) -> SelectedRecords:
    """The recorded pages whose rows `selection` selects, or that have no row, in order.

    Listing view counts (`CardViews`) are left out: they are no parser's reading,
    and the crawl stored them already.
    """
    # Imported here: the command line builds its rules with this module, and
    # `newscrawl --help` should not wait for the parsers to load.
    from newscrawl.archive.queries import parsers_of_urls
    from pipelines.normalize import canonical_url

    pages = [record for record in records if record.item_type == "Page"]
    url_of = {id(record): canonical_url(str(record.fields.get("url", ""))) for record in pages}
    parsers: dict[str, str | None] = {}
    for batch in _batches(sorted(set(url_of.values())), LOOKUP_BATCH):
        parsers.update(parsers_of_urls(db, batch))
    selected = SelectedRecords([])
    for record in pages:
        url = url_of[id(record)]
        if url not in parsers:
            selected.without_row += 1
        elif selection.selects(parsers[url]):
            selected.of_rows += 1
        else:
            continue
        selected.records.append(record)
    return selected


def _batches(items: Sequence[str], size: int) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _version_key(version: str) -> tuple[tuple[int, int | str], ...]:
    """A version's parts in order, numbers by value: 2 < 10, and 1.2 < 1.10."""
    return tuple((0, int(part)) if part.isdigit() else (1, part) for part in version.split("."))
