"""Site health for `newscrawl status`: last run, recent articles and field completeness.

A layout change rarely stops a crawl. More often one field quietly goes
missing: the view counter moved and every article since has `views` NULL.
Each run records, per field, the share of its archived articles that had it
(`crawl_runs.share_*`), so a field can be compared with the site's own past:

- *latest*: the newest runs, taken until they hold at least
  `RECENT_MIN_ARTICLES` archived articles (one run may archive only two);
- *trailing average*: the runs of the `TRAILING_DAYS` before those, weighted by
  their articles too.

A field is flagged when it was usually there (trailing average at least
`USUAL_SHARE`) and the latest share fell below `DROP_RATIO` of the average:
views on 98% of pages for weeks, then on 0%. A site is also flagged when its
last run did not exit 0.

An enabled outlet whose last run started more than `OVERDUE_INTERVALS` of its
crawl interval ago is flagged too: nothing is crawling it on schedule (is
`newscrawl crawl --due` in cron?). Enabled outlets that never ran are listed,
not flagged: a new outlet has not had its first run yet.

A redesign that the site parser's rules miss leaves the fields there, filled in
by the generic fallback instead (`crawl_runs.fallback_shares`, per field, and
`share_fallback`, any field). Their shares are measured over the same windows,
and a field is flagged when its latest share from the fallback is at least
`FALLBACK_JUMP` above its trailing average: body from the fallback on 100% of
the latest articles, usually on 0%.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlite_utils import Database

from newscrawl.archive import Archive
from newscrawl.archive.queries import (
    articles_of_site_since,
    last_run_of,
    runs_of_spider_since,
    spiders_with_runs,
)
from newscrawl.crawler.completeness import COMPLETENESS_FIELDS
from newscrawl.runs.clock import current_time
from newscrawl.timestamps import parsed_instant

__all__ = [
    "FallbackHealth",
    "FieldHealth",
    "ShareHealth",
    "SiteHealth",
    "never_run",
    "site_health",
    "status_table",
]

TRAILING_DAYS = 30
RECENT_MIN_ARTICLES = 10
# The trailing average needs this many articles behind it to be worth comparing with.
TRAILING_MIN_ARTICLES = 20
USUAL_SHARE = 0.5
DROP_RATIO = 0.5
# A rise by a quarter of the articles: a few odd pages in the latest ten do not
# reach it, a template that changed on a third of the site does.
FALLBACK_JUMP = 0.25
# A last run older than this many crawl intervals: the schedule is not keeping up.
OVERDUE_INTERVALS = 2


@dataclass(frozen=True)
class ShareHealth:
    """A share of a site's archived articles: latest runs against the trailing average
    (0..1, or None)."""

    name: str
    latest: float | None
    average: float | None

    def known_shares(self) -> tuple[float, float] | None:
        """(latest, average) when both are known: a flag needs both."""
        if self.latest is None or self.average is None:
            return None
        return self.latest, self.average


@dataclass(frozen=True)
class FieldHealth(ShareHealth):
    """One field's completeness: the share of articles that had it."""

    @property
    def dropped(self) -> bool:
        shares = self.known_shares()
        return (
            shares is not None and shares[1] >= USUAL_SHARE and shares[0] < shares[1] * DROP_RATIO
        )


@dataclass(frozen=True)
class FallbackHealth(ShareHealth):
    """The share of articles that had a field (or any field) from the generic fallback."""

    @property
    def jumped(self) -> bool:
        shares = self.known_shares()
        if shares is None:
            return False
        latest, average = shares
        return latest - average >= FALLBACK_JUMP


@dataclass
class SiteHealth:
    """The health of one spider's site."""

    spider: str
    site: str | None
    last_run: dict[str, Any]
    articles_24h: int
    articles_7d: int
    fields: list[FieldHealth]
    # Any field from the fallback, then each field that came from it in the window.
    fallback: FallbackHealth
    fallback_fields: list[FallbackHealth]
    flags: list[str] = field(default_factory=list)


def site_health(
    db_path: Path,
    now_setting: str | None = None,
    intervals: Mapping[str, timedelta] | None = None,
) -> list[SiteHealth]:
    """The health of every spider that has recorded runs in the archive, by spider name.

    `intervals` are the enabled outlets' crawl intervals, by name: an outlet
    among them whose last run is overdue is flagged. Raises `ArchiveError` if
    the archive cannot be read.
    """
    now = current_time(now_setting)
    with Archive(db_path, read_only=True) as archive:
        db = archive.db
        last_runs = (last_run_of(db, spider) for spider in sorted(spiders_with_runs(db)))
        health = [_spider_health(db, last, now) for last in last_runs if last is not None]
    for site in health:
        interval = (intervals or {}).get(site.spider)
        if interval is not None and site.last_run["started_at"]:
            age = now - parsed_instant(site.last_run["started_at"])
            if age > OVERDUE_INTERVALS * interval:
                site.flags.append(
                    f"last run {_duration(age)} ago, its interval is {_duration(interval)} "
                    "(is `crawl --due` in cron?)"
                )
    return health


def never_run(health: Sequence[SiteHealth], enabled: Sequence[str]) -> list[str]:
    """The enabled outlets (by name) that have no recorded run, in the order given."""
    ran = {site.spider for site in health}
    return [name for name in enabled if name not in ran]


def _duration(span: timedelta) -> str:
    """A span as "2d 3h", "1h 30m" or "15m" (whole minutes, the largest two units)."""
    minutes = max(int(span.total_seconds() // 60), 0)
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return " ".join(parts[:2]) or "0m"


def _spider_health(db: Database, last: dict[str, Any], now: datetime) -> SiteHealth:
    spider = last["spider"]
    site = last["site"]
    runs = runs_of_spider_since(db, spider, now - timedelta(days=2 * TRAILING_DAYS))
    health = SiteHealth(
        spider=spider,
        site=site,
        last_run=last,
        articles_24h=articles_of_site_since(db, site, now - timedelta(days=1)) if site else 0,
        articles_7d=articles_of_site_since(db, site, now - timedelta(days=7)) if site else 0,
        fields=[FieldHealth(name, *_shares(runs, _share_of(name))) for name in COMPLETENESS_FIELDS],
        fallback=FallbackHealth("any", *_shares(runs, _share_of("fallback"))),
        fallback_fields=[
            FallbackHealth(name, *_shares(runs, _fallback_share_of(name)))
            for name in _fallback_field_names(runs)
        ],
    )
    if last["exit_code"]:
        why = last["message"] or last["finish_reason"]
        health.flags.append(f"last run failed (exit {last['exit_code']}): {why}")
    for item in health.fields:
        if item.dropped:
            health.flags.append(
                f"{item.name} on {_percent(item.latest)} of the latest articles, "
                f"{_percent(item.average)} before: has the page layout changed?"
            )
    jumps = [item for item in health.fallback_fields if item.jumped]
    if jumps:
        fields = ", ".join(
            f"{item.name} on {_percent(item.latest)}"
            + (" of the latest articles" if n == 0 else "")
            + f" (usually {_percent(item.average)})"
            for n, item in enumerate(jumps)
        )
        health.flags.append(f"from the generic fallback: {fields}: has the page layout changed?")
    return health


# A run's share of a field: None when the run did not measure it.
ShareOf = Callable[[dict[str, Any]], float | None]


def _share_of(name: str) -> ShareOf:
    """The run's `share_<name>` column."""
    return lambda run: run[f"share_{name}"]


def _fallback_share_of(name: str) -> ShareOf:
    """The run's share of articles with `name` from the fallback; 0 if it had none."""

    def share(run: dict[str, Any]) -> float | None:
        shares = _fallback_shares(run)
        return None if shares is None else float(shares.get(name, 0.0))

    return share


def _fallback_shares(run: dict[str, Any]) -> dict[str, float] | None:
    """The run's fallback shares by field; None for a run that measured none (or predates them)."""
    shares: dict[str, float] | None = json.loads(run.get("fallback_shares") or "null")
    return shares


def _fallback_field_names(runs: Sequence[dict[str, Any]]) -> list[str]:
    """Every field that came from the fallback in any of the runs, in name order."""
    return sorted({name for run in runs for name in _fallback_shares(run) or {}})


def _shares(runs: Sequence[dict[str, Any]], share_of: ShareOf) -> tuple[float | None, float | None]:
    """A share's latest value and trailing average, from runs newest first."""
    measured = [
        (run, _archived(run)) for run in runs if share_of(run) is not None and _archived(run)
    ]
    recent: list[tuple[dict[str, Any], int]] = []
    while measured and sum(n for _, n in recent) < RECENT_MIN_ARTICLES:
        recent.append(measured.pop(0))
    if not recent:
        return None, None
    since = _iso(parsed_instant(recent[-1][0]["started_at"]) - timedelta(TRAILING_DAYS))
    trailing = [(run, n) for run, n in measured if run["started_at"] >= since]
    average = (
        _weighted_share(trailing, share_of)
        if sum(n for _, n in trailing) >= TRAILING_MIN_ARTICLES
        else None
    )
    return _weighted_share(recent, share_of), average


def _archived(run: dict[str, Any]) -> int:
    return sum(run[key] or 0 for key in ("articles_new", "articles_updated", "articles_unchanged"))


def _weighted_share(runs: Sequence[tuple[dict[str, Any], int]], share_of: ShareOf) -> float:
    total = sum(n for _, n in runs)
    return sum((share_of(run) or 0.0) * n for run, n in runs) / total


def status_table(health: Sequence[SiteHealth], never_run: Sequence[str] = ()) -> str:
    """The health table as text: a row per site, the outlets that never ran, then one
    line per flag."""
    if not health:
        return "No crawl runs recorded yet: run 'newscrawl crawl SPIDER' first."
    header = [
        "site", "spider", "last run (UTC)", "result", "24h", "7d", *COMPLETENESS_FIELDS, "fallback"
    ]  # fmt: skip
    rows = [header]
    for site in health:
        last = site.last_run
        result = "ok" if last["exit_code"] == 0 else f"exit {last['exit_code']}"
        rows.append(
            [
                site.site or "?",
                site.spider,
                (last["started_at"] or "?")[:16].replace("T", " "),
                f"{result} ({last['finish_reason']})",
                str(site.articles_24h),
                str(site.articles_7d),
                *(_field_cell(item.latest, item.average, item.dropped) for item in site.fields),
                _field_cell(
                    site.fallback.latest,
                    site.fallback.average,
                    any(item.jumped for item in site.fallback_fields),
                ),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True))
        for row in rows
    ]
    lines.append("")
    lines.append(
        "Fields: % of the latest runs' articles / trailing "
        f"{TRAILING_DAYS}-day average; '!' marks a sharp drop, '-' no data. "
        "fallback: % with any field from the generic fallback; '!' marks a jump."
    )
    if never_run:
        lines.append(f"Enabled outlets never crawled: {', '.join(never_run)}.")
    flags = [f"FLAG {site.site or site.spider}: {flag}" for site in health for flag in site.flags]
    lines += flags or ["No problems flagged."]
    return "\n".join(line.rstrip() for line in lines)


def _field_cell(latest: float | None, average: float | None, marked: bool) -> str:
    cell = f"{_percent(latest, bare=True)}/{_percent(average, bare=True)}"
    return cell + ("!" if marked else "")


def _percent(share: float | None, *, bare: bool = False) -> str:
    if share is None:
        return "-"
    return f"{round(share * 100)}" + ("" if bare else "%")


def _iso(moment: datetime) -> str:
    return moment.isoformat()
