"""Store: write articles to the archive, and stop the crawl if it cannot."""

from __future__ import annotations

import logging
from typing import Any, Self

from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem

from newscrawl.archive import Archive
from newscrawl.errors import ArchiveError
from newscrawl.items import Article
from pipelines._archive import (
    acquire_archive,
    archive_failure,
    release_archive,
    stop_crawl_for_archive_error,
)

logger = logging.getLogger(__name__)


class StorePipeline:
    """Saves each article and counts `newscrawl/articles_{new,updated,unchanged}`.

    When the archive cannot be written (read-only file, full disk) the spider
    is closed with reason `archive_error` instead of dropping every item.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler
        self.archive: Archive | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)

    def open_spider(self) -> None:
        try:
            self.archive = acquire_archive(self.crawler)
        except ArchiveError as exc:
            # Raising here aborts the crawl before any page is fetched.
            logger.error("cannot open the archive, not crawling: %s", exc)
            raise

    def close_spider(self) -> None:
        if self.archive is not None:
            self.archive = None
            release_archive(self.crawler)

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        if self.archive is None:
            raise RuntimeError("StorePipeline used before open_spider")
        failure = archive_failure(self.crawler)
        if failure is not None:
            # The spider is closing; items still in flight cannot be stored either.
            raise DropItem(f"{item.url}: not stored, the archive failed: {failure}")
        try:
            outcome = self.archive.save(item)
        except ArchiveError as exc:
            stop_crawl_for_archive_error(self.crawler, exc)
            raise DropItem(f"{item.url}: not stored: {exc}") from exc
        self.crawler.stats.inc_value(f"newscrawl/articles_{outcome.value}")
        return item
