"""Project Scrapy commands (setting COMMANDS_MODULE): they replace Scrapy's own of the same name.

Only `scrapy crawl` writes: the commands that run a spider to look at pages
(`scrapy parse` without ``--pipelines``, `scrapy shell`, `scrapy fetch`, `scrapy view`)
run without the components that write, through `inspect_only`: WARC capture, the
run's record (its lock and `crawl_runs` row; the crawl command alone turns on
NEWSCRAWL_RECORD_RUN for it) and the item pipelines, so they leave no WARC file
and do not open the archive (the store pipeline would create and migrate it).
"""

from __future__ import annotations

from scrapy.settings import BaseSettings, Settings

__all__ = ["WRITING_COMPONENTS", "inspect_only"]

# The project's components that write, by the setting that enables each.
WRITING_COMPONENTS: dict[str, tuple[str, ...]] = {
    "DOWNLOADER_MIDDLEWARES": ("newscrawl.crawler.warc_capture.WarcCaptureMiddleware",),
    "SPIDER_MIDDLEWARES": ("newscrawl.crawler.warc_capture.WarcItemMiddleware",),
    "EXTENSIONS": ("newscrawl.crawler.lock_and_record.DirectRun",),
}


def inspect_only(settings: Settings) -> None:
    """Take the writing components and every item pipeline out of `settings`; returns
    nothing.

    Disabled as Scrapy disables any component (None for its order), so no "Disabled"
    warning is logged for them.
    """
    for name, paths in WRITING_COMPONENTS.items():
        components = settings[name]
        assert isinstance(components, BaseSettings)  # a dict setting of Scrapy's own
        for path in paths:
            components.set(path, None, priority="cmdline")
    pipelines = settings["ITEM_PIPELINES"]
    assert isinstance(pipelines, BaseSettings)
    for path in list(pipelines):
        pipelines.set(path, None, priority="cmdline")
