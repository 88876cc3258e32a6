"""Page parsers, and the choice of one by the page's site.

The folder holds the `SiteParser` contract (`base`), one module per site parser
(`unn`, `pravda`, `censor`) with its site's `Site` declaration, the generic parser for every
other outlet (`generic/`), and the value parsers they share: dates, views, URLs,
language, read-also labels, JSON-LD, lxml helpers and page decoding.

Which site a page is of is the site registry's answer (`newscrawl.sites.registry`):
a hand-parsed site's page is read by its parser layered over the generic parser
told the same site (`layering`); a declared outlet's page by that generic parser
alone; any other page by the generic parser of no site. `article_of_html` reads
saved pages, `article_from_page` fetched ones.
"""

from __future__ import annotations

from datetime import datetime
from functools import cache

from newscrawl.errors import TruncatedPage
from newscrawl.items import Article, Page
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.decoding import decoded_html
from newscrawl.parsing.layering import layered_article
from newscrawl.timestamps import plausible_publication_time

__all__ = ["SiteParser", "article_from_page", "article_of_html", "parser_for"]


@cache
def _siteless_generic_parser() -> SiteParser:
    # Imported late: generic imports this package's modules, which import this one.
    from newscrawl.parsing.generic import GenericParser

    return GenericParser()


def _parsers_for(url: str) -> tuple[SiteParser, SiteParser]:
    """The URL's site parser, and the generic parser that fills in what it leaves empty."""
    from newscrawl.sites.registry import active_registry

    registry = active_registry()
    site = registry.site_of_url(url)
    if site is None:
        generic = _siteless_generic_parser()
        return generic, generic
    return registry.parser_of(site), registry.generic_parser_of(site)


def parser_for(url: str) -> SiteParser:
    """The parser of the URL's registered site, else the generic parser of no site."""
    return _parsers_for(url)[0]


def article_of_html(html: str, url: str, fetched_at: datetime) -> Article:
    """The article on a page: its site's rules, the generic reading for what they leave empty."""
    return layered_article(*_parsers_for(url), html, url, fetched_at)


def article_from_page(page: Page) -> Article:
    """Decode a fetched page, read it (`article_of_html`) and apply discovery hints.

    Raises `PageError` subclasses for pages that cannot be read at all.
    """
    html = decoded_html(page.body, page.content_type)
    if not _has_html_end(html):
        raise TruncatedPage(f"{page.url}: no closing </html>, the page was cut short")
    parser, generic = _parsers_for(page.url)
    article = layered_article(parser, generic, html, page.url, page.fetched_at)
    article.warc_file, article.warc_offset = page.warc_file, page.warc_offset
    feed_date = page.feed_published_at
    # The feed's or sitemap's date was read before the fetch time was known: a date
    # after it (2100, a placeholder) is no publication date, here as in the page.
    if (
        article.published_at is None
        and feed_date is not None
        and plausible_publication_time(feed_date, page.fetched_at)
    ):
        article.published_at = parser.local_time(feed_date)
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
