"""Article versions: what an article said before it changed, on real archive files."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl.archive import Archive, SaveOutcome, content_hash
from newscrawl.items import Article, Link
from newscrawl.testing.demo import demo_site
from newscrawl.testing.mirror import Resource, serve
from tests.conftest import ARTICLE_FETCHED_AT, ARTICLE_URL, crawl, make_article, rows

T0 = ARTICLE_FETCHED_AT
URL = ARTICLE_URL
HOUR = timedelta(hours=1)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Archive]:
    with Archive(tmp_path / "news.db") as opened:
        yield opened


def versions(archive: Archive) -> list[dict[str, Any]]:
    return list(archive.db.query("SELECT * FROM article_versions ORDER BY version"))


def row(archive: Archive) -> dict[str, Any]:
    return next(archive.db.table("articles").rows_where("url = ?", [URL]))


def at(hours: float, **changes: Any) -> Article:
    """The article as fetched `hours` after T0, from its own WARC record."""
    return make_article(
        fetched_at=T0 + hours * HOUR,
        warc_file="unn-1.warc.gz",
        warc_offset=100 + int(hours * 10),
        **changes,
    )


# --- changes over time ---------------------------------------------------------------------


def test_a_changed_article_keeps_its_old_content_as_a_version(archive: Archive) -> None:
    archive.save(at(0))
    archive.save(at(1))
    assert archive.save(at(2, headline="Green line delayed")) is SaveOutcome.UPDATED
    (old,) = versions(archive)
    original = at(0)
    assert old == {
        "article_id": row(archive)["id"],
        "version": 1,
        "content_hash": content_hash(original),
        "headline": original.headline,
        "summary": original.summary,
        "body": original.body,
        "published_at": "2024-05-01T11:30:00+03:00",
        "first_seen_at": "2024-05-01T09:00:00+00:00",
        "last_seen_at": "2024-05-01T10:00:00+00:00",
        "warc_file": "unn-1.warc.gz",
        "warc_offset": 110,  # the last fetch that showed it
    }
    current = row(archive)
    assert current["headline"] == "Green line delayed"
    assert current["content_first_seen_at"] == "2024-05-01T11:00:00+00:00"
    assert current["first_seen_at"] == "2024-05-01T09:00:00+00:00"
    assert (current["warc_file"], current["warc_offset"]) == ("unn-1.warc.gz", 120)


@pytest.mark.parametrize(
    "change",
    [
        {"headline": "New headline"},
        {"summary": "A new lead."},
        {"body": "A rewritten body of the article, long enough to be one. " * 3},
        {"published_at": datetime(2024, 5, 1, 8, 0, tzinfo=UTC)},
    ],
    ids=["headline", "summary", "body", "published_at"],
)
def test_each_content_field_makes_a_version(archive: Archive, change: dict[str, Any]) -> None:
    archive.save(at(0))
    archive.save(at(1, **change))
    assert len(versions(archive)) == 1


def test_an_unchanged_refetch_makes_no_version(archive: Archive) -> None:
    archive.save(at(0))
    outcome = archive.save(at(1, views=99, authors=["Olena"], tags=["metro"]))
    assert outcome is SaveOutcome.UNCHANGED
    assert versions(archive) == []
    current = row(archive)
    # What is not content still follows the latest fetch.
    assert (current["views"], current["authors"], current["tags"]) == (99, '["Olena"]', '["metro"]')
    assert current["warc_offset"] == 110


def test_successive_changes_number_the_versions_in_order(archive: Archive) -> None:
    for hours, headline in enumerate(["First", "Second", "Third", "Fourth"]):
        archive.save(at(hours, headline=headline))
    assert [(v["version"], v["headline"]) for v in versions(archive)] == [
        (1, "First"),
        (2, "Second"),
        (3, "Third"),
    ]
    assert [v["first_seen_at"][11:16] for v in versions(archive)] == ["09:00", "10:00", "11:00"]
    assert row(archive)["headline"] == "Fourth"


def test_links_follow_the_latest_fetch(archive: Archive) -> None:
    archive.save(at(0))
    new_links = [Link(kind="inline", url="https://example.com/", position=0)]
    archive.save(at(1, links=new_links, related=[]))
    stored = list(archive.db.query("SELECT kind, url FROM links"))
    assert stored == [{"kind": "inline", "url": "https://example.com/"}]


# --- re-parsing: the same fetches again, and older ones ---------------------------------------


def test_the_same_fetch_parsed_differently_is_corrected_in_place(archive: Archive) -> None:
    archive.save(at(0, headline="Headline as an old parser read it"))
    assert archive.save(at(0)) is SaveOutcome.UPDATED
    assert versions(archive) == []
    assert row(archive)["headline"] == at(0).headline


def test_a_reparse_that_changes_only_the_provenance_updates_it_without_a_version(
    archive: Archive,
) -> None:
    # The same fetch, read again by a fixed parser that no longer needs the fallback
    # for the body, and finds the same text.
    archive.save(at(0, parser="unn/1", fallback_fields=["body", "section"]))
    assert archive.save(at(0, parser="unn/2", fallback_fields=["section"])) is SaveOutcome.UNCHANGED
    assert versions(archive) == []
    assert (row(archive)["parser"], row(archive)["fallback_fields"]) == ("unn/2", '["section"]')
    # A later fetch of the same content by yet another version: still no version.
    assert archive.save(at(1, parser="unn/3")) is SaveOutcome.UNCHANGED
    assert versions(archive) == []
    assert (row(archive)["parser"], row(archive)["fallback_fields"]) == ("unn/3", "[]")


def test_an_older_fetch_leaves_the_provenance_of_the_row(archive: Archive) -> None:
    archive.save(at(5, parser="unn/2"))
    archive.save(at(0, parser="unn/1", fallback_fields=["body"]))
    assert (row(archive)["parser"], row(archive)["fallback_fields"]) == ("unn/2", "[]")


def test_an_older_fetch_never_rolls_the_row_back(archive: Archive) -> None:
    archive.save(at(0))
    archive.save(at(5, headline="Latest", views=500))
    before = row(archive)
    archive.save(at(3, headline="Latest", views=300))  # the current content, seen earlier
    archive.save(at(1, headline="Something else entirely", views=100))
    after = row(archive)
    # Only the current content's span grows back to the earlier sighting.
    assert after.pop("content_first_seen_at") == "2024-05-01T12:00:00+00:00"
    before.pop("content_first_seen_at")
    assert after == before
    assert [v["headline"] for v in versions(archive)] == [
        at(0).headline,
        "Something else entirely",
    ]


def test_an_older_fetch_of_a_new_content_is_inserted_in_time_order(archive: Archive) -> None:
    archive.save(at(0, headline="A"))
    archive.save(at(4, headline="C"))
    archive.save(at(8, headline="D"))
    archive.save(at(2, headline="B"))  # a WARC record from between A and C, replayed late
    assert [(v["version"], v["headline"]) for v in versions(archive)] == [
        (1, "A"),
        (2, "B"),
        (3, "C"),
    ]
    assert row(archive)["headline"] == "D"


def test_an_older_fetch_of_a_known_content_extends_its_span(archive: Archive) -> None:
    archive.save(at(0, headline="A"))
    archive.save(at(4, headline="B"))
    archive.save(at(2, headline="A"))
    (old,) = versions(archive)
    assert (old["headline"], old["last_seen_at"][11:16]) == ("A", "11:00")
    assert old["warc_offset"] == 120
    archive.save(at(3, headline="B"))
    assert row(archive)["content_first_seen_at"][11:16] == "12:00"
    assert len(versions(archive)) == 1


def test_a_version_is_corrected_by_reparsing_the_fetch_it_came_from(archive: Archive) -> None:
    archive.save(at(0, headline="A, misread"))
    archive.save(at(1, headline="B"))
    archive.save(at(0, headline="A"))
    assert [v["headline"] for v in versions(archive)] == ["A"]
    assert versions(archive)[0]["content_hash"] == content_hash(at(0, headline="A"))


def test_replaying_the_same_fetches_changes_nothing(archive: Archive) -> None:
    history = [at(0, headline="A"), at(1, headline="A"), at(2, headline="B"), at(3)]
    for article in history:
        archive.save(article)

    def dump() -> list[list[dict[str, Any]]]:
        return [
            list(archive.db.query(f"SELECT * FROM {table} ORDER BY 1, 2"))
            for table in ("articles", "article_versions", "links", "view_snapshots")
        ]

    before = dump()
    for article in history:
        archive.save(article)
    assert dump() == before


# --- a real crawl of a page that changes ----------------------------------------------------


@pytest.mark.e2e
def test_a_changed_page_makes_exactly_one_version_on_the_next_crawl(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    site = demo_site()
    # Every archived article is due again on every run, whatever its age.
    revisit_all = ["-s", "NEWSCRAWL_REVISITS=100000d:0"]
    with serve(site) as mirror:
        first = crawl(["-a", f"base_url={mirror}", *revisit_all], db)
        assert first.returncode == 0, first.log[-3000:]
        stored = {r["url"]: dict(r) for r in rows(db, "SELECT * FROM articles")}
        path = next(p for p in site if p.startswith("/en/news/"))
        url = f"https://unn.ua{path}"
        old_headline = stored[url]["headline"]
        changed = site[path].body.replace(
            old_headline.encode(), b"Corrected: " + old_headline.encode()
        )
        assert changed != site[path].body
        site[path] = Resource(changed, site[path].content_type)
        second = crawl(["-a", f"base_url={mirror}", *revisit_all], db)
    assert second.returncode == 0, second.log[-3000:]
    assert mirror.hits[path] == 2
    (version,) = rows(db, "SELECT * FROM article_versions")
    assert version["article_id"] == stored[url]["id"]
    assert version["headline"] == old_headline
    assert (version["warc_file"], version["warc_offset"]) == (
        stored[url]["warc_file"],
        stored[url]["warc_offset"],
    )
    now = {r["url"]: dict(r) for r in rows(db, "SELECT * FROM articles")}
    assert now[url]["headline"] == f"Corrected: {old_headline}"
    assert now[url]["warc_file"] != stored[url]["warc_file"]  # the second run's file
    refetched = [u for u in stored if now[u]["last_seen_at"] != stored[u]["last_seen_at"]]
    assert len(refetched) > 10  # the unchanged ones were fetched again, and made no version
