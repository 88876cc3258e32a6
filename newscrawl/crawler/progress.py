"""A running crawl's progress, written to a small JSON file for `newscrawl crawl` to show.

The crawl runs in a worker process (`newscrawl.runs.worker`) and logs to a file,
so the parent cannot see its stats. `ProgressFile` writes the few counts a
person watching wants every `INTERVAL` seconds, the way Scrapy's LogStats logs
them, and once more when the spider closes; the parent reads them with
`read_progress` and shows a line on a terminal (`newscrawl.cli.crawl`).
"""

from __future__ import annotations

import json
import logging
import os
import time
from dataclasses import asdict, dataclass
from pathlib import Path

from scrapy import Spider, signals
from scrapy.crawler import Crawler
from twisted.internet.task import LoopingCall

__all__ = ["INTERVAL", "ProgressFile", "SpiderProgress", "read_progress"]

logger = logging.getLogger(__name__)

# Seconds between two writes: often enough for a line that moves, rarely enough to cost nothing.
INTERVAL = 2.0


@dataclass(frozen=True)
class SpiderProgress:
    """What a spider has done so far."""

    spider: str
    pages: int
    archived: int
    dropped: int
    seconds: float

    @property
    def pages_per_minute(self) -> float:
        """Responses received per minute since the spider opened."""
        return self.pages * 60 / self.seconds if self.seconds > 0 else 0.0


class ProgressFile:
    """Writes the crawler's `SpiderProgress` to `path`, replaced whole on every write."""

    def __init__(self, crawler: Crawler, path: Path) -> None:
        self.crawler = crawler
        self.path = path
        self.started = time.monotonic()
        self._loop: LoopingCall | None = None

    @classmethod
    def attach(cls, crawler: Crawler, path: Path) -> ProgressFile:
        """A writer for the crawler, started when its spider opens; returns the writer."""
        writer = cls(crawler, path)
        crawler.signals.connect(writer.spider_opened, signal=signals.spider_opened)
        crawler.signals.connect(writer.spider_closed, signal=signals.spider_closed)
        return writer

    def spider_opened(self, spider: Spider) -> None:
        self.started = time.monotonic()
        # Made now, not before: a LoopingCall takes the reactor, and asking for it
        # before Scrapy has installed its own installs Twisted's default one.
        self._loop = LoopingCall(self.write)
        self._loop.start(INTERVAL, now=True)

    def spider_closed(self, spider: Spider, reason: str) -> None:
        if self._loop is not None and self._loop.running:
            self._loop.stop()
        self.write()

    def progress(self) -> SpiderProgress:
        """The counts now, from the crawler's stats."""
        counts = self.crawler.stats.get_stats()

        def count(name: str) -> int:
            value = counts.get(name, 0)
            return value if isinstance(value, int) else 0

        # As the run's summary counts them: duplicates are drops to Scrapy, not to us.
        dropped = max(count("item_dropped_count") - count("newscrawl/duplicates"), 0)
        return SpiderProgress(
            spider=self.crawler.spidercls.name or "",
            pages=count("response_received_count"),
            archived=count("newscrawl/articles_new") + count("newscrawl/articles_updated"),
            dropped=dropped,
            seconds=time.monotonic() - self.started,
        )

    def write(self) -> None:
        """Replace the file with the progress now (a reader never sees half a file)."""
        partial = self.path.with_name(self.path.name + ".part")
        try:
            partial.write_text(json.dumps(asdict(self.progress())), encoding="utf-8")
            os.replace(partial, self.path)
        except OSError as exc:  # progress is a nicety: never stop a crawl for it
            logger.debug("progress not written: %s", exc)


def read_progress(path: Path) -> SpiderProgress | None:
    """The progress last written to `path`; None before the first write."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return SpiderProgress(**data)
    except (OSError, ValueError, TypeError):
        return None
