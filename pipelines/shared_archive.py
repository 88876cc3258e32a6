"""The one read-write `Archive` that a crawl's pipelines share, and its failure.

Dedupe reads and store writes must see the same connection: two writers on
one file would contend for the write lock, and dedupe must see what store has
just committed. Each pipeline acquires the crawler's archive in open_spider and
releases it in close_spider; the first acquire opens it, the last release
closes it.

When the archive cannot be written, whichever pipeline notices first closes the
spider with reason `archive_error`: carrying on would fetch pages only to drop
every one of them.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from weakref import WeakKeyDictionary

from scrapy.crawler import Crawler

from newscrawl.archive import Archive
from newscrawl.crawler.closing import close_spider_soon
from newscrawl.errors import ArchiveError

logger = logging.getLogger(__name__)

CLOSE_REASON = "archive_error"


@dataclass
class _Shared:
    archive: Archive
    users: int = 0
    failure: ArchiveError | None = None


_shared: WeakKeyDictionary[Crawler, _Shared] = WeakKeyDictionary()


def acquire_archive(crawler: Crawler) -> Archive:
    """The crawler's archive (setting NEWSCRAWL_DB), opened on first use.

    Raises ArchiveError if the file cannot be opened or migrated.
    """
    shared = _shared.get(crawler)
    if shared is None:
        shared = _shared[crawler] = _Shared(Archive(crawler.settings["NEWSCRAWL_DB"]))
    shared.users += 1
    return shared.archive


def release_archive(crawler: Crawler) -> None:
    """Give back one acquire; the last one closes the archive."""
    shared = _shared.get(crawler)
    if shared is None:
        return
    shared.users -= 1
    if shared.users <= 0:
        del _shared[crawler]
        shared.archive.close()


def archive_failure(crawler: Crawler) -> ArchiveError | None:
    """The error that made the crawler's archive unusable, if one did."""
    shared = _shared.get(crawler)
    return shared.failure if shared else None


def recorded_archive_failure(crawler: Crawler, error: ArchiveError) -> bool:
    """Record `error` as the crawl's archive failure; False if one was recorded already.

    The failure stays visible to everything that shares the archive (the spider
    must not mark its walk finished over lost articles) and, as the stat
    `newscrawl/archive_error`, to the run's verdict.
    """
    shared = _shared.get(crawler)
    if shared is not None:
        if shared.failure is not None:
            return False
        shared.failure = error
    crawler.stats.set_value("newscrawl/archive_error", str(error))
    return True


def stop_crawl_for_archive_error(crawler: Crawler, error: ArchiveError) -> None:
    """Log the error and close the spider with reason `archive_error`, once per crawl."""
    if not recorded_archive_failure(crawler, error):
        return
    logger.error("archive write failed, closing the spider: %s", error)
    close_spider_soon(crawler, CLOSE_REASON)
