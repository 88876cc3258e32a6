"""`scrapy crawl` that keeps repeated spider arguments: ``-a feed=A -a feed=B``.

Scrapy's own command keeps only the last value of a repeated ``-a NAME=VALUE``. This
one joins the values with commas, the form every newscrawl spider argument that
takes several values accepts (``-a feed=A,B``), so both spellings mean the same.
"""

from __future__ import annotations

import argparse

from scrapy.commands.crawl import Command as ScrapyCrawlCommand


class Command(ScrapyCrawlCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        given = list(opts.spargs)
        super().process_options(args, opts)
        opts.spargs.update(joined_spider_args(given))


def joined_spider_args(pairs: list[str]) -> dict[str, str]:
    """The arguments given more than once, each with its values joined by commas."""
    values: dict[str, list[str]] = {}
    for pair in pairs:
        name, _, value = pair.partition("=")
        values.setdefault(name, []).append(value)
    return {name: ",".join(given) for name, given in values.items() if len(given) > 1}
