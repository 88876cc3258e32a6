"""What archiving costs over fetching: `newscrawl crawl unn` against bare Scrapy, same pages.

    python3 bench/crawl_cost.py [--pages 3000] [--concurrency 16]
    python3 bench/crawl_cost.py --pages 20000 --prefill 1000000     # item 5: memory

It generates a UNN-style mirror of N article pages with the sample site's own
markup (`bench/_mirror.py`: listings of 6 cards a page, an RSS feed), serves it
on 127.0.0.1 from a process of its own, and runs, each in a process of its own,
with the same concurrency and AutoThrottle off:

(a) bare: Scrapy fetching the same pages without parsing or storing them
    (`bench/_bare_crawl.py`);
(b) real: ``newscrawl crawl unn`` with every pipeline, the archive and WARC on,
    into a fresh archive;
(c) with ``--prefill M``: the same crawl again into an archive that already holds
    M other articles (with ~3 links and ~5 view snapshots each). Nothing may load
    the whole archive, so its peak RSS must stay within 50 MB of (b).

For each it prints the wall time, article pages per second, CPU seconds per
article page (user + sys of the crawl's whole process tree, read from
``wait4``), the peak RSS (the largest process of the tree), and the share of a
core the mirror used meanwhile (near 100% would mean the server, not the
crawler, set the pace). Then the ratios (b)/(a). Targets: (b)'s CPU per page at
most 3x (a)'s; (b)'s peak RSS under 400 MB for 20,000 pages; (c) - (b) at most
50 MB.

``--py-spy FILE`` records a py-spy profile of (b): a flamegraph SVG, speedscope
JSON if FILE ends in .json, collapsed stacks if in .txt. Its figures are then
not comparable.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(BENCH))


from sqlite_utils import Database  # noqa: E402

from newscrawl import settings as project_settings  # noqa: E402
from newscrawl.archive.queries import last_recorded_run  # noqa: E402

CPU_TARGET = 3.0
RSS_TARGET_MB = 400
PREFILL_RSS_TARGET_MB = 50


@dataclass
class Run:
    """One crawl's measurements."""

    name: str
    articles: int  # article pages fetched and (for the real crawl) archived
    responses: int
    wall_s: float
    cpu_s: float
    peak_rss_mb: float
    mirror_cpu_s: float
    exit_code: int

    @property
    def pages_per_s(self) -> float:
        return self.articles / self.wall_s if self.wall_s else 0.0

    @property
    def cpu_ms_per_page(self) -> float:
        return 1000 * self.cpu_s / self.articles if self.articles else float("nan")


class MirrorProcess:
    """bench/_mirror.py running in a child process."""

    def __init__(self, pages: int) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(BENCH / "_mirror.py"), "--pages", str(pages)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self._stdin: IO[str] = self.process.stdin  # type: ignore[assignment]
        self._stdout: IO[str] = self.process.stdout  # type: ignore[assignment]
        ready = json.loads(self._stdout.readline())
        self.url: str = ready["url"]
        self.paths: int = ready["paths"]

    def cpu_s(self) -> float:
        """The mirror's CPU seconds so far."""
        self._stdin.write("\n")
        self._stdin.flush()
        return float(json.loads(self._stdout.readline())["cpu_s"])

    def close(self) -> None:
        self._stdin.close()
        self.process.wait(timeout=30)


def measured(
    name: str, command: list[str], mirror: MirrorProcess, log: Path, **popen: Any
) -> tuple[float, float, float, float, int]:
    """Run `command` to its end: wall s, CPU s and peak RSS MB of its tree, mirror CPU, exit."""
    print(f"  {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    mirror_before = mirror.cpu_s()
    started = time.perf_counter()
    with log.open("wb") as output:
        child = subprocess.Popen(command, stdout=output, stderr=subprocess.STDOUT, **popen)
        # wait4's usage covers the child and every descendant it waited for (the
        # crawl's worker process), and ru_maxrss is the largest of them, in KiB.
        _, status, usage = os.wait4(child.pid, 0)
        child.returncode = os.waitstatus_to_exitcode(status)
    wall = time.perf_counter() - started
    mirror_cpu = mirror.cpu_s() - mirror_before
    return (
        wall,
        usage.ru_utime + usage.ru_stime,
        usage.ru_maxrss / 1024,
        mirror_cpu,
        child.returncode,
    )


def crawl_settings(concurrency: int) -> list[str]:
    """The -s options both crawls get: same concurrency, AutoThrottle off, robots.txt obeyed.

    The baseline gets the project's CONCURRENT_ITEMS too: it cuts Scrapy's own
    cost per response, and the comparison is of what the project adds.
    """
    settings = {
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS": str(concurrency),
        "CONCURRENT_REQUESTS_PER_DOMAIN": str(concurrency),
        "CONCURRENT_ITEMS": str(project_settings.CONCURRENT_ITEMS),
        "ROBOTSTXT_OBEY": "True",
        "LOG_LEVEL": "INFO",
    }
    return [arg for name, value in settings.items() for arg in ("-s", f"{name}={value}")]


def bare_run(mirror: MirrorProcess, work: Path, pages: int, concurrency: int) -> Run:
    stats_path = work / "bare-stats.json"
    command = [
        sys.executable,
        str(BENCH / "_bare_crawl.py"),
        mirror.url,
        str(stats_path),
        *crawl_settings(concurrency),
    ]
    wall, cpu, rss, mirror_cpu, code = measured(
        "bare", command, mirror, work / "bare.log", cwd=work
    )
    stats = json.loads(stats_path.read_text()) if stats_path.exists() else {}
    return Run(
        "(a) bare Scrapy",
        articles=pages,
        responses=int(stats.get("response_received_count", 0)),
        wall_s=wall,
        cpu_s=cpu,
        peak_rss_mb=rss,
        mirror_cpu_s=mirror_cpu,
        exit_code=code,
    )


def real_run(
    name: str,
    mirror: MirrorProcess,
    work: Path,
    db: Path,
    concurrency: int,
    py_spy: Path | None = None,
) -> Run:
    warc_dir = work / f"warc-{db.stem}"
    command = [
        sys.executable,
        "-m",
        "newscrawl",
        "crawl",
        "unn",
        "--db",
        str(db),
        "-a",
        f"base_url={mirror.url}",
        *crawl_settings(concurrency),
        "-s",
        f"NEWSCRAWL_WARC_DIR={warc_dir}",
        "-s",
        "NEWSCRAWL_WARC=on",
    ]
    if py_spy is not None:
        spy = shutil.which("py-spy")
        if spy is None:
            raise SystemExit("--py-spy: install py-spy first (pip install py-spy)")
        fmt = {".json": "speedscope", ".txt": "raw"}.get(py_spy.suffix, "flamegraph")
        command = [spy, "record", "--subprocesses", "-f", fmt, "-o", str(py_spy), "--", *command]
    wall, cpu, rss, mirror_cpu, code = measured(
        name, command, mirror, work / f"{db.stem}.log", cwd=work
    )
    with sqlite3.connect(db) as conn:
        run = last_recorded_run(Database(conn))
    if run is None:
        raise SystemExit(f"{name}: no crawl_runs row; see {work}")
    exit_code = run["exit_code"]
    if exit_code:
        print(f"  {name}: exit {exit_code}: {run['message']}", file=sys.stderr)
    return Run(
        name,
        articles=run["articles_new"],
        responses=run["pages_fetched"],
        wall_s=wall,
        cpu_s=cpu,
        peak_rss_mb=rss,
        mirror_cpu_s=mirror_cpu,
        exit_code=exit_code or code,
    )


def median_run(runs: list[Run], kind: str) -> Run | None:
    """The run of that kind ("(a)", "(b)", "(c)") with the median CPU per page."""
    of_kind = sorted(
        (run for run in runs if run.name.startswith(kind)), key=lambda run: run.cpu_ms_per_page
    )
    return of_kind[(len(of_kind) - 1) // 2] if of_kind else None


def print_table(runs: list[Run]) -> None:
    header = (
        "crawl",
        "articles",
        "responses",
        "wall s",
        "pages/s",
        "CPU s",
        "CPU ms/page",
        "peak RSS MB",
        "mirror CPU",
        "exit",
    )
    rows = [
        (
            run.name,
            str(run.articles),
            str(run.responses),
            f"{run.wall_s:.1f}",
            f"{run.pages_per_s:.0f}",
            f"{run.cpu_s:.1f}",
            f"{run.cpu_ms_per_page:.2f}",
            f"{run.peak_rss_mb:.0f}",
            f"{100 * run.mirror_cpu_s / run.wall_s:.0f}%",
            str(run.exit_code),
        )
        for run in runs
    ]
    print("| " + " | ".join(header) + " |")
    print("|" + "---|" * len(header))
    for row in rows:
        print("| " + " | ".join(row) + " |")


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--pages", type=int, default=3000, help="article pages (%(default)s)")
    parser.add_argument(
        "--concurrency", type=int, default=16, help="concurrent requests, both crawls (%(default)s)"
    )
    parser.add_argument(
        "--prefill",
        type=int,
        default=0,
        metavar="M",
        help="also crawl into an archive already holding M articles",
    )
    parser.add_argument(
        "--prefill-cache",
        type=Path,
        default=Path(tempfile.gettempdir()) / "newscrawl-bench",
        help="where the prefilled archive is kept between runs (%(default)s)",
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="rounds of the crawls, alternated (%(default)s)"
    )
    parser.add_argument("--skip-bare", action="store_true", help="do not run (a)")
    parser.add_argument("--keep", type=Path, help="keep archives, WARC files and logs here")
    parser.add_argument("--py-spy", type=Path, metavar="FILE", help="profile (b) with py-spy")
    args = parser.parse_args()

    work = Path(tempfile.mkdtemp(prefix="crawl-cost-")) if args.keep is None else args.keep
    work.mkdir(parents=True, exist_ok=True)
    prefilled: Path | None = None
    if args.prefill:
        # Built in a process of its own: the crawls are forked from this one, and
        # a fork starts with this process's resident pages, which ru_maxrss
        # would then report as the crawl's peak (400 MB after building 1M here).
        builder = [sys.executable, str(BENCH / "_prefill.py"), str(args.prefill)]
        built = subprocess.run(
            [*builder, str(args.prefill_cache)], check=True, stdout=subprocess.PIPE, text=True
        )
        prefilled = Path(built.stdout.strip().splitlines()[-1])
    print(
        f"crawl_cost: {args.pages} article pages, concurrency {args.concurrency}, "
        f"{os.cpu_count()} cores; work dir {work}",
        file=sys.stderr,
    )
    mirror = MirrorProcess(args.pages)
    runs: list[Run] = []
    try:
        for round_ in range(1, args.repeat + 1):
            suffix = f" #{round_}" if args.repeat > 1 else ""
            if not args.skip_bare:
                runs.append(bare_run(mirror, work, args.pages, args.concurrency))
                runs[-1].name += suffix
            fresh = work / f"fresh{round_}.db"
            runs.append(
                real_run(
                    "(b) newscrawl crawl unn" + suffix,
                    mirror,
                    work,
                    fresh,
                    args.concurrency,
                    args.py_spy if round_ == 1 else None,
                )
            )
            if prefilled is not None:
                db = work / f"prefilled{round_}.db"
                shutil.copyfile(prefilled, db)
                runs.append(
                    real_run(
                        f"(c) same, into {args.prefill:,} articles{suffix}",
                        mirror,
                        work,
                        db,
                        args.concurrency,
                    )
                )
                if args.keep is None:
                    db.unlink()  # it is large
    finally:
        mirror.close()
        if args.keep is None:
            shutil.rmtree(work, ignore_errors=True)

    print()
    print_table(runs)
    print()
    bare = median_run(runs, "(a)")
    real = median_run(runs, "(b)")
    assert real is not None
    into_prefilled = median_run(runs, "(c)")
    which = "medians of the rounds, " if args.repeat > 1 else ""
    verdicts: list[bool] = []
    if bare is not None:
        cpu_ratio = real.cpu_ms_per_page / bare.cpu_ms_per_page
        verdicts.append(cpu_ratio <= CPU_TARGET)
        print(
            f"(b)/(a), {which}CPU per page: {cpu_ratio:.2f}x (target <= {CPU_TARGET:g}x: "
            f"{'met' if verdicts[-1] else 'NOT met'}); wall time "
            f"{real.wall_s / bare.wall_s:.2f}x; peak RSS {real.peak_rss_mb / bare.peak_rss_mb:.2f}x"
        )
    if args.pages >= 20000:
        verdicts.append(real.peak_rss_mb < RSS_TARGET_MB)
        print(
            f"(b) peak RSS {real.peak_rss_mb:.0f} MB (target < {RSS_TARGET_MB} MB for 20,000 "
            f"pages: {'met' if verdicts[-1] else 'NOT met'})"
        )
    if into_prefilled is not None:
        grown = into_prefilled.peak_rss_mb - real.peak_rss_mb
        verdicts.append(grown <= PREFILL_RSS_TARGET_MB)
        print(
            f"(c) - (b) peak RSS: {grown:+.0f} MB (target <= {PREFILL_RSS_TARGET_MB} MB: "
            f"{'met' if verdicts[-1] else 'NOT met'})"
        )
    if any(run.exit_code for run in runs):
        print("a crawl did not exit 0: see its log (run with --keep DIR)")
        return 1
    return 0 if all(verdicts) else 1


if __name__ == "__main__":
    sys.exit(main())
