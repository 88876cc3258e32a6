"""`Site`: everything newscrawl knows about one outlet, declared once.

The spider reads where to look (feeds, sitemaps, listings, start pages, which
URLs are articles, the view counter) and how politely; the parser reads the
site's domain, time zone and languages. Hand-parsed sites declare their `Site`
next to their parser; other outlets are entries of a sources file
(`newscrawl.sites.sources`), read by the generic parser.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

if TYPE_CHECKING:
    from newscrawl.parsing.base import SiteParser

__all__ = ["ALL_LANGUAGES", "COUNTER_ID_GROUP", "POLITENESS_SETTINGS", "Site", "SiteKind"]

# The key of a feed, sitemap, listing or start page that lists every language.
ALL_LANGUAGES = "*"
# The named group of `article_path` that a counter template's {id} takes.
COUNTER_ID_GROUP = "id"
# The Scrapy settings an outlet may override: how fast and how often it is asked,
# and nothing that changes what the archive holds.
POLITENESS_SETTINGS = frozenset(
    {
        "AUTOTHROTTLE_ENABLED",
        "AUTOTHROTTLE_MAX_DELAY",
        "AUTOTHROTTLE_START_DELAY",
        "AUTOTHROTTLE_TARGET_CONCURRENCY",
        "CONCURRENT_REQUESTS_PER_DOMAIN",
        "DOWNLOAD_DELAY",
        "DOWNLOAD_TIMEOUT",
        "ROBOTSTXT_OBEY",
        "USER_AGENT",
    }
)

SiteKind = Literal["hand-parsed", "declared"]
Locations = Mapping[str, tuple[str, ...]]


@dataclass(frozen=True, eq=False)
class Site:
    """One outlet: where its articles are, how to read them, how often to look.

    Feeds, sitemaps, listings and start pages are keyed by language
    (`ALL_LANGUAGES` for those that list every language); each is a path on
    `home` or an absolute URL.
    """

    # The spider's name, and `crawl_runs.spider`: "unn".
    name: str
    # The scheme and host the archive stores URLs under: "https://unn.ua".
    home: str
    # The languages the outlet publishes in; the first is the default, the one a
    # page whose URL names none is in.
    languages: tuple[str, ...]
    # The domains the outlet serves pages from (subdomains included); the first is
    # `articles.site`. Empty: the home's own.
    domains: tuple[str, ...] = ()
    # The URL path prefixes of the outlet's pages, for an outlet that is one section
    # of a bigger site ("/ukrainian" on bbc.com); empty: every path of its domains.
    paths: tuple[str, ...] = ()
    title: str = ""
    timezone: str = "Europe/Kyiv"
    # A URL's first path segment that names its language: {"eng": "en"} for /eng/news/.
    url_languages: Mapping[str, str] = field(default_factory=dict)
    feeds: Locations = field(default_factory=dict)
    sitemaps: Locations = field(default_factory=dict)
    # Paged listings (?page=N) whose article cards carry `cards` class prefixes.
    listings: Locations = field(default_factory=dict)
    # Front and section pages: their links that look like articles are fetched.
    starts: Locations = field(default_factory=dict)
    # Searched in a URL's path: which links are articles. None: every URL a feed or
    # sitemap lists is, and a start page's links are judged by their shape.
    article_path: re.Pattern[str] | None = None
    cards: tuple[str, ...] = ()
    # Where a listing's cards are looked for by structure when no card class matches.
    main_content: tuple[str, ...] = ("//main", "//body")
    page_param: str = "page"
    # A view counter endpoint: "/ajax/views/{id}", {id} from article_path's "id" group.
    counter: str | None = None
    # Scrapy settings for this outlet's crawls, among POLITENESS_SETTINGS.
    politeness: Mapping[str, Any] = field(default_factory=dict)
    # How often `newscrawl crawl --due` crawls it.
    interval: timedelta = timedelta(hours=1)
    # The parser class; None: the generic parser, told this site's facts.
    parser: type[SiteParser] | None = None
    # Where the entry's URLs come from, and whether anyone saw them answer.
    evidence: str = ""
    verified: bool = False
    enabled: bool = True
    # Where the entry was declared: a module, the bundled catalogue, a sources file.
    declared_in: str = ""

    @property
    def kind(self) -> SiteKind:
        """Returns "hand-parsed" for a site with its own parser, "declared" for a generic one."""
        return "hand-parsed" if self.parser is not None else "declared"

    @property
    def domain(self) -> str:
        """The outlet's `articles.site`: its first domain, "unn.ua"."""
        return self.all_domains[0]

    @property
    def all_domains(self) -> tuple[str, ...]:
        """The declared domains, else the home's host without "www."."""
        if self.domains:
            return self.domains
        host = (urlsplit(self.home).hostname or "").lower()
        return (host.removeprefix("www."),)

    @property
    def zone(self) -> ZoneInfo:
        """The time zone the outlet shows its times in."""
        return ZoneInfo(self.timezone)

    @property
    def default_language(self) -> str:
        return self.languages[0]

    def claims_host(self, host: str) -> bool:
        """Whether pages from `host` are this outlet's: one of its domains or a subdomain."""
        host = host.lower()
        return any(host == d or host.endswith(f".{d}") for d in self.all_domains)

    def claims_url(self, url: str) -> bool:
        """Whether the URL is this outlet's page: on its domains, under its `paths` if any."""
        parts = urlsplit(url)
        if not self.claims_host(parts.hostname or ""):
            return False
        return not self.paths or any(
            parts.path == prefix or parts.path.startswith(prefix.rstrip("/") + "/")
            for prefix in self.paths
        )

    def language_of_url(self, url: str) -> str:
        """The language a URL's first path segment names, else the default language."""
        first = urlsplit(url).path.lstrip("/").split("/", 1)[0]
        return self.url_languages.get(first, self.default_language)

    def locations(self, kind: str, languages: tuple[str, ...] | None = None) -> list[str]:
        """The feeds, sitemaps, listings or starts (by `kind`) for `languages`, in order.

        Those keyed `ALL_LANGUAGES` are always included; None: every language.
        """
        by_language: Locations = getattr(self, kind)
        wanted = self.languages if languages is None else languages
        found: list[str] = []
        for key in (ALL_LANGUAGES, *wanted):
            for location in by_language.get(key, ()):
                if location not in found:
                    found.append(location)
        return found

    def is_article_url(self, url: str) -> bool:
        """Whether the URL's path matches `article_path` (any URL when there is none)."""
        return self.article_path is None or bool(self.article_path.search(urlsplit(url).path))

    def counter_url(self, article_url: str) -> str | None:
        """The counter endpoint of an article, from `counter` and the URL's id, or None."""
        if self.counter is None or self.article_path is None:
            return None
        match = self.article_path.search(urlsplit(article_url).path)
        if match is None or not match.groupdict().get(COUNTER_ID_GROUP):
            return None
        return self.counter_url_of_id(article_url, match[COUNTER_ID_GROUP])

    def counter_url_of_id(self, article_url: str, article_id: str) -> str | None:
        """The counter endpoint for an article id, on the article's host; None without one."""
        if self.counter is None:
            return None
        return urljoin(article_url, self.counter.format(id=article_id))
