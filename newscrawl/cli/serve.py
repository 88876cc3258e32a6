"""`newscrawl serve`: Datasette on the archive with the project's metadata."""

from __future__ import annotations

import argparse
from pathlib import Path

from newscrawl.cli.options import Subcommands, add_db_option

HELP = "explore the archive in Datasette, with descriptions, queries and charts"
DESCRIPTION = """\
Start Datasette on the archive with the project's metadata: table and column descriptions,
search, canned queries and charts. Read-only and safe while a crawl writes. Equivalent to
the 'datasette' line that --print-command shows.
"""


def add_subparser(commands: Subcommands) -> None:
    serve = commands.add_parser("serve", help=HELP, description=DESCRIPTION)
    serve.set_defaults(run=run)
    add_db_option(serve)
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


def run(args: argparse.Namespace) -> int:
    from newscrawl.datasette.server import serve
    from newscrawl.settings import NEWSCRAWL_DB

    return serve(
        Path(args.db or NEWSCRAWL_DB),
        host=args.host,
        port=args.port,
        public=args.public,
        print_command=args.print_command,
    )
