"""Datasette under --public beside a huge article, against the same archive without it
(issue 19, item 2).

    python3 bench/public_datasette.py [--body-mb 23] [--rounds 3]

Builds two archives of a few articles each, one of them with one article whose body
is `--body-mb` million characters; serves each as `newscrawl serve --public` does
(its settings and the newscrawl plugin, through Datasette's own client, in this
process), and prints per request the best time of `--rounds` on each archive and
their ratio, then this process's peak RSS growth over the huge archive's requests.
Datasette's own time limit (sql_time_limit_ms) bounds each query; the ratios show
what a huge body still costs each request (it is read up to the cut the plugin makes),
and the target is that every request answers, within that limit.
"""

from __future__ import annotations

import argparse
import asyncio
import multiprocessing
import resource
import sqlite3
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from datasette.app import Datasette  # noqa: E402

from newscrawl.archive import Archive  # noqa: E402
from newscrawl.datasette.server import PUBLIC_SETTINGS, metadata  # noqa: E402
from newscrawl.items import Article  # noqa: E402

REQUESTS = (
    "/news/search.json?q=метро",
    "/news/articles.json?_search=метро",
    "/news/articles.json?_search=метр*&_searchmode=raw",
    "/news/articles.json",
    "/news/articles.json?_size=max",
    "/news/articles.csv",
)


def archive_of(folder: Path, huge_chars: int) -> Path:
    """An archive of five articles; with `huge_chars`, one more with a body that long."""
    db = folder / "news.db"
    fetched = datetime(2025, 1, 10, 9, 0, tzinfo=UTC)
    with Archive(db) as archive:
        for n in range(5 + bool(huge_chars)):
            archive.save(
                Article(
                    url=f"https://unn.ua/news/story-{n}",
                    site="unn.ua",
                    fetched_at=fetched,
                    headline=f"Київ відкриває станцію метро номер {n}",
                    body="Київ отримає нові станції метро. " * 40,
                    language="uk",
                    published_at=fetched,
                )
            )
    if huge_chars:
        sentence = "Київ отримає нові станції метро. "
        body = sentence * (huge_chars // len(sentence))
        with sqlite3.connect(db) as conn:
            conn.execute("update articles set body = ? where url like '%story-5'", [body])
    return db


def _setting(value: str) -> Any:
    return {"on": True, "off": False}.get(value, int(value) if value.isdigit() else value)


async def best_times(db: Path, rounds: int) -> dict[str, float]:
    """The best time of `rounds` GETs of each of REQUESTS, in seconds; each must answer 200."""
    settings = {name: _setting(value) for name, value in PUBLIC_SETTINGS.items()}
    ds = Datasette([str(db)], metadata=metadata(db.stem), settings=settings)
    best: dict[str, float] = {}
    for path in REQUESTS:
        for _ in range(rounds):
            started = time.perf_counter()
            response = await ds.client.get(path)
            took = time.perf_counter() - started
            if response.status_code != 200:
                raise SystemExit(f"{path}: HTTP {response.status_code}")
            best[path] = min(best.get(path, took), took)
    return best


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--body-mb", type=float, default=23.0)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="newscrawl-bench-") as scratch:
        normal, huge = Path(scratch) / "normal", Path(scratch) / "huge"
        # Built in another process: the huge body, made here, would be this
        # process's peak before any request.
        context = multiprocessing.get_context("spawn")
        for folder, chars in ((normal, 0), (huge, int(args.body_mb * 1_000_000))):
            folder.mkdir()
            builder = context.Process(target=archive_of, args=(folder, chars))
            builder.start()
            builder.join()
        normal, huge = normal / "news.db", huge / "news.db"
        baseline = asyncio.run(best_times(normal, args.rounds))
        before = peak_rss_mb()
        hostile = asyncio.run(best_times(huge, args.rounds))
        grown = peak_rss_mb() - before
    print(f"{'request':<52} {'normal ms':>10} {'huge ms':>10} {'ratio':>7}")
    for path in REQUESTS:
        ratio = hostile[path] / baseline[path]
        print(
            f"{path:<52} {baseline[path] * 1000:>10.1f} {hostile[path] * 1000:>10.1f} {ratio:>7.2f}"
        )
    print(
        f"peak RSS: {before:.0f} MB after the normal archive's requests, "
        f"+{grown:.0f} MB over the huge archive's"
    )
    print(f"sql_time_limit_ms = {PUBLIC_SETTINGS['sql_time_limit_ms']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
