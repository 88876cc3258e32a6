"""Extraction quality and speed: the generic parser against trafilatura, same pages, same run.

    python3 bench/extract_quality.py [--corpus ../shared/corpus/fundus]

Both extractors read every page of the corpus from memory (decompression and decoding
are done once, outside the timings), taking turns page by page so that other load on
the machine weighs on both alike. They are scored with the corpus's own scorer
(../shared/eval/score.py, imported from there, not copied) and printed side by side
with their time per page (median and mean) and the ratios ours/trafilatura. The target
is a ratio of at most 1.3.
"""

from __future__ import annotations

import argparse
import gzip
import importlib.util
import json
import statistics
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from types import ModuleType
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import trafilatura  # noqa: E402
from trafilatura.settings import Document  # noqa: E402

from newscrawl.parsing.decoding import decoded_html  # noqa: E402
from newscrawl.parsing.generic import GenericParser  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "fundus"
Extractor = Callable[[str, str, datetime], dict[str, Any]]


def scorer(corpus: Path) -> ModuleType:
    """../shared/eval/score.py as a module (it sits beside the corpus folder's parent)."""
    path = corpus.parent.parent / "eval" / "score.py"
    spec = importlib.util.spec_from_file_location("fundus_score", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"no scorer at {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_pages(corpus: Path) -> list[tuple[str, str, str, datetime]]:
    """(id, url, html, fetch time) for every page with ground truth."""
    pages = []
    for truth_file in sorted(corpus.glob("*.json")):
        if truth_file.name.startswith("_"):
            continue
        truth = json.loads(truth_file.read_text(encoding="utf-8"))
        page_file = corpus / f"{truth_file.stem}.html.gz"
        html = decoded_html(gzip.decompress(page_file.read_bytes()))
        # The file's mtime stands for the fetch time, as in `newscrawl extract`.
        fetched = datetime.fromtimestamp(page_file.stat().st_mtime, UTC)
        pages.append((truth_file.stem, truth.get("url") or "", html, fetched))
    return pages


def ours(html: str, url: str, fetched_at: datetime) -> dict[str, Any]:
    return GenericParser().parse(html, url, fetched_at).to_dict()


def theirs(html: str, url: str, fetched_at: datetime) -> dict[str, Any]:
    document = trafilatura.bare_extraction(html, url=url, with_metadata=True)
    if not isinstance(document, Document):
        return {}
    data = document.as_dict()
    return {
        "headline": data.get("title"),
        "body": data.get("text"),
        "published_at": data.get("date"),
        "authors": data.get("author"),
        "language": data.get("language"),
    }


def run(
    extractors: dict[str, Extractor], pages: list[tuple[str, str, str, datetime]]
) -> dict[str, tuple[dict[str, dict[str, Any]], list[float]]]:
    """Predictions and per-page times (ms) of each extractor.

    The extractors take turns on each page, in alternating order, so that load from
    other processes on the machine falls on both alike and the ratio stays fair.
    """
    results: dict[str, tuple[dict[str, dict[str, Any]], list[float]]] = {
        name: ({}, []) for name in extractors
    }
    names = list(extractors)
    for index, (page_id, url, html, fetched) in enumerate(pages):
        for name in names if index % 2 == 0 else reversed(names):
            predictions, times = results[name]
            start = time.perf_counter()
            predictions[page_id] = extractors[name](html, url, fetched)
            times.append((time.perf_counter() - start) * 1000)
    return results


def row(name: str, result: dict[str, Any], times: list[float]) -> str:
    def share(field: str) -> str:
        value = result[field]["accuracy"]
        return "  n/a" if value is None else f"{value:.3f}"

    return (
        f"{name:<12} {result['body']['f1']:>7.3f} {share('headline'):>8} {share('date'):>8} "
        f"{share('author'):>8} {share('language'):>8} "
        f"{statistics.median(times):>9.1f} {statistics.mean(times):>8.1f}"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args(argv)
    score = scorer(args.corpus)
    truth = score.load_truth(args.corpus)
    pages = load_pages(args.corpus)
    # Warm-up: the first page pays for imports (dateparser, htmldate, langdetect profiles).
    for extract in (ours, theirs):
        extract(pages[0][2], pages[0][1], pages[0][3])
    results = {}
    for name, (predictions, times) in run({"generic": ours, "trafilatura": theirs}, pages).items():
        result = score.score(truth, predictions)
        if not any(prediction.get("language") for prediction in predictions.values()):
            # trafilatura detects no language without its optional language package.
            result["language"]["accuracy"] = None
        results[name] = (result, times)
    print(f"{len(pages)} pages from {args.corpus}")
    print(
        f"{'extractor':<12} {'body F1':>7} {'headline':>8} {'date':>8} {'author':>8} "
        f"{'language':>8} {'ms median':>9} {'ms mean':>8}"
    )
    for name, (result, times) in results.items():
        print(row(name, result, times))
    ours_times, their_times = results["generic"][1], results["trafilatura"][1]
    mean_ratio = statistics.mean(ours_times) / statistics.mean(their_times)
    median_ratio = statistics.median(ours_times) / statistics.median(their_times)
    print(f"time ratio ours/trafilatura: mean {mean_ratio:.2f}, median {median_ratio:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
