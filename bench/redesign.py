"""Parsers that survive a redesign: a real crawl of a redesigned mirror, scored against the truth.

    python3 bench/redesign.py [--stories 300] [--drop-jsonld] [--baseline REV] [--keep DIR]

Builds the sample site's markup around the demo stories and `--stories` generated ones
(`newscrawl.testing.demo.generated_stories`, each given two read-also inserts and two
related cards of demo stories, which the generator leaves out), then redesigns every
HTML page with `newscrawl.testing.redesign.redesigned_site`: every class and id renamed,
text and DOM kept, with `--drop-jsonld` the JSON-LD removed too. A real `scrapy crawl
unn` of that mirror fills a fresh archive. Each article page's truth is the parse of its
unchanged page; each archived row is scored against it.

Beside the crawl, in the same run and on the same redesigned pages, in-process:

- today: the UNN parser as it was before this change (`--baseline`, by default the
  commit before `UnnParser.VERSION` became "2"), taken from git and run in a process
  of its own, its rules alone;
- rules alone: the current site parser's rules, without the generic parser below them.

For those two, an article counts as archived when the validate pipeline accepts it.

| measure | target |
|---|---|
| articles archived | 100% |
| headline, summary, views, authors, published date exact | >= 0.97 each |
| pages with body token F1 >= 0.95 | >= 95% |
| read-also inserts recorded as links and kept out of the body | >= 0.95 |

Not a test: it prints the table and exits 0 whatever the numbers.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import sqlite3
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter
from collections.abc import Callable, Iterable
from datetime import UTC, datetime, timedelta
from io import BytesIO
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from scrapy.exceptions import DropItem  # noqa: E402
from scrapy.utils.test import get_crawler  # noqa: E402

from newscrawl.items import Article  # noqa: E402
from newscrawl.parsing import article_of_html, parser_for  # noqa: E402
from newscrawl.testing.demo import demo_site, demo_stories, generated_stories  # noqa: E402
from newscrawl.testing.demo.stories import Story  # noqa: E402
from newscrawl.testing.mirror import Resource, serve  # noqa: E402
from newscrawl.testing.redesign import redesigned_site  # noqa: E402
from pipelines.validate import ValidatePipeline  # noqa: E402

SITE_URL = "https://unn.ua"
# Canonical article paths of the mirror: "/news/<slug>", "/en/news/<slug>", "/ru/news/<slug>".
ARTICLE_PATH = re.compile(r"^(?:/(?:en|ru))?/news/[^/?]+$")
EXACT_FIELDS = ("headline", "summary", "views", "authors", "published_at")
F1_TARGET = 0.95
WORD = re.compile(r"\w+")
# Old code runs in a process of its own: run from the extracted tree, which comes
# first on its sys.path, so its `newscrawl` is imported and not this checkout's.
BASELINE_READER = """
import json, sys
from datetime import datetime
import newscrawl
from newscrawl.parsing import parser_for
assert newscrawl.__file__.startswith(sys.argv[1]), newscrawl.__file__
for line in sys.stdin:
    job = json.loads(line)
    html = open(job["path"], encoding="utf-8").read()
    when = datetime.fromisoformat(job["fetched_at"])
    print(json.dumps(parser_for(job["url"]).parse(html, job["url"], when).to_dict()), flush=True)
"""


@dataclasses.dataclass(frozen=True)
class Reading:
    """What one reading of a page says, in the archive's terms (dates as ISO text)."""

    archived: bool
    headline: str | None = None
    summary: str | None = None
    body: str | None = None
    views: int | None = None
    authors: tuple[str, ...] = ()
    published_at: str | None = None
    # Read-also links as (url, title).
    read_also: tuple[tuple[str, str | None], ...] = ()


def reading_of_dict(data: dict[str, Any], archived: bool) -> Reading:
    """A reading from `Article.to_dict()`-shaped data (a parse, old or new)."""
    return Reading(
        archived=archived,
        headline=data["headline"],
        summary=data["summary"],
        body=data["body"],
        views=data["views"],
        authors=tuple(data["authors"]),
        published_at=data["published_at"],
        read_also=tuple(
            (link["url"], link["title"]) for link in data["links"] if link["kind"] == "read_also"
        ),
    )


def bench_stories(count: int, newest: datetime) -> list[Story]:
    """The demo stories and `count` generated ones, each of those with inserts and cards."""
    demo = demo_stories()
    linkable = [story.id for story in demo if "uk" in story.versions]
    generated = [
        dataclasses.replace(
            story,
            read_also_refs=(linkable[i % len(linkable)], linkable[(i + 3) % len(linkable)]),
            related_ids=(linkable[(i + 1) % len(linkable)], linkable[(i + 5) % len(linkable)]),
        )
        for i, story in enumerate(generated_stories(count, newest, spacing=timedelta(minutes=10)))
    ]
    return generated + demo


def crawl(site: dict[str, Resource], folder: Path) -> Path:
    """A real `scrapy crawl unn` of the mirror into a fresh archive; its path."""
    db = folder / "redesign.db"
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["PYTHONPATH"] = str(REPO_ROOT)
    settings = {
        "NEWSCRAWL_DB": db,
        "NEWSCRAWL_WARC": "off",
        "NEWSCRAWL_REVISITS": "off",
        "AUTOTHROTTLE_ENABLED": "False",
        "DOWNLOAD_DELAY": "0",
        "CONCURRENT_REQUESTS_PER_DOMAIN": "16",
        "LOG_LEVEL": "INFO",
        "LOG_FILE": folder / "crawl.log",
    }
    with serve(site) as mirror:
        command = [sys.executable, "-m", "scrapy", "crawl", "unn", "-a", f"base_url={mirror}"]
        for name, value in settings.items():
            command += ["-s", f"{name}={value}"]
        done = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"the crawl failed ({done.returncode}); see {folder / 'crawl.log'}")
    return db


def archived_readings(db: Path) -> tuple[dict[str, Reading], dict[str, datetime]]:
    """Each archived row as a reading, and each row's fetch time, by URL."""
    connection = sqlite3.connect(db)
    connection.row_factory = sqlite3.Row
    links: dict[int, list[tuple[str, str | None]]] = {}
    for row in connection.execute(
        "select article_id, url, title from links where kind = 'read_also' order by position"
    ):
        links.setdefault(row["article_id"], []).append((row["url"], row["title"]))
    readings: dict[str, Reading] = {}
    fetched: dict[str, datetime] = {}
    query = (
        "select id, url, headline, summary, body, views, authors, published_at, fetched_at "
        "from articles"
    )
    for row in connection.execute(query):
        readings[row["url"]] = Reading(
            archived=True,
            headline=row["headline"],
            summary=row["summary"],
            body=row["body"],
            views=row["views"],
            authors=tuple(json.loads(row["authors"] or "[]")),
            published_at=row["published_at"],
            read_also=tuple(links.get(row["id"], [])),
        )
        fetched[row["url"]] = datetime.fromisoformat(row["fetched_at"])
    connection.close()
    return readings, fetched


class ArticleTest:
    """The validate pipeline's test of what would be archived."""

    def __init__(self) -> None:
        self._pipeline = ValidatePipeline(get_crawler())

    def accepts(self, article: Article) -> bool:
        try:
            self._pipeline.process_item(article)
        except DropItem:
            return False
        return True


def baseline_revision() -> str | None:
    """The last commit before the UNN parser's VERSION became "2", or None without git."""
    done = subprocess.run(
        ["git", "log", "--reverse", "--format=%H", "-S", 'VERSION: ClassVar[str] = "2"', "--",
         "newscrawl/parsing/unn.py"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=False,
    )  # fmt: skip
    introduced = done.stdout.split()
    if done.returncode != 0 or not introduced:
        return None
    parent = subprocess.run(
        ["git", "rev-parse", f"{introduced[0]}~1"],
        cwd=REPO_ROOT, capture_output=True, text=True, check=True,
    )  # fmt: skip
    return parent.stdout.strip()


def baseline_readings(
    revision: str, pages: dict[str, str], fetched: dict[str, datetime], folder: Path
) -> dict[str, dict[str, Any]]:
    """The old parser's `to_dict()` of each page, run from `revision`'s tree."""
    tree = folder / "baseline"
    archive = subprocess.run(
        ["git", "archive", "--format=tar", revision, "newscrawl"],
        cwd=REPO_ROOT, capture_output=True, check=True,
    )  # fmt: skip
    with tarfile.open(fileobj=BytesIO(archive.stdout)) as tar:
        tar.extractall(tree, filter="data")
    jobs: list[str] = []
    for i, (url, html) in enumerate(pages.items()):
        path = folder / "pages" / f"{i}.html"
        path.parent.mkdir(exist_ok=True)
        path.write_text(html, encoding="utf-8")
        jobs.append(
            json.dumps({"url": url, "path": str(path), "fetched_at": fetched[url].isoformat()})
        )
    done = subprocess.run(
        [sys.executable, "-c", BASELINE_READER, str(tree)],
        cwd=tree, input="\n".join(jobs), capture_output=True, text=True, check=True,
        env={k: v for k, v in os.environ.items() if k != "PYTHONPATH"},
    )  # fmt: skip
    return dict(zip(pages, (json.loads(line) for line in done.stdout.splitlines()), strict=True))


def token_f1(produced: str | None, truth: str | None) -> float:
    """Token F1 of two texts (words, case-folded, counted with repeats)."""
    ours = Counter(WORD.findall((produced or "").casefold()))
    theirs = Counter(WORD.findall((truth or "").casefold()))
    if not ours or not theirs:
        return float(ours == theirs)
    common = sum((ours & theirs).values())
    if not common:
        return 0.0
    precision, recall = common / sum(ours.values()), common / sum(theirs.values())
    return 2 * precision * recall / (precision + recall)


def scores(truth: dict[str, Reading], readings: dict[str, Reading]) -> dict[str, float]:
    """Each measure over every truth page; a page not archived misses every measure."""
    missing = Reading(archived=False)
    got = [(t, readings.get(url, missing)) for url, t in truth.items()]
    n = len(got)
    result = {"archived": sum(r.archived for _, r in got) / n}
    for field in EXACT_FIELDS:
        result[field] = (
            sum(r.archived and getattr(r, field) == getattr(t, field) for t, r in got) / n
        )
    result["body_f1"] = (
        sum(r.archived and token_f1(r.body, t.body) >= F1_TARGET for t, r in got) / n
    )
    inserts = kept = 0
    for t, r in got:
        recorded = {url for url, _ in r.read_also}
        for url, title in t.read_also:
            inserts += 1
            kept += r.archived and url in recorded and (title or "") not in (r.body or "")
    result["read_also"] = kept / inserts if inserts else float("nan")
    return result


ROWS: tuple[tuple[str, str, str], ...] = (
    ("archived", "articles archived", "100%"),
    ("headline", "headline exact", ">= 0.97"),
    ("summary", "summary exact", ">= 0.97"),
    ("views", "views exact", ">= 0.97"),
    ("authors", "authors exact", ">= 0.97"),
    ("published_at", "published date exact", ">= 0.97"),
    ("body_f1", "pages with body token F1 >= 0.95", ">= 95%"),
    ("read_also", "read-also inserts as links, out of the body", ">= 0.95"),
)


def print_table(columns: dict[str, dict[str, float]]) -> None:
    print("| measure | target | " + " | ".join(columns) + " |")
    print("|---|---|" + "---|" * len(columns))
    for key, label, target in ROWS:
        cells = [_cell(key, column.get(key)) for column in columns.values()]
        print(f"| {label} | {target} | " + " | ".join(cells) + " |")


def _cell(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    return f"{value:.1%}" if key in ("archived", "body_f1") else f"{value:.3f}"


def in_process(
    pages: dict[str, str],
    fetched: dict[str, datetime],
    read: Callable[[str, str, datetime], Article],
    test: ArticleTest,
) -> dict[str, Reading]:
    found: dict[str, Reading] = {}
    for url, html in pages.items():
        article = read(html, url, fetched[url])
        found[url] = reading_of_dict(article.to_dict(), test.accepts(article))
    return found


def article_pages(site: dict[str, Resource]) -> dict[str, str]:
    """The HTML of each canonical article page, by its site URL."""
    return {
        SITE_URL + path: resource.body.decode("utf-8")
        for path, resource in site.items()
        if ARTICLE_PATH.match(path) and resource.status == 200
    }


def main(argv: Iterable[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--stories", type=int, default=300, help="generated stories (uk)")
    parser.add_argument("--drop-jsonld", action="store_true", help="the redesign drops JSON-LD")
    parser.add_argument("--baseline", help="git revision of 'today' (default: before unn/2)")
    parser.add_argument("--keep", type=Path, help="keep the archive, log and pages here")
    args = parser.parse_args(list(argv) if argv is not None else None)

    site = demo_site("bench", stories=bench_stories(args.stories, datetime.now(UTC)))
    redesigned = redesigned_site(site, drop_jsonld=args.drop_jsonld)
    unchanged_pages, pages = article_pages(site), article_pages(redesigned)
    with tempfile.TemporaryDirectory() as scratch:
        folder = args.keep or Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        print(f"crawling a redesigned mirror of {len(pages)} article pages...", file=sys.stderr)
        started = time.perf_counter()
        crawled, fetched = archived_readings(crawl(redesigned, folder))
        seconds = time.perf_counter() - started
        # Pages the crawl never fetched are read as of now.
        now = datetime.now(UTC)
        fetched = {url: fetched.get(url, now) for url in pages}
        test = ArticleTest()
        truth = in_process(unchanged_pages, fetched, article_of_html, test)
        columns: dict[str, dict[str, float]] = {}
        revision = args.baseline or baseline_revision()
        if revision is not None:
            old = baseline_readings(revision, pages, fetched, folder)
            columns[f"today ({revision[:12]})"] = scores(
                truth,
                {
                    url: reading_of_dict(data, test.accepts(_validated_shape(data, fetched[url])))
                    for url, data in old.items()
                },
            )
        own_rules = in_process(pages, fetched, lambda h, u, f: parser_for(u).parse(h, u, f), test)
        columns["rules alone (unn/2)"] = scores(truth, own_rules)
        columns["crawl: layered"] = scores(truth, crawled)

    # The crawl's parse pipeline reads through the same layering as this does.
    filled = Counter(
        ", ".join(article_of_html(html, url, fetched[url]).fallback_fields) or "none"
        for url, html in pages.items()
    )
    inserts = sum(len(t.read_also) for t in truth.values())
    print(
        f"\nredesign.py: {len(truth)} article pages ({sum(t.archived for t in truth.values())} "
        f"archivable unchanged), {inserts} read-also inserts; JSON-LD "
        f"{'dropped' if args.drop_jsonld else 'kept'}; crawl {seconds:.0f} s, "
        f"{len(crawled)} rows\n"
    )
    print_table(columns)
    print(
        "\nfields the generic reading filled, by page: "
        + "; ".join(f"{fields}: {count}" for fields, count in filled.most_common())
    )
    return 0


def _validated_shape(data: dict[str, Any], fetched_at: datetime) -> Article:
    # The validate pipeline reads the headline and the body only.
    return Article(
        url=data["url"],
        site=data["site"],
        fetched_at=fetched_at,
        headline=data["headline"],
        body=data["body"],
    )


if __name__ == "__main__":
    sys.exit(main())
