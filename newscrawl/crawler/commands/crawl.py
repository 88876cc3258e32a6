"""`scrapy crawl` that keeps repeated spider arguments, exports articles, records its run.

- Scrapy's own command keeps only the last value of a repeated ``-a NAME=VALUE``.
  This one joins the values with commas, the form every newscrawl spider argument
  that takes several values accepts (``-a feed=A,B``), so both spellings mean the same.
- A feed export (``-o``/``-O FILE``, or FEEDS) holds only the articles: the spiders
  also yield `CardViews` (view counts of listing cards), which are not articles. A
  feed whose options name `item_classes` or an `item_filter` keeps its own choice.
- Its settings are checked (`newscrawl.runs.settings_check`): an unknown NEWSCRAWL_*
  name, a malformed value or a bad LOG_LEVEL is a usage error.
- It turns on NEWSCRAWL_RECORD_RUN, so a crawl, and no other Scrapy command
  (`scrapy parse`, `scrapy shell`), takes the archive's lock and writes a
  `crawl_runs` row (newscrawl.crawler.lock_and_record).
"""

from __future__ import annotations

import argparse
from typing import Any

from scrapy.commands.crawl import Command as ScrapyCrawlCommand
from scrapy.exceptions import UsageError

from newscrawl.runs.settings_check import SettingError, check_settings

# What a feed exports unless its options say otherwise.
EXPORTED_ITEM_CLASSES = ["newscrawl.items.Article"]


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        given = list(opts.spargs)
        super().process_options(args, opts)
        opts.spargs.update(joined_spider_args(given))
        settings = self.settings
        assert settings is not None  # Scrapy sets them before it processes options
        try:
            # As `newscrawl crawl` does: a typo or a malformed value is one line and
            # exit 2 before anything is fetched, not an ignored name or a traceback.
            check_settings(settings, [pair.partition("=")[0] for pair in opts.set])
        except SettingError as exc:
            raise UsageError(str(exc), print_help=False) from None
        # Above the project's own False (a command's default_settings rank below it).
        settings.set("NEWSCRAWL_RECORD_RUN", True, priority="cmdline")
        feeds = settings.getdict("FEEDS")
        if feeds:
            priority = settings.getpriority("FEEDS") or 0
            settings.set("FEEDS", articles_only(feeds), priority=priority)


def articles_only(feeds: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """The FEEDS setting with `item_classes` set to articles in every feed that chose
    neither item classes nor an item filter."""
    chosen: dict[str, dict[str, Any]] = {}
    for uri, options in feeds.items():
        options = dict(options or {})
        if "item_classes" not in options and "item_filter" not in options:
            options["item_classes"] = list(EXPORTED_ITEM_CLASSES)
        chosen[str(uri)] = options
    return chosen


def joined_spider_args(pairs: list[str]) -> dict[str, str]:
    """The arguments given more than once, each with its values joined by commas."""
    values: dict[str, list[str]] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        values.setdefault(name, []).append(value)
    return {name: ",".join(given) for name, given in values.items() if len(given) > 1}
