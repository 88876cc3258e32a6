"""`newscrawl status`: per-site health from the crawl_runs table, flagged for cron mail."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from newscrawl.cli.options import Subcommands, add_db_option
from newscrawl.errors import ArchiveError, SourcesError

HELP = "per-site health: last run, recent articles, field completeness"
DESCRIPTION = """\
Print a health table per site from the crawl_runs table: the last run and its result, the
articles of the last 24 hours and 7 days, each field's completeness in the latest runs
against the site's trailing average, and how often fields came from the generic fallback.
Exits 1 when something is flagged (a failed last run, a field whose completeness dropped
sharply, fields that jumped to the fallback: a redesign, an enabled outlet whose last run
is older than twice its interval), so cron can mail it. Enabled outlets that never ran
are listed.
"""


def add_subparser(commands: Subcommands) -> None:
    status = commands.add_parser("status", help=HELP, description=DESCRIPTION)
    status.set_defaults(run=run)
    add_db_option(status)


def run(args: argparse.Namespace) -> int:
    from newscrawl.runs.health import never_run, site_health, status_table
    from newscrawl.runs.project import project_settings
    from newscrawl.sites.registry import registry_of_settings

    settings = project_settings({"NEWSCRAWL_DB": args.db} if args.db else None)
    try:
        enabled = registry_of_settings(settings).enabled()
        health = site_health(
            Path(settings["NEWSCRAWL_DB"]),
            settings.get("NEWSCRAWL_NOW"),
            {site.name: site.interval for site in enabled},
        )
    except (ArchiveError, SourcesError, ValueError) as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 2
    print(status_table(health, never_run(health, [site.name for site in enabled])))
    return 1 if any(site.flags for site in health) else 0
