"""The article's links: read-also inserts and inline links, in the order the page shows them.

The links in the blocks trafilatura kept come with the body (`body.py`). A boxed
read-also insert trafilatura dropped as boilerplate is found in the original tree
by its label, and counts only next to a body paragraph, so that a "See also" list
in the sidebar or footer is not taken for one. The generic parser reads no
related-article cards: their markup differs on every site.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

from lxml.html import HtmlElement

from newscrawl.items import Link
from newscrawl.parsing import urls
from newscrawl.parsing.generic.body import Body, BodyRef, xml_text
from newscrawl.parsing.generic.dates import page_datetime
from newscrawl.parsing.generic.page import Page, text_key
from newscrawl.parsing.html import element_text
from newscrawl.parsing.readalso import read_also_label, read_also_title, shown_date
from newscrawl.text import folded_text

# Read-also holders: the label's nearest block ancestor, holding few links.
_READ_ALSO_BLOCKS = frozenset({"p", "div", "aside", "section", "li", "ul", "blockquote", "figure"})
_READ_ALSO_MAX_LINKS = 6


def links_of(page: Page, body: Body, published_at: datetime | None) -> list[Link]:
    """The body's links and the read-also inserts beside it, positioned in page order.

    Read-also inserts show their dates without an offset; the zone of the page's
    own published date is the best guess for how the newsroom prints times.
    """
    zone = published_at.tzinfo if published_at is not None else None
    body_links = [link for ref in body.refs if (link := _ref_link(ref, page.url, zone)) is not None]
    read_also = _read_also_inserts(page, body.paragraph_keys, zone)
    if not read_also:
        # trafilatura keeps document order; only inserts found apart need merging.
        return _merged_links(body_links, [], {})
    return _merged_links(body_links, read_also, _link_order(page.root, page.url))


def _ref_link(ref: BodyRef, base: str, zone: tzinfo | None) -> Link | None:
    url = urls.absolute_url(ref.ref.get("target", ""), base)
    title = folded_text(xml_text(ref.ref))
    if url is None or not title:
        return None
    if ref.kind == "read_also":
        return Link(
            kind="read_also",
            url=urls.canonical_url(url),
            title=read_also_title(title),
            shown_at=shown_date(ref.holder_text, zone),
        )
    return Link(kind="inline", url=urls.canonical_url(url), title=title)


def _read_also_inserts(page: Page, paragraph_keys: set[str], zone: tzinfo | None) -> list[Link]:
    """Read-also inserts between the body's paragraphs that trafilatura left out."""
    if not paragraph_keys:
        return []
    found: list[Link] = []
    # The blocks themselves, not their id(): lxml hands out a Python proxy per
    # element only while one is referenced, so once a block's proxy is freed its
    # id() can come back for the next block, which would then count as seen.
    seen_blocks: set[HtmlElement] = set()
    for text_node in page.marked_text.read_also_labels:
        if read_also_label(str(text_node)) is None:
            continue
        parent = text_node.getparent()
        block = _enclosing(parent, _READ_ALSO_BLOCKS)
        if block is None or block in seen_blocks:
            continue
        anchors = block.xpath(".//a[@href]")
        if not anchors or len(anchors) > _READ_ALSO_MAX_LINKS:
            continue
        if not _next_to_paragraph(block, paragraph_keys):
            continue
        seen_blocks.add(block)
        for anchor in anchors:
            holder = block if len(anchors) == 1 else anchor
            link = _read_also_link(anchor, holder, page.url, zone)
            if link is not None:
                found.append(link)
    return found


def _enclosing(element: HtmlElement | None, tags: frozenset[str]) -> HtmlElement | None:
    while element is not None and isinstance(element.tag, str) and element.tag not in tags:
        if element.tag in ("body", "html"):
            return None
        element = element.getparent()
    return element


def _next_to_paragraph(block: HtmlElement, paragraph_keys: set[str]) -> bool:
    """Whether an element beside the block (or beside its parent) is body text."""
    for scope in (block, block.getparent()):
        if scope is None:
            return False
        for sibling in (scope.getprevious(), scope.getnext()):
            while sibling is not None and not element_text(sibling):
                sibling = sibling.getprevious() if sibling is scope.getprevious() else None
            if sibling is not None and text_key(element_text(sibling)) in paragraph_keys:
                return True
    return False


def _read_also_link(
    anchor: HtmlElement, holder: HtmlElement, base: str, zone: tzinfo | None
) -> Link | None:
    url = urls.absolute_url(anchor.get("href", ""), base)
    title = read_also_title(element_text(anchor))
    if url is None or not title:
        return None
    times = holder.xpath(".//time/@datetime")
    shown_at = page_datetime(times[0], zone or UTC) if times else None
    if shown_at is None:
        shown_at = shown_date(element_text(holder), zone)
    return Link(kind="read_also", url=urls.canonical_url(url), title=title, shown_at=shown_at)


def _link_order(root: HtmlElement, base: str) -> dict[str, int]:
    """Each linked URL's first position among the page's links, for ordering."""
    order: dict[str, int] = {}
    for index, href in enumerate(root.xpath("//body//a/@href")):
        url = urls.absolute_url(href, base)
        if url is not None:
            order.setdefault(urls.canonical_url(url), index)
    return order


def _merged_links(body: list[Link], inserts: list[Link], order: dict[str, int]) -> list[Link]:
    """Body links and read-also inserts in order of appearance, each URL+kind once."""
    merged: dict[tuple[str, str], Link] = {}
    for link in [*body, *inserts]:
        merged.setdefault((link.kind, link.url), link)
    fallback = len(order)
    ordered = sorted(merged.values(), key=lambda link: order.get(link.url, fallback))
    for position, link in enumerate(ordered):
        link.position = position
    return ordered
