"""Base classes for our pipelines: reaching the crawler, and sharing its archive."""

from __future__ import annotations

import logging
from typing import Self

from scrapy.crawler import Crawler

from newscrawl.archive import Archive
from newscrawl.errors import ArchiveError
from pipelines.shared_archive import acquire_archive, release_archive

logger = logging.getLogger(__name__)


class CrawlerPipeline:
    """A pipeline built by Scrapy through `from_crawler`, keeping the crawler for stats."""

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(crawler)


class ArchivePipeline(CrawlerPipeline):
    """A pipeline that uses the crawl's shared archive from open_spider to close_spider."""

    def __init__(self, crawler: Crawler) -> None:
        super().__init__(crawler)
        self._archive: Archive | None = None

    @property
    def archive(self) -> Archive:
        if self._archive is None:
            raise RuntimeError(f"{type(self).__name__} used before open_spider")
        return self._archive

    def open_spider(self) -> None:
        try:
            self._archive = acquire_archive(self.crawler)
        except ArchiveError as exc:
            # Raising here aborts the crawl before any page is fetched.
            logger.error("cannot open the archive, not crawling: %s", exc)
            raise

    def close_spider(self) -> None:
        if self._archive is not None:
            self._archive = None
            release_archive(self.crawler)
