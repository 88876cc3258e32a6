"""The headline: JSON-LD, og:title, the `<h1>`, twitter:title and `<title>`, cleaned.

Each candidate is cleaned of site-name affixes ("Title | Site"); the `<h1>` decides
which of several headings is the article's and which " | …" or " – …" tail is not
part of the headline, and a kicker ("Kicker: Headline") the social titles leave out
goes. Below a breadcrumb `<h1>`, the heading readers see picks the source.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from lxml.html import HtmlElement

from newscrawl.parsing.generic.page import Page, text_key, unescaped
from newscrawl.parsing.html import element_text
from newscrawl.parsing.jsonld import jsonld_text
from newscrawl.text import folded_text

# Separators between a headline and a site or section name in titles.
# "Site: Title" has no space before the colon. Only used to cut off a part that is a
# site name, so a colon inside a headline ("Kicker: Title") stays.
_AFFIX_SEPARATOR = re.compile(r"\s+[|–—\-·•»:]\s+|(?<=\w):\s+|\s*[|ㅣ｜：]\s*|\s+-{2,}\s*|-{2,}")
# A " | Section" or " – Site" tail after a headline that another source gives alone.
_TAIL_SEPARATOR = re.compile(r"^(?:\s*[|ㅣ｜]\s*|\s+[–—\-·•/]\s+)\S")
# "Kicker: " or "Kicker – " before a headline: the kicker is a topic line, not the title.
_KICKER_END = re.compile(r"^(?P<kicker>.*\S)(?:\s*[:|]|\s+[–—\-/])\s+$")
# A shorter rest is too little to be sure the longer title only adds a kicker.
_KICKER_MIN_HEADLINE = 15
# A breadcrumb trail, marked in a class, id, aria-label or schema.org itemtype.
_BREADCRUMB = "breadcrumb"
# The headline shown below a breadcrumb <h1>: a following <h2> outside page furniture.
_SHOWN_HEADING_XPATH = (
    "following::h2[not(ancestor::nav or ancestor::aside or ancestor::footer)][position() <= 3]"
)


@dataclass(frozen=True)
class Headlines:
    """The headline as each source gives it, cleaned of site names ("" if absent)."""

    jsonld: str
    og: str
    h1: str
    twitter: str
    title: str
    # The heading shown below an <h1> that is the page's breadcrumb, kicker included.
    shown: str = ""

    def ordered(self) -> list[str]:
        """The distinct candidates, most reliable source first."""
        texts = (self.jsonld, self.og, self.h1, self.twitter, self.title, self.shown)
        return list(dict.fromkeys(text for text in texts if text))

    def source_of_shown(self) -> str | None:
        """The source that gives the shown heading, without its kicker if one does.

        The heading can carry a kicker ("Meinung Warum …") that a source leaves out.
        """
        if not self.shown:
            return None
        shown = text_key(self.shown)
        sources = [text for text in (self.jsonld, self.og, self.twitter, self.title) if text]
        without_kicker = (
            text
            for text in sources
            if len(text) >= _KICKER_MIN_HEADLINE
            and text_key(text) != shown
            and shown.endswith(text_key(text))
        )
        return next(without_kicker, None) or next(
            (text for text in sources if text_key(text) == shown), None
        )

    def chosen(self) -> str | None:
        """The headline: the first candidate, without a kicker the page's other titles leave out.

        JSON-LD first: measured on 258 real pages, when JSON-LD and the <h1> disagree
        the JSON-LD headline is the article's more often than the <h1> (a rubric or
        a longer display line). Agreement with the <h1> is used to pick among <h1>s
        and to cut tails, which is where it is reliable.
        """
        ordered = self.ordered()
        if not ordered:
            return None
        # Below a breadcrumb <h1>, the heading readers see picks the source.
        shown = self.source_of_shown()
        if shown is not None:
            return shown
        first = ordered[0]
        # "Kicker: Headline" in JSON-LD while og:title/twitter:title say "Headline".
        for social in (self.og, self.twitter):
            if social and social != first and _kicker_of(first, social) is not None:
                return social
        return first


def headline_candidates(page: Page) -> Headlines:
    """Cleaned headline candidates by source, in order of reliability."""
    root = page.root
    h1s = [(h, text) for h in root.xpath("//h1") if (text := element_text(h))]
    raw = [
        # A `<meta name="headline">` says what JSON-LD would, on pages without it.
        jsonld_text(page.ld.get("headline")) or page.meta.first("headline") or "",
        jsonld_text(page.ld.get("name")) or "",
        _microdata_headline(root),
        page.meta.first("og:title") or "",
        page.meta.first("twitter:title") or "",
        folded_text(root.findtext(".//title")),
    ]
    jsonld, name, microdata, og, twitter, title = (
        _without_site_affixes(unescaped(text), page) for text in raw
    )
    # The article's <h1> is the one another source agrees with; a page can have a
    # logo or a login box as its first <h1>.
    agreed = {text_key(text) for text in (jsonld, name, microdata, og, twitter, title) if text}
    h1_element, h1 = next(
        ((h, text) for h, text in h1s if text_key(text) in agreed),
        h1s[0] if h1s else (None, ""),
    )
    shown = _shown_below_breadcrumb(h1_element) if h1_element is not None else ""
    # An article object can carry two titles: a short `headline` written for search
    # results and its full `name`. The one the page repeats is the article's.
    if (
        name
        and text_key(name) != text_key(jsonld)
        and text_key(name) in {text_key(og), text_key(h1)}
    ):
        jsonld = name
    # Structured data twice, in JSON-LD and in microdata on the page: where they
    # disagree, the one the social titles repeat wins. Alone, microdata is not
    # trusted: pages mark subtitles and teasers `itemprop="headline"` too.
    if (
        microdata
        and text_key(microdata) != text_key(jsonld)
        and text_key(microdata) in {text_key(og), text_key(twitter)}
    ):
        jsonld = microdata
    # A title that is only the site's name (the `<title>` of a page that lost its
    # own, a logo in an `<h1>`) is no headline.
    ordered = [
        "" if text_key(text) in page.publisher_keys else text
        for text in (jsonld, og, h1, twitter, title)
    ]
    # " | Section" tails: cut them where the rest is what another source says.
    references = [text for text in ordered if text]
    jsonld, og, h1, twitter, title = (_without_tail(text, references) for text in ordered)
    return Headlines(jsonld, og, h1, twitter, title, shown)


def _microdata_headline(root: HtmlElement) -> str:
    """The text of the first element marked `itemprop="headline"` (schema.org microdata)."""
    for element in root.xpath("//*[@itemprop='headline']"):
        text = folded_text(element.get("content")) if element.tag == "meta" else ""
        if text := text or element_text(element):
            return text
    return ""


def _shown_below_breadcrumb(h1: HtmlElement) -> str:
    """The heading below an `<h1>` that is the last item of the page's breadcrumb trail.

    Such pages put their search title in the `<h1>` (and often in JSON-LD) and show
    readers the headline in the next `<h2>`. "" when the `<h1>` is no breadcrumb.
    """
    if not any(_BREADCRUMB in _marks(node) for node in (h1, *h1.iterancestors())):
        return ""
    for heading in h1.xpath(_SHOWN_HEADING_XPATH):
        text = element_text(heading)
        if len(text) >= _KICKER_MIN_HEADLINE and not any(
            _BREADCRUMB in _marks(node) for node in heading.iterancestors()
        ):
            return text
    return ""


def _marks(element: HtmlElement) -> str:
    """The element's class, id, aria-label and itemtype, lower-cased: what names its role."""
    attributes = (element.get(name) for name in ("class", "id", "aria-label", "itemtype"))
    return " ".join(value for value in attributes if value).lower()


def _without_site_affixes(text: str, page: Page) -> str:
    """The title without a leading or trailing site name: "Title | Site", "Site: Title"."""
    while True:
        separators = list(_AFFIX_SEPARATOR.finditer(text))
        if not separators:
            return text
        last, first = separators[-1], separators[0]
        if page.is_site_name(text[last.end() :]) and text[: last.start()].strip():
            text = text[: last.start()].strip()
        elif page.is_site_name(text[: first.start()]) and text[first.end() :]:
            text = text[first.end() :].strip()
        else:
            return text


def _without_tail(text: str, references: list[str]) -> str:
    """ "Title | Section" or "Title – Site" -> "Title" when another source says "Title"."""
    for reference in references:
        if (
            reference != text
            and len(reference) >= 10
            and text.startswith(reference)
            and _TAIL_SEPARATOR.match(text[len(reference) :])
        ):
            return reference
    return text


def _kicker_of(text: str, headline: str) -> str | None:
    """The kicker in "Kicker: Headline" when text is that and headline the rest."""
    if len(headline) < _KICKER_MIN_HEADLINE or not text.endswith(headline):
        return None
    match = _KICKER_END.search(text[: -len(headline)])
    return match["kicker"] if match else None
