"""URL heuristics for links found on pages: do they look like articles, and of which site."""

from __future__ import annotations

import re
from functools import cache
from urllib.parse import urlsplit

import tldextract

from newscrawl.parsing.html import word_set

__all__ = ["looks_like_article", "registered_domain"]

# File types that are never article pages.
_NOT_PAGES = re.compile(
    r"\.(?:jpe?g|png|gif|webp|svg|ico|bmp|pdf|docx?|xlsx?|pptx?|zip|gz|rar|mp3|mp4|m4a|avi|mov"
    r"|webm|css|js|json|xml|rss|atom|txt)$",
    re.IGNORECASE,
)
# Path segments of pages about many articles or none: sections, tags, people, the site.
_NOT_ARTICLE_SEGMENTS = word_set(
    "tag tags topic topics category categories rubric rubrics author authors search login logout "
    "register signin signup account profile subscribe subscription newsletter about contact "
    "contacts privacy terms cookies advertising feed rss sitemap page"
)
# A date in the path (/2024/06/25/, /2024-06-25-, /20240625) or a long numeric id.
_DATED_OR_NUMBERED = re.compile(
    r"/(?:19|20)\d{2}[/-](?:0?[1-9]|1[0-2])[/-](?:0?[1-9]|[12]\d|3[01])(?:[/-]|$)"
    r"|/(?:19|20)\d{2}(?:0[1-9]|1[0-2])(?:0[1-9]|[12]\d|3[01])(?:/|$)"
    r"|(?:^|[/_-])\d{5,}(?:[/_-]|\.html?$|$)"
)
# A slug of at least three words: /kyiv-metro-extends-working-hours.
_SLUG = re.compile(r"^[^\W_]+(?:[-_][^\W_]+){2,}(?:\.html?)?$")
# The public suffix list as tldextract bundles it: no download, no cache on disk.
_DOMAINS = tldextract.TLDExtract(suffix_list_urls=(), cache_dir=None)


def looks_like_article(url: str) -> bool:
    """Whether a same-site link from a start page looks like an article page.

    Articles carry a date or a long id in their path, or end in a slug of several
    words; section fronts (`/politics`), tag and author pages, files and the site's
    own pages do not.
    """
    path = urlsplit(url).path
    if _NOT_PAGES.search(path):
        return False
    segments = [s for s in path.lower().split("/") if s]
    if not segments or any(s in _NOT_ARTICLE_SEGMENTS for s in segments):
        return False
    return bool(_DATED_OR_NUMBERED.search(path) or _SLUG.match(segments[-1]))


@cache
def registered_domain(host: str) -> str:
    """The registered domain of a host ("rss.unian.net" -> "unian.net"); an IP stays as is."""
    host = host.lower().rstrip(".")
    parts = _DOMAINS(host)
    if parts.suffix and parts.domain:
        return f"{parts.domain}.{parts.suffix}"
    return host.removeprefix("www.")
