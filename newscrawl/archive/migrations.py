"""The archive's schema: named migrations, applied in order, each exactly once per file.

Later changes append a migration instead of editing one that existing archives
have already applied. `Archive` applies the pending ones when it opens a file
for writing; `newscrawl serve` and read-only opens only ask which are pending.
"""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

__all__ = ["AGE_REFERENCE", "FTS_COLUMNS", "FTS_TOKENIZE", "migrations"]

# Works for Ukrainian and English alike: unicode61 folds case for Cyrillic too
# ("Київ" finds "київ"), and remove_diacritics 2 lets "cafe" find "café".
FTS_TOKENIZE = "unicode61 remove_diacritics 2"
FTS_COLUMNS = ("headline", "summary", "body")

migrations = Migrations("newscrawl")

# The tables' columns are written several to a line, grouped by what they say
# (formatting off): one per line, four tables of them read as one long list.


@migrations()
def m001_create_articles(db: Database) -> None:
    articles = db.table("articles")
    # fmt: off
    articles.create(
        {
            "id": int, "url": str, "site": str, "language": str,
            "headline": str, "summary": str, "body": str,
            "published_at": str, "published_source": str,
            "authors": str, "section": str, "tags": str, "views": int,
            "fetched_at": str, "alternates": str, "content_hash": str,
            "first_seen_at": str, "last_seen_at": str,
        },
        pk="id",
        not_null={"url", "site", "fetched_at", "content_hash", "first_seen_at", "last_seen_at"},
    )
    # fmt: on
    articles.create_index(["url"], unique=True)
    articles.create_index(["content_hash"])
    articles.create_index(["site", "published_at"])
    articles.create_index(["published_at"])


@migrations()
def m002_create_links(db: Database) -> None:
    links = db.table("links")
    # fmt: off
    links.create(
        {
            "article_id": int, "position": int, "kind": str,
            "url": str, "title": str, "shown_at": str, "views": int,
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
    # fmt: on
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
    # fmt: off
    versions.create(
        {
            "article_id": int, "version": int, "content_hash": str,
            "headline": str, "summary": str, "body": str, "published_at": str,
            "first_seen_at": str, "last_seen_at": str, "warc_file": str, "warc_offset": int,
        },
        # The primary key's leading article_id also serves "versions of article X".
        pk=("article_id", "version"),
        foreign_keys=[("article_id", "articles", "id")],
        not_null={"article_id", "version", "content_hash", "first_seen_at", "last_seen_at"},
    )
    # fmt: on


# An article's age is measured from this instant: julianday() reads the site
# offset of published_at, so articles of sites in different zones compare
# correctly. Queries must spell it exactly so, or SQLite will not use the index.
AGE_REFERENCE = "julianday(coalesce(published_at, first_seen_at))"


@migrations()
def m006_crawl_runs(db: Database) -> None:
    runs = db.table("crawl_runs")
    # fmt: off
    runs.create(
        {
            "id": int, "spider": str, "site": str,
            "started_at": str, "finished_at": str,
            "finish_reason": str, "exit_code": int, "message": str,
            "pages_fetched": int,
            "articles_new": int, "articles_updated": int, "articles_unchanged": int,
            "duplicates": int, "dropped": int, "errors": int, "fetch_failed": int,
            "revisits": int, "card_views": int,
            # Field completeness: the share (0..1) of the run's archived
            # articles that had the field; NULL when it archived none.
            "share_published_at": float, "share_views": float, "share_authors": float,
            "share_summary": float, "share_links": float, "share_language": float,
            "log_file": str,
        },
        pk="id",
        not_null={"spider", "started_at", "exit_code"},
    )
    # fmt: on
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


@migrations()
def m010_provenance(db: Database) -> None:
    # Which parser and version made each row, and which fields its generic
    # fallback filled in: after a site redesign, the rows to re-parse once the
    # parser is fixed. Rows archived before have no parser recorded; no parser
    # had a fallback then, so their fallback list is truly empty.
    articles = db.table("articles")
    articles.add_column("parser", str)
    articles.add_column("fallback_fields", str)
    db.execute("UPDATE articles SET fallback_fields = '[]'")
    # Per run, how often fields came from the fallback: the signature of a
    # redesign, as the share_* columns are that of a field gone missing. The
    # fields a parser can fall back on are the parsers' business, so they are
    # keys of one JSON object rather than a column each.
    runs = db.table("crawl_runs")
    runs.add_column("share_fallback", float)
    runs.add_column("fallback_shares", str)


@migrations()
def m011_outlets(db: Database) -> None:
    # The outlets crawled into this archive, as their declarations said at their
    # last crawl: analysts join articles.site and crawl_runs.spider to a name, a
    # title and where the declaration came from.
    # fmt: off
    db.table("outlets").create(
        {
            "name": str, "title": str, "kind": str, "site": str, "home": str,
            "languages": str, "interval_minutes": int, "enabled": int, "verified": int,
            "evidence": str, "declared_in": str, "updated_at": str,
        },
        pk="name",
        not_null={"site", "kind", "updated_at"},
    )
    # fmt: on
    db.table("outlets").create_index(["site"])


@migrations()
def m012_conditional_validators(db: Database) -> None:
    # The validators (ETag, Last-Modified) of each feed, sitemap, listing and start
    # page as last read by a walk that finished: sent back as If-None-Match and
    # If-Modified-Since, so that an unchanged page costs a 304 instead of its bytes.
    db.table("conditional_validators").create(
        {"url": str, "etag": str, "last_modified": str, "updated_at": str},
        pk="url",
        not_null={"updated_at"},
    )
