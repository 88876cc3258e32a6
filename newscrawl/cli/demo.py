"""`newscrawl demo`: crawl the bundled sample site offline, then summarise the archive."""

from __future__ import annotations

import argparse

from newscrawl.cli.options import Subcommands, add_db_option

HELP = "crawl the bundled sample site offline and summarise the archive"
DESCRIPTION = """\
Serve the bundled sample of UNN-style pages on 127.0.0.1, crawl it with the real 'unn'
spider into the archive, and print a summary.
"""


def add_subparser(commands: Subcommands) -> None:
    demo = commands.add_parser("demo", help=HELP, description=DESCRIPTION)
    demo.set_defaults(run=run)
    add_db_option(demo)


def run(args: argparse.Namespace) -> int:
    from newscrawl.cli.crawl import crawl_outcome
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
        code, results = crawl_outcome(["unn"], {"base_url": base_url}, overrides)
    if not results:
        return code
    print()
    print(archive_summary(results[0].db_path))
    return code
