"""The analyst's desk through Datasette's own client: metadata, search and every canned query.

The archive comes from two real crawls of the demo site (tests/analyst_archive.py);
what each query should return is computed from the demo stories and what the
mirror served, never from the queries themselves.
"""

from __future__ import annotations

import asyncio
import html
import json
import re
from collections import Counter, defaultdict
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import pytest
from datasette.app import Datasette
from sqlite_utils import Database

from newscrawl.archive import Archive, migrations
from newscrawl.crawler.completeness import COMPLETENESS_FIELDS
from newscrawl.datasette.server import metadata
from newscrawl.runs.health import site_health
from newscrawl.testing.demo import Story, Version, demo_stories
from tests.analyst_archive import VIEWS_GAIN, AnalystArchive
from tests.conftest import rows

pytestmark = pytest.mark.e2e

STORIES = demo_stories()
VERSIONS = [v for s in STORIES for v in s.versions.values()]
BY_URL = {v.url: v for v in VERSIONS}
STORY_OF = {v.url: s for s in STORIES for v in s.versions.values()}
SITE = "unn.ua"
ALL_TIME = {"since": "2000-01-01"}


@pytest.fixture(scope="module")
def archive(analyst_archive: AnalystArchive) -> AnalystArchive:
    """The session's analyst archive (tests/conftest.py), which these tests only read."""
    return analyst_archive


def get(db: Path, path: str, *, status: int = 200) -> Any:
    """GET `path` from Datasette serving `db` with the project's metadata; the JSON body."""

    async def fetch() -> Any:
        ds = Datasette([str(db)], metadata=metadata(db.stem))
        return await ds.client.get(path)

    response = asyncio.run(fetch())
    assert response.status_code == status, response.text[:2000]
    return response.json()


def query(db: Path, name: str, **params: str) -> list[dict[str, Any]]:
    """The rows of canned query `name` as dicts, with `params` filled in."""
    qs = urlencode({**params, "_shape": "objects"})
    data = get(db, f"/{db.stem}/{name}.json?{qs}")
    return list(data["rows"])


def ids_by_url(db: Path) -> dict[str, int]:
    return {row["url"]: row["id"] for row in rows(db, "SELECT id, url FROM articles")}


def headline(archive: AnalystArchive, version: Version) -> str:
    return archive.edited_headline if version == archive.edited else version.headline


def text_words(archive: AnalystArchive, version: Version) -> set[str]:
    """The case-folded words of what the search index covers: headline, summary and body."""
    text = f"{headline(archive, version)} {version.summary} {version.body}"
    return set(re.findall(r"\w+", text.casefold()))


def published_between(first: date, last: date) -> list[Version]:
    """The versions published on these site-calendar days (inclusive)."""
    return [v for v in VERSIONS if first <= v.published_at.date() <= last]


def newest_day() -> date:
    return max(v.published_at.date() for v in VERSIONS)


def chart_links() -> Iterator[tuple[str, dict[str, str]]]:
    """(query name, chart settings) for each "Chart:" link in the query descriptions."""
    queries = metadata()["databases"]["news"]["queries"]
    for name, spec in queries.items():
        for href in re.findall(r'href="#([^"]+)"', spec.get("description_html", "")):
            yield name, dict(parse_qsl(html.unescape(href)))


# --- metadata -------------------------------------------------------------------------


def test_every_table_and_column_is_described(archive: AnalystArchive) -> None:
    data = get(archive.db, "/news.json")
    described = metadata()["databases"]["news"]["tables"]
    tables = [t for t in data["tables"] if not t["name"].startswith("articles_fts_")]
    assert {"articles", "links", "view_snapshots", "article_versions", "crawl_runs"} <= {
        t["name"] for t in tables
    }
    for table in tables:
        spec = described.get(table["name"])
        assert spec and spec.get("description"), f"{table['name']} has no description"
        missing = set(table["columns"]) - set(spec.get("columns", {}))
        assert not missing, f"{table['name']}: undescribed columns {sorted(missing)}"
        assert all(spec["columns"].values())


def test_title_description_and_licence_are_served(archive: AnalystArchive) -> None:
    served = get(archive.db, "/-/metadata.json")
    assert served["title"] and served["license"] and served["description_html"]
    assert "UTC" in served["description_html"]


def test_articles_default_to_newest_first_with_facets(archive: AnalystArchive) -> None:
    data = get(archive.db, "/news/articles.json?_shape=objects&_size=3")
    newest = max(v.published_at for v in VERSIONS)
    assert data["rows"][0]["published_at"] == newest.isoformat()
    facets = data["facet_results"]
    assert {"site", "language", "section", "authors", "parser", "fallback_fields"} <= set(facets)
    languages = {r["value"]: r["count"] for r in facets["language"]["results"]}
    assert languages == Counter(v.language for v in VERSIONS)
    authors = {r["value"]: r["count"] for r in facets["authors"]["results"]}
    assert authors == Counter(name for v in VERSIONS for name in v.authors)
    assert {r["value"] for r in facets["site"]["results"]} == {SITE}


def test_links_are_faceted_by_kind(archive: AnalystArchive) -> None:
    data = get(archive.db, "/news/links.json?_size=0")
    kinds = {r["value"]: r["count"] for r in data["facet_results"]["kind"]["results"]}
    assert kinds == {
        "read_also": sum(len(STORY_OF[v.url].read_also(v.language)) for v in VERSIONS),
        "inline": sum(len(v.inline_links()) for v in VERSIONS),
        "related": sum(len(STORY_OF[v.url].related(v.language)) for v in VERSIONS),
    }


# --- search ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "word",
    [
        "Ужгорода",  # Ukrainian
        "hryvnia",  # English
        "п'ятницю",  # Ukrainian with an apostrophe, which FTS5's own syntax rejects
        "кол-центру",  # a hyphenated word
    ],
)
def test_search_box_finds_a_word_in_any_case(archive: AnalystArchive, word: str) -> None:
    expected = {
        v.url
        for v in VERSIONS
        if set(re.findall(r"\w+", word.casefold())) <= text_words(archive, v)
    }
    assert expected
    for typed in (word, word.upper()):
        data = get(archive.db, "/news/articles.json?" + urlencode({"_search": typed}))
        urls = {row[data["columns"].index("url")] for row in data["rows"]}
        assert urls == expected, typed


def test_search_query_takes_prefixes_and_shows_snippets(archive: AnalystArchive) -> None:
    found = query(archive.db, "search", q="києв*")
    expected = {
        v.url for v in VERSIONS if any(w.startswith("києв") for w in text_words(archive, v))
    }
    assert expected
    assert {row["url"] for row in found} == expected
    for row in found:
        assert re.search(r"\[києв\w*\]", row["snippet"], re.IGNORECASE), row["snippet"]
    assert query(archive.db, "search", q="") == []


# --- canned queries -------------------------------------------------------------------


def test_every_canned_query_answers_with_its_defaults(archive: AnalystArchive) -> None:
    listed = {q["name"] for q in get(archive.db, "/news.json")["queries"]}
    names = set(metadata()["databases"]["news"]["queries"])
    assert listed == names
    for name in sorted(names - {"search"}):
        assert query(archive.db, name), f"{name} returned no rows with its defaults"


@pytest.mark.parametrize(("name", "chart"), list(chart_links()))
def test_chart_links_name_columns_the_query_returns(
    archive: AnalystArchive, name: str, chart: dict[str, str]
) -> None:
    columns = get(archive.db, f"/news/{name}.json")["columns"]
    for key in ("g.x_column", "g.y_column", "g.color_column"):
        if key in chart:
            assert chart[key] in columns, (name, key)


def test_most_viewed_ranks_a_date_range_by_latest_views(archive: AnalystArchive) -> None:
    found = query(archive.db, "most_viewed", since="2024-06-01", until="2024-07-12")
    expected = sorted(
        published_between(date(2024, 6, 1), date(2024, 7, 12)), key=lambda v: -v.views
    )
    assert [r["url"] for r in found] == [v.url for v in expected]
    # Every article was seen again by the second run, which showed the grown counts.
    assert [r["views"] for r in found] == [v.views + VIEWS_GAIN for v in expected]
    assert all(r["views_observed_at"] >= archive.second_run_started.isoformat() for r in found)


def test_most_viewed_defaults_to_the_archives_newest_week(archive: AnalystArchive) -> None:
    week = published_between(newest_day() - timedelta(days=6), newest_day())
    expected = [v.url for v in sorted(week, key=lambda v: -v.views)]
    assert [r["url"] for r in query(archive.db, "most_viewed")] == expected
    english = query(archive.db, "most_viewed", language="en", site=SITE)
    assert [r["url"] for r in english] == [u for u in expected if BY_URL[u].language == "en"]
    assert query(archive.db, "most_viewed", site="example.org") == []


def test_fastest_growing_finds_the_gain_between_the_runs(archive: AnalystArchive) -> None:
    found = query(archive.db, "fastest_growing", hours="24")
    assert {r["url"] for r in found} == set(BY_URL)
    for row in found:
        version = BY_URL[row["url"]]
        assert (row["views_before"], row["views_after"], row["gain"]) == (
            version.views,
            version.views + VIEWS_GAIN,
            VIEWS_GAIN,
        )
        assert row["gain_per_hour"] > 0
    assert query(archive.db, "fastest_growing") == found


def test_view_history_of_one_article(archive: AnalystArchive) -> None:
    version = archive.edited
    by_id = query(archive.db, "view_history", article=str(ids_by_url(archive.db)[version.url]))
    by_url = query(archive.db, "view_history", article=version.url)
    assert by_id == by_url
    views = [r["views"] for r in by_id]
    assert views == sorted(views)
    assert (views[0], views[-1]) == (version.views, version.views + VIEWS_GAIN)
    assert sum(r["gained"] or 0 for r in by_id) == VIEWS_GAIN
    assert version.url in {r["seen_on"] for r in by_id}
    times = [r["observed_at"] for r in by_id]
    assert times == sorted(times)
    assert times[0] < archive.second_run_started.isoformat() <= times[-1]


def test_view_history_defaults_to_the_most_viewed_article_of_the_week(
    archive: AnalystArchive,
) -> None:
    week = published_between(newest_day() - timedelta(days=6), newest_day())
    top = max(week, key=lambda v: v.views)
    found = query(archive.db, "view_history")
    assert {r["article_id"] for r in found} == {ids_by_url(archive.db)[top.url]}


def test_most_cited_counts_read_also_links_and_names_the_citers(
    archive: AnalystArchive,
) -> None:
    citers: defaultdict[str, set[str]] = defaultdict(set)
    for version in VERSIONS:
        for target in STORY_OF[version.url].read_also(version.language):
            citers[target.url].add(version.url)
    url_of = {i: u for u, i in ids_by_url(archive.db).items()}

    found = query(archive.db, "most_cited", **ALL_TIME)

    assert {r["url"]: {url_of[i] for i in json.loads(r["cited_by_ids"])} for r in found} == citers
    assert all(r["citations"] == len(citers[r["url"]]) for r in found)
    counts = [r["citations"] for r in found]
    assert counts == sorted(counts, reverse=True)
    assert all(r["headline"] == headline(archive, BY_URL[r["url"]]) for r in found)


def test_most_cited_counts_only_links_in_the_date_range(archive: AnalystArchive) -> None:
    since = newest_day() - timedelta(days=29)
    citers: defaultdict[str, set[str]] = defaultdict(set)
    for version in published_between(since, newest_day()):
        for target in STORY_OF[version.url].read_also(version.language):
            citers[target.url].add(version.url)
    found = query(archive.db, "most_cited")
    assert {r["url"]: r["citations"] for r in found} == {u: len(c) for u, c in citers.items()}


def _links_of(version: Version) -> set[tuple[str, str]]:
    story = STORY_OF[version.url]
    return (
        {("read_also", t.url) for t in story.read_also(version.language)}
        | {("inline", t.url) for t, _ in version.inline_links()}
        | {("related", t.url) for t in story.related(version.language)}
    )


def test_crosslink_graph_shows_links_both_ways_with_dates(archive: AnalystArchive) -> None:
    version = next(s for s in STORIES if s.id == "heatwave").versions["en"]
    expected = {("links to", kind, url) for kind, url in _links_of(version)} | {
        ("linked from", kind, other.url)
        for other in VERSIONS
        for kind, url in _links_of(other)
        if url == version.url
    }
    found = query(archive.db, "crosslink_graph", article=version.url)
    assert {(r["direction"], r["kind"], r["url"]) for r in found} == expected
    for row in found:
        other = BY_URL[row["url"]]
        assert row["published_at"] == other.published_at.isoformat()
        if row["direction"] == "links to" and row["kind"] != "inline":
            # Read-also inserts and related cards show the target's publication time.
            assert row["shown_at"] == other.published_at.isoformat()
    only_read_also = query(archive.db, "crosslink_graph", article=version.url, kind="read_also")
    assert {r["kind"] for r in only_read_also} == {"read_also"}


def test_crosslink_graph_defaults_to_the_newest_article_with_read_also(
    archive: AnalystArchive,
) -> None:
    ids = ids_by_url(archive.db)
    newest = max(ids[v.url] for v in VERSIONS if STORY_OF[v.url].read_also(v.language))
    url = next(u for u, i in ids.items() if i == newest)
    assert query(archive.db, "crosslink_graph") == query(archive.db, "crosslink_graph", article=url)


def test_daily_volume_counts_articles_per_day_site_and_language(
    archive: AnalystArchive,
) -> None:
    found = query(archive.db, "daily_volume", **ALL_TIME)
    assert {(r["day"], r["site"], r["language"]): r["articles"] for r in found} == Counter(
        (v.published_at.date().isoformat(), SITE, v.language) for v in VERSIONS
    )
    days = [r["day"] for r in found]
    assert days == sorted(days, reverse=True)
    recent = query(archive.db, "daily_volume")
    assert {r["day"] for r in recent} == {
        v.published_at.date().isoformat()
        for v in published_between(newest_day() - timedelta(days=29), newest_day())
    }


def test_translations_list_each_multilingual_story_once(archive: AnalystArchive) -> None:
    found = query(archive.db, "translations", **ALL_TIME)
    stories: list[Story] = [STORY_OF[r["url"]] for r in _with_urls(archive, found)]
    assert sorted(s.id for s in stories) == sorted(s.id for s in STORIES if len(s.versions) > 1)
    for row, story in zip(_with_urls(archive, found), stories, strict=True):
        assert row["languages"] == ", ".join(sorted(story.versions))
        assert row["archived_versions"] == len(story.versions)
        others = json.loads(row["other_versions"])
        assert set(others) == set(story.versions) - {row["language"]}
        assert all(others[lang] == headline(archive, story.versions[lang]) for lang in others)


def _with_urls(archive: AnalystArchive, found: list[dict[str, Any]]) -> list[dict[str, Any]]:
    url_of = {i: u for u, i in ids_by_url(archive.db).items()}
    return [{**row, "url": url_of[row["article_id"]]} for row in found]


def test_what_changed_shows_the_versions_side_by_side(archive: AnalystArchive) -> None:
    version = archive.edited
    found = query(archive.db, "what_changed", article=version.url)
    assert [(r["version"], r["status"], r["headline"]) for r in found] == [
        (1, "superseded", version.headline),
        (2, "current", archive.edited_headline),
    ]
    assert found[1]["changed"] == "headline"
    assert found[0]["last_seen_at"] < archive.second_run_started.isoformat()
    assert found[1]["first_seen_at"] >= archive.second_run_started.isoformat()
    # By default: the article that changed most recently, here the only one.
    assert query(archive.db, "what_changed") == found


def assert_site_health_matches_newscrawl_status(db: Path) -> list[dict[str, Any]]:
    """The site_health query's rows, checked cell by cell against `newscrawl status`."""
    found = query(db, "site_health")
    health = site_health(db)
    assert [(r["spider"], r["site"]) for r in found] == [(h.spider, h.site) for h in health]
    for row, site in zip(found, health, strict=True):
        assert row["last_run"] == site.last_run["started_at"]
        assert row["result"] == f"ok ({site.last_run['finish_reason']})"
        assert (row["articles_24h"], row["articles_7d"]) == (site.articles_24h, site.articles_7d)
        cells = [(f.name, f.latest, f.average, f.dropped) for f in site.fields]
        jumped = any(item.jumped for item in site.fallback_fields)
        cells.append(("fallback", site.fallback.latest, site.fallback.average, jumped))
        for name, *shares, marked in cells:
            latest, average = row[name].rstrip(" !").split("/")
            for shown, share in zip((latest, average), shares, strict=True):
                if share is None:
                    assert shown == "-", name
                else:
                    assert abs(int(shown) - share * 100) <= 0.5, name
            assert row[name].endswith("!") == marked, name
        assert (row["flags"] is None) == (not site.flags)
    return found


def test_site_health_matches_newscrawl_status(archive: AnalystArchive) -> None:
    assert_site_health_matches_newscrawl_status(archive.db)


def test_site_health_flags_a_jump_to_the_fallback_as_newscrawl_status_does(
    tmp_path: Path,
) -> None:
    # Three weeks of runs whose articles came from the site's rules but for their tags on
    # one in ten, then a run whose body and section all came from the generic fallback.
    db = tmp_path / "news.db"
    now = datetime.now(UTC).replace(microsecond=0)
    with Archive(db) as writer:
        for half_days in range(42, -1, -1):
            shares = {"tags": 0.1} if half_days else {"body": 1.0, "section": 1.0, "tags": 0.1}
            writer.record_run(
                {"spider": "unn", "site": "unn.ua", "exit_code": 0, "finish_reason": "finished",
                 "started_at": (now - timedelta(hours=12 * half_days + 1)).isoformat(),
                 "articles_new": 10, "share_fallback": max(shares.values()),
                 "fallback_shares": json.dumps(shares),
                 **{f"share_{name}": 1.0 for name in COMPLETENESS_FIELDS}}
            )  # fmt: skip
    (row,) = assert_site_health_matches_newscrawl_status(db)
    assert row["fallback"] == "100/10 !"
    assert row["flags"] == (
        "from the generic fallback: body on 100% of the latest articles (usually 0%), "
        "section on 100% (usually 0%)"
    )
    (site,) = site_health(db)
    assert site.flags == [f"{row['flags']}: has the page layout changed?"]


def test_queries_on_tables_an_old_archive_lacks_fail_alone(
    archive: AnalystArchive, tmp_path: Path
) -> None:
    old = tmp_path / "news.db"
    db = Database(old)
    migrations.apply(db, stop_before="m005_versions_and_warc")
    db.close()

    assert {q["name"] for q in get(old, "/news.json")["queries"]} == set(
        metadata()["databases"]["news"]["queries"]
    )
    assert get(old, "/news/most_viewed.json")["rows"] == []
    for name, table in (("what_changed", "article_versions"), ("site_health", "crawl_runs")):
        error = get(old, f"/news/{name}.json", status=400)["error"]
        assert f"no such table: {table}" in error
