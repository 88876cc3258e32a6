"""Which SQLite failures mean "this archive file cannot be used", as `ArchiveError`.

A file that cannot be opened or written (permissions, a full disk, a lock held
too long, a file that is not a database) is the operator's problem to fix and
is reported naming the path. Other sqlite3 errors (bad SQL, a constraint
violation) are bugs and propagate unchanged.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from newscrawl.errors import ArchiveError

__all__ = ["errors_as_archive_error"]

# SQLite primary result codes that mean "this archive cannot be opened or
# written", as opposed to a bug in our SQL. Only these become ArchiveError.
_UNWRITABLE = {
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_BUSY: "another connection holds the write lock",
    sqlite3.SQLITE_LOCKED: "the database is locked",
    sqlite3.SQLITE_READONLY: "the database file or its directory is read-only",
    sqlite3.SQLITE_IOERR: "disk I/O error",
    sqlite3.SQLITE_CORRUPT: "the database file is corrupt",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_CANTOPEN: "the file cannot be opened",
    sqlite3.SQLITE_NOTADB: "the file is not a SQLite database",
}


@contextmanager
def errors_as_archive_error(path: Path, action: str) -> Iterator[None]:
    """Turn "cannot open/write this file" failures into ArchiveError naming the path.

    `action` says what failed ("open", "read", "write"). Other sqlite3 errors
    (bad SQL, constraint violations) are bugs and propagate unchanged.
    """
    try:
        yield
    except sqlite3.Error as exc:
        code = getattr(exc, "sqlite_errorcode", None)
        reason = _UNWRITABLE.get(code & 0xFF) if isinstance(code, int) else None
        if reason is None:
            raise
        if _on_read_only_file_system(path):
            # SQLite says only "unable to open" when it cannot create the WAL
            # index beside a file on a read-only mount; name the real cause.
            reason = "the file system is mounted read-only"
        raise ArchiveError(f"cannot {action} the archive {path}: {reason} ({exc})") from exc
    except OSError as exc:
        raise ArchiveError(f"cannot {action} the archive {path}: {exc}") from exc


def _on_read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False
