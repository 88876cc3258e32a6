"""The parts of a page that show other articles, so that their dates are not taken for its own.

A page without a date of its own still shows dates: those of the read-also inserts,
related cards and link lists that point to other articles. Recognised by structure,
never by class names (a redesign renames those):

- a link to another page whose text is a title, and everything inside it (a whole
  card is often one `<a>`; a link whose text is only a date, to the day's archive,
  is the page's own date);
- a link list: an element whose text is mostly the titles of two or more links,
  showing two or more dates (an author box that lists the author's latest
  articles beside the one date of the page is no link list);
- a card list: two or more sibling blocks of one kind (same tag and class), each
  holding a link with a title and a date;
- a read-also block: the block around a read-also label ("Read also:") that is
  mostly its link.

An element that holds an `<h1>` is never one of them (it holds the article itself),
unless it is a link.
"""

from __future__ import annotations

import re
from collections import defaultdict
from copy import deepcopy
from dataclasses import dataclass
from functools import cached_property

from lxml.html import HtmlElement

from newscrawl.parsing import urls
from newscrawl.parsing.generic.page import Page
from newscrawl.parsing.html import element_text
from newscrawl.parsing.readalso import read_also_label

__all__ = ["LinkedRegions", "linked_regions"]

# Never visible: their text counts for nothing.
_INVISIBLE = frozenset({"script", "style", "noscript", "template"})
# A link's text is a title (not a date, a name, a section or a menu item) from this
# many words, or this width, of letters on: "Jane Doe", "Economy", "Next page" and
# "26.04.2024 10:00 Uhr" are less. Wide (CJK) letters count twice, as they are shown.
_TITLE_WORDS = 4
_TITLE_WIDTH = 25
_LETTER_WORDS = re.compile(r"[^\W\d_]+")
_WIDE_LETTERS_FROM = "\u2e80"
# A link list's text is at least this share link titles.
_LINK_LIST_SHARE = 2 / 3
# The blocks a card list is made of; paragraphs are not (body text links and dates too).
_CARD_TAGS = frozenset({"li", "article", "div", "section", "aside", "figure", "dd", "tr"})
# The blocks a read-also label may open.
_READ_ALSO_BLOCKS = frozenset({"p", "div", "aside", "section", "li", "ul", "blockquote", "figure"})
# A read-also block's text is at least this share link text; a label left in the
# body's own block (the insert's markup lost) does not make the body an insert.
_READ_ALSO_SHARE = 1 / 2
# Text that shows a date or a time: a year, "27.05.24", "10:18".
_DATE_LIKE = re.compile(
    r"(?<!\d)(?:(?:19|20)\d{2}|\d{1,2}[./]\d{1,2}[./]\d{2,4}|\d{1,2}:\d{2})(?!\d)"
)
_DATE_ITEMPROPS = frozenset({"datePublished", "dateModified", "dateCreated"})


@dataclass(slots=True)
class _Counts:
    """What an element holds, its descendants included."""

    chars: int = 0  # visible characters
    links: int = 0  # links to other pages
    link_chars: int = 0  # visible characters inside them
    titles: int = 0  # those links whose text is a title
    title_chars: int = 0
    # Dates shown outside titled links: `<time>` and itemprop date elements, and
    # text nodes that look like a date.
    dates: int = 0
    holds_h1: bool = False


class LinkedRegions:
    """The page's regions that show other articles (see the module docstring).

    Found on first use: most pages have their date in JSON-LD or meta tags and
    never ask.
    """

    def __init__(self, page: Page) -> None:
        self._page = page
        self._base = page.url
        self._hrefs_elsewhere: dict[str, bool] = {}

    @cached_property
    def _nodes(self) -> list[HtmlElement]:
        # Every node in document order, comments included: the same order in a copy
        # of the tree finds the same nodes there (see `tree_without_them`).
        return list(self._page.root.iter())

    @cached_property
    def _own_urls(self) -> set[str]:
        return _own_urls_of(self._page)

    @cached_property
    def _regions(self) -> set[HtmlElement]:
        counts = self._counts()
        regions = self._links_and_lists(counts)
        regions |= _card_lists(self._nodes, counts)
        regions |= _read_also_blocks(self._page, counts)
        return regions

    def hold(self, element: HtmlElement) -> bool:
        """Whether the element is in one of the regions (or is one)."""
        regions = self._regions
        if element in regions:
            return True
        return any(ancestor in regions for ancestor in element.iterancestors())

    def tree_without_them(self) -> HtmlElement:
        """A copy of the page's tree with every region removed (their tails stay)."""
        regions = self._regions
        copy = deepcopy(self._page.root)
        position = {node: index for index, node in enumerate(self._nodes)}
        copied = list(copy.iter())
        outermost = [
            region for region in regions if not any(a in regions for a in region.iterancestors())
        ]
        for region in outermost:
            node = copied[position[region]]
            if not isinstance(node, HtmlElement):
                continue
            if node.getparent() is None:
                # The whole page is other articles' links (a listing): nothing of it
                # may date the page, and the root itself cannot be dropped.
                node.clear()
            else:
                node.drop_tree()
        return copy

    def _counts(self) -> dict[HtmlElement, _Counts]:
        """Each element's counts, children before parents (reversed document order)."""
        counts: dict[HtmlElement, _Counts] = {}
        for node in reversed(self._nodes):
            if not isinstance(node, HtmlElement) or not isinstance(node.tag, str):
                continue
            tag = node.tag
            if tag in _INVISIBLE:
                counts[node] = _Counts()
                continue
            text = node.text or ""
            dated_element = (
                tag == "time"
                or node.get("datetime") is not None
                or node.get("itemprop") in _DATE_ITEMPROPS
            )
            total = _Counts(
                chars=len(text.strip()),
                dates=1 if _DATE_LIKE.search(text) else 0,
                holds_h1=tag == "h1",
            )
            for child in node:
                tail = child.tail
                if tail:
                    total.chars += len(tail.strip())
                    total.dates += 1 if _DATE_LIKE.search(tail) else 0
                inner = counts.get(child)
                if inner is not None:
                    total.chars += inner.chars
                    total.links += inner.links
                    total.link_chars += inner.link_chars
                    total.titles += inner.titles
                    total.title_chars += inner.title_chars
                    total.dates += inner.dates
                    total.holds_h1 = total.holds_h1 or inner.holds_h1
            if dated_element:
                # A <time> that shows its date as text too is one date.
                total.dates = 1
            if tag == "a" and self._links_elsewhere(node):
                total.links, total.link_chars = 1, total.chars
                if _is_title(element_text(node)):
                    # A date inside a titled link is that link's (a region of its own);
                    # the dates of the blocks around it are those shown beside links.
                    total.titles, total.title_chars, total.dates = 1, total.chars, 0
            counts[node] = total
        return counts

    def _links_and_lists(self, counts: dict[HtmlElement, _Counts]) -> set[HtmlElement]:
        """Links to other pages, and elements whose text is mostly link titles."""
        found: set[HtmlElement] = set()
        for element, held in counts.items():
            if element.tag == "a":
                if held.titles:
                    found.add(element)
            elif (
                not held.holds_h1
                and held.titles >= 2
                and held.dates >= 2
                and held.title_chars >= _LINK_LIST_SHARE * held.chars
            ):
                found.add(element)
        return found

    def _links_elsewhere(self, anchor: HtmlElement) -> bool:
        href = anchor.get("href", "")
        elsewhere = self._hrefs_elsewhere.get(href)
        if elsewhere is None:
            # Pages repeat their links (image and title, menus): resolve each once.
            url = urls.absolute_url(href, self._base)
            elsewhere = url is not None and urls.canonical_url(url) not in self._own_urls
            self._hrefs_elsewhere[href] = elsewhere
        return elsewhere


def linked_regions(page: Page) -> LinkedRegions:
    """The regions of the page that show other articles."""
    return LinkedRegions(page)


def _own_urls_of(page: Page) -> set[str]:
    """The page's own URLs, canonical: a link to one of them is no link to another page."""
    own = {page.url, page.meta.first("og:url") or ""}
    own.update(page.root.xpath("//link[@rel='canonical']/@href"))
    return {
        urls.canonical_url(url)
        for value in own
        if value and (url := urls.absolute_url(value, page.url)) is not None
    }


def _is_title(text: str) -> bool:
    words: list[str] = _LETTER_WORDS.findall(text)
    if len(words) >= _TITLE_WORDS:
        return True
    letters = "".join(words)
    wide = sum(1 for ch in letters if ch >= _WIDE_LETTERS_FROM)
    # Spaces between the words count too, as they take room.
    return len(letters) + wide + len(words) - 1 >= _TITLE_WIDTH


def _card_lists(nodes: list[HtmlElement], counts: dict[HtmlElement, _Counts]) -> set[HtmlElement]:
    """Sibling blocks of one kind, two or more, each with a titled link and a date."""
    found: set[HtmlElement] = set()
    for parent in nodes:
        if parent not in counts or len(parent) < 2:
            continue
        kinds: dict[tuple[str, str], list[HtmlElement]] = defaultdict(list)
        for child in parent:
            held = counts.get(child)
            if (
                held is not None
                and child.tag in _CARD_TAGS
                and held.titles
                and held.dates
                and not held.holds_h1
            ):
                kinds[(child.tag, child.get("class", ""))].append(child)
        for cards in kinds.values():
            if len(cards) >= 2:
                found.update(cards)
    return found


def _read_also_blocks(page: Page, counts: dict[HtmlElement, _Counts]) -> set[HtmlElement]:
    """The blocks that read-also labels open, when they are mostly their links."""
    found: set[HtmlElement] = set()
    for node in page.marked_text.read_also_labels:
        if read_also_label(str(node)) is None:
            continue
        holder = node.getparent()
        # A tail's text stands in its element's parent.
        block = holder.getparent() if node.is_tail and holder is not None else holder
        while block is not None and block.tag not in _READ_ALSO_BLOCKS:
            block = block.getparent()
        held = counts.get(block) if block is not None else None
        if (
            block is not None
            and held is not None
            and held.links
            and not held.holds_h1
            and held.link_chars >= _READ_ALSO_SHARE * held.chars
        ):
            found.add(block)
    return found
