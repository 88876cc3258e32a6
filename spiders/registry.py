"""Which spiders the project has, and which site each one crawls.

Everything asks Scrapy's own `SpiderLoader` (the `SPIDER_MODULES` setting), so
a spider added to `spiders/` is found by `newscrawl crawl --all`, by the run
record and by the generic spider's counter lookup without being listed here.
"""

from __future__ import annotations

from functools import cache

from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newscrawl.parsing.urls import site_of

__all__ = [
    "counter_spider_for",
    "site_of_spider",
    "site_spider_names",
    "spider_names",
    "spider_sites",
]


def spider_names(settings: BaseSettings) -> list[str]:
    """The names of the project's spiders, sorted."""
    return sorted(SpiderLoader.from_settings(settings).list())


def spider_sites(settings: BaseSettings) -> dict[str, str]:
    """Each spider's site, the `articles.site` value of its articles ("unn.ua"); "" if none."""
    loader = SpiderLoader.from_settings(settings)
    return {name: site_of_spider(loader.load(name)) or "" for name in loader.list()}


def site_spider_names(settings: BaseSettings) -> list[str]:
    """The spiders of one fixed site each, sorted: what ``--all`` runs.

    A spider told its site by arguments (the generic ``news``) cannot run
    without them, so it is left out.
    """
    return sorted(name for name, site in spider_sites(settings).items() if site)


def site_of_spider(spider: object) -> str | None:
    """The `articles.site` of a spider (class or instance) from its `site_url`, if it has one.

    "https://www.unn.ua" -> "unn.ua"; the generic spider's class has none.
    """
    return site_of(getattr(spider, "site_url", "") or "") or None


def counter_spider_for(settings: BaseSettings, host: str) -> object | None:
    """An instance of the site spider whose `allowed_domains` cover `host` and that
    declares a view counter (`counter_url`), or None."""
    return _counter_spider(tuple(settings.getlist("SPIDER_MODULES")), host.lower())


@cache
def _counter_spider(spider_modules: tuple[str, ...], host: str) -> object | None:
    # Cached per host: the generic spider asks once per article, and the loader
    # imports every spider module.
    loader = SpiderLoader.from_settings(_settings_with_modules(spider_modules))
    for name in loader.list():
        spider_class = loader.load(name)
        if not hasattr(spider_class, "counter_url"):
            continue
        domains = getattr(spider_class, "allowed_domains", None) or ()
        if any(host == d or host.endswith(f".{d}") for d in domains):
            return spider_class()
    return None


def _settings_with_modules(spider_modules: tuple[str, ...]) -> BaseSettings:
    settings = BaseSettings()
    settings.set("SPIDER_MODULES", list(spider_modules))
    return settings
