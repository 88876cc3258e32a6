"""`newscrawl crawl --due` as cron runs it: real crawls of made-up outlets, each on its own
loopback address, at several fixed clocks (NEWSCRAWL_NOW), read back from crawl_runs."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

import pytest

from newscrawl.parsing.generic import GenericParser
from newscrawl.runs.verdict import ExitCode
from newscrawl.sites.sources import interval_of
from newscrawl.testing.outlets import OutletSpec, serve_outlets, sources_toml
from tests.conftest import NewscrawlInProcess, rows, run_newscrawl

pytestmark = pytest.mark.timeout(240)

T0 = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "ROBOTSTXT_OBEY=False"
]  # fmt: skip
OUTLETS = (
    OutletSpec("alpha", "15m", "127.0.0.2"),
    OutletSpec("beta", "30m", "127.0.0.3"),
    OutletSpec("gamma", "1h", "127.0.0.4"),
)


@pytest.fixture
def archive(tmp_path: Path) -> Iterator[Path]:
    """An archive path whose sources.toml (beside it) declares only OUTLETS, served."""
    db = tmp_path / "news.db"
    with serve_outlets(OUTLETS, T0 - timedelta(hours=1)) as mirrors:
        (tmp_path / "sources.toml").write_text(sources_toml(OUTLETS, mirrors), encoding="utf-8")
        yield db


def due(
    db: Path, at: timedelta, *args: str, outlets: Sequence[str] = ()
) -> subprocess.CompletedProcess[str]:
    """`newscrawl crawl --due [OUTLET...]` with the clock at T0 + `at`."""
    command = ["crawl", "--due", *outlets, "--db", str(db), *FAST, *args]
    return run_newscrawl(command, db.parent, env={"NEWSCRAWL_NOW": (T0 + at).isoformat()})


def runs_started_at(db: Path, at: timedelta) -> list[str]:
    """The spiders of the runs started at T0 + `at`, in the order they ran."""
    started = (T0 + at).isoformat()
    return [r["spider"] for r in rows(db, "SELECT spider FROM crawl_runs WHERE started_at = ? "
                                          "ORDER BY id", [started])]  # fmt: skip


@pytest.mark.e2e
def test_due_outlets_are_crawled_once_per_interval_oldest_first(archive: Path) -> None:
    minutes = timedelta(minutes=1)

    first = due(archive, 0 * minutes)
    assert first.returncode == 0, first.stdout + first.stderr
    # Never run: all due, the shortest interval first; UNN, Pravda and the catalogue are off.
    assert runs_started_at(archive, 0 * minutes) == ["alpha", "beta", "gamma"]
    # Each outlet's log path as it starts, then its summary line.
    spiders = [line.split(":")[0] for line in first.stdout.splitlines()]
    assert spiders == ["alpha", "alpha", "beta", "beta", "gamma", "gamma"]

    soon = due(archive, 5 * minutes)
    assert soon.returncode == 0, soon.stderr
    assert soon.stdout == f"nothing is due; next: alpha at {(T0 + 15 * minutes).isoformat()}\n"
    assert due(archive, 10 * minutes, "-q").stdout == ""

    assert due(archive, 15 * minutes).returncode == 0
    assert runs_started_at(archive, 15 * minutes) == ["alpha"]
    # beta's last run (T0) is older than alpha's (T0 + 15m): beta goes first.
    assert due(archive, 30 * minutes).returncode == 0
    assert runs_started_at(archive, 30 * minutes) == ["beta", "alpha"]
    # Only the named outlets: gamma and alpha are due, alpha is asked for.
    named = due(archive, 60 * minutes, "-q", outlets=["alpha"])
    assert named.returncode == 0 and named.stdout == "", named.stderr
    assert runs_started_at(archive, 60 * minutes) == ["alpha"]

    runs = [dict(r) for r in rows(archive, "SELECT * FROM crawl_runs ORDER BY id")]
    assert {(r["finish_reason"], r["exit_code"]) for r in runs} == {("finished", 0)}
    # None twice within its interval.
    intervals = {spec.name: interval_of(spec.interval) for spec in OUTLETS}
    by_outlet: dict[str, list[datetime]] = {}
    for run in runs:
        by_outlet.setdefault(run["spider"], []).append(datetime.fromisoformat(run["started_at"]))
    for name, starts in by_outlet.items():
        gaps = [later - earlier for earlier, later in pairwise(starts)]
        assert all(gap >= intervals[name] for gap in gaps), (name, gaps)

    # Each outlet's articles: its own host as the site, read by the generic parser.
    articles = rows(archive, "SELECT site, parser, count(*) AS n FROM articles GROUP BY 1, 2")
    assert {(a["site"], a["parser"], a["n"]) for a in articles} == {
        (spec.host, f"{GenericParser.NAME}/{GenericParser.VERSION}", spec.articles)
        for spec in OUTLETS
    }


SLOW = OutletSpec("slow", "10m", "127.0.0.5", articles=2, delay=4.0)


@pytest.mark.e2e
def test_a_spent_budget_stops_the_outlet_and_leaves_the_others_for_the_next_run(
    tmp_path: Path,
) -> None:
    outlets = (SLOW, *OUTLETS[:2])
    db = tmp_path / "news.db"
    with serve_outlets(outlets, T0 - timedelta(hours=1)) as mirrors:
        (tmp_path / "sources.toml").write_text(sources_toml(outlets, mirrors), encoding="utf-8")
        # slow has the shortest interval, so it goes first, and its pages outlast the budget.
        first = due(db, timedelta(0), "--budget", "2s")
        assert first.returncode == 0, first.stdout + first.stderr
        assert runs_started_at(db, timedelta(0)) == ["slow"]
        assert first.stdout.splitlines()[-1] == (
            "time budget of 2s spent: 2 due outlets left for the next run: alpha, beta"
        )
        (stopped,) = rows(db, "SELECT * FROM crawl_runs")
        assert (stopped["finish_reason"], stopped["exit_code"]) == ("closespider_timeout", 0)
        # Its walk is unfinished: the next run goes on past it.
        assert [r["spider"] for r in rows(db, "SELECT spider FROM unfinished_crawls")] == ["slow"]

        # The ones left over never ran: they go first, and slow is not due yet.
        second = due(db, timedelta(minutes=5), "-q")
        assert second.returncode == 0 and second.stdout == "", second.stderr
        assert runs_started_at(db, timedelta(minutes=5)) == ["alpha", "beta"]


@pytest.mark.e2e
def test_a_held_lock_exits_75_and_crawls_nothing(archive: Path) -> None:
    from newscrawl.archive import Archive
    from newscrawl.runs.lock import archive_lock

    Archive(archive).close()
    with archive_lock(archive.absolute()):
        done = due(archive, timedelta(0))
        # With -q, silent: every cron step that meets a run in its budget would mail it.
        quiet = due(archive, timedelta(0), "-q")
    assert done.returncode == quiet.returncode == ExitCode.LOCKED
    assert "another crawl is running" in done.stderr
    assert quiet.stdout == quiet.stderr == ""
    assert rows(archive, "SELECT count(*) AS n FROM crawl_runs")[0]["n"] == 0


def test_due_usage_errors(tmp_path: Path, newscrawl_in_process: NewscrawlInProcess) -> None:
    (tmp_path / "sources.toml").write_text(
        sources_toml(OUTLETS, {spec.name: f"http://{spec.host}:1" for spec in OUTLETS}),
        encoding="utf-8",
    )
    db = ["--db", str(tmp_path / "news.db")]
    for args, message in [
        (["--due", "--all"], "give --due or --all, not both"),
        (["--due", "nosuch"], "no outlet named 'nosuch'; enabled outlets: alpha, beta, gamma"),
        (["--due", "unn"], "the outlet 'unn' is switched off (enabled = false)"),
        (["--due", "--budget", "soon"], "is not an interval"),
        (["alpha", "--budget", "1m"], "--budget goes with --due"),
        (["--due", "--resume", "x"], "--resume works with one spider at a time"),
    ]:
        done = newscrawl_in_process(["crawl", *args, *db])
        assert done.returncode == ExitCode.USAGE, args
        assert message in done.stderr, (args, done.stderr)
    assert not (tmp_path / "news.db").exists()


def test_crawl_help_mentions_due(newscrawl_in_process: NewscrawlInProcess) -> None:
    done = newscrawl_in_process(["crawl", "--help"])
    assert "--due" in done.stdout and "--budget" in done.stdout
    assert "newscrawl crawl --due --db /srv/news/news.db -q" in done.stdout
