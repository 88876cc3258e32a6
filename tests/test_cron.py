"""`newscrawl crawl` as cron runs it: exit codes, the lock, logs, run records, incremental cost.

Every test runs the installed console script in a subprocess against a local
mirror and reads the archive file it wrote.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.utils.test import get_crawler

from newscrawl.archive import Archive
from newscrawl.cli.crawl import CRAWL_EXIT_CODES
from newscrawl.errors import ArchiveError
from newscrawl.parsing.unn import UNN
from newscrawl.runs.lock import archive_lock, lock_path
from newscrawl.runs.verdict import CrawlResult, ExitCode
from newscrawl.testing.demo import demo_site, demo_stories, generated_stories
from newscrawl.testing.demo.site import HTML
from newscrawl.testing.demo.stories import Story
from newscrawl.testing.mirror import Mirror, Resource
from pipelines.shared_archive import acquire_archive, archive_failure, recorded_archive_failure
from spiders.site import spider_class_for
from tests.conftest import (
    DemoCrawl,
    NewscrawlInProcess,
    StartMirror,
    crawl,
    newscrawl_command,
    rows,
    run_newscrawl,
    subprocess_env,
)

pytestmark = pytest.mark.timeout(300)

UnnSpider = spider_class_for(UNN)

# The demo and generated sites are on this machine: no need to be gentle with them.
FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]
DEMO_PAGES = sum(len(story.versions) for story in demo_stories())


def newscrawl(
    args: Sequence[str], cwd: Path, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """Run the installed `newscrawl` command as cron would, and wait for it."""
    return run_newscrawl(args, cwd, env=env, timeout=240)


def crawl_runs(db: Path) -> list[dict[str, Any]]:
    return [dict(row) for row in rows(db, "SELECT * FROM crawl_runs ORDER BY id")]


def total_hits(mirror: Mirror) -> int:
    return sum(mirror.hits.values())


def client_rendered(site: dict[str, Resource]) -> dict[str, Resource]:
    """The site after a redesign: article pages render their text in the browser.

    The page still has its title and meta tags, so it is fetched and parsed,
    but the server sends no article text: every page is dropped.
    """
    redesigned = dict(site)
    for path, resource in site.items():
        if "/news/" in path:
            html = re.sub(
                r'<div id="__next">.*</div><script',
                '<div id="__next"><div class="app-shell_root__q1">Loading…</div></div><script',
                resource.body.decode(),
                flags=re.DOTALL,
            )
            redesigned[path] = Resource(html.encode(), HTML)
    return redesigned


# --- exit codes ---------------------------------------------------------------------


@pytest.mark.e2e
def test_good_run_exits_0_logs_to_a_file_and_records_the_run(
    demo_mirror: Mirror, tmp_path: Path
) -> None:
    db = tmp_path / "data" / "news.db"
    done = newscrawl(
        ["crawl", "unn", "--db", str(db), "-a", f"base_url={demo_mirror}", *FAST], tmp_path
    )

    assert done.returncode == 0, done.stderr
    # The log path as the spider starts, then its summary line; the Scrapy log is in its
    # own file.
    (start, summary) = done.stdout.splitlines()
    assert summary.startswith("unn: finished, exit 0;")
    assert f"{DEMO_PAGES} new" in summary
    (log_file,) = (db.parent / "logs").glob("unn-*.log")
    assert re.fullmatch(r"unn-\d{8}T\d{6}Z\.log", log_file.name)
    assert start == f"unn: crawling; log {log_file}"
    assert str(log_file) in summary
    log = log_file.read_text(encoding="utf-8")
    assert "INFO" in log and "Spider closed (finished)" in log
    assert "INFO" not in done.stderr

    (run,) = crawl_runs(db)
    assert run["spider"] == "unn" and run["site"] == "unn.ua"
    assert run["exit_code"] == 0 and run["finish_reason"] == "finished"
    assert run["articles_new"] == DEMO_PAGES
    assert run["pages_fetched"] == total_hits(demo_mirror)
    assert run["articles_updated"] == run["articles_unchanged"] == run["dropped"] == 0
    assert run["log_file"] == str(log_file)
    assert datetime.fromisoformat(str(run["started_at"])) <= datetime.fromisoformat(
        str(run["finished_at"])
    )
    # Every demo page has a date, a view count, a summary, links and a language;
    # some name no author.
    for name in ("published_at", "views", "summary", "links", "language"):
        assert run[f"share_{name}"] == 1.0, name
    with_authors = sum(1 for s in demo_stories() for v in s.versions.values() if v.authors)
    assert run["share_authors"] == pytest.approx(with_authors / DEMO_PAGES, abs=1e-4)


@pytest.mark.e2e
def test_quiet_run_prints_nothing_when_all_is_well(demo_mirror: Mirror, tmp_path: Path) -> None:
    done = newscrawl(
        ["crawl", "unn", "--quiet", "--db", "news.db", "-a", f"base_url={demo_mirror}", *FAST],
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == "" and done.stderr == ""
    assert rows(tmp_path / "news.db", "SELECT count(*) AS n FROM articles")[0]["n"] == DEMO_PAGES


@pytest.mark.e2e
def test_spiders_run_in_sequence_and_the_first_failure_sets_the_exit_code(
    demo_mirror: Mirror, tmp_path: Path
) -> None:
    # The mirror serves UNN's pages only: pravda finds none of its feeds (404s).
    args = ["--db", "news.db", "-a", f"base_url={demo_mirror}", *FAST]
    done = newscrawl(["crawl", "unn", "pravda", *args], tmp_path)

    assert done.returncode == ExitCode.NOTHING_FETCHED, done.stdout + done.stderr
    unn_starts, unn, pravda_starts, pravda = done.stdout.splitlines()
    assert unn_starts.startswith("unn: crawling; log ")
    assert pravda_starts.startswith("pravda: crawling; log ")
    assert unn.startswith("unn: finished, exit 0;")
    assert pravda.startswith("pravda: finished, exit 6;") and "no page could be fetched" in pravda
    runs = crawl_runs(tmp_path / "news.db")
    assert [(r["spider"], r["site"], r["exit_code"]) for r in runs] == [
        ("unn", "unn.ua", 0),
        ("pravda", "pravda.com.ua", 6),
    ]
    assert runs[0]["finished_at"] <= runs[1]["started_at"]
    assert len(list((tmp_path / "logs").glob("*.log"))) == 2

    quiet = newscrawl(["crawl", "unn", "pravda", "--quiet", *args], tmp_path)
    assert quiet.returncode == ExitCode.NOTHING_FETCHED
    assert quiet.stdout == ""
    assert quiet.stderr.startswith("newscrawl: pravda: finished, exit 6;")
    assert len(quiet.stderr.splitlines()) == 1


@pytest.mark.e2e
def test_layout_change_fetches_pages_but_archives_none_and_exits_5(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    redesigned = start_mirror(client_rendered(demo_site()))

    done = newscrawl(
        ["crawl", "unn", "--quiet", "--db", str(db), "-a", f"base_url={redesigned}", *FAST],
        tmp_path,
    )

    assert done.returncode == ExitCode.NOTHING_ARCHIVED
    assert done.stdout == ""
    assert "article pages fetched but none archived" in done.stderr
    assert all(redesigned.hits[v.path] == 1 for s in demo_stories() for v in s.versions.values())
    (run,) = crawl_runs(db)
    assert run["exit_code"] == ExitCode.NOTHING_ARCHIVED
    assert run["articles_new"] == 0 and run["dropped"] == DEMO_PAGES
    assert run["share_views"] is None  # no article archived, nothing to measure

    status = newscrawl(["status", "--db", str(db)], tmp_path)
    assert status.returncode == 1
    assert "FLAG unn.ua: last run failed (exit 5)" in status.stdout


@pytest.mark.e2e
def test_spider_that_cannot_start_exits_3_and_is_recorded(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    done = newscrawl(
        [
            "crawl",
            "unn",
            "--db",
            str(db),
            "-a",
            "base_url=http://127.0.0.1:9",
            "-a",
            "languages=de",
        ],
        tmp_path,
    )
    assert done.returncode == ExitCode.FAILED_TO_START
    assert "could not start" in done.stdout and "languages='de'" in done.stdout
    (run,) = crawl_runs(db)
    assert run["exit_code"] == ExitCode.FAILED_TO_START
    assert run["finish_reason"] == "not started"


@pytest.mark.e2e
def test_unreachable_site_exits_6(tmp_path: Path) -> None:
    # Nothing listens on port 9 (discard) of this machine: every request is refused.
    done = newscrawl(
        ["crawl", "unn", "--db", "news.db", "-a", "base_url=http://127.0.0.1:9", *FAST], tmp_path
    )
    assert done.returncode == ExitCode.NOTHING_FETCHED, done.stdout + done.stderr
    assert "no page could be fetched" in done.stdout


def test_usage_errors_exit_2_before_touching_the_archive(
    tmp_path: Path, newscrawl_in_process: NewscrawlInProcess
) -> None:
    cases = [
        ["crawl", "--db", "news.db"],
        ["crawl", "unn", "--all", "--db", "news.db"],
        ["crawl", "nope", "--db", "news.db"],
        ["crawl", "unn", "--db", "news.db", "-s", "NEWSCRAWL_NOW=yesterday"],
        ["crawl", "unn", "--db", "news.db", "-s", "NEWSCRAWL_REVISITS=7d:1d,24h:0"],
    ]
    for args in cases:
        done = newscrawl_in_process(args)
        assert done.returncode == ExitCode.USAGE, args
        assert done.stderr.startswith("newscrawl: "), args
    assert not (tmp_path / "news.db").exists()


def test_verdict_rules_from_stats() -> None:
    def verdict(stats: dict[str, object], **kwargs: object) -> ExitCode:
        return CrawlResult("unn", Path("x.db"), stats=stats, **kwargs).verdict()[0]  # type: ignore[arg-type]

    ok = {
        "finish_reason": "finished",
        "response_received_count": 41,
        "downloader/response_status_count/200": 40,
        "downloader/response_status_count/404": 1,
        "robotstxt/response_status_count/200": 1,
    }
    assert verdict(ok) == ExitCode.OK
    assert verdict({**ok, "newscrawl/article_pages": 3, "newscrawl/articles_unchanged": 3}) == 0
    # An unchanged site: no article page needed fetching, nothing archived, all is well.
    assert verdict({**ok, "downloader/response_status_count/200": 4}) == ExitCode.OK
    assert verdict({**ok, "newscrawl/article_pages": 3}) == ExitCode.NOTHING_ARCHIVED
    assert verdict({**ok, "finish_reason": "shutdown"}) == ExitCode.NOT_FINISHED
    # Finished, but the last batch could not be committed: its articles are lost.
    lost = {**ok, "newscrawl/archive_error": "the disk is full"}
    assert verdict(lost) == ExitCode.NOT_FINISHED
    assert verdict({}, start_error="ArchiveError: read-only") == ExitCode.FAILED_TO_START
    assert verdict({**ok, "log_count/ERROR": 1}) == ExitCode.TOO_MANY_ERRORS
    assert verdict({**ok, "log_count/ERROR": 1}, max_errors=1) == ExitCode.OK
    # The site is down: connections refused, or only error pages.
    down = {"finish_reason": "finished", "newscrawl/fetch_failed": 5}
    assert verdict(down) == ExitCode.NOTHING_FETCHED
    assert verdict({**down, "downloader/response_status_count/503": 15}) == 6
    # robots.txt answering is not the site working.
    robots_only = {
        "downloader/response_status_count/200": 1,
        "robotstxt/response_status_count/200": 1,
    }
    assert verdict({**down, **robots_only}) == ExitCode.NOTHING_FETCHED


def test_help_documents_every_exit_code(newscrawl_in_process: NewscrawlInProcess) -> None:
    done = newscrawl_in_process(["crawl", "--help"])
    assert done.returncode == 0
    documented = {int(code) for code in re.findall(r"^\s+(\d+)\s", CRAWL_EXIT_CODES, re.M)}
    assert documented == {int(code) for code in ExitCode}
    assert "75  another crawl holds the archive's lock" in done.stdout
    main_help = newscrawl_in_process(["--help"])
    assert "status" in main_help.stdout


# --- the lock -----------------------------------------------------------------------


@pytest.mark.e2e
def test_an_overlapping_run_is_refused_at_once(start_mirror: StartMirror, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    site = demo_site()
    for path, resource in site.items():
        if "/news/" in path:  # slow article pages keep the first run busy
            site[path] = Resource(resource.body, resource.content_type, delay=0.5)
    slow = start_mirror(site)
    first = subprocess.Popen(
        [*newscrawl_command(), "crawl", "unn", "--db", str(db), "-a", f"base_url={slow}", *FAST],
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while not any("/news/" in path for path in slow.hits) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert first.poll() is None, "the first crawl ended too soon"

        second = newscrawl(["crawl", "unn", "--db", str(db), "-a", f"base_url={slow}"], tmp_path)

        assert first.poll() is None  # refused while the first one still runs
        assert second.returncode == ExitCode.LOCKED
        assert "another crawl is running on the archive" in second.stderr
        assert f"pid {first.pid}" in second.stderr
        assert second.stdout == ""
        # The refused run asked the site for nothing (each run reads robots.txt first).
        assert slow.hits["/robots.txt"] == 1
    finally:
        _, err = first.communicate(timeout=240)
    assert first.returncode == 0, err
    # Only the run that did something is recorded.
    assert [run["exit_code"] for run in crawl_runs(db)] == [0]
    # The lock went with the first run: a third run starts normally.
    third = newscrawl(["crawl", "unn", "--db", str(db), "-a", f"base_url={slow}", *FAST], tmp_path)
    assert third.returncode == 0, third.stderr


@pytest.mark.e2e
def test_the_lock_file_sits_beside_the_archive_and_frees_itself(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    assert lock_path(db) == tmp_path / "news.db.lock"
    with archive_lock(db):
        held = newscrawl(["crawl", "unn", "--db", str(db)], tmp_path)
        assert held.returncode == ExitCode.LOCKED
        assert f"pid {os.getpid()}" in held.stderr
    # A holder that dies without unlocking (SIGKILL) leaves no stale lock.
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, time; from newscrawl.runs.lock import archive_lock\n"
            f"with archive_lock({str(db)!r}):\n    print('locked', flush=True); time.sleep(60)",
        ],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "locked"
    holder.kill()
    holder.wait()
    with archive_lock(db) as lock:
        assert lock.path == lock_path(db)


@pytest.mark.e2e
def test_a_direct_scrapy_crawl_is_recorded_like_a_newscrawl_run(demo_crawl: DemoCrawl) -> None:
    db, done, demo_mirror = demo_crawl.db, demo_crawl.run, demo_crawl.mirror
    assert done.returncode == 0, done.stderr
    (run,) = crawl_runs(db)
    assert run["spider"] == "unn" and run["site"] == "unn.ua"
    assert run["exit_code"] == 0 and run["finish_reason"] == "finished"
    assert run["articles_new"] == DEMO_PAGES
    assert run["pages_fetched"] == total_hits(demo_mirror)
    assert run["log_file"] == str(done.log_path)
    assert run["share_views"] == 1.0
    assert "run recorded in crawl_runs: unn: finished, exit 0;" in done.log
    # The lock was held for the run only.
    with archive_lock(db):
        pass


@pytest.mark.e2e
def test_a_direct_scrapy_crawl_stops_at_once_while_another_run_holds_the_archive(
    demo_mirror: Mirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    hits_before = total_hits(demo_mirror)
    with archive_lock(db):
        done = crawl(["-a", f"base_url={demo_mirror}"], db)
    assert "not crawling: another crawl is running on the archive" in done.log
    assert f"pid {os.getpid()}" in done.log
    assert "Spider closed (archive_locked)" in done.log
    assert total_hits(demo_mirror) == hits_before  # not even robots.txt
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 0
    assert crawl_runs(db) == []  # the holder owns the archive's records
    assert unfinished_walks(db) == []  # it walked nothing, so it left no gaps to mark


# --- incremental crawling -----------------------------------------------------------


def unrevisited_stories(count: int) -> list[Story]:
    """`count` stories two hours apart, the newest two months old: too old for any revisit."""
    return generated_stories(
        count, datetime.now(UTC) - timedelta(days=60), spacing=timedelta(hours=2)
    )


@pytest.mark.e2e
def test_second_run_on_an_unchanged_site_costs_under_10_percent(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    mirror = start_mirror(demo_site("g", stories=unrevisited_stories(150)))
    args = ["crawl", "unn", "--db", str(db), "-a", f"base_url={mirror}", *FAST]

    first = newscrawl(args, tmp_path)
    assert first.returncode == 0, first.stderr
    first_requests = total_hits(mirror)
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 150
    mirror.hits.clear()

    second = newscrawl(args, tmp_path)

    assert second.returncode == 0, second.stderr
    second_requests = total_hits(mirror)
    assert second_requests < 0.10 * first_requests, (second_requests, first_requests)
    # No archived article was fetched again: the listings' view counts were read off the cards.
    assert not [path for path in mirror.hits if "/news/" in path]
    first_run, second_run = crawl_runs(db)
    assert first_run["pages_fetched"] == first_requests
    assert second_run["pages_fetched"] == second_requests
    assert second_run["articles_new"] == 0 and second_run["exit_code"] == 0
    assert second_run["card_views"] == 6  # the first listing page's cards


def unfinished_walks(db: Path) -> list[dict[str, object]]:
    return [dict(row) for row in rows(db, "SELECT * FROM unfinished_crawls")]


@pytest.mark.e2e
def test_a_walk_stopped_early_stays_marked_unfinished_until_one_finishes(
    demo_mirror: Mirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    before = datetime.now(UTC)
    stopped = crawl(["-a", f"base_url={demo_mirror}", "-s", "CLOSESPIDER_ITEMCOUNT=2"], db)
    assert "'finish_reason': 'closespider_itemcount'" in stopped.log
    (walk,) = unfinished_walks(db)
    assert (walk["spider"], walk["site"]) == ("unn", "unn.ua")
    assert datetime.fromisoformat(str(walk["started_at"])) >= before

    finished = crawl(["-a", f"base_url={demo_mirror}"], db)
    assert "'finish_reason': 'finished'" in finished.log
    assert f"the walk of unn.ua begun at {walk['started_at']} did not finish" in finished.log
    assert unfinished_walks(db) == []
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == DEMO_PAGES


@pytest.mark.e2e
def test_after_an_unfinished_walk_the_listings_go_on_past_its_articles(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    # Six stories to a listing page; the feed carries the ten newest.
    stories = unrevisited_stories(30)
    # A walk that archived the first two listing pages, and nothing of the three
    # after them, when it was killed: what a SIGKILL mid-way can leave behind.
    began = datetime.now(UTC)
    partial = start_mirror(demo_site("g", stories=stories[:12]))
    assert crawl(["-a", f"base_url={partial}"], db).returncode == 0
    with Archive(db) as archive:
        archive.note_crawl_started("unn", "unn.ua", began)
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 12

    full = start_mirror(demo_site("g", stories=stories))
    second = crawl(["-a", f"base_url={full}"], db)

    # The first listing page shows only archived articles, but archived by the
    # unfinished walk: the listing goes on, and the gap below is filled.
    assert second.returncode == 0, second.stderr
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 30
    assert unfinished_walks(db) == []
    # The walk's own mark shares the store's connection: it never waits on the
    # store's open batch (it used to, until the busy timeout gave up on it).
    assert "could not mark this walk" not in second.log
    # Once a walk has finished, the incremental stop is back: no article fetched again.
    full.hits.clear()
    assert crawl(["-a", f"base_url={full}"], db).returncode == 0
    assert not [path for path in full.hits if "/news/" in path]


@pytest.mark.parametrize("last_batch_lost", [False, True])
def test_a_walk_whose_last_articles_were_lost_stays_unfinished(
    tmp_path: Path, last_batch_lost: bool
) -> None:
    # The spider and the pipelines share one archive; when the store could not
    # commit its last batch, those articles are not archived, and a walk marked
    # finished would let the next run's incremental stop stop above them.
    db = tmp_path / "news.db"
    crawler = get_crawler(UnnSpider, {"NEWSCRAWL_DB": str(db), "NEWSCRAWL_NOW": ""})
    spider = UnnSpider.from_crawler(crawler)
    spider._archive = acquire_archive(crawler)
    spider._mark_walk_unfinished()
    if last_batch_lost:
        assert recorded_archive_failure(crawler, ArchiveError("the disk is full"))
    spider.closed("finished")
    assert archive_failure(crawler) is None  # the archive was released and closed
    assert len(unfinished_walks(db)) == (1 if last_batch_lost else 0)
