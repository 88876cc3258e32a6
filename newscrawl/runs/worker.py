"""One spider run in a process of its own: ``python -m newscrawl.runs.worker SPEC.json``.

`newscrawl crawl` starts one such process per spider, because Twisted's
reactor cannot be restarted within a process. The spec file says what to run;
the worker writes what came of it (the Scrapy stats, or why it could not
start) to the result file the spec names, for the parent to judge and record.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from newscrawl.runs.runner import run_spider


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m newscrawl.runs.worker SPEC.json", file=sys.stderr)
        return 2
    spec: dict[str, Any] = json.loads(Path(argv[0]).read_text(encoding="utf-8"))
    result_path = Path(spec["result"])
    report: dict[str, Any] = {"stats": {}, "start_error": None}
    try:
        result = run_spider(spec["spider"], spec["spider_args"], spec["settings"])
        report["stats"] = result.stats
        report["start_error"] = result.start_error
        report["site"] = result.site
    except Exception as exc:
        report["start_error"] = f"{type(exc).__name__}: {exc}"
        raise
    finally:
        # default=str: Scrapy's stats hold datetimes (start_time, finish_time).
        result_path.write_text(json.dumps(report, default=str), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
