"""`FolderIndex`: what one WARC folder holds that writing and pruning need to know fast.

A small SQLite file beside the WARC files (`INDEX_NAME`) with two things:

- **originals**: for each URI, its latest full `response` record and that
  record's payload digest. The writer looks a fetch up here to write a
  `revisit` record instead of a second copy: one indexed lookup, no WARC read.
  One row per URI keeps the index small: a feed that changes every run
  replaces its row.
- **files and what they need**: each file a crawl finished writing, and the
  other files its records refer to (a revisit's original response; an item
  record's response, when rotation put the two in different files). Pruning
  (`newscrawl.warc.retention`) keeps what the kept files need.

The index is a cache of the WARC files, never their only record: a revisit
record names its original itself, and a file the index does not know (a killed
run's, an older version's, or all of them after the index was deleted) is
read once by pruning to learn what it needs. Losing the index costs only the
revisits of the pages until they are fetched again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

__all__ = ["INDEX_NAME", "FileNeed", "FolderIndex", "Original"]

INDEX_NAME = "folder-index.sqlite"
# A crawl writing another archive into the same folder may hold the write lock briefly.
_BUSY_TIMEOUT_SECONDS = 30
_SCHEMA = """
CREATE TABLE IF NOT EXISTS originals (
    uri TEXT PRIMARY KEY, digest TEXT NOT NULL, record_id TEXT NOT NULL, date TEXT NOT NULL,
    file TEXT NOT NULL, offset INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS originals_file ON originals (file);
CREATE TABLE IF NOT EXISTS files (name TEXT PRIMARY KEY);
CREATE TABLE IF NOT EXISTS file_needs (
    file TEXT NOT NULL, needed TEXT NOT NULL, kind TEXT NOT NULL,
    PRIMARY KEY (file, needed, kind));
"""


@dataclass(frozen=True)
class Original:
    """A full response record whose payload later fetches of its URI may refer to."""

    uri: str
    digest: str  # WARC-Payload-Digest, as written
    record_id: str
    date: str  # WARC-Date, as written
    file: str  # a name in the folder
    offset: int


@dataclass(frozen=True)
class FileNeed:
    """Records of `file` refer to records of `needed`.

    `kind` is ``original`` (a revisit's payload is in `needed`) or ``response``
    (an item record of `file` describes a response in `needed`).
    """

    file: str
    needed: str
    kind: str


class FolderIndex:
    """The index of the WARC files in `directory`; the file is created on the first write."""

    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / INDEX_NAME
        self._conn: sqlite3.Connection | None = None

    def original(self, uri: str) -> Original | None:
        """The latest indexed full response of `uri`, if any."""
        if self._conn is None and not self.path.exists():
            return None
        row = (
            self._db()
            .execute(
                "SELECT uri, digest, record_id, date, file, offset FROM originals WHERE uri = ?",
                [uri],
            )
            .fetchone()
        )
        return Original(*row) if row else None

    def add_originals(self, originals: Iterable[Original]) -> None:
        """Index full responses written whole: later fetches of their URIs may refer to them."""
        with self._db() as db:
            db.executemany(
                "INSERT OR REPLACE INTO originals VALUES (?, ?, ?, ?, ?, ?)",
                [(o.uri, o.digest, o.record_id, o.date, o.file, o.offset) for o in originals],
            )

    def add_file(self, name: str, needs: Iterable[FileNeed]) -> None:
        """Record a file that is complete, with everything its records need of other files."""
        with self._db() as db:
            db.executemany(
                "INSERT OR IGNORE INTO file_needs VALUES (?, ?, ?)",
                [(need.file, need.needed, need.kind) for need in needs],
            )
            db.execute("INSERT OR IGNORE INTO files VALUES (?)", [name])

    def known_files(self) -> set[str]:
        """The files recorded complete with `add_file`."""
        if self._conn is None and not self.path.exists():
            return set()
        return {name for (name,) in self._db().execute("SELECT name FROM files")}

    def needs(self) -> list[FileNeed]:
        """Every recorded reference from one file to another."""
        if self._conn is None and not self.path.exists():
            return []
        rows = self._db().execute("SELECT file, needed, kind FROM file_needs").fetchall()
        return [FileNeed(*row) for row in rows]

    def forget(self, names: Iterable[str]) -> None:
        """Drop deleted files: their originals, their entry and what they needed."""
        gone = [(name,) for name in names]
        if not gone or (self._conn is None and not self.path.exists()):
            return
        with self._db() as db:
            db.executemany("DELETE FROM originals WHERE file = ?", gone)
            db.executemany("DELETE FROM files WHERE name = ?", gone)
            db.executemany("DELETE FROM file_needs WHERE file = ?", gone)

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _db(self) -> sqlite3.Connection:
        """The open connection; creates the folder, the file and its tables if need be."""
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            conn = sqlite3.connect(self.path, timeout=_BUSY_TIMEOUT_SECONDS)
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                # No fsync per commit: a power cut may lose the last entries, which
                # costs only revisits, or a file's entry, which pruning then reads.
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
            except sqlite3.Error:
                conn.close()
                raise
            self._conn = conn
        return self._conn
