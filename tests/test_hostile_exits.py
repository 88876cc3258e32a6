"""The hostile web, items 9 and 10 of issue 19: exit codes, Retry-After, clock steps.

Real `newscrawl crawl news` runs against local mirrors whose pages are made
here: a site that answers 503 to everything, an article that stays 503, a site
whose every article is 404, articles answering 429 with `Retry-After` before
they answer 200, and runs whose clock (NEWSCRAWL_NOW) jumps a year ahead and back.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape
from pathlib import Path

import pytest

from newscrawl.crawler.retry_after import retry_after_seconds
from newscrawl.runs.verdict import CrawlResult, ExitCode
from newscrawl.testing.hostile import HTML, RSS, article_page, feed, paragraphs
from newscrawl.testing.mirror import Resource
from tests.conftest import StartMirror, rows, run_newscrawl

FAST = ["-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0"]


def page(n: int, published: datetime | None = None) -> Resource:
    return Resource(article_page(f"Новина {n}", paragraphs(4, n), published=published), HTML)


def crawl_news(site: str, db: Path, *args: str) -> tuple[int, str]:
    """`newscrawl crawl news` of the site's /rss.xml into `db`: its exit code and stdout."""
    done = run_newscrawl(
        ["crawl", "news", "--db", str(db), "-a", f"feed={site}/rss.xml", *FAST, *args],
        db.parent,
    )
    return done.returncode, done.stdout + done.stderr


def last_run(db: Path) -> dict[str, object]:
    return dict(rows(db, "SELECT * FROM crawl_runs ORDER BY id DESC LIMIT 1")[0])


def run_log(db: Path) -> str:
    return Path(str(last_run(db)["log_file"])).read_text(encoding="utf-8")


class Answers(Mapping[str, Resource]):
    """A mirror's resources where some paths answer from a list, one answer per hit,
    the last one for every hit after; the time of every hit is kept in `times`."""

    def __init__(self, fixed: dict[str, Resource], sequences: dict[str, list[Resource]]):
        self.fixed = fixed
        self.sequences = sequences
        self.times: dict[str, list[float]] = {path: [] for path in sequences}
        self._lock = threading.Lock()

    def __getitem__(self, path: str) -> Resource:
        if path not in self.sequences:
            return self.fixed[path]
        with self._lock:
            self.times[path].append(time.monotonic())
            answers = self.sequences[path]
            return answers[min(len(self.times[path]), len(answers)) - 1]

    def __iter__(self) -> Iterator[str]:
        return iter({**self.fixed, **self.sequences})

    def __len__(self) -> int:
        return len({**self.fixed, **self.sequences})


# --- item 9: the site is unwell, not our code -------------------------------------------


@pytest.mark.e2e
def test_a_site_answering_503_to_everything_exits_6_with_no_error_logged(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    down = Resource(b"Service Unavailable", "text/plain", status=503)
    mirror = start_mirror({"/rss.xml": down, "/news/2025/03/01/a/": down})
    db = tmp_path / "news.db"
    code, out = crawl_news(mirror, db)
    assert code == ExitCode.NOTHING_FETCHED, out
    run = last_run(db)
    assert run["exit_code"] == ExitCode.NOTHING_FETCHED
    assert "3 of them 429 or 503" in str(run["message"])
    # Scrapy's "Gave up retrying" is a warning now: no ERROR line, no exit 4.
    assert run["errors"] == 0
    assert mirror.hits["/rss.xml"] == 3  # the request and its RETRY_TIMES=2 retries
    assert "WARNING: Gave up retrying <GET " in run_log(db)


@pytest.mark.e2e
def test_one_article_still_503_after_retries_is_the_site_unwell_not_a_parser_bug(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    pages = {f"/news/2025/03/01/ok-{n}/": page(n) for n in range(2)}
    sick = "/news/2025/03/01/sick/"
    resources: dict[str, Resource] = {
        **pages,
        sick: Resource(b"busy", "text/plain", status=503),
    }
    mirror = start_mirror(resources)
    resources["/rss.xml"] = feed(mirror, {path: path for path in resources})
    db = tmp_path / "news.db"
    code, out = crawl_news(mirror, db)
    assert code == ExitCode.SITE_UNWELL, out
    assert "exit 7" in out and "the site is unwell: 1 requests failed after 2 retries" in out
    run = last_run(db)
    assert (run["exit_code"], run["errors"], run["articles_new"]) == (7, 0, 2)
    assert "http_503 1" in str(run["message"])
    assert mirror.hits[sick] == 3
    # A parser bug still wins over a site that is unwell (ERROR lines over the limit).
    stats = {
        "finish_reason": "finished",
        "downloader/response_status_count/200": 3,
        "retry/max_reached": 1,
        "log_count/ERROR": 1,
    }
    assert CrawlResult("news", db, stats=stats).verdict()[0] == ExitCode.TOO_MANY_ERRORS
    assert CrawlResult("news", db, stats=stats, max_errors=1).verdict()[0] == 7


@pytest.mark.e2e
def test_a_site_whose_every_article_is_404_does_not_exit_0(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    resources: dict[str, Resource] = {}
    mirror = start_mirror(resources)
    gone = [f"/news/2025/03/01/gone-{n}/" for n in range(3)]
    resources["/rss.xml"] = feed(mirror, {path: path for path in gone})
    db = tmp_path / "news.db"
    code, out = crawl_news(mirror, db)
    assert code == ExitCode.SITE_UNWELL, out
    run = last_run(db)
    assert run["exit_code"] == 7 and run["errors"] == 0
    assert "every article page was gone: 3 answered 404 or 410" in str(run["message"])
    assert all(mirror.hits[path] == 1 for path in gone)  # a 404 is not retried


# --- item 9: Retry-After --------------------------------------------------------------


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    now = 1_700_000_000.0
    assert retry_after_seconds(b"5", now) == 5.0
    assert retry_after_seconds(" 0 ", now) == 0.0
    later = format_datetime(datetime.fromtimestamp(now + 90, UTC), usegmt=True)
    assert retry_after_seconds(later.encode(), now) == pytest.approx(90.0)
    earlier = format_datetime(datetime.fromtimestamp(now - 90, UTC), usegmt=True)
    assert retry_after_seconds(earlier, now) == 0.0
    for junk in (None, b"", b"soon", b"-5", b"1.5"):
        assert retry_after_seconds(junk, now) is None


@pytest.mark.e2e
def test_429_with_retry_after_is_retried_after_the_wait_and_a_huge_wait_is_capped(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    polite, capped = "/news/2025/03/01/polite/", "/news/2025/03/01/capped/"
    in_a_day = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    answers = Answers(
        {},
        {
            polite: [
                Resource(b"slow down", "text/plain", status=429, headers=(("Retry-After", "1"),)),
                page(1),
            ],
            capped: [
                Resource(b"later", "text/plain", status=503, headers=(("Retry-After", in_a_day),)),
                page(2),
            ],
        },
    )
    mirror = start_mirror(answers)
    answers.fixed["/rss.xml"] = feed(mirror, {polite: "polite", capped: "capped"})
    db = tmp_path / "news.db"
    started = time.monotonic()
    code, out = crawl_news(mirror, db, "-s", "NEWSCRAWL_RETRY_AFTER_MAX=2")
    assert code == ExitCode.OK, out
    assert time.monotonic() - started < 60  # a day's wait was cut to 2 seconds
    first, second = answers.times[polite]
    assert second - first >= 0.95
    first, second = answers.times[capped]
    assert 1.95 <= second - first < 15
    run = last_run(db)
    assert (run["exit_code"], run["articles_new"], run["errors"]) == (0, 2, 0)
    log = run_log(db)
    assert f"HTTP 429 with Retry-After 1s for {mirror}{polite}: retrying in 1s" in log
    assert f"{mirror}{capped}: retrying in 2s (NEWSCRAWL_RETRY_AFTER_MAX)" in log


# --- item 10: clock steps -------------------------------------------------------------


def dated_feed(base: str, published: Mapping[str, datetime]) -> Resource:
    """An RSS feed of the pages at `published`'s paths on `base`, with their dates."""
    items = "".join(
        f"<item><title>{escape(path)}</title><link>{base}{path}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for path, when in published.items()
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
    return Resource(f"{head}<channel>{items}</channel></rss>".encode(), RSS)


@pytest.mark.e2e
def test_revisits_recover_from_a_run_whose_clock_was_a_year_ahead(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    # Real-ish times: the archive tells impossible times from the real present.
    now = datetime.now(UTC).replace(microsecond=0)
    published = now - timedelta(days=2)  # 2 days old: revisited once a day
    path = "/news/2025/03/01/stepped/"
    resources: dict[str, Resource] = {path: page(1, published)}
    mirror = start_mirror(resources)
    resources["/rss.xml"] = dated_feed(mirror, {path: published})
    db = tmp_path / "news.db"

    def run_at(moment: datetime) -> dict[str, object]:
        code, out = crawl_news(mirror, db, "-s", f"NEWSCRAWL_NOW={moment.isoformat()}")
        assert code == 0, out
        return last_run(db)

    ahead = run_at(now + timedelta(days=365))
    assert (ahead["articles_new"], ahead["revisits"]) == (1, 0)
    [row] = rows(db, "SELECT last_seen_at FROM articles")
    assert row["last_seen_at"].startswith(str((now + timedelta(days=365)).year))
    # The clock is set right: the impossible last fetch makes the article due once...
    assert run_at(now)["revisits"] == 1
    [row] = rows(db, "SELECT first_seen_at, last_seen_at FROM articles")
    assert datetime.fromisoformat(row["last_seen_at"]) == now
    assert datetime.fromisoformat(row["first_seen_at"]) <= now
    # ...and then it is back on its schedule: not due an hour later, due a day later.
    assert run_at(now + timedelta(hours=1))["revisits"] == 0
    assert run_at(now + timedelta(days=1, hours=1))["revisits"] == 1
    assert mirror.hits[path] == 3
