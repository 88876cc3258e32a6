"""The crawl's clock: the real time, or the instant the setting NEWSCRAWL_NOW fixes.

Revisit schedules, fetch times and run records all read the time through
here, so a test (or a replay) can set ``NEWSCRAWL_NOW=2024-07-01T12:00:00+00:00``
and see exactly what a run at that moment would do, without sleeping.
"""

from __future__ import annotations

from datetime import UTC, datetime

from newscrawl.timestamps import aware_datetime

__all__ = ["current_time"]


def current_time(fixed: str | None = None) -> datetime:
    """`fixed` (ISO 8601; naive means UTC), else the time now; in UTC either way."""
    if not fixed:
        return datetime.now(UTC)
    moment = aware_datetime(fixed)
    if moment is None:
        raise ValueError(f"NEWSCRAWL_NOW={fixed!r} is not an ISO 8601 date-time")
    return moment.astimezone(UTC)
