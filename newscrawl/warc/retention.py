"""Pruning a WARC folder: `prune_warc_files` deletes old files that nothing needs.

A file is old once its last write is `keep_days` days past. An old file is kept
while anything still needs it:

- the archive points into it (`articles.warc_file`, `article_versions.warc_file`),
  the caller's `in_use`;
- a kept file needs it: a revisit record in a kept file refers to its response
  (the payload), or an item record in a kept file describes a response in it;
- a kept file's response is described by an item record in it, so a response
  and its item record stay together, and `newscrawl reparse` of what is left
  fails on no record.

Young files are kept, and so is every file the caller names in `spare` (the
current run's). What a file needs of others comes from the folder's
`FolderIndex`; a file the index does not know is read once to learn it. If
such a file cannot be read, nothing is pruned: its references are unknown.
What is pruned in practice is the files of runs that archived nothing new
(robots.txt, feeds and listings), and those whose revisits of articles later
fetches have superseded.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Collection, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from newscrawl.errors import WarcError
from newscrawl.warc.folder_index import FileNeed, FolderIndex
from newscrawl.warc.reader import needed_files

__all__ = ["PrunedFiles", "prune_warc_files"]

logger = logging.getLogger(__name__)

_DAY_SECONDS = 86_400


@dataclass
class PrunedFiles:
    """What one pruning did: the files deleted (names) and their bytes."""

    names: list[str] = field(default_factory=list)
    bytes: int = 0


def prune_warc_files(
    directory: Path,
    keep_days: float,
    in_use: Collection[str],
    *,
    index: FolderIndex,
    spare: Collection[str] = (),
    now: float | None = None,
) -> PrunedFiles:
    """Delete the WARC files of `directory` older than `keep_days` that nothing needs.

    `in_use` names the files the archive points into, `spare` files never to
    delete; `now` is a Unix time (default: the current one).
    """
    pruned = PrunedFiles()
    files = {path.name: path for path in directory.glob("*.warc.gz") if path.is_file()}
    cutoff = (time.time() if now is None else now) - keep_days * _DAY_SECONDS
    old = {name for name, path in files.items() if _last_written(path) < cutoff}
    old -= set(spare)
    if not old:
        return pruned
    needs = index.needs()
    known = index.known_files()
    for name in sorted(set(files) - known):
        try:
            found = needed_files(files[name])
        except WarcError as exc:
            logger.warning("not pruning WARC files: %s is unreadable (%s)", name, exc)
            return pruned
        needs += found
        if name in old:
            # An old file is complete: what it needs will not change.
            index.add_file(name, found)
    kept = _kept((set(files) - old) | (set(in_use) & old), needs)
    for name in sorted(old - kept):
        path = files[name]
        try:
            size = path.stat().st_size
            path.unlink()
        except OSError as exc:
            logger.warning("could not delete the WARC file %s: %s", path, exc)
            continue
        pruned.names.append(name)
        pruned.bytes += size
    try:
        index.forget(pruned.names)
    except sqlite3.Error as exc:
        # The files are gone all the same; the writer skips index entries whose
        # file is missing, so a stale entry costs a full record, nothing more.
        logger.warning("the WARC folder index still names pruned files: %s", exc)
    return pruned


def _kept(roots: set[str], needs: Iterable[FileNeed]) -> set[str]:
    """`roots` and every file they need, directly or not."""
    needed_by: dict[str, set[str]] = {}
    for need in needs:
        needed_by.setdefault(need.file, set()).add(need.needed)
        if need.kind == "response":
            # The response's file keeps the file of its item record too.
            needed_by.setdefault(need.needed, set()).add(need.file)
    kept = set(roots)
    pending = list(roots)
    while pending:
        for needed in needed_by.get(pending.pop(), ()):
            if needed not in kept:
                kept.add(needed)
                pending.append(needed)
    return kept


def _last_written(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except OSError:
        return float("inf")  # gone meanwhile: nothing to prune
