"""What several `newscrawl` commands share: the `--db` option and the date-time argument type."""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from typing import Protocol

from newscrawl.timestamps import aware_datetime


class Subcommands(Protocol):
    """The `add_parser` of `ArgumentParser.add_subparsers()`, as the command modules call it."""

    def add_parser(
        self,
        name: str,
        *,
        help: str | None = ...,
        description: str | None = ...,
        epilog: str | None = ...,
        formatter_class: type[argparse.HelpFormatter] = ...,
    ) -> argparse.ArgumentParser: ...


def add_db_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        metavar="PATH",
        help="the SQLite archive (default: $NEWSCRAWL_DB or data/news.db)",
    )


def aware_datetime_argument(text: str) -> datetime:
    """An ISO 8601 command-line value as an aware datetime; naive times are UTC."""
    # A naive time would silently mean "this machine's zone"; UTC is the only
    # reading that gives the same answer on every machine.
    value = aware_datetime(text, naive_zone=UTC)
    if value is None:
        raise argparse.ArgumentTypeError(f"not an ISO 8601 date-time: {text!r}")
    return value
