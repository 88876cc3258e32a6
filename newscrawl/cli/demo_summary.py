"""Plain-text summaries of an archive for the terminal (`newscrawl demo`)."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

from newscrawl.archive.queries import language_counts, most_viewed, read_also_counts, row_counts

MOST_VIEWED_SHOWN = 5


def archive_summary(db_path: Path) -> str:
    """A short report: articles by language, the most viewed, cross-links, and the path."""
    db = sqlite_utils.Database(db_path)
    try:
        total = row_counts(db, ["articles"])["articles"]
        by_language = language_counts(db)
        top = most_viewed(db, MOST_VIEWED_SHOWN)
        cross_links, resolved = read_also_counts(db)
    finally:
        db.close()
    lines = [f"Articles: {total}"]
    lines += [f"  {language}: {count}" for language, count in by_language]
    lines.append("Most viewed:")
    lines += [f"  {views:>8,}  [{lang}] {headline}" for views, lang, headline in top]
    lines.append(f"Read-also cross-links: {cross_links} ({resolved} point to archived articles)")
    lines.append(f"Archive: {db_path.resolve()}")
    lines.append(f"Explore it: newscrawl serve --db {db_path}")
    return "\n".join(lines)
