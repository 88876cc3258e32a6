"""The age-based revisit schedule: how often an archived article is fetched again.

View counts keep changing after publication, so each scheduled run re-fetches
recent articles. How often depends on the article's age, measured from its
`published_at` (or `first_seen_at` when the date is unknown), and on how long
ago it was last fetched (`last_seen_at`). The default schedule:

- every run while the article is under 24 hours old;
- once a day until it is 7 days old;
- once a week until it is 30 days old;
- then never.

It is the setting `NEWSCRAWL_REVISITS`, written as comma-separated
``AGE:INTERVAL`` rules in increasing order of age: ``"24h:0,7d:1d,30d:7d"``.
A rule applies to articles younger than AGE (and at least as old as the
previous rule's AGE), and makes them due when their last fetch is at least
INTERVAL ago; ``0`` means every run. Durations are a number and one of ``m``
(minutes), ``h``, ``d`` or ``w``. ``off`` (or an empty value) disables revisits.

The schedule survives a clock that stepped. A last fetch timed after the run's
`now` (by a clock that ran ahead, then was set right) makes the article due at
once, and the archive replaces such impossible times on the next save, so the
article is back on its schedule after one revisit, neither frozen until the
clock catches up nor due on every run.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

__all__ = ["DEFAULT_SCHEDULE", "RevisitRule", "duration", "revisit_schedule"]

DEFAULT_SCHEDULE = "24h:0,7d:1d,30d:7d"

_DURATION = re.compile(r"^\s*(\d+)\s*([mhdw]?)\s*$")
_UNITS = {"m": "minutes", "h": "hours", "d": "days", "w": "weeks"}


@dataclass(frozen=True)
class RevisitRule:
    """Articles younger than `max_age` are due once their last fetch is `interval` old."""

    max_age: timedelta
    interval: timedelta


def duration(text: str) -> timedelta:
    """A duration like "24h", "7d", "2w", "30m" or "0"; ValueError if it is not one."""
    match = _DURATION.match(text)
    if match is None or (not match[2] and int(match[1]) != 0):
        raise ValueError(f"{text!r} is not a duration such as 30m, 24h, 7d or 2w")
    return timedelta(**{_UNITS.get(match[2], "days"): int(match[1])})


def revisit_schedule(setting: str | None) -> tuple[RevisitRule, ...]:
    """The rules of a NEWSCRAWL_REVISITS value, youngest first; () when revisits are off."""
    if setting is None or setting.strip().lower() in ("", "off", "none", "never"):
        return ()
    rules: list[RevisitRule] = []
    for part in setting.split(","):
        age, sep, interval = part.partition(":")
        if not sep:
            raise ValueError(f"NEWSCRAWL_REVISITS: {part.strip()!r} is not AGE:INTERVAL")
        try:
            rule = RevisitRule(duration(age), duration(interval))
        except ValueError as exc:
            raise ValueError(f"NEWSCRAWL_REVISITS: {exc}") from None
        if rules and rule.max_age <= rules[-1].max_age:
            raise ValueError(
                f"NEWSCRAWL_REVISITS: ages must increase, {age.strip()!r} comes after "
                f"a longer or equal one"
            )
        rules.append(rule)
    return tuple(rules)
