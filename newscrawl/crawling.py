"""Running a spider in-process with the project settings, and what came of it."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from scrapy.crawler import CrawlerProcess
from scrapy.settings import Settings

from newscrawl.archive import Archive

SETTINGS_MODULE = "newscrawl.settings"


@dataclass
class CrawlResult:
    """The outcome of one spider run, read from its Scrapy stats."""

    spider: str
    db_path: Path
    stats: dict[str, Any] = field(default_factory=dict)

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "not started"))

    @property
    def exit_code(self) -> int:
        # Scrapy's own exit status is 0 for most failures; "finished" is the
        # only reason that means the spider ran to its natural end.
        return 0 if self.finish_reason == "finished" else 1

    def summary_line(self) -> str:
        """One line for stdout: the result, what was fetched and what was archived."""
        s = self.stats
        return (
            f"{self.spider}: {self.finish_reason}; "
            f"{s.get('response_received_count', 0)} responses, "
            f"{s.get('newscrawl/articles_new', 0)} new, "
            f"{s.get('newscrawl/articles_updated', 0)} updated, "
            f"{s.get('newscrawl/articles_unchanged', 0)} unchanged, "
            f"{s.get('newscrawl/duplicates', 0)} duplicates, "
            f"{s.get('item_dropped_count', 0)} dropped; archive {self.db_path}"
        )


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """The project's Scrapy settings, found without a scrapy.cfg so any directory works."""
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    if overrides:
        settings.setdict(dict(overrides), priority="cmdline")
    return settings


def run_spider(
    name: str,
    spider_args: Mapping[str, str] | None = None,
    overrides: Mapping[str, Any] | None = None,
) -> CrawlResult:
    """Run one spider to completion in this process and return its result.

    Raises `ArchiveError` when the archive cannot be opened for writing, and
    `KeyError` when there is no spider of that name.
    """
    settings = project_settings(overrides)
    db_path = Path(settings["NEWSCRAWL_DB"])
    # Open (and migrate) the archive before any request: an unwritable archive
    # is an ArchiveError here, not a traceback from deep inside a pipeline.
    Archive(db_path).close()
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(name)
    process.crawl(crawler, **dict(spider_args or {}))
    process.start()
    stats = crawler.stats.get_stats() if crawler.stats else {}
    return CrawlResult(spider=name, db_path=db_path, stats=stats)
