"""The SQLite archive: its schema, the `Archive` that writes it, and every query on it.

Table and column names are a public interface: analysts query them with SQL and
browse them in Datasette, so they are plain names that match `newscrawl.items`.

- `articles`: one row per canonical URL, with its latest content.
- `article_versions`: what an article said before its content changed.
- `links`: what each article links to (`read_also`, `inline`, `related`), with
  `target_article_id` filled in once the target is archived too.
- `view_snapshots`: every view count ever observed, and the page it was shown on.
- `crawl_runs`: one row per spider per run, with its result and field completeness.
- `unfinished_crawls`: the walks of a site's listings that have not finished yet.

The modules, by job:

- `migrations`: the schema, as named migrations applied in order;
- `archive`: `Archive`, which opens a file, migrates it and writes it in transactions;
- `versions`: the content hash and the history of an article's content;
- `rows`: what an article, its links and view counts become as rows;
- `queries`: every read query (the crawl's, the save path's, status, reparse, demo);
- `failures`: which SQLite failures become `ArchiveError`.

All SQL on the archive lives in this package.
"""

from __future__ import annotations

from newscrawl.archive.archive import Archive, SaveOutcome
from newscrawl.archive.migrations import migrations
from newscrawl.archive.versions import content_hash

__all__ = ["Archive", "SaveOutcome", "content_hash", "migrations"]
