"""End to end: real `scrapy crawl pravda` runs against a local mirror of a Pravda-style site.

The mirror serves the hand-written pages of tests/fixtures/pravda under their article
paths, the RSS feeds, the news sitemap and one view counter per article
(`/article/<id>/count-view.html`), some of which fail. Every assertion reads the
SQLite archive the crawl wrote.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from newscrawl.testing.mirror import Mirror, Resource, serve
from newscrawl.testing.redesign import redesigned_site
from spiders.pravda import PravdaSpider
from tests.conftest import crawl, rows

pytestmark = pytest.mark.timeout(300)

FIXTURES = Path(__file__).parent / "fixtures" / "pravda"
SITE = "https://www.pravda.com.ua"
HTML = "text/html; charset=utf-8"
TEXT = "text/plain; charset=utf-8"
XML = "application/xml; charset=utf-8"

UK = "/news/2025/02/05/7497001/"
EN = "/eng/news/2024/12/31/7491234/"
RU = "/rus/articles/2024/06/20/7461234/"
# Copies of the Ukrainian page under other ids, each with a counter that fails its own way.
COUNTER_404 = "/news/2025/02/05/7497011/"
COUNTER_500 = "/news/2025/02/05/7497012/"
COUNTER_GARBAGE = "/news/2025/02/05/7497013/"
COUNTER_SLOW = "/news/2025/02/05/7497014/"
FAILING = (COUNTER_404, COUNTER_500, COUNTER_GARBAGE, COUNTER_SLOW)
# Longer than the crawl's DOWNLOAD_TIMEOUT below.
SLOW_SECONDS = 3.0


def counter(path: str) -> str:
    return f"/article/{path.rstrip('/').rsplit('/', 1)[1]}/count-view.html"


def page(name: str, article_id: str = "") -> bytes:
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    if article_id:
        # Another article: its own id and headline (the same text would be a duplicate).
        html = html.replace("7497001", article_id).replace("новий міст", f"міст №{article_id}")
    return html.encode("utf-8")


def rss(*items: tuple[str, str]) -> bytes:
    entries = "".join(
        f"<item><title>t</title><link>{path if '://' in path else SITE + path}</link>"
        f"<pubDate>{date}</pubDate></item>"
        for path, date in items
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>Українська правда</title>{entries}</channel></rss>"
    ).encode()


def news_sitemap(*paths: str) -> bytes:
    urls = "".join(
        f"<url><loc>{SITE}{path}</loc><news:news><news:publication>"
        f"<news:name>Українська правда</news:name><news:language>uk</news:language>"
        f"</news:publication><news:publication_date>2024-06-20T08:15:00+03:00"
        f"</news:publication_date><news:title>t</news:title></news:news></url>"
        for path in paths
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        '<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9" '
        'xmlns:news="http://www.google.com/schemas/sitemap-news/0.9">'
        f"{urls}</urlset>"
    ).encode()


def pravda_site(robots: str = "User-agent: *\nAllow: /\n") -> dict[str, Resource]:
    site = {
        "/robots.txt": Resource(robots.encode(), TEXT),
        "/rss/view_news/": Resource(
            rss(
                (UK, "Wed, 05 Feb 2025 10:18:00 +0200"),
                # Not articles of this site: another site of the group, a section page.
                (
                    "https://www.epravda.com.ua/news/2025/02/05/1/",
                    "Wed, 05 Feb 2025 10:00:00 +0200",
                ),
                ("/news/", "Wed, 05 Feb 2025 09:00:00 +0200"),
            ),
            "application/rss+xml",
        ),
        "/eng/rss/view_news/": Resource(
            rss((EN, "Tue, 31 Dec 2024 23:50:00 +0200")), "application/rss+xml"
        ),
        "/rus/rss/view_news/": Resource(rss(), "application/rss+xml"),
        "/sitemap/sitemap-news.xml": Resource(news_sitemap(RU, UK, *FAILING), XML),
        UK: Resource(page("news_uk"), HTML),
        EN: Resource(page("news_en"), HTML),
        RU: Resource(page("article_ru"), HTML),
        counter(UK): Resource(b"15601\n", TEXT),
        counter(EN): Resource(b" 2 345 ", TEXT),
        # The Russian page shows 15601 itself; the counter is fresher and wins.
        counter(RU): Resource(b"777", TEXT),
        counter(COUNTER_500): Resource(b"Internal Server Error", TEXT, status=500),
        counter(COUNTER_GARBAGE): Resource(b"<html><body>Oops</body></html>", HTML),
        counter(COUNTER_SLOW): Resource(b"99", TEXT, delay=SLOW_SECONDS),
    }
    for path in FAILING:
        site[path] = Resource(page("news_uk", path.rstrip("/").rsplit("/", 1)[1]), HTML)
    return site


@dataclass
class PravdaCrawl:
    db: Path
    mirror: Mirror
    log: str
    returncode: int


def crawl_pravda(mirror: Mirror, db: Path, *args: str) -> PravdaCrawl:
    run = crawl(
        ["-a", f"base_url={mirror}", "-s", f"DOWNLOAD_TIMEOUT={SLOW_SECONDS - 1}", *args],
        db,
        spider="pravda",
    )
    return PravdaCrawl(db, mirror, run.log, run.returncode)


@pytest.fixture(scope="module")
def pravda_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PravdaCrawl]:
    db = tmp_path_factory.mktemp("pravda") / "news.db"
    with serve(pravda_site()) as mirror:
        yield crawl_pravda(mirror, db)


def views_by_url(db: Path) -> dict[str, int | None]:
    return {row["url"]: row["views"] for row in rows(db, "SELECT url, views FROM articles")}


# --- without a crawl ----------------------------------------------------------------


def test_counter_url_comes_from_the_page_script_or_the_url() -> None:
    spider = PravdaSpider()
    script = b"<script>fetch('/article/8015225/count-view.html', {mode: 'no-cors'})</script>"
    assert spider.counter_url(f"{SITE}/rus/articles/2026/01/08/8015225/", script) == (
        f"{SITE}/article/8015225/count-view.html"
    )
    assert spider.counter_url(f"{SITE}{UK}", b"<html></html>") == (
        f"{SITE}/article/7497001/count-view.html"
    )
    assert spider.counter_url(f"{SITE}/news/", b"<html></html>") is None


def test_languages_come_from_the_path_prefix() -> None:
    spider = PravdaSpider(languages="en")
    assert spider.language_of(f"{SITE}{RU}") == "ru"
    assert spider.language_of(f"{SITE}{EN}") == "en"
    assert spider.language_of(f"{SITE}{UK}") == "uk"
    assert spider._article_url(f"{SITE}{EN}") == f"{SITE}{EN}"
    assert spider._article_url(f"{SITE}{UK}") is None  # not a selected language
    assert spider._article_url("https://pravda.com.ua/eng/news/2024/12/31/7491234") == (
        f"{SITE}{EN}"
    )


# --- a full crawl -------------------------------------------------------------------


@pytest.mark.e2e
def test_every_article_is_archived_under_its_site_url(pravda_crawl: PravdaCrawl) -> None:
    assert pravda_crawl.returncode == 0, pravda_crawl.log[-3000:]
    assert "Traceback" not in pravda_crawl.log
    urls = {row["url"] for row in rows(pravda_crawl.db, "SELECT url FROM articles")}
    assert urls == {f"{SITE}{path}" for path in (UK, EN, RU, *FAILING)}
    sites = {row["site"] for row in rows(pravda_crawl.db, "SELECT site FROM articles")}
    assert sites == {"pravda.com.ua"}
    # The article in both the feed and the sitemap was fetched once.
    assert pravda_crawl.mirror.hits[UK] == 1


@pytest.mark.e2e
def test_views_come_from_the_counter_endpoint(pravda_crawl: PravdaCrawl) -> None:
    views = views_by_url(pravda_crawl.db)
    assert views[f"{SITE}{UK}"] == 15601
    assert views[f"{SITE}{EN}"] == 2345
    # Counted views win over the count the page shows (15601).
    assert views[f"{SITE}{RU}"] == 777
    snapshots = rows(pravda_crawl.db, "SELECT url, views FROM view_snapshots WHERE seen_on = url")
    assert {(s["url"], s["views"]) for s in snapshots} == {
        (f"{SITE}{UK}", 15601),
        (f"{SITE}{EN}", 2345),
        (f"{SITE}{RU}", 777),
    }
    assert pravda_crawl.mirror.hits[counter(UK)] == 1


@pytest.mark.e2e
def test_a_failed_counter_stores_the_article_without_views(pravda_crawl: PravdaCrawl) -> None:
    views = views_by_url(pravda_crawl.db)
    for path in FAILING:
        assert views[f"{SITE}{path}"] is None, path
    headlines = {
        row["url"]: row["headline"] for row in rows(pravda_crawl.db, "SELECT * FROM articles")
    }
    assert (
        headlines[f"{SITE}{COUNTER_SLOW}"] == "У Львові відкрили міст №7497014 для велосипедистів"
    )
    for path in FAILING:
        assert f"counter failed: {SITE}{counter(path)}" in pravda_crawl.log
    # Asked once each: a lost count is not worth retries.
    for path in FAILING:
        assert pravda_crawl.mirror.hits[counter(path)] == 1, path
    assert "ERROR" not in pravda_crawl.log


@pytest.mark.e2e
def test_articles_of_the_feeds_and_the_sitemap_keep_their_fields(
    pravda_crawl: PravdaCrawl,
) -> None:
    articles = {row["url"]: dict(row) for row in rows(pravda_crawl.db, "SELECT * FROM articles")}
    ru = articles[f"{SITE}{RU}"]
    assert ru["language"] == "ru"
    assert ru["published_at"] == "2024-06-20T08:15:00+03:00"
    en = articles[f"{SITE}{EN}"]
    assert en["language"] == "en"
    assert en["headline"] == "Kyiv metro to run until 01:00 on New Year's Eve"
    read_also = rows(
        pravda_crawl.db,
        "SELECT links.url, links.shown_at FROM links JOIN articles ON articles.id = article_id "
        "WHERE articles.url = ? AND kind = 'read_also' ORDER BY position",
        [f"{SITE}{UK}"],
    )
    assert [link["url"] for link in read_also] == [
        f"{SITE}/news/2025/02/04/7496900/",
        f"{SITE}/news/2025/02/03/7496801/",
        f"{SITE}/news/2025/02/01/7496555/",
    ]


@pytest.mark.e2e
def test_a_redesign_changes_nothing_the_spider_fetches(
    pravda_crawl: PravdaCrawl, tmp_path: Path
) -> None:
    """Feeds, the sitemap and the counter script are not bound to the page's classes."""
    # Every class and id renamed, JSON-LD gone; feeds, sitemap and counters unchanged.
    redesigned = redesigned_site(pravda_site(), drop_jsonld=True)
    with serve(redesigned) as mirror:
        done = crawl_pravda(mirror, tmp_path / "news.db")
    assert done.returncode == 0, done.log[-3000:]
    assert "Traceback" not in done.log
    # The same requests as for the site as it was: every article and its counter once.
    assert mirror.hits == pravda_crawl.mirror.hits
    assert all(mirror.hits[counter(path)] == 1 for path in (UK, EN, RU, *FAILING))


@pytest.mark.e2e
def test_counters_obey_robots_txt(tmp_path: Path) -> None:
    """The counter request passes the downloader middlewares, robots.txt included."""
    site = pravda_site(robots="User-agent: *\nDisallow: /article/\n")
    with serve(site) as mirror:
        done = crawl_pravda(mirror, tmp_path / "news.db", "-a", "languages=en")
    assert done.returncode == 0, done.log[-3000:]
    assert views_by_url(done.db) == {f"{SITE}{EN}": None}
    assert mirror.hits_under("/article/") == {}
    assert f"counter failed: {SITE}{counter(EN)}" in done.log
