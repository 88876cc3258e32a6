"""Listing pages: the XPath of their article cards, and the view count a card shows."""

from __future__ import annotations

from parsel import Selector

from newscrawl.parsing.views import views_from_text

__all__ = ["card_views", "class_prefix_xpath"]

# A card's element whose whole text is longer than this is not a view counter.
_MAX_COUNTER_CHARS = 60


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
