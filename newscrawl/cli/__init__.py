"""The `newscrawl` command: `main` and the argument parser that assembles the subcommands.

Each subcommand is a module of this package with `add_subparser(commands)`,
which declares its options, and `run(args) -> int`, which does the work:

- `crawl`: run spiders one after another into the archive, safe to run from cron
- `status`: per-site health from the crawl_runs table
- `sources`: the registered outlets and when each is due; `sources check` fetches them
- `extract`: parse saved pages and print one JSON object per page
- `reparse`: re-run the current parsers over the WARC files, updating the archive
- `demo`: crawl the bundled sample site offline and summarise the archive
- `serve`: explore the archive in Datasette

`options` holds what several commands share; `demo_summary` the demo's report.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from newscrawl import __version__
from newscrawl.cli import crawl, demo, extract, reparse, serve, sources, status

# In the order `newscrawl --help` lists them.
COMMANDS = (crawl, status, sources, extract, reparse, demo, serve)


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; the return value is the process exit code."""
    parser = argument_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "run"):
        parser.print_help()
        return 2
    return int(args.run(args))


def argument_parser() -> argparse.ArgumentParser:
    """The `newscrawl` parser with every subcommand; each sets `run` in its namespace."""
    parser = argparse.ArgumentParser(
        prog="newscrawl",
        description="Crawl news sites into a SQLite archive for analysts.",
        epilog="Run 'newscrawl COMMAND --help' for the options of each command.",
    )
    parser.add_argument("--version", action="version", version=f"newscrawl {__version__}")
    commands = parser.add_subparsers(title="commands", metavar="COMMAND")
    for command in COMMANDS:
        command.add_subparser(commands)
    return parser


if __name__ == "__main__":
    sys.exit(main())
