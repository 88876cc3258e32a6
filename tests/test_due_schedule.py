"""The `crawl --due` schedule (newscrawl/runs/due.py): which outlets are due, in what order,
and how the time budget turns into each outlet's time limit; how a stop by the budget is
judged, and the last run starts the schedule reads. No crawling."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.archive.queries import last_run_starts
from newscrawl.runs.due import (
    BUDGET_FLOOR,
    DueOutlet,
    budget_of,
    due_outlets,
    next_due_outlet,
    spider_time_limit,
)
from newscrawl.runs.verdict import BUDGET_FINISH_REASON, CrawlResult, ExitCode

NOW = datetime(2024, 7, 1, 12, 0, tzinfo=UTC)
M15, M30, H1 = timedelta(minutes=15), timedelta(minutes=30), timedelta(hours=1)


def names(outlets: list[DueOutlet]) -> list[str]:
    return [outlet.name for outlet in outlets]


def test_an_outlet_is_due_once_its_interval_has_passed_exactly_or_more() -> None:
    outlets = [("exact", M15), ("older", M15), ("recent", M15)]
    last = {"exact": NOW - M15, "older": NOW - H1, "recent": NOW - M15 + timedelta(seconds=1)}
    assert names(due_outlets(outlets, last, NOW)) == ["older", "exact"]


def test_never_run_outlets_come_first_by_interval_then_name() -> None:
    outlets = [("b_hourly", H1), ("a_hourly", H1), ("quarter", M15), ("ran", M15)]
    due = due_outlets(outlets, {"ran": NOW - H1}, NOW)
    assert names(due) == ["quarter", "a_hourly", "b_hourly", "ran"]
    assert [outlet.last_started_at for outlet in due] == [None, None, None, NOW - H1]


def test_due_outlets_go_oldest_last_run_first_ties_by_interval_then_name() -> None:
    outlets = [("z", M30), ("y", M15), ("x", M15), ("old", H1)]
    last = {"z": NOW - H1, "y": NOW - H1, "x": NOW - H1, "old": NOW - 3 * H1}
    assert names(due_outlets(outlets, last, NOW)) == ["old", "x", "y", "z"]


def test_only_the_given_outlets_are_scheduled() -> None:
    # A run of a spider that is no outlet (or a disabled one) does not matter.
    assert due_outlets([], {"unn": NOW - H1}, NOW) == []
    assert names(due_outlets([("a", M15)], {"unn": NOW}, NOW)) == ["a"]


def test_a_run_that_started_after_now_is_not_due() -> None:
    # The clock went back (NEWSCRAWL_NOW, a replay): not due until its interval after it.
    assert due_outlets([("a", M15)], {"a": NOW + M15}, NOW) == []


def test_next_due_outlet_is_the_one_that_falls_due_first() -> None:
    outlets = [("hourly", H1), ("quarter", M15), ("also_quarter", M15)]
    last = {"hourly": NOW - timedelta(minutes=50), "quarter": NOW, "also_quarter": NOW}
    upcoming = next_due_outlet(outlets, last)
    assert upcoming is not None
    assert (upcoming.name, upcoming.due_at()) == ("hourly", NOW + timedelta(minutes=10))
    last["hourly"] = NOW
    upcoming = next_due_outlet(outlets, last)
    assert upcoming is not None and upcoming.name == "also_quarter"  # a tie: by name
    assert next_due_outlet([], last) is None


def test_budget_is_an_interval_or_seconds() -> None:
    assert budget_of("10m") == timedelta(minutes=10)
    assert budget_of("1h30m") == timedelta(hours=1, minutes=30)
    assert budget_of("90s") == timedelta(seconds=90)
    for bad in ("", "10", "0s", "0m", "ten minutes", "-5m"):
        with pytest.raises(ValueError):
            budget_of(bad)


def test_each_outlet_gets_the_budget_left_at_least_the_floor_and_none_once_spent() -> None:
    budget = timedelta(minutes=10)
    assert spider_time_limit(budget, timedelta(0)) == 600
    assert spider_time_limit(budget, timedelta(minutes=4)) == 360
    # Little left: the outlet still gets the floor, so its start is not wasted.
    assert spider_time_limit(budget, timedelta(minutes=9, seconds=50)) == BUDGET_FLOOR.seconds
    assert spider_time_limit(budget, budget) is None
    assert spider_time_limit(budget, budget + timedelta(seconds=1)) is None
    # A budget under the floor is a limit of its own.
    assert spider_time_limit(timedelta(seconds=5), timedelta(seconds=1)) == 5


def test_a_stop_by_the_budget_is_no_failure_but_keeps_its_finish_reason(tmp_path: Path) -> None:
    stats = {
        "finish_reason": BUDGET_FINISH_REASON,
        "downloader/response_status_count/200": 3,
        "newscrawl/articles_new": 2,
    }
    budgeted = CrawlResult("alpha", tmp_path / "news.db", stats=dict(stats), budgeted=True)
    assert budgeted.verdict() == (ExitCode.OK, "")
    assert (budgeted.run_row()["finish_reason"], budgeted.run_row()["exit_code"]) == (
        "closespider_timeout",
        0,
    )
    # The same stop without a budget (-s CLOSESPIDER_TIMEOUT=...) did not finish its job.
    unbudgeted = CrawlResult("alpha", tmp_path / "news.db", stats=dict(stats))
    assert unbudgeted.verdict()[0] == ExitCode.NOT_FINISHED
    # A budgeted run that fetched nothing at all is still judged so.
    silent = CrawlResult(
        "alpha", tmp_path / "news.db", stats={"finish_reason": BUDGET_FINISH_REASON}, budgeted=True
    )
    assert silent.verdict()[0] == ExitCode.NOTHING_FETCHED


def test_last_run_starts_are_each_spiders_latest(tmp_path: Path) -> None:
    with Archive(tmp_path / "news.db") as archive:
        for spider, started in [("a", NOW - H1), ("a", NOW), ("b", NOW - M15), ("a", NOW - M30)]:
            archive.record_run(
                CrawlResult(
                    "x", tmp_path, stats={"finish_reason": "finished"}, started_at=started
                ).run_row()
                | {"spider": spider}
            )
        assert last_run_starts(archive.db) == {"a": NOW, "b": NOW - M15}
