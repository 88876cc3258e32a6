"""A large archive for bench/crawl_cost.py --prefill: M articles that the crawl does not fetch.

It is built by bench/archive_scale.py's `build_archive`, through the real store
code: articles of several sites with about 3 links and 5 view snapshots each,
revisits, versions and crawl_runs rows. Its newest article is 45 days old, past
the revisit schedule's 30 days, so the crawl revisits none (the mirror does not
have them) while the revisit query still runs against the whole archive.

Built once per size and kept in a cache folder; the benchmark crawls into a copy.
"""

from __future__ import annotations

import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from archive_scale import build_archive

# Older than the default revisit schedule's last rule (30 days).
AGE_OF_NEWEST = timedelta(days=45)


def prefilled_archive(articles: int, cache: Path) -> Path:
    """The path of an archive holding `articles` synthetic articles, built if not cached."""
    cache.mkdir(parents=True, exist_ok=True)
    path = cache / f"prefilled-{articles}.db"
    if path.exists():
        return path
    partial = cache / f"prefilled-{articles}.partial.db"
    for leftover in cache.glob(f"{partial.name}*"):
        leftover.unlink()
    print(f"building a {articles:,}-article archive in {path} ...", file=sys.stderr, flush=True)
    started = time.perf_counter()

    def report(done: int, seconds: float) -> None:
        if done % 100_000 == 0:
            elapsed = time.perf_counter() - started
            print(f"  {done:,} articles, {elapsed:.0f} s", file=sys.stderr, flush=True)

    end = datetime.now(UTC).replace(minute=0, second=0, microsecond=0) - AGE_OF_NEWEST
    build_archive(partial, articles, report=report, end=end)
    partial.rename(path)
    print(f"  built in {time.perf_counter() - started:.0f} s", file=sys.stderr, flush=True)
    return path


if __name__ == "__main__":
    # python bench/_prefill.py ARTICLES CACHE_DIR: build (or find) and print the path.
    print(prefilled_archive(int(sys.argv[1]), Path(sys.argv[2])))
