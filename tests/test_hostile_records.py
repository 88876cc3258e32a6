"""The hostile web, per record (issue 19, items 3, 4, 6 and 8): one bad link, date or
byte costs that item alone, with one short log line that never carries the page.

The crawls read a site generated here, served by a local mirror as
https://hostile.example: a feed, a Google News sitemap and a front page, each listing
good articles beside links with port 99999 or a stray "[", articles dated 9999, 0001
and 2100 in JSON-LD, feeds and sitemaps, an article whose body links to a bad URL, and
a Ukrainian UTF-8 page with one stray byte. Every assertion on a crawl reads the SQLite
archive it wrote, its log, or the report of a re-parse of its WARC files.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from scrapy import Spider
from scrapy.exceptions import DropItem

from newscrawl.crawler.logformatter import ConciseLogFormatter
from newscrawl.discovery.feeds import feed_date, read_feed
from newscrawl.discovery.sitemaps import SitemapEntry, read_sitemap, w3c_datetime
from newscrawl.errors import UndecodablePage
from newscrawl.items import Page
from newscrawl.parsing import article_from_page, article_of_html
from newscrawl.parsing.dates import iso_datetime, local_datetime
from newscrawl.parsing.decoding import decoded_html
from newscrawl.parsing.urls import absolute_url, canonical_url, http_url, site_of
from newscrawl.runs.reparse import reparse_files
from newscrawl.testing.mirror import Mirror, Resource, serve
from newscrawl.text import LOG_EXCERPT_CHARS, log_excerpt
from newscrawl.timestamps import CLOCK_SKEW, plausible_publication_time, rfc822_datetime
from pipelines.normalize import normalize_article
from spiders.sitemaps import _newest_first
from tests.conftest import crawl, make_article, rows, run_newscrawl

pytestmark = pytest.mark.timeout(300)

SITE = "https://hostile.example"
HTML = "text/html; charset=utf-8"
KYIV = timezone(timedelta(hours=2))
# The crawl's clock (NEWSCRAWL_NOW): every page is fetched at this instant.
NOW = datetime(2025, 3, 1, 12, 0, tzinfo=UTC)
# The longest log line a crawl of these pages may write; each page is over 2 KB.
MAX_LOG_LINE = 1000
PARAGRAPH = (
    "The city council met on Tuesday to discuss the new tram line, which is to link the "
    "railway station with the university campus by the end of next year."
)
UKRAINIAN = (
    "Міська рада у вівторок обговорила нову трамвайну лінію, яка до кінця наступного року "
    "з'єднає вокзал з університетським містечком. "
)


@dataclass(frozen=True)
class Story:
    """One article page of the hostile site."""

    path: str
    headline: str
    # article:published_time and JSON-LD datePublished; None: not in the page.
    meta_date: str | None = None
    jsonld_date: str | None = None
    body_links: tuple[str, ...] = ()


STORIES = (
    Story("/news/plain-story", "A plain story", meta_date="2025-02-28T10:00:00+02:00"),
    Story(
        "/news/bad-links-in-the-body",
        "Bad links in the body",
        meta_date="2025-02-28T11:00:00+02:00",
        body_links=("http://other.example:99999/x", "http://[broken/", "https://ok.example/a"),
    ),
    # A year-9999 JSON-LD date; the meta tag holds the real one.
    Story(
        "/news/year-9999",
        "Year 9999",
        meta_date="2025-02-27T09:00:00+02:00",
        jsonld_date="9999-12-31T23:00:00-05:00",
    ),
    Story("/news/year-1", "Year one", jsonld_date="0001-01-01T00:00:00+03:00"),
    Story("/news/year-2100", "Year 2100", jsonld_date="2100-01-01T00:00:00+02:00"),
    # No date in the page: the feed's pubDate stands in, a two-digit year.
    Story("/news/feed-dated", "Feed dated"),
    # Listed by the sitemap only, with a 9999 and a 2100 news:publication_date.
    Story("/news/sitemap-9999", "Sitemap 9999"),
    Story("/news/sitemap-2100", "Sitemap 2100"),
    Story("/news/sitemap-good", "Sitemap good"),
    # Linked from the front page only.
    Story("/2025/02/27/front-page-story/", "Front page story", "2025-02-27T08:00:00+02:00"),
)
STRAY_BYTE_PATH = "/news/stray-byte"
FEED_DATES = {
    "/news/plain-story": "Fri, 28 Feb 2025 08:00:00 +0000",
    "/news/bad-links-in-the-body": "Fri, 28 Feb 2025 09:00:00 +0000",
    "/news/year-9999": "Fri, 31 Dec 9999 23:00:00 -0500",
    "/news/year-1": "Mon, 01 Jan 0001 10:00:00 +0000",
    "/news/year-2100": "Fri, 01 Jan 2100 10:00:00 +0200",
    "/news/feed-dated": "Thu, 27 Feb 25 08:00:00 +0000",
    STRAY_BYTE_PATH: "Fri, 28 Feb 2025 07:00:00 +0000",
}
SITEMAP_DATES = {
    "/news/sitemap-9999": "9999-12-31T23:00:00-05:00",
    "/news/sitemap-2100": "2100-06-01T10:00:00+02:00",
    "/news/sitemap-good": "2025-02-26T10:00:00+02:00",
}
BAD_LINKS = ("http://hostile.example:99999/news/bad-port", "http://[hostile.example/news/x")


def article_page(story: Story) -> bytes:
    meta = (
        f'<meta property="article:published_time" content="{story.meta_date}">'
        if story.meta_date
        else ""
    )
    jsonld = (
        '<script type="application/ld+json">{"@type": "NewsArticle", '
        f'"headline": "{story.headline}", "datePublished": "{story.jsonld_date}"}}</script>'
        if story.jsonld_date
        else ""
    )
    links = "".join(f' See <a href="{href}">this</a>.' for href in story.body_links)
    paragraphs = "".join(f"<p>{PARAGRAPH} ({n}){links if n == 0 else ''}</p>" for n in range(3))
    return (
        f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>{story.headline}'
        f'</title>{meta}{jsonld}<link rel="canonical" href="{SITE}{story.path}"></head><body>'
        f"<main><article><h1>{story.headline}</h1>{paragraphs}</article></main>"
        "</body></html>"
    ).encode()


def stray_byte_page() -> bytes:
    """A Ukrainian page in UTF-8 with one stray \\xff in its first paragraph."""
    page = (
        '<!DOCTYPE html><html lang="uk"><head><meta charset="utf-8"><title>Трамвай</title>'
        '<meta property="article:published_time" content="2025-02-28T09:00:00+02:00">'
        f'<link rel="canonical" href="{SITE}{STRAY_BYTE_PATH}"></head><body><main><article>'
        f"<h1>Нова трамвайна лінія</h1><p>{UKRAINIAN * 3}</p><p>{UKRAINIAN * 2}</p>"
        "</article></main></body></html>"
    ).encode()
    return page.replace("вокзал".encode(), "вокзал".encode() + b"\xff", 1)


def hostile_site() -> dict[str, Resource]:
    items = "".join(
        f"<item><title>{path}</title><link>{SITE}{path}</link><pubDate>{date}</pubDate></item>"
        for path, date in FEED_DATES.items()
    )
    items += "".join(f"<item><title>bad</title><link>{link}</link></item>" for link in BAD_LINKS)
    feed = f'<?xml version="1.0"?><rss version="2.0"><channel>{items}</channel></rss>'
    entries = "".join(
        f"<url><loc>{SITE}{path}</loc><news:news><news:publication_date>{date}"
        f"</news:publication_date><news:title>{path}</news:title></news:news></url>"
        for path, date in SITEMAP_DATES.items()
    )
    entries += "".join(f"<url><loc>{link}</loc></url>" for link in BAD_LINKS)
    sitemap = (
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{entries}</urlset>"
    )
    front = (
        "<html><body><main>"
        '<a href="http://hostile.example:99999/2025/02/27/bad-port-story/">bad</a>'
        '<a href="http://[hostile.example/2025/02/27/bracket-story/">bad</a>'
        '<a href="/2025/02/27/front-page-story/">Front page story</a>'
        "</main></body></html>"
    )
    resources = {
        "/robots.txt": Resource(b"User-agent: *\n", "text/plain"),
        "/feed.rss": Resource(feed.encode(), "application/rss+xml"),
        "/sitemap.xml": Resource(sitemap.encode(), "application/xml"),
        "/": Resource(front.encode(), HTML),
        STRAY_BYTE_PATH: Resource(stray_byte_page(), HTML),
    }
    for story in STORIES:
        resources[story.path] = Resource(article_page(story), HTML)
    return resources


# --- item 4: URLs ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "href", ["http://a.example:99999/x", "http://[a.example/x", "http://:80/x", "mailto:a@b"]
)
def test_an_unreadable_link_resolves_to_none(href: str) -> None:
    assert absolute_url(href, "https://hostile.example/news/") is None
    assert http_url(href) is None


def test_the_url_helpers_never_raise() -> None:
    assert canonical_url(" http://A.example:99999/x?utm_source=1 ") == (
        "http://A.example:99999/x?utm_source=1"
    )
    assert canonical_url("HTTP://A.example:8080/x?utm_source=1#f") == "http://a.example:8080/x"
    assert site_of("http://[broken/") == ""
    assert site_of("https://www.hostile.example:99999/") == "hostile.example"
    assert absolute_url("/x", "https://hostile.example:8443/a") == "https://hostile.example:8443/x"


def test_a_feed_and_a_sitemap_with_bad_links_keep_their_other_entries() -> None:
    site = hostile_site()
    links = [item.link for item in read_feed(site["/feed.rss"].body)]
    assert [absolute_url(link, SITE) for link in links if absolute_url(link, SITE)] == [
        f"{SITE}{path}" for path in FEED_DATES
    ]
    entries = read_sitemap(site["/sitemap.xml"].body).entries
    good = [e.url for e in entries if absolute_url(e.url, SITE) is not None]
    assert good == [f"{SITE}{path}" for path in SITEMAP_DATES]


def test_an_article_with_bad_links_keeps_its_good_ones() -> None:
    story = next(s for s in STORIES if s.body_links)
    article = article_of_html(article_page(story).decode(), SITE + story.path, NOW)
    assert article.headline == story.headline
    assert [link.url for link in article.links] == ["https://ok.example/a"]


# --- item 6: dates ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "plausible"),
    [
        (datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))), False),
        (datetime(1, 1, 1, tzinfo=timezone(timedelta(hours=3))), False),
        (datetime(1899, 12, 31, tzinfo=UTC), False),
        (datetime(1900, 1, 1, tzinfo=UTC), True),
        (datetime(2100, 1, 1, tzinfo=UTC), False),
        (NOW + CLOCK_SKEW, True),
        (NOW + CLOCK_SKEW + timedelta(seconds=1), False),
        (NOW.replace(tzinfo=None), True),  # naive means UTC
    ],
)
def test_the_one_rule_for_publication_dates(moment: datetime, plausible: bool) -> None:
    assert plausible_publication_time(moment, NOW) is plausible


def test_without_a_fetch_time_only_the_years_are_checked() -> None:
    assert plausible_publication_time(datetime(2100, 1, 1, tzinfo=UTC))
    assert not plausible_publication_time(datetime(9999, 1, 1, tzinfo=UTC))
    assert not plausible_publication_time(datetime(1, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize(
    ("text", "year"),
    [
        ("Mon, 01 Jan 0001 10:00:00 +0000", None),  # year 1, not 2001
        ("Fri, 31 Dec 9999 23:00:00 -0500", None),
        ("Thu, 27 Feb 25 08:00:00 +0000", 2025),
        ("Mon, 01 Jan 1 10:00:00 +0000", 2001),
        ("Fri, 01 Jan 99 10:00:00 +0000", 1999),
        ("Sat, 01 Jan 100 10:00:00 +0000", 2000),  # three digits: 1900 + 100
        ("Fri, 28 Feb 2025 08:00:00 GMT", 2025),
        ("2025-02-28T08:00:00Z", 2025),
        ("9999-12-31T23:00:00-05:00", None),
        ("0001-01-01T00:00:00+03:00", None),
    ],
)
def test_feed_dates_read_their_years_and_reject_impossible_ones(
    text: str, year: int | None
) -> None:
    moment = feed_date(text)
    assert (moment.year if moment else None) == year


def test_an_rfc822_year_is_read_as_written() -> None:
    moment = rfc822_datetime("Mon, 01 Jan 0001 10:00:00 +0000")
    assert moment == datetime(1, 1, 1, 10, tzinfo=UTC)
    assert rfc822_datetime("not a date") is None
    assert rfc822_datetime("Sun, 29 Feb 1900 10:00:00 +0000") is None  # no such day


def test_sitemap_and_iso_dates_reject_impossible_years() -> None:
    assert w3c_datetime("9999-12-31T23:00:00-05:00") is None
    assert w3c_datetime("0001-01-01") is None
    assert w3c_datetime("2025-02-26") == datetime(2025, 2, 26, tzinfo=UTC)
    assert iso_datetime("9999-12-31T23:00:00-05:00", KYIV) is None
    assert iso_datetime("0001-01-01T00:00:00+03:00", KYIV) is None
    assert iso_datetime("2100-01-01T00:00:00+02:00", KYIV, NOW) is None
    assert iso_datetime("2100-01-01T00:00:00+02:00", KYIV) is not None


def test_shown_dates_reject_impossible_and_future_years() -> None:
    assert local_datetime("31 грудня 9999, 10:00", NOW, KYIV) is None
    assert local_datetime("1 січня 2100, 10:00", NOW, KYIV) is None
    assert local_datetime("27 лютого 2025, 10:00", NOW, KYIV) == datetime(
        2025, 2, 27, 10, tzinfo=KYIV
    )


def test_unn_pages_dated_9999_or_1_are_read_without_a_date() -> None:
    for value in ("9999-12-31T23:00:00-05:00", "0001-01-01T00:00:00+03:00", "2100-01-01"):
        html = (
            '<html><head><script type="application/ld+json">{"@type": "NewsArticle", '
            f'"headline": "Київ", "datePublished": "{value}"}}</script></head><body><h1>Київ'
            f"</h1><p>{UKRAINIAN}</p></body></html>"
        )
        article = article_of_html(html, "https://unn.ua/news/kyiv-story", NOW)
        assert article.published_at is None or article.published_at <= NOW + CLOCK_SKEW


def test_a_future_feed_date_does_not_stand_in() -> None:
    story = next(s for s in STORIES if s.path == "/news/feed-dated")
    page = Page(
        url=SITE + story.path,
        body=article_page(story),
        fetched_at=NOW,
        content_type=HTML,
        feed_published_at=datetime(2100, 1, 1, tzinfo=UTC),
    )
    assert article_from_page(page).published_at is None
    page.feed_published_at = NOW - timedelta(hours=3)
    article = article_from_page(page)
    assert article.published_at == NOW - timedelta(hours=3)
    assert article.published_source == "feed"


def test_a_future_lastmod_does_not_make_a_sitemap_the_newest() -> None:
    entries = [
        SitemapEntry("https://a/old.xml", lastmod=datetime(2024, 1, 1, tzinfo=UTC)),
        SitemapEntry("https://a/future.xml", lastmod=datetime(2100, 1, 1, tzinfo=UTC)),
        SitemapEntry("https://a/new.xml", lastmod=datetime(2025, 2, 1, tzinfo=UTC)),
    ]
    assert _newest_first(entries, NOW) == [
        ("https://a/new.xml", True),
        ("https://a/old.xml", True),
        ("https://a/future.xml", False),
    ]


def test_the_normalise_pipeline_clears_a_date_no_parser_should_give() -> None:
    article = make_article(
        published_at=datetime(9999, 12, 31, 23, tzinfo=timezone(timedelta(hours=-5))),
        modified_at=datetime(2100, 1, 1, tzinfo=UTC),
    )
    normalize_article(article)
    assert (article.published_at, article.published_source, article.modified_at) == (
        None,
        None,
        None,
    )


# --- short log lines -------------------------------------------------------------------


def test_an_item_error_and_a_drop_log_the_url_not_the_page() -> None:
    page = Page(url=SITE + "/news/huge", body=b"<p>" + b"x" * 1_000_000, fetched_at=NOW)
    spider = Spider(name="news")
    formatter = ConciseLogFormatter()
    error = formatter.item_error(page, OverflowError("date value out of range"), None, spider)
    line = error["msg"] % error["args"]
    assert line == f"Error processing {SITE}/news/huge: OverflowError: date value out of range"
    assert error["level"] == logging.ERROR
    huge = ValueError("bad value: " + "x" * 100_000)
    result = formatter.item_error(page, huge, None, spider)
    assert len(result["msg"] % result["args"]) < LOG_EXCERPT_CHARS + 100
    drop = DropItem(f"{page.url}: the parser failed ({huge})", log_level="WARNING")
    dropped = formatter.dropped(page, drop, None, spider)
    assert len(dropped["msg"] % dropped["args"]) < LOG_EXCERPT_CHARS + 100


def test_log_excerpts_are_one_short_line() -> None:
    assert log_excerpt("a\nb\n  c") == "a b c"
    excerpt = log_excerpt("y" * 10_000)
    assert len(excerpt) == LOG_EXCERPT_CHARS and excerpt.endswith("…")


# --- item 8: decoding ------------------------------------------------------------------


def test_a_stray_byte_in_a_utf8_page_is_replaced() -> None:
    for declared in ("text/html; charset=utf-8", "text/html; charset=windows-1251", None):
        text = decoded_html(stray_byte_page(), declared)
        assert "Нова трамвайна лінія" in text
        assert "вокзал\ufffd" in text


def test_a_windows_1251_page_labelled_utf8_is_still_windows_1251() -> None:
    page = stray_byte_page().replace(b"\xff", b"").decode().encode("windows-1251")
    assert "Нова трамвайна лінія" in decoded_html(page, "text/html; charset=utf-8")


def test_bytes_that_are_not_mostly_utf8_are_not_read_as_utf8() -> None:
    # Mostly stray bytes: no charset is assumed to be UTF-8 with replacement.
    noise = bytes(range(0x80, 0x100)) * 4
    try:
        text = decoded_html(b"<html>" + noise + b"</html>", "text/html")
    except UndecodablePage:
        return
    assert text.count("\ufffd") < len(noise) // 2


# --- crawls ----------------------------------------------------------------------------


@dataclass
class HostileCrawl:
    db: Path
    warc_dir: Path
    log: str
    returncode: int

    def articles(self) -> dict[str, dict[str, Any]]:
        return {row["url"]: dict(row) for row in rows(self.db, "SELECT * FROM articles")}


@pytest.fixture(scope="module")
def hostile_mirror() -> Iterator[Mirror]:
    with serve(hostile_site()) as mirror:
        yield mirror


@pytest.fixture(scope="module")
def hostile_crawl(hostile_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory) -> HostileCrawl:
    db = tmp_path_factory.mktemp("hostile") / "news.db"
    run = crawl(
        [
            *("-a", f"feed={SITE}/feed.rss", "-a", f"sitemap={SITE}/sitemap.xml"),
            *("-a", f"start={SITE}/", "-a", f"base_url={hostile_mirror}"),
            *("-s", f"NEWSCRAWL_NOW={NOW.isoformat()}"),
        ],
        db,
        spider="news",
    )
    return HostileCrawl(db, db.parent / "warc", run.log, run.returncode)


@pytest.mark.e2e
def test_every_article_of_a_hostile_site_is_archived(hostile_crawl: HostileCrawl) -> None:
    assert hostile_crawl.returncode == 0, hostile_crawl.log[-3000:]
    expected = {SITE + story.path for story in STORIES} | {SITE + STRAY_BYTE_PATH}
    assert set(hostile_crawl.articles()) == expected


@pytest.mark.e2e
def test_impossible_and_future_dates_are_left_out(hostile_crawl: HostileCrawl) -> None:
    articles = hostile_crawl.articles()

    def published(path: str) -> tuple[str | None, str | None]:
        row = articles[SITE + path]
        return row["published_at"], row["published_source"]

    # The year-9999 JSON-LD date is passed over for the meta tag's.
    assert published("/news/year-9999") == ("2025-02-27T09:00:00+02:00", "meta")
    # 0001 and 2100 in the page and in the feed: no date at all.
    assert published("/news/year-1") == (None, None)
    assert published("/news/year-2100") == (None, None)
    assert published("/news/sitemap-9999") == (None, None)
    assert published("/news/sitemap-2100") == (None, None)
    # A two-digit RFC 822 year, and a sitemap date, stand in for pages that show none.
    assert published("/news/feed-dated") == ("2025-02-27T08:00:00+00:00", "feed")
    assert published("/news/sitemap-good") == ("2025-02-26T10:00:00+02:00", "feed")
    dated = [row["published_at"] for row in articles.values() if row["published_at"]]
    assert max(dated) < "2025-03-02"


@pytest.mark.e2e
def test_bad_links_cost_only_themselves(hostile_crawl: HostileCrawl) -> None:
    story = next(s for s in STORIES if s.body_links)
    links = rows(
        hostile_crawl.db,
        "SELECT l.url FROM links l JOIN articles a ON a.id = l.article_id WHERE a.url = ?",
        [SITE + story.path],
    )
    assert [row["url"] for row in links] == ["https://ok.example/a"]
    stored = {row["url"] for row in rows(hostile_crawl.db, "SELECT url FROM links")}
    assert not any(":99999" in url or "[" in url for url in stored)


@pytest.mark.e2e
def test_a_stray_byte_keeps_the_ukrainian_article(hostile_crawl: HostileCrawl) -> None:
    row = hostile_crawl.articles()[SITE + STRAY_BYTE_PATH]
    assert row["headline"] == "Нова трамвайна лінія"
    assert "вокзал\ufffd" in row["body"]
    assert "undecodable" not in hostile_crawl.log


@pytest.mark.e2e
def test_the_log_names_problems_in_short_lines(hostile_crawl: HostileCrawl) -> None:
    lines = hostile_crawl.log.splitlines()
    assert max(len(line) for line in lines) < MAX_LOG_LINE
    assert not [line for line in lines if "Error processing" in line or "Traceback" in line]
    assert "<p>" not in hostile_crawl.log  # no page markup in the log


@pytest.mark.e2e
def test_reparse_of_the_hostile_crawl_reparses_every_record(
    hostile_crawl: HostileCrawl, tmp_path: Path
) -> None:
    db = tmp_path / "rebuilt.db"
    done = run_newscrawl(
        ["reparse", "--warc", str(hostile_crawl.warc_dir), "--db", str(db)], tmp_path
    )
    assert done.returncode == 0, done.stderr[-3000:]
    assert "0 records failed" in done.stdout
    rebuilt = {row["url"]: row["published_at"] for row in rows(db, "SELECT * FROM articles")}
    crawled = {url: row["published_at"] for url, row in hostile_crawl.articles().items()}
    assert rebuilt == crawled


@pytest.mark.e2e
def test_one_record_that_fails_to_store_costs_that_record_alone(
    hostile_crawl: HostileCrawl, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The issue's case: content_hash raised OverflowError on one article, and the re-parse
    stopped there. Here the hash fails on one article on purpose, in this process."""
    import newscrawl.archive.archive as archive_module
    from newscrawl.archive.versions import content_hash as real_hash

    bad = SITE + "/news/year-9999"

    def failing_hash(article: Any) -> str:
        if article.url == bad:
            raise OverflowError("date value out of range")
        return real_hash(article)

    monkeypatch.setattr(archive_module, "content_hash", failing_hash)
    db = tmp_path / "rebuilt.db"
    report = reparse_files([hostile_crawl.warc_dir], overrides={"NEWSCRAWL_DB": str(db)})
    assert report.exit_code == 0
    assert report.reasons == {"store_failed": 1}
    (failure,) = report.failures
    assert failure == f"{bad}: not stored: OverflowError: date value out of range"
    stored = {row["url"] for row in rows(db, "SELECT url FROM articles")}
    assert stored == set(hostile_crawl.articles()) - {bad}
    assert report.new == len(stored)
