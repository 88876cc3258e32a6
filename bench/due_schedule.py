"""Does one `newscrawl crawl --due` cron line keep every outlet on its interval?

    python3 bench/due_schedule.py [--outlets 20] [--hours 2] [--step 5] [--budget 20s] [--keep DIR]

It serves N made-up outlets (`newscrawl.testing.outlets`), each on its own loopback
address (127.0.0.2, 127.0.0.3, ...) with an RSS feed and two article pages, with
intervals of 15m, 30m, 1h and 2h in turn, declared in a sources file without the
bundled catalogue, UNN or Pravda. It then plays cron: every STEP minutes of a
simulated span of HOURS it runs the real ``newscrawl crawl --due -q`` with the
clock fixed at that minute (NEWSCRAWL_NOW), and reads the crawl_runs table. With
``--budget`` each run gets that time budget (real time): a tight one leaves due
outlets over for later steps, which then wait longer than their interval.

It prints, per outlet, the crawls, the shortest gap between two runs divided by the
interval (target: at least 1, never twice within an interval) and the longest wait
divided by the interval (a gap between runs, or from the last run to the end of the
span; target: at most 2). Then whether every outlet that fell due (its interval
passed since its last run, or it never ran) was crawled, and how many steps later,
worked out here from the runs, apart from newscrawl's own schedule; and the real time
the invocations took.
"""

from __future__ import annotations

import argparse
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from itertools import pairwise
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from newscrawl.sites.sources import interval_of  # noqa: E402
from newscrawl.testing.outlets import OutletSpec, serve_outlets, sources_toml  # noqa: E402

START = datetime(2024, 7, 1, 6, 0, tzinfo=UTC)
INTERVALS = ("15m", "30m", "1h", "2h")
MIN_GAP_TARGET = 1.0
MAX_WAIT_TARGET = 2.0
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "ROBOTSTXT_OBEY=False"
]  # fmt: skip


def newscrawl() -> str:
    """The console script beside this interpreter, else the one on PATH."""
    script = Path(sys.executable).parent / "newscrawl"
    return str(script) if script.exists() else "newscrawl"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--outlets", type=int, default=20)
    parser.add_argument("--hours", type=float, default=2.0, help="the simulated span")
    parser.add_argument("--step", type=int, default=5, help="minutes between cron runs")
    parser.add_argument("--budget", help="each run's --budget (default: NEWSCRAWL_DUE_BUDGET)")
    parser.add_argument("--keep", type=Path, help="keep the archive and logs here")
    args = parser.parse_args(argv)
    specs = [
        OutletSpec(f"outlet{n:02d}", INTERVALS[n % len(INTERVALS)], f"127.0.0.{n + 2}")
        for n in range(args.outlets)
    ]
    steps = [
        START + timedelta(minutes=minute)
        for minute in range(0, int(args.hours * 60) + 1, args.step)
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        db = folder / "news.db"
        for path in folder.glob("news.db*"):
            path.unlink()
        seconds: list[float] = []
        failed: list[tuple[datetime, int, str]] = []
        with serve_outlets(specs, START - timedelta(hours=1)) as mirrors:
            (folder / "sources.toml").write_text(sources_toml(specs, mirrors), encoding="utf-8")
            for n, now in enumerate(steps):
                command = [newscrawl(), "crawl", "--due", "--db", str(db), "-q", *FAST]
                command += ["--budget", args.budget] if args.budget else []
                began = time.perf_counter()
                done = subprocess.run(
                    command,
                    env={**env, "NEWSCRAWL_NOW": now.isoformat()},
                    capture_output=True,
                    text=True,
                    check=False,
                )
                seconds.append(time.perf_counter() - began)
                if done.returncode:
                    failed.append((now, done.returncode, done.stderr.strip()[-300:]))
                print(f"  cron {n + 1}/{len(steps)} at {now:%H:%M}: exit {done.returncode}, "
                      f"{seconds[-1]:.1f} s", file=sys.stderr, flush=True)  # fmt: skip
        with sqlite3.connect(db) as conn:
            runs = conn.execute(
                "SELECT spider, started_at, finish_reason FROM crawl_runs ORDER BY id"
            ).fetchall()
    return report(specs, steps, runs, seconds, failed, args)


def report(
    specs: list[OutletSpec],
    steps: list[datetime],
    runs: list[tuple[str, str, str]],
    seconds: list[float],
    failed: list[tuple[datetime, int, str]],
    args: argparse.Namespace,
) -> int:
    """Print the per-outlet table and the verdicts; 0 when every target is met, else 1."""
    starts: dict[str, list[datetime]] = {spec.name: [] for spec in specs}
    for spider, started_at, _ in runs:
        starts.setdefault(spider, []).append(datetime.fromisoformat(started_at))
    check = due_check(specs, steps, starts)
    end = steps[-1]
    budget = f"--budget {args.budget}" if args.budget else "the default budget"
    print(f"\ndue_schedule: {len(specs)} outlets, cron every {args.step} min, {budget}, over "
          f"{args.hours:g} simulated hours ({len(steps)} real `newscrawl crawl --due` runs, "
          f"{len(runs)} outlet crawls); {os.cpu_count()} cores")  # fmt: skip
    print(f"\n{'outlet':<10} {'interval':>8} {'crawls':>6} {'min gap/interval':>17} "
          f"{'max wait/interval':>18}")  # fmt: skip
    worst_gap, worst_wait = float("inf"), 0.0
    for spec in specs:
        interval = interval_of(spec.interval)
        times = starts[spec.name]
        gaps = [(b - a) / interval for a, b in pairwise(times)]
        waits = [*gaps, (end - times[-1]) / interval] if times else [float("inf")]
        min_gap = min(gaps) if gaps else float("inf")
        worst_gap, worst_wait = min(worst_gap, min_gap), max(worst_wait, max(waits))
        shown_gap = f"{min_gap:.2f}" if gaps else "-"
        print(f"{spec.name:<10} {spec.interval:>8} {len(times):>6} {shown_gap:>17} "
              f"{max(waits):>18.2f}")  # fmt: skip
    reasons = sorted({reason for _, _, reason in runs})
    print(f"\nfinish reasons: {', '.join(reasons)}")
    print(f"min gap / interval over all outlets: {worst_gap:.2f} (target >= {MIN_GAP_TARGET:g}: "
          f"{'met' if worst_gap >= MIN_GAP_TARGET else 'MISSED'})")  # fmt: skip
    waited = "met" if worst_wait <= MAX_WAIT_TARGET else "MISSED"
    print(f"max wait / interval over all outlets: {worst_wait:.2f} (target <= "
          f"{MAX_WAIT_TARGET:g}: {waited})")  # fmt: skip
    on_time = sum(1 for delay in check.delays if not delay)
    latest = max(check.delays, default=timedelta(0))
    print(f"every due outlet crawled: {'yes' if not check.never else 'NO'} "
          f"({on_time} of {len(check.delays)} crawls at the step the outlet fell due, the "
          f"latest {latest.total_seconds() / 60:.0f} min after; {len(check.never)} due outlets "
          f"never crawled; {len(check.extra)} crawls of an outlet not due)")  # fmt: skip
    for name, since in check.never[:10]:
        print(f"  never crawled: {name}, due since {since:%H:%M}")
    for now, name in check.extra[:10]:
        print(f"  not due: {name} at {now:%H:%M}")
    print(f"real time per `crawl --due`: mean {sum(seconds) / len(seconds):.1f} s, "
          f"max {max(seconds):.1f} s, total {sum(seconds):.0f} s")  # fmt: skip
    for now, code, stderr in failed:
        print(f"  {now:%H:%M} exit {code}: {stderr}")
    good = worst_gap >= MIN_GAP_TARGET and worst_wait <= MAX_WAIT_TARGET
    return 0 if good and not check.never and not check.extra and not failed else 1


@dataclass
class DueCheck:
    """Each outlet's crawls against the cron steps at which it was due, worked out here."""

    # (step, outlet) crawled at a step at which it was not due: twice within its interval.
    extra: list[tuple[datetime, str]] = field(default_factory=list)
    # (outlet, when it fell due) never crawled by the end of the span.
    never: list[tuple[str, datetime]] = field(default_factory=list)
    # How long after falling due each crawl came: 0 at its own step, longer when a
    # budget left it over.
    delays: list[timedelta] = field(default_factory=list)


def due_check(
    specs: list[OutletSpec], steps: list[datetime], starts: dict[str, list[datetime]]
) -> DueCheck:
    """Replay the steps: when each outlet fell due (never run, or its interval passed since
    its last run) and when it was crawled."""
    check = DueCheck()
    for spec in specs:
        interval = interval_of(spec.interval)
        crawled = set(starts[spec.name])
        last: datetime | None = None
        due_since: datetime | None = None
        for now in steps:
            is_due = last is None or now - last >= interval
            if is_due and due_since is None:
                # It fell due at the first step at or after its due time.
                due_since = now
            if now in crawled:
                if not is_due or due_since is None:
                    check.extra.append((now, spec.name))
                else:
                    check.delays.append(now - due_since)
                last, due_since = now, None
        if due_since is not None and due_since < steps[-1]:
            check.never.append((spec.name, due_since))
    return check


if __name__ == "__main__":
    sys.exit(main())
