"""A crawl started with `scrapy crawl` is locked and recorded as `newscrawl crawl` does it.

`newscrawl crawl` holds the archive's lock for its whole sequence and writes one
`crawl_runs` row per spider. A spider started directly, on demand or from a
hand-written cron line, would otherwise write into the archive beside a cron
run and leave no row, so `newscrawl status` and the site-health query would not
know it ran. `newscrawl crawl` sets `NEWSCRAWL_MANAGED_RUN` for its workers,
and this extension then stays out of the way.

Only a crawl is recorded: the project's `scrapy crawl` command turns on
`NEWSCRAWL_RECORD_RUN`; `scrapy parse`, `scrapy shell` and `scrapy fetch` run
spiders too, to look at pages, and leave neither a lock nor a row.
"""

from __future__ import annotations

import logging
from contextlib import ExitStack
from datetime import datetime
from pathlib import Path
from typing import Self

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import NotConfigured

from newscrawl.archive import Archive
from newscrawl.crawler.closing import close_spider_soon
from newscrawl.errors import ArchiveError
from newscrawl.runs.clock import current_time
from newscrawl.runs.lock import LockHeld, archive_lock
from newscrawl.runs.verdict import CrawlResult
from spiders.registry import site_of_spider

__all__ = ["LOCKED_REASON", "DirectRun"]

logger = logging.getLogger(__name__)

# The finish reason of a direct run that found another crawl holding the archive.
LOCKED_REASON = "archive_locked"


class DirectRun:
    """Extension: holds the archive's lock while the spider runs; records the run at the end.

    If another crawl holds the lock, the spider closes at once with the finish
    reason `archive_locked`, before it requests anything, and no row is written:
    the run that holds the lock owns the archive until it ends.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.db_path = Path(crawler.settings["NEWSCRAWL_DB"]).absolute()
        self._lock = ExitStack()
        self._locked = False
        self._started_at: datetime | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        if crawler.settings.getbool("NEWSCRAWL_MANAGED_RUN"):
            raise NotConfigured("newscrawl crawl locks and records its runs itself")
        if not crawler.settings.getbool("NEWSCRAWL_RECORD_RUN"):
            raise NotConfigured("only a crawl is recorded, not scrapy parse or scrapy shell")
        extension = cls(crawler)
        crawler.signals.connect(extension.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(extension.spider_closed, signal=signals.spider_closed)
        return extension

    def spider_opened(self, spider: Spider) -> None:
        self._started_at = self._now()
        try:
            self._lock.enter_context(archive_lock(self.db_path))
        except (LockHeld, ArchiveError) as exc:
            logger.error("not crawling: %s", exc)
            close_spider_soon(self.crawler, LOCKED_REASON)
            return
        self._locked = True

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if not self._locked:
            return
        try:
            self._record(spider, reason)
        finally:
            self._lock.close()

    def _record(self, spider: Spider, reason: str) -> None:
        settings = self.crawler.settings
        stats = dict(self.crawler.stats.get_stats()) if self.crawler.stats else {}
        # Core stats set the finish reason in their own spider_closed handler; do not
        # depend on running after it.
        stats.setdefault("finish_reason", reason)
        log_file = settings.get("LOG_FILE")
        result = CrawlResult(
            spider=spider.name,
            db_path=self.db_path,
            stats=stats,
            started_at=self._started_at,
            finished_at=self._now(),
            log_file=Path(log_file) if log_file else None,
            max_errors=settings.getint("NEWSCRAWL_MAX_ERRORS"),
            site=site_of_spider(spider),
        )
        try:
            with Archive(self.db_path) as archive:
                archive.record_run(result.run_row())
        except ArchiveError as exc:
            logger.error("the run was not recorded in crawl_runs: %s", exc)
            return
        logger.info("run recorded in crawl_runs: %s", result.summary_line())

    def _now(self) -> datetime:
        return current_time(self.crawler.settings.get("NEWSCRAWL_NOW"))
