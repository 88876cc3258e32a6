"""`newscrawl extract`: parse saved pages from disk and print their Article fields as JSON."""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from newscrawl.cli.options import Subcommands, aware_datetime_argument
from newscrawl.errors import SourcesError

PAGE_SUFFIXES = (".html", ".htm", ".html.gz", ".htm.gz")

# Attribute-level regexes instead of a full HTML parse: the parser parses the
# page once anyway, and the URL is needed first to choose that parser.
_TAG = re.compile(r"<(?:link|meta)\b[^>]*>", re.IGNORECASE)
_HEAD_END = re.compile(r"</head\s*>", re.IGNORECASE)
_ATTR = re.compile(r"""([\w:-]+)\s*=\s*(?:"([^"]*)"|'([^']*)'|([^\s>]+))""")

HELP = "parse saved pages and print one JSON object per page"
DESCRIPTION = """\
Parse saved pages (.html, .html.gz, or folders of them) with the parser registry and print
one JSON object per page: the Article fields, 'parser' and 'fallback_fields' (which
parser's rules read it, which fields the generic reading filled in) and 'source', the
input path. A page that fails gives an object with an 'error' field and the run goes on.
"""


def add_subparser(commands: Subcommands) -> None:
    extract = commands.add_parser("extract", help=HELP, description=DESCRIPTION)
    extract.set_defaults(run=run)
    extract.add_argument("paths", nargs="+", type=Path, metavar="PATH")
    extract.add_argument("--url", help="the page's URL (default: its canonical link or og:url)")
    extract.add_argument(
        "--fetched-at",
        type=aware_datetime_argument,
        metavar="ISO",
        help="when the page was fetched, for relative dates (default: the file's mtime)",
    )
    extract.add_argument(
        "--sources",
        metavar="PATH",
        help="a sources file whose outlets' pages are read with their declared facts "
        "(default: $NEWSCRAWL_SOURCES, else sources.toml beside $NEWSCRAWL_DB)",
    )
    extract.add_argument(
        "--jsonl",
        action="store_true",
        help="one compact JSON object per line (the default is indented JSON)",
    )


def run(args: argparse.Namespace) -> int:
    from newscrawl.runs.project import project_settings
    from newscrawl.sites.registry import activate, registry_of_settings

    settings = project_settings({"NEWSCRAWL_SOURCES": args.sources} if args.sources else None)
    try:
        activate(registry_of_settings(settings))
    except SourcesError as exc:
        print(f"newscrawl: {exc}", file=sys.stderr)
        return 2
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


def extracted_record(
    path: Path, *, url: str | None = None, fetched_at: datetime | None = None
) -> dict[str, Any]:
    """The Article fields of one saved page plus `source`; `error` instead if it fails."""
    # Imported here, not at the top: every `newscrawl` command builds this
    # command's parser, and only extract needs the parsers.
    from newscrawl.parsing import article_of_html
    from newscrawl.parsing.decoding import decoded_html

    record: dict[str, Any] = {"source": str(path)}
    try:
        data = path.read_bytes()
        if path.name.endswith(".gz"):
            data = gzip.decompress(data)
        html = decoded_html(data)
        page_url = url or page_url_of(html) or path.resolve().as_uri()
        when = fetched_at or datetime.fromtimestamp(path.stat().st_mtime, UTC)
        article = article_of_html(html, page_url, when)
    except Exception as exc:  # one bad page must not end a run over a folder
        record["error"] = f"{type(exc).__name__}: {exc}"
        return record
    # How the page was read, beside what it says: which parser's rules made the
    # record and which fields the generic reading filled in.
    provenance = {"parser": article.parser, "fallback_fields": article.fallback_fields}
    return article.to_dict() | provenance | record


def page_url_of(html: str) -> str | None:
    """The page's own URL as it declares it: `<link rel=canonical>`, else `og:url`."""
    head_end = _HEAD_END.search(html)
    head = html[: head_end.start() if head_end else 200_000]
    og_url = None
    for tag in _TAG.findall(head):
        # findall's matches are untyped; each group is a string (empty when unmatched).
        attrs: dict[str, str] = {m[0].lower(): m[1] or m[2] or m[3] for m in _ATTR.findall(tag)}
        if attrs.get("rel", "").lower() == "canonical" and attrs.get("href", "").startswith("http"):
            return attrs["href"].strip()
        if attrs.get("property", "").lower() == "og:url" and attrs.get("content", "").startswith(
            "http"
        ):
            og_url = og_url or attrs["content"].strip()
    return og_url
