"""A site parser as a layer over the generic parser: site rules first, the generic reading after.

The site's rules know the site's markup and its conventions (what the announce is,
which link is a read-also insert), so they come first. A redesign breaks them
field by field; the generic parser reads any page from its structured data and
text, so whatever the site's rules leave empty on an article page comes from the
generic reading of the same page. Every path that turns a page into an article
(the crawl's parse pipeline, `newscrawl reparse`, `newscrawl extract`) composes
through `layered_article`, so they all read a page the same way.

The generic parser costs several times a site parser (bench/parse_cost.py), so
it runs only when the site's rules missed a field the site's article
pages always carry (`SiteParser.ALWAYS_PRESENT`). A page the rules fully parse
costs nothing more.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from newscrawl.items import Article, Link
from newscrawl.parsing.base import SiteParser, is_empty

__all__ = [
    "FALLBACK_FIELDS",
    "is_article_reading",
    "layered_article",
    "needs_generic_reading",
]

# The fields the generic reading may fill, named as in `Article.fallback_fields`,
# and the Article attributes each carries along (a date comes with its source).
FALLBACK_FIELDS: dict[str, tuple[str, ...]] = {
    "headline": ("headline",),
    "summary": ("summary",),
    "body": ("body",),
    "published_at": ("published_at", "published_source"),
    "modified_at": ("modified_at",),
    "authors": ("authors",),
    "section": ("section",),
    "tags": ("tags",),
    "views": ("views",),
}
# Links are filled kind by kind: body links (`Article.links`) and related cards.
BODY_LINK_KINDS = ("read_also", "inline")
# What makes an article of a page: a page without any of these is a listing or an
# error page, however its other fields read.
_ARTICLE_FIELDS = ("headline", "summary", "body", "published_at")


def is_article_reading(article: Article) -> bool:
    """Whether a parser read the page as an article (see `SiteParser.parse`)."""
    return any(not is_empty(getattr(article, name)) for name in _ARTICLE_FIELDS)


def needs_generic_reading(site: SiteParser, article: Article) -> bool:
    """Whether the site's reading of a page is an article lacking a field the site always shows."""
    return is_article_reading(article) and bool(site.missing_fields(article))


def layered_article(
    site: SiteParser, generic: SiteParser, html: str, url: str, fetched_at: datetime
) -> Article:
    """The page's article: the site's rules, then the generic reading for what they left empty.

    `parser` names the site parser and its version; `fallback_fields` the fields
    (link kinds by kind) that came from the generic reading. The generic parser
    runs only on an article page that lacks one of the site's ALWAYS_PRESENT
    fields; a page the site's rules read as no article stays no article.
    """
    article = site.parse(html, url, fetched_at)
    article.parser = site.provenance
    if site is generic or not needs_generic_reading(site, article):
        return article
    reading = generic.parse(html, url, fetched_at)
    article.fallback_fields = _filled_fields(article, reading, site)
    if "body" in article.fallback_fields:
        # The site's rules detected the language on the lead or the headline; the
        # body tells it better.
        article.language = site.language_of_text(article.body, article.language)
    return article


def _filled_fields(article: Article, reading: Article, site: SiteParser) -> list[str]:
    """Fills the article's empty fields from the generic reading; the names filled, sorted."""
    filled: list[str] = []
    for name, attributes in FALLBACK_FIELDS.items():
        if is_empty(getattr(article, name)) and not is_empty(getattr(reading, name)):
            for attribute in attributes:
                setattr(article, attribute, getattr(reading, attribute))
            filled.append(name)
    own_kinds = {link.kind for link in article.links}
    taken = [
        link
        for link in reading.links
        if link.kind in BODY_LINK_KINDS and link.kind not in own_kinds
    ]
    if taken:
        # After the site's own body links, in the generic reading's order: where
        # they stand among the site's links is unknown, so the shared sequence is
        # the site's links, then these.
        article.links = _numbered([*article.links, *_on_site(taken, site)])
        filled.extend({link.kind for link in taken})
    if not article.related and reading.related:
        article.related = _numbered(_on_site(reading.related, site))
        filled.append("related")
    return sorted(filled)


def _on_site(links: list[Link], site: SiteParser) -> list[Link]:
    # The generic parser knows no site's URL rules (AMP paths, its host spelling).
    return [dataclasses.replace(link, url=site.canonical_url(link.url)) for link in links]


def _numbered(links: list[Link]) -> list[Link]:
    for position, link in enumerate(links):
        link.position = position
    return links
