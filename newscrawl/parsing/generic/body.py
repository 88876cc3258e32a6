"""The body: trafilatura's reading of the visible text, cleaned of what is no article text.

Read-also inserts, a repeated headline, link-only blocks (teaser lists, tag clouds),
picture credits and repeated placeholders leave the text; for app shells the body
comes from the HTML in the page's script state. The links in the body's blocks are
kept as references for the links reader (`links.py`).

trafilatura gets the parsed tree, not the HTML, so the page is parsed only once. It
works on its own copy, so the tree stays whole for the read-also inserts, the link
order and the other fields.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import trafilatura
from lxml.etree import Element, _Element
from lxml.html import HtmlElement
from trafilatura.settings import Document

from newscrawl.parsing.generic.page import Page, text_key
from newscrawl.parsing.readalso import is_read_also_label, read_also_label
from newscrawl.text import folded_text

# trafilatura's body extraction: links kept (they become body links).
_TRAFILATURA_OPTIONS: dict[str, Any] = {
    "with_metadata": False,
    "include_comments": False,
    "include_tables": False,
    "include_links": True,
    "include_images": False,
}
# The fallback body (see _embedded_body): a JSON string value under a body-like key,
# long enough to be an article.
_STATE_HTML = re.compile(
    r'"(?:contentHtml|content_html|bodyHtml|body_html|articleBody|html|content|body)"'
    r'\s*:\s*"(?P<value>(?:[^"\\]|\\.){200,})"'
)
# trafilatura's block elements; a list or a quote yields one paragraph per child.
_CONTAINERS = frozenset({"list", "quote", "div"})
# A paragraph that is only a picture credit: "Photo: AFP", "STR/AFP via Getty Images".
_PICTURE_CREDIT = re.compile(
    r"^(?:(?:photos?|fotos?|bild|image|credit|picture|grafik|фото)\s*:\s*.{1,80}"
    r"|.{0,80}(?:getty images|shutterstock|imago images|picture[- ]alliance))\.?$",
    re.IGNORECASE,
)
# Paragraphs up to this length that occur twice are page furniture, not text.
_REPEAT_MAX_CHARS = 300


@dataclass(frozen=True)
class BodyRef:
    """A link (`<ref>`) in a body block: a read-also insert's, or inline in a paragraph."""

    kind: Literal["read_also", "inline"]
    ref: _Element
    # The text of the read-also block, which may show the linked article's date.
    holder_text: str | None = None


@dataclass
class Body:
    """The paragraphs trafilatura's body gives, and the links in its blocks, in order."""

    # Every text paragraph, page furniture still in (see `article_paragraphs`).
    paragraphs: list[str] = field(default_factory=list)
    paragraph_keys: set[str] = field(default_factory=set)
    refs: list[BodyRef] = field(default_factory=list)

    def article_paragraphs(self) -> list[str]:
        """The paragraphs without picture credits and without short repeated paragraphs.

        An article does not repeat a sentence word for word; pages do repeat the consent
        placeholder of every embed, "Advertisement" labels and credits.
        """
        counts = Counter(self.paragraphs)
        return [
            text
            for text in self.paragraphs
            if (counts[text] == 1 or len(text) > _REPEAT_MAX_CHARS)
            and not _PICTURE_CREDIT.match(text)
        ]


def body_of(page: Page, headlines: list[str]) -> Body:
    """The page's body, read from trafilatura's extraction, else from the script state.

    `headlines` are the headline candidates: one repeated at the top of the body goes.
    """
    reader = _BodyReader({text_key(h) for h in headlines})
    body = _trafilatura_body(page.root, page.url)
    if body is not None:
        reader.read(body)
    if not reader.body.paragraphs:
        embedded = _embedded_body(page)
        if embedded is not None:
            reader.read(embedded)
    return reader.body


def xml_text(element: _Element) -> str:
    """The element's text with line breaks (<lb/>) as spaces, so words do not merge."""
    parts: list[str] = []
    for node in element.iter():
        if node.tag == "lb":
            parts.append(" ")
        elif node.text:
            parts.append(node.text)
        if node is not element and node.tail:
            parts.append(node.tail)
    return "".join(parts)


def _trafilatura_body(source: HtmlElement | str, url: str) -> _Element | None:
    """trafilatura's body of the page, as its XML (`<p>`, `<list>`, `<ref>`…); None if none."""
    document = trafilatura.bare_extraction(source, url=url, **_TRAFILATURA_OPTIONS)
    # A dict comes back only for as_dict=True, which these options never ask for.
    return document.body if isinstance(document, Document) else None


def _embedded_body(page: Page) -> _Element | None:
    """The body from the app state of a page whose markup has none.

    Pages rendered in the browser (Next.js, Nuxt) ship the article as an HTML
    string inside a script's JSON; the markup holds only a shell. (A JSON-LD
    `articleBody` is trafilatura's own fallback.) Only tried when trafilatura
    found nothing: it is a last resort.
    """
    body = max(_state_html_strings(page.root), key=len, default=None)
    if body is None:
        return None
    return _trafilatura_body(f"<html><body><article>{body}</article></body></html>", page.url)


def _state_html_strings(root: HtmlElement) -> Iterator[str]:
    """HTML strings with paragraphs found in the page's inline scripts' JSON."""
    for script in root.xpath("//script[not(@src)]/text()"):
        for match in _STATE_HTML.finditer(script):
            try:
                value = json.loads(f'"{match["value"]}"')
            except ValueError:
                continue
            if "<p" in value or "<br" in value:
                yield value


class _BodyReader:
    """Turns trafilatura's XML body into paragraphs and body links.

    Read-also paragraphs become links and leave the text; a leading paragraph that
    repeats the headline is dropped (the headline is its own field).
    """

    def __init__(self, headline_keys: set[str]) -> None:
        self.headline_keys = headline_keys - {""}
        self.body = Body()

    def read(self, body: _Element) -> None:
        for block in self._blocks(body):
            self._block(block)

    def _blocks(self, element: _Element) -> Iterator[_Element]:
        for child in element:
            if isinstance(child.tag, str):
                if child.tag in _CONTAINERS and len(child):
                    yield from self._blocks(child)
                else:
                    yield child
            # trafilatura leaves text that sat between blocks as a tail ("<head>…</head>
            # Text<p>…"); it is a paragraph of its own.
            if child.tail and child.tail.strip():
                loose = Element("p")
                loose.text = child.tail
                yield loose

    def _block(self, block: _Element) -> None:
        body = self.body
        text = folded_text(xml_text(block))
        if not text:
            return
        refs = [ref for ref in block.iter("ref") if ref.get("target")]
        if read_also_label(text) is not None and refs:
            body.refs.extend(BodyRef("read_also", ref, text) for ref in refs)
            return
        if is_read_also_label(text):
            return  # a label whose insert trafilatura dropped
        if not body.paragraphs and text_key(text) in self.headline_keys:
            return  # the headline repeated at the top of the body
        if refs and _all_link_text(text, refs):
            # A teaser list, tag cloud or author link: trafilatura keeps such
            # link-only blocks when asked for links, and drops them otherwise.
            return
        body.refs.extend(BodyRef("inline", ref) for ref in refs)
        body.paragraphs.append(text)
        body.paragraph_keys.add(text_key(text))


def _all_link_text(text: str, refs: list[_Element]) -> bool:
    linked = sum(len(folded_text(xml_text(ref))) for ref in refs)
    return linked >= 0.9 * len(text)
