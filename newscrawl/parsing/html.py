"""Small lxml helpers shared by parsers: parsing once, class-prefix lookup, text, meta tags.

Kept generic on purpose (no site knowledge here) so that any site parser, and the
generic parser, can reuse them.
"""

from __future__ import annotations

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from newscrawl.text import folded_text

# CSS-module names end in a per-build hash (`single-news-card_body__w0_Jb`), so
# parsers match a class token's prefix (`single-news-card_body__`) only. This finds
# elements whose class attribute contains the prefix, a cheap substring test done
# in C, which has_class_prefix then narrows to "a class token starts with it".
# (A pure-XPath token test with normalize-space/concat costs about 3x more.)
_CLASS_CONTAINS = lxml.etree.XPath(".//*[contains(@class, $prefix)]")
_META_CONTENT = lxml.etree.XPath("//meta[@property=$key or @name=$key]/@content")


def word_set(text: str) -> frozenset[str]:
    """The words of a space-separated string, e.g. a list of tag names, as a set."""
    return frozenset(text.split())


# Comments and processing instructions dropped while parsing, as trafilatura's own
# parser does: trafilatura loses the text after a link followed by `<!-- -->` (React).
_UNCOMMENTED_PARSER = lxml.html.HTMLParser(remove_comments=True, remove_pis=True)
_UNCOMMENTED_UTF8_PARSER = lxml.html.HTMLParser(
    encoding="utf-8", remove_comments=True, remove_pis=True
)


def parsed_html(html: str, *, comments: bool = True) -> HtmlElement:
    """The document's root `<html>` element; an empty document for empty or broken input.

    Never raises: thin or garbage pages must still give an (empty) article.
    `comments=False` leaves comments and processing instructions out of the tree.
    """
    if not html or not html.strip():
        return lxml.html.document_fromstring("<html></html>")
    try:
        if comments:
            return lxml.html.document_fromstring(html)
        return lxml.html.document_fromstring(html, parser=_UNCOMMENTED_PARSER)
    except ValueError:
        # lxml refuses str input that carries an XML encoding declaration; the
        # text is already decoded, so hand it over as UTF-8 bytes instead.
        parser = lxml.html.HTMLParser(encoding="utf-8") if comments else _UNCOMMENTED_UTF8_PARSER
        try:
            return lxml.html.document_fromstring(html.encode("utf-8"), parser=parser)
        except lxml.etree.ParserError:
            return lxml.html.document_fromstring("<html></html>")
    except lxml.etree.ParserError:
        return lxml.html.document_fromstring("<html></html>")


def html_elements(found: object) -> list[HtmlElement]:
    """The elements in the result of a compiled XPath or CSS selector; [] if it holds none.

    lxml types such a result as any XPath value (a number, a string, a list of nodes
    or of strings); an expression that selects elements gives a list of them.
    """
    if not isinstance(found, list):
        return []
    return [node for node in found if isinstance(node, HtmlElement)]


def has_class_prefix(element: HtmlElement, prefix: str) -> bool:
    """Whether one of the element's class tokens starts with the prefix."""
    classes = element.get("class")
    if not classes:
        return False
    return any(token.startswith(prefix) for token in classes.split())


def elements_by_class_prefix(root: HtmlElement, prefix: str) -> list[HtmlElement]:
    """Descendants of root, in document order, with a class token starting with prefix."""
    found = html_elements(_CLASS_CONTAINS(root, prefix=prefix))
    return [e for e in found if has_class_prefix(e, prefix)]


def first_by_class_prefix(root: HtmlElement, prefix: str) -> HtmlElement | None:
    """The first descendant with a class token starting with prefix, or None."""
    found = elements_by_class_prefix(root, prefix)
    return found[0] if found else None


def element_text(element: HtmlElement | None) -> str:
    """The element's visible text, whitespace folded; "" for None.

    `text_content()` is XPath string(), which skips comments, so React's
    `<!-- -->15601<!-- -->` reads as "15601". Script and style text is dropped
    because it is never visible.
    """
    if element is None:
        return ""
    parts: list[str] = []
    _visible_text(element, parts)
    return folded_text("".join(parts))


def _visible_text(element: HtmlElement, parts: list[str]) -> None:
    if isinstance(element.tag, str) and element.tag.lower() not in ("script", "style"):
        if element.text:
            parts.append(element.text)
        for child in element:
            _visible_text(child, parts)
            if child.tail:
                parts.append(child.tail)


def meta_content(root: HtmlElement, key: str) -> str | None:
    """The content of `<meta property=key>` or `<meta name=key>`, folded; None if absent."""
    found = _META_CONTENT(root, key=key)
    # An attribute value is a str; lxml types the result as any XPath value.
    for value in found if isinstance(found, list) else []:
        text = folded_text(value) if isinstance(value, str) else ""
        if text:
            return text
    return None
