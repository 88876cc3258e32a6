"""The page's main content found by structure, for site parsers whose class selectors miss.

A redesign renames every class and id but keeps the text and the shape of the page:
the article's paragraphs still sit side by side in one block. That block is found
here by where the paragraph text is, the way readability-style extractors find it,
so a site parser can apply its own content rules inside it.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from lxml.html import HtmlElement

from newscrawl.parsing.html import element_text, word_set

# Page furniture: a paragraph inside these is never the article's text.
_FURNITURE = word_set("nav header footer aside form a button template noscript")
# Paragraph-like blocks whose text counts towards their container; a <div> counts
# as one when it holds no block of its own (sites that write paragraphs as <div>s).
_PARAGRAPHS = word_set("p blockquote pre")
_BLOCKS = word_set(
    "p div section article main blockquote pre ul ol dl table figure "
    "h1 h2 h3 h4 h5 h6 header footer nav aside form"
)
# A container gets all of its own paragraphs' text, and half of its grandchildren's,
# so a body whose paragraphs are each wrapped in a <div> is still one block.
_GRANDPARENT_SHARE = 0.5


@dataclass(frozen=True)
class MainContent:
    """The block holding most of the page's paragraph text, and how much it holds."""

    node: HtmlElement
    # The paragraphs inside it with text outside links, and their characters.
    paragraphs: int
    chars: int


def main_content(root: HtmlElement) -> MainContent | None:
    """The block element holding most paragraph text outside links and page furniture.

    Text inside links does not count: a listing's cards are links, so a listing
    has no main content, and a paragraph that is all link is a teaser. None when
    the page has no such paragraph at all.
    """
    scores: dict[HtmlElement, float] = defaultdict(float)
    counted: dict[HtmlElement, int] = {}
    for paragraph in root.iter(*_PARAGRAPHS, "div"):
        # The leaf-most block only: a quote of two <p>s is counted once.
        inner = _BLOCKS if paragraph.tag == "div" else _PARAGRAPHS
        if next(paragraph.iterdescendants(*inner), None) is not None or any(
            ancestor.tag in _FURNITURE for ancestor in paragraph.iterancestors()
        ):
            continue
        chars = _unlinked_chars(paragraph)
        parent = paragraph.getparent()
        if not chars or parent is None:
            continue
        counted[paragraph] = chars
        scores[parent] += chars
        grandparent = parent.getparent()
        if grandparent is not None:
            scores[grandparent] += chars * _GRANDPARENT_SHARE
    if not scores:
        return None
    node = max(scores, key=scores.__getitem__)
    inside = [chars for p, chars in counted.items() if node in p.iterancestors()]
    return MainContent(node=node, paragraphs=len(inside), chars=sum(inside))


def _unlinked_chars(paragraph: HtmlElement) -> int:
    """Characters of the paragraph's visible text that are not inside a link."""
    linked = sum(len(element_text(a)) for a in paragraph.iter("a"))
    return max(0, len(element_text(paragraph)) - linked)
