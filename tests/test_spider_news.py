"""The generic spider `news`: discovery rules, and real `scrapy crawl news` runs.

The crawls read a local mirror of "City Herald", a made-up news site written for
these tests (tests/fixtures/news): a front page with a next page, an RSS and an
Atom feed, and a sitemap index of a Google News sitemap, a dated sitemap and an
undated one. `$site` in the fixtures is the site's address and `$other` another
site's, filled in when the mirror starts. Every assertion on a crawl reads the
SQLite archive it wrote, or the mirror's request counts.
"""

from __future__ import annotations

import gzip
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from string import Template

import pytest

from newscrawl.crawler.commands.crawl import joined_spider_args
from newscrawl.crawler.view_counters import counted_count, plain_count
from newscrawl.discovery.article_urls import looks_like_article
from newscrawl.discovery.sitemaps import is_sitemap, read_sitemap
from newscrawl.errors import SitemapError
from newscrawl.testing.mirror import Mirror, Resource, serve
from spiders.arguments import split_argument
from spiders.news import NewsSpider
from tests.conftest import crawl, rows
from tests.test_spider_pravda import EN as PRAVDA_EN
from tests.test_spider_pravda import SITE as PRAVDA
from tests.test_spider_pravda import pravda_site

pytestmark = pytest.mark.timeout(300)

FIXTURES = Path(__file__).parent / "fixtures" / "news"
SITE = "https://news.example"
HTML = "text/html; charset=utf-8"
XML = "application/xml; charset=utf-8"


@dataclass(frozen=True)
class Story:
    path: str
    headline: str
    author: str
    # Shown in the page as article:published_time; None: the page shows no date.
    published: str | None
    paragraphs: tuple[str, ...]
    # False: the page has no title of its own, only its feed or sitemap names it.
    shows_headline: bool = True


STORIES = (
    Story(
        "/2025/03/01/city-opens-new-library/",
        "The city opens a new library",
        "Anna Brook",
        "2025-03-01T09:30:00+02:00",
        (
            "The new central library opened its doors on the river bank, with room for "
            "two hundred readers and a hall for children's theatre.",
            "Its collection starts with eighty thousand books, a third of them donated by "
            "residents during the last two years of construction.",
        ),
    ),
    Story(
        "/2025/03/02/river-cleanup-begins/",
        "River cleanup begins",
        "Mark Stone",
        "2025-03-02T11:00:00+02:00",
        (
            "Volunteers and municipal workers started clearing the river banks of rubbish "
            "that the spring floods left behind.",
            "The organisers expect more than a thousand volunteers over the weekend and ask "
            "them to bring gloves and sturdy boots.",
        ),
    ),
    Story(
        "/2025/02/27/tram-line-extended-to-airport/",
        "Tram line extended to the airport",
        "Olga Field",
        "2025-02-27T08:00:00+02:00",
        (
            "Trams now run all the way to the airport terminal, after three years of "
            "construction and two changes of contractor.",
            "A ride from the central station takes thirty-five minutes and costs the same as "
            "any other ride in the city network.",
        ),
    ),
    Story(
        "/video/2025/03/02/mayor-interview-on-budget/",
        "Video: the mayor on the budget",
        "Mark Stone",
        "2025-03-02T19:00:00+02:00",
        (
            "In a long interview the mayor explained where the money for the new bridges "
            "and schools will come from next year.",
        ),
    ),
    Story(
        "/opinion/why-the-city-needs-more-benches",
        "Why the city needs more benches",
        "Peter Oak",
        "2025-03-02T20:00:00+02:00",
        (
            "Walk through the old town with an elderly relative and you will soon notice "
            "that there is nowhere to sit down and rest.",
            "Benches cost little, last for decades and turn streets into places where "
            "people stay rather than hurry through.",
        ),
        shows_headline=False,
    ),
    Story(
        "/politics/council-approves-the-budget",
        "Council approves the budget",
        "Anna Brook",
        None,
        (
            "The city council approved next year's budget after a nine-hour session, with "
            "the largest share going to schools and public transport.",
            "The opposition voted against it, saying the plan leaves too little for the "
            "repair of old housing blocks in the suburbs.",
        ),
        shows_headline=False,
    ),
    Story(
        "/2024/12/30/new-year-fireworks-cancelled/",
        "New Year fireworks cancelled",
        "Olga Field",
        "2024-12-30T12:00:00+02:00",
        (
            "The city will not hold its New Year fireworks this winter and will spend the "
            "money on heating points for the homeless instead.",
        ),
    ),
    Story(
        "/guides/how-to-rent-a-city-bike",
        "How to rent a city bike",
        "Peter Oak",
        "2024-05-10T10:00:00+03:00",
        (
            "City bikes stand at more than ninety stations; you unlock one with the city "
            "transport card or the mobile application.",
        ),
    ),
)
BY_PATH = {story.path: story for story in STORIES}
OTHER_SITE_PATH = "/2025/03/02/story-on-another-site/"
NOT_ARTICLES = ("/politics/", "/city/", "/about/", "/tag/library/", "/privacy/")


def article_page(story: Story, origin: str) -> bytes:
    meta = (
        f'<meta property="article:published_time" content="{story.published}">'
        if story.published
        else ""
    )
    shown = story.headline if story.shows_headline else None
    template = Template((FIXTURES / "article.html").read_text(encoding="utf-8"))
    return template.substitute(
        title=f"{shown} | City Herald" if shown else "City Herald",
        title_meta=f'<meta property="og:title" content="{shown}">' if shown else "",
        h1=f"<h1>{shown}</h1>" if shown else "",
        author=story.author,
        author_slug=story.author.lower().replace(" ", "-"),
        meta=meta,
        url=origin + story.path,
        paragraphs="\n    ".join(f"<p>{p}</p>" for p in story.paragraphs),
    ).encode("utf-8")


def fixture(name: str, site: str, other: str) -> bytes:
    text = (FIXTURES / name).read_text(encoding="utf-8")
    return Template(text).substitute(site=site, other=other).encode("utf-8")


def herald_site(site: str, other: str) -> dict[str, Resource]:
    """The City Herald mirror; `site` is the address its pages and feeds use for itself."""
    resources = {
        "/robots.txt": Resource(b"User-agent: *\nDisallow: /private/\n", "text/plain"),
        "/": Resource(fixture("front.html", site, other), HTML),
        "/page/2/": Resource(fixture("front-2.html", site, other), HTML),
        "/feed.rss": Resource(fixture("feed.rss", site, other), "application/rss+xml"),
        "/atom.xml": Resource(fixture("atom.xml", site, other), "application/atom+xml"),
        "/sitemap_index.xml": Resource(fixture("sitemap_index.xml", site, other), XML),
        "/sitemaps/news.xml": Resource(fixture("sitemap-news.xml", site, other), XML),
        # Served gzipped and as octet-stream, as sitemap.xml.gz files often are.
        "/sitemaps/2024.xml": Resource(
            gzip.compress(fixture("sitemap-2024.xml", site, other)), "application/octet-stream"
        ),
        "/sitemaps/guides.xml": Resource(fixture("sitemap-guides.xml", site, other), XML),
    }
    for story in STORIES:
        resources[story.path] = Resource(article_page(story, site), HTML)
    for path in NOT_ARTICLES:
        resources[path] = Resource(b"<html><body><a href='/'>City Herald</a></body></html>", HTML)
    return resources


@dataclass
class NewsCrawl:
    db: Path
    mirror: Mirror
    log: str
    returncode: int

    def articles(self) -> dict[str, dict[str, object]]:
        return {row["url"]: dict(row) for row in rows(self.db, "SELECT * FROM articles")}


def crawl_news(mirror: Mirror, db: Path, *args: str) -> NewsCrawl:
    run = crawl(list(args), db, spider="news")
    return NewsCrawl(db, mirror, run.log, run.returncode)


@pytest.fixture(scope="module")
def herald_mirror() -> Iterator[Mirror]:
    """The site as https://news.example, fetched through base_url."""
    resources: dict[str, Resource] = {}
    with serve(resources) as mirror:
        resources.update(herald_site(SITE, "https://other.example"))
        yield mirror


@pytest.fixture(scope="module")
def feeds_and_sitemap_crawl(
    herald_mirror: Mirror, tmp_path_factory: pytest.TempPathFactory
) -> NewsCrawl:
    db = tmp_path_factory.mktemp("news-feeds") / "news.db"
    return crawl_news(
        herald_mirror,
        db,
        # Repeated and comma-separated arguments mean the same.
        *("-a", f"feed={SITE}/feed.rss", "-a", f"feed={SITE}/atom.xml"),
        *("-a", f"sitemap={SITE}/sitemap_index.xml", "-a", f"base_url={herald_mirror}"),
    )


@pytest.fixture(scope="module")
def start_page_crawl(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NewsCrawl]:
    """The site under the mirror's own address, from its front page, no base_url."""
    db = tmp_path_factory.mktemp("news-start") / "news.db"
    resources: dict[str, Resource] = {}
    with serve(resources) as mirror:
        # "localhost" reaches the same server, but it is another site for the crawler.
        other = mirror.replace("127.0.0.1", "localhost")
        resources.update(herald_site(mirror, other))
        yield crawl_news(mirror, db, "-a", f"start={mirror}/", "-a", "deny=/video/")


# --- discovery rules, without a crawl -------------------------------------------------


def test_article_links_are_told_from_other_links() -> None:
    for path in (*(s.path for s in STORIES), "/news/1234567", "/world/a-b-c-12345.html"):
        assert looks_like_article(SITE + path), path
    for path in (*NOT_ARTICLES, "/", "/images/library-opening-day.jpg", "/page/2/", "/city"):
        assert not looks_like_article(SITE + path), path


def test_arguments_split_on_commas_outside_brackets() -> None:
    assert split_argument("a, b,,c") == ["a", "b", "c"]
    assert split_argument(r"/\d{4,5}/,/(a|b)/") == [r"/\d{4,5}/", "/(a|b)/"]
    assert split_argument(r"a\,b") == ["a,b"]
    assert split_argument(["a,b", "c"]) == ["a", "b", "c"]
    assert split_argument(None) == []
    assert joined_spider_args(["feed=A", "feed=B", "deny=x", "base_url=u"]) == {"feed": "A,B"}


def test_the_site_and_its_domains_come_from_the_arguments() -> None:
    spider = NewsSpider(feed="https://rss.example.com/feed.xml", start="https://www.example.com/")
    assert spider.site_url == "https://rss.example.com"
    assert spider.allowed_domains == ["example.com"]
    assert spider._article_url("https://www.example.com/2025/01/01/a/") == (
        "https://www.example.com/2025/01/01/a/"
    )
    assert spider._article_url("https://example.org/2025/01/01/a/") is None

    mirrored = NewsSpider(feed=f"{SITE}/feed.rss", base_url="http://127.0.0.1:8000")
    assert mirrored.site_url == SITE
    assert mirrored.allowed_domains == ["127.0.0.1"]
    assert mirrored.fetch_url_of(f"{SITE}/feed.rss") == "http://127.0.0.1:8000/feed.rss"
    assert mirrored._article_url("http://127.0.0.1:8000/2025/03/01/x/") == f"{SITE}/2025/03/01/x/"

    # Paths with a mirror: the mirror is the site.
    own = NewsSpider(start="/", base_url="http://127.0.0.1:8000/")
    assert own.site_url == "http://127.0.0.1:8000"


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ({}, "at least one of"),
        ({"feed": "/rss.xml"}, "give full URLs"),
        ({"feed": "ftp://example.com/rss"}, "neither"),
        ({"start": "https://a.example/", "deny": "(unclosed"}, "not a regular expression"),
        (
            {"feed": "https://a.com/rss,https://b.com/rss", "base_url": "http://127.0.0.1:1"},
            "one site",
        ),
        ({"start": "https://a.example/", "languages": "en"}, "no languages"),
    ],
)
def test_bad_arguments_get_a_clear_error(arguments: dict[str, str], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        NewsSpider(**arguments)


def test_sitemaps_give_their_news_fields() -> None:
    sitemap = read_sitemap(fixture("sitemap-news.xml", SITE, ""))
    assert not sitemap.is_index
    first = sitemap.entries[0]
    assert first.url == f"{SITE}/politics/council-approves-the-budget"
    assert first.title == "Council approves the budget"  # not the image:title before it
    assert first.published_at == datetime.fromisoformat("2025-03-02T16:45:00+02:00")
    index = read_sitemap(gzip.compress(fixture("sitemap_index.xml", SITE, "")))
    assert index.is_index
    assert [e.url.rsplit("/", 1)[1] for e in index.entries] == [
        "2024.xml",
        "news.xml",
        "guides.xml",
    ]
    assert index.entries[2].lastmod is None
    assert is_sitemap(gzip.compress(fixture("sitemap_index.xml", SITE, "")))
    for not_a_sitemap in (b"<html><body>404</body></html>", b"", fixture("feed.rss", SITE, "")):
        with pytest.raises(SitemapError):
            read_sitemap(not_a_sitemap)
        assert not is_sitemap(not_a_sitemap)


def test_plain_counters() -> None:
    assert plain_count(b"15601\n") == 15601
    assert plain_count(b" 2 345 ") == 2345
    assert plain_count(b"1,2 \xd1\x82\xd0\xb8\xd1\x81.") == 1200  # "1,2 тис."
    for garbage in (b"", b"<html>Oops</html>", b"views", b"12" * 100):
        assert plain_count(garbage) is None


@pytest.mark.parametrize(
    ("answer", "count"),
    [
        (b"15601", 15601),
        (b'{"views": 15601}', 15601),
        (b'{"ok": true, "data": {"count": "42"}}', 42),
        (b'{"Views": 7, "id": 99}', 7),
        (b'{"status": "ok", "id": 5}', None),
        (b'{"views": -3}', None),
        (b'{"views": true}', None),
        (b"{not json", None),
        (b"[15601]", None),
    ],
)
def test_counter_answers_in_plain_text_or_json(answer: bytes, count: int | None) -> None:
    assert counted_count(answer) == count


# --- feeds and sitemaps, through a mirror ---------------------------------------------


@pytest.mark.e2e
def test_feeds_and_sitemaps_archive_the_site_under_its_own_urls(
    feeds_and_sitemap_crawl: NewsCrawl,
) -> None:
    done = feeds_and_sitemap_crawl
    assert done.returncode == 0, done.log[-3000:]
    assert "Traceback" not in done.log
    expected = {
        "/2025/03/01/city-opens-new-library/",  # RSS and the news sitemap: fetched once
        "/2025/03/02/river-cleanup-begins/",  # RSS
        "/opinion/why-the-city-needs-more-benches",  # Atom
        "/politics/council-approves-the-budget",  # Google News sitemap
        "/2024/12/30/new-year-fireworks-cancelled/",  # a dated sitemap of the index, gzipped
        "/guides/how-to-rent-a-city-bike",  # an undated sitemap of the index
    }
    articles = done.articles()
    assert set(articles) == {SITE + path for path in expected}
    assert {row["site"] for row in articles.values()} == {"news.example"}
    for url, row in articles.items():
        story = BY_PATH[url.removeprefix(SITE)]
        assert row["headline"] == story.headline
        assert story.paragraphs[0] in str(row["body"])
    assert done.mirror.hits["/2025/03/01/city-opens-new-library/"] == 1
    # Never asked for: the other site's article, pages no feed or sitemap lists.
    assert done.mirror.hits[OTHER_SITE_PATH] == 0
    assert done.mirror.hits_under("/video/") == {}


@pytest.mark.e2e
def test_a_news_sitemap_date_stands_in_for_a_page_without_one(
    feeds_and_sitemap_crawl: NewsCrawl,
) -> None:
    row = feeds_and_sitemap_crawl.articles()[f"{SITE}/politics/council-approves-the-budget"]
    assert row["published_source"] == "feed"
    assert datetime.fromisoformat(str(row["published_at"])) == datetime.fromisoformat(
        "2025-03-02T16:45:00+02:00"
    )


@pytest.mark.e2e
@pytest.mark.parametrize(
    "path", ["/politics/council-approves-the-budget", "/opinion/why-the-city-needs-more-benches"]
)
def test_a_feed_or_news_sitemap_title_stands_in_for_a_page_without_one(
    feeds_and_sitemap_crawl: NewsCrawl, path: str
) -> None:
    # news:title in the Google News sitemap, <title> of the Atom entry; the page's own
    # <title> is the site's name alone and no headline.
    row = feeds_and_sitemap_crawl.articles()[SITE + path]
    assert row["headline"] == BY_PATH[path].headline


@pytest.mark.e2e
def test_a_second_run_skips_older_dated_sitemaps(
    feeds_and_sitemap_crawl: NewsCrawl, herald_mirror: Mirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    for suffix in ("", "-wal", "-shm"):
        if Path(f"{feeds_and_sitemap_crawl.db}{suffix}").exists():
            shutil.copy(f"{feeds_and_sitemap_crawl.db}{suffix}", f"{db}{suffix}")
    before = dict(herald_mirror.hits)
    again = crawl_news(
        herald_mirror,
        db,
        "-a",
        f"sitemap={SITE}/sitemap_index.xml",
        "-a",
        f"base_url={herald_mirror}",
    )
    assert again.returncode == 0, again.log[-3000:]
    hits = {path: n - before.get(path, 0) for path, n in herald_mirror.hits.items()}
    # The newest sitemap lists only archived articles: the older dated one is skipped,
    # the undated one is read (nothing tells whether it is new).
    assert hits["/sitemaps/news.xml"] == 1
    assert hits.get("/sitemaps/2024.xml", 0) == 0
    assert hits["/sitemaps/guides.xml"] == 1
    assert "incremental crawl" in again.log


@pytest.mark.e2e
def test_allow_limits_the_articles_of_feeds_and_sitemaps(
    herald_mirror: Mirror, tmp_path: Path
) -> None:
    done = crawl_news(
        herald_mirror,
        tmp_path / "news.db",
        *("-a", f"feed={SITE}/feed.rss,{SITE}/atom.xml", "-a", f"sitemap={SITE}/sitemap_index.xml"),
        *("-a", r"allow=/2025/\d{2}/0[12]/", "-a", f"base_url={herald_mirror}"),
    )
    assert done.returncode == 0, done.log[-3000:]
    assert set(done.articles()) == {
        f"{SITE}/2025/03/01/city-opens-new-library/",
        f"{SITE}/2025/03/02/river-cleanup-begins/",
    }


# --- start pages, the mirror's own URLs ---------------------------------------------------


@pytest.mark.e2e
def test_start_pages_archive_the_articles_they_link(start_page_crawl: NewsCrawl) -> None:
    done = start_page_crawl
    assert done.returncode == 0, done.log[-3000:]
    assert "Traceback" not in done.log
    origin = str(done.mirror)
    articles = done.articles()
    # The next page was followed; the tracking parameter is gone.
    assert set(articles) == {
        origin + "/2025/03/01/city-opens-new-library/",
        origin + "/2025/03/02/river-cleanup-begins/",
        origin + "/2025/02/27/tram-line-extended-to-airport/",
    }
    assert {row["site"] for row in articles.values()} == {"127.0.0.1"}
    assert done.mirror.hits["/page/2/"] == 1


@pytest.mark.e2e
def test_start_pages_honour_deny_and_the_site_limits(start_page_crawl: NewsCrawl) -> None:
    hits = start_page_crawl.mirror.hits
    assert hits_of(hits, "/video/") == 0  # deny=/video/
    assert hits[OTHER_SITE_PATH] == 0  # on http://localhost:<port>, another site
    for path in (*NOT_ARTICLES, "/images/library-opening-day.jpg"):
        assert hits[path] == 0, path


@pytest.mark.e2e
def test_a_second_run_stops_at_a_start_page_of_archived_articles(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    resources: dict[str, Resource] = {}
    with serve(resources) as mirror:
        resources.update(herald_site(mirror, mirror.replace("127.0.0.1", "localhost")))
        first = crawl_news(mirror, db, "-a", f"start={mirror}/", "-a", "deny=/video/")
        second = crawl_news(mirror, db, "-a", f"start={mirror}/", "-a", "deny=/video/")
    assert first.returncode == second.returncode == 0
    # Page 1 lists only archived articles on the second run: page 2 is read once in all.
    assert mirror.hits["/page/2/"] == 1
    assert "incremental crawl" in second.log


def hits_of(hits: dict[str, int], prefix: str) -> int:
    return sum(n for path, n in hits.items() if path.startswith(prefix))


# --- a site with its own parser and counter ---------------------------------------------


@pytest.mark.e2e
def test_a_site_parser_and_its_counter_serve_the_news_spider(tmp_path: Path) -> None:
    with serve(pravda_site()) as mirror:
        done = crawl_news(
            mirror,
            tmp_path / "news.db",
            "-a",
            f"feed={PRAVDA}/eng/rss/view_news/",
            "-a",
            f"base_url={mirror}",
        )
    assert done.returncode == 0, done.log[-3000:]
    row = done.articles()[PRAVDA + PRAVDA_EN]
    assert row["site"] == "pravda.com.ua"
    assert row["headline"] == "Kyiv metro to run until 01:00 on New Year's Eve"
    # The count of Pravda's counter endpoint, declared by the pravda spider.
    assert row["views"] == 2345
