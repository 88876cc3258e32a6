"""The contract every site parser fulfils.

A site parser is one small file in this package holding one `SiteParser`
subclass and the site's `Site` declaration (`newscrawl.sites`), which says
which domains, time zone and languages the parser serves. One line of the site
registry (`newscrawl.sites.registry.HAND_PARSED`) lists it. Its fixture pages,
their cases (tests/fixtures/<site>/cases.toml) and goldens are then tested with
every other site's by tests/test_sites.py, with no test code of its own.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping
from datetime import datetime, tzinfo
from typing import TYPE_CHECKING, Any, ClassVar
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from newscrawl.items import Article
from newscrawl.parsing.jsonld import ARTICLE_JSONLD_TYPES, jsonld_objects, jsonld_types
from newscrawl.parsing.language import detected_language, language_code
from newscrawl.parsing.urls import absolute_url, canonical_url, site_of

if TYPE_CHECKING:
    from newscrawl.sites.spec import Site


def is_empty(value: object) -> bool:
    """Whether an Article field holds nothing: None, "" or an empty list."""
    return value is None or value == "" or value == []


class SiteParser(ABC):
    """Turns one fetched page of a site into an `Article`.

    `parse` is a pure function of its arguments: no network, no database, no
    wall clock. Relative dates resolve against `fetched_at`, so re-parsing an
    archived page gives the same answer years later.
    """

    # The parser's name in the provenance of the rows it makes: "unn" in "unn/2".
    NAME: ClassVar[str] = ""
    # The Article fields every article page of the site carries, as far as anyone has
    # seen. When the site's rules leave one of them empty on an article page, the page
    # is not what the rules expect (a redesign), and the generic parser's reading of it
    # fills every field they left empty (`newscrawl.parsing.layering`). Only what is
    # really always there belongs here: each page without it costs a generic parse.
    ALWAYS_PRESENT: ClassVar[frozenset[str]] = frozenset()
    # How much of the text langdetect reads, and its random trials (None: its 7).
    # Choosing among a site's two or three languages needs far less text than
    # choosing among all 55 profiles; langdetect's time grows with both. On every
    # 60-character offset of the demo's uk/ru/en bodies, 100 characters gave the
    # same answers as 300.
    LANGUAGE_SAMPLE_CHARS: ClassVar[int] = 100
    LANGUAGE_TRIALS: ClassVar[int | None] = 3
    # JSON-LD @types that mark the page's article object.
    ARTICLE_TYPES: ClassVar[frozenset[str]] = ARTICLE_JSONLD_TYPES
    # Bump when a change alters the output for the same page; golden fixtures are per version.
    VERSION: ClassVar[str] = "1"

    def __init__(self, site: Site | None = None) -> None:
        # The outlet's facts: its domain, time zone and languages; by default the
        # hand-parsed site that names this parser. None for the generic parser of
        # pages from no registered outlet: each page's site is then its URL's, and
        # its dates keep the offsets they come with.
        self.site = site if site is not None else _hand_parsed_site_of(type(self))

    @property
    def domain(self) -> str:
        """The site as stored in `Article.site` ("unn.ua"); "" for no registered outlet."""
        return self.site.domain if self.site else ""

    @property
    def home(self) -> str:
        """The site's home page URL ("https://unn.ua/"); "" for no registered outlet."""
        return self.site.home + "/" if self.site else ""

    @property
    def host(self) -> str:
        """The host the site serves its home page from ("www.pravda.com.ua")."""
        return urlsplit(self.home).hostname or ""

    @property
    def timezone(self) -> tzinfo | None:
        """The zone the site shows its times in; dates from elsewhere (a feed's UTC
        pubDate) are converted to it, so one site's published_at share one offset."""
        return self.site.zone if self.site else None

    @property
    def zone(self) -> tzinfo:
        """The site's zone, for a site parser's rules, which always have a site."""
        if self.site is None:
            raise TypeError(f"{type(self).__name__} has no Site: no hand-parsed site names it")
        return self.site.zone

    @property
    def languages(self) -> tuple[str, ...]:
        """The languages detection chooses among; empty: any langdetect knows."""
        return self.site.languages if self.site else ()

    @property
    def url_languages(self) -> Mapping[str, str]:
        """A URL's first path segment that names its language ({"eng": "en"})."""
        return self.site.url_languages if self.site else {}

    @property
    def default_language(self) -> str | None:
        """The language of a page that declares none and whose URL names none."""
        return self.site.default_language if self.site else None

    @abstractmethod
    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        """The article on the page, by the site's own rules. It never raises for thin pages.

        Missing fields stay empty. A page that is not an article (a listing, an error
        page) gives `page_level_article` alone: no headline, summary, body or date.
        """

    @property
    def provenance(self) -> str:
        """The parser and version whose rules make a row, as the archive records it: "unn/2"."""
        return f"{self.NAME}/{self.VERSION}"

    def missing_fields(self, article: Article) -> list[str]:
        """The ALWAYS_PRESENT fields the article lacks, sorted."""
        return sorted(name for name in self.ALWAYS_PRESENT if is_empty(getattr(article, name)))

    def local_time(self, moment: datetime) -> datetime:
        """The moment in the site's time zone (unchanged when the site has none)."""
        return moment.astimezone(self.timezone) if self.timezone else moment

    def canonical_url(self, url: str) -> str:
        """The URL this page is archived under: AMP copies and tracking parameters removed."""
        return canonical_url(url)

    def language_of_text(self, text: str | None, hint: str | None) -> str | None:
        """The language of the article text among `languages`; `hint` when the text cannot tell."""
        return detected_language(
            text,
            hint,
            prefix_chars=self.LANGUAGE_SAMPLE_CHARS,
            trials=self.LANGUAGE_TRIALS,
            among=self.languages,
        )

    # --- page-level helpers shared by site parsers ------------------------------

    def page_level_article(self, root: HtmlElement, url: str, fetched_at: datetime) -> Article:
        """The article as far as the page describes itself, before any text is read.

        Its archive URL, site's domain, the fetch time, the hreflang alternates and the
        declared language. A listing or error page is this and nothing more; for an
        article, the parser fills in the fields and the text decides the language.
        """
        article_url = self.canonical_url_of_page(root, url)
        return Article(
            url=article_url,
            site=self.domain,
            fetched_at=fetched_at,
            language=self.language_hint_of_page(root, article_url),
            alternates=self.alternates_of_page(root, article_url),
        )

    def language_hint_of_page(self, root: HtmlElement, article_url: str) -> str | None:
        """The page's declared language (`<html lang>`), else the one its URL implies."""
        declared = language_code(root.get("lang"))
        if declared:
            return declared
        first = urlsplit(article_url).path.lstrip("/").split("/", 1)[0]
        return self.url_languages.get(first, self.default_language)

    def canonical_url_of_page(self, root: HtmlElement, url: str) -> str:
        """The URL to archive the page under: its own canonical link if it stays on the site.

        The site is `domain`, or for a parser of any site (no `site`) the page URL's own.
        """
        # The canonical maps AMP and mirror copies home; one pointing to another
        # site is a misconfiguration or a syndication partner, and is ignored.
        site = self.domain or site_of(url)
        for href in root.xpath("//link[contains(concat(' ', @rel, ' '), ' canonical ')]/@href"):
            absolute = absolute_url(href, url)
            if absolute and site_of(absolute) == site:
                return self.canonical_url(absolute)
        return self.canonical_url(url)

    def alternates_of_page(self, root: HtmlElement, article_url: str) -> dict[str, str]:
        """The page's hreflang alternates: language code -> canonical URL, itself excluded."""
        found: dict[str, str] = {}
        for element in root.xpath(
            "//link[contains(concat(' ', @rel, ' '), ' alternate ')][@hreflang][@href]"
        ):
            code = language_code(element.get("hreflang"))  # None for "x-default"
            absolute = absolute_url(element.get("href", ""), article_url)
            if code is None or absolute is None:
                continue
            alternate = self.canonical_url(absolute)
            if alternate != article_url:
                found.setdefault(code, alternate)
        return found

    def jsonld_article_of_page(self, root: HtmlElement) -> dict[str, Any]:
        """The page's first JSON-LD object of an ARTICLE_TYPES type, or {}."""
        return self.jsonld_article_among(jsonld_objects(root))

    def jsonld_article_among(self, objects: list[dict[str, Any]]) -> dict[str, Any]:
        """The first of the page's JSON-LD objects of an ARTICLE_TYPES type, or {}.

        For a parser that reads the page's other JSON-LD objects too, and so has them.
        """
        for obj in objects:
            if jsonld_types(obj) & self.ARTICLE_TYPES:
                return obj
        return {}


def _hand_parsed_site_of(parser: type[SiteParser]) -> Site | None:
    # Imported late: the site registry imports the parser modules, which import this one.
    from newscrawl.sites.registry import hand_parsed_sites

    return next((s for s in hand_parsed_sites().values() if s.parser is parser), None)
