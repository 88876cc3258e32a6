"""Every read query on the archive, as functions of its `sqlite_utils.Database`.

By topic: what the crawl asks (which URLs are archived, which are due for a
revisit, whether a content is archived under another URL); what a save reads
before it writes; what `newscrawl status`, `newscrawl reparse` and `newscrawl
demo` report; and the counts the benchmarks check. Each function takes the
database of an open archive (`Archive.db`, or `Database(conn)` around a plain
connection) and leaves turning file errors into `ArchiveError` to its caller.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from newscrawl.archive.migrations import AGE_REFERENCE
from newscrawl.archive.rows import LINK_FIELDS, link_row
from newscrawl.items import Article
from newscrawl.runs.revisits import RevisitRule
from newscrawl.timestamps import parsed_instant, utc_iso

__all__ = [
    "ARCHIVE_TABLES",
    "StoredArticle",
    "Validators",
    "Version",
    "archived_urls",
    "article_ids",
    "article_state",
    "articles_of_site_since",
    "first_seen_times",
    "language_counts",
    "last_article_id",
    "last_recorded_run",
    "last_run_of",
    "last_run_starts",
    "links_differ",
    "most_viewed",
    "parsers_of_urls",
    "read_also_counts",
    "row_counts",
    "runs_of_spider_since",
    "spiders_with_runs",
    "stored_article",
    "stored_validators",
    "unfinished_crawl_start",
    "url_with_content",
    "urls_due_for_revisit",
    "versions_of",
    "warc_files_in_use",
]

# The tables that hold what the crawls found, as `row_counts` counts them.
ARCHIVE_TABLES = ("articles", "links", "view_snapshots", "article_versions")


# --- what the crawl asks ---------------------------------------------------------------


def archived_urls(db: Database, urls: Iterable[str]) -> set[str]:
    """Those of `urls` (canonical) that are archived: one query on the url index."""
    return {url for url, _ in _first_seen_rows(db, urls)}


def first_seen_times(db: Database, urls: Iterable[str]) -> dict[str, datetime]:
    """When each of `urls` (canonical) that is archived was first seen."""
    return {url: parsed_instant(first_seen) for url, first_seen in _first_seen_rows(db, urls)}


def _first_seen_rows(db: Database, urls: Iterable[str]) -> list[tuple[str, str]]:
    wanted = json.dumps(sorted(set(urls)), ensure_ascii=False)
    rows: list[tuple[str, str]] = db.execute(
        "SELECT url, first_seen_at FROM articles WHERE url IN (SELECT value FROM json_each(?))",
        [wanted],
    ).fetchall()
    return rows


def unfinished_crawl_start(db: Database, spider: str, site: str) -> datetime | None:
    """When the earliest walk of `spider` over `site` that has not finished began."""
    row = db.execute(
        "SELECT started_at FROM unfinished_crawls WHERE spider = ? AND site = ?",
        [spider, site],
    ).fetchone()
    return parsed_instant(row[0]) if row else None


@dataclass(frozen=True)
class Validators:
    """What a server said identifies one version of a page: its ETag, its Last-Modified.

    Either may be missing; both are kept exactly as the server sent them, since a
    server compares what a conditional request sends back with what it sent.
    """

    etag: str | None = None
    last_modified: str | None = None


def stored_validators(db: Database, url: str) -> Validators | None:
    """The validators `conditional_validators` holds for `url`, if any."""
    row = db.execute(
        "SELECT etag, last_modified FROM conditional_validators WHERE url = ?", [url]
    ).fetchone()
    return Validators(etag=row[0], last_modified=row[1]) if row else None


def urls_due_for_revisit(
    db: Database, site: str, now: datetime, schedule: Sequence[RevisitRule]
) -> list[str]:
    """URLs of `site` that the revisit schedule makes due at `now`, youngest first.

    One index range per rule of the schedule (idx_articles_site_age), so the
    cost grows with the recent articles of the site, not with the archive.
    """
    bands: list[str] = []
    params: list[Any] = []
    younger_than: datetime | None = None
    for rule in schedule:
        # Each rule covers ages in [previous max_age, max_age): the first
        # also takes dates in the future, which are young by any measure.
        upper = f"AND {AGE_REFERENCE} <= julianday(?)" if younger_than else ""
        bands.append(
            f"SELECT url, {AGE_REFERENCE} AS age_reference FROM articles "
            f"WHERE site = ? AND {AGE_REFERENCE} > julianday(?) {upper} "
            # A last fetch after `now` was timed by a clock that ran ahead: the
            # article is due, and its revisit puts a sane time in its place
            # (Archive.save), so a clock step costs one revisit, not a frozen year.
            "AND (julianday(last_seen_at) <= julianday(?) "
            "OR julianday(last_seen_at) > julianday(?))"
        )
        params += [site, utc_iso(now - rule.max_age)]
        if younger_than:
            params.append(utc_iso(younger_than))
        params += [utc_iso(now - rule.interval), utc_iso(now)]
        younger_than = now - rule.max_age
    if not bands:
        return []
    sql = " UNION ALL ".join(bands) + " ORDER BY age_reference DESC"
    return [url for url, _ in db.execute(sql, params).fetchall()]


def url_with_content(db: Database, content_hash: str) -> str | None:
    """The URL of an archived article with this content hash (the oldest), if any."""
    row = db.execute(
        "SELECT url FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1", [content_hash]
    ).fetchone()
    return str(row[0]) if row else None


# --- what a save reads before it writes ------------------------------------------------


@dataclass(frozen=True)
class StoredArticle:
    """What a save needs to know of an archived article's row."""

    id: int
    content_hash: str
    fetched_at: str
    first_seen_at: str
    last_seen_at: str
    content_first_seen_at: str


@dataclass(frozen=True)
class Version:
    """The span of one `article_versions` row: when its content was first and last seen."""

    version: int
    content_hash: str
    first_seen_at: datetime
    last_seen_at: datetime


def stored_article(db: Database, url: str) -> StoredArticle | None:
    """The archived row of `url`, if there is one."""
    row = db.execute(
        "SELECT id, content_hash, fetched_at, first_seen_at, last_seen_at, "
        "coalesce(content_first_seen_at, first_seen_at) FROM articles WHERE url = ?",
        [url],
    ).fetchone()
    return StoredArticle(*row) if row else None


def versions_of(db: Database, article_id: int) -> list[Version]:
    """The article's past versions, in order."""
    rows = db.execute(
        "SELECT version, content_hash, first_seen_at, last_seen_at FROM article_versions "
        "WHERE article_id = ? ORDER BY version",
        [article_id],
    ).fetchall()
    return [
        Version(v, h, parsed_instant(first), parsed_instant(last)) for v, h, first, last in rows
    ]


def links_differ(db: Database, article_id: int, article: Article) -> bool:
    """Whether the article's links differ from the stored ones (targets aside)."""
    stored = db.execute(
        f"SELECT {', '.join(LINK_FIELDS)} FROM links WHERE article_id = ?", [article_id]
    ).fetchall()
    new = [
        tuple(link_row(article_id, link, None)[name] for name in LINK_FIELDS)
        for link in (*article.links, *article.related)
    ]
    return sorted(map(tuple, stored), key=_sortable) != sorted(new, key=_sortable)


def article_ids(db: Database, urls: set[str]) -> dict[str, int]:
    """The id of each of `urls` that is archived."""
    rows = db.execute(
        "SELECT url, id FROM articles WHERE url IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted(urls), ensure_ascii=False)],
    ).fetchall()
    return dict(rows)


def _sortable(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if value is None else str(value) for value in row)


# --- newscrawl reparse -----------------------------------------------------------------


def article_state(db: Database, url: str) -> dict[str, Any] | None:
    """The article's row, links and number of versions, to tell what a save changed."""
    cursor = db.execute("SELECT * FROM articles WHERE url = ?", [url])
    row = cursor.fetchone()
    if row is None:
        return None
    state = dict(zip([c[0] for c in cursor.description], row, strict=True))
    article_id = state.pop("id")
    state["links"] = db.execute(
        "SELECT kind, position, url, title, shown_at, views, target_article_id FROM links "
        "WHERE article_id = ? ORDER BY kind, position",
        [article_id],
    ).fetchall()
    state["versions"] = db.execute(
        "SELECT count(*) FROM article_versions WHERE article_id = ?", [article_id]
    ).fetchone()[0]
    return state


def parsers_of_urls(db: Database, urls: Iterable[str]) -> dict[str, str | None]:
    """The `parser` of each of `urls` (canonical) that is archived: None where none is recorded."""
    rows: list[tuple[str, str | None]] = db.execute(
        "SELECT url, parser FROM articles WHERE url IN (SELECT value FROM json_each(?))",
        [json.dumps(sorted(set(urls)), ensure_ascii=False)],
    ).fetchall()
    return dict(rows)


def row_counts(db: Database, tables: Iterable[str] = ARCHIVE_TABLES) -> dict[str, int]:
    """How many rows each of `tables` (of `ARCHIVE_TABLES`) holds."""
    counts = {}
    for table in tables:
        if table not in ARCHIVE_TABLES:
            # The name goes into the SQL text; only our own tables may.
            raise ValueError(f"not an archive table: {table!r}")
        counts[table] = int(db.execute(f"SELECT count(*) FROM {table}").fetchone()[0])
    return counts


# --- WARC retention --------------------------------------------------------------------


def warc_files_in_use(db: Database) -> set[str]:
    """The WARC files (names relative to the WARC folder) that articles or versions point into."""
    rows = db.execute(
        "SELECT warc_file FROM articles WHERE warc_file IS NOT NULL "
        "UNION SELECT warc_file FROM article_versions WHERE warc_file IS NOT NULL"
    ).fetchall()
    return {str(name) for (name,) in rows}


# --- newscrawl status ------------------------------------------------------------------


def spiders_with_runs(db: Database) -> list[str]:
    """The spiders that have recorded runs, each once."""
    return [str(row[0]) for row in db.execute("SELECT DISTINCT spider FROM crawl_runs")]


def last_run_of(db: Database, spider: str) -> dict[str, Any] | None:
    """The `crawl_runs` row of the spider's latest run, if it has one."""
    return next(
        db.query(
            "SELECT * FROM crawl_runs WHERE spider = ? ORDER BY started_at DESC, id DESC LIMIT 1",
            [spider],
        ),
        None,
    )


def last_run_starts(db: Database) -> dict[str, datetime]:
    """Each spider's latest recorded run start, by spider name (spiders that never ran lack one)."""
    starts: dict[str, datetime] = {}
    for spider, started_at in db.execute(
        "SELECT spider, max(started_at) FROM crawl_runs WHERE started_at IS NOT NULL "
        "GROUP BY spider"
    ).fetchall():
        starts[str(spider)] = parsed_instant(str(started_at))
    return starts


def runs_of_spider_since(db: Database, spider: str, since: datetime) -> list[dict[str, Any]]:
    """The `crawl_runs` rows of the spider's runs started at `since` or later, newest first."""
    return list(
        db.query(
            "SELECT * FROM crawl_runs WHERE spider = ? AND started_at >= ? "
            "ORDER BY started_at DESC, id DESC",
            [spider, since.isoformat()],
        )
    )


def articles_of_site_since(db: Database, site: str, since: datetime) -> int:
    """How many articles of `site` are younger than `since` (by `AGE_REFERENCE`)."""
    # The age expression of idx_articles_site_age: an index range, not a table scan.
    return int(
        db.execute(
            f"SELECT count(*) FROM articles WHERE site = ? AND {AGE_REFERENCE} > julianday(?)",
            [site, since.isoformat()],
        ).fetchone()[0]
    )


# --- newscrawl demo --------------------------------------------------------------------


def language_counts(db: Database) -> list[tuple[str, int]]:
    """(language, articles) pairs, most articles first; '?' stands for no language."""
    rows: list[tuple[str, int]] = db.execute(
        "SELECT coalesce(language, '?'), count(*) FROM articles GROUP BY 1 ORDER BY 2 DESC"
    ).fetchall()
    return rows


def most_viewed(db: Database, limit: int) -> list[tuple[int, str | None, str | None]]:
    """(views, language, headline) of the `limit` articles with the most views."""
    rows: list[tuple[int, str | None, str | None]] = db.execute(
        "SELECT views, language, headline FROM articles WHERE views IS NOT NULL "
        "ORDER BY views DESC LIMIT ?",
        [limit],
    ).fetchall()
    return rows


def read_also_counts(db: Database) -> tuple[int, int]:
    """How many read-also links there are, and how many of them point to archived articles."""
    total, resolved = db.execute(
        "SELECT count(*), count(target_article_id) FROM links WHERE kind = 'read_also'"
    ).fetchone()
    return int(total), int(resolved)


# --- benchmarks ------------------------------------------------------------------------


def last_article_id(db: Database) -> int | None:
    """The highest article id, None in an empty archive."""
    last = db.execute("SELECT max(id) FROM articles").fetchone()[0]
    return None if last is None else int(last)


def last_recorded_run(db: Database) -> dict[str, Any] | None:
    """The `crawl_runs` row added last, if any."""
    return next(db.query("SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1"), None)
