"""One spider run in a process of its own: ``python -m newscrawl.runs.worker SPEC.json``.

`newscrawl crawl` starts one such process per spider, because Twisted's
reactor cannot be restarted within a process. The spec file says what to run;
the worker writes what came of it (the Scrapy stats, or why it could not
start) to the result file the spec names, for the parent to judge and record.

The worker does not outlive its parent. Should `newscrawl crawl` be killed
(SIGKILL gives it no chance to stop its worker), the worker is sent SIGTERM
(Linux's parent-death signal; elsewhere a thread that watches the parent) and
stops its spider gracefully, as on a Ctrl-C. With nobody left to read its
result, it then records its run in `crawl_runs` itself, and its exit frees the
archive's lock, whose descriptor it inherited.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import json
import os
import shutil
import signal
import sys
import threading
import time
from pathlib import Path
from typing import Any

from newscrawl.runs.clock import current_time
from newscrawl.runs.project import project_settings
from newscrawl.runs.runner import RunRecord, run_spider
from newscrawl.runs.verdict import CrawlResult

# prctl(2): deliver this signal to the calling process when its parent dies.
_PR_SET_PDEATHSIG = 1
# How often the portable watch looks for a new parent, in seconds.
_WATCH_INTERVAL = 0.5


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m newscrawl.runs.worker SPEC.json", file=sys.stderr)
        return 2
    spec: dict[str, Any] = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result_path = Path(spec["result"])
    parent = spec.get("parent")
    stopped_early: list[int] = []
    if parent is not None:
        # Until Scrapy installs its own handlers, a SIGTERM is noted: it stops the
        # run before it starts rather than killing the worker unrecorded.
        signal.signal(signal.SIGTERM, lambda signum, frame: stopped_early.append(signum))
        _die_with_parent(int(parent))
    report: dict[str, Any] = {"stats": {}, "start_error": None}
    try:
        if stopped_early or _orphaned(parent):
            report["start_error"] = "stopped before it started: newscrawl crawl is gone"
        else:
            progress = spec.get("progress")
            result = run_spider(
                spec["spider"],
                spec["spider_args"],
                spec["settings"],
                progress_file=Path(progress) if progress else None,
            )
            report["stats"] = result.stats
            report["start_error"] = result.start_error
            report["site"] = result.site
    except Exception as exc:
        report["start_error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        if _orphaned(parent) and spec.get("record"):
            _record_own_run(spec, report)
            # The parent's temporary folder: nobody else will remove it now.
            shutil.rmtree(result_path.parent, ignore_errors=True)
        else:
            # default=str: Scrapy's stats hold datetimes (start_time, finish_time).
            result_path.write_text(json.dumps(report, default=str), encoding="utf-8")
    return 0


def _orphaned(parent: int | None) -> bool:
    """Whether the process that started this worker is gone (another one adopted it)."""
    return parent is not None and os.getppid() != parent


def _die_with_parent(parent: int) -> None:
    """Have SIGTERM sent to this process when `parent` dies."""
    libc_name = ctypes.util.find_library("c") if sys.platform.startswith("linux") else None
    if libc_name is not None:
        libc = ctypes.CDLL(libc_name, use_errno=True)
        if libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM, 0, 0, 0) == 0:
            if os.getppid() != parent:  # it died before the request took effect
                os.kill(os.getpid(), signal.SIGTERM)
            return
    threading.Thread(target=_watch_parent, args=(parent,), daemon=True).start()


def _watch_parent(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(_WATCH_INTERVAL)
    # Once: Scrapy takes a second SIGTERM as "stop now", losing what is in flight.
    os.kill(os.getpid(), signal.SIGTERM)


def _record_own_run(spec: dict[str, Any], report: dict[str, Any]) -> None:
    """Record the run in `crawl_runs` as the parent would have."""
    record = RunRecord.from_json(spec["record"])
    stats = json.loads(json.dumps(report["stats"], default=str))
    result = CrawlResult(
        spec["spider"],
        record.db_path,
        stats=stats,
        start_error=report["start_error"],
        site=report.get("site"),
    )
    now = project_settings(spec["settings"]).get("NEWSCRAWL_NOW")
    record.complete(result, current_time(now))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
