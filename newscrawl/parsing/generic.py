"""The fallback parser for any domain without a site parser.

Each field comes from the signal that is most reliable for it, measured on real
pages (bench/extract_quality.py):

- headline: JSON-LD, then og:title, the `<h1>`, twitter:title and `<title>`, each
  cleaned of site-name affixes ("Title | Site"); the `<h1>` decides which of several
  headings is the article's and which " | …" or " – …" tail is not part of the
  headline, and a kicker ("Kicker: Headline") the social titles leave out goes;
- body: trafilatura's reading of the visible text, minus read-also inserts, a
  repeated headline, link-only blocks, picture credits and repeated placeholders;
  for app shells, the HTML in the page's script state;
- dates: JSON-LD, then meta tags, then `<time datetime>`, and only when no ISO value
  exists the visible text (htmldate, dateparser). Modified dates never count as
  published; they go to `modified_at`;
- authors: JSON-LD persons, meta tags, the byline (by class, by label, by author
  page link, as a bold paragraph), with the publisher's own name, URLs and "By"
  removed;
- language: langdetect on a bounded prefix of the body, the page's `lang` when the
  body is too short;
- views: JSON-LD interactionStatistic, `data-*views*` attributes, visible counters.

The page is parsed once (comments dropped, as trafilatura's own parser does), and
trafilatura gets the parsed tree; it works on its own copy.
"""

from __future__ import annotations

import html as html_lib
import itertools
import json
import re
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, tzinfo
from email.utils import parsedate_to_datetime
from functools import cached_property
from typing import Any, ClassVar

import trafilatura
from lxml.etree import Element, _Element
from lxml.html import HtmlElement

from newscrawl.items import Article, Link, PublishedSource
from newscrawl.parsing import urls
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.html import element_text, parsed_html, word_set
from newscrawl.parsing.jsonld import (
    ARTICLE_JSONLD_TYPES,
    jsonld_objects,
    jsonld_section,
    jsonld_text,
    jsonld_types,
)
from newscrawl.parsing.readalso import (
    READ_ALSO_LABELS,
    is_read_also_label,
    read_also_label,
    shown_date,
    without_read_also_label,
)
from newscrawl.parsing.views import views_from_text
from newscrawl.text import folded_text
from newscrawl.timestamps import aware_datetime

# Separators between a headline and a site or section name in titles.
# "Site: Title" has no space before the colon. Only used to cut off a part that is a
# site name, so a colon inside a headline ("Kicker: Title") stays.
_AFFIX_SEPARATOR = re.compile(r"\s+[|–—\-·•»:]\s+|(?<=\w):\s+|\s*[|ㅣ｜：]\s*|\s+-{2,}\s*|-{2,}")
# A " | Section" or " – Site" tail after a headline that another source gives alone.
_TAIL_SEPARATOR = re.compile(r"^(?:\s*[|ㅣ｜]\s*|\s+[–—\-·•/]\s+)\S")
# "Kicker: " or "Kicker – " before a headline: the kicker is a topic line, not the title.
_KICKER_END = re.compile(r"^(?P<kicker>.*\S)(?:\s*[:|]|\s+[–—\-/])\s+$")
# A shorter rest is too little to be sure the longer title only adds a kicker.
_KICKER_MIN_HEADLINE = 15
_NON_WORD = re.compile(r"\W+")
# Words that open a byline: "By Jane Doe", "Von Max Muster", "Par ..."; removed.
_BYLINE_PREFIX = re.compile(
    r"^\s*(?:by|von|par|por|di|da|door|av|af|от|автор(?:ы)?|written by|text|texte|"
    r"a cura di|reporting by|foto|photo)\s*:?\s+",
    re.IGNORECASE,
)
# Separators between names in one byline: "Jane Doe, John Roe and Max Muster".
_NAME_SEPARATOR = re.compile(
    r"\s*(?:,|;|、|\s&\s|\sand\s|\sund\s|\set\s|\sy\s|\se\s|\sog\s|\soch\s|\sen\s|\si\s|\sи\s|\sта\s)\s*",
    re.IGNORECASE,
)
_EMAIL_OR_URL = re.compile(r"@|https?://|www\.|\.\w{2,4}/", re.IGNORECASE)
# "Brazil, Rachel": one person written last name first (citation_author, some CMSs).
# Only single words on both sides, or "Jane Doe, John Roe" would become one person.
_LAST_FIRST = re.compile(r"^(?P<last>[^\W\d_][\w'-]*),\s*(?P<first>[^\W\d_][\w'.-]*)$")
# Byline words that are not names: prefixes left alone, follow buttons, share links.
_NOT_NAMES = word_set(
    "by von par por di da door av af от автор text foto photo redaktion follow folgen "
    "abonnieren subscribe suivre seguir twitter facebook instagram linkedin whatsapp "
    "telegram e-mail email mail x"
)
_DIGITS = re.compile(r"\d")
# A byline opened by its label: "Von: Jane Doe", "Autorin/Autor Max Muster",
# "(责编：牛镛、岳弘彬)". The label is cut off, the rest must look like names.
_BYLINE_LABEL = re.compile(
    r"^\(?\s*(?:by|von|par|por|door|written by|autor(?:in)?(?:\s*/\s*autor(?:in)?)?|"
    r"authors?|автор(?:ы)?|作者|责编|责任编辑|记者)(?!\w)\s*[:：]?\s*",
    re.IGNORECASE,
)
_AUTHOR_PAGE = re.compile(r"/(?:authors?|autor(?:en|in)?)/[^/?#]+", re.IGNORECASE)
# Spellings the byline label XPath looks for (XPath 1.0 has no lower-case()).
_BYLINE_LABEL_WORDS = word_set(
    "By by BY Von von VON Par par Por por Door door Written Autor autor Author author Автор автор"
)
_BYLINE_LABEL_XPATH = (
    "//body//text()["
    + " or ".join(
        f"starts-with(normalize-space(), '{word}')" for word in sorted(_BYLINE_LABEL_WORDS)
    )
    + " or contains(., '作者') or contains(., '责编') or contains(., '责任编辑')]"
)
# Words of a person's name: capitalised ("Jane", "MCCARTHY", "Dr."), or particles.
_NAME_PARTICLES = word_set("de da di del der den van von le la bin al y e du dos das ter")
# Words of a views counter, case-folded (Latin "a" in "переглад" occurs, see views.py).
_VIEWS_WORDS = ("view", "перегл", "просмотр")
# Read-also labels by their first characters, for a cheap test before the regex.
_LABEL_PREFIX_CHARS = 4
_LABEL_PREFIXES = frozenset(label[:_LABEL_PREFIX_CHARS] for label in READ_ALSO_LABELS)
# A paragraph that is only a picture credit: "Photo: AFP", "STR/AFP via Getty Images".
_PICTURE_CREDIT = re.compile(
    r"^(?:(?:photos?|fotos?|bild|image|credit|picture|grafik|фото)\s*:\s*.{1,80}"
    r"|.{0,80}(?:getty images|shutterstock|imago images|picture[- ]alliance))\.?$",
    re.IGNORECASE,
)
# Paragraphs up to this length that occur twice are page furniture, not text.
_REPEAT_MAX_CHARS = 300


class _MetaTags:
    """The page's `<meta>` tags by name or property, read in one pass.

    Each `//meta[...]` lookup scans the whole page; a parse asks for ~30 keys.
    """

    def __init__(self, root: HtmlElement) -> None:
        self._exact: dict[str, list[str]] = {}
        self._any_case: dict[str, list[str]] = {}
        for element in root.iter("meta"):
            content = folded_text(element.get("content"))
            if not content:
                continue
            for key in {element.get("property"), element.get("name")} - {None, ""}:
                self._exact.setdefault(key, []).append(content)
                self._any_case.setdefault(key.lower(), []).append(content)

    def first(self, key: str) -> str | None:
        """The first non-empty content of the tag named exactly key."""
        values = self._exact.get(key)
        return values[0] if values else None

    def every(self, key: str) -> list[str]:
        """Every non-empty content of tags named key, in any letter case ("Author")."""
        return self._any_case.get(key.lower(), [])


@dataclass
class _Page:
    """What the field readers share: the tree, its structured data and publisher names."""

    root: HtmlElement
    url: str
    fetched_at: datetime
    ld: dict[str, Any]
    ld_all: list[dict[str, Any]]
    meta: _MetaTags
    publisher_keys: set[str] = field(default_factory=set)

    @cached_property
    def dated_elements(self) -> list[HtmlElement]:
        """Elements with a machine-readable date: `datetime` or itemprop dates.

        One scan shared by the published and modified dates (each XPath scans the page).
        """
        return self.root.xpath(
            "//*[@datetime or @itemprop='datePublished' or @itemprop='dateModified']"
        )

    @cached_property
    def marked_text(self) -> _MarkedText:
        """The body's text nodes that mention views or may open a read-also insert.

        One pass over the text for both: XPath `contains()` per spelling costs ~4 ms
        a page, a case-folded look at each node in Python about one.
        """
        views: list[Any] = []
        labels: list[Any] = []
        for node in self.root.xpath("//body//text()[normalize-space()]"):
            folded = node.casefold()
            if any(word in folded for word in _VIEWS_WORDS):
                views.append(node)
            if folded.lstrip()[:_LABEL_PREFIX_CHARS] in _LABEL_PREFIXES:
                labels.append(node)
        return _MarkedText(views, labels)


@dataclass(frozen=True)
class _MarkedText:
    views: list[Any]  # lxml text results: str with getparent()
    read_also_labels: list[Any]


@dataclass(frozen=True)
class _Headlines:
    """The headline as each source gives it, cleaned of site names ("" if absent)."""

    jsonld: str
    og: str
    h1: str
    twitter: str
    title: str
    # The heading shown below an <h1> that is the page's breadcrumb, kicker included.
    shown: str = ""

    def ordered(self) -> list[str]:
        """The distinct candidates, most reliable source first."""
        texts = (self.jsonld, self.og, self.h1, self.twitter, self.title, self.shown)
        return list(dict.fromkeys(text for text in texts if text))

    def source_of_shown(self) -> str | None:
        """The source that gives the shown heading, without its kicker if one does.

        The heading can carry a kicker ("Meinung Warum …") that a source leaves out.
        """
        if not self.shown:
            return None
        shown = _key(self.shown)
        sources = [text for text in (self.jsonld, self.og, self.twitter, self.title) if text]
        without_kicker = (
            text
            for text in sources
            if len(text) >= _KICKER_MIN_HEADLINE
            and _key(text) != shown
            and shown.endswith(_key(text))
        )
        return next(without_kicker, None) or next(
            (text for text in sources if _key(text) == shown), None
        )


class GenericParser(SiteParser):
    """Reads any news page from its structured data and its visible text."""

    # Not registered by domain: the registry falls back to it.
    DOMAINS: ClassVar[tuple[str, ...]] = ()
    VERSION: ClassVar[str] = "4"

    PUBLISHER_TYPES: ClassVar[frozenset[str]] = frozenset(
        {"Organization", "NewsMediaOrganization", "WebSite", "Corporation"}
    )
    # Meta tags naming the site (compared against author candidates and title affixes).
    SITE_NAME_META: ClassVar[tuple[str, ...]] = (
        "og:site_name",
        "application-name",
        "apple-mobile-web-app-title",
        "twitter:site",
    )
    # A breadcrumb trail, marked in a class, id, aria-label or schema.org itemtype.
    BREADCRUMB: ClassVar[str] = "breadcrumb"
    # The headline shown below a breadcrumb <h1>: a following <h2> outside page furniture.
    SHOWN_HEADING_XPATH: ClassVar[str] = (
        "following::h2[not(ancestor::nav or ancestor::aside or ancestor::footer)][position() <= 3]"
    )
    # Meta tags with the publication time, most specific first. Modified times
    # (article:modified_time, og:updated_time) are deliberately absent.
    PUBLISHED_META: ClassVar[tuple[str, ...]] = (
        "article:published_time",
        "og:article:published_time",
        "datePublished",
        "publishdate",
        "publish-date",
        "pubdate",
        "parsely-pub-date",
        "sailthru.date",
        "dc.date.issued",
        "DC.date.issued",
        "dcterms.created",
        "date",
    )
    MODIFIED_META: ClassVar[tuple[str, ...]] = (
        "article:modified_time",
        "og:updated_time",
        "dateModified",
        "last-modified",
        "dcterms.modified",
    )
    AUTHOR_META: ClassVar[tuple[str, ...]] = (
        "author",
        "article:author",
        "parsely-author",
        "sailthru.author",
        "dc.creator",
        "byl",
    )
    # Scholarly pages list "Last, First" per tag.
    CITATION_AUTHOR_META: ClassVar[str] = "citation_author"
    # Elements that hold a byline; only short ones are read.
    BYLINE_XPATH: ClassVar[str] = (
        "//*[@itemprop='author' or @rel='author'"
        " or contains(@class, 'byline') or contains(@class, 'author')]"
    )
    BYLINE_MAX_CHARS: ClassVar[int] = 80
    BYLINE_MAX_ELEMENTS: ClassVar[int] = 4
    # A labelled byline may share its line with the section and date.
    LABELLED_BYLINE_MAX_CHARS: ClassVar[int] = 120
    # Classes and itemprops of `<time>` elements that show an update, not the publication.
    MODIFIED_HINT: ClassVar[re.Pattern[str]] = re.compile(r"modif|updat|edit", re.IGNORECASE)
    # Attribute names of view counters (data-views="123", data-view-count="1,2K").
    VIEWS_ATTRIBUTE: ClassVar[re.Pattern[str]] = re.compile(
        r"^data-(?:[\w-]*[-_])?(?:views?|view-?count|views-?count|page-?views|hits)$"
    )
    # Class tokens that mark an element as a view counter, so a bare number counts.
    VIEWS_CLASS: ClassVar[re.Pattern[str]] = re.compile(
        r"(?:^|[-_])(?:views?|view-?count|views-?count|views?-?counter|page-?views)(?:$|[-_])",
        re.IGNORECASE,
    )
    VIEW_ACTIONS: ClassVar[frozenset[str]] = frozenset({"WatchAction", "ViewAction", "ReadAction"})
    # Visible counters are short: "15601 переглядів", "Views: 1,2K".
    VIEWS_MAX_CHARS: ClassVar[int] = 60
    # Read-also holders: the label's nearest block ancestor, holding few links.
    READ_ALSO_BLOCKS: ClassVar[frozenset[str]] = frozenset(
        {"p", "div", "aside", "section", "li", "ul", "blockquote", "figure"}
    )
    READ_ALSO_MAX_LINKS: ClassVar[int] = 6
    # trafilatura's body extraction: links kept (they become body links).
    TRAFILATURA_OPTIONS: ClassVar[dict[str, Any]] = {
        "with_metadata": False,
        "include_comments": False,
        "include_tables": False,
        "include_links": True,
        "include_images": False,
    }
    # The fallback body (see _read_embedded_body): a JSON string value under a
    # body-like key, long enough to be an article.
    STATE_HTML: ClassVar[re.Pattern[str]] = re.compile(
        r'"(?:contentHtml|content_html|bodyHtml|body_html|articleBody|html|content|body)"'
        r'\s*:\s*"(?P<value>(?:[^"\\]|\\.){200,})"'
    )
    # Any of 55 languages: on 258 real pages 600 characters and 3 trials were as
    # accurate as langdetect's whole text and 7 trials, at less than half the cost.
    LANGUAGE_SAMPLE_CHARS: ClassVar[int] = 600
    LANGUAGE_TRIALS: ClassVar[int | None] = 3

    # ----------------------------------------------------------------- parse

    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        page = self._page(html, url, fetched_at)
        root = page.root
        article_url = self.canonical_url_of_page(root, url)

        headline_candidates = self._headline_candidates(page)
        headline = self._headline(headline_candidates)
        self._drop_stacked_articles(root, headline_candidates.h1)
        published_at, source = self._published(page)
        paragraphs, body_links = self._body(page, headline_candidates.ordered(), published_at)
        body = "\n\n".join(paragraphs) or None
        summary = (
            page.meta.first("og:description")
            or page.meta.first("description")
            or jsonld_text(page.ld.get("description"))
        )
        return Article(
            url=article_url,
            site=urls.site_of(article_url),
            fetched_at=page.fetched_at,
            headline=headline,
            summary=summary,
            body=body,
            language=self.language_of_text(body or summary or headline, self._language_hint(page)),
            published_at=published_at,
            published_source=source,
            modified_at=self._modified(page, published_at),
            authors=self._authors(page, paragraphs),
            section=page.meta.first("article:section") or jsonld_section(page.ld),
            tags=self._tags(page),
            views=self._views(page),
            links=body_links,
            alternates=self.alternates_of_page(root, article_url),
        )

    # ---------------------------------------------------------- page-level

    def _page(self, html: str, url: str, fetched_at: datetime) -> _Page:
        """The parsed page and what every field reader shares (fetch time made aware)."""
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=UTC)
        root = parsed_html(html, comments=False)
        ld_all = jsonld_objects(root)
        page = _Page(
            root, url, fetched_at, self.jsonld_article_among(ld_all), ld_all, _MetaTags(root)
        )
        page.publisher_keys = self._publisher_keys(page)
        return page

    def _publisher_keys(self, page: _Page) -> set[str]:
        """Comparison keys of every name the site goes by: its meta names, JSON-LD
        publisher and organisation names, and its host name."""
        names: list[str] = [page.meta.first(key) or "" for key in self.SITE_NAME_META]
        publisher = page.ld.get("publisher")
        for obj in [*page.ld_all, *(publisher if isinstance(publisher, list) else [publisher])]:
            if isinstance(obj, dict) and jsonld_types(obj) & self.PUBLISHER_TYPES:
                names.append(jsonld_text(obj.get("name")) or "")
        host = urls.site_of(page.url)
        names.extend([host, host.split(".")[0]] if host else [])
        return {key for name in names if len(key := _key(name.lstrip("@"))) >= 2}

    @staticmethod
    def _language_hint(page: _Page) -> str | None:
        root = page.root
        return (
            root.get("lang")
            or root.get("xml:lang")
            or page.meta.first("og:locale")
            or next(iter(root.xpath("//meta[@http-equiv='content-language']/@content")), None)
        )

    # -------------------------------------------------------------- headline

    def _headline_candidates(self, page: _Page) -> _Headlines:
        """Cleaned headline candidates by source, in order of reliability."""
        root = page.root
        h1s = [(h, text) for h in root.xpath("//h1") if (text := element_text(h))]
        raw = [
            # A `<meta name="headline">` says what JSON-LD would, on pages without it.
            jsonld_text(page.ld.get("headline")) or page.meta.first("headline") or "",
            jsonld_text(page.ld.get("name")) or "",
            self._microdata_headline(root),
            page.meta.first("og:title") or "",
            page.meta.first("twitter:title") or "",
            folded_text(root.findtext(".//title")),
        ]
        jsonld, name, microdata, og, twitter, title = (
            self._without_site_affixes(_unescaped(text), page.publisher_keys) for text in raw
        )
        # The article's <h1> is the one another source agrees with; a page can have a
        # logo or a login box as its first <h1>.
        agreed = {_key(text) for text in (jsonld, name, microdata, og, twitter, title) if text}
        h1_element, h1 = next(
            ((h, text) for h, text in h1s if _key(text) in agreed), h1s[0] if h1s else (None, "")
        )
        shown = self._shown_below_breadcrumb(h1_element) if h1_element is not None else ""
        # An article object can carry two titles: a short `headline` written for search
        # results and its full `name`. The one the page repeats is the article's.
        if name and _key(name) != _key(jsonld) and _key(name) in {_key(og), _key(h1)}:
            jsonld = name
        # Structured data twice, in JSON-LD and in microdata on the page: where they
        # disagree, the one the social titles repeat wins. Alone, microdata is not
        # trusted: pages mark subtitles and teasers `itemprop="headline"` too.
        if (
            microdata
            and _key(microdata) != _key(jsonld)
            and _key(microdata) in {_key(og), _key(twitter)}
        ):
            jsonld = microdata
        # A title that is only the site's name (the `<title>` of a page that lost its
        # own, a logo in an `<h1>`) is no headline.
        ordered = [
            "" if _key(text) in page.publisher_keys else text
            for text in (jsonld, og, h1, twitter, title)
        ]
        # " | Section" tails: cut them where the rest is what another source says.
        references = [text for text in ordered if text]
        jsonld, og, h1, twitter, title = (_without_tail(text, references) for text in ordered)
        return _Headlines(jsonld, og, h1, twitter, title, shown)

    @staticmethod
    def _microdata_headline(root: HtmlElement) -> str:
        """The text of the first element marked `itemprop="headline"` (schema.org microdata)."""
        for element in root.xpath("//*[@itemprop='headline']"):
            text = folded_text(element.get("content")) if element.tag == "meta" else ""
            if text := text or element_text(element):
                return text
        return ""

    def _shown_below_breadcrumb(self, h1: HtmlElement) -> str:
        """The heading below an `<h1>` that is the last item of the page's breadcrumb trail.

        Such pages put their search title in the `<h1>` (and often in JSON-LD) and show
        readers the headline in the next `<h2>`. "" when the `<h1>` is no breadcrumb.
        """
        if not any(self.BREADCRUMB in _marks(node) for node in (h1, *h1.iterancestors())):
            return ""
        for heading in h1.xpath(self.SHOWN_HEADING_XPATH):
            text = element_text(heading)
            if len(text) >= _KICKER_MIN_HEADLINE and not any(
                self.BREADCRUMB in _marks(node) for node in heading.iterancestors()
            ):
                return text
        return ""

    @staticmethod
    def _drop_stacked_articles(root: HtmlElement, h1: str) -> None:
        """Removes the other articles of a page that stacks several, each with its `<h1>`.

        Pages with endless scrolling ship the next stories below the first, each in an
        `<article>` of its own; their text, bylines and dates are not this article's.
        Nothing is removed unless the headline's `<h1>` is inside an `<article>`.
        """
        stacked = root.xpath("//article[.//h1]")
        if len(stacked) < 2 or not h1:
            return
        key = _key(h1)
        own = [a for a in stacked if any(_key(element_text(h)) == key for h in a.iter("h1"))]
        for article in stacked if own else ():
            if article not in own and not any(article in o.iterancestors() for o in own):
                article.drop_tree()

    @staticmethod
    def _without_site_affixes(text: str, publisher_keys: set[str]) -> str:
        """The title without a leading or trailing site name: "Title | Site", "Site: Title"."""
        while True:
            separators = list(_AFFIX_SEPARATOR.finditer(text))
            if not separators:
                return text
            last, first = separators[-1], separators[0]
            if _is_site_name(text[last.end() :], publisher_keys) and text[: last.start()].strip():
                text = text[: last.start()].strip()
            elif _is_site_name(text[: first.start()], publisher_keys) and text[first.end() :]:
                text = text[first.end() :].strip()
            else:
                return text

    @staticmethod
    def _headline(candidates: _Headlines) -> str | None:
        """The first candidate, without a kicker the page's other titles leave out.

        JSON-LD first: measured on 258 real pages, when JSON-LD and the <h1> disagree
        the JSON-LD headline is the article's more often than the <h1> (a rubric or
        a longer display line). Agreement with the <h1> is used to pick among <h1>s
        and to cut tails, which is where it is reliable.
        """
        ordered = candidates.ordered()
        if not ordered:
            return None
        # Below a breadcrumb <h1>, the heading readers see picks the source.
        shown = candidates.source_of_shown()
        if shown is not None:
            return shown
        first = ordered[0]
        # "Kicker: Headline" in JSON-LD while og:title/twitter:title say "Headline".
        for social in (candidates.og, candidates.twitter):
            if social and social != first and _kicker_of(first, social) is not None:
                return social
        return first

    # ------------------------------------------------------------------ body

    def _body(
        self, page: _Page, headlines: list[str], published_at: datetime | None
    ) -> tuple[list[str], list[Link]]:
        document = trafilatura.bare_extraction(
            # The parsed tree, not the HTML: parsing twice would cost ~6 ms a page.
            # trafilatura works on its own copy, so the tree stays whole for the
            # read-also inserts and link order below.
            page.root,
            url=page.url,
            **self.TRAFILATURA_OPTIONS,
        )
        zone = published_at.tzinfo if published_at is not None else None
        reader = _BodyReader(page.url, {_key(h) for h in headlines}, zone)
        if document is not None and document.body is not None:
            reader.read(document.body)
        if not reader.paragraphs:
            self._read_embedded_body(page, reader)
        read_also = self._read_also_inserts(page, reader, zone)
        if not read_also:
            # trafilatura keeps document order; only inserts found apart need merging.
            body_links = _merged_links(reader.links, [], {})
        else:
            body_links = _merged_links(reader.links, read_also, _link_order(page.root, page.url))
        return _without_furniture(reader.paragraphs), body_links

    def _read_embedded_body(self, page: _Page, reader: _BodyReader) -> None:
        """The body from the app state of a page whose markup has none.

        Pages rendered in the browser (Next.js, Nuxt) ship the article as an HTML
        string inside a script's JSON; the markup holds only a shell. (A JSON-LD
        `articleBody` is trafilatura's own fallback.) Only tried when trafilatura
        found nothing: it is a last resort.
        """
        body = max(self._state_html_strings(page.root), key=len, default=None)
        if body is None:
            return
        document = trafilatura.bare_extraction(
            f"<html><body><article>{body}</article></body></html>",
            url=page.url,
            **self.TRAFILATURA_OPTIONS,
        )
        if document is not None and document.body is not None:
            reader.read(document.body)

    def _state_html_strings(self, root: HtmlElement) -> Iterator[str]:
        """HTML strings with paragraphs found in the page's inline scripts' JSON."""
        for script in root.xpath("//script[not(@src)]/text()"):
            for match in self.STATE_HTML.finditer(script):
                try:
                    value = json.loads(f'"{match["value"]}"')
                except ValueError:
                    continue
                if "<p" in value or "<br" in value:
                    yield value

    def _read_also_inserts(
        self, page: _Page, reader: _BodyReader, zone: tzinfo | None
    ) -> list[Link]:
        """Read-also inserts between the body's paragraphs that trafilatura left out.

        trafilatura often drops a boxed insert as boilerplate; the label in the
        original tree finds it. Only inserts next to a body paragraph count, so a
        "See also" list in the sidebar or footer is not taken for one.
        """
        if not reader.paragraph_keys:
            return []
        found: list[Link] = []
        # The blocks themselves, not their id(): lxml hands out a Python proxy per
        # element only while one is referenced, so once a block's proxy is freed its
        # id() can come back for the next block, which would then count as seen.
        seen_blocks: set[HtmlElement] = set()
        for text_node in page.marked_text.read_also_labels:
            if read_also_label(str(text_node)) is None:
                continue
            parent = text_node.getparent()
            block = _enclosing(parent, self.READ_ALSO_BLOCKS)
            if block is None or block in seen_blocks:
                continue
            anchors = block.xpath(".//a[@href]")
            if not anchors or len(anchors) > self.READ_ALSO_MAX_LINKS:
                continue
            if not _next_to_paragraph(block, reader.paragraph_keys):
                continue
            seen_blocks.add(block)
            for anchor in anchors:
                holder = block if len(anchors) == 1 else anchor
                link = _read_also_link(anchor, holder, page.url, zone)
                if link is not None:
                    found.append(link)
        return found

    # ----------------------------------------------------------------- dates

    def _published(self, page: _Page) -> tuple[datetime | None, PublishedSource | None]:
        ld_values = [page.ld.get("datePublished")] + [
            obj.get("datePublished")
            for obj in page.ld_all
            if obj is not page.ld and jsonld_types(obj) & ARTICLE_JSONLD_TYPES
        ]
        dated = page.dated_elements
        # itemprop="datePublished" and <time pubdate> first: they name the publication.
        time_values = [
            value
            for element in dated
            if element.get("itemprop") == "datePublished"
            or (element.tag == "time" and element.get("pubdate") is not None)
            for value in (element.get("content"), element.get("datetime"))
        ] + [
            element.get("datetime")
            for element in dated
            # "Updated 10:45" is a <time> too; it must not pass for the publication.
            if element.tag == "time" and not self._is_modified_time(element)
        ]
        candidates: list[tuple[Iterable[Any], PublishedSource]] = [
            (ld_values, "jsonld"),
            ((page.meta.first(key) for key in self.PUBLISHED_META), "meta"),
            (time_values, "time"),
        ]
        for values, source in candidates:
            for value in values:
                when = _aware_datetime(value)
                # A date after the fetch is a template's "now" or a typo, never the
                # publication; the next source may still know better.
                if when is not None and when <= page.fetched_at:
                    return when, source
        # No ISO value anywhere: only now read the visible text (slow, and a guess).
        when = self._text_date(page)
        return (when, "text") if when is not None else (None, None)

    def _modified(self, page: _Page, published_at: datetime | None) -> datetime | None:
        """When the page says it was last updated: JSON-LD, meta tags, `<time>`."""
        values = [
            page.ld.get("dateModified"),
            *(page.meta.first(key) for key in self.MODIFIED_META),
            *(
                value
                for element in page.dated_elements
                if element.get("itemprop") == "dateModified"
                for value in (element.get("content"), element.get("datetime"))
            ),
            *(
                element.get("datetime")
                for element in page.dated_elements
                if element.tag == "time" and self._is_modified_time(element)
            ),
        ]
        for value in values:
            when = _aware_datetime(value)
            # Like a published date, an update cannot lie after the fetch; nor can it
            # come before the publication it updates.
            if when is None or when > page.fetched_at:
                continue
            if published_at is None or when >= published_at:
                return when
        return None

    def _is_modified_time(self, element: HtmlElement) -> bool:
        return bool(
            self.MODIFIED_HINT.search(f"{element.get('class', '')} {element.get('itemprop', '')}")
        )

    def _text_date(self, page: _Page) -> datetime | None:
        for element in page.root.xpath("//time[not(@datetime)]")[:3]:
            when = _dateparser_date(element_text(element), page.fetched_at)
            if when is not None:
                return when
        from htmldate import find_date  # trafilatura's own date finder, imported lazily

        try:
            found = find_date(
                page.root,
                extensive_search=True,
                original_date=True,
                url=page.url,
                max_date=page.fetched_at.date().isoformat(),
            )
        except (ValueError, TypeError):
            return None
        when = _aware_datetime(found)
        return when if when is not None and when <= page.fetched_at else None

    # --------------------------------------------------------------- authors

    def _authors(self, page: _Page, paragraphs: list[str]) -> list[str]:
        ld_authors = page.ld.get("author")
        sources: list[Iterable[str]] = [
            _jsonld_author_names(ld_authors, people=True),
            (value for key in self.AUTHOR_META for value in page.meta.every(key)),
            (_last_first(value) for value in page.meta.every(self.CITATION_AUTHOR_META)),
            self._trafilatura_names(page.root),
            self._byline_names(page.root),
            self._labelled_byline_names(page.root),
            self._author_link_names(page.root),
            self._byline_paragraph_names(page.root, paragraphs),
        ]
        # The first source that names a person wins: sources are not merged, as a
        # meta tag and a byline often spell the same person differently.
        # Organisations credited as author in JSON-LD are kept for the fallback below.
        credited: list[str] = _jsonld_author_names(ld_authors, people=False)
        for names in sources:
            found: list[str] = []
            people: list[str] = []
            for raw in names:
                split = [name for name in _split_names(raw) if not name.isdigit()]
                found.extend(split)
                # "hessenschau.de, Frankfurt, Germany": a byline that opens with the
                # publisher credits the newsroom; the rest is its address, not people.
                if split and not _is_site_name(split[0], page.publisher_keys):
                    people.extend(
                        name for name in split if not _is_site_name(name, page.publisher_keys)
                    )
            if people:
                return list(dict.fromkeys(people))
            credited.extend(found)
        # No person anywhere: the newsroom credits itself ("BBC News", "Redaktion
        # hessenschau.de"). That is the page's byline, so it is kept; it only loses
        # to a person's name.
        return list(dict.fromkeys(credited))[:1]

    def _byline_names(self, root: HtmlElement) -> Iterator[str]:
        # The first few only: later "author" elements are teaser cards of other articles.
        for element in root.xpath(self.BYLINE_XPATH)[: self.BYLINE_MAX_ELEMENTS]:
            text = element_text(element)
            if text and len(text) <= self.BYLINE_MAX_CHARS and not _DIGITS.search(text):
                yield text

    def _labelled_byline_names(self, root: HtmlElement) -> Iterator[str]:
        """Names after a byline label, in a short element ("Von: Jane Doe, John Roe")."""
        for text_node in root.xpath(_BYLINE_LABEL_XPATH):
            scope = text_node.getparent()
            # "<strong>Autor</strong> Jane Doe": the label's element holds only the label.
            for _ in range(2):
                if scope is None:
                    break
                text = element_text(scope)
                if len(text) > self.LABELLED_BYLINE_MAX_CHARS:
                    break
                label = _BYLINE_LABEL.match(text)
                rest = text[label.end() :].strip(" )") if label else ""
                if rest:
                    # "By TPN, in News, Portugal": the names end where the words stop
                    # looking like names.
                    split = _split_names(rest)
                    names = list(itertools.takewhile(_looks_like_name, split))
                    # A lone capitalised word ahead of other text is a weekday or a
                    # place ("von Montag, den 1. Mai"); an acronym is an agency ("TPN").
                    if len(names) < len(split):
                        names = [n for n in names if len(n.split()) > 1 or n.isupper()]
                    if names:
                        yield from names
                        return
                    break
                scope = scope.getparent()

    def _author_link_names(self, root: HtmlElement) -> Iterator[str]:
        """The text of the first links to an author page (`/author/jane-doe`)."""
        anchors = root.xpath("//body//a[contains(@href, '/author') or contains(@href, '/autor')]")
        # A link to one author's page, not to the list of authors ("/authors").
        profiles = [a for a in anchors if _AUTHOR_PAGE.search(a.get("href", ""))]
        for anchor in profiles[: self.BYLINE_MAX_ELEMENTS]:
            text = element_text(anchor)
            name = _BYLINE_PREFIX.sub("", text)
            # Two words at least: a lone word in an author link is initials or "Profile".
            if len(name.split()) >= 2 and _looks_like_name(name):
                yield text

    @staticmethod
    def _byline_paragraph_names(root: HtmlElement, paragraphs: list[str]) -> Iterator[str]:
        """A name set in bold as one of the body's first paragraphs or its last one
        (bylines of print articles)."""
        for text in dict.fromkeys([*paragraphs[:3], *paragraphs[-1:]]):
            names = _split_names(text)
            if len(text.split()) < 2 or not names or not all(map(_looks_like_name, names)):
                continue
            bold = root.xpath(
                "//p[normalize-space(.) = $t][.//strong[normalize-space(.) = $t]"
                " or .//b[normalize-space(.) = $t] or .//em[normalize-space(.) = $t]]",
                t=text,
            )
            if bold:
                yield text

    @staticmethod
    def _trafilatura_names(root: HtmlElement) -> Iterator[str]:
        # Lazy: trafilatura's byline search is the last resort and rarely reached.
        from trafilatura.metadata import extract_author

        found = extract_author(root)
        if found:
            yield from found.split(";")

    # ---------------------------------------------------------- tags, section

    @staticmethod
    def _tags(page: _Page) -> list[str]:
        tags = [folded_text(t) for t in page.root.xpath("//meta[@property='article:tag']/@content")]
        if not tags:
            keywords = page.ld.get("keywords")
            if isinstance(keywords, str):
                keywords = keywords.split(",")
            if isinstance(keywords, list):
                tags = [folded_text(k) for k in keywords if isinstance(k, str)]
        return list(dict.fromkeys(t for t in tags if t))

    # ----------------------------------------------------------------- views

    def _views(self, page: _Page) -> int | None:
        views = self._jsonld_views(page.ld.get("interactionStatistic"))
        if views is not None:
            return views
        # Filtered in XPath (C speed): iterating every element in Python is ~10 ms a page.
        for attribute in page.root.xpath(
            "//body//@*[starts-with(name(), 'data-') and (contains(name(), 'view')"
            " or contains(name(), 'hits'))]"
        ):
            if self.VIEWS_ATTRIBUTE.match(attribute.attrname):
                views = views_from_text(str(attribute), views_context=True)
                if views is not None:
                    return views
        for text_node in page.marked_text.views:
            element = text_node.getparent()
            # The number may sit in a sibling element: "<b>15601</b> <span>views</span>".
            for scope in (element, element.getparent() if element is not None else None):
                if scope is None or scope.tag in ("script", "style"):
                    break
                text = element_text(scope)
                if len(text) > self.VIEWS_MAX_CHARS:
                    break
                views = views_from_text(text)
                if views is not None:
                    return views
        for element in page.root.xpath(
            "//body//*[contains(@class, 'view') or contains(@class, 'View')]"
        ):
            if any(self.VIEWS_CLASS.search(token) for token in element.get("class", "").split()):
                views = views_from_text(element_text(element), views_context=True)
                if views is not None:
                    return views
        return None

    def _jsonld_views(self, statistic: Any) -> int | None:
        for item in statistic if isinstance(statistic, list) else [statistic]:
            if not isinstance(item, dict):
                continue
            action = item.get("interactionType")
            names = {action} if isinstance(action, str) else set()
            if isinstance(action, dict):
                names = jsonld_types(action)
            # "http://schema.org/WatchAction" and "WatchAction" both occur.
            if {name.rsplit("/", 1)[-1] for name in names} & self.VIEW_ACTIONS:
                count = item.get("userInteractionCount")
                if isinstance(count, int) and not isinstance(count, bool):
                    return count
                if isinstance(count, str):
                    views = views_from_text(count, views_context=True)
                    if views is not None:
                        return views
        return None


class _BodyReader:
    """Turns trafilatura's XML body into paragraphs and body links.

    Read-also paragraphs become links and leave the text; a leading paragraph that
    repeats the headline is dropped (the headline is its own field).
    """

    # trafilatura's block elements; a list or a quote yields one paragraph per child.
    CONTAINERS: ClassVar[frozenset[str]] = frozenset({"list", "quote", "div"})

    def __init__(self, base: str, headline_keys: set[str], zone: tzinfo | None) -> None:
        self.base = base
        self.headline_keys = headline_keys - {""}
        self.zone = zone
        self.paragraphs: list[str] = []
        self.paragraph_keys: set[str] = set()
        self.links: list[Link] = []

    def read(self, body: _Element) -> None:
        for block in self._blocks(body):
            self._block(block)

    def _blocks(self, element: _Element) -> Iterator[_Element]:
        for child in element:
            if isinstance(child.tag, str):
                if child.tag in self.CONTAINERS and len(child):
                    yield from self._blocks(child)
                else:
                    yield child
            # trafilatura leaves text that sat between blocks as a tail ("<head>…</head>
            # Text<p>…"); it is a paragraph of its own.
            if child.tail and child.tail.strip():
                loose = Element("p")
                loose.text = child.tail
                yield loose

    def _block(self, block: _Element) -> None:
        text = folded_text(_xml_text(block))
        if not text:
            return
        refs = [ref for ref in block.iter("ref") if ref.get("target")]
        if read_also_label(text) is not None and refs:
            for ref in refs:
                link = self._link(ref, "read_also", text)
                if link is not None:
                    self.links.append(link)
            return
        if is_read_also_label(text):
            return  # a label whose insert trafilatura dropped
        if not self.paragraphs and _key(text) in self.headline_keys:
            return  # the headline repeated at the top of the body
        if refs and self._all_link_text(text, refs):
            # A teaser list, tag cloud or author link: trafilatura keeps such
            # link-only blocks when asked for links, and drops them otherwise.
            return
        for ref in refs:
            link = self._link(ref, "inline", None)
            if link is not None:
                self.links.append(link)
        self.paragraphs.append(text)
        self.paragraph_keys.add(_key(text))

    @staticmethod
    def _all_link_text(text: str, refs: list[_Element]) -> bool:
        linked = sum(len(folded_text(_xml_text(ref))) for ref in refs)
        return linked >= 0.9 * len(text)

    def _link(self, ref: _Element, kind: str, holder_text: str | None) -> Link | None:
        url = urls.absolute_url(ref.get("target", ""), self.base)
        title = folded_text(_xml_text(ref))
        if url is None or not title:
            return None
        if kind == "read_also":
            shown_at = shown_date(holder_text, self.zone)
            return Link(
                kind="read_also",
                url=urls.canonical_url(url),
                title=_title_without_date(without_read_also_label(title)),
                shown_at=shown_at,
            )
        return Link(kind="inline", url=urls.canonical_url(url), title=title)


# ------------------------------------------------------------------ helpers


def _marks(element: HtmlElement) -> str:
    """The element's class, id, aria-label and itemtype, lower-cased: what names its role."""
    attributes = (element.get(name) for name in ("class", "id", "aria-label", "itemtype"))
    return " ".join(value for value in attributes if value).lower()


def _key(text: str | None) -> str:
    """A comparison key: case, punctuation, quotes and spacing ignored."""
    return _NON_WORD.sub("", (text or "").casefold())


def _unescaped(text: str) -> str:
    # JSON-LD and meta values are sometimes HTML-escaped twice ("&quot;", "&#8217;").
    return folded_text(html_lib.unescape(text)) if "&" in text else text


def _is_site_name(text: str, publisher_keys: set[str]) -> bool:
    key = _key(text)
    if len(key) < 2:
        return False
    # "Golem.de" vs "golem", "n-tv NACHRICHTEN" vs "ntv": one contains the other.
    # A long text that merely mentions the site ("Der Spiegel-Affäre") is no site name.
    return any(
        key == site
        or (len(site) >= 3 and len(key) <= len(site) + 12 and (site in key or key in site))
        for site in publisher_keys
    )


def _without_furniture(paragraphs: list[str]) -> list[str]:
    """The paragraphs without picture credits and without short repeated paragraphs.

    An article does not repeat a sentence word for word; pages do repeat the consent
    placeholder of every embed, "Advertisement" labels and credits.
    """
    counts = Counter(paragraphs)
    return [
        text
        for text in paragraphs
        if (counts[text] == 1 or len(text) > _REPEAT_MAX_CHARS) and not _PICTURE_CREDIT.match(text)
    ]


def _without_tail(text: str, references: list[str]) -> str:
    """ "Title | Section" or "Title – Site" -> "Title" when another source says "Title"."""
    for reference in references:
        if (
            reference != text
            and len(reference) >= 10
            and text.startswith(reference)
            and _TAIL_SEPARATOR.match(text[len(reference) :])
        ):
            return reference
    return text


def _kicker_of(text: str, headline: str) -> str | None:
    """The kicker in "Kicker: Headline" when text is that and headline the rest."""
    if len(headline) < _KICKER_MIN_HEADLINE or not text.endswith(headline):
        return None
    match = _KICKER_END.search(text[: -len(headline)])
    return match["kicker"] if match else None


def _xml_text(element: _Element) -> str:
    """The element's text with line breaks (<lb/>) as spaces, so words do not merge."""
    parts: list[str] = []
    for node in element.iter():
        if node.tag == "lb":
            parts.append(" ")
        elif node.text:
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def _enclosing(element: HtmlElement | None, tags: frozenset[str]) -> HtmlElement | None:
    while element is not None and isinstance(element.tag, str) and element.tag not in tags:
        if element.tag in ("body", "html"):
            return None
        element = element.getparent()
    return element


def _next_to_paragraph(block: HtmlElement, paragraph_keys: set[str]) -> bool:
    """Whether an element beside the block (or beside its parent) is body text."""
    for scope in (block, block.getparent()):
        if scope is None:
            return False
        for sibling in (scope.getprevious(), scope.getnext()):
            while sibling is not None and not element_text(sibling):
                sibling = sibling.getprevious() if sibling is scope.getprevious() else None
            if sibling is not None and _key(element_text(sibling)) in paragraph_keys:
                return True
    return False


def _read_also_link(
    anchor: HtmlElement, holder: HtmlElement, base: str, zone: tzinfo | None
) -> Link | None:
    url = urls.absolute_url(anchor.get("href", ""), base)
    title = _title_without_date(without_read_also_label(element_text(anchor)))
    if url is None or not title:
        return None
    times = holder.xpath(".//time/@datetime")
    shown_at = _aware_datetime(times[0]) if times else None
    if shown_at is None:
        shown_at = shown_date(element_text(holder), zone)
    return Link(kind="read_also", url=urls.canonical_url(url), title=title, shown_at=shown_at)


_DATE_TAIL = re.compile(r"[\s,(|–—-]*\d{1,2}[./]\d{1,2}[./]\d{2,4}(?:,?\s*\d{1,2}:\d{2})?\)?\s*$")


def _title_without_date(text: str) -> str | None:
    return folded_text(_DATE_TAIL.sub("", text)) or None


def _link_order(root: HtmlElement, base: str) -> dict[str, int]:
    """Each linked URL's first position among the page's links, for ordering."""
    order: dict[str, int] = {}
    for index, href in enumerate(root.xpath("//body//a/@href")):
        url = urls.absolute_url(href, base)
        if url is not None:
            order.setdefault(urls.canonical_url(url), index)
    return order


def _merged_links(body: list[Link], inserts: list[Link], order: dict[str, int]) -> list[Link]:
    """Body links and read-also inserts in order of appearance, each URL+kind once."""
    merged: dict[tuple[str, str], Link] = {}
    for link in [*body, *inserts]:
        merged.setdefault((link.kind, link.url), link)
    fallback = len(order)
    ordered = sorted(merged.values(), key=lambda link: order.get(link.url, fallback))
    for position, link in enumerate(ordered):
        link.position = position
    return ordered


def _last_first(name: str) -> str:
    # citation_author is "Last, First": one person, not two.
    match = _LAST_FIRST.match(name)
    return f"{match['first'].strip()} {match['last'].strip()}" if match else name


def _jsonld_author_names(value: Any, *, people: bool) -> list[str]:
    """Names of JSON-LD authors that are persons (people=True) or organisations."""
    if isinstance(value, list):
        return [name for item in value for name in _jsonld_author_names(item, people=people)]
    if isinstance(value, dict):
        is_organisation = bool(jsonld_types(value) & GenericParser.PUBLISHER_TYPES)
        name = jsonld_text(value.get("name"))
        return [name] if name and is_organisation != people else []
    name = jsonld_text(value)
    return [name] if name and people else []


def _split_names(raw: str) -> list[str]:
    """A byline as names: "By Jane Doe and John Roe" -> ["Jane Doe", "John Roe"]."""
    text = folded_text(_unescaped(raw))
    if not text:
        return []
    text = _last_first(text)
    names = []
    parts = _NAME_SEPARATOR.split(_BYLINE_PREFIX.sub("", text))
    # "Jane Doe/John Roe", but not inside a URL ("https://site/author/jane").
    parts = [name for part in parts for name in (part.split("/") if "//" not in part else [part])]
    for part in parts:
        name = _BYLINE_PREFIX.sub("", part).strip(" .:|-–—")
        # URLs and e-mail addresses are contact data, not names; a lone "By" or
        # "Follow" is the byline's furniture; one letter is an initial split off.
        if len(name) >= 2 and not _EMAIL_OR_URL.search(name) and name.casefold() not in _NOT_NAMES:
            names.append(name)
    return names


def _looks_like_name(text: str) -> bool:
    """Whether the text reads as one person's name: a few capitalised words."""
    words = text.split()
    if not 1 <= len(words) <= 5 or len(text) > 50 or _DIGITS.search(text):
        return False
    for word in words:
        letter = next((char for char in word if char.isalpha()), "")
        # Scripts without letter case (Chinese, Arabic, ...) say nothing either way.
        if letter.islower() and word.casefold() not in _NAME_PARTICLES:
            return False
    return True


def _aware_datetime(value: Any) -> datetime | None:
    """An ISO 8601 (or RFC 2822) value as an aware datetime; no offset means UTC."""
    parsed = aware_datetime(value)
    if parsed is not None or not isinstance(value, str) or not value.strip():
        return parsed
    try:
        parsed = parsedate_to_datetime(value.strip())
    except (TypeError, ValueError, IndexError):
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def _dateparser_date(text: str, fetched_at: datetime) -> datetime | None:
    """A shown date ("3. Mai 2024, 10:15 Uhr") read by dateparser; None if it is none."""
    if not text or len(text) > 64 or not _DIGITS.search(text):
        return None
    import dateparser  # lazily: slow to load and rarely needed

    settings = {
        "RELATIVE_BASE": fetched_at.astimezone(UTC).replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "TIMEZONE": "UTC",
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    try:
        parsed = dateparser.parse(text, settings=settings)
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None or parsed > fetched_at:
        return None
    return parsed
