"""The SQLite archive: schema, migrations, writes and the reads the crawl needs.

Table and column names are a public interface: analysts query them with SQL and
browse them in Datasette, so they are plain names that match `newscrawl.items`.

- `articles`: one row per canonical URL, with its latest content.
- `article_versions`: what an article said before its content changed.
- `links`: what each article links to (`read_also`, `inline`, `related`), with
  `target_article_id` filled in once the target is archived too.
- `view_snapshots`: every view count ever observed, and the page it was shown on.
- `crawl_runs`: one row per spider per run, with its result and field completeness.

The schema lives in named migrations, so later changes append a migration
instead of editing one that existing archives have already applied.
"""

from __future__ import annotations

import hashlib
import json
import os
import sqlite3
import unicodedata
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

from newscrawl.errors import ArchiveError
from newscrawl.items import Article, Link
from newscrawl.runs.revisits import RevisitRule
from newscrawl.text import folded_text
from newscrawl.timestamps import parsed_instant, utc_iso

__all__ = ["Archive", "SaveOutcome", "content_hash", "migrations"]

# Works for Ukrainian and English alike: unicode61 folds case for Cyrillic too
# ("Київ" finds "київ"), and remove_diacritics 2 lets "cafe" find "café".
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
FTS_COLUMNS = ("headline", "summary", "body")

# Seconds to wait for another connection's write lock (a second crawl, an
# analyst's UPDATE) before giving up with ArchiveError.
BUSY_TIMEOUT = 30.0

# SQLite primary result codes that mean "this archive cannot be opened or
# written", as opposed to a bug in our SQL. Only these become ArchiveError.
_UNWRITABLE = {
    sqlite3.SQLITE_PERM: "permission denied",
    sqlite3.SQLITE_BUSY: "another process holds the write lock",
    sqlite3.SQLITE_LOCKED: "the database is locked",
    sqlite3.SQLITE_READONLY: "the database file or its directory is read-only",
    sqlite3.SQLITE_IOERR: "disk I/O error",
    sqlite3.SQLITE_CORRUPT: "the database file is corrupt",
    sqlite3.SQLITE_FULL: "the disk is full",
    sqlite3.SQLITE_CANTOPEN: "the file cannot be opened",
    sqlite3.SQLITE_NOTADB: "the file is not a SQLite database",
}

migrations = Migrations("newscrawl")

_T = TypeVar("_T")


@migrations()
def m001_create_articles(db: Database) -> None:
    articles = db.table("articles")
    articles.create(
        {
            "id": int,
            "url": str,
            "site": str,
            "language": str,
            "headline": str,
            "summary": str,
            "body": str,
            "published_at": str,
            "published_source": str,
            "authors": str,
            "section": str,
            "tags": str,
            "views": int,
            "fetched_at": str,
            "alternates": str,
            "content_hash": str,
            "first_seen_at": str,
            "last_seen_at": str,
        },
        pk="id",
        not_null={"url", "site", "fetched_at", "content_hash", "first_seen_at", "last_seen_at"},
    )
    articles.create_index(["url"], unique=True)
    articles.create_index(["content_hash"])
    articles.create_index(["site", "published_at"])
    articles.create_index(["published_at"])


@migrations()
def m002_create_links(db: Database) -> None:
    links = db.table("links")
    links.create(
        {
            "article_id": int,
            "position": int,
            "kind": str,
            "url": str,
            "title": str,
            "shown_at": str,
            "views": int,
            "target_article_id": int,
        },
        # The primary key's leading article_id also serves "links of article X".
        pk=("article_id", "kind", "position"),
        foreign_keys=[
            ("article_id", "articles", "id"),
            ("target_article_id", "articles", "id"),
        ],
        not_null={"article_id", "position", "kind", "url"},
    )
    # links.url: the back-fill when a linked article arrives later;
    # target_article_id: "what links to this article".
    links.create_index(["url"])
    links.create_index(["target_article_id"])


@migrations()
def m003_create_view_snapshots(db: Database) -> None:
    snapshots = db.table("view_snapshots")
    snapshots.create(
        {"url": str, "observed_at": str, "views": int, "seen_on": str},
        not_null={"url", "observed_at", "views", "seen_on"},
    )
    # Unique so that re-parsing an archived page does not count the same
    # observation twice; its (url, observed_at) prefix serves time series queries.
    snapshots.create_index(["url", "observed_at", "seen_on"], unique=True)


@migrations()
def m004_articles_fts(db: Database) -> None:
    db.table("articles").enable_fts(FTS_COLUMNS, create_triggers=True, tokenize=FTS_TOKENIZE)
    # sqlite-utils' update trigger re-indexes the row on ANY update, but most
    # updates only bump last_seen_at/views of an unchanged article; re-indexing
    # its body each time would dominate the cost of a re-crawl. Same trigger
    # name, so sqlite-utils and Datasette still recognise the setup.
    columns = ", ".join(FTS_COLUMNS)
    old = ", ".join(f"old.{c}" for c in FTS_COLUMNS)
    new = ", ".join(f"new.{c}" for c in FTS_COLUMNS)
    db.executescript(
        f"""
        DROP TRIGGER articles_au;
        CREATE TRIGGER articles_au AFTER UPDATE OF {columns} ON articles BEGIN
          INSERT INTO articles_fts (articles_fts, rowid, {columns})
            VALUES ('delete', old.rowid, {old});
          INSERT INTO articles_fts (rowid, {columns}) VALUES (new.rowid, {new});
        END;
        """
    )


@migrations()
def m005_versions_and_warc(db: Database) -> None:
    articles = db.table("articles")
    articles.add_column("warc_file", str)
    articles.add_column("warc_offset", int)
    articles.add_column("modified_at", str)
    # When the current content was first fetched: where its span starts, so
    # that it becomes the right version's first_seen_at once it changes.
    articles.add_column("content_first_seen_at", str)
    db.execute("UPDATE articles SET content_first_seen_at = first_seen_at")
    versions = db.table("article_versions")
    versions.create(
        {
            "article_id": int,
            "version": int,
            "content_hash": str,
            "headline": str,
            "summary": str,
            "body": str,
            "published_at": str,
            "first_seen_at": str,
            "last_seen_at": str,
            "warc_file": str,
            "warc_offset": int,
        },
        # The primary key's leading article_id also serves "versions of article X".
        pk=("article_id", "version"),
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"article_id", "version", "content_hash", "first_seen_at", "last_seen_at"},
    )


# An article's age is measured from this instant: julianday() reads the site
# offset of published_at, so articles of sites in different zones compare
# correctly. Queries must spell it exactly so, or SQLite will not use the index.
AGE_REFERENCE = "julianday(coalesce(published_at, first_seen_at))"


@migrations()
def m006_crawl_runs(db: Database) -> None:
    runs = db.table("crawl_runs")
    runs.create(
        {
            "id": int,
            "spider": str,
            "site": str,
            "started_at": str,
            "finished_at": str,
            "finish_reason": str,
            "exit_code": int,
            "message": str,
            "pages_fetched": int,
            "articles_new": int,
            "articles_updated": int,
            "articles_unchanged": int,
            "duplicates": int,
            "dropped": int,
            "errors": int,
            "fetch_failed": int,
            "revisits": int,
            "card_views": int,
            # Field completeness: the share (0..1) of the run's archived
            # articles that had the field; NULL when it archived none.
            "share_published_at": float,
            "share_views": float,
            "share_authors": float,
            "share_summary": float,
            "share_links": float,
            "share_language": float,
            "log_file": str,
        },
        pk="id",
        not_null={"spider", "started_at", "exit_code"},
    )
    # "The last runs of this spider", for newscrawl status and Datasette.
    runs.create_index(["spider", "started_at"])


@migrations()
def m007_articles_age_index(db: Database) -> None:
    # Serves the revisit selection and "articles of the last N days" per site
    # as index range scans, however large the archive grows.
    db.execute(f"CREATE INDEX idx_articles_site_age ON articles (site, {AGE_REFERENCE})")


@migrations()
def m008_query_indexes(db: Database) -> None:
    # "Snapshots of the last N hours" (Datasette's fastest_growing query, and
    # the view_snapshots table sorted newest first) as an index range, not a
    # scan of every snapshot ever taken.
    db.table("view_snapshots").create_index(["observed_at"])


@migrations()
def m009_unfinished_crawls(db: Database) -> None:
    # A spider's walk of its listings that has not finished yet (running, or killed):
    # until one finishes, the articles archived since it started are no proof that
    # everything older is archived too, which the incremental stop relies on.
    db.table("unfinished_crawls").create(
        {"spider": str, "site": str, "started_at": str},
        pk=("spider", "site"),
        not_null={"started_at"},
    )


class SaveOutcome(Enum):
    """What `Archive.save` did with an article."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


def content_hash(article: Article) -> str:
    """The sha256 of what the article says: headline, summary, body and published_at.

    Views, fetched_at and links are left out, so a re-fetch that only shows a
    new view count (or new related cards) is the same content.
    """
    published = utc_iso(article.published_at) if article.published_at else ""
    parts = [_folded(article.headline), _folded(article.summary), _folded(article.body), published]
    # The unit separator cannot occur in folded text, so fields cannot run together.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class _Stored:
    id: int
    content_hash: str
    fetched_at: str
    first_seen_at: str
    last_seen_at: str
    content_first_seen_at: str


@dataclass(frozen=True)
class _Version:
    version: int
    content_hash: str
    first_seen_at: datetime
    last_seen_at: datetime


class Archive:
    """The archive file at `path`, opened and migrated to the current schema.

    Opening the same file several times in one process works (WAL mode): the
    crawl's pipelines write through one `Archive` while the spider reads
    through another. `read_only=True` opens without ever writing, and fails
    with ArchiveError if the file is missing or needs a migration.
    """

    def __init__(self, path: str | Path, *, read_only: bool = False) -> None:
        self.path = Path(path)
        self.read_only = read_only
        # The writes of the open batch, to redo if one fails; None: no batch open.
        self._batch: list[tuple[Callable[..., Any], tuple[Any, ...]]] | None = None
        with self._errors_as_archive_error("open"):
            if read_only:
                # A URI with mode=ro never creates the file and refuses every write.
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, timeout=BUSY_TIMEOUT)
            else:
                self.path.parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT)
            self.db = Database(conn)
            try:
                self._prepare()
            except BaseException:
                conn.close()
                raise

    def _prepare(self) -> None:
        if self.read_only:
            pending = [m.name for m in migrations.pending(self.db)]
            if pending:
                raise ArchiveError(
                    f"cannot read the archive {self.path}: its schema is out of date "
                    f"(pending migrations: {', '.join(pending)}); open it for writing once "
                    "to upgrade it"
                )
            return
        # WAL lets the spider read while the pipelines write; synchronous=NORMAL
        # is safe with WAL (a crash loses at most the last commits, never
        # consistency) and avoids an fsync per article.
        self.db.enable_wal()
        self.db.execute("PRAGMA synchronous = NORMAL")
        self.db.execute("PRAGMA foreign_keys = ON")
        migrations.apply(self.db)

    # --- context manager ------------------------------------------------------

    def __enter__(self) -> Archive:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection; closing twice is harmless."""
        self.db.close()

    # --- writes ---------------------------------------------------------------

    def save(self, article: Article, *, seen_on: str | None = None) -> SaveOutcome:
        """Store one observation of an article, with its links and view counts.

        A new URL is inserted. The row follows the latest observation: when
        its content (headline, summary, body, published date) changed since
        the last fetch, the old content becomes the next `article_versions`
        row and the row takes the new content and links; unchanged content
        moves last_seen_at, views, fetched_at and the WARC position, and takes
        the rest of what the parser found (authors, tags, links...). The same
        fetch parsed again with a changed parser updates in place, without a
        version. An observation older than the row's (a re-parse of an older
        WARC record) never rolls the row back; it only fills in the history.

        Every view count seen is added to view_snapshots: the article's own
        (shown on `seen_on`, default the article's URL) and each related
        card's. All of it is one transaction, or one all-or-nothing part of
        the open batch (`begin_batch`), so the archive never holds an article
        without its links or links without their article.
        """
        return self._write(self._save, article, seen_on)

    def _save(self, article: Article, seen_on: str | None) -> SaveOutcome:
        new_hash = content_hash(article)
        observed_at = utc_iso(article.fetched_at)
        stored = self._stored(article.url)
        if stored is None:
            article_id = self._insert_article(article, new_hash, observed_at)
            self._replace_links(article_id, article)
            # Links saved before this article was archived now have a target.
            self.db.execute(
                "UPDATE links SET target_article_id = ? "
                "WHERE url = ? AND target_article_id IS NULL",
                [article_id, article.url],
            )
            outcome = SaveOutcome.NEW
        elif parsed_instant(observed_at) >= parsed_instant(stored.fetched_at):
            outcome = self._save_latest(stored, article, new_hash, observed_at)
        else:
            self._save_earlier(stored, article, new_hash, observed_at)
            outcome = SaveOutcome.UNCHANGED
        self._insert_snapshots(_snapshots_of(article, observed_at, seen_on or article.url))
        return outcome

    def save_many(self, articles: Iterable[Article]) -> list[SaveOutcome]:
        """`save` each article in turn, in one transaction: the same result as saving them
        one by one (each sees the ones before), committed once. If one fails, none of them
        is stored, unless they joined an open batch (`begin_batch`), which keeps the others.
        """
        with self.batch():
            return [self.save(article) for article in articles]

    def add_view_snapshot(self, url: str, observed_at: datetime, views: int, seen_on: str) -> None:
        """Record that `url` showed `views` views at `observed_at`, on the page `seen_on`."""
        row = {"url": url, "observed_at": utc_iso(observed_at), "views": views, "seen_on": seen_on}
        self._write(self._insert_snapshots, [row])

    def record_run(self, row: dict[str, Any]) -> int:
        """Add one `crawl_runs` row (a spider's run and its result); returns its id."""
        run_id = self._write(self._insert_run, row)
        assert isinstance(run_id, int)
        return run_id

    # --- batches --------------------------------------------------------------
    #
    # A commit per write costs a WAL append and a flush of the full-text index
    # each time; a batch commits many writes at once. Inside a batch each write
    # is still all-or-nothing, but not through a savepoint: FTS5 flushes its
    # in-memory index at every savepoint, which doubles the cost of indexing an
    # article. Instead the batch remembers its writes, and when one fails it
    # rolls back and redoes the others (a rare path: a bug, a full disk).

    def begin_batch(self) -> None:
        """Let the following writes join one transaction, until `commit_batch`.

        For writers whose writes arrive one call at a time, like the store
        pipeline. This connection sees the batch at once, other connections once
        it commits. Opening an open batch does nothing.
        """
        if self._batch is None:
            with self._errors_as_archive_error("write"):
                self.db.execute("BEGIN")
            self._batch = []

    def commit_batch(self) -> None:
        """Commit the open batch, if any. If that fails it is rolled back (ArchiveError)."""
        if self._batch is None:
            return
        self._batch = None
        with self._errors_as_archive_error("write"):
            try:
                self.db.execute("COMMIT")
            except BaseException:
                self.db.conn.rollback()
                raise

    def rollback_batch(self) -> None:
        """Drop the open batch and its writes, if a batch is open."""
        if self._batch is not None:
            self._batch = None
            self.db.conn.rollback()

    @property
    def pending_writes(self) -> int:
        """How many writes the open batch holds; 0 when none is open."""
        return len(self._batch or ())

    @contextmanager
    def batch(self) -> Iterator[None]:
        """A batch around the block: committed at its end, rolled back if the block raises.

        Inside an open batch it joins that batch.
        """
        if self._batch is not None:
            yield
            return
        self.begin_batch()
        try:
            yield
        except BaseException:
            self.rollback_batch()
            raise
        self.commit_batch()

    def _write(self, operation: Callable[..., _T], *args: Any) -> _T:
        """One write: in a transaction of its own, or as a part of the open batch."""
        with self._errors_as_archive_error("write"):
            if self._batch is None:
                with self.db.atomic():
                    return operation(*args)
            try:
                result = operation(*args)
            except BaseException:
                self._redo_batch()
                raise
            self._batch.append((operation, args))
            return result

    def _redo_batch(self) -> None:
        """After a failed write: the batch without it. If redoing fails, the batch is lost."""
        done = self._batch or []
        self._batch = None
        self.db.conn.rollback()
        self.db.execute("BEGIN")
        try:
            for operation, args in done:
                operation(*args)
        except BaseException:
            self.db.conn.rollback()
            raise
        self._batch = done

    # --- single writes --------------------------------------------------------

    def _insert_run(self, row: dict[str, Any]) -> int | None:
        return self.db.execute(_insert_sql("crawl_runs", row), list(row.values())).lastrowid

    def _stored(self, url: str) -> _Stored | None:
        row = self.db.execute(
            "SELECT id, content_hash, fetched_at, first_seen_at, last_seen_at, "
            "coalesce(content_first_seen_at, first_seen_at) FROM articles WHERE url = ?",
            [url],
        ).fetchone()
        return _Stored(*row) if row else None

    def _insert_article(self, article: Article, new_hash: str, observed_at: str) -> int:
        row = {
            "url": article.url,
            **_content_columns(article, new_hash),
            **_description_columns(article),
            "views": article.views,
            "fetched_at": observed_at,
            "first_seen_at": observed_at,
            "last_seen_at": observed_at,
            "warc_file": article.warc_file,
            "warc_offset": article.warc_offset,
            "content_first_seen_at": observed_at,
        }
        article_id = self.db.execute(_insert_sql("articles", row), list(row.values())).lastrowid
        assert isinstance(article_id, int)
        return article_id

    def _save_latest(
        self, stored: _Stored, article: Article, new_hash: str, observed_at: str
    ) -> SaveOutcome:
        """An observation at least as new as the row's: the row follows it."""
        columns = {
            **_description_columns(article),
            **_observation_columns(stored, article, observed_at),
        }
        if new_hash == stored.content_hash:
            outcome = SaveOutcome.UNCHANGED
            if article.warc_file is not None:
                columns.update(warc_file=article.warc_file, warc_offset=article.warc_offset)
        else:
            outcome = SaveOutcome.UPDATED
            if parsed_instant(observed_at) > parsed_instant(stored.fetched_at):
                # The page changed since the last fetch: keep what it said before.
                self._archive_current_content(stored.id)
                columns["content_first_seen_at"] = observed_at
            # Otherwise it is the same fetch parsed again by a changed parser:
            # a correction, not a new version of the article.
            columns.update(
                _content_columns(article, new_hash),
                warc_file=article.warc_file,
                warc_offset=article.warc_offset,
            )
        self._update_article(stored.id, columns)
        if outcome is SaveOutcome.UPDATED or self._links_differ(stored.id, article):
            self._replace_links(stored.id, article)
        return outcome

    def _update_article(self, article_id: int, columns: dict[str, Any]) -> None:
        assignments = ", ".join(f"{name} = ?" for name in columns)
        self.db.execute(
            f"UPDATE articles SET {assignments} WHERE id = ?", [*columns.values(), article_id]
        )

    def _archive_current_content(self, article_id: int) -> None:
        """Copy the row's current content into article_versions as its next version."""
        self.db.execute(
            "INSERT INTO article_versions (article_id, version, content_hash, headline, "
            "summary, body, published_at, first_seen_at, last_seen_at, warc_file, warc_offset) "
            "SELECT id, coalesce((SELECT max(version) FROM article_versions "
            "WHERE article_id = :id), 0) + 1, content_hash, headline, summary, body, "
            "published_at, coalesce(content_first_seen_at, first_seen_at), last_seen_at, "
            "warc_file, warc_offset FROM articles WHERE id = :id",
            {"id": article_id},
        )

    def _save_earlier(
        self, stored: _Stored, article: Article, new_hash: str, observed_at: str
    ) -> None:
        """An observation older than the row's latest fetch: history only, never the row.

        Inside the current content's span the latest fetch decides. Before it,
        the observation confirms, corrects (the same fetch parsed again) or
        extends a past version, or becomes a version of its own in time order.
        """
        moment = parsed_instant(observed_at)
        if moment < parsed_instant(stored.first_seen_at):
            self._update_article(stored.id, {"first_seen_at": observed_at})
        if moment >= parsed_instant(stored.content_first_seen_at):
            return
        versions = self._versions(stored.id)
        for version in versions:
            if version.first_seen_at <= moment <= version.last_seen_at:
                if version.content_hash != new_hash and moment == version.last_seen_at:
                    self._update_version(stored.id, version.version, article, new_hash)
                return
        following = next((v for v in versions if v.first_seen_at > moment), None)
        preceding = next((v for v in reversed(versions) if v.last_seen_at < moment), None)
        if following is not None and following.content_hash == new_hash:
            self._update_version(stored.id, following.version, first_seen_at=observed_at)
        elif following is None and stored.content_hash == new_hash:
            self._update_article(stored.id, {"content_first_seen_at": observed_at})
        elif preceding is not None and preceding.content_hash == new_hash:
            self._update_version(stored.id, preceding.version, last_seen_at=observed_at)
            if article.warc_file is not None:
                self._update_version(
                    stored.id,
                    preceding.version,
                    warc_file=article.warc_file,
                    warc_offset=article.warc_offset,
                )
        else:
            position = following.version if following else len(versions) + 1
            self._insert_version(stored.id, position, article, new_hash, observed_at)

    def _versions(self, article_id: int) -> list[_Version]:
        rows = self.db.execute(
            "SELECT version, content_hash, first_seen_at, last_seen_at FROM article_versions "
            "WHERE article_id = ? ORDER BY version",
            [article_id],
        ).fetchall()
        return [
            _Version(v, h, parsed_instant(first), parsed_instant(last))
            for v, h, first, last in rows
        ]

    def _update_version(
        self,
        article_id: int,
        version: int,
        article: Article | None = None,
        new_hash: str | None = None,
        **columns: Any,
    ) -> None:
        if article is not None:
            columns.update(
                _content_columns(article, new_hash or content_hash(article)),
                warc_file=article.warc_file,
                warc_offset=article.warc_offset,
            )
        self.db.table("article_versions").update((article_id, version), columns)

    def _insert_version(
        self, article_id: int, position: int, article: Article, new_hash: str, observed_at: str
    ) -> None:
        """Insert a version at `position`, renumbering the later ones to keep time order."""
        # Two steps through negative numbers: a single +1 would collide with
        # the primary key of the next version on the way.
        self.db.execute(
            "UPDATE article_versions SET version = -(version + 1) "
            "WHERE article_id = ? AND version >= ?",
            [article_id, position],
        )
        self.db.execute(
            "UPDATE article_versions SET version = -version WHERE article_id = ? AND version < 0",
            [article_id],
        )
        self.db.table("article_versions").insert(
            {
                "article_id": article_id,
                "version": position,
                **_content_columns(article, new_hash),
                "first_seen_at": observed_at,
                "last_seen_at": observed_at,
                "warc_file": article.warc_file,
                "warc_offset": article.warc_offset,
            }
        )

    def _links_differ(self, article_id: int, article: Article) -> bool:
        """Whether the article's links differ from the stored ones (targets aside)."""
        stored = self.db.execute(
            f"SELECT {', '.join(_LINK_FIELDS)} FROM links WHERE article_id = ?", [article_id]
        ).fetchall()
        new = [
            tuple(_link_row(article_id, link, None)[name] for name in _LINK_FIELDS)
            for link in (*article.links, *article.related)
        ]
        return sorted(map(tuple, stored), key=_sortable) != sorted(new, key=_sortable)

    def _replace_links(self, article_id: int, article: Article) -> None:
        links = [*article.links, *article.related]
        self.db.execute("DELETE FROM links WHERE article_id = ?", [article_id])
        if not links:
            return
        targets = self._article_ids({link.url for link in links})
        rows = [_link_row(article_id, link, targets.get(link.url)) for link in links]
        self.db.conn.executemany(_insert_sql("links", rows[0]), [list(r.values()) for r in rows])

    def _insert_snapshots(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            # OR IGNORE: the unique index turns a repeated observation into a no-op.
            self.db.conn.executemany(
                _insert_sql("view_snapshots", rows[0], verb="INSERT OR IGNORE"),
                [list(row.values()) for row in rows],
            )

    # --- reads ----------------------------------------------------------------

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of `urls` (canonical) that are archived: one query on the url index."""
        return {url for url, _ in self._first_seen_rows(urls)}

    def first_seen_times(self, urls: Iterable[str]) -> dict[str, datetime]:
        """When each of `urls` (canonical) that is archived was first seen."""
        return {url: parsed_instant(first_seen) for url, first_seen in self._first_seen_rows(urls)}

    def _first_seen_rows(self, urls: Iterable[str]) -> list[tuple[str, str]]:
        wanted = json.dumps(sorted(set(urls)), ensure_ascii=False)
        with self._errors_as_archive_error("read"):
            return self.db.execute(
                "SELECT url, first_seen_at FROM articles "
                "WHERE url IN (SELECT value FROM json_each(?))",
                [wanted],
            ).fetchall()

    def unfinished_crawl_start(self, spider: str, site: str) -> datetime | None:
        """When the earliest walk of `spider` over `site` that has not finished began."""
        with self._errors_as_archive_error("read"):
            row = self.db.execute(
                "SELECT started_at FROM unfinished_crawls WHERE spider = ? AND site = ?",
                [spider, site],
            ).fetchone()
        return parsed_instant(row[0]) if row else None

    def note_crawl_started(self, spider: str, site: str, started_at: datetime) -> None:
        """Mark a walk of `spider` over `site` as begun; an older unfinished one is kept."""
        self._write(
            self.db.execute,
            "INSERT OR IGNORE INTO unfinished_crawls (spider, site, started_at) VALUES (?, ?, ?)",
            [spider, site, utc_iso(started_at)],
        )

    def note_crawl_finished(self, spider: str, site: str) -> None:
        """Clear the mark: the walk of `spider` over `site` reached its end."""
        self._write(
            self.db.execute,
            "DELETE FROM unfinished_crawls WHERE spider = ? AND site = ?",
            [spider, site],
        )

    def urls_due_for_revisit(
        self, site: str, now: datetime, schedule: Sequence[RevisitRule]
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
                "AND julianday(last_seen_at) <= julianday(?)"
            )
            params += [site, utc_iso(now - rule.max_age)]
            if younger_than:
                params.append(utc_iso(younger_than))
            params.append(utc_iso(now - rule.interval))
            younger_than = now - rule.max_age
        if not bands:
            return []
        sql = " UNION ALL ".join(bands) + " ORDER BY age_reference DESC"
        with self._errors_as_archive_error("read"):
            return [url for url, _ in self.db.execute(sql, params).fetchall()]

    def url_with_content(self, content_hash: str) -> str | None:
        """The URL of an archived article with this content hash (the oldest), if any."""
        with self._errors_as_archive_error("read"):
            row = self.db.execute(
                "SELECT url FROM articles WHERE content_hash = ? ORDER BY id LIMIT 1",
                [content_hash],
            ).fetchone()
        return row[0] if row else None

    def _article_ids(self, urls: set[str]) -> dict[str, int]:
        rows = self.db.execute(
            "SELECT url, id FROM articles WHERE url IN (SELECT value FROM json_each(?))",
            [json.dumps(sorted(urls), ensure_ascii=False)],
        ).fetchall()
        return dict(rows)

    # --- errors ---------------------------------------------------------------

    @contextmanager
    def _errors_as_archive_error(self, action: str) -> Iterator[None]:
        """Turn "cannot open/write this file" failures into ArchiveError naming the path.

        Other sqlite3 errors (bad SQL, constraint violations) are bugs and
        propagate unchanged.
        """
        try:
            yield
        except sqlite3.Error as exc:
            code = getattr(exc, "sqlite_errorcode", None)
            reason = _UNWRITABLE.get(code & 0xFF) if isinstance(code, int) else None
            if reason is None:
                raise
            if _on_read_only_file_system(self.path):
                # SQLite says only "unable to open" when it cannot create the WAL
                # index beside a file on a read-only mount; name the real cause.
                reason = "the file system is mounted read-only"
            raise ArchiveError(
                f"cannot {action} the archive {self.path}: {reason} ({exc})"
            ) from exc
        except OSError as exc:
            raise ArchiveError(f"cannot {action} the archive {self.path}: {exc}") from exc


# --- rows ---------------------------------------------------------------------


def _content_columns(article: Article, new_hash: str) -> dict[str, Any]:
    """The content: what `content_hash` covers, and what `article_versions` keeps."""
    return {
        "headline": article.headline,
        "summary": article.summary,
        "body": article.body,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "content_hash": new_hash,
    }


def _description_columns(article: Article) -> dict[str, Any]:
    """What else the parser says about the article; the latest observation's wins."""
    return {
        "site": article.site,
        "language": article.language,
        "published_source": article.published_source,
        "modified_at": article.modified_at.isoformat() if article.modified_at else None,
        "authors": json.dumps(article.authors, ensure_ascii=False),
        "section": article.section,
        "tags": json.dumps(article.tags, ensure_ascii=False),
        "alternates": json.dumps(article.alternates, ensure_ascii=False),
    }


def _observation_columns(stored: _Stored, article: Article, observed_at: str) -> dict[str, Any]:
    """The columns an observation moves: first/last seen, and views/fetched_at if latest.

    Comparing instants, not strings, keeps a re-parse of an older archived page
    from rolling the latest view count back.
    """
    columns: dict[str, Any] = {
        "first_seen_at": min(stored.first_seen_at, observed_at, key=parsed_instant),
        "last_seen_at": max(stored.last_seen_at, observed_at, key=parsed_instant),
    }
    if parsed_instant(observed_at) >= parsed_instant(stored.fetched_at):
        columns["fetched_at"] = observed_at
        if article.views is not None:
            columns["views"] = article.views
    return columns


def _link_row(article_id: int, link: Link, target_article_id: int | None) -> dict[str, Any]:
    return {
        "article_id": article_id,
        "position": link.position,
        "kind": link.kind,
        "url": link.url,
        "title": link.title,
        "shown_at": link.shown_at.isoformat() if link.shown_at else None,
        "views": link.views,
        "target_article_id": target_article_id,
    }


def _snapshots_of(article: Article, observed_at: str, seen_on: str) -> list[dict[str, Any]]:
    """The view counts one observation of an article shows: its own and its related cards'."""
    rows = []
    if article.views is not None:
        rows.append(
            {
                "url": article.url,
                "observed_at": observed_at,
                "views": article.views,
                "seen_on": seen_on,
            }
        )
    for card in article.related:
        if card.views is not None:
            rows.append(
                {
                    "url": card.url,
                    "observed_at": observed_at,
                    "views": card.views,
                    "seen_on": article.url,
                }
            )
    return rows


def _insert_sql(table: str, row: dict[str, Any], verb: str = "INSERT") -> str:
    """The INSERT of a row with these keys, for our own tables and column names only.

    Plain SQL rather than sqlite-utils' insert: this is the hot path of every
    save, and sqlite-utils introspects the schema on each call. The statement
    text depends only on the keys, so SQLite's statement cache reuses it.
    """
    return f"{verb} INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"


# The columns that say what a link is; target_article_id is derived.
_LINK_FIELDS = ("position", "kind", "url", "title", "shown_at", "views")


def _on_read_only_file_system(path: Path) -> bool:
    try:
        return bool(os.statvfs(path.parent).f_flag & os.ST_RDONLY)
    except OSError:
        return False


def _sortable(row: tuple[Any, ...]) -> tuple[str, ...]:
    return tuple("" if value is None else str(value) for value in row)


def _folded(text: str | None) -> str:
    """Text in NFC with every whitespace run as one space, so reformatting is not a change."""
    return folded_text(unicodedata.normalize("NFC", text or ""))
