"""Closing the spider from inside the crawl: a pipeline, a middleware or an extension."""

from __future__ import annotations

import logging

from scrapy.crawler import Crawler
from scrapy.utils.defer import deferred_from_coro
from twisted.python.failure import Failure

__all__ = ["close_spider_soon"]

logger = logging.getLogger(__name__)


def close_spider_soon(crawler: Crawler, reason: str) -> None:
    """Ask the engine to close the spider with `reason`, without waiting for it.

    Scheduled, not awaited: closing waits for the items and responses in flight,
    the caller's among them, so a caller that awaited it would never return.
    """
    assert crawler.engine is not None, "the crawl has no engine yet"
    closing = deferred_from_coro(crawler.engine.close_spider_async(reason=reason))

    def log_failure(failure: Failure) -> None:
        logger.error("could not close the spider (%s): %s", reason, failure.value)

    closing.addErrback(log_failure)
