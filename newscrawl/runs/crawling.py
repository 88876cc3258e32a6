"""Running spiders for `newscrawl crawl`: one at a time, each judged and recorded.

A cron job needs three things Scrapy does not give it: an exit code that says
whether the run was good (Scrapy exits 0 even when nothing was archived), no
overlap with the previous run, and a record of every run. So `crawl_spiders`

- takes the archive's lock (`newscrawl.runs.lock`) for the whole sequence;
- runs each spider in a process of its own (`newscrawl.runs.worker`) with its log in
  ``<logs>/<spider>-<UTC timestamp>.log``. A process per spider because
  Twisted's reactor cannot restart, and because it isolates the spiders: one
  that crashes, hangs on shutdown or leaks memory cannot take the next one
  with it, and each gets its own log file and stats;
- judges each run from its stats (`CrawlResult.verdict`) and writes a
  `crawl_runs` row, even when the spider failed to start.
"""

from __future__ import annotations

import json
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from types import FrameType
from typing import Any

from scrapy.crawler import CrawlerProcess
from twisted.python.failure import Failure

from newscrawl.archive import Archive
from newscrawl.crawler.completeness import ARTICLES_STAT, COMPLETENESS_FIELDS, STATS_PREFIX
from newscrawl.errors import ArchiveError
from newscrawl.runs.clock import current_time
from newscrawl.runs.lock import HeldLock, archive_lock
from newscrawl.runs.project import project_settings
from spiders.registry import site_of_spider, spider_sites

__all__ = [
    "CrawlResult",
    "ExitCode",
    "crawl_spiders",
    "run_spider",
]

logger = logging.getLogger(__name__)

# Graceful shutdown (SIGINT, SIGTERM) is forwarded to the running spider.
_FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


class ExitCode(IntEnum):
    """Exit codes of `newscrawl crawl`, for cron and scripts. README lists them too."""

    OK = 0  # every spider finished normally
    NOT_FINISHED = 1  # a finish reason other than "finished" (archive_error, shutdown, ...)
    USAGE = 2  # bad command line: unknown spider, malformed -a/-s
    FAILED_TO_START = 3  # the archive could not be opened, or the spider not created
    TOO_MANY_ERRORS = 4  # more ERROR log lines than NEWSCRAWL_MAX_ERRORS
    NOTHING_ARCHIVED = 5  # article pages fetched, none archived: a layout change?
    NOTHING_FETCHED = 6  # every request failed: the site is down or blocks us
    LOCKED = 75  # another run holds the archive's lock (EX_TEMPFAIL: try again later)


@dataclass
class CrawlResult:
    """The outcome of one spider run, read from its Scrapy stats."""

    spider: str
    db_path: Path
    stats: dict[str, Any] = field(default_factory=dict)
    # Why the spider never ran (the archive, the spider's arguments), if it did not.
    start_error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    log_file: Path | None = None
    max_errors: int = 0
    site: str | None = None

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "not started"))

    def count(self, stat: str) -> int:
        return int(self.stats.get(stat, 0) or 0)

    @property
    def ok_responses(self) -> int:
        """Pages fetched with a 2xx status, robots.txt aside: a 404 or a 503 page is no page."""

        def two_hundreds(prefix: str) -> int:
            return sum(int(v or 0) for k, v in self.stats.items() if k.startswith(f"{prefix}/2"))

        return two_hundreds("downloader/response_status_count") - two_hundreds(
            "robotstxt/response_status_count"
        )

    @property
    def archived(self) -> int:
        """Article pages that parsed into articles: stored, or found to be duplicates."""
        return sum(
            self.count(f"newscrawl/{key}")
            for key in ("articles_new", "articles_updated", "articles_unchanged", "duplicates")
        )

    def verdict(self) -> tuple[ExitCode, str]:
        """The exit code of this run and, unless it is OK, why in one sentence.

        Scrapy's own exit status is 0 for most failures; these rules look at
        what the run actually achieved.
        """
        if self.start_error is not None or "finish_reason" not in self.stats:
            return ExitCode.FAILED_TO_START, (
                f"could not start: {self.start_error or 'no finish reason; see the log'}"
            )
        if self.finish_reason != "finished":
            detail = self.stats.get("newscrawl/archive_error")
            return ExitCode.NOT_FINISHED, (
                f"stopped with reason {self.finish_reason!r}" + (f": {detail}" if detail else "")
            )
        if not self.ok_responses:
            failed = self.count("newscrawl/fetch_failed")
            return ExitCode.NOTHING_FETCHED, (
                f"no page could be fetched ({self.count('response_received_count')} error "
                f"responses, {failed} failed requests): is the site down or blocking us?"
            )
        pages = self.count("newscrawl/article_pages")
        if pages and not self.archived:
            return ExitCode.NOTHING_ARCHIVED, (
                f"{pages} article pages fetched but none archived: has the site's layout changed?"
            )
        errors = self.count("log_count/ERROR")
        if errors > self.max_errors:
            return ExitCode.TOO_MANY_ERRORS, (
                f"{errors} errors logged, more than NEWSCRAWL_MAX_ERRORS={self.max_errors}"
            )
        return ExitCode.OK, ""

    @property
    def exit_code(self) -> int:
        return int(self.verdict()[0])

    def summary_line(self) -> str:
        """One line for stdout: the result, what was fetched, what was archived, the log."""
        code, message = self.verdict()
        line = (
            f"{self.spider}: {self.finish_reason}, exit {int(code)}; "
            f"{self.count('response_received_count')} responses, "
            f"{self.count('newscrawl/articles_new')} new, "
            f"{self.count('newscrawl/articles_updated')} updated, "
            f"{self.count('newscrawl/articles_unchanged')} unchanged, "
            f"{self.count('newscrawl/duplicates')} duplicates, "
            f"{self.dropped} dropped, "
            f"{self.count('newscrawl/runs/revisits')} revisits"
        )
        if message:
            line += f"; {message}"
        if self.log_file is not None:
            line += f"; log {self.log_file}"
        return line

    @property
    def dropped(self) -> int:
        # Duplicates are drops to Scrapy, but they are counted on their own.
        return max(self.count("item_dropped_count") - self.count("newscrawl/duplicates"), 0)

    def run_row(self) -> dict[str, Any]:
        """This run as a `crawl_runs` row."""
        code, message = self.verdict()
        articles = self.count(ARTICLES_STAT)
        shares = {
            f"share_{name}": (
                round(self.count(f"{STATS_PREFIX}/{name}") / articles, 4) if articles else None
            )
            for name in COMPLETENESS_FIELDS
        }
        return {
            "spider": self.spider,
            "site": self.site,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "finish_reason": self.finish_reason,
            "exit_code": int(code),
            "message": message or None,
            "pages_fetched": self.count("response_received_count"),
            "articles_new": self.count("newscrawl/articles_new"),
            "articles_updated": self.count("newscrawl/articles_updated"),
            "articles_unchanged": self.count("newscrawl/articles_unchanged"),
            "duplicates": self.count("newscrawl/duplicates"),
            "dropped": self.dropped,
            "errors": self.count("log_count/ERROR"),
            "fetch_failed": self.count("newscrawl/fetch_failed"),
            "revisits": self.count("newscrawl/runs/revisits"),
            "card_views": self.count("newscrawl/card_views"),
            **shares,
            "log_file": str(self.log_file) if self.log_file else None,
        }


def run_spider(
    name: str,
    spider_args: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> CrawlResult:
    """Run one spider to completion in this process and return its result.

    This starts Twisted's reactor, which cannot run twice in one process:
    `crawl_spiders` calls it through `newscrawl.runs.worker` in a process per spider.
    Raises `KeyError` when there is no spider of that name.
    """
    settings = project_settings(overrides)
    db_path = Path(settings["NEWSCRAWL_DB"])
    try:
        # Open (and migrate) the archive before any request: an unwritable archive
        # is a clear start error here, not a traceback from deep inside a pipeline.
        Archive(db_path).close()
    except ArchiveError as exc:
        return CrawlResult(spider=name, db_path=db_path, start_error=str(exc))
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(name)
    start_errors: list[str] = []

    def remember_start_error(failure: Failure) -> None:
        # A spider's __init__ rejecting its arguments, or a pipeline's
        # open_spider failing, ends up here rather than in the stats.
        start_errors.append(f"{failure.type.__name__}: {failure.getErrorMessage()}")
        logger.error("the crawl could not start: %s", start_errors[-1])

    process.crawl(crawler, **dict(spider_args or {})).addErrback(remember_start_error)
    process.start()
    try:
        stats = crawler.stats.get_stats()
    except RuntimeError:  # the crawl never got as far as creating its stats
        stats = {}
    spider = getattr(crawler, "spider", None)
    return CrawlResult(
        spider=name,
        db_path=db_path,
        stats=stats,
        start_error=start_errors[0] if start_errors and "finish_reason" not in stats else None,
        # Read from the instance: a generic spider learns its site from its arguments.
        site=site_of_spider(spider),
    )


def crawl_spiders(
    names: Sequence[str],
    spider_args: Mapping[str, str],
    overrides: Mapping[str, Any],
    *,
    report: Callable[[CrawlResult], None],
    resume: str | None = None,
) -> list[CrawlResult]:
    """Run the spiders one after another under the archive's lock; each result is reported.

    Raises `ArchiveError` when the archive cannot be opened and `LockHeld`
    when another run holds its lock, before any spider starts. A run stopped
    by SIGINT or SIGTERM ends the sequence after recording that spider.
    """
    settings = project_settings(overrides)
    db_path = Path(settings["NEWSCRAWL_DB"]).absolute()
    Archive(db_path).close()  # ArchiveError now, not one per spider
    log_dir = Path(settings.get("NEWSCRAWL_LOG_DIR") or db_path.parent / "logs")
    sites = spider_sites(settings)
    results: list[CrawlResult] = []
    with archive_lock(db_path) as lock:
        for name in names:
            # The worker's DirectRun extension would lock and record the run again.
            run_settings = {
                **overrides,
                "NEWSCRAWL_DB": str(db_path),
                "NEWSCRAWL_MANAGED_RUN": True,
            }
            job_dir = db_path.parent / "jobs" / resume if resume else None
            if job_dir is not None:
                run_settings["JOBDIR"] = str(job_dir)
            started_at = current_time(settings.get("NEWSCRAWL_NOW"))
            # An explicit -s LOG_FILE=... wins (all spiders then append to that file).
            log_file = Path(overrides.get("LOG_FILE") or _log_file(log_dir, name, started_at))
            run_settings["LOG_FILE"] = str(log_file)
            run_settings.setdefault("LOG_LEVEL", "INFO")
            result, interrupted = _run_in_subprocess(name, spider_args, run_settings, lock)
            result.db_path = db_path
            result.site = result.site or sites.get(name) or None
            result.started_at = started_at
            result.finished_at = current_time(settings.get("NEWSCRAWL_NOW"))
            result.log_file = log_file
            result.max_errors = settings.getint("NEWSCRAWL_MAX_ERRORS")
            _record(result)
            if job_dir is not None and result.finish_reason == "finished":
                # Its work is done. Kept, its seen-requests filter would make the
                # next run with the same name skip every page it already fetched.
                shutil.rmtree(job_dir, ignore_errors=True)
            report(result)
            results.append(result)
            if interrupted:
                break
    return results


def _run_in_subprocess(
    name: str, spider_args: Mapping[str, str], run_settings: Mapping[str, Any], lock: HeldLock
) -> tuple[CrawlResult, bool]:
    """Run the spider in a worker process; the result, and whether a signal stopped it."""
    with tempfile.TemporaryDirectory(prefix="newscrawl-") as scratch:
        spec_path = Path(scratch) / "spec.json"
        result_path = Path(scratch) / "result.json"
        spec = {
            "spider": name,
            "spider_args": dict(spider_args),
            "settings": dict(run_settings),
            "result": str(result_path),
        }
        spec_path.write_text(json.dumps(spec), encoding="utf-8")
        # Its own process group: a Ctrl-C on the terminal reaches only this
        # process, which forwards it once. Scrapy takes a second SIGINT as
        # "stop now", which would lose the requests in flight.
        child = subprocess.Popen(
            [sys.executable, "-m", "newscrawl.runs.worker", str(spec_path)],
            process_group=0,
            pass_fds=(lock.fd,),
        )
        received: list[int] = []

        def forward(signum: int, frame: FrameType | None) -> None:
            received.append(signum)
            child.send_signal(signum)

        previous = {sig: signal.signal(sig, forward) for sig in _FORWARDED_SIGNALS}
        try:
            status = child.wait()
        finally:
            for sig, handler in previous.items():
                signal.signal(sig, handler)
        if not result_path.exists():
            # Killed or crashed before it could report (the log may say why).
            reason = f"worker died ({_status_text(status)})"
            return CrawlResult(name, Path(), stats={"finish_reason": reason}), bool(received)
        report = json.loads(result_path.read_text(encoding="utf-8"))
    result = CrawlResult(
        name,
        Path(),
        stats=report["stats"],
        start_error=report["start_error"],
        site=report.get("site"),
    )
    return result, bool(received)


def _record(result: CrawlResult) -> None:
    try:
        with Archive(result.db_path) as archive:
            archive.record_run(result.run_row())
    except ArchiveError as exc:
        print(f"newscrawl: the run of {result.spider} was not recorded: {exc}", file=sys.stderr)


def _log_file(log_dir: Path, spider: str, started_at: datetime) -> Path:
    """A new log file path: ``<dir>/<spider>-<UTC timestamp>.log``, numbered if taken."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = started_at.strftime("%Y%m%dT%H%M%SZ")
    path = log_dir / f"{spider}-{stamp}.log"
    n = 2
    while path.exists():
        path = log_dir / f"{spider}-{stamp}-{n}.log"
        n += 1
    return path


def _status_text(status: int) -> str:
    if status < 0:
        return f"killed by {signal.Signals(-status).name}"
    return f"exit status {status}"


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
