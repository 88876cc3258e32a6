"""The `Archive` class: an archive file opened, migrated, and written in transactions.

`Archive.save` stores one observation of an article (its row, links, view
counts and history) as one all-or-nothing write; batches (`begin_batch`,
`batch`) commit many writes at once. The reads the crawl needs are methods too,
so that the spider and the pipelines hold one object; their SQL is in
`newscrawl.archive.queries`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from enum import Enum
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar

from sqlite_utils import Database

from newscrawl.archive import queries
from newscrawl.archive.failures import errors_as_archive_error
from newscrawl.archive.migrations import migrations
from newscrawl.archive.queries import StoredArticle, Validators
from newscrawl.archive.rows import (
    description_columns,
    insert_sql,
    link_row,
    snapshots_of,
    update_article,
)
from newscrawl.archive.versions import (
    archive_current_content,
    content_columns,
    content_hash,
    record_earlier_observation,
)
from newscrawl.errors import ArchiveError
from newscrawl.items import Article
from newscrawl.runs.revisits import RevisitRule
from newscrawl.timestamps import parsed_instant, utc_iso

__all__ = ["Archive", "SaveOutcome"]

# Seconds to wait for another connection's write lock (a second crawl, an
# analyst's UPDATE) before giving up with ArchiveError.
BUSY_TIMEOUT = 30.0

_T = TypeVar("_T")


class SaveOutcome(Enum):
    """What `Archive.save` did with an article."""

    NEW = "new"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


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
        with errors_as_archive_error(self.path, "open"):
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
        stored = queries.stored_article(self.db, article.url)
        if stored is not None:
            stored = _without_future_times(stored, observed_at)
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
            record_earlier_observation(self.db, stored, article, new_hash, observed_at)
            outcome = SaveOutcome.UNCHANGED
        self._insert_snapshots(snapshots_of(article, observed_at, seen_on or article.url))
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

    def note_crawl_started(self, spider: str, site: str, started_at: datetime) -> None:
        """Mark a walk of `spider` over `site` as begun; an older unfinished one is kept."""
        self._write(
            self.db.execute,
            "INSERT OR IGNORE INTO unfinished_crawls (spider, site, started_at) VALUES (?, ?, ?)",
            [spider, site, utc_iso(started_at)],
        )

    def record_outlet(self, row: Mapping[str, Any]) -> None:
        """Insert or replace an `outlets` row (`newscrawl.archive.rows.outlet_row`)."""
        # upsert(record, pk): _write passes positional arguments only.
        self._write(self.db.table("outlets").upsert, dict(row), "name")

    def note_crawl_finished(self, spider: str, site: str) -> None:
        """Clear the mark: the walk of `spider` over `site` reached its end."""
        self._write(
            self.db.execute,
            "DELETE FROM unfinished_crawls WHERE spider = ? AND site = ?",
            [spider, site],
        )

    def record_validators(
        self, validators: Mapping[str, Validators | None], updated_at: datetime
    ) -> None:
        """Keep each URL's validators for the next conditional request; None forgets them.

        Validators with neither an ETag nor a Last-Modified are forgotten too: there is
        nothing to send back.
        """
        self._write(self._replace_validators, dict(validators), utc_iso(updated_at))

    def remove_articles_after(self, last_id: int) -> None:
        """Delete the articles with ids above `last_id`, and what they added.

        Their links, versions and view snapshots (their own and those seen on
        them) go too, and links to them lose their target. For benchmarks that
        write into a prepared archive and then restore it.
        """
        self._write(self._delete_articles_after, last_id)

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
            with errors_as_archive_error(self.path, "write"):
                self.db.execute("BEGIN")
            self._batch = []

    def commit_batch(self) -> None:
        """Commit the open batch, if any. If that fails it is rolled back (ArchiveError)."""
        if self._batch is None:
            return
        self._batch = None
        with errors_as_archive_error(self.path, "write"):
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
        with errors_as_archive_error(self.path, "write"):
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
        return self.db.execute(insert_sql("crawl_runs", row), list(row.values())).lastrowid

    def _insert_article(self, article: Article, new_hash: str, observed_at: str) -> int:
        row = {
            "url": article.url,
            **content_columns(article, new_hash),
            **description_columns(article),
            "views": article.views,
            "fetched_at": observed_at,
            "first_seen_at": observed_at,
            "last_seen_at": observed_at,
            "warc_file": article.warc_file,
            "warc_offset": article.warc_offset,
            "content_first_seen_at": observed_at,
        }
        article_id = self.db.execute(insert_sql("articles", row), list(row.values())).lastrowid
        assert isinstance(article_id, int)
        return article_id

    def _save_latest(
        self, stored: StoredArticle, article: Article, new_hash: str, observed_at: str
    ) -> SaveOutcome:
        """An observation at least as new as the row's: the row follows it."""
        columns = {
            **description_columns(article),
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
                archive_current_content(self.db, stored.id)
                columns["content_first_seen_at"] = observed_at
            # Otherwise it is the same fetch parsed again by a changed parser:
            # a correction, not a new version of the article.
            columns.update(
                content_columns(article, new_hash),
                warc_file=article.warc_file,
                warc_offset=article.warc_offset,
            )
        update_article(self.db, stored.id, columns)
        if outcome is SaveOutcome.UPDATED or queries.links_differ(self.db, stored.id, article):
            self._replace_links(stored.id, article)
        return outcome

    def _replace_links(self, article_id: int, article: Article) -> None:
        links = [*article.links, *article.related]
        self.db.execute("DELETE FROM links WHERE article_id = ?", [article_id])
        if not links:
            return
        targets = queries.article_ids(self.db, {link.url for link in links})
        rows = [link_row(article_id, link, targets.get(link.url)) for link in links]
        self.db.conn.executemany(insert_sql("links", rows[0]), [list(r.values()) for r in rows])

    def _insert_snapshots(self, rows: list[dict[str, Any]]) -> None:
        if rows:
            # OR IGNORE: the unique index turns a repeated observation into a no-op.
            self.db.conn.executemany(
                insert_sql("view_snapshots", rows[0], verb="INSERT OR IGNORE"),
                [list(row.values()) for row in rows],
            )

    def _replace_validators(
        self, validators: Mapping[str, Validators | None], updated_at: str
    ) -> None:
        kept = [
            (url, v.etag, v.last_modified, updated_at)
            for url, v in validators.items()
            if v is not None and (v.etag or v.last_modified)
        ]
        forgotten = [
            (url,)
            for url, v in validators.items()
            if v is None or (not v.etag and not v.last_modified)
        ]
        self.db.conn.executemany("DELETE FROM conditional_validators WHERE url = ?", forgotten)
        self.db.conn.executemany(
            "INSERT OR REPLACE INTO conditional_validators (url, etag, last_modified, updated_at) "
            "VALUES (?, ?, ?, ?)",
            kept,
        )

    def _delete_articles_after(self, last_id: int) -> None:
        added = "SELECT url FROM articles WHERE id > :id"
        self.db.execute(
            f"DELETE FROM view_snapshots WHERE url IN ({added}) OR seen_on IN ({added})",
            {"id": last_id},
        )
        for table in ("links", "article_versions"):
            self.db.execute(f"DELETE FROM {table} WHERE article_id > ?", [last_id])
        self.db.execute(
            "UPDATE links SET target_article_id = NULL WHERE target_article_id > ?", [last_id]
        )
        self.db.execute("DELETE FROM articles WHERE id > ?", [last_id])

    # --- reads ----------------------------------------------------------------
    #
    # The reads the crawl needs, with file failures as ArchiveError; the SQL
    # is in newscrawl.archive.queries.

    def known_urls(self, urls: Iterable[str]) -> set[str]:
        """Those of `urls` (canonical) that are archived: one query on the url index."""
        with errors_as_archive_error(self.path, "read"):
            return queries.archived_urls(self.db, urls)

    def first_seen_times(self, urls: Iterable[str]) -> dict[str, datetime]:
        """When each of `urls` (canonical) that is archived was first seen."""
        with errors_as_archive_error(self.path, "read"):
            return queries.first_seen_times(self.db, urls)

    def unfinished_crawl_start(self, spider: str, site: str) -> datetime | None:
        """When the earliest walk of `spider` over `site` that has not finished began."""
        with errors_as_archive_error(self.path, "read"):
            return queries.unfinished_crawl_start(self.db, spider, site)

    def validators_of(self, url: str) -> Validators | None:
        """The validators kept for `url` by `record_validators`, if any."""
        with errors_as_archive_error(self.path, "read"):
            return queries.stored_validators(self.db, url)

    def urls_due_for_revisit(
        self, site: str, now: datetime, schedule: Sequence[RevisitRule]
    ) -> list[str]:
        """URLs of `site` that the revisit schedule makes due at `now`, youngest first."""
        with errors_as_archive_error(self.path, "read"):
            return queries.urls_due_for_revisit(self.db, site, now, schedule)

    def url_with_content(self, content_hash: str) -> str | None:
        """The URL of an archived article with this content hash (the oldest), if any."""
        with errors_as_archive_error(self.path, "read"):
            return queries.url_with_content(self.db, content_hash)


def _without_future_times(stored: StoredArticle, observed_at: str) -> StoredArticle:
    """`stored` with its fetch and last-seen times moved back if they lie in the future.

    A time after both this observation and the real present was written by a
    clock that ran ahead. Left as it is, it would win every later comparison
    (last seen, latest views) until the clock caught up, and keep the article
    from its revisits. Such times become "just before this observation", so the
    observation is the latest one, and a page that changed still keeps its old
    version. Returns `stored` itself when its times are plausible.
    """
    observed = parsed_instant(observed_at)
    latest_possible = max(observed, datetime.now(UTC))
    just_before = utc_iso(observed - timedelta(microseconds=1))

    def plausible(moment: str) -> str:
        return just_before if parsed_instant(moment) > latest_possible else moment

    fetched_at, last_seen_at = plausible(stored.fetched_at), plausible(stored.last_seen_at)
    if (fetched_at, last_seen_at) == (stored.fetched_at, stored.last_seen_at):
        return stored
    return replace(stored, fetched_at=fetched_at, last_seen_at=last_seen_at)


def _observation_columns(
    stored: StoredArticle, article: Article, observed_at: str
) -> dict[str, Any]:
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
