"""WARC capture during a crawl: every HTTP response it receives, and every item it yields.

Two middlewares share one `newscrawl.warc.writer.WarcFiles` per crawl:

- `WarcCaptureMiddleware` (downloader) writes a `response` record and its
  `request` record for every HTTP(S) response, including robots.txt, feeds,
  listings, redirects, error pages and the counter endpoints that spiders fetch
  with ``crawler.engine.download``. It sits at 950, between the HTTP cache
  (900) and the download handler, so it sees the body exactly as the HTTP
  client delivered it, content coding and all.
- `WarcItemMiddleware` (spider) sees what the spider makes of each response.
  It fills `Page.warc_file` and `Page.warc_offset` from the response's record,
  and writes each item the spider yields (`Page` without its body, which is in
  the response record, and `CardViews`) as a `metadata` record that refers to
  the response. `newscrawl reparse` replays those items through the pipelines,
  so discovery hints (feed dates, counter views) survive a re-parse.

The files go to `warc_dir` (the setting `NEWSCRAWL_WARC_DIR`), prefixed with the
spider's name; `NEWSCRAWL_WARC_MAX_BYTES` rotates them, and `NEWSCRAWL_WARC=off`
turns capture off. A write that fails (full disk, read-only folder) closes the
spider with reason `warc_error`; responses that cannot be captured are not
handed to the spider, so every archived article points to a record that exists.

The folder's `FolderIndex` lets the writer record an unchanged re-fetch as a
`revisit` record (`NEWSCRAWL_WARC_REVISITS=off` writes full copies). With
`NEWSCRAWL_WARC_KEEP_DAYS` set, the crawl prunes the folder when it closes
(`newscrawl.warc.retention`): old files that neither the archive nor a kept
file needs. A run that could not read its archive, or that was refused by the
archive's lock, prunes nothing.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from sqlite_utils import Database

from newscrawl.archive.queries import warc_files_in_use
from newscrawl.crawler.closing import close_spider_soon
from newscrawl.crawler.lock_and_record import LOCKED_REASON
from newscrawl.errors import WarcError
from newscrawl.items import Page
from newscrawl.warc.folder_index import FolderIndex
from newscrawl.warc.records import ITEM_TYPES, WarcPosition
from newscrawl.warc.retention import prune_warc_files
from newscrawl.warc.writer import WarcFiles

__all__ = [
    "CLOSE_REASON",
    "WarcCaptureMiddleware",
    "WarcItemMiddleware",
    "warc_dir",
    "warc_enabled",
    "warc_keep_days",
    "warc_revisits_enabled",
]

logger = logging.getLogger(__name__)

CLOSE_REASON = "warc_error"
# request.meta key holding the WarcPosition of the request's response record.
META_KEY = "newscrawl_warc"
_OFF = {"off", "false", "0", "no", "none", ""}
_ON = {"on", "true", "1", "yes"}


def warc_enabled(settings: BaseSettings) -> bool:
    """Whether the setting NEWSCRAWL_WARC leaves capture on (``off`` disables it)."""
    return str(settings.get("NEWSCRAWL_WARC", "on")).strip().lower() not in _OFF


def warc_revisits_enabled(settings: BaseSettings) -> bool:
    """Whether NEWSCRAWL_WARC_REVISITS (``on``/``off``) lets unchanged re-fetches be revisits."""
    value = str(settings.get("NEWSCRAWL_WARC_REVISITS", "on")).strip().lower()
    if value in _OFF - {""}:
        return False
    if value in _ON:
        return True
    raise ValueError(f"NEWSCRAWL_WARC_REVISITS must be on or off, not {value!r}")


def warc_keep_days(settings: BaseSettings) -> int:
    """NEWSCRAWL_WARC_KEEP_DAYS: prune WARC files this many days old; 0 (the default) never."""
    value = str(settings.get("NEWSCRAWL_WARC_KEEP_DAYS", "0")).strip() or "0"
    if not value.isdigit():
        raise ValueError(f"NEWSCRAWL_WARC_KEEP_DAYS must be a number of days, not {value!r}")
    return int(value)


def warc_dir(settings: BaseSettings) -> Path:
    """The WARC folder: NEWSCRAWL_WARC_DIR, else "warc" beside the archive (NEWSCRAWL_DB)."""
    configured = settings.get("NEWSCRAWL_WARC_DIR")
    if configured:
        return Path(configured)
    return Path(settings.get("NEWSCRAWL_DB", "data/news.db")).parent / "warc"


class _CrawlWarc:
    """The crawl's writer and whether it has failed, shared by both middlewares."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        name = crawler.spidercls.name or "crawl"
        self.crawler = crawler
        self.keep_days = warc_keep_days(settings)
        self.index = FolderIndex(warc_dir(settings))
        self.files = WarcFiles(
            warc_dir(settings),
            prefix=name,
            max_bytes=settings.getint("NEWSCRAWL_WARC_MAX_BYTES", 10**9),
            info={
                "isPartOf": name,
                "http-header-user-agent": str(settings.get("USER_AGENT", "")),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            },
            index=self.index,
            revisits=warc_revisits_enabled(settings),
            # A revisit refers only to what pruning keeps anyway (see WarcFiles).
            refer_within=timedelta(days=self.keep_days) if self.keep_days else None,
        )
        self.failure: WarcError | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_closed(self, reason: str) -> None:
        self.files.close()
        try:
            if self.keep_days and reason != LOCKED_REASON:
                self._prune()
        finally:
            self.index.close()

    def _prune(self) -> None:
        """Delete the folder's old WARC files that nothing needs, if the archive can be read."""
        db_path = Path(self.crawler.settings.get("NEWSCRAWL_DB", "data/news.db"))
        try:
            if not db_path.is_file():
                raise sqlite3.OperationalError(f"no archive at {db_path}")
            conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
            try:
                in_use = warc_files_in_use(Database(conn))
            finally:
                conn.close()
            pruned = prune_warc_files(
                self.files.directory,
                self.keep_days,
                in_use,
                index=self.index,
                spare={path.name for path in self.files.written},
            )
        except (sqlite3.Error, OSError) as exc:
            # Without the archive's pointers, any file might be the one an article needs.
            logger.warning("not pruning WARC files: %s", exc)
            return
        stats = self.crawler.stats
        stats.set_value("newscrawl/warc_pruned_files", len(pruned.names))
        stats.set_value("newscrawl/warc_pruned_bytes", pruned.bytes)
        if pruned.names:
            logger.info(
                "pruned %d WARC files (%d bytes) older than %d days that nothing needs",
                len(pruned.names),
                pruned.bytes,
                self.keep_days,
            )

    def fail(self, error: WarcError) -> None:
        """Log the error and close the spider with reason `warc_error`, once per crawl."""
        if self.failure is not None:
            return
        self.failure = error
        logger.error("WARC write failed, closing the spider: %s", error)
        self.crawler.stats.set_value("newscrawl/warc_error", str(error))
        close_spider_soon(self.crawler, CLOSE_REASON)


_writers: WeakKeyDictionary[Crawler, _CrawlWarc] = WeakKeyDictionary()


def _crawl_warc(crawler: Crawler) -> _CrawlWarc:
    if not warc_enabled(crawler.settings):
        raise NotConfigured("WARC capture is off (NEWSCRAWL_WARC=off)")
    shared = _writers.get(crawler)
    if shared is None:
        shared = _writers[crawler] = _CrawlWarc(crawler)
    return shared


class _WarcMiddleware:
    """What both middlewares start from: the crawl's one `_CrawlWarc`."""

    def __init__(self, crawl_warc: _CrawlWarc) -> None:
        self.warc = crawl_warc

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(_crawl_warc(crawler))


class WarcCaptureMiddleware(_WarcMiddleware):
    """Downloader middleware: one response and one request record per HTTP(S) response."""

    def process_response(self, request: Request, response: Response) -> Response:
        if urlsplit(response.url).scheme not in ("http", "https") or "cached" in response.flags:
            # data: and file: URLs were never fetched; cached ones were captured when they were.
            return response
        if self.warc.failure is not None:
            raise IgnoreRequest(f"not captured, the WARC failed: {self.warc.failure}")
        try:
            position = self.warc.files.write_exchange(request, response, datetime.now(UTC))
        except WarcError as exc:
            self.warc.fail(exc)
            raise IgnoreRequest(f"not captured: {exc}") from exc
        self.warc.crawler.stats.inc_value("newscrawl/warc_records")
        request.meta[META_KEY] = position
        return response


class WarcItemMiddleware(_WarcMiddleware):
    """Spider middleware: points pages at their response record and records every item."""

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            yield self._recorded(response, output)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for output in result:
            yield self._recorded(response, output)

    def _recorded(self, response: Response, output: Any) -> Any:
        if not isinstance(output, ITEM_TYPES):
            return output
        position: WarcPosition | None = response.meta.get(META_KEY)
        if position is None:
            return output
        if isinstance(output, Page) and output.warc_file is None:
            output.warc_file = position.file
            output.warc_offset = position.offset
        if self.warc.failure is not None:
            return output
        try:
            self.warc.files.write_item(output, position, response.url)
        except WarcError as exc:
            # The response record exists, so the item can still be stored; a
            # re-parse just lacks its discovery hints. The crawl stops anyway.
            self.warc.fail(exc)
        return output
