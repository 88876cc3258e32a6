"""The item pipelines, driven through a real Scrapy crawler and a real archive file."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.utils.test import get_crawler
from twisted.internet.defer import Deferred, succeed

from newscrawl.archive import Archive
from newscrawl.errors import ArchiveError
from newscrawl.items import Article, Link, Page
from pipelines.dedupe import DedupePipeline
from pipelines.normalize import NormalizePipeline
from pipelines.parse import ParsePipeline
from pipelines.shared_archive import acquire_archive, release_archive
from pipelines.store import StorePipeline
from pipelines.validate import MIN_BODY_CHARS, ValidatePipeline
from tests.conftest import ARTICLE_FETCHED_AT, ARTICLE_URL, make_article

ROOT = Path(__file__).resolve().parent.parent
T0 = ARTICLE_FETCHED_AT
URL = ARTICLE_URL


@pytest.fixture
def crawler(tmp_path: Path) -> Crawler:
    return get_crawler(settings_dict={"NEWSCRAWL_DB": str(tmp_path / "data" / "news.db")})


def stat(crawler: Crawler, key: str) -> Any:
    return crawler.stats.get_value(key)


# --- parse --------------------------------------------------------------------------


def test_parse_drops_an_empty_page(crawler: Crawler) -> None:
    page = Page(url=URL, body=b"  \n", fetched_at=T0)
    with pytest.raises(DropItem, match=f"{URL}: the page body is empty"):
        ParsePipeline.from_crawler(crawler).process_item(page)
    assert stat(crawler, "newscrawl/dropped/empty_page") == 1


def test_parse_drops_a_truncated_page(crawler: Crawler) -> None:
    page = Page(url=URL, body=b"<html><body><h1>Kyiv</h1><p>The download stopp", fetched_at=T0)
    with pytest.raises(DropItem, match="cut short") as dropped:
        ParsePipeline.from_crawler(crawler).process_item(page)
    assert str(dropped.value).startswith(URL)
    assert stat(crawler, "newscrawl/dropped/truncated") == 1


def test_parse_passes_articles_through(crawler: Crawler) -> None:
    article = make_article()
    assert ParsePipeline.from_crawler(crawler).process_item(article) is article


def test_parse_turns_a_simple_page_into_an_article(crawler: Crawler) -> None:
    html = (
        "<html><head><title>Rain in Lviv</title></head><body><article><h1>Rain in Lviv</h1>"
        f"<p>{'Heavy rain is expected in Lviv on Tuesday, forecasters said. ' * 4}</p>"
        "</article></body></html>"
    )
    page = Page(url="https://example.com/news/rain", body=html.encode(), fetched_at=T0)
    article = ParsePipeline.from_crawler(crawler).process_item(page)
    assert isinstance(article, Article)
    assert article.url.startswith("https://example.com/")


# --- validate -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "reason", "message"),
    [
        ({"headline": None}, "no_headline", "no headline"),
        ({"headline": "   "}, "no_headline", "no headline"),
        ({"body": None}, "no_body", "no body"),
        ({"body": "\n\n "}, "no_body", "no body"),
        ({"body": "Read more on our app."}, "short_body", "shorter than"),
    ],
)
def test_validate_drops_what_is_not_an_article(
    crawler: Crawler, changes: dict[str, Any], reason: str, message: str
) -> None:
    with pytest.raises(DropItem, match=message) as dropped:
        ValidatePipeline.from_crawler(crawler).process_item(make_article(**changes))
    assert str(dropped.value).startswith(URL)
    assert stat(crawler, f"newscrawl/dropped/{reason}") == 1


def test_validate_passes_a_real_article(crawler: Crawler) -> None:
    article = make_article(body="x" * MIN_BODY_CHARS)
    assert ValidatePipeline.from_crawler(crawler).process_item(article) is article
    assert not any(key.startswith("newscrawl/dropped") for key in crawler.stats.get_stats())


# --- normalize ----------------------------------------------------------------------


def test_normalize_canonicalises_urls_and_folds_text(crawler: Crawler) -> None:
    article = make_article(
        url="HTTPS://Example.COM/news/story?utm_source=tg&id=7&fbclid=abc#comments",
        headline="  Kyiv \n metro\textends ",
        summary="   ",
        body="  First   paragraph\nwraps.  \n \n\n Second\tparagraph. ",
        language=" UK ",
        authors=["Olena  Petrenko", "", "olena petrenko", " Ivan Franko "],
        tags=["Kyiv", "  ", "metro", "Kyiv"],
        links=[
            Link(kind="read_also", url="https://example.com/a?utm_medium=x", title=" A\n title "),
            Link(kind="inline", url="https://Example.com/b#top"),
        ],
        related=[Link(kind="related", url="https://example.com/c?gclid=1", position=4)],
        alternates={"EN": "https://example.com/en/story?utm_campaign=x"},
    )
    result = NormalizePipeline.from_crawler(crawler).process_item(article)
    assert result.url == "https://example.com/news/story?id=7"
    assert result.headline == "Kyiv metro extends"
    assert result.summary is None
    assert result.body == "First paragraph wraps.\n\nSecond paragraph."
    assert result.language == "uk"
    assert result.authors == ["Olena Petrenko", "Ivan Franko"]
    assert result.tags == ["Kyiv", "metro"]
    assert [link.url for link in result.links] == [
        "https://example.com/a",
        "https://example.com/b",
    ]
    assert result.links[0].title == "A title"
    # Colliding default positions are numbered in order of appearance.
    assert [link.position for link in result.links] == [0, 1]
    assert result.related[0].url == "https://example.com/c"
    assert result.related[0].position == 4
    assert result.alternates == {"en": "https://example.com/en/story"}


# --- dedupe and store ---------------------------------------------------------------


@pytest.fixture
def opened(crawler: Crawler) -> Iterator[tuple[DedupePipeline, StorePipeline]]:
    dedupe = DedupePipeline.from_crawler(crawler)
    store = StorePipeline.from_crawler(crawler)
    dedupe.open_spider()
    store.open_spider()
    yield dedupe, store
    # Scrapy closes pipelines in reverse order.
    store.close_spider()
    dedupe.close_spider()


def stored(pipelines: tuple[DedupePipeline, StorePipeline], article: Article) -> Article:
    dedupe, store = pipelines
    return store.process_item(dedupe.process_item(article))


def test_dedupe_and_store_share_one_archive(
    crawler: Crawler, opened: tuple[DedupePipeline, StorePipeline]
) -> None:
    dedupe, store = opened
    assert dedupe.archive is store.archive is not None
    assert Path(crawler.settings["NEWSCRAWL_DB"]).exists()


def test_the_shared_archive_closes_after_the_last_pipeline(crawler: Crawler) -> None:
    first = acquire_archive(crawler)
    second = acquire_archive(crawler)
    assert first is second
    release_archive(crawler)
    assert first.known_urls([URL]) == set()  # still open
    release_archive(crawler)
    with pytest.raises(Exception, match="closed"):
        first.known_urls([URL])
    third = acquire_archive(crawler)
    assert third is not first
    release_archive(crawler)


def test_store_counts_new_updated_and_unchanged(
    crawler: Crawler, opened: tuple[DedupePipeline, StorePipeline]
) -> None:
    article = make_article()
    assert stored(opened, article) is article
    stored(opened, make_article(fetched_at=T0 + timedelta(hours=1), views=150))
    later = T0 + timedelta(hours=2)
    stored(opened, make_article(fetched_at=later, headline="Green line delayed", views=200))
    assert stat(crawler, "newscrawl/articles_new") == 1
    assert stat(crawler, "newscrawl/articles_unchanged") == 1
    assert stat(crawler, "newscrawl/articles_updated") == 1
    # Other connections see the batch once it commits (see the batch tests below).
    opened[1].commit()
    with Archive(crawler.settings["NEWSCRAWL_DB"], read_only=True) as archive:
        row = next(archive.db.table("articles").rows)
        assert row["headline"] == "Green line delayed"
        assert row["views"] == 200


def test_the_stored_row_says_which_parser_made_it_and_what_came_from_the_fallback(
    crawler: Crawler, opened: tuple[DedupePipeline, StorePipeline]
) -> None:
    normalize = NormalizePipeline.from_crawler(crawler)

    def provenance() -> tuple[str, str]:
        opened[1].commit()
        with Archive(crawler.settings["NEWSCRAWL_DB"], read_only=True) as archive:
            assert archive.db.table("article_versions").count == 0
            (row,) = archive.db.table("articles").rows
            return row["parser"], row["fallback_fields"]

    article = make_article(parser="unn/2", fallback_fields=["body", "read_also"])
    stored(opened, normalize.process_item(article))
    assert provenance() == ("unn/2", '["body", "read_also"]')
    # A revisit read by the fixed parser: the same content, no fallback, no version.
    revisit = make_article(fetched_at=T0 + timedelta(hours=1), parser="unn/3")
    stored(opened, normalize.process_item(revisit))
    assert stat(crawler, "newscrawl/articles_unchanged") == 1
    assert provenance() == ("unn/3", "[]")


def test_dedupe_drops_the_same_content_under_a_second_url(
    crawler: Crawler, opened: tuple[DedupePipeline, StorePipeline]
) -> None:
    stored(opened, make_article())
    copy_url = "https://unn.ua/amp/news/kyiv-metro?share=telegram"
    copy = make_article(copy_url, fetched_at=T0 + timedelta(hours=1), views=180)
    with pytest.raises(DropItem, match=f"same content as the archived {URL}"):
        stored(opened, copy)
    assert stat(crawler, "newscrawl/duplicates") == 1
    assert stat(crawler, "newscrawl/articles_new") == 1
    archive = opened[1].archive
    assert archive is not None
    assert archive.known_urls([URL, copy_url]) == {URL}
    snapshots = list(archive.db.query("SELECT * FROM view_snapshots ORDER BY observed_at"))
    assert snapshots[-1] == {
        "url": URL,
        "observed_at": "2024-05-01T10:00:00+00:00",
        "views": 180,
        "seen_on": copy_url,
    }


def test_dedupe_passes_the_same_url_on_for_an_update(
    crawler: Crawler, opened: tuple[DedupePipeline, StorePipeline]
) -> None:
    stored(opened, make_article())
    again = make_article(fetched_at=T0 + timedelta(hours=1))
    assert opened[0].process_item(again) is again
    assert stat(crawler, "newscrawl/duplicates") is None


def test_dedupe_passes_an_archived_url_whose_content_now_matches_another(
    crawler: Crawler, opened: tuple[DedupePipeline, StorePipeline]
) -> None:
    other_url = "https://unn.ua/news/other"
    stored(opened, make_article())
    stored(opened, make_article(other_url, body="Something else entirely. " * 10))
    rewritten = make_article(other_url, fetched_at=T0 + timedelta(hours=1))
    assert stored(opened, rewritten) is rewritten
    assert stat(crawler, "newscrawl/articles_updated") == 1
    assert stat(crawler, "newscrawl/duplicates") is None


def committed_urls(db: str) -> set[str]:
    """The article URLs that another connection sees: what is committed."""
    with Archive(db, read_only=True) as archive:
        return {row["url"] for row in archive.db.query("SELECT url FROM articles")}


def test_store_commits_in_batches_and_at_close(crawler: Crawler) -> None:
    db = crawler.settings["NEWSCRAWL_DB"]
    dedupe = DedupePipeline.from_crawler(crawler)
    store = StorePipeline.from_crawler(crawler)
    store.batch_writes, store.batch_seconds = 5, 3600.0
    dedupe.open_spider()
    store.open_spider()
    urls = [f"https://unn.ua/news/story-{n}" for n in range(7)]
    for n, url in enumerate(urls):
        stored((dedupe, store), make_article(url, body=f"Story number {n}. " * 10))
        if n == 0:
            # The batch is open: the store's own connection sees it, others do not yet.
            assert store.archive.known_urls([url]) == {url}
            assert committed_urls(db) == set()
    # A full batch committed; the two articles after it wait for the next commit.
    assert committed_urls(db) == set(urls[:5])
    store.close_spider()
    dedupe.close_spider()
    assert committed_urls(db) == set(urls)
    assert stat(crawler, "newscrawl/articles_new") == len(urls)


def test_dedupe_sees_the_uncommitted_batch(
    crawler: Crawler, opened: tuple[DedupePipeline, StorePipeline]
) -> None:
    stored(opened, make_article())
    copy = make_article("https://unn.ua/amp/news/kyiv-metro?x=1", views=180)
    with pytest.raises(DropItem, match="same content as the archived"):
        stored(opened, copy)
    assert committed_urls(crawler.settings["NEWSCRAWL_DB"]) == set()


class _RecordingEngine:
    """Stands in for the engine, which only exists during a crawl."""

    def __init__(self) -> None:
        self.close_reasons: list[str] = []

    def close_spider_async(self, *, reason: str = "cancelled") -> Deferred[None]:
        # A Deferred rather than a coroutine: scheduling a coroutine needs the
        # reactor, which only a real crawl installs (see the crawl test below).
        self.close_reasons.append(reason)
        return succeed(None)


def test_store_closes_the_spider_when_the_archive_cannot_be_written(
    crawler: Crawler, opened: tuple[DedupePipeline, StorePipeline]
) -> None:
    engine = _RecordingEngine()
    crawler.engine = engine  # type: ignore[assignment]
    store = opened[1]
    assert store.archive is not None
    stored(opened, make_article())
    # max_page_count makes SQLite fail with SQLITE_FULL, exactly as a full disk does.
    pages = store.archive.db.execute("PRAGMA page_count").fetchone()[0]
    store.archive.db.execute(f"PRAGMA max_page_count = {pages}")
    big = make_article("https://unn.ua/news/long-read", body="Дуже довгий текст. " * 20000)
    with pytest.raises(DropItem, match="disk is full"):
        store.process_item(big)
    assert engine.close_reasons == ["archive_error"]
    assert "disk is full" in stat(crawler, "newscrawl/archive_error")
    # Items still in flight are dropped without another attempt or another close.
    with pytest.raises(DropItem, match="the archive failed"):
        store.process_item(make_article("https://unn.ua/news/third"))
    assert engine.close_reasons == ["archive_error"]


def test_store_refuses_to_start_on_an_unopenable_archive(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    crawler = get_crawler(settings_dict={"NEWSCRAWL_DB": str(blocker / "news.db")})
    with pytest.raises(ArchiveError, match="cannot open the archive"):
        StorePipeline.from_crawler(crawler).open_spider()


# --- a real crawl -------------------------------------------------------------------

# A spider whose one callback is PARSE, run in a process of its own (Twisted's
# reactor cannot restart) with the settings of argv[1]: [whether to start from
# the project settings, the settings to set]. It prints its newscrawl/ stats and
# finish reason as JSON.
_CRAWL_SCRIPT = """
import json, sys
from datetime import datetime, timezone
import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings
from scrapy.utils.project import get_project_settings
from newscrawl.items import Article, Page
from pipelines.shared_archive import acquire_archive, release_archive

T0 = datetime(2024, 5, 1, 9, 0, tzinfo=timezone.utc)

class ItemsSpider(scrapy.Spider):
    name = "items"

    # Items come from a callback, as in a real crawl: Scrapy 2.19 does not
    # finish closing a spider while start() itself is yielding items.
    async def start(self):
        yield scrapy.Request("data:,listing")

    def parse(self, response):
PARSE

project, overrides = json.loads(sys.argv[1])
settings = get_project_settings() if project else Settings()
settings.setdict(overrides)
process = CrawlerProcess(settings)
crawler = process.create_crawler(ItemsSpider)
process.crawl(crawler)
process.start()
print(json.dumps({k: v for k, v in crawler.stats.get_stats().items()
                  if k.startswith("newscrawl/") or k == "finish_reason"}))
"""


def stats_and_stderr_of_crawl(
    parse: str, settings: dict[str, Any], *, project: bool
) -> tuple[dict[str, Any], str]:
    """The stats (see _CRAWL_SCRIPT) and stderr of a crawl by a spider whose callback is `parse`."""
    body = textwrap.indent(textwrap.dedent(parse).strip("\n"), " " * 8)
    script = _CRAWL_SCRIPT.replace("PARSE", body)
    result = subprocess.run(
        [sys.executable, "-c", script, json.dumps([project, settings])],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env={**os.environ, "SCRAPY_SETTINGS_MODULE": "newscrawl.settings"},
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1]), result.stderr


@pytest.mark.e2e
def test_a_crawl_runs_every_pipeline_in_order(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    parse = """
        body = "Київ отримає три нові станції метро до кінця наступного року. " * 3
        yield Page(url="https://unn.ua/news/cut", body=b"<html><body><p>cut", fetched_at=T0)
        yield Article(url="https://unn.ua/news/a?utm_source=x", site="unn.ua",
                      fetched_at=T0, headline="A", body=body, views=5)
        yield Article(url="https://unn.ua/news/b", site="unn.ua", fetched_at=T0,
                      headline="B", body="Too short.")
        yield Article(url="https://unn.ua/amp/news/a", site="unn.ua",
                      fetched_at=T0, headline="A", body=body, views=6)
    """
    settings = {"NEWSCRAWL_DB": str(db), "LOG_LEVEL": "WARNING", "ROBOTSTXT_OBEY": False}
    stats, _ = stats_and_stderr_of_crawl(parse, settings, project=True)
    assert stats == {
        "newscrawl/dropped/truncated": 1,
        "newscrawl/articles_new": 1,
        "newscrawl/dropped/short_body": 1,
        "newscrawl/duplicates": 1,
        # Field completeness counts the archived article only: it had a view count.
        "newscrawl/fields/articles": 1,
        "newscrawl/fields/views": 1,
        "finish_reason": "finished",
    }
    with Archive(db, read_only=True) as archive:
        assert archive.known_urls(["https://unn.ua/news/a"]) == {"https://unn.ua/news/a"}


@pytest.mark.e2e
def test_a_crawl_stops_with_archive_error_when_the_disk_is_full(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    parse = """
        yield Article(url="https://unn.ua/news/a", site="unn.ua", fetched_at=T0,
                      headline="A", body="Short but stored. " * 10)
        # Make the crawl's own archive connection hit SQLITE_FULL from now on,
        # exactly as a full disk would.
        archive = acquire_archive(self.crawler)
        pages = archive.db.execute("PRAGMA page_count").fetchone()[0]
        archive.db.execute(f"PRAGMA max_page_count = {pages}")
        release_archive(self.crawler)
        for i in range(50):
            yield Article(url=f"https://unn.ua/news/long-{i}", site="unn.ua", fetched_at=T0,
                          headline="Long", body="Дуже довгий текст. " * 20000)
    """
    # Only the archive pipelines, without the project's extensions.
    settings = {
        "NEWSCRAWL_DB": str(db),
        "ITEM_PIPELINES": {
            "pipelines.dedupe.DedupePipeline": 400,
            "pipelines.store.StorePipeline": 500,
        },
        "LOG_LEVEL": "ERROR",
        "ROBOTSTXT_OBEY": False,
    }
    stats, stderr = stats_and_stderr_of_crawl(parse, settings, project=False)
    assert stats["finish_reason"] == "archive_error"
    articles = {k: v for k, v in stats.items() if k.startswith("newscrawl/articles")}
    assert articles == {"newscrawl/articles_new": 1}
    assert "archive write failed, closing the spider" in stderr
    assert f"cannot write the archive {db}: the disk is full" in stderr
