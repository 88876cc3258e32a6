"""`scrapy parse --spider=NAME URL`: the article the project's parser makes of the page.

Scrapy's own command shows what a callback yields. Our spiders' callbacks yield
`Page` items, unparsed, and the pipelines parse them, so it showed raw bytes, and
since our spiders have no `parse` method it failed unless given
``--callback parse_article``. This one:

- calls `parse_article` when no callback is given;
- shows each `Page` as the `Article` the parse pipeline makes of it (its fields as
  `newscrawl extract` prints them), or why the page would be dropped;
- writes nothing: no WARC file and no archive unless given ``--pipelines``, which
  runs the project's pipelines, store included, as in Scrapy, with the WARC records
  the stored articles point to (`inspect_only`); and never a `crawl_runs` row;
- hands Scrapy coroutine callbacks: Scrapy's own command wraps each callback in a
  function returning a Deferred, which Scrapy deprecates and warns about.
"""

from __future__ import annotations

import argparse
import functools
from collections.abc import Callable, Coroutine
from typing import Any

from scrapy import Request, Spider
from scrapy.commands.parse import Command as ScrapyParseCommand
from scrapy.http import Response
from scrapy.utils.defer import deferred_from_coro, maybe_deferred_to_future
from twisted.internet.defer import Deferred

from newscrawl.crawler.commands import inspect_only
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
        if not opts.pipelines:
            assert self.settings is not None  # Scrapy sets them before it processes options
            inspect_only(self.settings)

    def add_items(self, lvl: int, new_items: list[Any]) -> None:
        super().add_items(lvl, [shown_item(item) for item in new_items])

    def prepare_request(
        self, spider: Spider, request: Request, opts: argparse.Namespace
    ) -> Request:
        request = super().prepare_request(spider, request, opts)
        request.callback = awaiting(request.callback)
        return request

    def scraped_data(self, args: Any) -> Any:
        """What Scrapy's command returns: a list, or with --pipelines a Deferred of it
        that fires once the pipelines have processed every item."""
        items: list[Any] = args[0]
        opts: argparse.Namespace = args[2]
        # Scrapy's command starts the pipelines on each item and does not wait, so the
        # spider closed (and the store let go of the archive) before the first was
        # stored. This command runs them itself and waits.
        pipelines, opts.pipelines = opts.pipelines, False
        try:
            scraped: list[Any] = super().scraped_data(args)
        finally:
            opts.pipelines = pipelines
        # The requests to follow (with --depth) get the command's own callback back.
        for output in scraped:
            if isinstance(output, Request):
                output.callback = awaiting(output.callback)
        if not pipelines:
            return scraped
        assert self.pcrawler.engine is not None
        processing = self._process_items(self.pcrawler.engine.scraper.itemproc, items)
        return deferred_from_coro(processing).addCallback(lambda _: scraped)

    @staticmethod
    async def _process_items(itemproc: Any, items: list[Any]) -> None:
        for item in items:
            await itemproc.process_item_async(item)


def awaiting(
    callback: Callable[..., Any] | None,
) -> Callable[..., Coroutine[Any, Any, Any]] | None:
    """A coroutine function returning what `callback`'s Deferred (or value) gives."""
    if callback is None:
        return None
    returns_deferred = callback

    async def awaited(response: Response, **cb_kwargs: Any) -> Any:
        result = returns_deferred(response, **cb_kwargs)
        if isinstance(result, Deferred):
            return await maybe_deferred_to_future(result)
        return result

    # Scrapy's command names its wrapper after the spider's callback; so does this.
    return functools.update_wrapper(awaited, returns_deferred)


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
