"""The baseline of bench/crawl_cost.py: bare Scrapy fetching what `newscrawl crawl unn` fetches.

    python3 bench/_bare_crawl.py BASE_URL STATS.json [-s NAME=VALUE ...]

One spider, in this process, with Scrapy's default settings plus the `-s`
overrides (the benchmark passes the crawl's concurrency and turns AutoThrottle
off, as for the real crawl). It reads robots.txt, the RSS feed and the paged
listings of a UNN-style mirror and fetches every article they link, exactly
the pages the real spider fetches, but it neither parses articles nor stores
anything: the least any crawler of these pages must do. No project code runs
here, so the measure is of Scrapy alone. Its Scrapy stats go to STATS.json.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import scrapy
from scrapy.crawler import CrawlerProcess
from scrapy.http import Response

LISTINGS = ("/news", "/en/news", "/ru/news")
FEED = "/rss/news_uk.xml"
SITE = "https://unn.ua"


class BareSpider(scrapy.Spider):
    name = "bare"

    def __init__(self, base_url: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.base_url = base_url.rstrip("/")

    async def start(self) -> AsyncIterator[scrapy.Request]:
        yield scrapy.Request(self.base_url + FEED, self.parse_feed, priority=20)
        for listing in LISTINGS:
            yield scrapy.Request(self.base_url + listing, self.parse_listing, priority=10)

    def parse_feed(self, response: Response) -> Iterator[scrapy.Request]:
        for link in response.xpath("//item/link/text()").getall():
            yield self._article(link.strip().replace(SITE, self.base_url, 1))

    def parse_listing(self, response: Response) -> Iterator[scrapy.Request]:
        hrefs = response.xpath(
            "//*[contains(concat(' ', normalize-space(@class)), ' news-card_root__')]/@href"
        ).getall()
        for href in hrefs:
            # The real spider drops tracking parameters; so must the baseline, or it
            # would fetch a page twice.
            yield self._article(response.urljoin(href.split("?", 1)[0]))
        if hrefs:
            following = response.xpath("//*[contains(@class, 'pagination_root__')]//a/@href").get()
            if following:
                yield response.follow(following, self.parse_listing, priority=10)

    def _article(self, url: str) -> scrapy.Request:
        # AMP copies have the same canonical page; the real spider fetches that.
        return scrapy.Request(url.replace("/amp/", "/news/"), self.parse_article)

    def parse_article(self, response: Response) -> None:
        return None


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    base_url, stats_path, rest = argv[0], Path(argv[1]), argv[2:]
    settings: dict[str, Any] = {"TELNETCONSOLE_ENABLED": False, "LOG_LEVEL": "INFO"}
    while rest:
        if rest[0] != "-s" or len(rest) < 2 or "=" not in rest[1]:
            print(f"unexpected argument {rest[0]!r}", file=sys.stderr)
            return 2
        name, value = rest[1].split("=", 1)
        settings[name] = value
        rest = rest[2:]
    process = CrawlerProcess(settings)
    crawler = process.create_crawler(BareSpider)
    process.crawl(crawler, base_url=base_url)
    process.start()
    stats = crawler.stats.get_stats()
    stats_path.write_text(json.dumps(stats, default=str), encoding="utf-8")
    return 0 if stats.get("finish_reason") == "finished" else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
