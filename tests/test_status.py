"""`newscrawl status`: per-site health from recorded runs, and flags for cron mail.

The run histories here are written as `crawl_runs` rows, the way weeks of cron
runs would have left them; the command runs as a user would run it.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider, signals
from scrapy.utils.test import get_crawler

from newscrawl.archive import Archive
from newscrawl.crawler.completeness import COMPLETENESS_FIELDS, FieldCompleteness
from newscrawl.runs.verdict import CrawlResult
from newscrawl.testing.outlets import others_switched_off
from tests.conftest import NewscrawlInProcess, make_article
from tests.test_cron import newscrawl

pytestmark = pytest.mark.e2e

NOW = datetime(2024, 9, 1, 12, 0, tzinfo=UTC)
USUAL = {"published_at": 1.0, "views": 0.98, "authors": 0.9, "summary": 1.0, "links": 0.95}


# The usual reading of UNN: its own rules find everything but, on one page in ten, tags.
USUAL_FALLBACK = {"tags": 0.1}


def _run(started: datetime, articles: int, **overrides: Any) -> dict[str, Any]:
    shares: dict[str, Any] = {f"share_{n}": USUAL.get(n, 1.0) for n in COMPLETENESS_FIELDS}
    shares["share_fallback"] = max(USUAL_FALLBACK.values())
    shares["fallback_shares"] = json.dumps(USUAL_FALLBACK)
    return {
        "spider": "unn",
        "site": "unn.ua",
        "started_at": started.isoformat(),
        "finished_at": (started + timedelta(minutes=3)).isoformat(),
        "finish_reason": "finished",
        "exit_code": 0,
        "pages_fetched": articles + 5,
        "articles_new": articles,
        "articles_updated": 0,
        "articles_unchanged": 0,
        "duplicates": 0,
        "dropped": 0,
        "errors": 0,
        **shares,
        **overrides,
    }


def _archive_with(tmp_path: Path, latest: list[dict[str, Any]]) -> Path:
    """Three weeks of healthy twice-daily runs, then the `latest` runs."""
    db = tmp_path / "news.db"
    with Archive(db) as archive:
        for half_days in range(42, 0, -1):
            archive.record_run(_run(NOW - timedelta(hours=12 * half_days), 10))
        for row in latest:
            archive.record_run(row)
        # Articles published 2 hours, 3 days and 10 days ago.
        for n, age in enumerate((timedelta(hours=2), timedelta(days=3), timedelta(days=10))):
            published = (NOW - age).isoformat()
            archive.db.table("articles").insert(
                {"url": f"https://unn.ua/news/{n}", "site": "unn.ua", "published_at": published,
                 "fetched_at": published, "content_hash": str(n),
                 "first_seen_at": published, "last_seen_at": published}
            )  # fmt: skip
    return db


def _status(db: Path) -> tuple[int, list[str]]:
    done = newscrawl(["status", "--db", str(db)], db.parent, env={"NEWSCRAWL_NOW": NOW.isoformat()})
    assert "Traceback" not in done.stderr
    return done.returncode, done.stdout.splitlines()


def _site_row(lines: list[str]) -> dict[str, str]:
    header = lines[0].split()
    (row,) = [line for line in lines if line.startswith("unn.ua")]
    # "last run" and "result" hold spaces: read the columns after them, from "24h" on.
    after = header[header.index("24h") :]
    return dict(zip(after, row.split()[-len(after) :], strict=True))


def test_a_healthy_site_is_not_flagged(tmp_path: Path) -> None:
    db = _archive_with(tmp_path, [_run(NOW - timedelta(hours=1), 12)])
    code, lines = _status(db)
    assert code == 0, lines
    row = _site_row(lines)
    assert row["24h"] == "1" and row["7d"] == "2"
    assert row["views"] == "98/98" and row["authors"] == "90/90"
    assert row["fallback"] == "10/10"
    assert "No problems flagged." in lines


def test_a_field_that_vanishes_is_flagged_as_a_layout_change(tmp_path: Path) -> None:
    # Views on 98% of pages for three weeks, then on none: the counter moved.
    db = _archive_with(tmp_path, [_run(NOW - timedelta(hours=1), 12, share_views=0.0)])
    code, lines = _status(db)
    assert code == 1
    assert _site_row(lines)["views"] == "0/98!"
    assert (
        "FLAG unn.ua: views on 0% of the latest articles, 98% before: has the page layout changed?"
    ) in lines
    # The other fields are as usual and not flagged.
    assert sum(line.startswith("FLAG") for line in lines) == 1


def test_one_small_run_without_a_field_is_not_a_layout_change(tmp_path: Path) -> None:
    # Two wire stories without authors: the latest runs together still have most.
    db = _archive_with(tmp_path, [_run(NOW - timedelta(hours=1), 2, share_authors=0.0)])
    code, lines = _status(db)
    assert code == 0, lines
    assert not _site_row(lines)["authors"].endswith("!")


def test_a_failed_last_run_is_flagged(tmp_path: Path) -> None:
    failed = _run(
        NOW - timedelta(hours=1),
        0,
        exit_code=5,
        message="40 article pages fetched but none archived: has the site's layout changed?",
        **{f"share_{name}": None for name in COMPLETENESS_FIELDS},
    )
    db = _archive_with(tmp_path, [failed])
    code, lines = _status(db)
    assert code == 1
    assert any(
        line.startswith("FLAG unn.ua: last run failed (exit 5): 40 article") for line in lines
    )
    assert "exit 5 (finished)" in next(line for line in lines if line.startswith("unn.ua"))


def test_an_outlet_whose_last_run_is_older_than_twice_its_interval_is_flagged(
    tmp_path: Path,
) -> None:
    # UNN is crawled every 30 minutes; its last run, 2 h 10 m ago, means nothing runs it.
    db = _archive_with(tmp_path, [_run(NOW - timedelta(hours=2, minutes=10), 12)])
    code, lines = _status(db)
    assert code == 1
    assert (
        "FLAG unn.ua: last run 2h 10m ago, its interval is 30m (is `crawl --due` in cron?)"
    ) in lines
    # The enabled outlets that never ran are listed, not flagged.
    (never,) = [line for line in lines if line.startswith("Enabled outlets never crawled: ")]
    assert "pravda" in never and "unn" not in never.split(": ", 1)[1].split(", ")
    assert sum(line.startswith("FLAG") for line in lines) == 1


def test_an_outlet_switched_off_is_not_flagged_for_its_old_runs(tmp_path: Path) -> None:
    db = _archive_with(tmp_path, [_run(NOW - timedelta(days=3), 12)])
    (tmp_path / "sources.toml").write_text(
        others_switched_off(),
        encoding="utf-8",
    )
    code, lines = _status(db)
    assert code == 0, lines
    assert not any(line.startswith("Enabled outlets never crawled") for line in lines)


def test_status_of_an_archive_without_runs_or_without_a_file(
    tmp_path: Path, newscrawl_in_process: NewscrawlInProcess
) -> None:
    db = tmp_path / "news.db"
    Archive(db).close()
    code, lines = _status(db)
    assert code == 0
    assert lines == ["No crawl runs recorded yet: run 'newscrawl crawl SPIDER' first."]
    missing = newscrawl_in_process(["status", "--db", str(tmp_path / "none.db")])
    assert missing.returncode == 2
    assert missing.stderr.startswith("newscrawl: cannot open the archive")


# --- the redesign signature: fields from the generic fallback ---------------------------------


def test_fields_that_jump_to_the_fallback_are_flagged_as_a_redesign(tmp_path: Path) -> None:
    # The classes were renamed: the body and section now come from the generic reading of
    # the page on every article, the tags as often as usual.
    redesigned = {"body": 1.0, "section": 1.0, "tags": 0.1}
    latest = _run(NOW - timedelta(hours=1), 12, share_fallback=1.0,
                  fallback_shares=json.dumps(redesigned))  # fmt: skip
    db = _archive_with(tmp_path, [latest])
    code, lines = _status(db)
    assert code == 1
    assert _site_row(lines)["fallback"] == "100/10!"
    flags = [line for line in lines if line.startswith("FLAG")]
    assert flags == [
        "FLAG unn.ua: from the generic fallback: body on 100% of the latest articles "
        "(usually 0%), section on 100% (usually 0%): has the page layout changed?"
    ]


def test_a_partial_redesign_is_flagged_and_a_few_odd_pages_are_not(tmp_path: Path) -> None:
    # Four of twelve pages (a template of their own) lost their body selector.
    partial = _run(NOW - timedelta(hours=1), 12, share_fallback=0.3333,
                   fallback_shares=json.dumps({"body": 0.3333, "tags": 0.1}))  # fmt: skip
    code, lines = _status(_archive_with(tmp_path / "partial", [partial]))
    assert code == 1
    assert any("body on 33% of the latest articles (usually 0%)" in line for line in lines)
    # Two of twelve: a quarter of the articles did not change; that is not a redesign.
    odd = _run(NOW - timedelta(hours=1), 12, share_fallback=0.1667,
               fallback_shares=json.dumps({"body": 0.1667, "tags": 0.1}))  # fmt: skip
    code, lines = _status(_archive_with(tmp_path / "odd", [odd]))
    assert code == 0, lines
    assert _site_row(lines)["fallback"] == "17/10"


def test_a_field_always_from_the_fallback_is_no_jump(tmp_path: Path) -> None:
    # A site whose parser never reads tags: the fallback always gives them.
    always = {"fallback_shares": json.dumps({"tags": 1.0}), "share_fallback": 1.0}
    db = tmp_path / "news.db"
    with Archive(db) as archive:
        for half_days in range(42, -1, -1):
            archive.record_run(_run(NOW - timedelta(hours=12 * half_days + 1), 10, **always))
    code, lines = _status(db)
    assert code == 0, lines
    assert _site_row(lines)["fallback"] == "100/100"


def test_runs_recorded_before_fallback_shares_are_no_history(tmp_path: Path) -> None:
    # An archive upgraded today: the weeks of runs before have no fallback shares, so a
    # first run with fallback fields has nothing to jump against (exit 5 still catches a
    # run that archives nothing).
    before = {"fallback_shares": None, "share_fallback": None}
    db = tmp_path / "news.db"
    with Archive(db) as archive:
        for half_days in range(42, 0, -1):
            archive.record_run(_run(NOW - timedelta(hours=12 * half_days), 10, **before))
        archive.record_run(_run(NOW - timedelta(hours=1), 12, share_fallback=1.0,
                                fallback_shares=json.dumps({"body": 1.0})))  # fmt: skip
    code, lines = _status(db)
    assert code == 0, lines
    assert _site_row(lines)["fallback"] == "100/-"


def _recorded_run(tmp_path: Path, fallbacks: list[list[str]]) -> dict[str, Any]:
    """The crawl_runs row of a run that archived one article per list of fallback fields."""
    crawler = get_crawler(Spider)
    # Kept in a name: signals hold their receivers weakly.
    extension = FieldCompleteness.from_crawler(crawler)
    spider = Spider(name="unn")
    for n, fields in enumerate(fallbacks):
        article = make_article(f"https://unn.ua/news/{n}", parser="unn/2", fallback_fields=fields)
        crawler.signals.send_catch_log(signals.item_scraped, item=article, spider=spider)
    assert crawler.stats is not None and extension.stats is crawler.stats
    stats = {**crawler.stats.get_stats(), "finish_reason": "finished",
             "newscrawl/articles_new": len(fallbacks)}  # fmt: skip
    result = CrawlResult("unn", tmp_path / "news.db", stats=stats, started_at=NOW, site="unn.ua")
    with Archive(tmp_path / "news.db") as archive:
        run_id = archive.record_run(result.run_row())
        return dict(archive.db.table("crawl_runs").get(run_id))


def test_a_run_records_how_often_each_field_came_from_the_fallback(tmp_path: Path) -> None:
    run = _recorded_run(tmp_path, [["body", "section"], ["body"], []])
    assert run["share_fallback"] == 0.6667
    assert json.loads(run["fallback_shares"]) == {"body": 0.6667, "section": 0.3333}
    assert run["share_views"] == 1.0


def test_a_run_whose_articles_had_no_fallback_records_zero_and_one_without_articles_null(
    tmp_path: Path,
) -> None:
    run = _recorded_run(tmp_path / "site-rules", [[], []])
    assert (run["share_fallback"], run["fallback_shares"]) == (0.0, "{}")
    run = _recorded_run(tmp_path / "nothing", [])
    assert (run["share_fallback"], run["fallback_shares"]) == (None, None)
