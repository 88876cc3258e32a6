"""UNN (unn.ua): the Ukrainian National News agency, in Ukrainian, English and Russian.

The site is a Next.js app whose classes are CSS-module names with a per-build hash
(`single-news-card_body__w0_Jb`), so every selector below is a class PREFIX and never
a hash. The shared folder's site notes (`sites/unn.md`) say what the pages look like
and which parts of that are seen rather than assumed; where a shape is only assumed
(the read-also insert), the parser also recognises the content itself (a link ending
in `dd.mm.yy, HH:MM`).

When a redesign renames the classes too, the rules fall back on the page's structure,
which a redesign keeps: the `<h1>`, the bulleted info line between it and the text,
the block holding most paragraph text (`newscrawl.parsing.structure`), links to author
pages. The content rules (read-also inserts, the announce, the location line) are
about text, so they work inside that block as they do inside the classed one.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from functools import cached_property
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from lxml.html import HtmlElement

from newscrawl.items import Article, Link, PublishedSource
from newscrawl.parsing import urls
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.dates import (
    READALSO_DATE_AT_END,
    iso_datetime,
    local_datetime,
    readalso_date,
)
from newscrawl.parsing.generic.page import text_key
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
from newscrawl.parsing.structure import MainContent, main_content
from newscrawl.parsing.views import views_from_text
from newscrawl.sites.spec import Site
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
# An article page's text runs to several paragraphs; an error page shows a heading
# and one line. Only used when no class, JSON-LD or og:type says "article".
_MIN_ARTICLE_PARAGRAPHS = 2
# A location line names a place in a few words: "Київ", "Ivano-Frankivsk region".
_PLACE = r"[^\W\d][\w'’.\- ]{0,39}"


class UnnParser(SiteParser):
    """Article pages of unn.ua (uk `/news/`, en `/en/news/`, ru `/ru/news/`) and AMP copies."""

    NAME: ClassVar[str] = "unn"
    VERSION: ClassVar[str] = "2"
    # Seen on every article page, the one real page (sites/unn.md's seed) included;
    # the seed shows no date of its own, so the date is not among them.
    ALWAYS_PRESENT: ClassVar[frozenset[str]] = frozenset({"headline", "summary", "body", "views"})

    TITLE_SUFFIX: ClassVar[str] = " | УНН"

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
    # The related block's heading, case-folded: English seen, Ukrainian in the site
    # notes, Russian assumed to follow the pattern.
    RELATED_HEADINGS: ClassVar[frozenset[str]] = frozenset(
        {"news by theme", "новини за темою", "новости по теме"}
    )
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

    # An ad slot's label, case-folded: the slot's text where its class is unknown.
    AD_LABELS: ClassVar[frozenset[str]] = frozenset({"реклама", "advertisement", "advertising"})

    # "/amp/<slug>", "/en/amp/<slug>", "/ru/amp/<slug>": AMP copies of "/…/news/<slug>".
    AMP_PATH: ClassVar[re.Pattern[str]] = re.compile(r"^(?P<lang>/(?:en|ru))?/amp/(?P<slug>.+)$")
    # An article's canonical path (AMP copies map to it).
    ARTICLE_PATH: ClassVar[re.Pattern[str]] = re.compile(r"^(?:/(?:en|ru))?/news/[^/]+$")
    # Author pages, "/authors/<slug>" (seen): the links to them name the authors.
    AUTHOR_PATH: ClassVar[re.Pattern[str]] = re.compile(r"^(?:/(?:en|ru))?/authors/[^/]+/?$")
    # The location line, "Київ • УНН", "Kyiv • UNN": a place, a bullet and the agency's
    # name as the edition spells it. Never article text.
    AGENCY_NAMES: ClassVar[tuple[str, ...]] = ("УНН", "UNN")
    LOCATION_LINE: ClassVar[re.Pattern[str]] = re.compile(
        rf"^{_PLACE}\s*•\s*(?:{'|'.join(map(re.escape, AGENCY_NAMES))})$", re.IGNORECASE
    )

    # ------------------------------------------------------------------ URLs

    def canonical_url(self, url: str) -> str:
        """The archive URL: https://unn.ua, AMP copy mapped to /news/, no tracking params.

        Other hosts (inline links to other sites, img.unn.ua) only get the generic
        canonical form.
        """
        canonical = urls.canonical_url(url)
        if urls.http_url(canonical) is None:  # unreadable: it has no canonical form
            return canonical
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
        layout = _Layout(root)
        if not self._is_article_page(root, card, jsonld, layout, article.url):
            # A listing or error page: nothing of it is an article's field.
            return article
        scope = card if card is not None else layout.article_scope
        info_items = elements_by_class_prefix(scope, self.INFO_ITEM) or self._info_line(layout)

        article.headline = self._headline(root, scope, jsonld)
        article.summary = self._summary(root, scope, layout, jsonld)
        paragraphs, body_links = self._body(scope, layout, article.url, article.summary)
        article.body = "\n\n".join(paragraphs) or None
        article.links = body_links
        article.published_at, article.published_source = self._published(
            info_items, jsonld, fetched_at
        )
        article.authors = self._authors(scope, jsonld)
        article.tags = self._tags(scope, layout, article.url)
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
        self,
        root: HtmlElement,
        card: HtmlElement | None,
        jsonld: dict[str, Any],
        layout: _Layout,
        article_url: str,
    ) -> bool:
        if (
            card is not None
            or bool(jsonld)
            or meta_content(root, "og:type") == "article"
            or first_by_class_prefix(root, self.BODY) is not None
            or first_by_class_prefix(root, self.HEADLINE) is not None
        ):
            return True
        # Nothing in the markup says so (a redesign renamed the classes, the page has
        # no JSON-LD): an article URL showing a headline and paragraphs of text.
        content = layout.content
        return (
            self.ARTICLE_PATH.match(urlsplit(article_url).path) is not None
            and layout.h1 is not None
            and content is not None
            and content.paragraphs >= _MIN_ARTICLE_PARAGRAPHS
        )

    def _info_line(self, layout: _Layout) -> list[HtmlElement]:
        """The info line's items found by structure, when their classes miss.

        The info line ("Section • date", "• 15601 views") is the bulleted text between
        the headline and the article text; its items are the bulleted elements beside
        the first one. The location line is bulleted too, and is skipped.
        """
        if layout.h1 is None:
            return []
        end = layout.content.node if layout.content is not None else None
        for element in _following_elements(layout.h1):
            if element is end:
                break
            if self._is_bulleted(element) and not _in_link(element):
                holder = element.getparent()
                if holder is None:
                    return [element]
                return [item for item in holder if self._is_bulleted(item)]
        return []

    def _bold_announce(self, layout: _Layout) -> HtmlElement | None:
        """The announce found by structure, when its class misses: the bold paragraph
        between the headline and the text (`<p><strong>…</strong></p>`, sites/unn.md).
        """
        if layout.h1 is None or layout.content is None:
            return None
        text_block = layout.content.node
        for element in _following_elements(layout.h1):
            if element.tag != "p" or _in_link(element):
                continue
            text = element_text(element)
            if not text or self.is_location_line(text):
                continue
            bold = "".join(element_text(b) for b in element.xpath("./strong | ./b"))
            if folded_text(bold) == text:
                return element
            if text_block in element.iterancestors():
                return None  # the text has begun, and no announce came before it
        return None

    def _is_bulleted(self, element: HtmlElement) -> bool:
        # The bullet in the element's own text, not in a child's: "<a>Section</a> • date".
        if not isinstance(element.tag, str):
            return False
        own = [element.text or "", *(child.tail or "" for child in element)]
        return "•" in "".join(own) and not self.is_location_line(element_text(element))

    def is_location_line(self, text: str) -> bool:
        """Whether the text is the location line: "Київ • УНН", "Kyiv • UNN"."""
        return self.LOCATION_LINE.match(text) is not None

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

    def _summary(
        self, root: HtmlElement, scope: HtmlElement, layout: _Layout, jsonld: dict[str, Any]
    ) -> str | None:
        announce = first_by_class_prefix(scope, self.ANNOUNCE)
        if announce is None:
            announce = self._bold_announce(layout)
        return (
            element_text(announce)
            or meta_content(root, "description")
            or meta_content(root, "og:description")
            or jsonld_text(jsonld.get("description"))
        )

    def _published(
        self, info_items: list[HtmlElement], jsonld: dict[str, Any], fetched_at: datetime
    ) -> tuple[datetime | None, PublishedSource | None]:
        published = iso_datetime(jsonld.get("datePublished"), self.zone, fetched_at)
        if published is not None:
            return published, "jsonld"
        # "<a>Section</a> • June 24 2024, 09:12 AM": the date is one of the parts; the
        # views item ("• 15601 переглядiв") is skipped so a count is never read as a date.
        for item in info_items:
            for part in element_text(item).split("•"):
                if views_from_text(part) is not None:
                    continue
                shown = local_datetime(part, fetched_at, self.zone)
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
        if not names:
            # No author block by its class, no JSON-LD: the links to author pages.
            names = [
                text
                for anchor in scope.iter("a")
                if self.AUTHOR_PATH.match(urls.url_path(anchor.get("href", "")))
                and (text := element_text(anchor))
            ]
        return list(dict.fromkeys(names))

    def _tags(self, scope: HtmlElement, layout: _Layout, base: str) -> list[str]:
        block = first_by_class_prefix(scope, self.TAGS)
        if block is None:
            block = self._tags_block(scope, layout, base)
        if block is None:
            return []
        return [text for a in block.xpath(".//a") if (text := element_text(a))]

    def _tags_block(self, scope: HtmlElement, layout: _Layout, base: str) -> HtmlElement | None:
        """The tags block found by structure, when its class misses.

        A block of nothing but links after the article text, every one of them to a
        section or tag page of the site: not to an article, an author or elsewhere
        (share buttons), which rules out the author block and the related cards.
        """
        if layout.content is None:
            return None
        text_block = layout.content.node
        after_text = False
        for element in scope.iter():
            if element is text_block:
                after_text = True
            elif (
                after_text
                and isinstance(element.tag, str)
                and text_block not in element.iterancestors()
            ):
                anchors = element.xpath("./a[@href]")
                if (
                    anchors
                    and len(element) == len(anchors)
                    and not folded_text(element.text)
                    and not any(folded_text(a.tail) for a in anchors)
                    and all(self._is_listing_link(a, base) for a in anchors)
                ):
                    return element
        return None

    def _is_listing_link(self, anchor: HtmlElement, base: str) -> bool:
        """Whether the link leads to a page of the site that lists articles (section, tag)."""
        url = self.link_url(anchor, base)
        if url is None or urls.site_of(url) != self.domain:
            return False
        path = urlsplit(url).path
        return not (self.ARTICLE_PATH.match(path) or self.AUTHOR_PATH.match(path) or path == "/")

    def _section(
        self, info_items: list[HtmlElement], jsonld: dict[str, Any], tags: list[str]
    ) -> str | None:
        # Not every page shows the section in its info line (the seed page does not);
        # the section is then the JSON-LD articleSection or the first tag.
        return (
            self._info_section(info_items) or jsonld_section(jsonld) or (tags[0] if tags else None)
        )

    def _info_section(self, info_items: list[HtmlElement]) -> str | None:
        """The section the info line links: the first item's link text."""
        for item in info_items[:1]:
            for anchor in item.xpath(".//a"):
                text = element_text(anchor)
                if text:
                    return text
        return None

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
            section = self._related_by_heading(root)
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

    def _related_by_heading(self, root: HtmlElement) -> HtmlElement | None:
        """The related block found by its heading's text, when its class misses."""
        for heading in root.iter("h2"):
            if element_text(heading).casefold() in self.RELATED_HEADINGS:
                return heading.getparent()
        return None

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
                    shown_at = local_datetime(part, fetched_at, self.zone)
        return shown_at, views

    def link_url(self, anchor: HtmlElement | None, base: str) -> str | None:
        if anchor is None:
            return None
        absolute = urls.absolute_url(anchor.get("href", ""), base)
        return self.canonical_url(absolute) if absolute else None

    # ---------------------------------------------------------------- body

    def _body(
        self, scope: HtmlElement, layout: _Layout, base: str, summary: str | None
    ) -> tuple[list[str], list[Link]]:
        body = first_by_class_prefix(scope, self.BODY)
        if body is None:
            # No body block (renamed?): the content block, announce excluded below.
            body = first_by_class_prefix(scope, self.CONTENT)
        if body is None and layout.content is not None:
            # Neither class is there (a redesign): the block holding the text.
            body = layout.content.node
        if body is None:
            return [], []
        reader = _BodyReader(self, base, summary)
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
        shown_at = readalso_date(date_text or element_text(scope), self.zone)
        return Link(kind="read_also", url=url, title=title or None, shown_at=shown_at)


class _BodyReader:
    """Walks the body once, in document order, collecting paragraphs and body links.

    Text accumulates in a buffer that every block boundary flushes into a paragraph,
    so leaf-most blocks give one paragraph each and loose text between blocks is kept.
    """

    def __init__(self, parser: UnnParser, base: str, summary: str | None) -> None:
        self.parser = parser
        self.base = base
        # The announce is the summary, not text; where its class is unknown, it is
        # recognised as a paragraph repeating the summary before the text begins.
        self._summary_key = text_key(summary)
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
        # A "Читайте також:" left behind by a removed read-also insert is no paragraph,
        # nor the location line or an ad slot's label, whatever block holds them.
        if (
            not text
            or is_read_also_label(text)
            or self.parser.is_location_line(text)
            or text.casefold().rstrip(" :") in self.parser.AD_LABELS
        ):
            return
        if not self.paragraphs and self._summary_key and text_key(text) == self._summary_key:
            return
        self.paragraphs.append(text)


class _Layout:
    """The page's structure, for the rules that cannot rely on classes; computed on first use."""

    def __init__(self, root: HtmlElement) -> None:
        self.root = root

    @cached_property
    def h1(self) -> HtmlElement | None:
        return next(self.root.iter("h1"), None)

    @cached_property
    def content(self) -> MainContent | None:
        return main_content(self.root)

    @cached_property
    def article_scope(self) -> HtmlElement:
        """The smallest element holding both the headline and the text, else the page."""
        if self.h1 is None or self.content is None:
            return self.root
        inside = {self.content.node, *self.content.node.iterancestors()}
        return next((e for e in self.h1.iterancestors() if e in inside), self.root)


def _following_elements(element: HtmlElement) -> list[HtmlElement]:
    """The elements after `element` in document order, its own descendants excluded."""
    found: list[HtmlElement] = element.xpath("following::*")
    return found


def _in_link(element: HtmlElement) -> bool:
    return any(ancestor.tag == "a" for ancestor in element.iterancestors())


UNN = Site(
    name="unn",
    title="УНН",
    home="https://unn.ua",
    languages=("uk", "en", "ru"),
    url_languages={"en": "en", "ru": "ru"},
    # Only a Ukrainian feed exists; English and Russian news come from listings.
    feeds={"uk": ("/rss/news_uk.xml",)},
    listings={"uk": ("/news",), "en": ("/en/news",), "ru": ("/ru/news",)},
    # /news/<slug>, /en/news/<slug>, /ru/news/<slug>; AMP copies /amp/<slug>, /en/amp/<slug>.
    article_path=re.compile(r"^/(?:(?:en|ru)/)?(?:news|amp)/[^/]+/?$"),
    cards=("news-card_root__",),
    # Next.js wraps the page in #__next; the content column is home-page_main__<hash>.
    main_content=(
        "//*[contains(concat(' ', normalize-space(@class)), ' home-page_main__')]",
        "//main",
        "//body",
    ),
    interval=timedelta(minutes=30),
    parser=UnnParser,
    evidence="sites/unn.md: the feed, listings and URL shapes are marked seen",
    verified=True,
    declared_in=__name__,
)
