"""Where the page files the article: its section and its tags (meta tags, then JSON-LD)."""

from __future__ import annotations

from newscrawl.parsing.generic.page import Page
from newscrawl.parsing.jsonld import jsonld_section
from newscrawl.text import folded_text


def section_of(page: Page) -> str | None:
    """The article's section: `article:section`, else JSON-LD `articleSection`."""
    return page.meta.first("article:section") or jsonld_section(page.ld)


def tags_of(page: Page) -> list[str]:
    """The article's tags: `article:tag` meta tags, else JSON-LD `keywords`."""
    tags = [folded_text(t) for t in page.root.xpath("//meta[@property='article:tag']/@content")]
    if not tags:
        keywords = page.ld.get("keywords")
        if isinstance(keywords, str):
            keywords = keywords.split(",")
        if isinstance(keywords, list):
            tags = [folded_text(k) for k in keywords if isinstance(k, str)]
    return list(dict.fromkeys(t for t in tags if t))
