"""End to end: real `scrapy crawl unn` runs against a local mirror of the demo site.

Every assertion reads the SQLite archive the crawl wrote and compares it with
the demo's source data (`demo_stories()`), never with parser output.
"""

from __future__ import annotations

import json
import logging
import re
import shutil
import sqlite3
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import scrapy
from scrapy.exceptions import DownloadTimeoutError
from scrapy.http import HtmlResponse
from scrapy.spidermiddlewares.httperror import HttpError
from scrapy.utils.test import get_crawler
from twisted.python.failure import Failure

from newscrawl.discovery.feeds import feed_date
from newscrawl.items import CardViews, Page
from newscrawl.parsing import article_from_page
from newscrawl.parsing.unn import UNN
from newscrawl.testing.demo import Version, demo_site, demo_stories
from newscrawl.testing.demo.site import HTML
from newscrawl.testing.mirror import Mirror, Resource
from newscrawl.testing.redesign import redesigned_site
from spiders.site import SiteSpider, spider_class_for
from tests.conftest import REPO_ROOT, DemoCrawl, StartMirror, crawl, rows

UnnSpider = spider_class_for(UNN)

# Each test here runs one or more real crawls of a few seconds each.
pytestmark = pytest.mark.timeout(300)

VERSIONS: list[Version] = [v for s in demo_stories() for v in s.versions.values()]
ALL_URLS = {v.url for v in VERSIONS}


@dataclass
class FullCrawl:
    db: Path
    mirror: Mirror
    log: str
    returncode: int


@pytest.fixture(scope="module")
def full_crawl(demo_crawl: DemoCrawl) -> FullCrawl:
    """The session's complete crawl of the demo site (build "demo"), read by these tests."""
    return FullCrawl(
        demo_crawl.db, demo_crawl.mirror, demo_crawl.run.log, demo_crawl.run.returncode
    )


def _articles(db: Path) -> dict[str, sqlite3.Row]:
    return {row["url"]: row for row in rows(db, "SELECT * FROM articles")}


def _links(db: Path, url: str, kind: str) -> list[dict[str, object]]:
    return [
        dict(row)
        for row in rows(
            db,
            "SELECT links.* FROM links JOIN articles ON articles.id = links.article_id "
            "WHERE articles.url = ? AND kind = ? ORDER BY position",
            [url, kind],
        )
    ]


def _snapshot_count(db: Path) -> int:
    return rows(db, "SELECT count(*) AS n FROM view_snapshots")[0]["n"]


def _copy_archive(source: Path, target: Path) -> Path:
    """A copy of a closed archive, its WAL file included if SQLite left one."""
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{source}{suffix}").exists():
            shutil.copy(f"{source}{suffix}", f"{target}{suffix}")
    return target


# --- the spider's discovery rules, without a crawl ------------------------------------


MIRROR = "http://127.0.0.1:8000"


def mirrored_spider() -> SiteSpider:
    """A UNN spider of a mirror, in a crawler (settings, stats) but with no archive."""
    crawler = get_crawler(UnnSpider)
    spider = UnnSpider.from_crawler(crawler, base_url=MIRROR, languages="uk,en")
    assert isinstance(spider, UnnSpider)
    return spider


def listing_article_urls(body: bytes) -> list[str]:
    """The site URLs of the articles a fresh spider asks for from listing page 1 of `body`."""
    spider = mirrored_spider()
    response = HtmlResponse(f"{MIRROR}/news", body=body, encoding="utf-8")
    return [
        spider.site_url_of_fetch_url(request.url)
        for request in spider.parse_listing(response, "/news", 1)
        if isinstance(request, scrapy.Request) and request.callback == spider.parse_article
    ]


def test_cards_are_found_by_class_prefix_then_by_article_links() -> None:
    spider = mirrored_spider()
    assert spider.allowed_domains == ["127.0.0.1"]
    listing = demo_site("zz")["/news"].body
    uk_first_page = [s.versions["uk"].url for s in demo_stories()[:6]]
    assert listing_article_urls(listing) == uk_first_page

    # A redesign renamed the card component: any article link in the main column counts.
    renamed = listing.replace(b"news-card_root__", b"story-tile_root__")
    assert listing_article_urls(renamed) == uk_first_page

    links = (
        b'<html><body><div class="home-page_main__x1"><a href="/ru/news/a">ru</a>'
        b'<a href="https://unn.ua/amp/b?utm_source=x">amp</a><a href="/politics">section</a>'
        b'<a href="https://example.com/news/c">elsewhere</a></div></body></html>'
    )
    assert listing_article_urls(links) == ["https://unn.ua/news/b"]
    assert spider.fetch_url_of("https://unn.ua/news/b?page=2") == f"{MIRROR}/news/b?page=2"


def listing_output(body: bytes, page: int = 1, spider: SiteSpider | None = None) -> ListingOutput:
    """What a spider (a fresh one unless given) makes of page `page` of the listing /news."""
    spider = spider or mirrored_spider()
    response = HtmlResponse(f"{MIRROR}/news?page={page}", body=body, encoding="utf-8")
    output = ListingOutput([], {}, [])
    for item in spider.parse_listing(response, "/news", page):
        if isinstance(item, CardViews):
            output.views[item.url] = item.views
        elif item.callback == spider.parse_article:
            output.articles.append(spider.site_url_of_fetch_url(item.url))
        else:
            output.next_pages.append(spider.site_url_of_fetch_url(item.url))
    return output


@dataclass
class ListingOutput:
    articles: list[str]  # the article requests, in order
    views: dict[str, int]  # the view counts read off the cards
    next_pages: list[str]  # the next listing page, if the walk goes on


def test_a_redesigned_listing_gives_the_same_cards_and_views() -> None:
    site = demo_site("a")
    listings = [path for path in site if path.split("?")[0] in ("/news", "/en/news", "/ru/news")]
    redesigned = redesigned_site(site)
    for path in listings:
        before, after = listing_output(site[path].body), listing_output(redesigned[path].body)
        assert after == before, path
    first_page = listing_output(redesigned["/news"].body)
    shown = [s.versions["uk"] for s in demo_stories()[:6]]
    assert first_page.articles == [v.url for v in shown]
    assert first_page.views == {v.url: v.views for v in shown}


# A listing after a redesign that also moved things around: no known class, the cards in
# rows of two, links to other articles in the page's header, menu, sidebar and footer,
# and a plain block of two editor's picks beside the list.
FURNISHED_LISTING = b"""<!DOCTYPE html><html><body>
<header><a href="/">UNN</a><a href="/news/live-updates-from-the-front-line">Live</a></header>
<nav><a href="/news/most-discussed-story-of-the-week">Most discussed</a></nav>
<div class="x1"><h1>Latest news</h1><div class="x2">
<div class="x3"><div class="x4"><a href="/news/first-story"><h3>First</h3></a>
<p>Kyiv - 18 July 2024 - 101 views</p></div>
<div class="x4"><a href="/news/second-story"><h3>Second</h3></a>
<p>Economy - 102 views</p></div></div>
<div class="x3"><div class="x4"><a href="/news/third-story"><h3>Third</h3></a><p>103 views</p></div>
<div class="x4"><a href="/news/fourth-story"><h3>Fourth</h3></a><p>104 views</p></div></div>
</div><div class="x5"><a href="/news/editors-pick-one">Pick one</a>
<a href="/news/editors-pick-two">Pick two</a></div>
<aside><a href="/news/most-read-one">Most read</a><a href="/news/most-read-two">Next</a></aside>
<a href="/news?page=2">Next page</a></div>
<footer><a href="/news/about-the-agency-and-its-history">About</a></footer>
</body></html>"""


def test_cards_found_by_structure_leave_out_the_page_furniture() -> None:
    output = listing_output(FURNISHED_LISTING)
    cards = [f"https://unn.ua/news/{n}-story" for n in ("first", "second", "third", "fourth")]
    assert output.articles == cards
    # Each card's own count, though two cards share a row.
    assert output.views == {url: 101 + i for i, url in enumerate(cards)}


def test_a_page_that_shows_only_articles_of_earlier_pages_ends_the_listing() -> None:
    # A site that answers every page number past the end with its last page.
    spider = mirrored_spider()
    listing = demo_site("a")["/news"].body
    assert listing_output(listing, 1, spider).next_pages == ["https://unn.ua/news?page=2"]
    again = listing_output(listing, 2, spider)
    assert again == ListingOutput([], listing_output(listing).views, [])


def test_feed_dates_are_timezone_aware() -> None:
    assert feed_date("Thu, 18 Jul 2024 13:27:00 +0300") == datetime(2024, 7, 18, 10, 27, tzinfo=UTC)
    unknown_zone = feed_date("Thu, 18 Jul 2024 13:27:00 -0000")
    assert unknown_zone is not None
    assert unknown_zone.tzinfo is not None
    assert feed_date("2024-07-18T13:27:00Z") == datetime(2024, 7, 18, 13, 27, tzinfo=UTC)
    assert feed_date("yesterday") is None


def test_failures_get_a_one_line_reason(caplog: pytest.LogCaptureFixture) -> None:
    spider = mirrored_spider()
    timeout = Failure(DownloadTimeoutError("took too long"))
    # Scrapy sets a failure's request on the fly; Twisted's Failure declares none.
    timeout.request = scrapy.Request(f"{MIRROR}/news/a")  # type: ignore[attr-defined]
    not_found = Failure(HttpError(HtmlResponse(f"{MIRROR}/news/b", status=404), "Ignoring"))
    with caplog.at_level(logging.WARNING):
        spider.log_fetch_failure(timeout)
        spider.log_fetch_failure(not_found)
    assert "fetch failed: https://unn.ua/news/a (timed out)" in caplog.text
    assert "fetch failed: ? (HTTP 404)" in caplog.text
    stats = spider.crawler.stats
    assert stats is not None
    assert stats.get_value("newscrawl/fetch_failed") == 2
    assert stats.get_value("newscrawl/fetch_failed/timeout") == 1
    assert stats.get_value("newscrawl/fetch_failed/http_404") == 1


# --- a full crawl ---------------------------------------------------------------


@pytest.mark.e2e
def test_scrapy_list_names_the_unn_spider() -> None:
    listed = subprocess.run(
        [sys.executable, "-m", "scrapy", "list"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    assert "unn" in listed.stdout.split()


@pytest.mark.e2e
def test_full_crawl_archives_every_article_page_once(full_crawl: FullCrawl) -> None:
    assert full_crawl.returncode == 0, full_crawl.log[-3000:]
    assert "Traceback" not in full_crawl.log
    urls = [row["url"] for row in rows(full_crawl.db, "SELECT url FROM articles")]
    # Site URLs only: no mirror address, no AMP copy, no tracking parameters.
    assert sorted(urls) == sorted(ALL_URLS)
    assert len(urls) == len(set(urls))
    assert full_crawl.mirror.hits["/robots.txt"] == 1
    # The AMP copy in the feed and the card with ?utm_source=... were fetched
    # under their canonical URL, once.
    assert not [path for path in full_crawl.mirror.hits if "/amp/" in path or "utm_" in path]
    assert all(full_crawl.mirror.hits[v.path] == 1 for v in VERSIONS)


@pytest.mark.e2e
@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v.language}-{v.story_id}")
def test_article_fields_match_the_story_data(full_crawl: FullCrawl, version: Version) -> None:
    row = _articles(full_crawl.db)[version.url]
    assert row["site"] == "unn.ua"
    assert row["headline"] == version.headline
    assert row["summary"] == version.summary
    assert row["language"] == version.language
    assert row["section"] == version.section
    assert json.loads(row["tags"]) == list(version.tags)
    assert json.loads(row["authors"]) == list(version.authors)
    assert row["views"] == version.views
    assert datetime.fromisoformat(row["published_at"]) == version.published_at
    for paragraph in version.paragraphs:
        assert paragraph in row["body"]


@pytest.mark.e2e
@pytest.mark.parametrize("version", VERSIONS, ids=lambda v: f"{v.language}-{v.story_id}")
def test_links_resolve_to_archived_articles(full_crawl: FullCrawl, version: Version) -> None:
    story = next(s for s in demo_stories() if s.id == version.story_id)
    ids = {row["url"]: row["id"] for row in _articles(full_crawl.db).values()}

    read_also = _links(full_crawl.db, version.url, "read_also")
    expected = story.read_also(version.language)
    assert [link["title"] for link in read_also] == [t.headline for t in expected]
    assert [link["target_article_id"] for link in read_also] == [ids[t.url] for t in expected]

    related = _links(full_crawl.db, version.url, "related")
    expected = story.related(version.language)
    assert [link["url"] for link in related] == [t.url for t in expected]
    assert [link["views"] for link in related] == [t.views for t in expected]
    assert [link["target_article_id"] for link in related] == [ids[t.url] for t in expected]

    inline = _links(full_crawl.db, version.url, "inline")
    expected_inline = version.inline_links()
    assert [(link["url"], link["title"]) for link in inline] == [
        (target.url, text) for target, text in expected_inline
    ]
    assert all(link["target_article_id"] for link in inline)


@pytest.mark.e2e
def test_view_snapshots_record_every_count_seen(full_crawl: FullCrawl) -> None:
    snapshots = rows(full_crawl.db, "SELECT url, views, seen_on FROM view_snapshots")
    own = {(s["url"], s["views"]) for s in snapshots if s["seen_on"] == s["url"]}
    assert own == {(v.url, v.views) for v in VERSIONS}
    # Related cards are snapshots too, seen on the page that shows them.
    assert any(s["seen_on"] != s["url"] for s in snapshots)


# --- spider arguments -----------------------------------------------------------


@pytest.mark.e2e
def test_languages_argument_fetches_only_those_languages(
    demo_mirror: Mirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    run = crawl(["-a", f"base_url={demo_mirror}", "-a", "languages=en"], db)
    assert run.returncode == 0, run.log[-3000:]
    archived = {row["url"] for row in rows(db, "SELECT url FROM articles")}
    assert archived == {v.url for v in VERSIONS if v.language == "en"}
    fetched = [p for p in demo_mirror.hits if p != "/robots.txt"]
    assert fetched and all(p.startswith("/en/") for p in fetched)


@pytest.mark.e2e
def test_max_pages_bounds_listing_paging(demo_mirror: Mirror, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    run = crawl(["-a", f"base_url={demo_mirror}", "-a", "max_pages=1"], db)
    assert run.returncode == 0, run.log[-3000:]
    assert "max_pages=1 reached" in run.log
    assert demo_mirror.hits["/news"] == 1
    assert not [p for p in demo_mirror.hits if "page=" in p]
    first_pages = demo_stories()[:6]
    archived = {row["url"] for row in rows(db, "SELECT url FROM articles")}
    assert {s.versions["en"].url for s in first_pages} <= archived
    assert not {s.versions["en"].url for s in demo_stories()[6:]} & archived


@pytest.mark.e2e
def test_bad_spider_arguments_fail_clearly(tmp_path: Path) -> None:
    run = crawl(["-a", "base_url=http://127.0.0.1:9", "-a", "languages=de"], tmp_path / "x.db")
    assert run.returncode != 0
    assert "languages='de'" in run.log + run.stderr


# --- repeated crawls --------------------------------------------------------------


@pytest.mark.e2e
def test_incremental_crawl_adds_snapshots_not_duplicates(
    full_crawl: FullCrawl, start_mirror: StartMirror, tmp_path: Path
) -> None:
    db = _copy_archive(full_crawl.db, tmp_path / "news.db")
    before = _articles(db)
    snapshots_before = _snapshot_count(db)
    later = start_mirror(demo_site(views_offset=100))

    run = crawl(["-a", f"base_url={later}"], db)

    assert run.returncode == 0, run.log[-3000:]
    assert "stopping this listing (incremental crawl)" in run.log
    after = _articles(db)
    assert after.keys() == before.keys()
    assert [r["id"] for r in after.values()] == [r["id"] for r in before.values()]
    assert _snapshot_count(db) > snapshots_before
    # Page 1 of every listing was all archived already: page 2 was never asked for.
    assert not [p for p in later.hits if "page=2" in p]
    # Archived articles too old for the revisit schedule are not fetched again...
    assert not [v for v in VERSIONS if later.hits[v.path]]
    for version in VERSIONS:
        assert after[version.url]["views"] == version.views
        assert after[version.url]["content_hash"] == before[version.url]["content_hash"]
    # ...but the view counts on the listing cards became snapshots, at no extra request.
    card_views = {
        (row["url"], row["views"], row["seen_on"])
        for row in rows(db, "SELECT url, views, seen_on FROM view_snapshots")
    }
    for language, listing in (("uk", "/news"), ("en", "/en/news"), ("ru", "/ru/news")):
        first_page = [s.versions[language] for s in demo_stories() if language in s.versions][:6]
        for version in first_page:
            assert (version.url, version.views + 100, f"https://unn.ua{listing}") in card_views


@pytest.mark.e2e
def test_redeployed_site_gives_the_same_rows(
    full_crawl: FullCrawl, start_mirror: StartMirror, tmp_path: Path
) -> None:
    db = _copy_archive(full_crawl.db, tmp_path / "news.db")
    content = "id, url, headline, summary, body, language, published_at, authors, section, tags"
    before = [tuple(r) for r in rows(db, f"SELECT {content}, content_hash FROM articles")]
    redeployed = start_mirror(demo_site("b"))

    run = crawl(["-a", f"base_url={redeployed}"], db)

    assert run.returncode == 0, run.log[-3000:]
    after = [tuple(r) for r in rows(db, f"SELECT {content}, content_hash FROM articles")]
    assert after == before
    assert "newscrawl/articles_updated" not in run.log
    assert "newscrawl/articles_new" not in run.log


def test_every_page_parses_the_same_in_another_build() -> None:
    a, b = demo_site("a"), demo_site("b")
    fetched_at = datetime(2024, 8, 1, 12, 0, tzinfo=UTC)
    for version in VERSIONS:
        parsed = [
            article_from_page(
                Page(
                    url=version.url,
                    body=site[version.path].body,
                    fetched_at=fetched_at,
                    content_type=HTML,
                )
            )
            for site in (a, b)
        ]
        assert parsed[0] == parsed[1], version.url


# --- a redesign -------------------------------------------------------------------

LISTINGS = ("/news", "/en/news", "/ru/news")
# Links to other articles that a listing page shows beside its cards, in the page's
# header and in a sidebar, which a redesign keeps while renaming every class.
FURNITURE = ("/news/live-updates-from-the-front-line", "/en/news/most-read-story-of-the-week")


def _furnished(site: dict[str, Resource]) -> dict[str, Resource]:
    """The site with the FURNITURE links on every listing page."""
    header = f'<a href="{FURNITURE[0]}">Live: updates from the front line</a>'.encode()
    sidebar = f'<aside><h2>Most read</h2><a href="{FURNITURE[1]}">Story</a></aside>'.encode()
    furnished = dict(site)
    for path, resource in site.items():
        if path.split("?")[0] in LISTINGS:
            body = re.sub(rb"(<header[^>]*>)", lambda m: m[1] + header, resource.body, count=1)
            body = body.replace(b"<footer", sidebar + b"<footer", 1)
            assert body.count(b'<a href="/') > resource.body.count(b'<a href="/'), path
            furnished[path] = Resource(body, resource.content_type)
    return furnished


def _card_snapshots(db: Path) -> set[tuple[str, int, str]]:
    """The view counts read off listing cards: (article URL, views, listing URL)."""
    return {
        (row["url"], row["views"], row["seen_on"])
        for row in rows(db, "SELECT url, views, seen_on FROM view_snapshots")
        if row["seen_on"] != row["url"]
    }


def _first_listing_pages(views_offset: int = 0) -> set[tuple[str, int, str]]:
    """The card counts the first page of each listing shows, as _card_snapshots gives them."""
    shown = set()
    for language, listing in zip(("uk", "en", "ru"), LISTINGS, strict=True):
        versions = [s.versions[language] for s in demo_stories() if language in s.versions][:6]
        shown |= {(v.url, v.views + views_offset, f"https://unn.ua{listing}") for v in versions}
    return shown


@pytest.mark.e2e
def test_a_redesigned_site_is_still_walked_to_every_article(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    redesigned = start_mirror(redesigned_site(_furnished(demo_site("a"))))

    run = crawl(["-a", f"base_url={redesigned}"], db)

    assert run.returncode == 0, run.log[-3000:]
    assert "Traceback" not in run.log
    # Every article page was asked for once, under its canonical URL, whatever the
    # parser then makes of it; the furniture's links were not.
    assert {v.path: redesigned.hits[v.path] for v in VERSIONS} == {v.path: 1 for v in VERSIONS}
    assert not [path for path in FURNITURE if redesigned.hits[path]]
    assert not [path for path in redesigned.hits if "/amp/" in path or "utm_" in path]
    # Each listing was read to its end: the first page without cards.
    assert run.log.count("has no article cards: end of the listing") == len(LISTINGS)
    # The cards' view counts were still read.
    assert _first_listing_pages() <= _card_snapshots(db)


@pytest.mark.e2e
def test_a_redesign_does_not_break_the_incremental_stop(
    full_crawl: FullCrawl, start_mirror: StartMirror, tmp_path: Path
) -> None:
    # The archive of the site as it was; then the site is redesigned.
    db = _copy_archive(full_crawl.db, tmp_path / "news.db")
    redesigned = start_mirror(redesigned_site(_furnished(demo_site("a", views_offset=100))))

    run = crawl(["-a", f"base_url={redesigned}"], db)

    assert run.returncode == 0, run.log[-3000:]
    # The first page of every listing showed only archived articles: the walk stopped.
    assert run.log.count("stopping this listing (incremental crawl)") == len(LISTINGS)
    assert not [path for path in redesigned.hits if "page=" in path]
    assert {path: redesigned.hits[path] for path in LISTINGS} == dict.fromkeys(LISTINGS, 1)
    assert not [v for v in VERSIONS if redesigned.hits[v.path]]
    assert not [path for path in FURNITURE if redesigned.hits[path]]
    assert _first_listing_pages(views_offset=100) <= _card_snapshots(db)


# --- bad input ----------------------------------------------------------------------

EMPTY = "/news/empty-page"
SERVER_ERROR = "/news/server-error"
NOT_AN_ARTICLE = "/news/live-updates"


def _with_extra_cards(listing: bytes, hrefs: list[str]) -> bytes:
    """The listing page with cards for `hrefs` before its first card, same class names."""
    first = re.search(rb'<a class="(news-card_root__[^"]+)"', listing)
    assert first is not None
    cards = b"".join(
        b'<a class="%s" href="%s"><h3>Card</h3></a>' % (first.group(1), href.encode())
        for href in hrefs
    )
    return listing[: first.start()] + cards + listing[first.start() :]


@pytest.mark.e2e
def test_bad_pages_are_dropped_with_a_reason_and_never_crash(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    truncated = demo_stories()[0].versions["en"]  # archived by the first crawl
    mislabelled = demo_stories()[1].versions["uk"]  # new in the second crawl

    # The clock is set to just after the newest story, so the second crawl revisits it.
    published = truncated.published_at.astimezone(UTC)
    first = crawl(
        [
            "-a", f"base_url={start_mirror(demo_site())}", "-a", "languages=en",
            "-s", f"NEWSCRAWL_NOW={published + timedelta(hours=1)}",
        ],
        db,
    )  # fmt: skip
    assert first.returncode == 0, first.log[-3000:]
    stored = _articles(db)

    site = demo_site()
    listing = _with_extra_cards(site["/news"].body, [EMPTY, SERVER_ERROR, NOT_AN_ARTICLE])
    site["/news"] = site["/news?page=1"] = Resource(listing, HTML)
    site[EMPTY] = Resource(b"", HTML)
    site[SERVER_ERROR] = Resource(b"<html><body>Internal error</body></html>", HTML, status=500)
    site[NOT_AN_ARTICLE] = Resource(
        b"<!DOCTYPE html><html><head><title>Live | \xd0\xa3\xd0\x9d\xd0\x9d</title></head>"
        b"<body><h1>Live updates</h1><ul><li><a href='/news'>News</a></li></ul></body></html>",
        HTML,
    )
    page = site[truncated.path].body
    site[truncated.path] = Resource(page, HTML, truncate_to=len(page) // 2)
    # windows-1251 bytes under a header that says UTF-8.
    site[mislabelled.path] = Resource(site[mislabelled.path].body.decode().encode("cp1251"), HTML)
    faulty = start_mirror(site)

    second = crawl(
        ["-a", f"base_url={faulty}", "-s", f"NEWSCRAWL_NOW={published + timedelta(hours=2)}"], db
    )

    log = second.log
    assert second.returncode == 0, log[-3000:]
    assert "Traceback" not in log
    assert f"fetch failed: https://unn.ua{SERVER_ERROR} (HTTP 500)" in log
    assert faulty.hits[SERVER_ERROR] == 3  # retried twice before giving up
    assert f"fetch failed: {truncated.url} (" in log
    assert "data loss" in log
    assert re.search(rf"https://unn\.ua{EMPTY}: .*empty", log)
    assert re.search(rf"https://unn\.ua{NOT_AN_ARTICLE}: not an article", log)

    after = _articles(db)
    assert not {f"https://unn.ua{p}" for p in (EMPTY, SERVER_ERROR, NOT_AN_ARTICLE)} & after.keys()
    # The mislabelled page was decoded correctly, not stored as mojibake.
    assert after[mislabelled.url]["headline"] == mislabelled.headline
    # Nothing archived earlier was lost or overwritten by a broken fetch.
    for url, row in stored.items():
        assert after[url]["content_hash"] == row["content_hash"]
        assert after[url]["headline"] == row["headline"]
    assert after[truncated.url]["body"] == stored[truncated.url]["body"]
