"""The `newscrawl` command: crawl, site status, extract saved pages, and the offline demo."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from newscrawl import __version__
from newscrawl.errors import ArchiveError
from newscrawl.timestamps import aware_datetime

if TYPE_CHECKING:
    from newscrawl.runs.verdict import CrawlResult

PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")

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


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the return value is the process exit code."""
    parser = _argument_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    return int(args.run(args))


def _argument_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="newscrawl",
        description="Crawl news sites into a SQLite archive for analysts.",
        epilog="Run 'newscrawl COMMAND --help' for the options of each command.",
    )
    parser.add_argument("--version", action="version", version=f"newscrawl {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")

    crawl = commands.add_parser(
        "crawl",
        help="run spiders into the archive, safe to run from cron",
        description=(
            "Run one or more spiders, one after another, into the archive. Only one\n"
            "crawl runs per archive at a time (a lock file beside it); the exit code\n"
            "says whether every spider did its job. Works from any directory."
        ),
        epilog=CRAWL_EXIT_CODES,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
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
    _add_db_option(crawl)
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
    crawl.set_defaults(run=_run_crawl)

    status = commands.add_parser(
        "status",
        help="per-site health: last run, recent articles, field completeness",
        description=(
            "Print a health table per site from the crawl_runs table: the last run and "
            "its result, the articles of the last 24 hours and 7 days, and each field's "
            "completeness in the last run against the site's trailing average. Exits 1 "
            "when something is flagged (a failed last run, a field whose completeness "
            "dropped sharply), so cron can mail it."
        ),
    )
    _add_db_option(status)
    status.set_defaults(run=_run_status)

    extract = commands.add_parser(
        "extract",
        help="parse saved pages and print one JSON object per page",
        description=(
            "Parse saved pages (.html, .html.gz, or folders of them) with the parser "
            "registry and print one JSON object per page: the Article fields plus "
            "'source', the input path. A page that fails gives an object with an "
            "'error' field and the run goes on."
        ),
    )
    extract.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    extract.add_argument("--url", help="the page's URL (default: its canonical link or og:url)")
    extract.add_argument(
        "--fetched-at",
        type=_aware_datetime,
        metavar="ISO",
        help="when the page was fetched, for relative dates (default: the file's mtime)",
    )
    extract.add_argument(
        "--jsonl",
        action="store_true",
        help="one compact JSON object per line (the default is indented JSON)",
    )
    extract.set_defaults(run=_run_extract)

    reparse = commands.add_parser(
        "reparse",
        help="re-run the current parsers over the WARC files, updating the archive",
        description=(
            "Replay the pages (and listing view counts) that crawls recorded in their WARC "
            "files through the item pipelines, with the current parsers and no network, "
            "each page with the fetch time it was captured with. Changed content makes a "
            "new version only for a later fetch; the same fetch parsed again is corrected "
            "in place. Running it twice changes nothing. Prints what changed and which "
            "records failed; exits 1 if the archive or a WARC file could not be used, 75 "
            "if a crawl holds the archive's lock."
        ),
    )
    reparse.add_argument("--site", metavar="DOMAIN", help="only pages of this site, e.g. unn.ua")
    reparse.add_argument(
        "--since",
        type=_aware_datetime,
        metavar="DATE",
        help="only records captured at or after DATE (ISO 8601; a bare date is midnight UTC)",
    )
    reparse.add_argument(
        "--warc",
        nargs="+",
        type=Path,
        metavar="PATH",
        help="WARC files or folders (default: $NEWSCRAWL_WARC_DIR, else 'warc' beside the archive)",
    )
    reparse.add_argument(
        "--jobs",
        type=int,
        default=1,
        metavar="N",
        help="parse in N worker processes; the archive is written by this one (default 1)",
    )
    _add_db_option(reparse)
    reparse.set_defaults(run=_run_reparse)

    demo = commands.add_parser(
        "demo",
        help="crawl the bundled sample site offline and summarise the archive",
        description=(
            "Serve the bundled sample of UNN-style pages on 127.0.0.1, crawl it with the "
            "real 'unn' spider into the archive, and print a summary."
        ),
    )
    _add_db_option(demo)
    demo.set_defaults(run=_run_demo)

    serve = commands.add_parser(
        "serve",
        help="explore the archive in Datasette, with descriptions, queries and charts",
        description=(
            "Start Datasette on the archive with the project's metadata: table and column "
            "descriptions, search, canned queries and charts. Read-only and safe while a "
            "crawl writes. Equivalent to the 'datasette' line that --print-command shows."
        ),
    )
    _add_db_option(serve)
    serve.add_argument("--host", default="127.0.0.1", help="address to listen on (%(default)s)")
    serve.add_argument("--port", type=int, default=8001, help="port (%(default)s)")
    serve.add_argument(
        "--public",
        action="store_true",
        help="for a shared deployment: no arbitrary SQL, only canned queries and table "
        "browsing, a 1 s SQL time limit",
    )
    serve.add_argument(
        "--print-command",
        action="store_true",
        help="print the equivalent 'datasette' command line and exit",
    )
    serve.set_defaults(run=_run_serve)
    return parser


def _add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="the SQLite archive (default: $NEWSCRAWL_DB or data/news.db)",
    )


def _aware_datetime(text: str) -> datetime:
    # A naive time would silently mean "this machine's zone"; UTC is the only
    # reading that gives the same answer on every machine.
    value = aware_datetime(text, naive_zone=UTC)
    if value is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}")
    return value


def _pairs(values: Sequence[str], option: str) -> dict[str, str]:
    pairs: dict[str, str] = {}
    for value in values:
        name, sep, setting = value.partition("=")
        if not sep or not name:
            print(f"newscrawl: {option} expects NAME=VALUE, got {value!r}", file=sys.stderr)
            raise SystemExit(2)
        pairs[name] = setting
    return pairs


def _run_crawl(args: argparse.Namespace) -> int:
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
    code, _ = _crawl(names, spider_args, overrides, quiet=args.quiet, resume=args.resume)
    return code


def _usage_error(message: str) -> int:
    print(f"newscrawl: {message}", file=sys.stderr)
    return 2


def _crawl(
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


def _run_status(args: argparse.Namespace) -> int:
    from newscrawl.runs.health import site_health, status_table
    from newscrawl.runs.project import project_settings

    settings = project_settings({"NEWSCRAWL_DB": args.db} if args.db else None)
    try:
        health = site_health(Path(settings["NEWSCRAWL_DB"]), settings.get("NEWSCRAWL_NOW"))
    except (ArchiveError, ValueError) as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 2
    print(status_table(health))
    return 1 if any(site.flags for site in health) else 0


def _run_serve(args: argparse.Namespace) -> int:
    from newscrawl.datasette.server import serve
    from newscrawl.settings import NEWSCRAWL_DB

    return serve(
        Path(args.db or NEWSCRAWL_DB),
        host=args.host,
        port=args.port,
        public=args.public,
        print_command=args.print_command,
    )


def _run_extract(args: argparse.Namespace) -> int:
    from newscrawl.cli.extract import extracted_record

    failures = 0
    for path in _page_files(args.paths):
        record = extracted_record(path, url=args.url, fetched_at=args.fetched_at)
        failures += "error" in record
        if args.jsonl:
            print(json.dumps(record, ensure_ascii=False))
        else:
            print(json.dumps(record, ensure_ascii=False, indent=2))
    # Failed pages are reported in their own records; the exit code only says
    # whether any page failed, so scripts can notice without parsing output.
    return 1 if failures else 0


def _page_files(paths: Sequence[Path]) -> Iterator[Path]:
    for path in paths:
        if path.is_dir():
            yield from sorted(
                p for p in path.rglob("*") if p.is_file() and p.name.endswith(PAGE_SUFFIXES)
            )
        elif path.exists():
            yield path
        else:
            print(f"newscrawl: no such file or folder: {path}", file=sys.stderr)


def _run_reparse(args: argparse.Namespace) -> int:
    from newscrawl.crawler.warc_capture import warc_dir
    from newscrawl.runs.lock import LockHeld, archive_lock
    from newscrawl.runs.project import project_settings
    from newscrawl.runs.reparse import reparse_files
    from newscrawl.runs.verdict import ExitCode

    overrides: dict[str, str] = {"NEWSCRAWL_DB": args.db} if args.db else {}
    settings = project_settings(overrides)
    paths = args.warc or [warc_dir(settings)]
    missing = [path for path in paths if not path.exists()]
    if missing:
        print(f"newscrawl: no such WARC file or folder: {missing[0]}", file=sys.stderr)
        return 2
    # One writer at a time: a crawl and a reparse both write articles and versions.
    try:
        with archive_lock(settings["NEWSCRAWL_DB"]):
            report = reparse_files(
                paths, overrides=overrides, site=args.site, since=args.since, jobs=args.jobs
            )
    except LockHeld as exc:
        print(f"newscrawl: {exc}; try again when it ends", file=sys.stderr)
        return ExitCode.LOCKED
    except ArchiveError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 1
    print("\n".join(report.lines()))
    return report.exit_code


def _run_demo(args: argparse.Namespace) -> int:
    from newscrawl.cli.demo_summary import archive_summary
    from newscrawl.testing.demo.site import demo_site
    from newscrawl.testing.mirror import serve

    overrides: dict[str, str] = {
        # The sample site is on this machine: no need to be gentle with it.
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "LOG_LEVEL": "WARNING",
    }
    if args.db:
        overrides["NEWSCRAWL_DB"] = args.db
    with serve(demo_site()) as base_url:
        print(f"Serving the sample UNN site at {base_url}; crawling it with the 'unn' spider...")
        code, results = _crawl(["unn"], {"base_url": base_url}, overrides)
    if not results:
        return code
    print()
    print(archive_summary(results[0].db_path))
    return code


if __name__ == "__main__":
    sys.exit(main())
