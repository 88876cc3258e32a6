"""Re-parse throughput: UNN pages per second from WARC files into a fresh archive.

    python3 bench/reparse_rate.py [--pages 2000] [--jobs 1,2] [--keep DIR]

Crawls a generated UNN-style mirror (`bench/_mirror.py`'s `generated_site`: N article pages,
their listings and the feed) with the real `scrapy crawl unn`, WARC capture on. Then it
re-parses the crawl's WARC files into a fresh archive with `newscrawl reparse`'s own code
(`newscrawl.runs.reparse.reparse_files`), once per `--jobs` value, and prints pages per second
(target: >= 200 UNN pages/s on 2 cores). Last, a profile of the `--jobs 1` run (cProfile,
one process, so every stage is booked) shows where the time goes: scanning the WARC files,
reading a page's record, the parser, the other pipelines, and the archive writes.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(REPO_ROOT / "bench"))

from _mirror import generated_site  # noqa: E402

from newscrawl.archive import Archive  # noqa: E402
from newscrawl.archive.queries import row_counts  # noqa: E402
from newscrawl.runs.reparse import ReparseReport, reparse_files  # noqa: E402
from newscrawl.testing.mirror import serve  # noqa: E402

# Profile stages: (name, a function whose cumulative time is the stage's).
STAGES = (
    ("scan the WARC files for item records", "reparse.py", "items_to_replay"),
    ("read a page's response record", "warc.py", "page_body"),
    ("parse pipeline (the UNN parser)", "parse.py", "process_item"),
    ("validate + normalise pipelines", None, None),
    ("dedupe + store (archive writes)", "reparse.py", "_write"),
)


def crawl_mirror(pages: int, folder: Path) -> tuple[Path, float]:
    """Crawl a generated mirror of `pages` articles; returns the WARC folder and seconds."""
    site = generated_site(pages, datetime.now(UTC))
    warc_dir = folder / "warc"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    with serve(site) as mirror:
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "scrapy", "crawl", "unn", "-a", f"base_url={mirror}",
             "-a", "languages=uk",
             "-s", f"NEWSCRAWL_DB={folder / 'crawl.db'}",
             "-s", f"NEWSCRAWL_WARC_DIR={warc_dir}",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
             "-s", "CONCURRENT_REQUESTS_PER_DOMAIN=16", "-s", "NEWSCRAWL_REVISITS=off",
             "-s", "LOG_LEVEL=WARNING", "-s", f"LOG_FILE={folder / 'crawl.log'}"],
            cwd=REPO_ROOT, env=env, capture_output=True, text=True, check=False,
        )  # fmt: skip
        seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"the crawl failed ({done.returncode}); see {folder / 'crawl.log'}")
    return warc_dir, seconds


def reparse(warc_dir: Path, db: Path, jobs: int) -> tuple[ReparseReport, float]:
    started = time.perf_counter()
    report = reparse_files(
        [warc_dir], overrides={"NEWSCRAWL_DB": str(db)}, jobs=jobs, stream=io.StringIO()
    )
    return report, time.perf_counter() - started


def stage_seconds(profile: pstats.Stats) -> dict[str, float]:
    """Cumulative seconds of each stage's function in the profile."""
    found: dict[str, float] = {}
    pipelines = 0.0
    for (filename, _, function), (_, _, _, cumulative, _) in profile.stats.items():  # type: ignore[attr-defined]
        for name, file_suffix, wanted in STAGES:
            if file_suffix and filename.endswith(file_suffix) and function == wanted:
                found[name] = found.get(name, 0.0) + cumulative
        if function == "process_item" and (
            filename.endswith("validate.py") or filename.endswith("normalize.py")
        ):
            pipelines += cumulative
    found["validate + normalise pipelines"] = pipelines
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--jobs", default="1,2", help="comma-separated --jobs values to time")
    parser.add_argument("--keep", type=Path, help="keep the crawl, WARC and archives here")
    parser.add_argument("--no-profile", action="store_true")
    args = parser.parse_args(argv)
    jobs_values = [int(value) for value in args.jobs.split(",")]

    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"crawling a generated mirror of {args.pages} pages...", file=sys.stderr)
        warc_dir, crawl_seconds = crawl_mirror(args.pages, folder)
        with Archive(folder / "crawl.db") as archive:
            crawled = row_counts(archive.db, ["articles"])["articles"]
        warc_bytes = sum(path.stat().st_size for path in warc_dir.rglob("*.warc.gz"))

        rows = []
        for jobs in jobs_values:
            db = folder / f"reparse-jobs{jobs}.db"
            for path in folder.glob(f"{db.name}*"):
                path.unlink()
            report, seconds = reparse(warc_dir, db, jobs)
            with Archive(db) as archive:
                stored = row_counts(archive.db, ["articles"])["articles"]
            pages = stored + report.duplicates + len(report.failures)
            rows.append((jobs, report, seconds, stored, pages))

        print(f"\nreparse_rate: {crawled} articles crawled in {crawl_seconds:.0f} s; "
              f"WARC {warc_bytes / 1e6:.1f} MB; {os.cpu_count()} cores")  # fmt: skip
        print("\n| --jobs | records | articles stored | seconds | pages/s | target |")
        print("|---|---|---|---|---|---|")
        for jobs, report, seconds, stored, pages in rows:
            print(
                f"| {jobs} | {report.records} | {stored} | {seconds:.1f} | "
                f"{pages / seconds:.0f} | >= 200 on 2 cores |"
            )
            if report.failures or stored != crawled:
                print(
                    f"|   | {len(report.failures)} failed, {stored} of {crawled} stored | | | | |"
                )

        if not args.no_profile:
            db = folder / "reparse-profile.db"
            for path in folder.glob(f"{db.name}*"):
                path.unlink()
            profiler = cProfile.Profile()
            started = time.perf_counter()
            profiler.runcall(reparse, warc_dir, db, 1)
            total = time.perf_counter() - started
            profile = pstats.Stats(profiler)
            found = stage_seconds(profile)
            print("\nwhere the time goes, --jobs 1 under cProfile (inflates Python-heavy parts)")
            print("\n| stage | seconds | share |\n|---|---|---|")
            for name, _, _ in STAGES:
                seconds = found.get(name, 0.0)
                print(f"| {name} | {seconds:.1f} | {seconds / total:.0%} |")
            rest = total - sum(found.values())
            print(f"| other (set-up, report, progress) | {rest:.1f} | {rest / total:.0%} |")
            print(f"| total | {total:.1f} | 100% |")
            out = io.StringIO()
            pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(12)
            print("\ntop functions by own time:\n" + "\n".join(out.getvalue().splitlines()[6:]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
