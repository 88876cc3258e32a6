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
"""

from __future__ import annotations

from collections.abc import Sequence
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

__all__ = ["FieldHealth", "SiteHealth", "site_health", "status_table"]

TRAILING_DAYS = 30
RECENT_MIN_ARTICLES = 10
# The trailing average needs this many articles behind it to be worth comparing with.
TRAILING_MIN_ARTICLES = 20
USUAL_SHARE = 0.5
DROP_RATIO = 0.5


@dataclass(frozen=True)
class FieldHealth:
    """One field's completeness: latest runs against the trailing average (0..1, or None)."""

    name: str
    latest: float | None
    average: float | None

    @property
    def dropped(self) -> bool:
        if self.latest is None or self.average is None:
            return False
        return self.average >= USUAL_SHARE and self.latest < self.average * DROP_RATIO


@dataclass
class SiteHealth:
    """The health of one spider's site."""

    spider: str
    site: str | None
    last_run: dict[str, Any]
    articles_24h: int
    articles_7d: int
    fields: list[FieldHealth]
    flags: list[str] = field(default_factory=list)


def site_health(db_path: Path, now_setting: str | None = None) -> list[SiteHealth]:
    """The health of every spider that has recorded runs in the archive, by spider name.

    Raises `ArchiveError` if the archive cannot be read.
    """
    now = current_time(now_setting)
    with Archive(db_path, read_only=True) as archive:
        db = archive.db
        last_runs = (last_run_of(db, spider) for spider in sorted(spiders_with_runs(db)))
        return [_spider_health(db, last, now) for last in last_runs if last is not None]


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
        fields=[_field_health(runs, name) for name in COMPLETENESS_FIELDS],
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
    return health


def _field_health(runs: Sequence[dict[str, Any]], name: str) -> FieldHealth:
    """Latest and trailing completeness of one field, from runs newest first."""
    measured = [
        (run, _archived(run)) for run in runs if run[f"share_{name}"] is not None and _archived(run)
    ]
    recent: list[tuple[dict[str, Any], int]] = []
    while measured and sum(n for _, n in recent) < RECENT_MIN_ARTICLES:
        recent.append(measured.pop(0))
    if not recent:
        return FieldHealth(name, None, None)
    since = _iso(parsed_instant(recent[-1][0]["started_at"]) - timedelta(TRAILING_DAYS))
    trailing = [(run, n) for run, n in measured if run["started_at"] >= since]
    average = (
        _weighted_share(trailing, name)
        if sum(n for _, n in trailing) >= TRAILING_MIN_ARTICLES
        else None
    )
    return FieldHealth(name, _weighted_share(recent, name), average)


def _archived(run: dict[str, Any]) -> int:
    return sum(run[key] or 0 for key in ("articles_new", "articles_updated", "articles_unchanged"))


def _weighted_share(runs: Sequence[tuple[dict[str, Any], int]], name: str) -> float:
    total = sum(n for _, n in runs)
    # The rows come untyped from SQLite; share_* columns hold REAL values.
    return float(sum(run[f"share_{name}"] * n for run, n in runs)) / total


def status_table(health: Sequence[SiteHealth]) -> str:
    """The health table as text: a row per site, then one line per flag."""
    if not health:
        return "No crawl runs recorded yet: run 'newscrawl crawl SPIDER' first."
    header = ["site", "spider", "last run (UTC)", "result", "24h", "7d", *COMPLETENESS_FIELDS]
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
                *(_field_cell(item) for item in site.fields),
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
        f"{TRAILING_DAYS}-day average; '!' marks a sharp drop, '-' no data."
    )
    flags = [f"FLAG {site.site or site.spider}: {flag}" for site in health for flag in site.flags]
    lines += flags or ["No problems flagged."]
    return "\n".join(line.rstrip() for line in lines)


def _field_cell(item: FieldHealth) -> str:
    cell = f"{_percent(item.latest, bare=True)}/{_percent(item.average, bare=True)}"
    return cell + ("!" if item.dropped else "")


def _percent(share: float | None, *, bare: bool = False) -> str:
    if share is None:
        return "-"
    return f"{round(share * 100)}" + ("" if bare else "%")


def _iso(moment: datetime) -> str:
    return moment.isoformat()
