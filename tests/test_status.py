"""`newscrawl status`: per-site health from recorded runs, and flags for cron mail.

The run histories here are written as `crawl_runs` rows, the way weeks of cron
runs would have left them; the command runs as a user would run it.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from newscrawl.archive import Archive
from newscrawl.crawler.completeness import COMPLETENESS_FIELDS
from tests.conftest import NewscrawlInProcess
from tests.test_cron import newscrawl

pytestmark = pytest.mark.e2e

NOW = datetime(2024, 9, 1, 12, 0, tzinfo=UTC)
USUAL = {"published_at": 1.0, "views": 0.98, "authors": 0.9, "summary": 1.0, "links": 0.95}


def _run(started: datetime, articles: int, **overrides: Any) -> dict[str, Any]:
    shares = {f"share_{name}": USUAL.get(name, 1.0) for name in COMPLETENESS_FIELDS}
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
    # "last run" and "result" hold spaces: read the columns around them.
    cells = row.split()
    return {
        "24h": cells[-8],
        "7d": cells[-7],
        **dict(zip(header[-6:], cells[-6:], strict=True)),
    }


def test_a_healthy_site_is_not_flagged(tmp_path: Path) -> None:
    db = _archive_with(tmp_path, [_run(NOW - timedelta(hours=1), 12)])
    code, lines = _status(db)
    assert code == 0, lines
    row = _site_row(lines)
    assert row["24h"] == "1" and row["7d"] == "2"
    assert row["views"] == "98/98" and row["authors"] == "90/90"
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
