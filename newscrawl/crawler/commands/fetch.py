"""`scrapy fetch URL` as Scrapy has it, writing nothing: no WARC file, no archive, no run row."""

from __future__ import annotations

import argparse

from scrapy.commands.fetch import Command as ScrapyFetchCommand

from newscrawl.crawler.commands import inspect_only


class Command(ScrapyFetchCommand):
    def process_options(self, args: list[str], opts: argparse.Namespace) -> None:
        super().process_options(args, opts)
        assert self.settings is not None  # Scrapy sets them before it processes options
        inspect_only(self.settings)
