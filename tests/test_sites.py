"""Every registered outlet, fundus-style: one parametrized test per site, no code per site.

Each outlet of the registry (the hand-parsed sites of `HAND_PARSED` and the
declared outlets of the bundled catalogue) is checked for consistency: its
`Site`, its spider, its parser. A site with a fixture folder,
tests/fixtures/<site name>/, also has

- ``cases.toml`` giving every ``*.html`` page its URL and fetch time
  (tests/site_fixtures.py);
- a golden file per page, ``golden/v<parser VERSION>/<page>.json``: what the
  archive gets from the page (`article_of_html`: the site's rules, then the
  generic reading for what they leave empty), reviewed field by field;
- an end-to-end crawl of a local mirror serving its article pages and a feed
  generated from the cases.

So a hand-parsed site is its parser module, one line of `HAND_PARSED` and its
fixtures; a declared outlet is one catalogue or sources-file entry, and
fixtures if it has any. After a deliberate output change, regenerate every
golden with

    NEWSCRAWL_REGEN_GOLDEN=1 python -m pytest tests/test_sites.py -k golden

and review `git diff tests/fixtures/*/golden` field by field before committing.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from email.utils import format_datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from xml.sax.saxutils import escape

import pytest

from newscrawl.parsing import article_of_html, parser_for
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.generic import GenericParser
from newscrawl.runs.project import project_settings
from newscrawl.sites.registry import SiteRegistry, activate, active_registry, registry_of_settings
from newscrawl.sites.sources import site_problem
from newscrawl.sites.spec import Site
from newscrawl.testing.mirror import Resource
from spiders.registry import SiteSpiderLoader
from spiders.site import SiteSpider
from tests.conftest import StartMirror, crawl, rows
from tests.golden import assert_matches_golden
from tests.site_fixtures import (
    FIXTURES,
    REGENERATE_GOLDEN,
    Case,
    fixture_folder,
    fixture_pages,
    site_cases,
)

REGISTRY = registry_of_settings(project_settings())
SITES = {site.name: site for site in REGISTRY}
# The registered sites with a fixture folder. Other folders of tests/fixtures
# (generic, news) hold pages of no registered outlet and have tests of their own.
FIXTURED = sorted(name for name in SITES if fixture_folder(name).is_dir())
CASES = [(site, name) for site in FIXTURED for name in sorted(site_cases(site))]
HTML = "text/html; charset=utf-8"


@pytest.fixture(autouse=True)
def _project_registry() -> Iterator[SiteRegistry]:
    """`parser_for` and `article_of_html` read the project's registry, whatever another
    test in this process activated; that one is back afterwards."""
    before = active_registry()
    yield activate(REGISTRY)
    activate(before)


def parser_of(site: Site) -> SiteParser:
    return REGISTRY.parser_of(site)


def golden_path(site: Site, name: str) -> Path:
    """Where a fixture's golden is: one folder per parser version, as fundus keeps them."""
    return fixture_folder(site.name) / "golden" / f"v{parser_of(site).VERSION}" / f"{name}.json"


def golden_of(site: Site, name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(golden_path(site, name).read_text(encoding="utf-8"))
    return data


def article_cases(site: Site) -> list[Case]:
    """The site's fixtures the archive keeps as articles: those whose golden has a headline
    (listings and error pages have none, and validation drops such pages)."""
    return [
        case
        for name, case in sorted(site_cases(site.name).items())
        if golden_path(site, name).exists() and golden_of(site, name)["headline"]
    ]


def test_the_registry_has_hand_parsed_and_declared_sites() -> None:
    kinds = {site.kind for site in SITES.values()}
    assert kinds == {"hand-parsed", "declared"}
    # Some declared outlet is covered by fixtures too, not only the hand-parsed sites.
    assert {SITES[name].kind for name in FIXTURED} == {"hand-parsed", "declared"}


# --------------------------------------------------------------- fixtures and goldens


def test_every_fixture_folder_with_cases_is_of_a_registered_site() -> None:
    folders = {path.parent.name for path in FIXTURES.glob("*/cases.toml")}
    assert folders - set(SITES) == set()


@pytest.mark.parametrize("site_name", FIXTURED)
def test_every_fixture_page_has_a_case_and_a_golden(site_name: str) -> None:
    pages = fixture_pages(site_name)
    assert pages, f"tests/fixtures/{site_name}/ holds no *.html page"
    assert set(site_cases(site_name)) == pages, "cases.toml must list exactly the *.html pages"
    if not REGENERATE_GOLDEN:
        folder = golden_path(SITES[site_name], "x").parent
        assert {path.stem for path in folder.glob("*.json")} == pages


@pytest.mark.parametrize(("site_name", "name"), CASES, ids=[f"{s}-{n}" for s, n in CASES])
def test_golden(site_name: str, name: str) -> None:
    site, case = SITES[site_name], site_cases(site_name)[name]
    article = article_of_html(case.html(), case.url, case.fetched_at)
    assert article.parser == parser_of(site).provenance
    assert_matches_golden(article.to_dict(), golden_path(site, name), regenerate=REGENERATE_GOLDEN)


# ------------------------------------------------------------ every registered site


@pytest.fixture(scope="module")
def spider_loader() -> SiteSpiderLoader:
    loader = SiteSpiderLoader.from_settings(project_settings())
    assert isinstance(loader, SiteSpiderLoader)
    return loader


@pytest.mark.parametrize("site_name", sorted(SITES))
def test_site_is_consistent(site_name: str) -> None:
    site = SITES[site_name]
    assert site_problem(site) is None
    assert site.evidence.strip(), "say where the site's URLs come from"
    assert site.declared_in


@pytest.mark.parametrize("site_name", sorted(SITES))
def test_site_has_its_spider(site_name: str, spider_loader: SiteSpiderLoader) -> None:
    site = SITES[site_name]
    spider = spider_loader.load(site_name)
    assert issubclass(spider, SiteSpider)
    assert spider.site_spec is site
    assert spider.name == site_name
    assert tuple(spider.allowed_domains) == site.all_domains


def page_url_of(site: Site) -> str:
    """A URL of one of the site's pages: under its first start or listing path (an outlet
    may be only a section of a domain it shares), else under its home."""
    for kind in ("starts", "listings"):
        for location in site.locations(kind):
            if location.startswith("/"):
                return site.home + location.rstrip("/") + "/x"
    return site.home + "/x"


@pytest.mark.parametrize("site_name", sorted(SITES))
def test_site_pages_get_its_parser(site_name: str) -> None:
    site = SITES[site_name]
    parser = parser_for(page_url_of(site))
    assert parser is parser_of(site)
    assert parser.site is site
    if site.parser is None:
        assert type(parser) is GenericParser
    else:
        assert type(parser) is site.parser
        # Its own name and version, not the base class's: they make the rows' provenance.
        assert "NAME" in vars(site.parser) and site.parser.NAME
        assert "VERSION" in vars(site.parser) and site.parser.VERSION
        assert site.parser.NAME != GenericParser.NAME


def test_hand_parsed_sites_have_distinct_parser_names() -> None:
    names = [site.parser.NAME for site in SITES.values() if site.parser is not None]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("site_name", sorted(SITES))
def test_site_locations_are_on_its_domains(site_name: str) -> None:
    """Feeds, sitemaps, listings and starts are paths or http(s) URLs of hosts the site
    claims: the spider fetches only those, and a mirror serves only those."""
    site = SITES[site_name]
    for kind in ("feeds", "sitemaps", "listings", "starts"):
        for location in site.locations(kind):
            parts = urlsplit(location)
            if location.startswith("/"):
                continue
            assert parts.scheme in ("http", "https"), f"{kind}: {location}"
            assert site.claims_host(parts.hostname or ""), (
                f"{kind}: {location} is on a host the site does not claim; add it to domains"
            )


@pytest.mark.parametrize("site_name", FIXTURED)
def test_fixture_urls_are_the_sites(site_name: str) -> None:
    site = SITES[site_name]
    for case in site_cases(site_name).values():
        assert site.claims_host(urlsplit(case.url).hostname or ""), case.name
        assert REGISTRY.site_of_url(case.url) is site, case.name
        assert site.language_of_url(case.url) in site.languages, case.name
    for case in article_cases(site):
        assert site.is_article_url(case.url), f"{case.name}: {case.url} is no article_path URL"
        # The language the URL names is the one the page reads as.
        assert golden_of(site, case.name)["language"] == site.language_of_url(case.url), case.name


# ------------------------------------------------------------ a crawl of the fixtures


def rss_of(cases: list[Case]) -> bytes:
    """An RSS 2.0 feed listing the cases' URLs, dated by their fetch times."""
    items = "".join(
        f"<item><link>{escape(case.url)}</link>"
        f"<pubDate>{format_datetime(case.fetched_at)}</pubDate></item>"
        for case in cases
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?><rss version="2.0"><channel>'
        f"<title>fixtures</title>{items}</channel></rss>"
    ).encode()


def sitemap_of(cases: list[Case]) -> bytes:
    """A sitemap listing the cases' URLs."""
    urls = "".join(f"<url><loc>{escape(case.url)}</loc></url>" for case in cases)
    return (
        '<?xml version="1.0" encoding="UTF-8"?>'
        f'<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">{urls}</urlset>'
    ).encode()


def mirror_path(url: str) -> str:
    """The path (and query) a mirror serves a site URL at: base_url rewrites every host
    the site claims to the mirror, keeping path and query."""
    parts = urlsplit(url)
    return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")


def location_path(site: Site, location: str) -> str:
    """The mirror path of one of the site's feeds or sitemaps, a path or a URL."""
    return mirror_path(location if "://" in location else site.home + location)


@pytest.mark.e2e
@pytest.mark.timeout(300)
@pytest.mark.parametrize("site_name", FIXTURED)
def test_a_crawl_of_the_fixtures_archives_each_article(
    site_name: str, start_mirror: StartMirror, tmp_path: Path
) -> None:
    site = SITES[site_name]
    parser = parser_of(site)
    cases = article_cases(site)
    assert cases, f"{site_name} has no article fixture"
    # The spider asks for the canonical form of each listed URL. Fixtures that are
    # copies of one article (its AMP copy, a redeploy of the same URL) are served
    # once: the fixture fetched as it is archived first, then by name.
    served: dict[str, Case] = {}
    for case in sorted(cases, key=lambda c: (parser.canonical_url(c.url) != c.url, c.name)):
        served.setdefault(mirror_path(parser.canonical_url(case.url)), case)
    resources = {path: Resource(case.html().encode(), HTML) for path, case in served.items()}
    # The languages the fixtures are in; the spider skips URLs of the others.
    in_fixtures = {site.language_of_url(case.url) for case in cases}
    languages = tuple(language for language in site.languages if language in in_fixtures)
    # One generated feed at the first feed location of those languages, listing
    # every article (the spider does not ask which feed an URL came from); a site
    # without feeds gets a sitemap instead.
    feeds = site.locations("feeds", languages)
    if feeds:
        listing = location_path(site, feeds[0])
        resources[listing] = Resource(rss_of(cases), "application/rss+xml")
    else:
        listing = location_path(site, site.locations("sitemaps", languages)[0])
        resources[listing] = Resource(sitemap_of(cases), "application/xml")
    mirror = start_mirror(resources)
    db = tmp_path / "news.db"

    run = crawl(
        [
            "-a", f"base_url={mirror}",
            "-a", f"languages={','.join(languages)}",
            "-s", "ROBOTSTXT_OBEY=False",
        ],
        db,
        spider=site_name,
    )  # fmt: skip

    assert run.returncode == 0, run.log[-3000:]
    # The feed (or sitemap) was read from the mirror, wherever the site declares it.
    assert mirror.hits[listing] == 1, run.log[-3000:]
    assert all(mirror.hits[path] == 1 for path in served), dict(mirror.hits)
    found = rows(db, "SELECT url, site, parser, headline FROM articles ORDER BY url")
    expected = sorted(
        (golden["url"], site.domain, parser.provenance, golden["headline"])
        for golden in (golden_of(site, case.name) for case in served.values())
    )
    assert [tuple(row) for row in found] == expected, run.log[-3000:]
