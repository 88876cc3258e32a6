"""Archive scale: write throughput, the known-URL check and the canned queries at 1M articles.

    python3 bench/archive_scale.py --articles 1000000 [--keep data/bench-1m.db] [--reuse]

Builds a synthetic archive through the real store code (`newscrawl.archive.Archive`): every
batch of 10,000 new articles is written as the crawl's store pipeline writes them, one
transaction per batch, together with what a crawl adds beside new articles in the same time:

- the new articles (`Archive.save_many`): headline, summary, a body of 150-350 words, about
  3 links each (read-also inserts and inline links to earlier articles, a related card with a
  view count), a view count, authors, tags, alternates for a third of them; four sites in
  several languages, published over two years that end now;
- revisits of the previous batch's articles a day later (`save_many` again): a new view
  count, and for 2% of them a changed body, which becomes an `article_versions` row;
- a listing card's view count for each new article (`add_view_snapshot`).

That is about 5 view snapshots and 3 links per article. It then reports:

- write throughput (new articles per second, revisits and card views included) of the first
  and the last batches, and their ratio (target: the last within 1.25x of the first);
- `Archive.known_urls` for 20 URLs (the spider's incremental-stop check; target <= 1 ms);
- each canned query of newscrawl/datasette/metadata.yaml, with its default parameters (all
  empty), run through Datasette's own machinery (target: each <= 500 ms), and, beside them,
  the "search" query for a word in every article (not a default; informative);
- database size per article.

`--keep PATH` keeps the archive there (default: a temporary file, removed at the end); with
`--reuse`, an archive already at PATH is measured without building it again. Other benches
can call `build_archive(path, articles)` to prefill an archive.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

import yaml  # noqa: E402

from newscrawl.archive import Archive  # noqa: E402
from newscrawl.archive.queries import last_article_id, row_counts  # noqa: E402
from newscrawl.items import Article, Link, LinkKind  # noqa: E402

METADATA = REPO_ROOT / "newscrawl" / "datasette" / "metadata.yaml"
BATCH = 10_000
SPAN = timedelta(days=730)
KYIV = timezone(timedelta(hours=3))
# site, language, URL prefix, share of the articles
SITES = (
    ("unn.ua", "uk", "https://unn.ua/news/", 0.35),
    ("unn.ua", "en", "https://unn.ua/en/news/", 0.15),
    ("unn.ua", "ru", "https://unn.ua/ru/news/", 0.10),
    ("pravda.com.ua", "uk", "https://www.pravda.com.ua/news/", 0.25),
    ("pravda.com.ua", "en", "https://www.pravda.com.ua/eng/news/", 0.05),
    ("example.com", "en", "https://example.com/world/", 0.10),
)
SECTIONS = ("Політика", "Економіка", "Суспільство", "Spotlight", "Світ", "Спорт", "Культура")
AUTHORS = tuple(f"Автор {n}" for n in range(200))
TAGS = tuple(f"тег{n}" for n in range(500))
# A vocabulary with a long tail, so that the full-text index is realistic: common words
# in every article, rare ones in a few.
_SYLLABLES = ("ко", "на", "ві", "ре", "ст", "ки", "ла", "мі", "до", "пр", "та", "ні", "ва", "ро")
WORDS = tuple(
    "".join(random.Random(n).choices(_SYLLABLES, k=2 + n % 4)) + str(n % 7 or "")
    for n in range(20_000)
)
COMMON_WORD = "україна"  # in every body: the worst case for the search query


# --- the synthetic articles -----------------------------------------------------------


class Synthetic:
    """Deterministic articles number 0..n-1, published evenly over SPAN up to `end`."""

    def __init__(self, total: int, end: datetime, seed: int = 7) -> None:
        self.total = total
        self.end = end
        self.start = end - SPAN
        self.random = random.Random(seed)
        weights = [share for *_, share in SITES]
        self.sites = random.Random(seed).choices(range(len(SITES)), weights, k=total)
        # Texts are drawn from pools of sentences: generating every word afresh would
        # cost more than writing it. Each article still gets words of its own.
        self.sentences = [self._words(self.random.randint(8, 16)) for _ in range(20_000)]

    def published_at(self, number: int) -> datetime:
        return (self.start + SPAN * (number / self.total)).astimezone(KYIV)

    def url(self, number: int) -> str:
        prefix = SITES[self.sites[number]][2]
        return f"{prefix}{number}-{WORDS[number % len(WORDS)]}-{WORDS[(number * 7) % len(WORDS)]}"

    def _words(self, words: int) -> str:
        return " ".join(self.random.choices(WORDS, k=words))

    def _text(self, words: int) -> str:
        """About `words` words: pooled sentences and one word of the article's own."""
        text = " ".join(self.random.choices(self.sentences, k=max(1, words // 12)))
        return f"{text} {self.random.choice(WORDS)}{self.random.randint(0, 99)}"

    def article(self, number: int) -> Article:
        site, language, _, _ = SITES[self.sites[number]]
        published = self.published_at(number)
        fetched = published.astimezone(UTC) + timedelta(minutes=self.random.randint(2, 60))
        paragraphs = [
            f"{COMMON_WORD} {self._text(self.random.randint(30, 70))}."
            for _ in range(self.random.randint(4, 6))
        ]
        links = []
        for position in range(self.random.choice((1, 2, 2, 3))):
            target = max(0, number - self.random.randint(1, 5000))
            kind: LinkKind = "read_also" if position < 2 else "inline"
            links.append(
                Link(kind=kind, url=self.url(target), title=self._text(8), position=position)
            )
        related = [
            Link(
                kind="related",
                url=self.url(max(0, number - self.random.randint(1, 300))),
                title=self._text(8),
                shown_at=published - timedelta(hours=self.random.randint(1, 48)),
                position=0,
                views=self.random.randint(10, 20000),
            )
        ]
        alternates = {}
        if number % 3 == 0 and number + 1 < self.total:
            other = "en" if language != "en" else "uk"
            alternates[other] = self.url(number + 1)
        return Article(
            url=self.url(number),
            site=site,
            fetched_at=fetched,
            headline=self._text(self.random.randint(6, 12)),
            summary=self._text(self.random.randint(20, 35)),
            body="\n\n".join(paragraphs),
            language=language,
            published_at=published,
            published_source="page",
            authors=[self.random.choice(AUTHORS)],
            section=self.random.choice(SECTIONS),
            tags=self.random.sample(TAGS, 3),
            views=self.random.randint(5, 50000),
            links=links,
            related=related,
            alternates=alternates,
        )

    def revisit(self, article: Article) -> Article:
        """The same page a day later: more views, and for 2% of pages an edited body."""
        body = article.body
        if self.random.random() < 0.02:
            body = f"{body}\n\nОновлено: {self._text(20)}."
        return Article(
            **{
                **article.__dict__,
                "fetched_at": article.fetched_at + timedelta(days=1),
                "views": (article.views or 0) + self.random.randint(1, 5000),
                "body": body,
            }
        )


# --- building ---------------------------------------------------------------------------


def build_archive(
    path: str | Path,
    articles: int,
    *,
    report: Any = None,
    end: datetime | None = None,
    first_number: int = 0,
) -> list[tuple[int, float]]:
    """Fill the archive at `path` with `articles` synthetic articles (see the module doc).

    Returns (articles so far, seconds) for each batch. `report(done, seconds)` is called
    after each batch. Articles are numbered from `first_number`: to add to an archive
    built before, give the number of articles it has.
    """
    end = end or datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
    last = first_number + articles
    synthetic = Synthetic(last, end)
    timings: list[tuple[int, float]] = []
    previous: list[Article] = []
    with Archive(path) as archive:
        for first in range(first_number, last, BATCH):
            batch = [synthetic.article(n) for n in range(first, min(first + BATCH, last))]
            revisits = [synthetic.revisit(article) for article in previous]
            started = time.perf_counter()
            with archive.batch():
                archive.save_many(batch)
                archive.save_many(revisits)
                for article in batch:
                    archive.add_view_snapshot(
                        article.url,
                        article.fetched_at + timedelta(hours=6),
                        (article.views or 0) + 100,
                        SITES[0][2].removesuffix("news/") + "news",
                    )
            seconds = time.perf_counter() - started
            timings.append((first + len(batch), seconds))
            if report is not None:
                report(first + len(batch), seconds)
            previous = batch
        if first_number == 0:
            _add_crawl_runs(archive, end)
    return timings


def throughput_now(path: Path, total: int, scratch: Path) -> tuple[float, float]:
    """New articles/s of BATCH-sized batches into an empty archive and added to `path`.

    Run back to back in one process, so that both see the same machine load: 4 batches
    each, the median of the last 3 (the first has no revisits). The articles added to
    `path` are removed again afterwards, so that its content stays as built.
    """
    rates = []
    with Archive(path) as archive:
        last_id = last_article_id(archive.db) or 0
    for target, first_number in ((scratch / "empty.db", 0), (path, total)):
        timings = build_archive(target, 4 * BATCH, first_number=first_number)
        rates.append(statistics.median(BATCH / seconds for _, seconds in timings[1:]))
    with Archive(path) as archive:
        archive.remove_articles_after(last_id)
    return rates[0], rates[1]


def _add_crawl_runs(archive: Archive, end: datetime) -> None:
    """Hourly runs of each spider over the last 60 days, for the site_health query."""
    for spider, site in (("unn", "unn.ua"), ("pravda", "pravda.com.ua")):
        for hour in range(60 * 24, 0, -1):
            started = end - timedelta(hours=hour)
            archive.record_run(
                {
                    "spider": spider,
                    "site": site,
                    "started_at": started.isoformat(),
                    "finished_at": (started + timedelta(minutes=3)).isoformat(),
                    "finish_reason": "finished",
                    "exit_code": 0,
                    "pages_fetched": 60,
                    "articles_new": 20,
                    "articles_updated": 1,
                    "articles_unchanged": 5,
                    **{
                        f"share_{name}": 0.95
                        for name in ("published_at", "views", "authors", "summary", "links")
                    },
                    "share_language": 1.0,
                }
            )


# --- measuring --------------------------------------------------------------------------


def known_url_check_ms(path: Path, total: int, rounds: int = 200) -> float:
    """Median milliseconds of `known_urls` for 20 URLs, half archived and half not."""
    synthetic = Synthetic(total, datetime.now(UTC))
    picker = random.Random(1)
    times = []
    with Archive(path) as archive:
        for _ in range(rounds):
            urls = [synthetic.url(picker.randrange(total)) for _ in range(10)]
            urls += [f"https://unn.ua/news/not-archived-{picker.random()}" for _ in range(10)]
            started = time.perf_counter()
            archive.known_urls(urls)
            times.append(time.perf_counter() - started)
    return statistics.median(times) * 1000


def canned_queries() -> dict[str, dict[str, Any]]:
    metadata = yaml.safe_load(METADATA.read_text(encoding="utf-8"))
    return dict(metadata["databases"]["news"]["queries"])


def query_latencies_ms(path: Path, rounds: int = 3) -> list[tuple[str, dict[str, str], float, int]]:
    """(query, parameters, best of `rounds` ms, rows) of each canned query, via Datasette."""
    from datasette.app import Datasette
    from datasette.utils import derive_named_parameters

    async def measure() -> list[tuple[str, dict[str, str], float, int]]:
        # Datasette stops a query after sql_time_limit_ms (default 1 s); a longer limit
        # lets the bench report how long a slow query really takes.
        datasette = Datasette([str(path)], settings={"sql_time_limit_ms": 120_000})
        database = datasette.get_database(datasette.get_database().name)
        results = []
        runs: list[tuple[str, str, dict[str, str]]] = []
        for name, query in canned_queries().items():
            names = await derive_named_parameters(database, query["sql"])
            runs.append((name, query["sql"], dict.fromkeys(names, "")))
        search = canned_queries()["search"]["sql"]
        runs.append((f"search q={COMMON_WORD}", search, {"q": COMMON_WORD}))
        for name, sql, params in runs:
            times = []
            rows = 0
            for _ in range(rounds):
                started = time.perf_counter()
                result = await database.execute(sql, params)
                times.append(time.perf_counter() - started)
                rows = len(result.rows)
            results.append((name, params, min(times) * 1000, rows))
        return results

    return asyncio.run(measure())


def size_per_article(path: Path, total: int) -> float:
    files = [path, path.with_name(path.name + "-wal")]
    return sum(f.stat().st_size for f in files if f.exists()) / max(total, 1)


def counts(path: Path) -> dict[str, int]:
    with Archive(path) as archive:
        return row_counts(archive.db)


def _batches_per_second(timings: list[tuple[int, float]], window: slice) -> float:
    sizes = [done - (timings[i - 1][0] if i else 0) for i, (done, _) in enumerate(timings)]
    rates = [size / seconds for size, (_, seconds) in zip(sizes, timings, strict=True)][window]
    return statistics.median(rates)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--articles", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="build (or find) the archive here and keep it")
    parser.add_argument("--reuse", action="store_true", help="measure the archive at --keep")
    parser.add_argument("--quiet", action="store_true", help="no progress lines")
    parser.add_argument(
        "--throughput-now",
        action="store_true",
        help="also time batches into an empty archive and added to this one, back to back: "
        "the fair ratio on a shared machine (the articles added are removed again)",
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory() as scratch:
        path = args.keep or Path(scratch) / "scale.db"
        timings: list[tuple[int, float]] = []
        if not (args.reuse and path.exists()):
            if path.exists():
                parser.error(f"{path} exists; remove it or pass --reuse")
            started = time.perf_counter()

            def progress(done: int, seconds: float) -> None:
                if not args.quiet and (done // BATCH) % 10 == 0:
                    elapsed = time.perf_counter() - started
                    print(
                        f"  {done:>9,} articles, last batch {BATCH / seconds:,.0f}/s, "
                        f"{elapsed:,.0f} s",
                        file=sys.stderr,
                    )

            timings = build_archive(path, args.articles, report=progress)
            build_seconds = time.perf_counter() - started
        table = counts(path)
        total = table["articles"]
        known = known_url_check_ms(path, total)
        queries = query_latencies_ms(path)
        now_rates = throughput_now(path, total, Path(scratch)) if args.throughput_now else None

        print(f"\narchive_scale: {total:,} articles ({path})")
        print(", ".join(f"{name} {n:,}" for name, n in table.items()))
        print("\n| measure | value | target |\n|---|---|---|")
        if timings:
            first = _batches_per_second(timings, slice(0, 3))
            last = _batches_per_second(timings, slice(-3, None))
            print(f"| build, all batches | {build_seconds:,.0f} s | minutes |")
            print(f"| write throughput, first 3 batches (median) | {first:,.0f} articles/s | |")
            print(
                f"| write throughput, last 3 batches at {total:,} (median) | "
                f"{last:,.0f} articles/s ({first / last:.2f}x slower) | <= 1.25x |"
            )
        if now_rates:
            empty, full = now_rates
            print(
                f"| write throughput back to back: empty archive / at {total:,} | "
                f"{empty:,.0f} / {full:,.0f} articles/s ({empty / full:.2f}x slower) | <= 1.25x |"
            )
        print(f"| known_urls, 20 URLs (median) | {known:.3f} ms | <= 1 ms |")
        for name, params, ms, rows in queries:
            shown = ", ".join(f"{k}={v!r}" for k, v in params.items()) or "none"
            target = "<= 500 ms" if not name.startswith("search q=") else "(not a default)"
            print(f"| query {name} ({shown}; {rows} rows) | {ms:,.0f} ms | {target} |")
        print(f"| database size per article | {size_per_article(path, total) / 1024:.1f} KiB | |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
