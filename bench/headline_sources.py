"""Where the corpus's headlines come from, and how far any rule over the page's titles gets.

    python3 bench/headline_sources.py [--corpus ../shared/corpus/fundus]

The generic parser reads its headline candidates per page (JSON-LD, og:title, `<h1>`,
twitter:title, `<title>`, each cleaned of site names, and the heading shown below a
breadcrumb `<h1>`) and picks one. This prints, on the corpus's ground truth:

- how often each source alone is right, and how often the parser is;
- how often any source is right (no rule over these candidates can do better);
- the best rule that looks only at which sources agree with which, fitted to every
  page: an in-sample ceiling, since it may learn each publisher's habit;
- the same rule fitted on the other publishers' pages only, for each page. That is
  what a rule learned from this corpus does on a publisher it has not seen, which is
  how the generic parser is used.

Use it before adding a headline rule: a rule that lifts the score only in-sample is
fitting publishers, not pages.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
from collections import Counter, defaultdict
from dataclasses import astuple, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from newscrawl.parsing.decoding import decoded_html  # noqa: E402
from newscrawl.parsing.generic import GenericParser  # noqa: E402
from newscrawl.parsing.generic.headline import Headlines, headline_candidates  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "fundus"
SOURCES = [f.name for f in fields(Headlines)]


@dataclass(frozen=True)
class Page:
    publisher: str
    truth: str
    candidates: tuple[str, ...]  # in SOURCES order, "" where the page has none
    chosen: str  # the parser's headline

    @property
    def pattern(self) -> tuple[int, ...]:
        """Which candidates agree: equal texts share a number, absent ones are -1."""
        numbers: dict[str, int] = {}
        return tuple(numbers.setdefault(c, len(numbers)) if c else -1 for c in self.candidates)

    def right(self, text: str) -> bool:
        return folded(text) == self.truth


def folded(text: str | None) -> str:
    # The scorer's comparison (../shared/eval/score.py): whitespace folded, nothing else.
    return re.sub(r"\s+", " ", text or "").strip()


def load_pages(corpus: Path) -> list[Page]:
    parser = GenericParser()
    pages = []
    for truth_file in sorted(corpus.glob("*.json")):
        if truth_file.name.startswith("_"):
            continue
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        if not truth.get("headline"):
            continue
        page_file = corpus / f"{truth_file.stem}.html.gz"
        html = decoded_html(gzip.decompress(page_file.read_bytes()))
        url = truth.get("url") or ""
        # The parser's own candidates, as its headline rule sees them (this bench
        # studies that rule).
        candidates = headline_candidates(parser.page_of(html, url, datetime.now(UTC)))
        pages.append(
            Page(
                publisher=truth.get("publisher") or truth_file.stem.rsplit("_", 3)[0],
                truth=folded(truth["headline"]),
                candidates=astuple(candidates),
                chosen=candidates.chosen() or "",
            )
        )
    return pages


def best_source(pages: list[Page]) -> int | None:
    """The candidate position most often right on these pages (the earlier on a tie)."""
    counts = Counter(i for p in pages for i, c in enumerate(p.candidates) if c and p.right(c))
    return max(counts, key=lambda i: (counts[i], -i)) if counts else None


def fitted_score(pages: list[Page]) -> int:
    """Pages right under the best source per agreement pattern, fitted on all pages."""
    by_pattern: dict[tuple[int, ...], list[Page]] = defaultdict(list)
    for page in pages:
        by_pattern[page.pattern].append(page)
    right = 0
    for group in by_pattern.values():
        source = best_source(group)
        right += sum(p.right(p.candidates[source]) for p in group) if source is not None else 0
    return right


def unseen_publisher_score(pages: list[Page]) -> int:
    """Pages right when each page's rule is fitted on other publishers' pages only.

    A pattern no other publisher shows falls back to the parser's own choice.
    """
    right = 0
    for page in pages:
        others = [p for p in pages if p.publisher != page.publisher and p.pattern == page.pattern]
        source = best_source(others)
        right += page.right(page.candidates[source] if source is not None else page.chosen)
    return right


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    if not args.corpus.is_dir():
        raise SystemExit(f"no corpus at {args.corpus}")
    pages = load_pages(args.corpus)
    total = len(pages)
    publishers = len({p.publisher for p in pages})
    print(f"{total} pages with a headline, {publishers} publishers, from {args.corpus}\n")

    def row(label: str, right: int) -> None:
        print(f"{label:<58} {right:>4} {right / total:>7.3f}")

    print(f"{'headline taken from':<58} {'right':>4} {'share':>7}")
    for i, source in enumerate(SOURCES):
        row(f"  {source} alone", sum(p.right(p.candidates[i]) for p in pages))
    row("  the generic parser", sum(p.right(p.chosen) for p in pages))
    row(
        f"  any of the {len(SOURCES)} (no rule over them does better)",
        sum(any(c and p.right(c) for c in p.candidates) for p in pages),
    )
    row("  best source per agreement pattern, fitted to all pages", fitted_score(pages))
    row("  the same, fitted without the page's publisher", unseen_publisher_score(pages))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
