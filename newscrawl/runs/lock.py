"""One crawl at a time per archive: an advisory `fcntl` lock on a file beside the database.

The lock belongs to the open file, so the kernel releases it when the process
ends, however it ends: a crashed or killed run never leaves a stale lock for
the next cron run to trip over, and no external `flock` is needed.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newscrawl.errors import ArchiveError, NewscrawlError

__all__ = ["HeldLock", "LockHeld", "archive_lock", "lock_path"]


@dataclass(frozen=True)
class HeldLock:
    """The lock file and its open descriptor.

    Pass `fd` on to child processes (``pass_fds``) that work on the archive:
    the lock then stays held until the last of them exits, even if the parent
    is killed first.
    """

    path: Path
    fd: int


class LockHeld(NewscrawlError):
    """Another process holds the archive's lock."""

    def __init__(self, db_path: Path, holder: str) -> None:
        self.db_path = db_path
        self.holder = holder
        detail = f" ({holder})" if holder else ""
        super().__init__(f"another crawl is running on the archive {db_path}{detail}")


def lock_path(db_path: str | Path) -> Path:
    """The lock file of an archive: ``news.db`` -> ``news.db.lock`` in the same folder."""
    db_path = Path(db_path)
    return db_path.with_name(f"{db_path.name}.lock")


@contextmanager
def archive_lock(db_path: str | Path) -> Iterator[HeldLock]:
    """Hold the archive's lock for the block; raises `LockHeld` at once if another has it.

    Raises `ArchiveError` if the lock file cannot be created (a read-only folder).

    The holder's pid and start time are written into the lock file, so the
    refusal can say who is running.
    """
    path = lock_path(db_path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        # Not truncated on open: the file's text belongs to the holder until we own the lock.
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    except OSError as exc:
        raise ArchiveError(f"cannot lock the archive {db_path}: {path}: {exc}") from exc
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise LockHeld(Path(db_path), _holder(fd)) from None
        os.ftruncate(fd, 0)
        started = datetime.now(UTC).isoformat(timespec="seconds")
        os.pwrite(fd, f"pid {os.getpid()}, started {started}\n".encode(), 0)
        try:
            yield HeldLock(path, fd)
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _holder(fd: int) -> str:
    try:
        return os.pread(fd, 200, 0).decode("utf-8", "replace").strip()
    except OSError:
        return ""
