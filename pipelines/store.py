"""Store: write articles to the archive, and stop the crawl if it cannot."""

from __future__ import annotations

import logging
from typing import Any

from scrapy.exceptions import DropItem

from newscrawl.errors import ArchiveError
from newscrawl.items import Article, CardViews
from pipelines._archive import archive_failure, stop_crawl_for_archive_error
from pipelines.base import ArchivePipeline

logger = logging.getLogger(__name__)


class StorePipeline(ArchivePipeline):
    """Saves each article and counts `newscrawl/articles_{new,updated,unchanged}`.

    A listing card's view count (`CardViews`) becomes a view snapshot, counted
    as `newscrawl/card_views`.

    When the archive cannot be written (read-only file, full disk) the spider
    is closed with reason `archive_error` instead of dropping every item.
    """

    def process_item(self, item: Any) -> Any:
        if isinstance(item, CardViews):
            return self._store_card_views(item)
        if not isinstance(item, Article):
            return item
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

    def _store_card_views(self, item: CardViews) -> CardViews:
        """A listing card's view count becomes a snapshot; no article row changes."""
        if archive_failure(self.crawler) is not None:
            raise DropItem(f"{item.url}: card views not stored, the archive failed")
        try:
            self.archive.add_view_snapshot(item.url, item.observed_at, item.views, item.seen_on)
        except ArchiveError as exc:
            stop_crawl_for_archive_error(self.crawler, exc)
            raise DropItem(f"{item.url}: card views not stored: {exc}") from exc
        self.crawler.stats.inc_value("newscrawl/card_views")
        return item
