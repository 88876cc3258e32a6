"""The fixture-site server and the bundled demo site."""

from __future__ import annotations

import http.client
import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from lxml import etree

from newscrawl.testing.demo import demo_site, demo_stories
from newscrawl.testing.mirror import Resource, serve

HTML = "text/html; charset=utf-8"


def _get(url: str, timeout: float = 5) -> tuple[int, str, bytes]:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status, response.headers["Content-Type"], response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers["Content-Type"], error.read()


# --- the server ---------------------------------------------------------------


def test_serves_resources_by_exact_path_and_query() -> None:
    site = {
        "/news": Resource(b"page one", HTML),
        "/news?page=2": Resource(b"page two", HTML),
        "/broken": Resource(b"oops", HTML, status=500),
    }
    with serve(site) as base:
        assert re.fullmatch(r"http://127\.0\.0\.1:\d+", base)
        assert _get(f"{base}/news") == (200, HTML, b"page one")
        assert _get(f"{base}/news?page=2")[2] == b"page two"
        assert _get(f"{base}/broken")[0] == 500
        assert _get(f"{base}/news?page=3")[0] == 404
        assert _get(f"{base}/nowhere")[0] == 404
        assert base.hits == {
            "/news": 1,
            "/news?page=2": 1,
            "/broken": 1,
            "/news?page=3": 1,
            "/nowhere": 1,
        }
        assert base.hits_under("/news") == {"/news": 1, "/news?page=2": 1, "/news?page=3": 1}


def test_resources_can_change_while_serving() -> None:
    site = {"/a": Resource(b"first", HTML)}
    with serve(site) as base:
        assert _get(f"{base}/a")[2] == b"first"
        site["/a"] = Resource(b"second", HTML)
        assert _get(f"{base}/a")[2] == b"second"


def test_truncated_resource_promises_more_than_it_sends() -> None:
    body = b"<html>" + b"x" * 5000 + b"</html>"
    with serve({"/cut": Resource(body, HTML, truncate_to=100)}) as base:
        conn = http.client.HTTPConnection(urlsplit(base).netloc, timeout=5)
        conn.request("GET", "/cut")
        response = conn.getresponse()
        assert response.getheader("Content-Length") == str(len(body))
        with pytest.raises(http.client.IncompleteRead) as cut:
            response.read()
        assert len(cut.value.partial) == 100
        conn.close()


def test_delay_makes_impatient_clients_time_out() -> None:
    with serve({"/slow": Resource(b"late", HTML, delay=1.0)}) as base:
        with pytest.raises((TimeoutError, urllib.error.URLError)):
            _get(f"{base}/slow", timeout=0.2)
        assert _get(f"{base}/slow", timeout=5)[2] == b"late"


# --- the demo site ------------------------------------------------------------


def test_demo_has_every_language_version_and_some_amp_copies() -> None:
    site = demo_site()
    stories = demo_stories()
    versions = [v for s in stories for v in s.versions.values()]
    assert 12 <= len(stories) <= 14
    assert len(versions) >= 30
    assert all({"uk", "en"} <= s.versions.keys() for s in stories)
    assert sum("ru" in s.versions for s in stories) >= 3
    for version in versions:
        assert site[version.path].status == 200
        assert 3 <= len(version.paragraphs) <= 6
        assert version.url == "https://unn.ua" + version.path
    amp = [p for p in site if "/amp/" in p]
    assert any(p.startswith("/en/amp/") for p in amp)
    assert any(p.startswith("/amp/") for p in amp)


def test_demo_listings_end_with_an_empty_page() -> None:
    site = demo_site()
    card = re.compile(rb'class="news-card_root__[^"]+" href="([^"]+)"')
    for listing in ("/news", "/en/news", "/ru/news"):
        page, hrefs = 1, []
        while cards := card.findall(site[f"{listing}?page={page}"].body):
            assert len(cards) <= 6
            hrefs += cards
            page += 1
        assert site[f"{listing}?page={page}"].status == 200
        assert f"{listing}?page={page + 1}" not in site
        assert site[listing].body == site[f"{listing}?page=1"].body
        assert all(not h.startswith(b"http") for h in hrefs)
    assert any(b"utm_source=" in h for h in card.findall(site["/news"].body))


def test_demo_feed_is_rss_with_absolute_site_links() -> None:
    feed = etree.fromstring(demo_site()["/rss/news_uk.xml"].body)
    items = feed.findall("./channel/item")
    assert items
    for item in items:
        assert item.findtext("link", "").startswith("https://unn.ua/")
        assert re.fullmatch(
            r"\w{3}, \d\d \w{3} \d{4} \d\d:\d\d:\d\d [+-]\d{4}", item.findtext("pubDate", "")
        )
        assert item.findtext("category")
    assert any("/amp/" in item.findtext("link", "") for item in items)


def test_builds_differ_only_in_class_hashes() -> None:
    a, b = demo_site("a"), demo_site("b")
    assert a.keys() == b.keys()
    page = demo_stories()[0].versions["uk"].path
    assert a[page].body != b[page].body
    assert b"single-news-card_body__" in a[page].body

    def unhashed(body: bytes) -> bytes:
        # Class hashes, and the build id and stylesheet name derived from them.
        body = re.sub(rb"(\b[a-z-]+_[A-Za-z]+__)[\w-]{5}", rb"\1HASH", body)
        return re.sub(rb'(css/|"buildId":")[\w-]{5}', rb"\1HASH", body)

    assert all(unhashed(a[path].body) == unhashed(b[path].body) for path in a)
    assert demo_site("a")[page].body == a[page].body  # deterministic


def test_views_offset_changes_only_the_counts() -> None:
    story = demo_stories()[0]
    version = story.versions["uk"]
    later = demo_site(views_offset=250)[version.path].body.decode()
    assert f"<!-- -->{version.views + 250}<!-- -->" in later
    assert version.headline in later
