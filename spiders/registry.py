"""Which spiders the project has, and which site each one crawls.

`SiteSpiderLoader` is Scrapy's `SpiderLoader` (setting ``SPIDER_LOADER_CLASS``)
plus one spider per registered outlet (`newscrawl.sites.registry`): the spider
modules of ``spiders/`` (the generic ``news``, and sites whose crawl needs code,
such as Pravda) and a generated `SiteSpider` for every other outlet, a sources
file's included. So ``scrapy list``, ``newscrawl crawl --all`` and the run
record all see the same outlets, and a new entry needs no spider code.
"""

from __future__ import annotations

from functools import cache
from typing import Self

from scrapy import Spider
from scrapy.settings import BaseSettings
from scrapy.spiderloader import SpiderLoader

from newscrawl.errors import SourcesError
from newscrawl.parsing.urls import site_of
from newscrawl.sites.registry import activate, registry_of_settings
from spiders.site import SiteSpider, spider_class_for

__all__ = [
    "SiteSpiderLoader",
    "counter_spider_for",
    "site_of_spider",
    "site_spider_names",
    "spider_names",
    "spider_sites",
]


class SiteSpiderLoader(SpiderLoader):
    """The spiders of ``SPIDER_MODULES``, and one `SiteSpider` per registered outlet.

    Loaded as Scrapy loads it (`from_settings`, when a crawl or a command starts),
    it also makes the settings' site registry the process's (`activate`), so the
    parsers a crawl's pipelines pick know the sources file's outlets. Made
    directly, to ask which spiders there are, it changes nothing. Raises
    `SourcesError` for a wrong sources file.
    """

    def __init__(self, settings: BaseSettings) -> None:
        super().__init__(settings)
        self.registry = registry = registry_of_settings(settings)
        for site in registry:
            coded = self._spiders.get(site.name)
            if coded is None:
                self._spiders[site.name] = spider_class_for(site)
            elif isinstance(coded, type) and issubclass(coded, SiteSpider):
                if coded.site_spec is not site:
                    # The sources file changed the site (its interval, politeness).
                    self._spiders[site.name] = type(
                        coded.__name__,
                        (coded,),
                        {"site_spec": site, "__module__": coded.__module__},
                    )
            else:
                raise SourcesError(
                    f"outlet {site.name!r} ({site.declared_in}) has the name of the spider "
                    f"{coded.__module__}.{coded.__name__}; rename the outlet"
                )

    @classmethod
    def from_settings(cls, settings: BaseSettings) -> Self:
        loader = cls(settings)
        activate(loader.registry)
        return loader


def _loader(settings: BaseSettings) -> SpiderLoader:
    # Not from_settings: a question about the spiders (a counter lookup in the middle
    # of a crawl, the CLI's name checks) must not switch the process's registry.
    return SiteSpiderLoader(settings)


def spider_names(settings: BaseSettings) -> list[str]:
    """The names of the project's spiders, sorted."""
    return sorted(_loader(settings).list())


def spider_sites(settings: BaseSettings) -> dict[str, str]:
    """Each spider's site, the `articles.site` value of its articles ("unn.ua"); "" if none."""
    loader = _loader(settings)
    return {name: site_of_spider(loader.load(name)) or "" for name in loader.list()}


def site_spider_names(settings: BaseSettings) -> list[str]:
    """The spiders of the enabled outlets, sorted: what ``--all`` runs.

    A spider told its site by arguments (the generic ``news``) cannot run
    without them, and an outlet switched off (``enabled = false``) is not run.
    """
    loader = _loader(settings)
    return sorted(
        name
        for name in loader.list()
        if (site := getattr(loader.load(name), "site_spec", None)) is not None and site.enabled
    )


def site_of_spider(spider: object) -> str | None:
    """The `articles.site` of a spider (class or instance), if it has one.

    A site spider's is its Site's domain ("unn.ua"); the generic spider's class has
    none, an instance the site of its site_url.
    """
    site = getattr(spider, "site_spec", None)
    if site is not None:
        return str(site.domain)
    return site_of(getattr(spider, "site_url", "") or "") or None


def counter_spider_for(settings: BaseSettings, host: str) -> object | None:
    """An instance of the site spider whose outlet serves `host` and declares a view
    counter, or None."""
    return _counter_spider(
        tuple(settings.getlist("SPIDER_MODULES")),
        settings.get("NEWSCRAWL_SOURCES") or "",
        settings.get("NEWSCRAWL_DB") or "",
        host.lower(),
    )


@cache
def _counter_spider(modules: tuple[str, ...], sources: str, db: str, host: str) -> Spider | None:
    # Cached per host: the generic spider asks once per article, and loading
    # imports every spider module.
    settings = BaseSettings(
        {"SPIDER_MODULES": list(modules), "NEWSCRAWL_SOURCES": sources, "NEWSCRAWL_DB": db}
    )
    loader = _loader(settings)
    for name in loader.list():
        spider_class = loader.load(name)
        site = getattr(spider_class, "site_spec", None)
        if site is not None and site.counter and site.claims_host(host):
            return spider_class()
    return None
