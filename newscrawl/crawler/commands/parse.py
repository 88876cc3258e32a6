"""`scrapy parse --spider=NAME URL`: the article the project's parser makes of the page.

Scrapy's own command shows what a callback yields. Our spiders' callbacks yield
`Page` items, unparsed, and the pipelines parse them, so it showed raw bytes, and
since our spiders have no `parse` method it failed unless given
``--callback parse_article``. This one:

- calls `parse_article` when no callback is given;
- shows each `Page` as the `Article` the parse pipeline makes of it (its fields as
  `newscrawl extract` prints them), or why the page would be dropped;
- writes nothing to the archive (``--pipelines`` runs the project's pipelines,
  store included, as in Scrapy), and leaves no `crawl_runs` row.
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands.parse import Command as ScrapyParseCommand

from newscrawl.errors import PageError
from newscrawl.items import Page
from newscrawl.parsing import article_from_page

__all__ = ["Command", "shown_item"]

# The callback of an article page in every newscrawl spider.
ARTICLE_CALLBACK = "parse_article"


class Command(ScrapyParseCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        if not opts.callback and not opts.rules:
            opts.callback = ARTICLE_CALLBACK

    def add_items(self, lvl: int, new_items: list[Any]) -> None:
        super().add_items(lvl, [shown_item(item) for item in new_items])


def shown_item(item: Any) -> Any:
    """What `scrapy parse` prints for an item: a `Page`'s article as JSON-ready data, or
    ``{"dropped": URL, "reason": ...}`` when it cannot be parsed; any other item as is."""
    if not isinstance(item, Page):
        return item
    try:
        article = article_from_page(item)
    except PageError as exc:
        return {"dropped": item.url, "reason": str(exc)}
    if item.counted_views is not None:
        article.views = item.counted_views
    return article.to_dict()
