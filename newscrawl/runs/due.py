"""Which outlets `newscrawl crawl --due` crawls now, and in what order: pure scheduling.

An outlet is due when its last run started at least its interval ago, or when it
never ran. Runs of every outcome count (a failed one too): an outlet that keeps
failing is tried once per interval, not on every cron step.

Due outlets are crawled oldest last run first, so when a run's time budget
(`--budget`) is spent before every due outlet was started, the ones left over
have the oldest last runs and go first next time. Never-run outlets come before
all others; ties go to the shorter interval, then to the name.

Nothing here reads the archive or the clock: the caller passes the last run
starts (`newscrawl.archive.queries.last_run_starts`) and `now`.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from newscrawl.sites.sources import interval_of
from newscrawl.sites.spec import Site

__all__ = [
    "BUDGET_FLOOR",
    "DueOutlet",
    "budget_of",
    "due_outlets",
    "next_due",
    "next_due_outlet",
    "spider_time_limit",
]

# The least time an outlet started under a budget is given, however little of the
# budget is left: a crawl cut off before its feeds answer would only waste the start.
BUDGET_FLOOR = timedelta(seconds=30)
_SECONDS = re.compile(r"^\s*(\d+)\s*s\s*$")


@dataclass(frozen=True)
class DueOutlet:
    """An enabled outlet as the schedule sees it: its name, its interval, its last run start."""

    name: str
    interval: timedelta
    # When its latest recorded run started (aware); None: it never ran.
    last_started_at: datetime | None = None

    def due_at(self) -> datetime | None:
        """When it is next due; None for an outlet that never ran (due at once)."""
        if self.last_started_at is None:
            return None
        return self.last_started_at + self.interval

    def is_due(self, now: datetime) -> bool:
        """Whether it is due at `now`: never run, or its last run `interval` ago or more."""
        due_at = self.due_at()
        return due_at is None or due_at <= now


def _crawl_order(outlet: DueOutlet) -> tuple[bool, float, timedelta, str]:
    # Never-run first: False sorts before True, and their start is then unused.
    last = outlet.last_started_at
    return (last is not None, last.timestamp() if last else 0.0, outlet.interval, outlet.name)


def due_outlets(
    outlets: Iterable[tuple[str, timedelta]],
    last_started: Mapping[str, datetime | None],
    now: datetime,
) -> list[DueOutlet]:
    """The outlets due at `now`, in the order to crawl them.

    `outlets` are the enabled outlets as (name, interval); `last_started` maps a
    name to its last run's start (a name it lacks never ran). Returns the due
    ones: never-run first, then oldest last run first; ties by the shorter
    interval, then by name.
    """
    scheduled = [DueOutlet(name, interval, last_started.get(name)) for name, interval in outlets]
    return sorted((outlet for outlet in scheduled if outlet.is_due(now)), key=_crawl_order)


def next_due_outlet(
    outlets: Iterable[tuple[str, timedelta]], last_started: Mapping[str, datetime | None]
) -> DueOutlet | None:
    """The outlet that falls due first, for "nothing is due" (ties by name); None without any.

    Meant for when nothing is due: a never-run outlet would be due at once and is
    returned first.
    """
    scheduled = [DueOutlet(name, interval, last_started.get(name)) for name, interval in outlets]
    if not scheduled:
        return None

    def key(outlet: DueOutlet) -> tuple[bool, float, str]:
        due_at = outlet.due_at()
        return (due_at is not None, due_at.timestamp() if due_at else 0.0, outlet.name)

    return min(scheduled, key=key)


def next_due(site: Site, last_started_at: datetime | None, now: datetime) -> datetime | None:
    """The moment `site` is next due, for `newscrawl sources`: `DueOutlet.due_at`, but
    `now` when it never ran or is overdue (never in the past), and None when it is
    switched off (`enabled = false`), which is never due."""
    if not site.enabled:
        return None
    due_at = DueOutlet(site.name, site.interval, last_started_at).due_at()
    return now if due_at is None else max(due_at, now)


def budget_of(text: str) -> timedelta:
    """A time budget written as an interval ("10m", "1h", "1h30m") or in seconds ("90s").

    Raises ValueError for anything else, or for a budget that is not positive.
    """
    seconds = _SECONDS.match(text)
    if seconds is None:
        return interval_of(text)
    budget = timedelta(seconds=int(seconds[1]))
    if budget <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive time budget")
    return budget


def spider_time_limit(budget: timedelta, spent: timedelta) -> float | None:
    """The CLOSESPIDER_TIMEOUT (seconds) for the next outlet, or None once the budget is spent.

    The limit is what is left of the budget, but at least `BUDGET_FLOOR` (or the
    whole budget, when the budget is smaller than the floor).
    """
    left = budget - spent
    if left <= timedelta(0):
        return None
    floor = min(BUDGET_FLOOR, budget)
    return max(left, floor).total_seconds()
