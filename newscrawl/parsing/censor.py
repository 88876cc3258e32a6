"""Censor.net: news in Ukrainian (/ua/), Russian (/ru/) and English (/en/).

What is known of the markup comes from the shared folder's site notes
(`sites/ukraine.md`, public scrapers 2022–2025): the text is `.news-text`, the
view count `.news__views`, article URLs `/ua/news/<id>/<slug>`. No real page
was seen from here, so the rules are few, and every field they leave empty on a
page the notes do not describe comes from the generic reading (`layering`).
What the rules add over the generic parser is the site's own view counter
element and its tag links; everything else is read as the generic parser
reads it (JSON-LD, meta, `<time>`), so a page parses no worse than before.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

from lxml.cssselect import CSSSelector
from lxml.html import HtmlElement

from newscrawl.items import Article, Link, LinkKind, PublishedSource
from newscrawl.parsing import urls
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.dates import iso_datetime
from newscrawl.parsing.html import element_text, html_elements, meta_content, parsed_html
from newscrawl.parsing.jsonld import jsonld_names, jsonld_section, jsonld_text
from newscrawl.parsing.readalso import read_also_label
from newscrawl.parsing.views import views_from_text
from newscrawl.sites.spec import Site


def _css(selector: str) -> CSSSelector:
    # Compiled once, with the "html" translator (case-insensitive tag names).
    return CSSSelector(selector, translator="html")


class CensorParser(SiteParser):
    """Article pages of censor.net: `/ua/news/<id>/<slug>` and its /ru/ and /en/ forms."""

    NAME: ClassVar[str] = "censor"
    VERSION: ClassVar[str] = "1"
    # Only what any article has: nobody here has seen a real page, so nothing
    # more is known to be always there. A page whose `.news-text` the rules do
    # not find (a redesign) lacks its body, and the generic reading fills in every
    # field the rules left empty.
    ALWAYS_PRESENT: ClassVar[frozenset[str]] = frozenset({"headline", "body"})

    # ukraine.md: the text block and the view counter.
    TEXT: ClassVar[CSSSelector] = _css(".news-text")
    VIEWS: ClassVar[CSSSelector] = _css(".news__views, .main-items-text__count")
    # Assumed: the block of tag links under the text, its links to /<lang>/tags/.
    TAG_PATH: ClassVar[re.Pattern[str]] = re.compile(r"^/(?:ua|ru|en)/tags/[^/]+/?$")
    BLOCKS: ClassVar[CSSSelector] = _css("p, h2, h3, h4, li, blockquote")
    NOT_TEXT: ClassVar[CSSSelector] = _css("script, style, figure, figcaption")

    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        root = parsed_html(html)
        article = self.page_level_article(root, url, fetched_at)
        text = next(iter(html_elements(self.TEXT(root))), None)
        if text is None:
            # A listing or an error page, or a redesign: no field of an article here.
            return article
        jsonld = self.jsonld_article_of_page(root)
        heading = next(root.iter("h1"), None)
        article.headline = element_text(heading) or jsonld_text(jsonld.get("headline"))
        article.summary = meta_content(root, "description") or meta_content(root, "og:description")
        paragraphs, article.links = self._body(text, article.url)
        article.body = "\n\n".join(paragraphs) or None
        article.published_at, article.published_source = self._published(root, jsonld)
        article.modified_at = iso_datetime(jsonld.get("dateModified"), self.zone)
        article.authors = list(dict.fromkeys(jsonld_names(jsonld.get("author"))))
        article.section = jsonld_section(jsonld)
        article.tags = self._tags(root)
        views = next(iter(html_elements(self.VIEWS(root))), None)
        # The element holds the bare count ("2871"): it is a count by where it is.
        article.views = views_from_text(element_text(views), views_context=True)
        article.language = self.language_of_text(article.body, article.language)
        return article

    def _published(
        self, root: HtmlElement, jsonld: dict[str, Any]
    ) -> tuple[datetime | None, PublishedSource | None]:
        published = iso_datetime(jsonld.get("datePublished"), self.zone)
        if published is not None:
            return published, "jsonld"
        for value in root.xpath("//article//time/@datetime"):
            published = iso_datetime(value, self.zone)
            if published is not None:
                return published, "time"
        return None, None

    def _body(self, text: HtmlElement, base: str) -> tuple[list[str], list[Link]]:
        """The text block's paragraphs, and its read-also and inline links in order."""
        excluded = set(html_elements(self.NOT_TEXT(text)))
        paragraphs: list[str] = []
        links: list[Link] = []
        for block in html_elements(self.BLOCKS(text)):
            if any(a in excluded for a in block.iterancestors()) or any(
                d.tag in ("p", "h2", "h3", "h4", "li") for d in block.iterdescendants()
            ):
                continue
            content = element_text(block)
            if not content:
                continue
            # "Читайте також: <a>…</a>" is a link to another story, not text.
            kind: LinkKind = "read_also" if read_also_label(content) else "inline"
            if kind == "inline":
                paragraphs.append(content)
            for anchor in block.xpath(".//a[@href]"):
                absolute = urls.absolute_url(anchor.get("href", ""), base)
                title = element_text(anchor)
                if absolute and title:
                    links.append(Link(kind=kind, url=self.canonical_url(absolute), title=title))
        for position, link in enumerate(links):
            link.position = position
        return paragraphs, links

    def _tags(self, root: HtmlElement) -> list[str]:
        names: list[str] = []
        for anchor in root.iter("a"):
            absolute = urls.absolute_url(anchor.get("href", ""), self.home)
            if absolute and urls.site_of(absolute) == self.domain:
                name = element_text(anchor)
                if name and self.TAG_PATH.match(urlsplit(absolute).path):
                    names.append(name)
        return list(dict.fromkeys(names))


# Moved from the bundled catalogue (catalogue.toml), where it was declared for the
# generic parser; its comments there are kept here.
CENSOR = Site(
    name="censor",
    title="Censor.net",
    home="https://censor.net",
    languages=("uk", "ru", "en"),
    # Every article URL carries a language prefix: /ua/, /ru/, /en/.
    url_languages={"ua": "uk", "ru": "ru", "en": "en"},
    feeds={
        # ukraine.md: seen in public scrapers 2022–2025
        "uk": ("https://assets.censor.net/rss/censor.net/rss_uk_news.xml",),
        # assumed: same naming as rss_uk_news.xml (not checked from here)
        "ru": ("https://assets.censor.net/rss/censor.net/rss_ru_news.xml",),
        "en": ("https://assets.censor.net/rss/censor.net/rss_en_news.xml",),
    },
    # assumed: the all-news listing of each edition
    starts={"uk": ("/ua/news/all",), "ru": ("/ru/news/all",), "en": ("/en/news/all",)},
    # ukraine.md: article URLs censor.net/ua/news/<id>/<slug> (same shape assumed for /ru/, /en/)
    article_path=re.compile(r"^/(?:ua|ru|en)/news/(?P<id>\d+)/"),
    interval=timedelta(minutes=15),
    parser=CensorParser,
    evidence=(
        "uk RSS and /ua/news/<id>/<slug> URLs from ukraine.md (public scrapers 2022–2025); "
        "ru/en feeds and listings assumed by analogy"
    ),
    verified=False,
    declared_in=__name__,
)
