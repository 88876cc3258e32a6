"""The view count: JSON-LD interactionStatistic, `data-*views*` attributes, visible counters."""

from __future__ import annotations

import re
from typing import Any

from newscrawl.parsing.generic.page import Page
from newscrawl.parsing.html import element_text
from newscrawl.parsing.jsonld import jsonld_types
from newscrawl.parsing.views import views_from_text

# Attribute names of view counters (data-views="123", data-view-count="1,2K").
_VIEWS_ATTRIBUTE = re.compile(
    r"^data-(?:[\w-]*[-_])?(?:views?|view-?count|views-?count|page-?views|hits)$"
)
# Class tokens that mark an element as a view counter, so a bare number counts.
_VIEWS_CLASS = re.compile(
    r"(?:^|[-_])(?:views?|view-?count|views-?count|views?-?counter|page-?views)(?:$|[-_])",
    re.IGNORECASE,
)
_VIEW_ACTIONS = frozenset({"WatchAction", "ViewAction", "ReadAction"})
# Visible counters are short: "15601 переглядів", "Views: 1,2K".
_VIEWS_MAX_CHARS = 60


def views_of(page: Page) -> int | None:
    """The view count the page shows, or None."""
    views = _jsonld_views(page.ld.get("interactionStatistic"))
    if views is not None:
        return views
    # Filtered in XPath, in C: iterating every element in Python costs far more.
    for attribute in page.root.xpath(
        "//body//@*[starts-with(name(), 'data-') and (contains(name(), 'view')"
        " or contains(name(), 'hits'))]"
    ):
        if _VIEWS_ATTRIBUTE.match(attribute.attrname):
            views = views_from_text(str(attribute), views_context=True)
            if views is not None:
                return views
    for text_node in page.marked_text.views:
        element = text_node.getparent()
        # The number may sit in a sibling element: "<b>15601</b> <span>views</span>".
        for scope in (element, element.getparent() if element is not None else None):
            if scope is None or scope.tag in ("script", "style"):
                break
            text = element_text(scope)
            if len(text) > _VIEWS_MAX_CHARS:
                break
            views = views_from_text(text)
            if views is not None:
                return views
    for element in page.root.xpath(
        "//body//*[contains(@class, 'view') or contains(@class, 'View')]"
    ):
        if any(_VIEWS_CLASS.search(token) for token in element.get("class", "").split()):
            views = views_from_text(element_text(element), views_context=True)
            if views is not None:
                return views
    return None


def _jsonld_views(statistic: Any) -> int | None:
    for item in statistic if isinstance(statistic, list) else [statistic]:
        if not isinstance(item, dict):
            continue
        action = item.get("interactionType")
        names = {action} if isinstance(action, str) else set()
        if isinstance(action, dict):
            names = jsonld_types(action)
        # "http://schema.org/WatchAction" and "WatchAction" both occur.
        if {name.rsplit("/", 1)[-1] for name in names} & _VIEW_ACTIONS:
            count = item.get("userInteractionCount")
            if isinstance(count, int) and not isinstance(count, bool):
                return count
            if isinstance(count, str):
                views = views_from_text(count, views_context=True)
                if views is not None:
                    return views
    return None
