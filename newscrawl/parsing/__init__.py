"""Page parsers, and the registry that picks one by the page's domain.

The folder holds the `SiteParser` contract (`base`), one module per site parser
(`unn`, `pravda`, and `ukrainian` for what Ukrainian newsrooms share), the generic
parser for every other domain (`generic/`), and the value parsers they share: dates,
views, URLs, language, read-also labels, JSON-LD, lxml helpers and page decoding.

This module is the registry. Site parsers are discovered by importing every module
of this package and collecting its `SiteParser` subclasses, so adding a site is one
new file. A page is read by its site's parser layered over the generic parser
(`layering`): `article_of_html` for saved pages, `article_from_page` for fetched ones.
"""

from __future__ import annotations

import importlib
import pkgutil
from datetime import datetime
from functools import cache
from urllib.parse import urlsplit

from newscrawl.errors import TruncatedPage
from newscrawl.items import Article, Page
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.decoding import decoded_html
from newscrawl.parsing.layering import layered_article

__all__ = ["SiteParser", "article_from_page", "article_of_html", "parser_for", "site_parsers"]


@cache
def site_parsers() -> dict[str, SiteParser]:
    """Every site parser in this package, keyed by each domain it claims."""
    found: dict[str, SiteParser] = {}
    for info in pkgutil.iter_modules(__path__):
        module = importlib.import_module(f"{__name__}.{info.name}")
        for obj in vars(module).values():
            if (
                isinstance(obj, type)
                and issubclass(obj, SiteParser)
                and obj.DOMAINS
                and obj.__module__ == module.__name__
            ):
                if not obj.NAME:
                    # The archive records every row's parser by this name.
                    raise RuntimeError(f"{obj.__name__} claims domains but has no NAME")
                parser = obj()
                for domain in obj.DOMAINS:
                    if domain in found:
                        raise RuntimeError(
                            f"domain {domain!r} is claimed by both "
                            f"{type(found[domain]).__name__} and {obj.__name__}"
                        )
                    found[domain] = parser
    return found


@cache
def _generic_parser() -> SiteParser:
    # Imported late: generic imports this package's modules, which import this one.
    from newscrawl.parsing.generic import GenericParser

    return GenericParser()


def parser_for(url: str) -> SiteParser:
    """The site parser whose domain matches the URL's host, else the generic parser."""
    host = (urlsplit(url).hostname or "").lower()
    parsers = site_parsers()
    labels = host.split(".")
    # Try the host, then each parent domain: "www.unn.ua" -> "unn.ua".
    for i in range(len(labels) - 1):
        parser = parsers.get(".".join(labels[i:]))
        if parser is not None:
            return parser
    return _generic_parser()


def article_of_html(html: str, url: str, fetched_at: datetime) -> Article:
    """The article on a page: its site's rules, the generic reading for what they leave empty."""
    return layered_article(parser_for(url), _generic_parser(), html, url, fetched_at)


def article_from_page(page: Page) -> Article:
    """Decode a fetched page, read it (`article_of_html`) and apply discovery hints.

    Raises `PageError` subclasses for pages that cannot be read at all.
    """
    html = decoded_html(page.body, page.content_type)
    if not _has_html_end(html):
        raise TruncatedPage(f"{page.url}: no closing </html>, the page was cut short")
    parser = parser_for(page.url)
    article = layered_article(parser, _generic_parser(), html, page.url, page.fetched_at)
    article.warc_file, article.warc_offset = page.warc_file, page.warc_offset
    if article.published_at is None and page.feed_published_at is not None:
        article.published_at = parser.local_time(page.feed_published_at)
        article.published_source = "feed"
    if article.headline is None and page.feed_title:
        # A page whose markup lost its title (a redesign, an app shell) is still an
        # article the feed vouched for; without a headline validation would drop it.
        article.headline = page.feed_title
    return article


def _has_html_end(html: str) -> bool:
    # Real pages end with </html> plus at most a little trailing script or
    # whitespace; searching only the tail keeps this cheap on large pages.
    return "</html" in html[-4096:].lower()
