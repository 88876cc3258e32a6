"""Parse cost per page: each site parser on its fixtures, the generic parser on the corpus,
each beside `trafilatura.bare_extraction` on the same pages in the same process.

A site parser is timed as pages are read (`newscrawl.parsing.layering`): its rules, and
the generic parser's reading wherever they miss a field the site always shows; the
table says on how many pages that happened.

    python3 bench/parse_cost.py [--corpus ../shared/corpus/fundus] [--rounds 5]

For every parser it prints the median and p95 milliseconds per page, trafilatura's on the
same pages, and the ratio of the medians; then where the parser's time goes (HTML parse,
selectors, dates, language, links, ...), from a cProfile run over the same pages.

Pages are decoded once, outside the timings. A site parser's pages are the hand-written
fixtures in tests/fixtures/<site>/ plus, for UNN, every article page of the bundled demo
site; the corpus is read from ../shared and skipped when absent.
"""

from __future__ import annotations

import argparse
import cProfile
import gzip
import pstats
import re
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import trafilatura  # noqa: E402

from newscrawl.parsing import parser_for  # noqa: E402
from newscrawl.parsing.base import SiteParser  # noqa: E402
from newscrawl.parsing.decoding import decoded_html  # noqa: E402
from newscrawl.parsing.layering import layered_article, needs_generic_reading  # noqa: E402
from newscrawl.sites.registry import hand_parsed_sites  # noqa: E402
from newscrawl.testing.demo import demo_site  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "fundus"
FIXTURES = REPO_ROOT / "tests" / "fixtures"
FETCHED_AT = datetime(2026, 1, 1, 12, 0, tzinfo=UTC)
CANONICAL = re.compile(r"""<link[^>]+rel=["']canonical["'][^>]*href=["']([^"']+)""", re.I)

# (url, html) pairs
Pages = list[tuple[str, str]]

# Where a profiled function's own time is booked: the first pattern its
# "file:function" label matches. Built-in functions (lxml's C methods, re) are
# booked to the category of their main caller instead, so "selectors" means
# the XPath work the parser asks for, wherever it is called from.
CATEGORIES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("HTML parse", re.compile(r"parsed_html|fromstring|HTMLParser|document_fromstring|feed'")),
    (
        "dates",
        re.compile(r"dateparser|parsing/(?:generic/)?dates\.py|dateutil|pytz|tzlocal|zoneinfo"),
    ),
    ("language", re.compile(r"langdetect|parsing/language\.py")),
    ("links", re.compile(r"parsing/(?:urls|generic/links)\.py|urllib/parse|w3lib")),
    ("read-also", re.compile(r"parsing/readalso\.py")),
    ("views", re.compile(r"parsing/(?:generic/)?views\.py")),
    ("body (trafilatura)", re.compile(r"trafilatura|justext|htmldate|courlan")),
    ("JSON-LD", re.compile(r"json/|jsonld|parsing/jsonld\.py")),
    ("selectors", re.compile(r"lxml|cssselect|parsing/html\.py|xpath")),
    ("charset", re.compile(r"parsing/decoding\.py|charset_normalizer")),
)


def site_pages(parser: SiteParser) -> Pages:
    """The hand-written fixtures of a site parser (and the demo site's pages for UNN)."""
    assert parser.site is not None
    name = parser.site.name
    pages: Pages = []
    for fixture in sorted((FIXTURES / name).glob("*.html")):
        html = decoded_html(fixture.read_bytes())
        found = CANONICAL.search(html)
        pages.append((found.group(1) if found else parser.home, html))
    if parser.domain == "unn.ua":
        for path, resource in demo_site().items():
            if "/news/" in path and resource.content_type.startswith("text/html"):
                pages.append((f"https://unn.ua{path}", decoded_html(resource.body)))
    return pages


def corpus_pages(corpus: Path) -> Pages:
    pages: Pages = []
    for page_file in sorted(corpus.glob("*.html.gz")):
        html = decoded_html(gzip.decompress(page_file.read_bytes()))
        url_file = page_file.with_name(page_file.name.removesuffix(".html.gz") + ".json")
        url = ""
        if url_file.exists():
            found = re.search(r'"url"\s*:\s*"([^"]+)"', url_file.read_text(encoding="utf-8"))
            url = found.group(1) if found else ""
        pages.append((url, html))
    return pages


def timings(
    ours: Callable[[str, str], object],
    theirs: Callable[[str, str], object],
    pages: Pages,
    rounds: int,
) -> tuple[list[float], list[float]]:
    """Milliseconds per page for both, the best of `rounds` runs of each page.

    The two take turns on every page, in alternating order, so load from other
    processes on a shared machine slows both alike, and neither always finds the
    caches warmed by the other.
    """
    best = {ours: [float("inf")] * len(pages), theirs: [float("inf")] * len(pages)}
    for round_number in range(rounds):
        for i, (url, html) in enumerate(pages):
            order = list(best.items())
            for work, times in order if (i + round_number) % 2 == 0 else reversed(order):
                start = time.perf_counter()
                work(html, url)
                times[i] = min(times[i], (time.perf_counter() - start) * 1000)
    return best[ours], best[theirs]


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def breakdown(work: Callable[[str, str], object], pages: Pages) -> dict[str, float]:
    """Share of the profiled time per category (see CATEGORIES)."""
    profiler = cProfile.Profile()
    profiler.enable()
    for url, html in pages:
        work(html, url)
    profiler.disable()
    stats = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    booked: dict[str, float] = defaultdict(float)
    for func, (_, _, own_time, _, callers) in stats.items():
        booked[_category(func, callers)] += own_time
    total = sum(booked.values()) or 1.0
    return {name: seconds / total for name, seconds in booked.items()}


def _category(func: tuple[str, int, str], callers: dict[Any, Any]) -> str:
    filename, _, function = func
    label = f"{filename}:{function}"
    for name, pattern in CATEGORIES:
        if pattern.search(label):
            return name
    if filename == "~" and callers:
        # A built-in: book it where the time was asked for.
        caller = max(callers, key=lambda c: callers[c][2])
        caller_label = f"{caller[0]}:{caller[2]}"
        for name, pattern in CATEGORIES:
            if pattern.search(caller_label):
                return name
        if "newscrawl/parsing" in caller[0]:
            return "selectors"
    return "other"


def report(name: str, parser: SiteParser, pages: Pages, rounds: int) -> float:
    generic = parser_for("https://example.invalid/")

    def ours(html: str, url: str) -> Any:
        return layered_article(parser, generic, html, url, FETCHED_AT)

    def theirs(html: str, url: str) -> object:
        return trafilatura.bare_extraction(html, url=url or None, with_metadata=True)

    # Warm-up: imports, dateparser's language data, langdetect's profiles.
    for work in (ours, theirs):
        for url, html in pages[:3]:
            work(html, url)
    our_ms, their_ms = timings(ours, theirs, pages, rounds)
    ratio = statistics.median(our_ms) / statistics.median(their_ms)
    print(
        f"{name:<22} {len(pages):>5} {statistics.median(our_ms):>8.2f} {p95(our_ms):>8.2f} "
        f"{statistics.median(their_ms):>10.2f} {p95(their_ms):>9.2f} {ratio:>7.2f}"
    )
    if parser is not generic:
        asked = sum(needs_generic_reading(parser, parser.parse(h, u, FETCHED_AT)) for u, h in pages)
        print(f"    the generic parser was asked on {asked} of {len(pages)} pages")
    shares = breakdown(ours, pages)
    print(
        "    where the time goes: "
        + ", ".join(
            f"{category} {share:.0%}"
            for category, share in sorted(shares.items(), key=lambda kv: -kv[1])
            if share >= 0.01
        )
    )
    return ratio


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--rounds", type=int, default=5, help="timing rounds; best kept")
    args = parser.parse_args(argv)
    print(
        f"{'parser':<22} {'pages':>5} {'ms med':>8} {'ms p95':>8} "
        f"{'trafi med':>10} {'trafi p95':>9} {'ratio':>7}"
    )
    for site in hand_parsed_sites().values():
        site_parser = parser_for(site.home)
        pages = site_pages(site_parser)
        if pages:
            report(type(site_parser).__name__, site_parser, pages, args.rounds)
    if args.corpus.is_dir():
        pages = corpus_pages(args.corpus)
        report("GenericParser (corpus)", parser_for("https://example.invalid/"), pages, 1)
    else:
        print(f"(no corpus at {args.corpus}: generic parser skipped)")
    print("ratio = parser median / trafilatura.bare_extraction median on the same pages")
    return 0


if __name__ == "__main__":
    sys.exit(main())
