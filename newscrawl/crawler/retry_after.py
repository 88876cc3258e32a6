"""Honour `Retry-After` on 429 and 503 answers: wait before Scrapy retries.

Scrapy's RetryMiddleware retries a 429 or 503 at once, so a site that asks for a
pause gets the same request again within a fraction of a second. This
middleware sits just before it on the way back from the downloader (at 560, as
process_response runs from the highest number down): when a 429 or 503 carries a
`Retry-After` and RetryMiddleware is about to retry it, it waits the time asked
for, cut to NEWSCRAWL_RETRY_AFTER_MAX, then hands the response on. The wait is a
timer on the event loop, not a sleep: other downloads go on meanwhile. The retry
itself, its count and its stats stay RetryMiddleware's.

Nothing is waited for when no retry follows (retries used up, `dont_retry`), as
the request fails either way. A crawl that is closing waits for the requests it
has in flight, so a shutdown can take up to NEWSCRAWL_RETRY_AFTER_MAX longer.
"""

from __future__ import annotations

import logging
import time
from email.utils import parsedate_to_datetime
from typing import TYPE_CHECKING

from scrapy.exceptions import NotConfigured
from scrapy.http import Request, Response
from scrapy.utils.asyncio import sleep

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["RetryAfterMiddleware", "retry_after_seconds"]

logger = logging.getLogger(__name__)

# The answers that ask a client to come back later (RFC 9110, 10.2.3).
RETRY_AFTER_STATUSES = frozenset({429, 503})
WAITS_STAT = "newscrawl/retry_after/waits"
SECONDS_STAT = "newscrawl/retry_after/seconds"
CAPPED_STAT = "newscrawl/retry_after/capped"


def retry_after_seconds(value: bytes | str | None, now: float) -> float | None:
    """The wait a `Retry-After` value asks for at `now` (a Unix time), in seconds.

    The value is a number of seconds or an HTTP date; a date in the past is a
    wait of 0. Returns None for a missing or unreadable value.
    """
    if value is None:
        return None
    text = value.decode("latin-1") if isinstance(value, bytes) else value
    text = text.strip()
    if text.isdigit():
        return float(text)
    try:
        moment = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if moment.tzinfo is None:  # an HTTP date is GMT, even written without a zone
        return None
    return max(moment.timestamp() - now, 0.0)


class RetryAfterMiddleware:
    """Waits out a 429 or 503's `Retry-After` (up to a cap) before RetryMiddleware retries."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        self.cap = settings.getfloat("NEWSCRAWL_RETRY_AFTER_MAX")
        if not settings.getbool("RETRY_ENABLED") or self.cap <= 0:
            raise NotConfigured
        self.max_retry_times = settings.getint("RETRY_TIMES")
        retried = {int(code) for code in settings.getlist("RETRY_HTTP_CODES")}
        self.statuses = RETRY_AFTER_STATUSES & retried
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> RetryAfterMiddleware:
        return cls(crawler)

    async def process_response(self, request: Request, response: Response) -> Response:
        """`response`, once the wait its `Retry-After` asks for (if any applies) is over."""
        if response.status not in self.statuses or not self._will_retry(request):
            return response
        asked = retry_after_seconds(response.headers.get("Retry-After"), time.time())
        if not asked:
            return response
        wait = min(asked, self.cap)
        stats = self.crawler.stats
        assert stats is not None
        stats.inc_value(WAITS_STAT)
        stats.inc_value(SECONDS_STAT, round(wait))
        if asked > self.cap:
            stats.inc_value(CAPPED_STAT)
        logger.info(
            "HTTP %d with Retry-After %gs for %s: retrying in %gs%s",
            response.status,
            asked,
            request.url,
            wait,
            " (NEWSCRAWL_RETRY_AFTER_MAX)" if asked > self.cap else "",
        )
        await sleep(wait)
        return response

    def _will_retry(self, request: Request) -> bool:
        """Whether RetryMiddleware will retry `request` (the same test it makes)."""
        if request.meta.get("dont_retry", False):
            return False
        limit = request.meta.get("max_retry_times", self.max_retry_times)
        return int(request.meta.get("retry_times", 0)) < int(limit)
