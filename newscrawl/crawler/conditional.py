"""Conditional requests: feeds, sitemaps, listings and start pages fetched only when changed.

A spider marks its discovery requests with `conditional_meta` (never article
requests: a revisit must fetch the page to see its view count). For a marked
request, `ConditionalRequestsMiddleware` sends back the validators the archive
keeps for the page (table `conditional_validators`) as ``If-None-Match`` and
``If-Modified-Since``; a server that finds the page unchanged answers 304 with
no body, which the spider reads as "nothing new here".

From a marked request's 200 response the middleware takes the new validators
into ``response.meta[VALIDATORS_META]``. It does not store them: the spider
does, once its walk has finished (`spiders.base`), since validators stored from
a walk that lost articles would hide those articles from the next run.

The setting ``NEWSCRAWL_CONDITIONAL`` (``on`` by default) turns it off.
"""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings

from newscrawl.archive import Archive
from newscrawl.archive.queries import Validators
from newscrawl.errors import ArchiveError
from pipelines.shared_archive import acquire_archive, release_archive

__all__ = [
    "CONDITIONAL_META",
    "NOT_MODIFIED",
    "UNCHANGED_STAT",
    "VALIDATORS_META",
    "ConditionalRequestsMiddleware",
    "conditional_enabled",
    "conditional_meta",
]

logger = logging.getLogger(__name__)

# request.meta key marking a conditional request; its value is the page's site URL,
# under which its validators are kept (never a mirror's address).
CONDITIONAL_META = "newscrawl_conditional"
# response.meta key: the validators of a marked request's 200 response (None: it
# sent none), set by the middleware for the spider to keep.
VALIDATORS_META = "newscrawl_validators"
NOT_MODIFIED = 304
SENT_STAT = "newscrawl/conditional/sent"
UNCHANGED_STAT = "newscrawl/conditional/unchanged"

_OFF = {"off", "false", "0", "no"}
_ON = {"on", "true", "1", "yes"}


def conditional_enabled(settings: BaseSettings) -> bool:
    """Whether NEWSCRAWL_CONDITIONAL (``on``/``off``) leaves conditional requests on.

    Raises ValueError, naming the setting, for any other value.
    """
    value = str(settings.get("NEWSCRAWL_CONDITIONAL", "on")).strip().lower()
    if value in _OFF:
        return False
    if value in _ON:
        return True
    raise ValueError(f"NEWSCRAWL_CONDITIONAL must be on or off, not {value!r}")


def conditional_meta(site_url: str) -> dict[str, Any]:
    """The `Request.meta` of a conditional request for the page at `site_url`.

    It lets a 304 through to the callback: HttpErrorMiddleware drops every other
    non-2xx response.
    """
    return {CONDITIONAL_META: site_url, "handle_httpstatus_list": [NOT_MODIFIED]}


def response_validators(response: Response) -> Validators | None:
    """The ETag and Last-Modified of `response`, or None if it sent neither."""
    etag = _header(response, b"ETag")
    last_modified = _header(response, b"Last-Modified")
    if etag is None and last_modified is None:
        return None
    return Validators(etag=etag, last_modified=last_modified)


def _header(response: Response, name: bytes) -> str | None:
    value = response.headers.get(name)
    if not value:
        return None
    return value.decode("latin-1").strip() or None


class ConditionalRequestsMiddleware:
    """Downloader middleware: validators out on marked requests, and back in from 200s.

    The archive is the crawl's shared one (`pipelines.shared_archive`), taken at
    the first marked request: a command that sends none (``scrapy shell``) opens
    no archive for it.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self._archive: Archive | None = None
        self._unreadable = False

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if not conditional_enabled(crawler.settings):
            raise NotConfigured("conditional requests are off (NEWSCRAWL_CONDITIONAL=off)")
        middleware = cls(crawler)
        crawler.signals.connect(middleware.spider_closed, signal=signals.spider_closed)
        return middleware

    def process_request(self, request: Request) -> None:
        """Add If-None-Match / If-Modified-Since to a marked request with kept validators."""
        url = request.meta.get(CONDITIONAL_META)
        if not isinstance(url, str):
            return
        validators = self._stored(url)
        if validators is None:
            return
        if validators.etag:
            request.headers.setdefault(b"If-None-Match", validators.etag)
        if validators.last_modified:
            request.headers.setdefault(b"If-Modified-Since", validators.last_modified)
        self.crawler.stats.inc_value(SENT_STAT)

    def process_response(self, request: Request, response: Response) -> Response:
        """Note a marked request's new validators (200) or count it unchanged (304)."""
        if not isinstance(request.meta.get(CONDITIONAL_META), str):
            return response
        if response.status == 200:
            request.meta[VALIDATORS_META] = response_validators(response)
        elif response.status == NOT_MODIFIED:
            self.crawler.stats.inc_value(UNCHANGED_STAT)
        return response

    def spider_closed(self) -> None:
        if self._archive is not None:
            self._archive = None
            release_archive(self.crawler)

    def _stored(self, url: str) -> Validators | None:
        if self._unreadable:
            return None
        try:
            if self._archive is None:
                self._archive = acquire_archive(self.crawler)
            return self._archive.validators_of(url)
        except ArchiveError as exc:
            # Unconditional requests cost bytes, not articles; the store reports
            # an archive it cannot use.
            self._unreadable = True
            logger.warning("conditional requests are off for this crawl: %s", exc)
            return None
