"""Plain-text summaries of an archive for the terminal (`newscrawl demo`)."""

from __future__ import annotations

from pathlib import Path

import sqlite_utils

MOST_VIEWED_SHOWN = 5


def archive_summary(db_path: Path) -> str:
    """A short report: articles by language, the most viewed, cross-links, and the path."""
    db = sqlite_utils.Database(db_path)
    try:
        total = db.execute("select count(*) from articles").fetchone()[0]
        by_language = db.execute(
            "select coalesce(language, '?'), count(*) from articles group by 1 order by 2 desc"
        ).fetchall()
        most_viewed = db.execute(
            "select views, language, headline from articles where views is not null "
            "order by views desc limit ?",
            [MOST_VIEWED_SHOWN],
        ).fetchall()
        cross_links, resolved = db.execute(
            "select count(*), count(target_article_id) from links where kind = 'read_also'"
        ).fetchone()
    finally:
        db.close()
    lines = [f"Articles: {total}"]
    lines += [f"  {language}: {count}" for language, count in by_language]
    lines.append("Most viewed:")
    lines += [f"  {views:>8,}  [{lang}] {headline}" for views, lang, headline in most_viewed]
    lines.append(f"Read-also cross-links: {cross_links} ({resolved} point to archived articles)")
    lines.append(f"Archive: {db_path.resolve()}")
    lines.append(f"Explore it: newscrawl serve --db {db_path}")
    return "\n".join(lines)
