"""The `newscrawl` command: crawl, extract saved pages, and the offline demo."""

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

if TYPE_CHECKING:
    from newscrawl.crawling import CrawlResult

PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")


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
        help="run a spider with the project settings",
        description=(
            "Run a spider with the project settings into the archive. Equivalent to "
            "'scrapy crawl SPIDER' from the project root, but works from any directory."
        ),
    )
    crawl.add_argument("spider", help="spider name, e.g. unn (see 'scrapy list')")
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
    return parser


def _add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="the SQLite archive (default: $NEWSCRAWL_DB or data/news.db)",
    )


def _aware_datetime(text: str) -> datetime:
    try:
        value = datetime.fromisoformat(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}") from exc
    # A naive time would silently mean "this machine's zone"; UTC is the only
    # reading that gives the same answer on every machine.
    return value if value.tzinfo else value.replace(tzinfo=UTC)


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
    overrides = _pairs(args.settings, "-s")
    if args.db:
        overrides["NEWSCRAWL_DB"] = args.db
    result = _crawl(args.spider, _pairs(args.spider_args, "-a"), overrides)
    return result if isinstance(result, int) else result.exit_code


def _crawl(
    spider: str, spider_args: dict[str, str], overrides: dict[str, str]
) -> CrawlResult | int:
    """Run the spider and print its summary line; an exit code if it could not start."""
    from newscrawl.crawling import run_spider

    try:
        result = run_spider(spider, spider_args, overrides)
    except KeyError:
        print(f"newscrawl: no spider named {spider!r}; see 'scrapy list'", file=sys.stderr)
        return 2
    except ArchiveError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 1
    print(result.summary_line())
    return result


def _run_extract(args: argparse.Namespace) -> int:
    from newscrawl.extract import extracted_record

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


def _run_demo(args: argparse.Namespace) -> int:
    from newscrawl.demo.site import demo_site
    from newscrawl.mirror import serve
    from newscrawl.report import archive_summary

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
        result = _crawl("unn", {"base_url": base_url}, overrides)
    if isinstance(result, int):
        return result
    print()
    print(archive_summary(result.db_path))
    return result.exit_code


if __name__ == "__main__":
    sys.exit(main())
