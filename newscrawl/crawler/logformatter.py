"""Log lines for items that name the page instead of dumping it.

Scrapy's default formatter prints the whole item on every drop and scrape; our
items carry page bytes and article bodies, which would bury the one line an
operator needs in a cron log.
"""

from __future__ import annotations

from typing import Any

from scrapy import Spider
from scrapy.http import Response
from scrapy.logformatter import LogFormatter, LogFormatterResult
from twisted.python.failure import Failure

from newscrawl.text import log_excerpt


def _item_url(item: Any) -> str:
    return str(getattr(item, "url", None) or "(item without url)")


class ConciseLogFormatter(LogFormatter):
    """Drop and scrape messages with the item's URL, not its contents."""

    def dropped(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().dropped(item, exception, response, spider)
        # The pipelines' DropItem messages already name the URL and the reason.
        result["msg"] = "Dropped: %(exception)s"
        result["args"] = {"exception": log_excerpt(exception)}
        return result

    def item_error(
        self,
        item: Any,
        exception: BaseException,
        response: Response | Failure | None,
        spider: Spider,
    ) -> LogFormatterResult:
        result = super().item_error(item, exception, response, spider)
        # Scrapy's message is the whole item: for a Page, every byte of the page
        # on one line. The traceback Scrapy adds still tells where it failed.
        result["msg"] = "Error processing %(url)s: %(error)s"
        result["args"] = {
            "url": _item_url(item),
            "error": log_excerpt(f"{type(exception).__name__}: {exception}"),
        }
        return result

    def scraped(
        self, item: Any, response: Response | Failure | None, spider: Spider
    ) -> LogFormatterResult:
        result = super().scraped(item, response, spider)
        result["msg"] = "Scraped %(url)s"
        result["args"] = {"url": _item_url(item)}
        return result
