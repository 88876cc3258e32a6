"""`newscrawl crawl`: run spiders one after another into the archive, safe to run from cron."""

from __future__ import annotations

import argparse
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl.cli.options import Subcommands, add_db_option
from newscrawl.errors import ArchiveError

if TYPE_CHECKING:
    from scrapy.settings import BaseSettings

    from newscrawl.crawler.progress import SpiderProgress
    from newscrawl.runs.due import DueOutlet
    from newscrawl.runs.verdict import CrawlResult

# Kept in step with newscrawl.runs.verdict.ExitCode (a test checks), without
# importing Scrapy just to print --help.
CRAWL_EXIT_CODES = """\
--due crawls the enabled outlets whose interval has passed since their last run
(never-run first, then oldest last run first), within a time budget per run
(--budget, default NEWSCRAWL_DUE_BUDGET): one cron line for every outlet,
  */5 * * * * newscrawl crawl --due --db /srv/news/news.db -q
An outlet stopped by the budget (finish reason closespider_timeout) exits 0 and
continues its walk next time; outlets not started are left for the next run.
With -q, --due says nothing when another run holds the lock (it still exits 75).

exit codes (with several spiders, that of the first spider that did not exit 0;
for one spider, the first that applies of 3, 1, 6, 5, 4, 7):
  0   every spider finished normally (under --due: or was stopped by its budget)
  1   a spider stopped for another reason than "finished" (archive_error, shutdown, ...)
  2   usage error: unknown spider, -a name or NEWSCRAWL_* setting, malformed
      setting value or LOG_LEVEL, broken sources file (nothing is fetched)
  3   failed to start: the archive cannot be opened, or the spider rejected its arguments
  4   more ERROR log lines than the setting NEWSCRAWL_MAX_ERRORS (default 0)
  5   article pages were fetched but none archived: the site's layout has likely changed
  6   no page could be fetched at all: the site is down or blocks us
  7   the site is unwell: requests failed after retries (5xx, 429, timeouts),
      or every article page was 404
  75  another crawl holds the archive's lock: nothing was done, try again later

Each spider logs at INFO to <archive folder>/logs/<spider>-<UTC time>.log, named
as it starts, and prints a one-line summary; on a terminal a progress line shows
meanwhile. Every run is recorded in the crawl_runs table.
"""

HELP = "run spiders into the archive, safe to run from cron"
DESCRIPTION = """\
Run one or more spiders, one after another, into the archive. Only one
crawl runs per archive at a time (a lock file beside it); the exit code
says whether every spider did its job. Works from any directory.
"""


def add_subparser(commands: Subcommands) -> None:
    crawl = commands.add_parser(
        "crawl",
        help=HELP,
        description=DESCRIPTION,
        epilog=CRAWL_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    crawl.set_defaults(run=run)
    crawl.add_argument(
        "spiders", nargs="*", metavar="SPIDER", help="spider names, e.g. unn (see --all)"
    )
    crawl.add_argument(
        "--all",
        action="store_true",
        help="run every site's spider, in name order (not the generic 'news', which needs -a)",
    )
    crawl.add_argument(
        "--due",
        action="store_true",
        help=(
            "run the enabled outlets that are due (their interval has passed since their "
            "last run), oldest last run first; SPIDER names, if given, narrow them down"
        ),
    )
    crawl.add_argument(
        "--budget",
        metavar="DURATION",
        help=(
            "with --due: start outlets only within this much time (10m, 1h, 90s), each "
            "stopped when it runs out (default: $NEWSCRAWL_DUE_BUDGET or 10m)"
        ),
    )
    crawl.add_argument(
        "-q", "--quiet", action="store_true", help="print only errors (for cron mail)"
    )
    crawl.add_argument(
        "--resume",
        metavar="NAME",
        help=(
            "keep the crawl's state in jobs/NAME beside the archive (a Scrapy JOBDIR): "
            "a crawl stopped with one Ctrl-C (SIGINT) or SIGTERM continues where it "
            "stopped when run again with the same NAME; the state is removed once the "
            "crawl finishes; one spider only"
        ),
    )
    add_db_option(crawl)
    crawl.add_argument(
        "-a",
        dest="spider_args",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="spider argument, e.g. -a languages=uk,en -a max_pages=5 -a base_url=URL",
    )
    crawl.add_argument(
        "-s",
        dest="settings",
        metavar="NAME=VALUE",
        action="append",
        default=[],
        help="override a Scrapy or NEWSCRAWL_* setting, e.g. -s LOG_LEVEL=WARNING",
    )


def run(args: argparse.Namespace) -> int:
    from newscrawl.errors import SourcesError
    from newscrawl.runs.project import project_settings
    from newscrawl.runs.settings_check import SettingError, check_settings
    from spiders.registry import site_spider_names, spider_names

    overrides = _pairs(args.settings, "-s")
    if args.db:
        overrides["NEWSCRAWL_DB"] = args.db
    settings = project_settings(overrides)
    try:
        # Every name and value before anything is fetched: a typo is not ignored.
        check_settings(settings, _pairs(args.settings, "-s"))
    except SettingError as exc:
        return _usage_error(str(exc))
    if args.due and args.all:
        return _usage_error("give --due or --all, not both")
    if args.budget is not None and not args.due:
        return _usage_error("--budget goes with --due")
    if args.due and args.resume:
        return _usage_error("--resume works with one spider at a time, not with --due")
    from newscrawl.crawler.commands.crawl import joined_spider_args

    # A repeated -a NAME=VALUE adds values (-a feed=A -a feed=B), as with `scrapy crawl`.
    spider_args = {**_pairs(args.spider_args, "-a"), **joined_spider_args(args.spider_args)}
    if args.due:
        return crawl_due(
            list(dict.fromkeys(args.spiders)),
            spider_args,
            overrides,
            budget=args.budget or settings.get("NEWSCRAWL_DUE_BUDGET"),
            quiet=args.quiet,
        )
    try:
        known = spider_names(settings)
        sites = site_spider_names(settings) if args.all else []
    except SourcesError as exc:
        return _usage_error(str(exc))
    if args.all and args.spiders:
        return _usage_error("give spider names or --all, not both")
    names = sites if args.all else list(dict.fromkeys(args.spiders))
    if not names:
        return _usage_error(f"name a spider, or give --all or --due; spiders: {', '.join(known)}")
    unknown = [name for name in names if name not in known]
    if unknown:
        return _usage_error(
            f"no spider named {unknown[0]!r}; spiders: {', '.join(known)} (see 'scrapy list')"
        )
    if args.resume and len(names) > 1:
        return _usage_error("--resume works with one spider at a time")
    error = _spider_argument_error(names, spider_args, settings)
    if error is not None:
        return _usage_error(error)
    code, results = crawl_outcome(
        names, spider_args, overrides, quiet=args.quiet, resume=args.resume
    )
    if args.resume:
        _tell_how_to_continue(args, results)
    return code


def _spider_argument_error(
    names: Sequence[str], spider_args: dict[str, str], settings: BaseSettings
) -> str | None:
    """Why some spider of `names` would refuse the -a names (the first such); None if none."""
    from spiders.arguments import unknown_argument_error
    from spiders.registry import SiteSpiderLoader

    loader = SiteSpiderLoader.from_settings(settings)
    for name in names:
        error = unknown_argument_error(loader.load(name), spider_args)
        if error is not None:
            return f"-a: {error}"
    return None


def _tell_how_to_continue(args: argparse.Namespace, results: Sequence[CrawlResult]) -> None:
    """After a `--resume` crawl that stopped before its end, print the command that goes on."""
    if not results:
        return
    result = results[-1]
    if not (result.db_path.parent / "jobs" / args.resume).is_dir():
        return  # finished: its state is gone, and a new run starts afresh
    command = ["newscrawl", "crawl", result.spider, "--resume", args.resume]
    command += ["--db", str(result.db_path)]
    for pair in args.spider_args:
        command += ["-a", pair]
    for pair in args.settings:
        if not pair.startswith("NEWSCRAWL_DB="):
            command += ["-s", pair]
    if args.quiet:
        command.append("-q")
    line = f"{result.spider}: stopped before the end; to continue, run: {shlex.join(command)}"
    print(line, file=sys.stderr if args.quiet else sys.stdout, flush=True)


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name:
            print(f"newscrawl: {option} expects NAME=VALUE, got {value!r}", file=sys.stderr)
            raise SystemExit(2)
        pairs[name] = setting
    return pairs


def _usage_error(message: str) -> int:
    print(f"newscrawl: {message}", file=sys.stderr)
    return 2


def crawl_due(
    wanted: Sequence[str],
    spider_args: dict[str, str],
    overrides: dict[str, str],
    *,
    budget: str,
    quiet: bool = False,
) -> int:
    """`crawl --due`: run the due outlets (among `wanted`, if any) within `budget`.

    Returns the exit code: 2 for an unknown or disabled name or a bad budget,
    else that of `crawl_outcome`, where a stop by the budget counts as 0.
    """
    from newscrawl.errors import SourcesError
    from newscrawl.runs.clock import current_time
    from newscrawl.runs.due import budget_of
    from newscrawl.runs.project import project_settings
    from newscrawl.sites.registry import registry_of_settings

    settings = project_settings(overrides)
    try:
        allowance = budget_of(budget)
        current_time(settings.get("NEWSCRAWL_NOW"))
        registry = registry_of_settings(settings)
    except (ValueError, SourcesError) as exc:
        return _usage_error(str(exc))
    for name in wanted:
        site = registry.named(name)
        if site is None:
            enabled = ", ".join(site.name for site in registry.enabled())
            return _usage_error(f"no outlet named {name!r}; enabled outlets: {enabled}")
        if not site.enabled:
            return _usage_error(f"the outlet {name!r} is switched off (enabled = false)")
    outlets = [
        (site.name, site.interval)
        for site in registry.enabled()
        if not wanted or site.name in wanted
    ]
    try:
        error = _spider_argument_error([name for name, _ in outlets], spider_args, settings)
    except SourcesError as exc:
        return _usage_error(str(exc))
    if error is not None:
        return _usage_error(error)
    schedule = _DueSchedule(outlets, Path(settings["NEWSCRAWL_DB"]), settings, allowance)
    code, results = crawl_outcome(
        schedule.due_names,
        spider_args,
        overrides,
        quiet=quiet,
        time_limit=schedule.time_limit,
        # Every cron step that meets a run still in its budget would mail this; an
        # outlet that is never crawled shows in `newscrawl status` instead.
        quiet_when_locked=quiet,
    )
    if schedule.due is None or quiet:  # the lock was held, or the archive failed
        return code
    if not schedule.due:
        print(schedule.nothing_due_line(), flush=True)
    left = schedule.left_over(results)
    if left:
        noun = "outlet" if len(left) == 1 else "outlets"
        print(
            f"time budget of {budget} spent: {len(left)} due {noun} left for the next run: "
            + ", ".join(left),
            flush=True,
        )
    return code


class _DueSchedule:
    """The schedule of one `crawl --due`: what is due, read under the lock, and the budget."""

    def __init__(
        self,
        outlets: Sequence[tuple[str, timedelta]],
        db_path: Path,
        settings: BaseSettings,
        budget: timedelta,
    ) -> None:
        self.outlets = outlets
        self.db_path = db_path
        self.settings = settings
        self.budget = budget
        self.started = time.monotonic()
        # Each outlet's last run start; set with `due` when the lock is held.
        self.last_started: dict[str, datetime] = {}
        self.due: list[DueOutlet] | None = None
        self.budget_spent = False

    def due_names(self) -> list[str]:
        """The due outlets' names in crawl order, read from the archive (under its lock)."""
        from newscrawl.archive import Archive
        from newscrawl.archive.queries import last_run_starts
        from newscrawl.runs.clock import current_time
        from newscrawl.runs.due import due_outlets

        with Archive(self.db_path, read_only=True) as archive:
            self.last_started = last_run_starts(archive.db)
        now = current_time(self.settings.get("NEWSCRAWL_NOW"))
        self.due = due_outlets(self.outlets, self.last_started, now)
        # The budget is real time, whatever NEWSCRAWL_NOW says: it is counted from
        # the moment the lock is held, when the crawling can begin.
        self.started = time.monotonic()
        return [outlet.name for outlet in self.due]

    def time_limit(self, name: str) -> float | None:
        """The next outlet's CLOSESPIDER_TIMEOUT in seconds; None once the budget is spent."""
        from newscrawl.runs.due import spider_time_limit

        limit = spider_time_limit(self.budget, timedelta(seconds=time.monotonic() - self.started))
        self.budget_spent = limit is None
        return limit

    def left_over(self, results: Sequence[CrawlResult]) -> list[str]:
        """The due outlets the spent budget kept from starting, in crawl order."""
        if not self.budget_spent or self.due is None:
            return []
        ran = {result.spider for result in results}
        return [outlet.name for outlet in self.due if outlet.name not in ran]

    def nothing_due_line(self) -> str:
        """ "nothing is due; next: NAME at TIME", the outlet that falls due first."""
        from newscrawl.runs.due import next_due_outlet

        upcoming = next_due_outlet(self.outlets, self.last_started)
        if upcoming is None:
            return "nothing is due; no outlet is enabled"
        due_at = upcoming.due_at()
        when = due_at.isoformat(timespec="seconds") if due_at is not None else "once"
        return f"nothing is due; next: {upcoming.name} at {when}"


def crawl_outcome(
    names: Sequence[str] | Callable[[], Sequence[str]],
    spider_args: dict[str, str],
    overrides: dict[str, str],
    *,
    quiet: bool = False,
    resume: str | None = None,
    time_limit: Callable[[str], float | None] | None = None,
    quiet_when_locked: bool = False,
) -> tuple[int, list[CrawlResult]]:
    """Run the spiders, printing a summary line each; the exit code and the results.

    `names` and `time_limit` are as `newscrawl.runs.runner.crawl_spiders` takes them;
    `quiet_when_locked` exits 75 without a word when another run holds the lock.
    """
    from newscrawl.errors import SourcesError
    from newscrawl.runs.lock import LockHeld
    from newscrawl.runs.project import project_settings
    from newscrawl.runs.runner import crawl_spiders
    from newscrawl.runs.settings_check import SettingError, check_settings
    from newscrawl.runs.verdict import ExitCode

    settings = project_settings(overrides)
    try:
        # Bad values are usage errors now, not a traceback in every spider's log.
        check_settings(settings, overrides)
    except SettingError as exc:
        return _usage_error(str(exc)), []
    # Progress only for a person watching: cron mail, pipes and -q get none.
    progress = _ProgressLine() if not quiet and sys.stdout.isatty() else None

    def started(name: str, log_file: Path) -> None:
        if not quiet:
            print(f"{name}: crawling; log {log_file}", flush=True)

    def report(result: CrawlResult) -> None:
        if progress is not None:
            progress.clear()
        if not quiet:
            print(result.summary_line(), flush=True)
        elif result.exit_code:
            print(f"newscrawl: {result.summary_line()}", file=sys.stderr, flush=True)

    try:
        results = crawl_spiders(
            names,
            spider_args,
            overrides,
            report=report,
            resume=resume,
            time_limit=time_limit,
            started=started,
            progress=progress.show if progress is not None else None,
        )
    except ArchiveError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return int(ExitCode.FAILED_TO_START), []
    except SourcesError as exc:
        return _usage_error(str(exc)), []
    except LockHeld as exc:
        if not quiet_when_locked:
            print(f"newscrawl: {exc}; not starting", file=sys.stderr)
        return int(ExitCode.LOCKED), []
    except OSError as exc:  # the log folder cannot be created, for one
        print(f"newscrawl: cannot crawl: {exc}", file=sys.stderr)
        return int(ExitCode.FAILED_TO_START), []
    finally:
        if progress is not None:
            progress.clear()
    failed = [result.exit_code for result in results if result.exit_code]
    return (failed[0] if failed else 0), results


class _ProgressLine:
    """The progress of the running spider on one terminal line, rewritten in place."""

    def __init__(self) -> None:
        self.shown = False

    def show(self, progress: SpiderProgress) -> None:
        """Rewrite the line with `progress`: pages, archived, dropped, rate."""
        line = (
            f"{progress.spider}: {progress.pages} pages, {progress.archived} archived, "
            f"{progress.dropped} dropped, {progress.pages_per_minute:.0f} pages/min"
        )
        # \r and "erase to the end of the line": a shorter line leaves no tail.
        sys.stdout.write(f"\r{line}\x1b[K")
        sys.stdout.flush()
        self.shown = True

    def clear(self) -> None:
        """Erase the line, so that what is printed next starts on a clean one."""
        if self.shown:
            sys.stdout.write("\r\x1b[K")
            sys.stdout.flush()
            self.shown = False
