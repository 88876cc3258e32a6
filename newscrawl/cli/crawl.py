"""`newscrawl crawl`: run spiders one after another into the archive, safe to run from cron."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from newscrawl.cli.options import Subcommands, add_db_option
from newscrawl.errors import ArchiveError

if TYPE_CHECKING:
    from newscrawl.runs.verdict import CrawlResult

# Kept in step with newscrawl.runs.verdict.ExitCode (a test checks), without
# importing Scrapy just to print --help.
CRAWL_EXIT_CODES = """\
exit codes (with several spiders, that of the first spider that did not exit 0):
  0   every spider finished normally
  1   a spider stopped for another reason than "finished" (archive_error, shutdown, ...)
  2   usage error: unknown spider, malformed -a/-s value
  3   failed to start: the archive cannot be opened, or the spider rejected its arguments
  4   more ERROR log lines than the setting NEWSCRAWL_MAX_ERRORS (default 0)
  5   article pages were fetched but none archived: the site's layout has likely changed
  6   no page could be fetched at all: the site is down or blocks us
  75  another crawl holds the archive's lock: nothing was done, try again later

Each spider logs at INFO to <archive folder>/logs/<spider>-<UTC time>.log and
prints a one-line summary; every run is recorded in the crawl_runs table.
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
    from newscrawl.runs.project import project_settings
    from spiders.registry import site_spider_names, spider_names

    overrides = _pairs(args.settings, "-s")
    if args.db:
        overrides["NEWSCRAWL_DB"] = args.db
    settings = project_settings(overrides)
    known = spider_names(settings)
    if args.all and args.spiders:
        return _usage_error("give spider names or --all, not both")
    names = site_spider_names(settings) if args.all else list(dict.fromkeys(args.spiders))
    if not names:
        return _usage_error(f"name a spider or give --all; spiders: {', '.join(known)}")
    unknown = [name for name in names if name not in known]
    if unknown:
        return _usage_error(
            f"no spider named {unknown[0]!r}; spiders: {', '.join(known)} (see 'scrapy list')"
        )
    if args.resume and len(names) > 1:
        return _usage_error("--resume works with one spider at a time")
    from newscrawl.crawler.commands.crawl import joined_spider_args

    # A repeated -a NAME=VALUE adds values (-a feed=A -a feed=B), as with `scrapy crawl`.
    spider_args = {**_pairs(args.spider_args, "-a"), **joined_spider_args(args.spider_args)}
    code, _ = crawl_outcome(names, spider_args, overrides, quiet=args.quiet, resume=args.resume)
    return code


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


def crawl_outcome(
    names: Sequence[str],
    spider_args: dict[str, str],
    overrides: dict[str, str],
    *,
    quiet: bool = False,
    resume: str | None = None,
) -> tuple[int, list[CrawlResult]]:
    """Run the spiders, printing a summary line each; the exit code and the results."""
    from newscrawl.runs.clock import current_time
    from newscrawl.runs.lock import LockHeld
    from newscrawl.runs.project import project_settings
    from newscrawl.runs.revisits import revisit_schedule
    from newscrawl.runs.runner import crawl_spiders
    from newscrawl.runs.verdict import ExitCode

    settings = project_settings(overrides)
    try:
        # Bad values are usage errors now, not a traceback in every spider's log.
        current_time(settings.get("NEWSCRAWL_NOW"))
        revisit_schedule(settings.get("NEWSCRAWL_REVISITS"))
        settings.getint("NEWSCRAWL_MAX_ERRORS")
    except ValueError as exc:
        return _usage_error(str(exc)), []

    def report(result: CrawlResult) -> None:
        if not quiet:
            print(result.summary_line(), flush=True)
        elif result.exit_code:
            print(f"newscrawl: {result.summary_line()}", file=sys.stderr, flush=True)

    try:
        results = crawl_spiders(names, spider_args, overrides, report=report, resume=resume)
    except ArchiveError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return int(ExitCode.FAILED_TO_START), []
    except LockHeld as exc:
        print(f"newscrawl: {exc}; not starting", file=sys.stderr)
        return int(ExitCode.LOCKED), []
    except OSError as exc:  # the log folder cannot be created, for one
        print(f"newscrawl: cannot crawl: {exc}", file=sys.stderr)
        return int(ExitCode.FAILED_TO_START), []
    failed = [result.exit_code for result in results if result.exit_code]
    return (failed[0] if failed else 0), results
