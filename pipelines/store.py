"""Store: write articles to the archive in batches, and stop the crawl if it cannot."""

from __future__ import annotations

import contextlib
import logging
import sys
import time
from typing import Any

from scrapy.exceptions import DropItem
from twisted.internet.task import LoopingCall

from newscrawl.archive.rows import outlet_row
from newscrawl.errors import ArchiveError
from newscrawl.items import Article, CardViews
from newscrawl.runs.clock import current_time
from newscrawl.sites.spec import Site
from pipelines.base import ArchivePipeline
from pipelines.shared_archive import (
    archive_failure,
    recorded_archive_failure,
    stop_crawl_for_archive_error,
)

logger = logging.getLogger(__name__)


class StorePipeline(ArchivePipeline):
    """Saves each article and counts `newscrawl/articles_{new,updated,unchanged}`.

    A listing card's view count (`CardViews`) becomes a view snapshot, counted
    as `newscrawl/card_views`.

    Writes join a batch of the shared archive (`Archive.begin_batch`), committed
    every `batch_writes` writes or `batch_seconds` seconds and at close. The dedupe
    pipeline reads through the same connection, so it sees the batch at once.
    Each save stays all-or-nothing within the batch.

    When the archive cannot be written (read-only file, full disk) the spider
    is closed with reason `archive_error` instead of dropping every item.
    """

    # A batch commits after this many writes or this many seconds, whichever
    # comes first, and when the spider closes. A commit per article would cost a
    # WAL append and a full-text index flush each; a crawl killed outright loses
    # at most the batch, whose pages the next run fetches again, as they are not
    # archived.
    batch_writes = 500
    batch_seconds = 1.0

    def open_spider(self) -> None:
        super().open_spider()
        self._record_outlet()
        self._batch_started: float | None = None
        self._timer: LoopingCall | None = None
        reactor = sys.modules.get("twisted.internet.reactor")
        if reactor is not None and getattr(reactor, "running", False):
            # Commits a batch that no further item would complete, while the
            # crawl waits for pages. Only in a crawl: a re-parse has no reactor
            # and commits as its items come.
            self._timer = LoopingCall(self._commit_on_time)
            self._timer.start(self.batch_seconds / 2, now=False)

    def _record_outlet(self) -> None:
        """Keep the `outlets` row of the spider's outlet as its declaration says now."""
        site = getattr(getattr(self.crawler, "spider", None), "site_spec", None)
        if not isinstance(site, Site):
            return  # the generic spider, or a re-parse: no declared outlet
        now = current_time(self.crawler.settings.get("NEWSCRAWL_NOW"))
        try:
            self.archive.record_outlet(outlet_row(site, now))
        except ArchiveError as exc:
            # The first article's write will meet the same error and stop the crawl.
            logger.warning("the outlet %s was not recorded: %s", site.name, exc)

    def close_spider(self) -> None:
        if self._timer is not None and self._timer.running:
            self._timer.stop()
        if self._archive is not None:
            try:
                self.commit()
            except ArchiveError as exc:
                logger.error("the last batch could not be stored: %s", exc)
                # Its pages are not archived: the walk must stay unfinished, so
                # that the next run's incremental stop does not stop above them.
                recorded_archive_failure(self.crawler, exc)
        super().close_spider()

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
            self._begin()
            outcome = self.archive.save(item)
            self._commit_if_due()
        except ArchiveError as exc:
            stop_crawl_for_archive_error(self.crawler, exc)
            raise DropItem(f"{item.url}: not stored: {exc}") from exc
        self.crawler.stats.inc_value(f"newscrawl/articles_{outcome.value}")
        return item

    def commit(self) -> None:
        """Commit the open batch now (ArchiveError if it cannot be)."""
        self._batch_started = None
        self.archive.commit_batch()

    def _begin(self) -> None:
        if self._batch_started is None:
            self._batch_started = time.monotonic()
        self.archive.begin_batch()

    def _commit_on_time(self) -> None:
        # A failure is logged and closes the spider; the timer has no one to tell.
        with contextlib.suppress(ArchiveError):
            self._commit_if_due()

    def _commit_if_due(self) -> None:
        if self._batch_started is None:
            return
        full = self.archive.pending_writes >= self.batch_writes
        if full or time.monotonic() - self._batch_started >= self.batch_seconds:
            try:
                self.commit()
            except ArchiveError as exc:
                if archive_failure(self.crawler) is None:
                    stop_crawl_for_archive_error(self.crawler, exc)
                raise

    def _store_card_views(self, item: CardViews) -> CardViews:
        """A listing card's view count becomes a snapshot; no article row changes."""
        if archive_failure(self.crawler) is not None:
            raise DropItem(f"{item.url}: card views not stored, the archive failed")
        try:
            self._begin()
            self.archive.add_view_snapshot(item.url, item.observed_at, item.views, item.seen_on)
            self._commit_if_due()
        except ArchiveError as exc:
            stop_crawl_for_archive_error(self.crawler, exc)
            raise DropItem(f"{item.url}: card views not stored: {exc}") from exc
        self.crawler.stats.inc_value("newscrawl/card_views")
        return item
