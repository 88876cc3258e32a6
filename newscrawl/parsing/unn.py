"""UNN (unn.ua): the Ukrainian National News agency, in Ukrainian, English and Russian.

The site is a Next.js app whose classes are CSS-module names with a per-build hash
(`single-news-card_body__w0_Jb`), so every selector below is a class PREFIX and never
a hash. The shared folder's site notes (`sites/unn.md`) say what the pages look like
and which parts of that are seen rather than assumed; where a shape is only assumed
(the read-also insert), the parser also recognises the content itself (a link ending
in `dd.mm.yy, HH:MM`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from lxml.html import HtmlElement

from newscrawl.items import Article, Link, PublishedSource
from newscrawl.parsing import urls
from newscrawl.parsing.dates import (
    READALSO_DATE_AT_END,
    iso_datetime,
    local_datetime,
    readalso_date,
)
from newscrawl.parsing.html import (
    element_text,
    elements_by_class_prefix,
    first_by_class_prefix,
    has_class_prefix,
    meta_content,
    parsed_html,
    word_set,
)
from newscrawl.parsing.jsonld import jsonld_names, jsonld_section, jsonld_text
from newscrawl.parsing.readalso import is_read_also_label
from newscrawl.parsing.ukrainian import UkrainianSiteParser
from newscrawl.parsing.views import views_from_text
from newscrawl.text import folded_text

# Elements that start a new paragraph: leaf-most ones yield the text, containers
# (a blockquote of <p>s, a <ul>) only separate it, so nothing is counted twice.
_BLOCK_TAGS = word_set(
    "p h1 h2 h3 h4 h5 h6 blockquote li ul ol dl dt dd div section article aside header footer "
    "main table thead tbody tr td th pre address hr center"
)
# Never article text: code, media, embeds, captions, forms.
_EXCLUDED_TAGS = word_set(
    "script style noscript template iframe embed object video audio source track svg canvas "
    "picture img figure figcaption button form input select textarea nav head title meta link"
)
# Elements that may wrap a read-also insert with unknown classes (detected by its date).
_READ_ALSO_HOLDERS = frozenset({"div", "p", "aside", "section", "li"})


class UnnParser(UkrainianSiteParser):
    """Article pages of unn.ua (uk `/news/`, en `/en/news/`, ru `/ru/news/`) and AMP copies."""

    DOMAINS: ClassVar[tuple[str, ...]] = ("unn.ua",)
    NAME: ClassVar[str] = "unn"
    VERSION: ClassVar[str] = "1"

    SITE: ClassVar[str] = "unn.ua"
    HOME: ClassVar[str] = "https://unn.ua/"
    TITLE_SUFFIX: ClassVar[str] = " | УНН"
    URL_LANGUAGES: ClassVar[Mapping[str, str]] = {"en": "en", "ru": "ru"}

    # CSS-module class prefixes (component_element__); the hash after "__" varies.
    CARD: ClassVar[str] = "single-news-card_root__"
    HEADLINE: ClassVar[str] = "single-news-card_newsTitle__"
    INFO_ITEM: ClassVar[str] = "single-news-card_tagDateInfoItem__"
    LOCATION: ClassVar[str] = "single-news-card_location__"
    CONTENT: ClassVar[str] = "single-news-card_contentBlock__"
    ANNOUNCE: ClassVar[str] = "single-news-card_announce__"
    BODY: ClassVar[str] = "single-news-card_body__"
    AUTHOR: ClassVar[str] = "single-news-card_author__"
    TAGS: ClassVar[str] = "single-news-card_tags__"
    READ_ALSO: ClassVar[str] = "read-also_root__"
    READ_ALSO_TITLE: ClassVar[str] = "read-also_title__"
    READ_ALSO_DATE: ClassVar[str] = "read-also_date__"
    RELATED: ClassVar[str] = "news-by-theme_root__"
    RELATED_CARD: ClassVar[str] = "news-card_root__"
    # Ad slots: no UNN markup is known, so common component names are guessed.
    AD_PREFIXES: ClassVar[tuple[str, ...]] = (
        "adv",
        "ads_",
        "ads-",
        "ad_",
        "ad-",
        "banner",
        "advertising",
    )

    # "/amp/<slug>", "/en/amp/<slug>", "/ru/amp/<slug>": AMP copies of "/…/news/<slug>".
    AMP_PATH: ClassVar[re.Pattern[str]] = re.compile(r"^(?P<lang>/(?:en|ru))?/amp/(?P<slug>.+)$")

    # ------------------------------------------------------------------ URLs

    def canonical_url(self, url: str) -> str:
        """The archive URL: https://unn.ua, AMP copy mapped to /news/, no tracking params.

        Other hosts (inline links to other sites, img.unn.ua) only get the generic
        canonical form.
        """
        canonical = urls.canonical_url(url)
        parts = urlsplit(canonical)
        if (parts.hostname or "") not in ("unn.ua", "www.unn.ua"):
            return canonical
        path = parts.path
        if len(path) > 1:
            path = path.rstrip("/") or "/"
        amp = self.AMP_PATH.match(path)
        if amp is not None:
            path = f"{amp['lang'] or ''}/news/{amp['slug']}"
        return urlunsplit(("https", "unn.ua", path, parts.query, ""))

    # ----------------------------------------------------------------- parse

    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        root = parsed_html(html)
        article = self.page_level_article(root, url, fetched_at)
        jsonld = self.jsonld_article_of_page(root)
        card = first_by_class_prefix(root, self.CARD)
        if not self._is_article_page(root, card, jsonld):
            # A listing or error page: nothing of it is an article's field.
            return article
        scope = card if card is not None else root
        info_items = elements_by_class_prefix(scope, self.INFO_ITEM)

        article.headline = self._headline(root, scope, jsonld)
        article.summary = self._summary(root, scope, jsonld)
        paragraphs, body_links = self._body(scope, article.url)
        article.body = "\n\n".join(paragraphs) or None
        article.links = body_links
        article.published_at, article.published_source = self._published(
            info_items, jsonld, fetched_at
        )
        article.authors = self._authors(scope, jsonld)
        article.tags = self._tags(scope)
        article.section = self._section(info_items, jsonld, article.tags)
        article.views = self._views(info_items)
        article.related = self._related(root, article.url, fetched_at)
        # The declared language is the hint for text too short to tell.
        article.language = self.language_of_text(
            article.body or article.summary or article.headline, article.language
        )
        return article

    # ---------------------------------------------------------- page-level

    def _is_article_page(
        self, root: HtmlElement, card: HtmlElement | None, jsonld: dict[str, Any]
    ) -> bool:
        return (
            card is not None
            or bool(jsonld)
            or meta_content(root, "og:type") == "article"
            or first_by_class_prefix(root, self.BODY) is not None
            or first_by_class_prefix(root, self.HEADLINE) is not None
        )

    # -------------------------------------------------------------- fields

    def _headline(
        self, root: HtmlElement, scope: HtmlElement, jsonld: dict[str, Any]
    ) -> str | None:
        heading = first_by_class_prefix(scope, self.HEADLINE)
        if heading is None:
            headings = scope.xpath(".//h1")
            heading = headings[0] if headings else None
        text = element_text(heading)
        if text:
            return text
        title = meta_content(root, "og:title") or jsonld_text(jsonld.get("headline"))
        if title:
            return title
        page_title = folded_text(root.findtext(".//title"))
        return page_title.removesuffix(self.TITLE_SUFFIX.strip()).rstrip(" |") or None

    def _summary(self, root: HtmlElement, scope: HtmlElement, jsonld: dict[str, Any]) -> str | None:
        text = element_text(first_by_class_prefix(scope, self.ANNOUNCE))
        return (
            text
            or meta_content(root, "description")
            or meta_content(root, "og:description")
            or jsonld_text(jsonld.get("description"))
        )

    def _published(
        self, info_items: list[HtmlElement], jsonld: dict[str, Any], fetched_at: datetime
    ) -> tuple[datetime | None, PublishedSource | None]:
        published = iso_datetime(jsonld.get("datePublished"), self.TIMEZONE)
        if published is not None:
            return published, "jsonld"
        # "<a>Section</a> • June 24 2024, 09:12 AM": the date is one of the parts; the
        # views item ("• 15601 переглядiв") is skipped so a count is never read as a date.
        for item in info_items:
            for part in element_text(item).split("•"):
                if views_from_text(part) is not None:
                    continue
                shown = local_datetime(part, fetched_at, self.TIMEZONE)
                if shown is not None:
                    return shown, "page"
        return None, None

    def _authors(self, scope: HtmlElement, jsonld: dict[str, Any]) -> list[str]:
        names: list[str] = []
        for block in elements_by_class_prefix(scope, self.AUTHOR):
            anchors = block.xpath(".//a")
            texts = [element_text(a) for a in anchors] if anchors else [element_text(block)]
            names.extend(t for t in texts if t)
        if not names:
            names = jsonld_names(jsonld.get("author"))
        return list(dict.fromkeys(names))

    def _tags(self, scope: HtmlElement) -> list[str]:
        block = first_by_class_prefix(scope, self.TAGS)
        if block is None:
            return []
        return [text for a in block.xpath(".//a") if (text := element_text(a))]

    def _section(
        self, info_items: list[HtmlElement], jsonld: dict[str, Any], tags: list[str]
    ) -> str | None:
        for item in info_items[:1]:
            for anchor in item.xpath(".//a"):
                text = element_text(anchor)
                if text:
                    return text
        # Not every page shows the section in its info line (the seed page does not);
        # the section is then the JSON-LD articleSection or the first tag.
        return jsonld_section(jsonld) or (tags[0] if tags else None)

    def _views(self, info_items: list[HtmlElement]) -> int | None:
        # Usually the 2nd item, but any item carrying the views word will do.
        for item in info_items:
            views = views_from_text(element_text(item))
            if views is not None:
                return views
        return None

    def _related(self, root: HtmlElement, base: str, fetched_at: datetime) -> list[Link]:
        section = first_by_class_prefix(root, self.RELATED)
        if section is None:
            return []
        cards = elements_by_class_prefix(section, self.RELATED_CARD)
        if not cards:
            # Card classes renamed: any link with a heading is a card.
            cards = section.xpath(".//a[@href][.//h3 or .//h4]")
        related: list[Link] = []
        for card in cards:
            anchor = card if card.tag == "a" else next(iter(card.xpath(".//a[@href]")), None)
            url = self.link_url(anchor, base)
            if url is None:
                continue
            headings = card.xpath(".//h3 | .//h4 | .//h2")
            title = element_text(headings[0]) if headings else None
            shown_at, views = self._card_info(card, fetched_at)
            related.append(
                Link(
                    kind="related",
                    url=url,
                    title=title or None,
                    shown_at=shown_at,
                    position=len(related),
                    views=views,
                )
            )
        return related

    def _card_info(
        self, card: HtmlElement, fetched_at: datetime
    ) -> tuple[datetime | None, int | None]:
        # The info line: "News of the World • May 9 2024, 01:27 PM • 19981 views".
        # Only lines with a bullet are read, so the lead text is never taken for a date.
        shown_at: datetime | None = None
        views: int | None = None
        for line in card.xpath(".//p | .//div | .//span"):
            text = element_text(line)
            if "•" not in text:
                continue
            for part in text.split("•"):
                part_views = views_from_text(part)
                if part_views is not None:
                    views = views if views is not None else part_views
                elif shown_at is None:
                    shown_at = local_datetime(part, fetched_at, self.TIMEZONE)
        return shown_at, views

    def link_url(self, anchor: HtmlElement | None, base: str) -> str | None:
        if anchor is None:
            return None
        absolute = urls.absolute_url(anchor.get("href", ""), base)
        return self.canonical_url(absolute) if absolute else None

    # ---------------------------------------------------------------- body

    def _body(self, scope: HtmlElement, base: str) -> tuple[list[str], list[Link]]:
        body = first_by_class_prefix(scope, self.BODY)
        if body is None:
            # No body block (renamed?): the content block, announce excluded below.
            body = first_by_class_prefix(scope, self.CONTENT)
        if body is None:
            return [], []
        reader = _BodyReader(self, base)
        reader.read(body)
        return reader.paragraphs, reader.links

    def is_excluded(self, element: HtmlElement, tag: str) -> bool:
        """Whether the element and everything in it is not article text."""
        if tag in _EXCLUDED_TAGS or tag.startswith("amp-"):
            return True
        classes = element.get("class")
        if not classes:
            return False
        return any(
            token.startswith(prefix)
            for token in classes.split()
            for prefix in (self.ANNOUNCE, self.LOCATION, *self.AD_PREFIXES)
        )

    def read_also_links(self, element: HtmlElement, tag: str, base: str) -> list[Link] | None:
        """The read-also links the element is, or None if it is not a read-also insert.

        Known shape: a `read-also_root__` block. Any other shape is recognised by its
        content: a link, or a block holding just one link, whose text ends in
        `dd.mm.yy, HH:MM`.
        """
        if has_class_prefix(element, self.READ_ALSO):
            anchors = element.xpath(".//a[@href]")
            holder = element if len(anchors) == 1 else None
            return [
                link
                for anchor in anchors
                if (link := self._read_also_link(anchor, holder, base)) is not None
            ]
        if tag != "a" and tag not in _READ_ALSO_HOLDERS:
            return None
        text = element_text(element)
        date = READALSO_DATE_AT_END.search(text)
        if date is None:
            return None
        if tag == "a":
            # A link that is only a date ("the meeting is on 10.02.25, 10:00") has no
            # title: it is an ordinary inline link.
            if not text[: date.start()].strip():
                return None
            link = self._read_also_link(element, None, base)
            return [link] if link is not None else []
        anchors = element.xpath(".//a[@href]")
        if len(anchors) != 1:
            return None
        # The block must be nothing but the link and its date (maybe a label), or a
        # paragraph that merely ends in a linked date would vanish from the body.
        rest = text[: date.start()].strip()
        link_text = READALSO_DATE_AT_END.sub("", element_text(anchors[0])).strip()
        label = rest.removesuffix(link_text).strip()
        if not link_text or not (label == "" or is_read_also_label(label)):
            return None
        link = self._read_also_link(anchors[0], element, base)
        return [link] if link is not None else []

    def _read_also_link(
        self, anchor: HtmlElement, holder: HtmlElement | None, base: str
    ) -> Link | None:
        url = self.link_url(anchor, base)
        if url is None:
            return None
        scope = holder if holder is not None else anchor
        title = element_text(first_by_class_prefix(scope, self.READ_ALSO_TITLE))
        if not title:
            title = READALSO_DATE_AT_END.sub("", element_text(anchor)).strip()
        date_text = element_text(first_by_class_prefix(scope, self.READ_ALSO_DATE))
        shown_at = readalso_date(date_text or element_text(scope), self.TIMEZONE)
        return Link(kind="read_also", url=url, title=title or None, shown_at=shown_at)


class _BodyReader:
    """Walks the body once, in document order, collecting paragraphs and body links.

    Text accumulates in a buffer that every block boundary flushes into a paragraph,
    so leaf-most blocks give one paragraph each and loose text between blocks is kept.
    """

    def __init__(self, parser: UnnParser, base: str) -> None:
        self.parser = parser
        self.base = base
        self.paragraphs: list[str] = []
        self.links: list[Link] = []
        self._buffer: list[str] = []

    def read(self, body: HtmlElement) -> None:
        self._read_content(body)
        self._flush()

    def _read_content(self, element: HtmlElement) -> None:
        if element.text:
            self._buffer.append(element.text)
        for child in element:
            self._visit(child)
            # A comment's tail is text too: React's "<!-- -->15601<!-- -->".
            if child.tail:
                self._buffer.append(child.tail)

    def _visit(self, element: HtmlElement) -> None:
        if not isinstance(element.tag, str):  # comment or processing instruction
            return
        tag = element.tag.lower()
        if self.parser.is_excluded(element, tag):
            if tag in _BLOCK_TAGS or tag in ("figure", "iframe", "embed", "object"):
                self._flush()
            return
        read_also = self.parser.read_also_links(element, tag, self.base)
        if read_also is not None:
            if tag != "a":
                self._flush()
            for link in read_also:
                self._add_link(link)
            return
        if tag in _BLOCK_TAGS:
            self._flush()
            self._read_content(element)
            self._flush()
        elif tag == "br":
            self._buffer.append(" ")
        elif tag == "a":
            self._inline_link(element)
            self._read_content(element)
        else:
            self._read_content(element)

    def _inline_link(self, anchor: HtmlElement) -> None:
        title = element_text(anchor)
        url = self.parser.link_url(anchor, self.base)
        if url and title:
            self._add_link(Link(kind="inline", url=url, title=title))

    def _add_link(self, link: Link) -> None:
        link.position = len(self.links)
        self.links.append(link)

    def _flush(self) -> None:
        text = folded_text("".join(self._buffer))
        self._buffer.clear()
        # A "Читайте також:" left behind by a removed read-also insert is no paragraph.
        if text and not is_read_also_label(text):
            self.paragraphs.append(text)
