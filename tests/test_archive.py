"""The SQLite archive, on real database files."""

from __future__ import annotations

import json
import os
import sqlite3
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from datasette.utils import detect_fts
from sqlite_utils import Database

from newscrawl.archive import Archive, SaveOutcome, content_hash, migrations
from newscrawl.archive.failures import errors_as_archive_error
from newscrawl.errors import ArchiveError
from newscrawl.items import Article, Link
from tests.conftest import ARTICLE_FETCHED_AT, ARTICLE_READ_ALSO_URL, ARTICLE_URL, make_article

KYIV = timezone(timedelta(hours=3))
T0 = ARTICLE_FETCHED_AT
URL = ARTICLE_URL
# make_article's read-also link points to it.
OTHER_URL = ARTICLE_READ_ALSO_URL


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "news.db") as opened:
        yield opened


def article_row(archive: Archive, url: str = URL) -> dict[str, Any]:
    return next(archive.db.table("articles").rows_where("url = ?", [url]))


def rows(archive: Archive, sql: str, params: list[Any] | None = None) -> list[dict[str, Any]]:
    return list(archive.db.query(sql, params or []))


# --- schema -------------------------------------------------------------------


def test_tables_have_exactly_the_documented_columns(archive: Archive) -> None:
    columns = {name: archive.db.table(name).columns_dict for name in archive.db.table_names()}
    assert list(columns["articles"]) == [
        "id",
        "url",
        "site",
        "language",
        "headline",
        "summary",
        "body",
        "published_at",
        "published_source",
        "authors",
        "section",
        "tags",
        "views",
        "fetched_at",
        "alternates",
        "content_hash",
        "first_seen_at",
        "last_seen_at",
        "warc_file",
        "warc_offset",
        "modified_at",
        "content_first_seen_at",
        "parser",
        "fallback_fields",
    ]
    assert list(columns["article_versions"]) == [
        "article_id",
        "version",
        "content_hash",
        "headline",
        "summary",
        "body",
        "published_at",
        "first_seen_at",
        "last_seen_at",
        "warc_file",
        "warc_offset",
    ]
    assert archive.db.table("article_versions").pks == ["article_id", "version"]
    assert list(columns["links"]) == [
        "article_id",
        "position",
        "kind",
        "url",
        "title",
        "shown_at",
        "views",
        "target_article_id",
    ]
    assert list(columns["view_snapshots"]) == ["url", "observed_at", "views", "seen_on"]
    assert archive.db.table("articles").pks == ["id"]
    assert archive.db.table("links").pks == ["article_id", "kind", "position"]
    foreign_keys = {(fk.column, fk.other_table) for fk in archive.db.table("links").foreign_keys}
    assert foreign_keys == {("article_id", "articles"), ("target_article_id", "articles")}


def test_queries_have_their_indexes(archive: Archive) -> None:
    def indexes(table: str) -> dict[tuple[str, ...], bool]:
        return {tuple(i.columns): bool(i.unique) for i in archive.db.table(table).indexes}

    assert indexes("articles")[("url",)] is True
    assert ("content_hash",) in indexes("articles")
    assert ("site", "published_at") in indexes("articles")
    assert ("url",) in indexes("links")
    assert ("target_article_id",) in indexes("links")
    assert next(k for k in indexes("view_snapshots") if k[:2] == ("url", "observed_at"))


def test_known_url_lookup_uses_the_url_index(archive: Archive) -> None:
    plan = archive.db.execute(
        "EXPLAIN QUERY PLAN SELECT url FROM articles WHERE url IN (SELECT value FROM json_each(?))",
        ["[]"],
    ).fetchall()
    assert any("USING COVERING INDEX idx_articles_url" in step[-1] for step in plan)


def test_archive_is_in_wal_mode(archive: Archive) -> None:
    assert archive.db.journal_mode == "wal"


def test_opening_twice_applies_migrations_once(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "dir" / "news.db"
    with Archive(path) as first:
        first.save(make_article())
    with Archive(path) as second:
        applied = rows(second, "SELECT name FROM _sqlite_migrations")
        assert [r["name"] for r in applied] == [m.name for m in migrations._migrations]
        assert second.known_urls([URL]) == {URL}


def test_the_provenance_migration_upgrades_an_existing_archive(tmp_path: Path) -> None:
    """An archive made before provenance: its rows say no parser and no fallback field."""
    path = tmp_path / "news.db"
    old = Database(path)
    migrations.apply(old, stop_before="m010_provenance")
    seen = T0.isoformat()
    old.table("articles").insert(
        {"url": URL, "site": "unn.ua", "headline": "Before provenance", "fetched_at": seen,
         "content_hash": "old", "first_seen_at": seen, "last_seen_at": seen}
    )  # fmt: skip
    old.table("crawl_runs").insert(
        {"spider": "unn", "started_at": T0.isoformat(), "exit_code": 0, "share_views": 1.0}
    )
    old.close()
    with Archive(path) as upgraded:
        (row,) = rows(upgraded, "SELECT headline, parser, fallback_fields FROM articles")
        assert row == {"headline": "Before provenance", "parser": None, "fallback_fields": "[]"}
        (run,) = rows(
            upgraded, "SELECT share_views, share_fallback, fallback_shares FROM crawl_runs"
        )
        assert run == {"share_views": 1.0, "share_fallback": None, "fallback_shares": None}
        # The next fetch of the old row records who made it.
        later = T0 + timedelta(hours=1)
        upgraded.save(make_article(fetched_at=later, parser="unn/2", fallback_fields=["body"]))
        row = article_row(upgraded)
        assert (row["parser"], json.loads(row["fallback_fields"])) == ("unn/2", ["body"])


def test_two_archives_on_one_file_see_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    with Archive(path) as writer, Archive(path, read_only=True) as reader:
        assert reader.known_urls([URL]) == set()
        writer.save(make_article())
        assert reader.known_urls([URL]) == {URL}


# --- full-text search -----------------------------------------------------------


def test_full_text_search_finds_ukrainian_and_english_words(archive: Archive) -> None:
    archive.save(make_article())
    archive.save(make_article(OTHER_URL, headline="Weather", body="Sunny in Lviv. " * 10))

    def found(query: str) -> list[str]:
        return [r["url"] for r in archive.db.table("articles").search(query)]

    assert found("київ") == [URL]
    assert found("КИЇВ") == [URL]
    assert found("станції") == [URL]
    assert found("budget") == [URL]
    assert found("lviv") == [OTHER_URL]


def test_full_text_index_follows_content_updates(archive: Archive) -> None:
    archive.save(make_article())
    archive.save(make_article(body="Оновлений текст про Одесу. " * 5, fetched_at=T0 + timedelta(1)))
    assert [r["url"] for r in archive.db.table("articles").search("одесу")] == [URL]
    assert list(archive.db.table("articles").search("станції")) == []


def test_datasette_detects_the_full_text_index(archive: Archive) -> None:
    assert detect_fts(archive.db.conn, "articles") == "articles_fts"


# --- saving -----------------------------------------------------------------------


def test_save_reports_new_unchanged_and_updated(archive: Archive) -> None:
    assert archive.save(make_article()) is SaveOutcome.NEW
    later = T0 + timedelta(hours=2)
    assert archive.save(make_article(fetched_at=later, views=150)) is SaveOutcome.UNCHANGED
    changed = make_article(fetched_at=later, headline="Kyiv metro: green line delayed")
    assert archive.save(changed) is SaveOutcome.UPDATED
    assert archive.db.table("articles").count == 1


def test_new_article_row_holds_every_field(archive: Archive) -> None:
    article = make_article()
    archive.save(article)
    row = article_row(archive)
    assert row["site"] == "unn.ua"
    assert row["published_at"] == "2024-05-01T11:30:00+03:00"
    assert row["fetched_at"] == row["first_seen_at"] == row["last_seen_at"]
    assert row["fetched_at"] == "2024-05-01T09:00:00+00:00"
    assert row["authors"] == '["Olena Petrenko"]'
    assert row["tags"] == '["Kyiv", "metro"]'
    assert row["alternates"] == '{"uk": "https://unn.ua/news/kyiv-metro"}'
    assert row["views"] == 120
    assert row["content_hash"] == content_hash(article)


def test_the_row_records_the_parser_and_the_fields_from_its_fallback(archive: Archive) -> None:
    archive.save(make_article(parser="unn/2", fallback_fields=["body", "read_also"]))
    row = article_row(archive)
    assert row["parser"] == "unn/2"
    assert json.loads(row["fallback_fields"]) == ["body", "read_also"]
    archive.save(make_article(OTHER_URL, parser="generic/5"))
    assert article_row(archive, OTHER_URL)["fallback_fields"] == "[]"


def test_unchanged_article_only_moves_last_seen_views_and_fetched_at(archive: Archive) -> None:
    archive.save(make_article())
    before = article_row(archive)
    later = datetime(2024, 5, 2, 12, 0, tzinfo=KYIV)
    archive.save(make_article(fetched_at=later, views=300))
    after = article_row(archive)
    changed = {key for key in before if before[key] != after[key]}
    assert changed == {"last_seen_at", "views", "fetched_at"}
    assert after["last_seen_at"] == after["fetched_at"] == "2024-05-02T09:00:00+00:00"
    assert after["first_seen_at"] == before["first_seen_at"]
    assert after["views"] == 300


def test_unchanged_article_without_a_view_count_keeps_the_last_one(archive: Archive) -> None:
    archive.save(make_article())
    archive.save(make_article(fetched_at=T0 + timedelta(hours=1), views=None))
    assert article_row(archive)["views"] == 120


def test_an_older_observation_does_not_roll_back_views(archive: Archive) -> None:
    archive.save(make_article(views=500))
    archive.save(make_article(fetched_at=T0 - timedelta(days=1), views=10))
    row = article_row(archive)
    assert row["views"] == 500
    assert row["fetched_at"] == row["last_seen_at"] == "2024-05-01T09:00:00+00:00"
    assert row["first_seen_at"] == "2024-04-30T09:00:00+00:00"


def test_updated_article_replaces_content_and_links(archive: Archive) -> None:
    archive.save(make_article())
    first_seen = article_row(archive)["first_seen_at"]
    new_links = [Link(kind="inline", url="https://example.com/new", position=0)]
    updated = make_article(
        fetched_at=T0 + timedelta(days=1),
        body="A rewritten body. " * 10,
        links=new_links,
        related=[],
    )
    assert archive.save(updated) is SaveOutcome.UPDATED
    row = article_row(archive)
    assert row["body"] == updated.body
    assert row["content_hash"] == content_hash(updated)
    assert row["first_seen_at"] == first_seen
    links = rows(archive, "SELECT kind, position, url FROM links")
    assert links == [{"kind": "inline", "position": 0, "url": "https://example.com/new"}]


def test_links_hold_body_links_and_related_cards(archive: Archive) -> None:
    archive.save(make_article(links=[replace(make_article().links[0], shown_at=T0)]))
    links = rows(archive, "SELECT * FROM links ORDER BY kind, position")
    assert [(link["kind"], link["position"], link["url"]) for link in links] == [
        ("read_also", 0, OTHER_URL),
        ("related", 0, "https://unn.ua/en/news/r1"),
        ("related", 1, "https://unn.ua/en/news/r2"),
    ]
    assert links[0]["shown_at"] == "2024-05-01T09:00:00+00:00"
    assert links[1]["views"] == 7
    assert {link["article_id"] for link in links} == {article_row(archive)["id"]}


def test_target_is_filled_when_the_linked_article_comes_later(archive: Archive) -> None:
    archive.save(make_article())
    assert rows(archive, "SELECT target_article_id FROM links WHERE url = ?", [OTHER_URL]) == [
        {"target_article_id": None}
    ]
    archive.save(make_article(OTHER_URL, headline="Other", links=[], related=[]))
    other_id = article_row(archive, OTHER_URL)["id"]
    assert rows(archive, "SELECT target_article_id FROM links WHERE url = ?", [OTHER_URL]) == [
        {"target_article_id": other_id}
    ]


def test_target_is_filled_when_the_linked_article_came_first(archive: Archive) -> None:
    archive.save(make_article(OTHER_URL, headline="Other", links=[], related=[]))
    archive.save(make_article())
    other_id = article_row(archive, OTHER_URL)["id"]
    targets = {r["url"]: r["target_article_id"] for r in rows(archive, "SELECT * FROM links")}
    assert targets.pop(OTHER_URL) == other_id
    assert set(targets.values()) == {None}


def test_every_observation_adds_view_snapshots(archive: Archive) -> None:
    archive.save(make_article())
    archive.save(
        make_article(fetched_at=T0 + timedelta(hours=1), views=130), seen_on="https://unn.ua/"
    )
    snapshots = rows(archive, "SELECT * FROM view_snapshots ORDER BY observed_at, url")
    assert snapshots == [
        {"url": URL, "observed_at": "2024-05-01T09:00:00+00:00", "views": 120, "seen_on": URL},
        {
            "url": "https://unn.ua/en/news/r1",
            "observed_at": "2024-05-01T09:00:00+00:00",
            "views": 7,
            "seen_on": URL,
        },
        {
            "url": URL,
            "observed_at": "2024-05-01T10:00:00+00:00",
            "views": 130,
            "seen_on": "https://unn.ua/",
        },
        {
            "url": "https://unn.ua/en/news/r1",
            "observed_at": "2024-05-01T10:00:00+00:00",
            "views": 7,
            "seen_on": URL,
        },
    ]


def test_saving_the_same_observation_twice_adds_no_snapshot(archive: Archive) -> None:
    archive.save(make_article())
    archive.save(make_article())
    assert archive.db.table("view_snapshots").count == 2


def test_add_view_snapshot_records_a_listing_observation(archive: Archive) -> None:
    archive.add_view_snapshot(URL, datetime(2024, 5, 1, 12, 0, tzinfo=KYIV), 42, "https://unn.ua/")
    assert rows(archive, "SELECT * FROM view_snapshots") == [
        {
            "url": URL,
            "observed_at": "2024-05-01T09:00:00+00:00",
            "views": 42,
            "seen_on": "https://unn.ua/",
        }
    ]


# --- reads ------------------------------------------------------------------------


def test_known_urls_names_the_archived_ones(archive: Archive) -> None:
    archive.save(make_article())
    candidates = [f"https://unn.ua/en/news/{i}" for i in range(5000)]
    assert archive.known_urls([*candidates, URL, URL]) == {URL}
    assert archive.known_urls(u for u in [URL]) == {URL}
    assert archive.known_urls([]) == set()


def test_first_seen_times_of_the_archived_urls(archive: Archive) -> None:
    archive.save(make_article())  # first seen at T0
    archive.save(make_article(OTHER_URL, fetched_at=(T0 + timedelta(hours=1)).astimezone(KYIV)))
    never = "https://unn.ua/en/news/never-archived"
    times = archive.first_seen_times([URL, OTHER_URL, never])
    # Instants, whatever offset they were fetched in: they compare with any aware time.
    assert times == {URL: T0, OTHER_URL: T0 + timedelta(hours=1)}
    assert archive.known_urls([URL, OTHER_URL, never]) == {URL, OTHER_URL}


def test_an_unfinished_walk_keeps_its_earliest_start_until_it_finishes(archive: Archive) -> None:
    assert archive.unfinished_crawl_start("unn", "unn.ua") is None
    archive.note_crawl_started("unn", "unn.ua", T0)
    archive.note_crawl_started("unn", "unn.ua", T0 + timedelta(hours=1))  # killed again
    archive.note_crawl_started("news", "example.com", T0 + timedelta(hours=2))
    assert archive.unfinished_crawl_start("unn", "unn.ua") == T0
    archive.note_crawl_finished("unn", "unn.ua")
    assert archive.unfinished_crawl_start("unn", "unn.ua") is None
    assert archive.unfinished_crawl_start("news", "example.com") == T0 + timedelta(hours=2)


def test_url_with_content_finds_the_archived_copy(archive: Archive) -> None:
    article = make_article()
    archive.save(article)
    assert archive.url_with_content(content_hash(article)) == URL
    assert archive.url_with_content("0" * 64) is None


def test_content_hash_ignores_views_fetch_time_links_and_spacing() -> None:
    article = make_article()
    same = make_article(
        views=999,
        fetched_at=T0 + timedelta(days=3),
        links=[],
        related=[],
        headline="  Kyiv metro   extends\nthe green line ",
        published_at=datetime(2024, 5, 1, 8, 30, tzinfo=UTC),  # the same instant
    )
    assert content_hash(article) == content_hash(same)
    assert content_hash(article) != content_hash(make_article(body="Different."))
    assert content_hash(article) != content_hash(make_article(published_at=T0))
    assert content_hash(article) != content_hash(make_article(summary=None))


# --- errors -----------------------------------------------------------------------


def test_writing_a_read_only_archive_raises_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    Archive(path).close()
    with Archive(path, read_only=True) as archive, pytest.raises(ArchiveError) as raised:
        archive.save(make_article())
    assert str(path) in str(raised.value)
    assert "read-only" in str(raised.value)


@pytest.mark.skipif(
    hasattr(os, "geteuid") and os.geteuid() == 0,
    reason="root ignores file permissions; the read-only URI test covers the error path",
)
def test_a_read_only_file_raises_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    Archive(path).close()
    path.chmod(0o444)
    tmp_path.chmod(0o555)
    try:
        with pytest.raises(ArchiveError, match="read-only"), Archive(path) as archive:
            archive.save(make_article())
    finally:
        tmp_path.chmod(0o755)
        path.chmod(0o644)


def test_a_full_disk_raises_archive_error_and_stores_nothing(archive: Archive) -> None:
    archive.save(make_article(OTHER_URL, links=[], related=[]))
    # max_page_count makes SQLite report SQLITE_FULL exactly as a full disk does.
    pages = archive.db.execute("PRAGMA page_count").fetchone()[0]
    archive.db.execute(f"PRAGMA max_page_count = {pages}")
    big = make_article(body="Дуже довгий текст. " * 20000)
    with pytest.raises(ArchiveError, match="disk is full") as raised:
        archive.save(big)
    assert str(archive.path) in str(raised.value)
    # The failed transaction left no article without links, nor links without article.
    assert archive.known_urls([URL]) == set()
    assert rows(archive, "SELECT count(*) AS n FROM links") == [{"n": 0}]


def test_an_unopenable_path_raises_archive_error(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a directory should be")
    with pytest.raises(ArchiveError, match="not-a-dir"):
        Archive(blocker / "news.db")


def test_a_file_that_is_not_a_database_raises_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "news.db"
    path.write_bytes(b"this is not sqlite, just text " * 100)
    with pytest.raises(ArchiveError, match="not a SQLite database"):
        Archive(path)


def test_opening_a_missing_archive_read_only_raises_archive_error(tmp_path: Path) -> None:
    path = tmp_path / "missing.db"
    with pytest.raises(ArchiveError, match=r"missing\.db"):
        Archive(path, read_only=True)
    assert not path.exists()


def test_bugs_in_sql_are_not_disguised_as_archive_errors(archive: Archive) -> None:
    with pytest.raises(sqlite3.OperationalError), errors_as_archive_error(archive.path, "read"):
        archive.db.execute("SELECT no_such_column FROM articles")


# --- batches ------------------------------------------------------------------------------


def _dump(archive: Archive) -> dict[str, list[tuple[Any, ...]]]:
    return {
        table: sorted(map(tuple, archive.db.execute(f"SELECT * FROM {table}").fetchall()), key=str)
        for table in ("articles", "links", "view_snapshots", "article_versions")
    }


def _observations() -> list[Article]:
    """New articles linking each other, a revisit, an edit and an older re-parse."""
    other = "https://unn.ua/en/news/other"
    return [
        make_article(),
        make_article(other, body="Another story entirely. " * 10),
        make_article(fetched_at=T0 + timedelta(hours=1), views=300),
        make_article(fetched_at=T0 + timedelta(hours=2), headline="Kyiv metro: new line"),
        make_article(other, fetched_at=T0 - timedelta(hours=1), body="Earlier text. " * 10),
    ]


def test_save_many_stores_exactly_what_separate_saves_store(tmp_path: Path) -> None:
    with Archive(tmp_path / "one.db") as one, Archive(tmp_path / "many.db") as many:
        outcomes = [one.save(article) for article in _observations()]
        assert many.save_many(_observations()) == outcomes
        assert _dump(many) == _dump(one)
        assert many.pending_writes == 0


def test_a_failed_save_in_a_batch_leaves_the_others_and_nothing_of_itself(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    with Archive(db) as archive:
        archive.begin_batch()
        archive.save(make_article())
        bad = make_article("https://unn.ua/en/news/bad")
        # A link whose kind breaks the NOT NULL constraint fails the save half-way,
        # after its article row is written.
        bad.links = [Link(kind=None, url=URL)]  # type: ignore[arg-type]
        with pytest.raises(sqlite3.IntegrityError):
            archive.save(bad)
        archive.save(make_article("https://unn.ua/en/news/third", body="Third story. " * 10))
        with Archive(db, read_only=True) as reader:
            assert rows(reader, "SELECT url FROM articles") == []  # not committed yet
        archive.commit_batch()
    with Archive(db, read_only=True) as reader:
        urls = {row["url"] for row in rows(reader, "SELECT url FROM articles")}
        assert urls == {URL, "https://unn.ua/en/news/third"}
        assert (
            rows(reader, "SELECT * FROM links WHERE article_id NOT IN (SELECT id FROM articles)")
            == []
        )


def test_a_batch_that_raises_is_rolled_back(archive: Archive) -> None:
    with pytest.raises(RuntimeError), archive.batch():
        archive.save(make_article())
        raise RuntimeError("stop")
    assert rows(archive, "SELECT * FROM articles") == []
    assert archive.pending_writes == 0


# --- removing what was added ------------------------------------------------------------


def test_removing_the_articles_after_an_id_restores_the_archive(archive: Archive) -> None:
    archive.save(make_article())
    archive.save(make_article(fetched_at=T0 + timedelta(hours=1), headline="Kyiv metro: delay"))
    before = _dump(archive)
    last_id = article_row(archive)["id"]
    # The read-also target arrives, with snapshots of its own and seen on it, and a version.
    for hours, body in ((0, "First. " * 30), (2, "Second. " * 30)):
        later = T0 + timedelta(hours=hours)
        archive.save(make_article(OTHER_URL, fetched_at=later, body=body, links=[], related=[]))
    archive.add_view_snapshot(URL, T0 + timedelta(hours=3), 500, OTHER_URL)
    assert rows(archive, "SELECT target_article_id FROM links WHERE url = ?", [OTHER_URL]) == [
        {"target_article_id": article_row(archive, OTHER_URL)["id"]}
    ]
    archive.remove_articles_after(last_id)
    assert _dump(archive) == before
