"""Parse on a thread of its own: a slow page must not stall the crawl's reactor.

Parsing a page (lxml, the site rules, trafilatura, language detection) is the
one heavy CPU step of a crawl. Run in the reactor's thread, a large page held
every download, timeout and log line of the crawl until it was done. Here each
page is parsed on one dedicated thread, in the order the pages arrive, while the
reactor keeps downloading; the rest of the pipelines run back on the reactor.

One thread, not Scrapy's shared pool of ten: pages are parsed one at a time, so
at most one parse's memory is alive at once (DOWNLOAD_MAXSIZE bounds it), and
the articles reach dedupe and the store in the order they would have without it.
"""

from __future__ import annotations

from typing import Any, NoReturn

from scrapy.exceptions import DropItem
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads
from twisted.python.failure import Failure
from twisted.python.threadpool import ThreadPool

from newscrawl.items import Page
from pipelines.parse import ParsePipeline

__all__ = ["ThreadedParsePipeline"]


class ThreadedParsePipeline(ParsePipeline):
    """`ParsePipeline`, run on one thread of its own while the spider is open.

    Outside a crawl (re-parse jobs and tests call `process_item` without opening
    the pipeline), it parses in the caller's thread and returns the article, as
    `ParsePipeline` does. A page dropped on the parse thread is counted in the
    crawl stats back on the reactor: the stats are a plain dict that the reactor
    reads and copies, not to be changed from another thread.
    """

    _pool: ThreadPool | None = None

    def open_spider(self) -> None:
        self._pool = ThreadPool(minthreads=1, maxthreads=1, name="newscrawl-parse")
        self._pool.start()

    def close_spider(self) -> None:
        if self._pool is not None:
            # Every page queued was parsed before the spider closes: Scrapy waits
            # for the items in progress, whose Deferreds are this pool's.
            self._pool.stop()
            self._pool = None

    def process_item(self, item: Any) -> Any:
        """The article of a `Page`, or during a crawl a coroutine returning it (Scrapy
        awaits what a pipeline returns); any other item, unchanged."""
        if self._pool is None or not isinstance(item, Page):
            try:
                return super().process_item(item)
            except _Dropped as dropped:
                self._count(dropped)
                raise
        # Imported here, not at the top: importing the module must not install a
        # reactor in a process (a re-parse, a test) before Scrapy picks its own.
        from twisted.internet import reactor

        parsed = threads.deferToThreadPool(
            reactor,
            self._pool,
            super().process_item,
            item,
        )
        return maybe_deferred_to_future(parsed.addErrback(self._count_drop))

    def _drop(self, page: Page, reason: str, message: str) -> NoReturn:
        # Counted by the caller, in the reactor's thread.
        raise _Dropped(reason, f"{page.url}: {message}")

    def _count_drop(self, failure: Failure) -> Failure:
        """The failure, a drop from the parse thread now counted in the crawl stats."""
        if isinstance(failure.value, _Dropped):
            self._count(failure.value)
        return failure

    def _count(self, dropped: _Dropped) -> None:
        self.crawler.stats.inc_value(f"newscrawl/dropped/{dropped.reason}")


class _Dropped(DropItem):
    """A page dropped on the parse thread, with the reason to count on the reactor."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason
