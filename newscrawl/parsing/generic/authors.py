"""The authors: JSON-LD persons, meta tags, then the byline as the page shows it.

The byline is found by class, by its label ("Von: …"), by links to author pages
and as a bold paragraph of the body. The publisher's own name, URLs, e-mail
addresses and "By" are removed; the newsroom counts only when no person does.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Iterable, Iterator
from typing import Any

from lxml.html import HtmlElement

from newscrawl.parsing.generic.page import PUBLISHER_TYPES, Page, unescaped
from newscrawl.parsing.html import element_text, word_set
from newscrawl.parsing.jsonld import jsonld_text, jsonld_types
from newscrawl.text import folded_text

_AUTHOR_META = (
    "author",
    "article:author",
    "parsely-author",
    "sailthru.author",
    "dc.creator",
    "byl",
)
# Scholarly pages list "Last, First" per tag.
_CITATION_AUTHOR_META = "citation_author"
# Elements that hold a byline; only short ones are read.
_BYLINE_XPATH = (
    "//*[@itemprop='author' or @rel='author'"
    " or contains(@class, 'byline') or contains(@class, 'author')]"
)
_BYLINE_MAX_CHARS = 80
_BYLINE_MAX_ELEMENTS = 4
# A labelled byline may share its line with the section and date.
_LABELLED_BYLINE_MAX_CHARS = 120
# Words that open a byline: "By Jane Doe", "Von Max Muster", "Par ..."; removed.
_BYLINE_PREFIX = re.compile(
    r"^\s*(?:by|von|par|por|di|da|door|av|af|от|автор(?:ы)?|written by|text|texte|"
    r"a cura di|reporting by|foto|photo)\s*:?\s+",
    re.IGNORECASE,
)
# Separators between names in one byline: "Jane Doe, John Roe and Max Muster".
_NAME_SEPARATOR = re.compile(
    r"\s*(?:,|;|、|\s&\s|\sand\s|\sund\s|\set\s|\sy\s|\se\s|\sog\s|\soch\s|\sen\s|\si\s|\sи\s|\sта\s)\s*",
    re.IGNORECASE,
)
_EMAIL_OR_URL = re.compile(r"@|https?://|www\.|\.\w{2,4}/", re.IGNORECASE)
# "Brazil, Rachel": one person written last name first (citation_author, some CMSs).
# Only single words on both sides, or "Jane Doe, John Roe" would become one person.
_LAST_FIRST = re.compile(r"^(?P<last>[^\W\d_][\w'-]*),\s*(?P<first>[^\W\d_][\w'.-]*)$")
# Byline words that are not names: prefixes left alone, follow buttons, share links.
_NOT_NAMES = word_set(
    "by von par por di da door av af от автор text foto photo redaktion follow folgen "
    "abonnieren subscribe suivre seguir twitter facebook instagram linkedin whatsapp "
    "telegram e-mail email mail x"
)
_DIGITS = re.compile(r"\d")
# A byline opened by its label: "Von: Jane Doe", "Autorin/Autor Max Muster",
# "(责编：牛镛、岳弘彬)". The label is cut off, the rest must look like names.
_BYLINE_LABEL = re.compile(
    r"^\(?\s*(?:by|von|par|por|door|written by|autor(?:in)?(?:\s*/\s*autor(?:in)?)?|"
    r"authors?|автор(?:ы)?|作者|责编|责任编辑|记者)(?!\w)\s*[:：]?\s*",
    re.IGNORECASE,
)
_AUTHOR_PAGE = re.compile(r"/(?:authors?|autor(?:en|in)?)/[^/?#]+", re.IGNORECASE)
# Spellings the byline label XPath looks for (XPath 1.0 has no lower-case()).
_BYLINE_LABEL_WORDS = word_set(
    "By by BY Von von VON Par par Por por Door door Written Autor autor Author author Автор автор"
)
_BYLINE_LABEL_XPATH = (
    "//body//text()["
    + " or ".join(
        f"starts-with(normalize-space(), '{word}')" for word in sorted(_BYLINE_LABEL_WORDS)
    )
    + " or contains(., '作者') or contains(., '责编') or contains(., '责任编辑')]"
)
# Words of a person's name: capitalised ("Jane", "MCCARTHY", "Dr."), or particles.
_NAME_PARTICLES = word_set("de da di del der den van von le la bin al y e du dos das ter")


def authors_of(page: Page, paragraphs: list[str]) -> list[str]:
    """The article's authors; `paragraphs` (the body's) may hold a bold byline."""
    ld_authors = page.ld.get("author")
    sources: list[Iterable[str]] = [
        _jsonld_author_names(ld_authors, people=True),
        (value for key in _AUTHOR_META for value in page.meta.every(key)),
        (_last_first(value) for value in page.meta.every(_CITATION_AUTHOR_META)),
        _trafilatura_names(page.root),
        _byline_names(page.root),
        _labelled_byline_names(page.root),
        _author_link_names(page.root),
        _byline_paragraph_names(page.root, paragraphs),
    ]
    # The first source that names a person wins: sources are not merged, as a
    # meta tag and a byline often spell the same person differently.
    # Organisations credited as author in JSON-LD are kept for the fallback below.
    credited: list[str] = _jsonld_author_names(ld_authors, people=False)
    for names in sources:
        found: list[str] = []
        people: list[str] = []
        for raw in names:
            split = [name for name in _split_names(raw) if not name.isdigit()]
            found.extend(split)
            # "hessenschau.de, Frankfurt, Germany": a byline that opens with the
            # publisher credits the newsroom; the rest is its address, not people.
            if split and not page.is_site_name(split[0]):
                people.extend(name for name in split if not page.is_site_name(name))
        if people:
            return list(dict.fromkeys(people))
        credited.extend(found)
    # No person anywhere: the newsroom credits itself ("BBC News", "Redaktion
    # hessenschau.de"). That is the page's byline, so it is kept; it only loses
    # to a person's name.
    return list(dict.fromkeys(credited))[:1]


def _byline_names(root: HtmlElement) -> Iterator[str]:
    # The first few only: later "author" elements are teaser cards of other articles.
    for element in root.xpath(_BYLINE_XPATH)[:_BYLINE_MAX_ELEMENTS]:
        text = element_text(element)
        if text and len(text) <= _BYLINE_MAX_CHARS and not _DIGITS.search(text):
            yield text


def _labelled_byline_names(root: HtmlElement) -> Iterator[str]:
    """Names after a byline label, in a short element ("Von: Jane Doe, John Roe")."""
    for text_node in root.xpath(_BYLINE_LABEL_XPATH):
        scope = text_node.getparent()
        # "<strong>Autor</strong> Jane Doe": the label's element holds only the label.
        for _ in range(2):
            if scope is None:
                break
            text = element_text(scope)
            if len(text) > _LABELLED_BYLINE_MAX_CHARS:
                break
            label = _BYLINE_LABEL.match(text)
            rest = text[label.end() :].strip(" )") if label else ""
            if rest:
                # "By TPN, in News, Portugal": the names end where the words stop
                # looking like names.
                split = _split_names(rest)
                names = list(itertools.takewhile(_looks_like_name, split))
                # A lone capitalised word ahead of other text is a weekday or a
                # place ("von Montag, den 1. Mai"); an acronym is an agency ("TPN").
                if len(names) < len(split):
                    names = [n for n in names if len(n.split()) > 1 or n.isupper()]
                if names:
                    yield from names
                    return
                break
            scope = scope.getparent()


def _author_link_names(root: HtmlElement) -> Iterator[str]:
    """The text of the first links to an author page (`/author/jane-doe`)."""
    anchors = root.xpath("//body//a[contains(@href, '/author') or contains(@href, '/autor')]")
    # A link to one author's page, not to the list of authors ("/authors").
    profiles = [a for a in anchors if _AUTHOR_PAGE.search(a.get("href", ""))]
    for anchor in profiles[:_BYLINE_MAX_ELEMENTS]:
        text = element_text(anchor)
        name = _BYLINE_PREFIX.sub("", text)
        # Two words at least: a lone word in an author link is initials or "Profile".
        if len(name.split()) >= 2 and _looks_like_name(name):
            yield text


def _byline_paragraph_names(root: HtmlElement, paragraphs: list[str]) -> Iterator[str]:
    """A name set in bold as one of the body's first paragraphs or its last one
    (bylines of print articles)."""
    for text in dict.fromkeys([*paragraphs[:3], *paragraphs[-1:]]):
        names = _split_names(text)
        if len(text.split()) < 2 or not names or not all(map(_looks_like_name, names)):
            continue
        bold = root.xpath(
            "//p[normalize-space(.) = $t][.//strong[normalize-space(.) = $t]"
            " or .//b[normalize-space(.) = $t] or .//em[normalize-space(.) = $t]]",
            t=text,
        )
        if bold:
            yield text


def _trafilatura_names(root: HtmlElement) -> Iterator[str]:
    # Lazy: trafilatura's byline search is the last resort and rarely reached.
    from trafilatura.metadata import extract_author

    found = extract_author(root)
    if found:
        yield from found.split(";")


def _last_first(name: str) -> str:
    # citation_author is "Last, First": one person, not two.
    match = _LAST_FIRST.match(name)
    return f"{match['first'].strip()} {match['last'].strip()}" if match else name


def _jsonld_author_names(value: Any, *, people: bool) -> list[str]:
    """Names of JSON-LD authors that are persons (people=True) or organisations."""
    if isinstance(value, list):
        return [name for item in value for name in _jsonld_author_names(item, people=people)]
    if isinstance(value, dict):
        is_organisation = bool(jsonld_types(value) & PUBLISHER_TYPES)
        name = jsonld_text(value.get("name"))
        return [name] if name and is_organisation != people else []
    name = jsonld_text(value)
    return [name] if name and people else []


def _split_names(raw: str) -> list[str]:
    """A byline as names: "By Jane Doe and John Roe" -> ["Jane Doe", "John Roe"]."""
    text = folded_text(unescaped(raw))
    if not text:
        return []
    text = _last_first(text)
    names = []
    parts = _NAME_SEPARATOR.split(_BYLINE_PREFIX.sub("", text))
    # "Jane Doe/John Roe", but not inside a URL ("https://site/author/jane").
    parts = [name for part in parts for name in (part.split("/") if "//" not in part else [part])]
    for part in parts:
        name = _BYLINE_PREFIX.sub("", part).strip(" .:|-–—")
        # URLs and e-mail addresses are contact data, not names; a lone "By" or
        # "Follow" is the byline's furniture; one letter is an initial split off.
        if len(name) >= 2 and not _EMAIL_OR_URL.search(name) and name.casefold() not in _NOT_NAMES:
            names.append(name)
    return names


def _looks_like_name(text: str) -> bool:
    """Whether the text reads as one person's name: a few capitalised words."""
    words = text.split()
    if not 1 <= len(words) <= 5 or len(text) > 50 or _DIGITS.search(text):
        return False
    for word in words:
        letter = next((char for char in word if char.isalpha()), "")
        # Scripts without letter case (Chinese, Arabic, ...) say nothing either way.
        if letter.islower() and word.casefold() not in _NAME_PARTICLES:
            return False
    return True
