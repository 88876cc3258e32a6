"""Listing pages: their article cards, by class or by structure, and the view count a card shows.

A site's cards are found by the class names of its card component. A redesign renames
those, so the cards are also found by structure: the links to articles (the site's
article URL pattern decides) in the listing's main content, that is outside the
page's menus, header, footer and sidebars, in the element that holds most of them.
"""

from __future__ import annotations

from collections.abc import Callable

from lxml.html import HtmlElement
from parsel import Selector

from newscrawl.parsing.views import views_from_text

__all__ = ["card_views", "class_prefix_xpath", "structural_cards"]

# A card's element whose whole text is longer than this is not a view counter.
_MAX_COUNTER_CHARS = 60
# Links of the page's furniture, not of its content: menus and sidebars anywhere, the
# page's own header and footer (an <article>'s or a <section>'s are part of it), and
# their ARIA roles.
_CONTENT_LINKS = (
    ".//a[@href][not(ancestor::nav or ancestor::aside"
    " or ancestor::header[not(ancestor::article or ancestor::section)]"
    " or ancestor::footer[not(ancestor::article or ancestor::section)]"
    " or ancestor::*[@role='navigation' or @role='banner' or @role='contentinfo'"
    " or @role='complementary'])]"
)


def class_prefix_xpath(prefix: str) -> str:
    """XPath for elements with a class starting with `prefix`, e.g. "news-card_root__".

    CSS-module class names end in a hash that changes with every deployment,
    so selectors must match the stable prefix only, in any position of the
    class list.
    """
    return f"//*[contains(concat(' ', normalize-space(@class)), ' {prefix}')]"


def card_views(card: Selector) -> int | None:
    """The view count a listing card shows, or None.

    The count is usually in an info line ("Economy • July 1 • 1520 views"),
    sometimes in a small element of its own; other text of the card, such as
    the headline, is never read as one.
    """
    for element in card.xpath("descendant-or-self::*"):
        views = views_from_text("".join(element.xpath("text()").getall()))
        if views is not None:
            return views
    for element in reversed(card.xpath("descendant-or-self::*")):
        text = "".join(element.xpath(".//text()").getall())
        if len(text.strip()) <= _MAX_COUNTER_CHARS:
            views = views_from_text(text)
            if views is not None:
                return views
    return None


def structural_cards(
    content: Selector, article_url: Callable[[str], str | None]
) -> list[tuple[str, Selector]]:
    """The listing's article cards found by structure: (article URL, card), in page order.

    `content` is the listing's main content (or the whole body); `article_url` maps a
    link's href to the article's canonical URL, or None for a link to anything else.
    The list is the deepest element holding more than half of the articles linked
    outside the page's furniture: a sidebar of other articles (most read, latest)
    holds fewer, and a list repeated on every page must not keep the incremental stop
    from seeing that a page shows only archived articles. Each article's card is the
    largest element around its link that links no other article.
    """
    links: list[tuple[str, HtmlElement]] = []
    for anchor in content.xpath(_CONTENT_LINKS):
        url = article_url(anchor.attrib.get("href", ""))
        if url is not None:
            links.append((url, anchor.root))
    if not links:
        return []
    # Every element around an article link, with the articles it links.
    linked: dict[HtmlElement, set[str]] = {}
    for url, element in links:
        node: HtmlElement | None = element
        while node is not None:
            linked.setdefault(node, set()).add(url)
            node = node.getparent()
    articles = len({url for url, _ in links})
    # The elements holding more than half of them nest in one another (two that did
    # not would share an article): the list is the deepest.
    listing = max(
        (node for node, held in linked.items() if 2 * len(held) > articles),
        key=lambda node: sum(1 for _ in node.iterancestors()),
    )
    cards: dict[str, Selector] = {}
    for url, element in links:
        if url in cards or listing not in (element, *element.iterancestors()):
            continue
        card = element
        if card is not listing:
            parent = card.getparent()
            while parent is not None and parent is not listing and linked[parent] == {url}:
                card, parent = parent, parent.getparent()
        cards[url] = Selector(root=card, type="html")
    return list(cards.items())
