"""The site registry: which outlet a URL is of, and the parser each outlet gets."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.errors import SourcesError
from newscrawl.parsing import article_of_html, parser_for
from newscrawl.parsing.generic import GenericParser
from newscrawl.parsing.pravda import PRAVDA, PravdaParser
from newscrawl.parsing.unn import UNN
from newscrawl.runs.project import project_settings
from newscrawl.sites.registry import (
    SiteRegistry,
    activate,
    active_registry,
    bundled_sites,
    hand_parsed_sites,
    registry_of_settings,
)
from newscrawl.sites.spec import Site
from spiders.pravda import PravdaSpider
from spiders.registry import SiteSpiderLoader
from spiders.site import SiteSpider, spider_class_for

FETCHED = datetime(2026, 7, 1, 12, 0, tzinfo=UTC)


def registry_of(tmp_path: Path, toml: str) -> SiteRegistry:
    path = tmp_path / "sources.toml"
    path.write_text(toml, encoding="utf-8")
    return registry_of_settings(project_settings({"NEWSCRAWL_SOURCES": str(path)}))


@pytest.fixture
def declared(tmp_path: Path) -> Iterator[SiteRegistry]:
    """A registry with one declared outlet, active for the parsers; restored after."""
    before = active_registry()
    registry = registry_of(
        tmp_path,
        """
[outlets.gazeta]
title = "Газета"
home = "https://www.gazeta.example"
languages = ["uk", "ru"]
url_languages = { ru = "ru" }
feeds = ["/rss"]
""",
    )
    activate(registry)
    yield registry
    activate(before)


def page(date_attribute: str, lang: str = "uk") -> str:
    paragraphs = "".join(
        f"<p>Рада ухвалила зміни до бюджету, абзац {n}: депутати підтримали документ.</p>"
        for n in range(6)
    )
    return (
        f'<html lang="{lang}"><head><title>Бюджет</title></head><body><article>'
        f"<h1>Рада ухвалила зміни до бюджету</h1><time {date_attribute}></time>"
        f"{paragraphs}</article></body></html>"
    )


def test_a_url_is_of_the_outlet_whose_domain_holds_its_host() -> None:
    registry = active_registry()
    assert registry.site_of_url("https://unn.ua/news/x") is registry.named("unn")
    assert registry.site_of_url("https://www.UNN.ua/en/news/x") is registry.named("unn")
    assert registry.site_of_url("https://notunn.ua/news/x") is None
    # The longest domain wins: a sister site on a subdomain is its own outlet.
    life = registry.site_of_url("https://life.pravda.com.ua/society/x")
    assert life is not None and life.name != "pravda"


def test_an_outlet_that_is_one_section_claims_only_its_paths() -> None:
    site = active_registry().site_of_url("https://www.bbc.com/ukrainian/articles/c0000000")
    assert site is not None and site.paths
    assert active_registry().site_of_url("https://www.bbc.com/news/world-1") is None
    assert parser_for("https://www.bbc.com/news/world-1").site is None


def test_hand_parsed_sites_get_their_parser_told_their_site() -> None:
    parser = parser_for("https://www.pravda.com.ua/news/2026/01/08/8015225/")
    assert isinstance(parser, PravdaParser) and parser.site is PRAVDA
    assert parser.domain == "pravda.com.ua"
    # Made without a Site, a site parser still finds its own.
    assert PravdaParser().site is PRAVDA


def test_a_declared_outlet_gets_the_generic_parser_told_its_site(declared: SiteRegistry) -> None:
    parser = parser_for("https://gazeta.example/news/1")
    assert isinstance(parser, GenericParser)
    assert parser.site is declared.named("gazeta")
    article = article_of_html(
        page('datetime="2026-06-30T09:15:00"'), "https://gazeta.example/news/1", FETCHED
    )
    assert article.site == "gazeta.example"
    assert article.parser == f"generic/{GenericParser.VERSION}"
    # A time without an offset is the outlet's (Kyiv) time, kept in its zone.
    assert article.published_at == datetime(2026, 6, 30, 6, 15, tzinfo=UTC)
    assert article.published_at is not None
    assert article.published_at.utcoffset() == timedelta(hours=3)


def test_without_an_outlet_a_time_without_offset_stays_utc() -> None:
    article = article_of_html(
        page('datetime="2026-06-30T09:15:00"'), "https://elsewhere.example/news/1", FETCHED
    )
    assert article.site == "elsewhere.example"
    assert article.published_at == datetime(2026, 6, 30, 9, 15, tzinfo=UTC)
    assert article.published_at is not None and article.published_at.utcoffset() == timedelta(0)


def test_a_declared_outlets_url_prefix_names_the_language(declared: SiteRegistry) -> None:
    site = declared.named("gazeta")
    assert site is not None
    assert site.language_of_url("https://gazeta.example/ru/news/1") == "ru"
    assert site.language_of_url("https://gazeta.example/news/1") == "uk"


def test_two_outlets_claiming_one_domain_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match=r"'unn\.ua' is claimed by both 'copy' .* and 'unn'"):
        registry_of(
            tmp_path,
            '[outlets.copy]\nhome = "https://unn.ua"\nlanguages = ["uk"]\nfeeds = ["/rss"]\n',
        )


def test_outlets_share_a_domain_only_under_different_paths(tmp_path: Path) -> None:
    registry = registry_of(
        tmp_path,
        """
catalogue = false
[outlets.one]
home = "https://portal.example"
paths = ["/one"]
languages = ["uk"]
feeds = ["/one/rss"]
[outlets.two]
home = "https://portal.example"
paths = ["/two"]
languages = ["uk"]
feeds = ["/two/rss"]
""",
    )
    assert registry.site_of_url("https://portal.example/two/x") is registry.named("two")
    assert registry.site_of_url("https://portal.example/one") is registry.named("one")
    assert registry.site_of_url("https://portal.example/three/x") is None


def test_catalogue_false_keeps_only_the_hand_parsed_sites(tmp_path: Path) -> None:
    registry = registry_of(tmp_path, "catalogue = false\n")
    assert [site.name for site in registry] == sorted(hand_parsed_sites())
    assert len(bundled_sites()) > len(registry)


def test_a_sources_file_changes_a_hand_parsed_site_but_not_its_parser(tmp_path: Path) -> None:
    registry = registry_of(tmp_path, '[outlets.unn]\ninterval = "5m"\nenabled = false\n')
    unn = registry.named("unn")
    assert isinstance(unn, Site) and unn.parser is UNN.parser
    assert unn.interval == timedelta(minutes=5) and not unn.enabled
    assert unn not in registry.enabled()
    with pytest.raises(SourcesError, match="outlet 'unn', field 'parser'"):
        registry_of(tmp_path, '[outlets.unn]\nparser = "generic"\n')


# --- spiders: one per outlet --------------------------------------------------------


def loader_of(tmp_path: Path, toml: str) -> SiteSpiderLoader:
    path = tmp_path / "sources.toml"
    path.write_text(toml, encoding="utf-8")
    return SiteSpiderLoader(project_settings({"NEWSCRAWL_SOURCES": str(path)}))


def test_every_outlet_has_a_spider_of_its_name_and_the_generic_one_stays(tmp_path: Path) -> None:
    loader = loader_of(
        tmp_path,
        '[outlets.gazeta]\nhome = "https://gazeta.example"\nlanguages = ["uk"]\n'
        'feeds = ["/rss"]\npoliteness = { DOWNLOAD_DELAY = 3.0 }\n',
    )
    sources = str(tmp_path / "sources.toml")
    registry = registry_of_settings(project_settings({"NEWSCRAWL_SOURCES": sources}))
    assert set(loader.list()) == {site.name for site in registry} | {"news"}
    gazeta = loader.load("gazeta")
    assert issubclass(gazeta, SiteSpider) and gazeta.site_spec is registry.named("gazeta")
    assert gazeta.allowed_domains == ("gazeta.example",)
    # Politeness overrides apply at spider priority, over the project's settings.
    assert gazeta.custom_settings == {"DOWNLOAD_DELAY": 3.0}
    # Pravda keeps its coded spider, told the registry's Site.
    assert issubclass(loader.load("pravda"), PravdaSpider)


def test_a_changed_hand_parsed_site_keeps_its_coded_spider(tmp_path: Path) -> None:
    loader = loader_of(tmp_path, "[outlets.pravda]\npoliteness = { DOWNLOAD_DELAY = 5.0 }\n")
    spider = loader.load("pravda")
    assert issubclass(spider, PravdaSpider) and spider.site_spec is not PRAVDA
    assert spider.custom_settings == {"DOWNLOAD_DELAY": 5.0}


def test_an_outlet_named_like_a_coded_spider_is_an_error(tmp_path: Path) -> None:
    with pytest.raises(SourcesError, match=r"outlet 'news'.*rename the outlet"):
        loader_of(
            tmp_path,
            '[outlets.news]\nhome = "https://news.example"\nlanguages = ["en"]\nfeeds = ["/rss"]\n',
        )


def test_a_site_spider_takes_article_urls_on_every_domain_of_its_outlet() -> None:
    unian = active_registry().named("unian")
    assert unian is not None and len(unian.all_domains) > 1
    spider = spider_class_for(unian)()
    for domain in unian.all_domains:
        assert spider._is_site_host(f"www.{domain}")
    assert not spider._is_site_host("example.com")
