"""Running spiders for `newscrawl crawl`: one at a time, each judged and recorded.

A cron job needs three things Scrapy does not give it: an exit code that says
whether the run was good (Scrapy exits 0 even when nothing was archived), no
overlap with the previous run, and a record of every run. So `crawl_spiders`

- takes the archive's lock (`newscrawl.runs.lock`) for the whole sequence, and
  given a time limit per spider (`crawl --due`'s budget), starts none past it;
- runs each spider in a process of its own (`newscrawl.runs.worker`) with its log in
  ``<logs>/<spider>-<UTC timestamp>.log``. A process per spider because
  Twisted's reactor cannot restart, and because it isolates the spiders: one
  that crashes, hangs on shutdown or leaks memory cannot take the next one
  with it, and each gets its own log file and stats;
- judges each run from its stats (`newscrawl.runs.verdict.CrawlResult`) and writes a
  `crawl_runs` row, even when the spider failed to start.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import signal
import subprocess
import sys
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from types import FrameType
from typing import Any

from scrapy.crawler import CrawlerProcess
from twisted.python.failure import Failure

from newscrawl.archive import Archive
from newscrawl.crawler.progress import INTERVAL, ProgressFile, SpiderProgress, read_progress
from newscrawl.errors import ArchiveError
from newscrawl.runs.clock import current_time
from newscrawl.runs.lock import HeldLock, archive_lock
from newscrawl.runs.project import project_settings
from newscrawl.runs.verdict import CrawlResult
from spiders.registry import site_of_spider, spider_sites

__all__ = ["RunRecord", "crawl_spiders", "run_spider"]

logger = logging.getLogger(__name__)

# Graceful shutdown (SIGINT, SIGTERM) is forwarded to the running spider.
_FORWARDED_SIGNALS = (signal.SIGINT, signal.SIGTERM)


def run_spider(
    name: str,
    spider_args: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
    *,
    progress_file: Path | None = None,
) -> CrawlResult:
    """Run one spider to completion in this process and return its result.

    This starts Twisted's reactor, which cannot run twice in one process:
    `crawl_spiders` calls it through `newscrawl.runs.worker` in a process per spider.
    With `progress_file`, the crawl's progress is written there every few seconds
    (`newscrawl.crawler.progress`). Raises `KeyError` when there is no spider of that name.
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
    # Held for the whole crawl: Scrapy's signals keep only weak references to receivers.
    progress = ProgressFile.attach(crawler, progress_file) if progress_file else None
    start_errors: list[str] = []

    def remember_start_error(failure: Failure) -> None:
        # A spider's __init__ rejecting its arguments, or a pipeline's
        # open_spider failing, ends up here rather than in the stats. A Failure
        # built without an exception has no type; name it plainly then.
        error_type = failure.type.__name__ if failure.type is not None else "Error"
        start_errors.append(f"{error_type}: {failure.getErrorMessage()}")
        logger.error("the crawl could not start: %s", start_errors[-1])

    process.crawl(crawler, **dict(spider_args or {})).addErrback(remember_start_error)
    process.start()
    del progress
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
    names: Sequence[str] | Callable[[], Sequence[str]],
    spider_args: Mapping[str, str],
    overrides: Mapping[str, Any],
    *,
    report: Callable[[CrawlResult], None],
    resume: str | None = None,
    time_limit: Callable[[str], float | None] | None = None,
    started: Callable[[str, Path], None] | None = None,
    progress: Callable[[SpiderProgress], None] | None = None,
) -> list[CrawlResult]:
    """Run the spiders one after another under the archive's lock; each result is reported.

    `names` may be a function, called once the lock is held: a choice read from
    the archive (`crawl --due`'s schedule) is then one no other run changes
    before these spiders run.

    Returns the results of the spiders that ran, in order. Raises `ArchiveError`
    when the archive cannot be opened and `LockHeld` when another run holds its
    lock, before any spider starts. A run stopped by SIGINT or SIGTERM ends the
    sequence after recording that spider.

    `time_limit`, when given, is asked before each spider with its name: None
    starts no more spiders (the rest are left out of the results), a number of
    seconds becomes that spider's CLOSESPIDER_TIMEOUT, and a stop at it is judged
    the budget's, not a failure (`CrawlResult.budgeted`).

    `started` is told each spider's name and log file as it starts; `progress`,
    when given, gets the running spider's progress every few seconds.

    A worker whose parent is killed stops its spider as SIGTERM would, and
    records its run itself (`newscrawl.runs.worker`).
    """
    settings = project_settings(overrides)
    db_path = Path(settings["NEWSCRAWL_DB"]).absolute()
    Archive(db_path).close()  # ArchiveError now, not one per spider
    log_dir = Path(settings.get("NEWSCRAWL_LOG_DIR") or db_path.parent / "logs")
    sites = spider_sites(settings)
    results: list[CrawlResult] = []
    with archive_lock(db_path) as lock:
        for name in names() if callable(names) else names:
            limit = time_limit(name) if time_limit is not None else None
            if time_limit is not None and limit is None:
                break
            # The worker's DirectRun extension would lock and record the run again.
            run_settings = {
                **overrides,
                "NEWSCRAWL_DB": str(db_path),
                "NEWSCRAWL_MANAGED_RUN": True,
            }
            if limit is not None:
                run_settings["CLOSESPIDER_TIMEOUT"] = limit
            job_dir = db_path.parent / "jobs" / resume if resume else None
            if job_dir is not None:
                run_settings["JOBDIR"] = str(job_dir)
            started_at = current_time(settings.get("NEWSCRAWL_NOW"))
            # An explicit -s LOG_FILE=... wins (all spiders then append to that file).
            log_file = Path(overrides.get("LOG_FILE") or _log_file(log_dir, name, started_at))
            run_settings["LOG_FILE"] = str(log_file)
            run_settings.setdefault("LOG_LEVEL", "INFO")
            record = RunRecord(
                db_path=db_path,
                started_at=started_at,
                log_file=log_file,
                max_errors=settings.getint("NEWSCRAWL_MAX_ERRORS"),
                budgeted=limit is not None,
                job_dir=job_dir,
                site=sites.get(name) or None,
            )
            if started is not None:
                started(name, log_file)
            result, interrupted = _run_in_subprocess(
                name, spider_args, run_settings, lock, record, progress
            )
            record.complete(result, current_time(settings.get("NEWSCRAWL_NOW")))
            report(result)
            results.append(result)
            if interrupted:
                break
    return results


@dataclass
class RunRecord:
    """What a spider's run is recorded with besides its stats; the worker gets it too,
    to record its run itself should `newscrawl crawl` be killed before it can."""

    db_path: Path
    started_at: datetime
    log_file: Path
    max_errors: int
    budgeted: bool
    job_dir: Path | None
    site: str | None

    def to_json(self) -> dict[str, Any]:
        """This record as JSON-ready data, for the worker's spec."""
        return {
            "db_path": str(self.db_path),
            "started_at": self.started_at.isoformat(),
            "log_file": str(self.log_file),
            "max_errors": self.max_errors,
            "budgeted": self.budgeted,
            "job_dir": str(self.job_dir) if self.job_dir is not None else None,
            "site": self.site,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> RunRecord:
        """The record `to_json` wrote."""
        return cls(
            db_path=Path(data["db_path"]),
            started_at=datetime.fromisoformat(data["started_at"]),
            log_file=Path(data["log_file"]),
            max_errors=int(data["max_errors"]),
            budgeted=bool(data["budgeted"]),
            job_dir=Path(data["job_dir"]) if data.get("job_dir") else None,
            site=data.get("site"),
        )

    def complete(self, result: CrawlResult, finished_at: datetime) -> None:
        """Fill in `result` from this record, write its `crawl_runs` row, and remove a
        finished run's resume state."""
        result.db_path = self.db_path
        result.site = result.site or self.site
        result.started_at = self.started_at
        result.finished_at = finished_at
        result.log_file = self.log_file
        result.max_errors = self.max_errors
        result.budgeted = self.budgeted
        _record(result)
        if self.job_dir is not None and result.finish_reason == "finished":
            # Its work is done. Kept, its seen-requests filter would make the
            # next run with the same name skip every page it already fetched.
            shutil.rmtree(self.job_dir, ignore_errors=True)


def _run_in_subprocess(
    name: str,
    spider_args: Mapping[str, str],
    run_settings: Mapping[str, Any],
    lock: HeldLock,
    record: RunRecord,
    progress: Callable[[SpiderProgress], None] | None = None,
) -> tuple[CrawlResult, bool]:
    """Run the spider in a worker process; the result, and whether a signal stopped it.

    With `progress`, the worker's progress is passed to it every few seconds.
    """
    with tempfile.TemporaryDirectory(prefix="newscrawl-") as scratch:
        spec_path = Path(scratch) / "spec.json"
        result_path = Path(scratch) / "result.json"
        progress_path = Path(scratch) / "progress.json"
        spec = {
            "spider": name,
            "spider_args": dict(spider_args),
            "settings": dict(run_settings),
            "result": str(result_path),
            "progress": str(progress_path) if progress is not None else None,
            # Whom the worker outlives if this process is killed, and how it then
            # records its own run.
            "parent": os.getpid(),
            "record": record.to_json(),
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
            status = _wait(child, progress_path, progress)
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


def _wait(
    child: subprocess.Popen[bytes],
    progress_path: Path,
    progress: Callable[[SpiderProgress], None] | None,
) -> int:
    """Wait for the worker to exit, passing on its progress; its exit status."""
    if progress is None:
        return child.wait()
    while True:
        try:
            return child.wait(timeout=INTERVAL)
        except subprocess.TimeoutExpired:
            now = read_progress(progress_path)
            if now is not None:
                progress(now)


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
