"""`newscrawl reparse`: the recorded WARC items through the current parsers and pipelines."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

from newscrawl.cli.options import Subcommands, add_db_option, aware_datetime_argument
from newscrawl.errors import ArchiveError, SourcesError
from newscrawl.runs.reparse_selection import ParserRule, Selection

HELP = "re-run the current parsers over the WARC files, updating the archive"
DESCRIPTION = """\
Replay the pages (and listing view counts) that crawls recorded in their WARC files through
the item pipelines, with the current parsers and no network, each page with the fetch time
it was captured with. Changed content makes a new version only for a later fetch; the same
fetch parsed again is corrected in place. Running it twice changes nothing. Prints what
changed and which records failed; exits 1 if the archive or a WARC file could not be used,
75 if a crawl holds the archive's lock.

After a parser fix, --parser and --parser-below redo only the rows the old parser made
(articles.parser), and the pages that have no row at all (dropped at crawl time), which
the fix may recover; every other row is left alone. Both can be repeated; a row that any
of them names is redone.
"""

# The selection rules, all into args.rules: option, whether it selects the versions
# below the one given, metavar, help.
RULE_OPTIONS = (
    (
        "--parser",
        False,
        "NAME[/VERSION]",
        "only rows made by this parser (any version, or this one: unn, unn/2), and pages "
        "with no row",
    ),
    (
        "--parser-below",
        True,
        "NAME/VERSION",
        "only rows made by this parser at an older version (unn/2 takes unn/1) or with no "
        "parser recorded, and pages with no row",
    ),
)


def add_subparser(commands: Subcommands) -> None:
    reparse = commands.add_parser("reparse", help=HELP, description=DESCRIPTION)
    reparse.set_defaults(run=run)
    reparse.add_argument("--site", metavar="DOMAIN", help="only pages of this site, e.g. unn.ua")
    reparse.add_argument(
        "--since",
        type=aware_datetime_argument,
        metavar="DATE",
        help="only records captured at or after DATE (ISO 8601; a bare date is midnight UTC)",
    )
    for option, below, metavar, help_text in RULE_OPTIONS:
        reparse.add_argument(
            option,
            dest="rules",
            action="append",
            type=_rule_argument(below=below),
            metavar=metavar,
            help=help_text,
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
    add_db_option(reparse)


def run(args: argparse.Namespace) -> int:
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
                paths,
                overrides=overrides,
                site=args.site,
                since=args.since,
                selection=Selection(tuple(args.rules)) if args.rules else None,
                jobs=args.jobs,
            )
    except LockHeld as exc:
        print(f"newscrawl: {exc}; try again when it ends", file=sys.stderr)
        return ExitCode.LOCKED
    except ArchiveError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 1
    except SourcesError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 2
    print("\n".join(report.lines()))
    return report.exit_code


def _rule_argument(*, below: bool) -> Callable[[str], ParserRule]:
    """The argument type of --parser (below=False) or --parser-below."""

    def rule(text: str) -> ParserRule:
        try:
            return ParserRule.parsed(text, below=below)
        except ValueError as exc:
            raise argparse.ArgumentTypeError(str(exc)) from exc

    return rule
