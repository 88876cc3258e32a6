"""Ukrainska Pravda (pravda.com.ua): news and articles in Ukrainian, Russian and English.

Markup as the shared folder's site notes (`sites/ukraine.md`) describe it and as a real
page of the Russian edition shows it: `article.post_article` holds the headline, the
author links, the shown date ("8 января, 17:46") and the text. Paths: `/news/...`,
`/articles/...` (Ukrainian), `/rus/...`, `/eng/...`. View counts are not in the page:
a script fetches them from `/article/<id>/count-view.html`, which the spider does too
(`spiders/pravda.py`), so `views` here is only read when a saved page already shows
its count.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta, tzinfo
from typing import Any, ClassVar
from urllib.parse import urlsplit, urlunsplit

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from newscrawl.items import Article, Link, PublishedSource
from newscrawl.parsing import urls
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.dates import iso_datetime, local_datetime
from newscrawl.parsing.html import element_text, html_elements, meta_content, parsed_html
from newscrawl.parsing.jsonld import jsonld_names, jsonld_section, jsonld_text
from newscrawl.parsing.views import views_from_text
from newscrawl.sites.spec import Site
from newscrawl.text import folded_text

# The label that opens a read-also paragraph, in the site's three languages:
# "Читайте також на цю тему:", "Читайте также по теме:", "Read also:", "Read more:".
_READ_ALSO_LABEL = re.compile(
    r"^\s*(?:читайте\s+також|також\s+читайте|читайте\s+также|также\s+читайте|"
    r"read\s+also|also\s+read|read\s+more)"
    r"(?:\s+(?:на\s+цю\s+тему|на\s+эту\s+тему|по\s+теме|on\s+(?:this|the)\s+(?:topic|subject)))?"
    r"\s*[:.]?\s*",
    re.IGNORECASE,
)
# What may stand between a read-also link and its date: "(8 січня, 17:46)", "– 8 січня".
_DATE_PUNCTUATION = " \t\n,;()[]–—-|•"
# A shown date is short and has a digit: "8 січня, 17:46", "December 31, 23:50".
_SHORT_DATE_TEXT = re.compile(r"^(?=.*\d).{4,40}$")
# A byline at the end of the text repeats the authors: "Ім'я Прізвище, Ім'я Прізвище".
_NAME_SEPARATORS = re.compile(r"\s*(?:,|;|\sта\s|\sі\s|\sи\s|\sand\s)\s*")


def _css(selector: str) -> CSSSelector:
    # Compiled once, not per call as HtmlElement.cssselect() does, with the same
    # "html" translator (case-insensitive tag names).
    return CSSSelector(selector, translator="html")


class PravdaParser(SiteParser):
    """Article pages of www.pravda.com.ua: `/news/`, `/articles/`, `/columns/` in uk, ru, en."""

    NAME: ClassVar[str] = "pravda"
    VERSION: ClassVar[str] = "2"
    # On every article page seen, the real one included. Not the views: the page
    # carries none, the spider fetches them from the counter.
    ALWAYS_PRESENT: ClassVar[frozenset[str]] = frozenset(
        {"headline", "summary", "body", "published_at"}
    )

    # CSS selectors.
    ARTICLE: ClassVar[CSSSelector] = _css("article.post_article")
    HEADLINE: ClassVar[CSSSelector] = _css("h1.post_article_title")
    AUTHOR_NAME: ClassVar[CSSSelector] = _css("div.post_article_author .post_author_name")
    DATE: ClassVar[CSSSelector] = _css("span.post_author_date")
    TAGS: ClassVar[CSSSelector] = _css("div.post_news_tags a")
    VIEWS: ClassVar[CSSSelector] = _css("#articleCountView")
    # Text blocks of the article; the leaf-most one gives a paragraph.
    BLOCKS: ClassVar[CSSSelector] = _css("p, h2, h3, h4, li, blockquote")
    # Never article text, wherever it sits: ads, photo captions, tags, the service column.
    NOT_TEXT: ClassVar[CSSSelector] = _css(
        "header.post_article_header, div.post_news_tags, aside.post_article_service, "
        "div.image-box, div.advtext, div.advtext_mob, div.advtext1, div.nts-ad, "
        "script, style, figure, figcaption"
    )

    # Where a redesign renamed the classes, the structure still says it: the article is
    # the <article> holding the <h1>, authors and tags are links to their pages (seen
    # on the real page: /rus/authors/<slug>/, /rus/tags/<slug>/), the shown date is in
    # the article's header.
    ANY_ARTICLE: ClassVar[CSSSelector] = _css("article")
    AUTHOR_PATH: ClassVar[re.Pattern[str]] = re.compile(r"^(?:/(?:rus|eng))?/authors/[^/]+/?$")
    TAG_PATH: ClassVar[re.Pattern[str]] = re.compile(r"^(?:/(?:rus|eng))?/tags/[^/]+/?$")

    # ------------------------------------------------------------------ URLs

    def canonical_url(self, url: str) -> str:
        """The archive URL: https://www.pravda.com.ua/<path>/ (the site's own canonical form).

        The site links its pages with and without "www."; both are one article.
        Other hosts only get the generic canonical form.
        """
        canonical = urls.canonical_url(url)
        if urls.http_url(canonical) is None:  # unreadable: it has no canonical form
            return canonical
        parts = urlsplit(canonical)
        if (parts.hostname or "") not in (self.domain, self.host):
            return canonical
        path = parts.path
        if self.site is not None and self.site.is_article_url(canonical) and not path.endswith("/"):
            path += "/"
        return urlunsplit(("https", self.host, path, parts.query, ""))

    # ----------------------------------------------------------------- parse

    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        root = parsed_html(html)
        article = self.page_level_article(root, url, fetched_at)
        jsonld = self.jsonld_article_of_page(root)
        scope = _first(root, self.ARTICLE)
        if scope is None:
            # The class renamed: the <article> that holds the headline.
            scope = next(
                (a for a in html_elements(self.ANY_ARTICLE(root)) if _h1(a) is not None), None
            )
        if scope is None:
            # A listing or error page: nothing of it is an article's field.
            return article

        heading = _first(scope, self.HEADLINE)
        article.headline = element_text(heading if heading is not None else _h1(scope)) or (
            jsonld_text(jsonld.get("headline"))
        )
        article.authors = self._authors(scope, jsonld)
        article.published_at, article.published_source = self._published(scope, jsonld, fetched_at)
        article.modified_at = iso_datetime(jsonld.get("dateModified"), self.zone, fetched_at)
        article.tags = self._tags(scope)
        article.section = jsonld_section(jsonld)
        article.summary = meta_content(root, "description") or meta_content(root, "og:description")
        paragraphs, body_links = self._body(scope, article.url, article.authors, fetched_at)
        article.body = "\n\n".join(paragraphs) or None
        article.links = body_links
        article.views = views_from_text(element_text(_first(root, self.VIEWS)), views_context=True)
        # The declared language is the hint for text too short to tell.
        article.language = self.language_of_text(article.body, article.language)
        return article

    # ---------------------------------------------------------- page-level

    # -------------------------------------------------------------- fields

    def _authors(self, scope: HtmlElement, jsonld: dict[str, Any]) -> list[str]:
        names = [text for e in html_elements(self.AUTHOR_NAME(scope)) if (text := element_text(e))]
        if not names:
            names = jsonld_names(jsonld.get("author"))
        if not names:
            names = self._linked_names(scope, self.AUTHOR_PATH)
        return list(dict.fromkeys(names))

    def _tags(self, scope: HtmlElement) -> list[str]:
        tags = [text for a in html_elements(self.TAGS(scope)) if (text := element_text(a))]
        return tags or self._linked_names(scope, self.TAG_PATH)

    def _linked_names(self, scope: HtmlElement, path: re.Pattern[str]) -> list[str]:
        """The texts of the scope's links to the site's pages whose path matches."""
        names: list[str] = []
        for anchor in scope.iter("a"):
            url = self._link_url(anchor, self.home)
            if url is not None and urls.site_of(url) == self.domain:
                text = element_text(anchor)
                if text and path.match(urlsplit(url).path):
                    names.append(text)
        return list(dict.fromkeys(names))

    def _published(
        self, scope: HtmlElement, jsonld: dict[str, Any], fetched_at: datetime
    ) -> tuple[datetime | None, PublishedSource | None]:
        published = iso_datetime(jsonld.get("datePublished"), self.zone, fetched_at)
        if published is not None:
            return published, "jsonld"
        # "8 січня, 17:46" has no year: it is read relative to the fetch time.
        date = _first(scope, self.DATE)
        for element in [date] if date is not None else self._header_leaves(scope):
            shown = local_datetime(element_text(element), fetched_at, self.zone)
            if shown is not None:
                return shown, "page"
        return None, None

    def _header_leaves(self, scope: HtmlElement) -> list[HtmlElement]:
        """The short texts of the article's header, where the shown date is (by structure).

        The header is the article's <header>, else the headline's block; only short
        leaf texts with a digit are tried, so no headline or name is read as a date.
        """
        header = next(scope.iter("header"), None)
        if header is None:
            heading = _h1(scope)
            header = heading.getparent() if heading is not None else None
        if header is None:
            return []
        return [
            element
            for element in header.iter()
            if isinstance(element.tag, str)
            and len(element) == 0
            and element.tag != "h1"
            and _SHORT_DATE_TEXT.match(element_text(element))
        ]

    # ---------------------------------------------------------------- body

    def _body(
        self, scope: HtmlElement, base: str, authors: list[str], fetched_at: datetime
    ) -> tuple[list[str], list[Link]]:
        """The article's paragraphs and its read-also and inline links, in document order.

        The paragraphs are those of the whole `<article>` element, not only of the
        text block: the reference extraction of the site (fundus, whose output is
        the ground truth for the real page) reads them so, and that includes the
        teaser lines of the cards the site places inside the article.
        """
        excluded = set(html_elements(self.NOT_TEXT(scope)))
        blocks = [
            block
            for block in html_elements(self.BLOCKS(scope))
            if not any(a in excluded for a in block.iterancestors())
            and not any(d.tag in ("p", "h2", "h3", "h4", "li") for d in block.iterdescendants())
        ]
        paragraphs: list[str] = []
        body_links: list[Link] = []
        # After a paragraph that is only a read-also label, the paragraphs that are
        # only a link belong to it.
        in_read_also = False
        for block in blocks:
            text = element_text(block)
            if not text:
                continue
            label = _READ_ALSO_LABEL.match(text)
            anchors = block.xpath(".//a[@href]")
            if label is not None:
                in_read_also = not text[label.end() :].strip()
                body_links.extend(self._read_also_links(anchors, base, fetched_at))
                continue
            if (
                in_read_also
                and len(anchors) == 1
                and _is_link_line(block, anchors[0], fetched_at, self.zone)
            ):
                body_links.extend(self._read_also_links(anchors, base, fetched_at))
                continue
            in_read_also = False
            if _is_byline(text, authors):
                continue
            paragraphs.append(text)
            for anchor in anchors:
                url = self._link_url(anchor, base)
                title = element_text(anchor)
                if url and title:
                    body_links.append(Link(kind="inline", url=url, title=title))
        for position, link in enumerate(body_links):
            link.position = position
        return paragraphs, body_links

    def _read_also_links(
        self, anchors: list[HtmlElement], base: str, fetched_at: datetime
    ) -> list[Link]:
        found: list[Link] = []
        for anchor in anchors:
            url = self._link_url(anchor, base)
            if url is None:
                continue
            title = element_text(anchor) or None
            shown = _text_after(anchor).strip(_DATE_PUNCTUATION)
            found.append(
                Link(
                    kind="read_also",
                    url=url,
                    title=title,
                    shown_at=local_datetime(shown, fetched_at, self.zone) if shown else None,
                )
            )
        return found

    def _link_url(self, anchor: HtmlElement, base: str) -> str | None:
        absolute = urls.absolute_url(anchor.get("href", ""), base)
        return self.canonical_url(absolute) if absolute else None


def _first(root: HtmlElement, selector: CSSSelector) -> HtmlElement | None:
    found = html_elements(selector(root))
    return found[0] if found else None


def _h1(scope: HtmlElement) -> HtmlElement | None:
    return next(scope.iter("h1"), None)


def _text_after(anchor: HtmlElement) -> str:
    """The text between a link and the next link (or line break) of its paragraph."""
    parts = [anchor.tail or ""]
    for sibling in anchor.itersiblings():
        if sibling.tag in ("a", "br") or sibling.xpath(".//a"):
            break
        parts.append(element_text(sibling))
        parts.append(sibling.tail or "")
    # A link wrapped in <strong>: the date follows the wrapper.
    parent = anchor.getparent()
    if (
        not folded_text("".join(parts))
        and parent is not None
        and parent.tag in ("strong", "b")
        and len(parent.xpath(".//a")) == 1
    ):
        return _text_after(parent)
    return folded_text("".join(parts))


def _is_link_line(
    block: HtmlElement, anchor: HtmlElement, fetched_at: datetime, zone: tzinfo
) -> bool:
    """Whether the block is nothing but the link, maybe with a date shown in `zone`."""
    rest = element_text(block).replace(element_text(anchor), "", 1).strip(_DATE_PUNCTUATION)
    return not rest or local_datetime(rest, fetched_at, zone) is not None


def _is_byline(text: str, authors: list[str]) -> bool:
    """Whether the paragraph only repeats the authors' names (the closing signature)."""
    if not authors:
        return False
    names = [n for n in _NAME_SEPARATORS.split(text.strip(" .")) if n]
    known = {a.casefold() for a in authors}
    return bool(names) and all(n.casefold() in known for n in names)


PRAVDA = Site(
    name="pravda",
    title="Українська правда",
    home="https://www.pravda.com.ua",
    languages=("uk", "ru", "en"),
    # Paths start with /rus/ and /eng/; Ukrainian has no prefix.
    url_languages={"rus": "ru", "eng": "en"},
    feeds={
        "uk": ("/rss/view_news/",),
        "ru": ("/rus/rss/view_news/",),
        "en": ("/eng/rss/view_news/",),
    },
    # The news sitemap holds the last days' articles of every language. The site
    # also has /sitemap/sitemap-archive.xml, an index of its whole history, for
    # a one-off backfill: scrapy crawl news -a sitemap=<it> reads it incrementally.
    sitemaps={"*": ("/sitemap/sitemap-news.xml",)},
    # /news/2026/01/08/8015225/, /rus/articles/..., /eng/columns/...: a date, then the id.
    article_path=re.compile(
        r"^/(?:(?:rus|eng)/)?(?:news|articles|columns)/\d{4}/\d{2}/\d{2}/(?P<id>\d{5,})/?$"
    ),
    # The page's own script fetches this; its body is the view count as plain text.
    counter="/article/{id}/count-view.html",
    interval=timedelta(minutes=30),
    parser=PravdaParser,
    evidence="sites/ukraine.md (public scrapers, 2022–2025) and one real page of 2026",
    verified=True,
    declared_in=__name__,
)
