"""When an outlet is next due for a crawl, from its interval and its last run.

`next_due` is pure (no archive, no clock of its own), so `newscrawl sources`
and the due-ordering of `crawl --due` answer the same question the same way.
"""

from __future__ import annotations

from datetime import datetime

from newscrawl.sites.spec import Site

__all__ = ["next_due"]


def next_due(site: Site, last_started_at: datetime | None, now: datetime) -> datetime | None:
    """The moment `site` is next due: its last run's start plus its interval.

    Returns `now` when the site has never run or is overdue (so the answer is
    never in the past), and None when the site is switched off (`enabled = false`),
    which is never due. The interval counts from the run's *start*, so a slow run
    does not push every later run back by its own length.
    """
    if not site.enabled:
        return None
    if last_started_at is None:
        return now
    return max(last_started_at + site.interval, now)
