"""`newscrawl sources`: the outlets and when each is due; `sources check`: do they answer?"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from newscrawl.cli.options import Subcommands, add_db_option
from newscrawl.errors import ArchiveError, SourcesError

if TYPE_CHECKING:
    from scrapy.settings import Settings

    from newscrawl.sites.check import OutletCheck
    from newscrawl.sites.registry import SiteRegistry
    from newscrawl.sites.spec import Site

HELP = "the registered outlets: kind, interval, last run, next due, verified"
DESCRIPTION = """\
List every registered outlet: the hand-parsed sites, the bundled catalogue and the
outlets of the sources file (--sources, else $NEWSCRAWL_SOURCES, else sources.toml
beside the archive). For each: its kind (hand-parsed or declared), crawl interval, the
last run recorded in the archive and its result (exit code and finish reason), when it
is next due (the last run's start plus the interval; "now" when never run or overdue,
"off" when switched off with enabled = false) and whether its URLs were verified.
'newscrawl sources check' fetches them to see whether they answer.
"""
EPILOG = """\
exit codes:
  0   the outlets were listed
  2   usage error: a bad sources file, an unreadable archive, a bad NEWSCRAWL_NOW
"""
CHECK_HELP = "fetch outlets' feeds, sitemaps and a sample article: OK or BROKEN"
CHECK_DESCRIPTION = """\
Check outlets live (by default every enabled outlet): fetch each feed and sitemap
(for a sitemap index, its newest child), count the article URLs they list, then fetch
the first of them and parse it as the crawl would. Requests are sequential and polite:
the crawl's User-Agent, DOWNLOAD_TIMEOUT, a 20 MB cap on each body, robots.txt obeyed
(a disallowed URL is reported, not fetched) and a delay between two requests to the
same outlet (its politeness DOWNLOAD_DELAY, else 1 second; see --delay). An outlet is
BROKEN when a feed or sitemap does not answer or does not read as one, when no article
URL is listed, or when the sample article has no headline or no body.
"""
CHECK_EPILOG = """\
exit codes:
  0   every checked outlet is OK
  1   at least one checked outlet is BROKEN (each says why)
  2   usage error: an unknown outlet name, a bad sources file, nothing to check
"""
# Used when neither the outlet's politeness nor the settings ask for a delay:
# this command has no AutoThrottle to slow it down.
DEFAULT_DELAY = 1.0


def add_subparser(commands: Subcommands) -> None:
    sources = commands.add_parser(
        "sources",
        help=HELP,
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sources.set_defaults(run=run)
    _add_registry_options(sources, argparse_default=None)
    sources.add_argument(
        "--json",
        action="store_true",
        help="print one JSON object per outlet, with its evidence, domains, feeds and sitemaps",
    )
    sources.add_argument(
        "-v",
        "--evidence",
        action="store_true",
        help="show under each outlet where its URLs come from and where it is declared",
    )
    actions = sources.add_subparsers(title="subcommands", metavar="SUBCOMMAND")
    check = actions.add_parser(
        "check",
        help=CHECK_HELP,
        description=CHECK_DESCRIPTION,
        epilog=CHECK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    check.set_defaults(run=run_check)
    check.add_argument(
        "names", nargs="*", metavar="NAME", help="outlet names (default: every enabled outlet)"
    )
    # SUPPRESS: given after `check` they set the value, else the one given before
    # `check` stays (a subparser's default would overwrite it).
    _add_registry_options(check, argparse_default=argparse.SUPPRESS)
    check.add_argument(
        "--delay",
        type=_seconds,
        metavar="SECONDS",
        help=f"seconds between two requests to one outlet (default: its DOWNLOAD_DELAY, "
        f"else {DEFAULT_DELAY:g})",
    )


def _add_registry_options(parser: argparse.ArgumentParser, argparse_default: Any) -> None:
    if argparse_default is None:
        add_db_option(parser)
    else:
        parser.add_argument(
            "--db",
            metavar="PATH",
            default=argparse_default,
            help="the SQLite archive, beside which sources.toml is looked for "
            "(default: $NEWSCRAWL_DB or data/news.db)",
        )
    parser.add_argument(
        "--sources",
        metavar="PATH",
        default=argparse_default,
        help="the sources file (default: $NEWSCRAWL_SOURCES, else sources.toml beside the archive)",
    )


def _seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"a delay cannot be negative: {text!r}")
    return value


def _settings_of(args: argparse.Namespace) -> Settings:
    from newscrawl.runs.project import project_settings

    overrides: dict[str, str] = {}
    if getattr(args, "db", None):
        overrides["NEWSCRAWL_DB"] = args.db
    if getattr(args, "sources", None):
        overrides["NEWSCRAWL_SOURCES"] = args.sources
    return project_settings(overrides)


def _registry_of(settings: Settings) -> SiteRegistry:
    """The registry of the settings: the bundled outlets and the sources file.

    Raises `SourcesError` for a bad sources file, before anything is fetched.
    """
    from newscrawl.sites.registry import registry_of_settings

    return registry_of_settings(settings)


def _fail(message: object) -> int:
    print(f"newscrawl: {message}", file=sys.stderr)
    return 2


# --- newscrawl sources ------------------------------------------------------------


def run(args: argparse.Namespace) -> int:
    from newscrawl.runs.clock import current_time

    settings = _settings_of(args)
    try:
        registry = _registry_of(settings)
        now = current_time(settings.get("NEWSCRAWL_NOW"))
        runs = _last_runs(Path(settings["NEWSCRAWL_DB"]), [site.name for site in registry])
    except (SourcesError, ArchiveError, ValueError) as exc:
        return _fail(exc)
    rows = [_outlet_row(site, runs.get(site.name), now) for site in registry]
    if args.json:
        for row in rows:
            print(json.dumps(row, ensure_ascii=False))
    else:
        print(_outlet_table(rows, evidence=args.evidence))
    return 0


def _last_runs(db_path: Path, spiders: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The latest `crawl_runs` row of each spider that has one; none without an archive.

    Raises `ArchiveError` for an archive that exists but cannot be read.
    """
    from newscrawl.archive import Archive
    from newscrawl.archive.queries import last_run_of

    if not db_path.exists():
        # No archive yet: nothing has run, and listing must not create one.
        return {}
    with Archive(db_path, read_only=True) as archive:
        found = {spider: last_run_of(archive.db, spider) for spider in spiders}
    return {spider: row for spider, row in found.items() if row is not None}


def _outlet_row(site: Site, last_run: dict[str, Any] | None, now: datetime) -> dict[str, Any]:
    """What `newscrawl sources` shows of one outlet, as JSON-ready data."""
    from newscrawl.runs.due import next_due
    from newscrawl.sites.sources import interval_text
    from newscrawl.timestamps import parsed_instant

    started = parsed_instant(last_run["started_at"]) if last_run else None
    due = next_due(site, started, now)
    return {
        "name": site.name,
        "title": site.title,
        "kind": site.kind,
        "home": site.home,
        "domains": list(site.all_domains),
        "languages": list(site.languages),
        "feeds": {language: list(urls) for language, urls in site.feeds.items()},
        "sitemaps": {language: list(urls) for language, urls in site.sitemaps.items()},
        "interval": interval_text(site.interval),
        "enabled": site.enabled,
        "verified": site.verified,
        "evidence": site.evidence,
        "declared_in": site.declared_in,
        "last_run": None
        if last_run is None
        else {
            "started_at": last_run["started_at"],
            "finished_at": last_run.get("finished_at"),
            "exit_code": last_run.get("exit_code"),
            "finish_reason": last_run.get("finish_reason"),
        },
        # None when switched off; `due` says whether it is due at `now`.
        "next_due": due.isoformat() if due is not None else None,
        "due": due is not None and due <= now,
    }


_COLUMNS = ("name", "kind", "interval", "last run", "result", "next due", "verified")


def _outlet_table(rows: Sequence[dict[str, Any]], *, evidence: bool) -> str:
    """The outlets as an aligned text table, each row's evidence under it if asked."""
    cells = [_COLUMNS, *(_table_cells(row) for row in rows)]
    widths = [max(len(line[i]) for line in cells) for i in range(len(_COLUMNS))]
    lines: list[str] = []
    for i, line in enumerate(cells):
        lines.append(
            "  ".join(cell.ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        )
        if evidence and i > 0:
            row = rows[i - 1]
            lines.append(f"    evidence: {row['evidence'] or '(none given)'}")
            lines.append(f"    declared in: {row['declared_in'] or '?'}")
    return "\n".join(lines)


def _table_cells(row: dict[str, Any]) -> tuple[str, ...]:
    run = row["last_run"]
    if run is None:
        last, result = "never", "-"
    else:
        last = _minutes(run["started_at"])
        result = f"{run['exit_code']} {run['finish_reason'] or ''}".strip()
    if row["next_due"] is None:
        due = "off"
    elif row["due"]:
        due = "now"
    else:
        due = _minutes(row["next_due"])
    return (
        row["name"],
        row["kind"],
        row["interval"],
        last,
        result,
        due,
        "yes" if row["verified"] else "no",
    )


def _minutes(iso: str) -> str:
    """An ISO 8601 instant in UTC to the minute: "2024-07-01T12:00Z"."""
    from datetime import UTC

    from newscrawl.timestamps import parsed_instant

    return parsed_instant(iso).astimezone(UTC).strftime("%Y-%m-%dT%H:%MZ")


# --- newscrawl sources check ---------------------------------------------------------


def run_check(args: argparse.Namespace) -> int:
    from newscrawl.runs.clock import current_time
    from newscrawl.sites.check import Fetcher, check_outlet

    settings = _settings_of(args)
    try:
        registry = _registry_of(settings)
        now = current_time(settings.get("NEWSCRAWL_NOW"))
    except (SourcesError, ValueError) as exc:
        return _fail(exc)
    if args.names:
        unknown = [name for name in args.names if registry.named(name) is None]
        if unknown:
            known = ", ".join(site.name for site in registry)
            return _fail(f"unknown outlet {unknown[0]!r}; known outlets: {known}")
        sites = [site for name in dict.fromkeys(args.names) if (site := registry.named(name))]
    else:
        sites = registry.enabled()
        if not sites:
            return _fail("no enabled outlet to check; name one")
    from newscrawl.sites.registry import activate

    # The sample articles are parsed by this registry's parsers (a declared
    # outlet's own generic parser), not by those of the project's default settings.
    activate(registry)
    broken: list[str] = []
    for site in sites:
        politeness = site.politeness
        fetcher = Fetcher(
            str(politeness.get("USER_AGENT") or settings.get("USER_AGENT")),
            timeout=float(
                politeness.get("DOWNLOAD_TIMEOUT") or settings.getfloat("DOWNLOAD_TIMEOUT") or 30
            ),
            delay=args.delay if args.delay is not None else _delay_of(site, settings),
            obey_robots=bool(politeness.get("ROBOTSTXT_OBEY", settings.getbool("ROBOTSTXT_OBEY"))),
        )
        result = check_outlet(site, fetcher, now)
        print(_check_report(result), flush=True)
        if not result.ok:
            broken.append(site.name)
    checked = len(sites)
    summary = f"{checked} checked: {checked - len(broken)} OK, {len(broken)} BROKEN"
    print(summary + (f" ({', '.join(broken)})" if broken else ""))
    return 1 if broken else 0


def _delay_of(site: Site, settings: Settings) -> float:
    """The outlet's DOWNLOAD_DELAY, else the settings', else `DEFAULT_DELAY` (when 0)."""
    delay = site.politeness.get("DOWNLOAD_DELAY", settings.getfloat("DOWNLOAD_DELAY"))
    return float(delay) if delay else DEFAULT_DELAY


def _check_report(result: OutletCheck) -> str:
    """The lines `sources check` prints for one outlet, its verdict last."""
    site = result.site
    lines = [f"{site.name} ({site.kind}, {site.home})"]
    if result.robots is not None:
        robots = result.robots
        note = "" if robots.ok else " (no rules: everything allowed)"
        if robots.status in (401, 403):
            note = " (everything disallowed)"
        lines.append(f"  robots.txt  {robots.url}  {robots.outcome}{note}")
    for location in result.locations:
        detail = location.problem or (
            f"{location.article_urls} article URLs"
            if location.response.ok and location.kind != "sitemap index"
            else ""
        )
        lines.append(
            f"  {location.kind}  {location.response.url}  {location.response.outcome}"
            + (f", {detail}" if detail else "")
        )
    lines.append(f"  article URLs found: {len(result.article_urls)}")
    sample = result.sample
    if sample is None:
        lines.append("  sample article: none (no article URL listed)")
    else:
        if sample.parsed:
            parsed = f"parsed: yes, headline {sample.headline!r}"
        else:
            why = sample.problem or (sample.not_an_article if sample.response.ok else "")
            parsed = f"parsed: no{f' ({why})' if why else ''}"
        lines.append(
            f"  sample article  {sample.response.url}  {sample.response.outcome}, {parsed}"
        )
        if sample.response.ok and sample.missing:
            lines.append(f"    missing fields: {', '.join(sample.missing)}")
    if result.ok:
        lines.append(f"  {site.name}: OK")
    else:
        lines.append(f"  {site.name}: BROKEN: {'; '.join(result.problems)}")
    return "\n".join(lines)
