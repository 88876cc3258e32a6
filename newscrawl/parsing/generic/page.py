"""The page every field reader of the generic parser reads: tree, structured data, names.

Costly scans that several fields need (the dated elements, the text nodes that
mention views or open a read-also insert) run once, on first use. Text is compared
by `text_key`, which ignores case, punctuation and spacing.
"""

from __future__ import annotations

import html as html_lib
import re
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from functools import cached_property
from typing import Any

from lxml.html import HtmlElement

from newscrawl.parsing import urls
from newscrawl.parsing.html import element_text
from newscrawl.parsing.jsonld import jsonld_text, jsonld_types
from newscrawl.parsing.readalso import READ_ALSO_LABELS
from newscrawl.text import folded_text

# JSON-LD types of the publisher: its names are no headline affix and no author.
PUBLISHER_TYPES = frozenset({"Organization", "NewsMediaOrganization", "WebSite", "Corporation"})
# Meta tags naming the site (compared against author candidates and title affixes).
_SITE_NAME_META = ("og:site_name", "application-name", "apple-mobile-web-app-title", "twitter:site")
_NON_WORD = re.compile(r"\W+")
# Words of a views counter, case-folded (Latin "a" in "переглад" occurs, see views.py).
_VIEWS_WORDS = ("view", "перегл", "просмотр")
# Read-also labels by their first characters, for a cheap test before the regex.
_LABEL_PREFIX_CHARS = 4
_LABEL_PREFIXES = frozenset(label[:_LABEL_PREFIX_CHARS] for label in READ_ALSO_LABELS)


def text_key(text: str | None) -> str:
    """A comparison key: case, punctuation, quotes and spacing ignored."""
    return _NON_WORD.sub("", (text or "").casefold())


def unescaped(text: str) -> str:
    """The text with HTML entities resolved, folded again if there were any."""
    # JSON-LD and meta values are sometimes HTML-escaped twice ("&quot;", "&#8217;").
    return folded_text(html_lib.unescape(text)) if "&" in text else text


class MetaTags:
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


@dataclass(frozen=True)
class MarkedText:
    """The body's text nodes that mention views, and those that may open a read-also insert."""

    views: list[Any]  # lxml text results: str with getparent()
    read_also_labels: list[Any]


@dataclass
class Page:
    """What the field readers share: the tree, its structured data and publisher names."""

    root: HtmlElement
    url: str
    fetched_at: datetime
    # The page's JSON-LD article object ({} if none), and every JSON-LD object.
    ld: dict[str, Any]
    ld_all: list[dict[str, Any]]
    meta: MetaTags
    # The zone of times the page shows without an offset: its outlet's, else UTC.
    zone: tzinfo = UTC

    @cached_property
    def publisher_keys(self) -> set[str]:
        """Comparison keys of every name the site goes by: its meta names, JSON-LD
        publisher and organisation names, and its host name."""
        names: list[str] = [self.meta.first(key) or "" for key in _SITE_NAME_META]
        publisher = self.ld.get("publisher")
        for obj in [*self.ld_all, *(publisher if isinstance(publisher, list) else [publisher])]:
            if isinstance(obj, dict) and jsonld_types(obj) & PUBLISHER_TYPES:
                names.append(jsonld_text(obj.get("name")) or "")
        host = urls.site_of(self.url)
        names.extend([host, host.split(".")[0]] if host else [])
        return {key for name in names if len(key := text_key(name.lstrip("@"))) >= 2}

    def is_site_name(self, text: str) -> bool:
        """Whether the text is one of the names the site goes by (not merely mentions it)."""
        key = text_key(text)
        if len(key) < 2:
            return False
        # "Golem.de" vs "golem", "n-tv NACHRICHTEN" vs "ntv": one contains the other.
        # A long text that merely mentions the site ("Der Spiegel-Affäre") is no site name.
        return any(
            key == site
            or (len(site) >= 3 and len(key) <= len(site) + 12 and (site in key or key in site))
            for site in self.publisher_keys
        )

    def declared_language(self) -> str | None:
        """The language the page declares: `lang`, `og:locale` or `content-language`."""
        root = self.root
        return (
            root.get("lang")
            or root.get("xml:lang")
            or self.meta.first("og:locale")
            or next(iter(root.xpath("//meta[@http-equiv='content-language']/@content")), None)
        )

    @cached_property
    def dated_elements(self) -> list[HtmlElement]:
        """Elements with a machine-readable date: `datetime` or itemprop dates.

        One scan shared by the published and modified dates (each XPath scans the page).
        """
        found: list[HtmlElement] = self.root.xpath(
            "//*[@datetime or @itemprop='datePublished' or @itemprop='dateModified']"
        )
        return found

    @cached_property
    def marked_text(self) -> MarkedText:
        """The body's text nodes that mention views or may open a read-also insert.

        One pass over the text for both: an XPath `contains()` per spelling costs
        several times what one case-folded look at each node in Python does.
        """
        views: list[Any] = []
        labels: list[Any] = []
        for node in self.root.xpath("//body//text()[normalize-space()]"):
            folded = node.casefold()
            if any(word in folded for word in _VIEWS_WORDS):
                views.append(node)
            if folded.lstrip()[:_LABEL_PREFIX_CHARS] in _LABEL_PREFIXES:
                labels.append(node)
        return MarkedText(views, labels)

    def drop_stacked_articles(self, h1: str) -> None:
        """Removes the other articles of a page that stacks several, each with its `<h1>`.

        Pages with endless scrolling ship the next stories below the first, each in an
        `<article>` of its own; their text, bylines and dates are not this article's.
        Nothing is removed unless the headline's `<h1>` is inside an `<article>`.
        """
        stacked = self.root.xpath("//article[.//h1]")
        if len(stacked) < 2 or not h1:
            return
        key = text_key(h1)
        own = [a for a in stacked if any(text_key(element_text(h)) == key for h in a.iter("h1"))]
        for article in stacked if own else ():
            if article not in own and not any(article in o.iterancestors() for o in own):
                article.drop_tree()
