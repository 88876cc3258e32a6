"""Which outlets newscrawl knows: one registry for spiders, parsers and commands.

The registry holds, by name:

- the hand-parsed sites, each declared next to its parser (`HAND_PARSED`);
- the bundled catalogue of Ukrainian outlets (``catalogue.toml`` in this package);
- the outlets of the user's sources file, which may also change the others.

The sources file is the setting ``NEWSCRAWL_SOURCES``, else ``sources.toml``
beside the archive when there is one. A process uses one registry
(`active_registry`): the CLI and the spider loader make it the one of their
settings (`activate`), and the parser registry and the pipelines read it.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from newscrawl.errors import SourcesError
from newscrawl.sites.sources import site_problem, sources_file
from newscrawl.sites.spec import Site

if TYPE_CHECKING:
    from newscrawl.parsing.base import SiteParser

__all__ = [
    "CATALOGUE",
    "HAND_PARSED",
    "SiteRegistry",
    "activate",
    "active_registry",
    "bundled_sites",
    "registry_of_settings",
    "sources_path_of_settings",
]

# Each hand-parsed site's `Site`, as "module:name". Adding a site is its parser
# module (the parser class and its `Site`) and one line here.
HAND_PARSED = (
    "newscrawl.parsing.unn:UNN",
    "newscrawl.parsing.pravda:PRAVDA",
    "newscrawl.parsing.censor:CENSOR",
)
CATALOGUE = Path(__file__).with_name("catalogue.toml")
SOURCES_FILE_NAME = "sources.toml"


class SiteRegistry:
    """The registered outlets, by name, and the parser of each."""

    def __init__(self, sites: Mapping[str, Site], sources: Path | None = None) -> None:
        self.sites = dict(sorted(sites.items()))
        self.sources = sources
        self._parsers: dict[str, SiteParser] = {}
        self._by_domain = _domains_of(self.sites.values())

    def __iter__(self) -> Iterator[Site]:
        return iter(self.sites.values())

    def __len__(self) -> int:
        return len(self.sites)

    def named(self, name: str) -> Site | None:
        return self.sites.get(name)

    def enabled(self) -> list[Site]:
        """The outlets `--due` and `--all` crawl, by name."""
        return [site for site in self.sites.values() if site.enabled]

    def site_of_url(self, url: str) -> Site | None:
        """The outlet whose domains (and paths) hold the URL, the longest domain first."""
        labels = (urlsplit(url).hostname or "").lower().split(".")
        for i in range(len(labels)):
            for site in self._by_domain.get(".".join(labels[i:]), ()):
                if site.claims_url(url):
                    return site
        return None

    def parser_of(self, site: Site) -> SiteParser:
        """The site's parser, told the site's facts; one instance per site."""
        parser = self._parsers.get(site.name)
        if parser is None:
            if site.parser is not None:
                parser = site.parser(site)
            else:
                # Imported late: the generic parser imports the parsing package,
                # whose registry imports this module.
                from newscrawl.parsing.generic import GenericParser

                parser = GenericParser(site)
            self._parsers[site.name] = parser
        return parser

    def generic_parser_of(self, site: Site) -> SiteParser:
        """The generic parser told the site's facts: a declared outlet's parser, and
        the reading that fills in what a hand-parsed site's rules leave empty."""
        if site.parser is None:
            return self.parser_of(site)
        key = f"{site.name} (generic)"
        parser = self._parsers.get(key)
        if parser is None:
            from newscrawl.parsing.generic import GenericParser

            parser = self._parsers[key] = GenericParser(site)
        return parser


def _domains_of(sites: Iterable[Site]) -> dict[str, list[Site]]:
    """The outlets on each domain. Two may share one only as sections (their `paths`)."""
    found: dict[str, list[Site]] = {}
    for site in sites:
        for domain in site.all_domains:
            others = found.setdefault(domain, [])
            for other in others:
                if not (site.paths and other.paths) or set(site.paths) & set(other.paths):
                    raise SourcesError(
                        f"domain {domain!r} is claimed by both {other.name!r} "
                        f"({other.declared_in}) and {site.name!r} ({site.declared_in}); "
                        "outlets share a domain only under different paths"
                    )
            others.append(site)
    return found


@cache
def hand_parsed_sites() -> dict[str, Site]:
    """The sites of `HAND_PARSED`, by name."""
    sites: dict[str, Site] = {}
    for reference in HAND_PARSED:
        module_name, _, attribute = reference.partition(":")
        site = getattr(importlib.import_module(module_name), attribute)
        if not isinstance(site, Site):
            raise TypeError(f"{reference} is not a Site")
        problem = site_problem(site)
        if problem is not None:
            raise SourcesError(f"{reference}: field {problem[0]!r}: {problem[1]}")
        sites[site.name] = site
    return sites


@cache
def bundled_sites() -> dict[str, Site]:
    """The hand-parsed sites and the bundled catalogue, by name."""
    catalogue = sources_file(CATALOGUE) if CATALOGUE.exists() else None
    sites = hand_parsed_sites()
    return catalogue.sites_over(sites) if catalogue is not None else dict(sites)


def sources_path_of_settings(settings: BaseSettings) -> tuple[Path | None, bool]:
    """The sources file the settings name, and whether it must exist.

    ``NEWSCRAWL_SOURCES`` must name a file; without it, ``sources.toml`` beside the
    archive is read when it is there.
    """
    given = settings.get("NEWSCRAWL_SOURCES")
    if given:
        return Path(given), True
    beside = Path(settings.get("NEWSCRAWL_DB") or "data/news.db").parent / SOURCES_FILE_NAME
    return (beside, False) if beside.exists() else (None, False)


def registry_of_settings(settings: BaseSettings) -> SiteRegistry:
    """The bundled outlets with the settings' sources file applied.

    Raises `SourcesError` for a sources file that is missing (when named) or wrong.
    """
    path, required = sources_path_of_settings(settings)
    if path is None:
        return _registry_of(None, None)
    path = path.absolute()
    try:
        stat = path.stat()
    except FileNotFoundError:
        if required:
            raise SourcesError(
                f"{path}: no such sources file (NEWSCRAWL_SOURCES, --sources)"
            ) from None
        return _registry_of(None, None)
    # Keyed by the file's version too: an edited file is read again.
    return _registry_of(path, (stat.st_mtime_ns, stat.st_size))


@cache
def _registry_of(path: Path | None, version: tuple[int, int] | None) -> SiteRegistry:
    if path is None:
        return SiteRegistry(bundled_sites())
    file = sources_file(path)
    known = bundled_sites() if file.keeps_catalogue else hand_parsed_sites()
    return SiteRegistry(file.sites_over(known), path)


_active: list[SiteRegistry] = []


def activate(registry: SiteRegistry) -> SiteRegistry:
    """Make `registry` the one this process's parsers and pipelines use."""
    _active[:] = [registry]
    return registry


def active_registry() -> SiteRegistry:
    """The registry `activate` chose, else that of the project's settings."""
    if not _active:
        from newscrawl.runs.project import project_settings

        _active.append(registry_of_settings(project_settings()))
    return _active[0]
