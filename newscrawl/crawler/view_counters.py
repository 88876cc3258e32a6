"""View counts that a site serves apart from the article page: counter endpoints.

Some sites leave the page's view counter empty and fill it with JavaScript from a
URL of its own: Ukrainska Pravda's `/article/<id>/count-view.html` answers the
count as plain text, UNIAN's `/ajax/views/<id>` as JSON. A spider declares such an
endpoint with one method (see `CounterEndpoint`):

    def counter_url(self, article_url: str, body: bytes) -> str | None:
        return f"https://example.ua/article/{article_id}/views"

and, when the answer is not a plain number,
`counted_views(self, counter_url: str, body: bytes) -> int | None`. A `SiteSpider`
has both from its `Site`'s counter template (`counted_count` reads a plain or
JSON answer). The `news` spider borrows both from the spider of the page's outlet,
so a site's counter works whichever spider fetched the page.

`CounterViewsMiddleware`, a spider middleware that the project settings turn on,
then fetches the counter of every `Page` the spider yields, before the page
reaches the item pipelines, and puts the count in `Page.counted_views`, which wins
over a count in the page. The counter request goes through the engine's
downloader, so robots.txt, retries, throttling and every downloader middleware
(WARC capture included) see it as they see any other request. A counter that
fails (an HTTP error, a timeout, an answer that is no number) is logged and
counted, and not retried; the page goes on and its article is stored without views.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from typing import Any, Protocol, runtime_checkable

from scrapy import Request, Spider
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future

from newscrawl.items import Page
from newscrawl.parsing.views import views_from_text

__all__ = ["CounterEndpoint", "CounterViewsMiddleware", "counted_count", "plain_count"]

logger = logging.getLogger(__name__)

COUNTER_STAT = "newscrawl/counter"
# A counter answers at once or not at all; a page must not wait the full download
# timeout (and its retries) for its view count.
COUNTER_TIMEOUT = 10.0
# A counter's answer is a number, maybe with a word: anything longer is an error page.
_MAX_PLAIN_COUNT_BYTES = 64
# The keys of a JSON counter's answer that hold the count.
_COUNT_KEY = re.compile(r"view|count|hits|total", re.IGNORECASE)


@runtime_checkable
class CounterEndpoint(Protocol):
    """A spider whose site serves view counts apart from the article page."""

    def counter_url(self, article_url: str, body: bytes) -> str | None:
        """The site URL of the article's view counter, or None when it has none.

        `article_url` is the page's site URL (`Page.url`) and `body` its raw bytes:
        derive the counter from the URL's article id, or from a short regular
        expression on the page's own counter script. Never parse the article here.
        """
        ...


def plain_count(body: bytes) -> int | None:
    """The count a plain-text counter answers ("15601", "15 601", "1,2 тис."), else None."""
    text = body.strip()
    if not text or len(text) > _MAX_PLAIN_COUNT_BYTES:
        return None
    return views_from_text(text.decode("utf-8", "replace"), views_context=True)


def counted_count(body: bytes) -> int | None:
    """The count a counter answers, as plain text or as JSON, else None.

    JSON: a number, or an object whose first key naming views, counts or hits holds
    one (`{"views": 15601}`, `{"data": {"count": "15601"}}`), one level deep at most.
    """
    stripped = body.strip()
    if not stripped.startswith((b"{", b"[")):
        return plain_count(body)
    try:
        answer = json.loads(stripped)
    except ValueError:
        return None
    return _json_count(answer, depth=0)


def _json_count(value: Any, depth: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int) and value >= 0:
        return value
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    if isinstance(value, dict) and depth < 2:
        for key, inner in value.items():
            if _COUNT_KEY.search(str(key)) and (count := _json_count(inner, depth + 1)) is not None:
                return count
        for inner in value.values():
            if isinstance(inner, dict) and (count := _json_count(inner, depth + 1)) is not None:
                return count
    return None


class CounterViewsMiddleware:
    """Spider middleware: fills `Page.counted_views` from the spider's counter endpoint."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.timeout = min(COUNTER_TIMEOUT, crawler.settings.getfloat("DOWNLOAD_TIMEOUT"))
        self._checked_spider: Spider | None = None
        self._endpoint: CounterEndpoint | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> CounterViewsMiddleware:
        return cls(crawler)

    async def process_spider_output(
        self, response: Response, result: AsyncIterator[Any], spider: Spider | None = None
    ) -> AsyncIterator[Any]:
        async for item in result:
            if isinstance(item, Page):
                await self._add_counted_views(item)
            yield item

    async def _add_counted_views(self, page: Page) -> None:
        spider = self._counter_endpoint(self.crawler.spider)
        if spider is None:
            return
        site_url = spider.counter_url(page.url, page.body)
        if not site_url:
            return
        # On a mirror (base_url) the counter is fetched from the mirror too.
        fetch_url_of = getattr(spider, "fetch_url_of", None)
        fetch_url = fetch_url_of(site_url) if fetch_url_of is not None else site_url
        request = Request(
            fetch_url,
            dont_filter=True,
            meta={
                "download_timeout": self.timeout,
                # One try: a lost count is no error worth retries (nor an ERROR line).
                "dont_retry": True,
                "newscrawl_counter_for": page.url,
            },
        )
        try:
            response = await _downloaded(self.crawler, request)
        except IgnoreRequest as exc:
            self._failed(page, site_url, "ignored", f"ignored: {exc or 'robots.txt'}")
            return
        except Exception as exc:
            # Timeouts, refused and dropped connections: the count is lost, not the page.
            kind = "timeout" if "timeout" in type(exc).__name__.lower() else "error"
            self._failed(page, site_url, kind, f"{type(exc).__name__}: {exc}".rstrip(": "))
            return
        if response.status != 200:
            self._failed(page, site_url, f"http_{response.status}", f"HTTP {response.status}")
            return
        counted_views = getattr(spider, "counted_views", None)
        views = (
            counted_views(site_url, response.body)
            if counted_views is not None
            else plain_count(response.body)
        )
        if views is None:
            self._failed(page, site_url, "unreadable", f"not a count: {response.body[:40]!r}")
            return
        page.counted_views = views
        self.crawler.stats.inc_value(f"{COUNTER_STAT}/ok")

    def _counter_endpoint(self, spider: Spider | None) -> CounterEndpoint | None:
        """The spider, if it declares a counter endpoint, else None; asked once per spider.

        A runtime-checkable Protocol's isinstance inspects the class each time.
        """
        if spider is not self._checked_spider:
            self._checked_spider = spider
            self._endpoint = spider if isinstance(spider, CounterEndpoint) else None
        return self._endpoint

    def _failed(self, page: Page, counter_url: str, kind: str, reason: str) -> None:
        self.crawler.stats.inc_value(f"{COUNTER_STAT}/failed")
        self.crawler.stats.inc_value(f"{COUNTER_STAT}/failed/{kind}")
        logger.warning(
            "counter failed: %s (%s); %s is stored without views", counter_url, reason, page.url
        )


async def _downloaded(crawler: Crawler, request: Request) -> Response:
    """The response to a request sent through the downloader (no scheduler, no callbacks)."""
    engine = crawler.engine
    assert engine is not None, "the crawl is not running"
    download_async = getattr(engine, "download_async", None)
    if download_async is not None:  # Scrapy 2.14+
        response: Response = await download_async(request)
        return response
    return await maybe_deferred_to_future(engine.download(request))
