"""The hostile web, items 5 and 12 of issue 19: sitemap indexes and conditional requests.

Item 5: a sitemap index whose children include a 404, a duplicate and a page that
is no XML is still walked to its end. Item 12: feeds, sitemaps, listings and start
pages are requested with the validators they last sent, so an unchanged site costs
304s instead of its bytes. Pages are generated here and served by a local mirror;
crawls are real `scrapy crawl` runs.
"""

from __future__ import annotations

import dataclasses
import hashlib
import re
from pathlib import Path

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from scrapy.utils.test import get_crawler

from newscrawl.crawler.conditional import conditional_enabled, conditional_meta
from newscrawl.parsing.unn import UNN
from newscrawl.testing.demo import demo_site
from newscrawl.testing.hostile import HTML, article_page, feed, paragraphs
from newscrawl.testing.mirror import Mirror, Resource
from spiders.site import SiteSpider, spider_class_for
from tests.conftest import StartMirror, crawl, rows

SITEMAP = "application/xml; charset=utf-8"
LAST_MODIFIED = "Sat, 01 Mar 2025 09:00:00 GMT"


def urlset(base: str, paths: list[str]) -> Resource:
    entries = "".join(f"<url><loc>{base}{path}</loc></url>" for path in paths)
    return Resource(
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}</urlset>'
        ).encode(),
        SITEMAP,
    )


def sitemap_index(base: str, children: list[tuple[str, str | None]]) -> Resource:
    entries = "".join(
        f"<sitemap><loc>{base}{path}</loc>"
        + (f"<lastmod>{lastmod}</lastmod>" if lastmod else "")
        + "</sitemap>"
        for path, lastmod in children
    )
    return Resource(
        (
            '<?xml version="1.0" encoding="UTF-8"?>'
            f'<sitemapindex xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{entries}'
            "</sitemapindex>"
        ).encode(),
        SITEMAP,
    )


def with_validators(resource: Resource) -> Resource:
    """`resource` with an ETag of its bytes and a Last-Modified, as a careful server sends."""
    etag = '"' + hashlib.sha256(resource.body).hexdigest()[:16] + '"'
    return dataclasses.replace(resource, etag=etag, last_modified=LAST_MODIFIED)


def articles(prefix: str, count: int) -> dict[str, Resource]:
    return {
        f"/news/2025/03/01/{prefix}-{n}/": Resource(
            article_page(f"Новина {prefix} {n}", paragraphs(3, hash(prefix) % 97 + n)), HTML
        )
        for n in range(count)
    }


def stats_of(log: str) -> dict[str, int]:
    """The counts among the stats Scrapy dumps at the end of a crawl's log."""
    dump = log.rsplit("Dumping Scrapy stats:", 1)
    assert len(dump) == 2, log[-2000:]
    return {key: int(n) for key, n in re.findall(r"'([^']+)': (\d+)[,}]", dump[1])}


def archived_urls(db: Path) -> set[str]:
    return {row["url"] for row in rows(db, "SELECT url FROM articles")}


# --- item 5: sitemap indexes -----------------------------------------------------------


def hostile_index_site(start_mirror: StartMirror) -> tuple[Mirror, dict[str, list[str]]]:
    """An index of good children, a 404, a duplicate and an HTML page, with validators.

    Returns the mirror and the article paths of each good child.
    """
    resources: dict[str, Resource] = {}
    mirror = start_mirror(resources)
    good = {
        "/sitemaps/newest.xml": list(articles("newest", 3)),
        "/sitemaps/older.xml": list(articles("older", 2)),
        "/sitemaps/undated.xml": list(articles("undated", 2)),
    }
    for prefix in ("newest", "older", "undated"):
        resources.update(articles(prefix, 3 if prefix == "newest" else 2))
    for path, paths in good.items():
        resources[path] = with_validators(urlset(mirror, paths))
    resources["/sitemaps/not-xml.xml"] = with_validators(
        Resource(b"<!doctype html><html><body><p>Maintenance</p></body></html>", HTML)
    )
    # /sitemaps/missing.xml is not served: a 404.
    resources["/sitemap_index.xml"] = with_validators(
        sitemap_index(
            mirror,
            [
                ("/sitemaps/newest.xml", "2025-03-05"),
                ("/sitemaps/missing.xml", "2025-03-04"),
                ("/sitemaps/newest.xml", "2025-03-03"),  # the same child again
                ("/sitemaps/not-xml.xml", "2025-03-02"),
                ("/sitemaps/older.xml", "2025-03-01"),
                ("/sitemaps/undated.xml", None),
            ],
        )
    )
    return mirror, good


@pytest.mark.e2e
def test_a_404_a_duplicate_and_a_non_xml_child_leave_the_rest_of_the_index_read(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    mirror, good = hostile_index_site(start_mirror)
    db = tmp_path / "news.db"

    first = crawl(["-a", f"sitemap={mirror}/sitemap_index.xml"], db, spider="news")

    assert first.returncode == 0, first.log[-3000:]
    expected = {f"{mirror}{path}" for paths in good.values() for path in paths}
    assert archived_urls(db) == expected
    assert mirror.hits["/sitemaps/missing.xml"] == 1
    # The duplicate is read once, and the children after it still are.
    assert mirror.hits["/sitemaps/newest.xml"] == 1
    assert mirror.hits["/sitemaps/older.xml"] == 1
    assert mirror.hits["/sitemaps/undated.xml"] == 1
    assert f"fetch failed: {mirror}/sitemaps/missing.xml (HTTP 404)" in first.log
    assert "is not a sitemap" in first.log
    assert "was read already in this crawl: skipped" in first.log
    # The index is read whole every time; its children's validators are kept.
    kept = {row["url"] for row in rows(db, "SELECT url FROM conditional_validators")}
    assert kept == {f"{mirror}{path}" for path in (*good, "/sitemaps/not-xml.xml")}

    # The unchanged site again: the newest child is unchanged (304), which, like a
    # child of archived articles, skips the older dated ones; the undated one is
    # still asked for, and answers 304 too. No article is fetched again.
    before = dict(mirror.hits)
    second = crawl(["-a", f"sitemap={mirror}/sitemap_index.xml"], db, spider="news")

    assert second.returncode == 0, second.log[-3000:]
    hits = {p: n - before.get(p, 0) for p, n in mirror.hits.items() if n > before.get(p, 0)}
    assert hits["/sitemap_index.xml"] == 1
    assert hits["/sitemaps/newest.xml"] == 1
    assert hits.get("/sitemaps/missing.xml", 0) == 0
    assert hits.get("/sitemaps/older.xml", 0) == 0
    assert hits["/sitemaps/undated.xml"] == 1
    assert not any(n for path, n in hits.items() if path.startswith("/news/"))
    assert stats_of(second.log)["downloader/response_status_count/304"] == 2
    assert archived_urls(db) == expected


@pytest.mark.e2e
def test_max_pages_caps_the_children_requested_past_failures(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    mirror, good = hostile_index_site(start_mirror)
    db = tmp_path / "news.db"

    run = crawl(
        ["-a", f"sitemap={mirror}/sitemap_index.xml", "-a", "max_pages=4"], db, spider="news"
    )

    assert run.returncode == 0, run.log[-3000:]
    # The index and three children: newest, missing (failed, but requested), then
    # not-xml; the duplicate costs nothing.
    assert mirror.hits["/sitemaps/not-xml.xml"] == 1
    assert mirror.hits.get("/sitemaps/older.xml", 0) == 0
    assert archived_urls(db) == {f"{mirror}{path}" for path in good["/sitemaps/newest.xml"]}
    assert "max_pages=4 sitemaps read, stopping" in run.log


# --- item 12: conditional requests ------------------------------------------------------


def validated_demo() -> dict[str, Resource]:
    """The demo site with an ETag and a Last-Modified on every resource."""
    return {path: with_validators(resource) for path, resource in demo_site().items()}


@pytest.mark.e2e
def test_an_unchanged_site_costs_a_tenth_of_its_bytes_the_second_time(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    mirror = start_mirror(validated_demo())
    db = tmp_path / "news.db"

    first = crawl(["-a", f"base_url={mirror}"], db)
    assert first.returncode == 0, first.log[-3000:]
    archived = rows(db, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert archived > 0
    before = dict(mirror.hits)
    second = crawl(["-a", f"base_url={mirror}"], db)

    assert second.returncode == 0, second.log[-3000:]
    first_bytes = stats_of(first.log)["downloader/response_bytes"]
    second_bytes = stats_of(second.log)["downloader/response_bytes"]
    assert second_bytes <= 0.10 * first_bytes, (first_bytes, second_bytes)
    # Every feed and first listing page answered 304; no listing went past its page 1.
    hits = {p: n - before.get(p, 0) for p, n in mirror.hits.items() if n > before.get(p, 0)}
    assert not any("page=2" in path for path in hits), hits
    assert "is unchanged since the last run (304): stopping this listing" in second.log
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == archived
    # Kept under the site's own URLs, never the mirror's.
    kept = [row["url"] for row in rows(db, "SELECT url FROM conditional_validators")]
    assert kept and all(url.startswith("https://unn.ua/") for url in kept)

    # Switched off, the same site is fetched whole.
    third = crawl(["-a", f"base_url={mirror}", "-s", "NEWSCRAWL_CONDITIONAL=off"], db)
    assert third.returncode == 0, third.log[-3000:]
    assert "downloader/response_status_count/304" not in stats_of(third.log)


@pytest.mark.e2e
def test_a_feed_whose_article_failed_is_read_whole_next_time(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    resources: dict[str, Resource] = dict(articles("kept", 1))
    mirror = start_mirror(resources)
    listed = {**{path: path for path in articles("kept", 1)}, "/news/2025/03/01/gone/": "gone"}
    resources["/rss.xml"] = with_validators(feed(mirror, listed))
    db = tmp_path / "news.db"

    for _ in range(2):
        run = crawl(["-a", f"feed={mirror}/rss.xml"], db, spider="news")
        assert run.returncode == 0, run.log[-3000:]

    # A 304 would have hidden the missing article from every later run.
    assert mirror.hits["/news/2025/03/01/gone/"] == 2
    assert rows(db, "SELECT url FROM conditional_validators") == []
    assert "downloader/response_status_count/304" not in stats_of(run.log)


@pytest.mark.e2e
def test_a_feed_whose_article_was_dropped_is_read_whole_next_time(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    # The page answers 200 but is cut short (no </html>): parsed, dropped, not archived.
    resources: dict[str, Resource] = dict(articles("kept", 1))
    cut = article_page("Новина, що обірвалася", paragraphs(3, 5))
    resources["/news/2025/03/01/cut/"] = Resource(cut[: len(cut) // 2], HTML)
    mirror = start_mirror(resources)
    listed = {**{path: path for path in articles("kept", 1)}, "/news/2025/03/01/cut/": "cut"}
    resources["/rss.xml"] = with_validators(feed(mirror, listed))
    db = tmp_path / "news.db"

    for _ in range(2):
        run = crawl(["-a", f"feed={mirror}/rss.xml"], db, spider="news")
        assert run.returncode in (0, 5), run.log[-3000:]

    assert mirror.hits["/news/2025/03/01/cut/"] == 2
    assert rows(db, "SELECT url FROM conditional_validators") == []


@pytest.mark.e2e
def test_a_walk_held_back_by_max_pages_keeps_no_validators(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    mirror = start_mirror(validated_demo())
    db = tmp_path / "news.db"

    held_back = crawl(["-a", f"base_url={mirror}", "-a", "max_pages=1"], db)
    assert held_back.returncode == 0, held_back.log[-3000:]
    # A later full walk must read past page 1, which the held-back one never did.
    assert rows(db, "SELECT url FROM conditional_validators") == []
    full = crawl(["-a", f"base_url={mirror}"], db)
    assert full.returncode == 0, full.log[-3000:]
    # Its feed and listings answer in full: nothing told them this walk read them all.
    assert "downloader/response_status_count/304" not in stats_of(full.log)
    assert rows(db, "SELECT url FROM conditional_validators")


def test_a_304_listing_page_stops_the_listing_and_asks_for_nothing() -> None:
    spider_cls = spider_class_for(UNN)
    spider = spider_cls.from_crawler(get_crawler(spider_cls))
    assert isinstance(spider, SiteSpider)
    url = "https://unn.ua/news"
    response = HtmlResponse(
        url, status=304, body=b"", request=Request(url, meta=conditional_meta(url))
    )

    assert list(spider.parse_listing(response, listing="/news", page=1)) == []
    assert list(spider.parse_feed(response)) == []


@pytest.mark.parametrize(
    ("value", "enabled"), [("on", True), ("off", False), (" OFF ", False), ("1", True)]
)
def test_the_setting_turns_conditional_requests_on_and_off(value: str, enabled: bool) -> None:
    from scrapy.settings import Settings

    assert conditional_enabled(Settings({"NEWSCRAWL_CONDITIONAL": value})) is enabled


def test_a_malformed_setting_is_named() -> None:
    from scrapy.settings import Settings

    with pytest.raises(ValueError, match="NEWSCRAWL_CONDITIONAL"):
        conditional_enabled(Settings({"NEWSCRAWL_CONDITIONAL": "sometimes"}))
