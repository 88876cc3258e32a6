"""Parse: a fetched `Page` becomes an `Article` through the site's parser."""

from __future__ import annotations

import logging
from typing import Any, NoReturn

from scrapy.exceptions import DropItem

from newscrawl.errors import PageError, TruncatedPage, UndecodablePage
from newscrawl.items import Article, Page
from newscrawl.parsing import article_from_page
from newscrawl.text import log_excerpt
from pipelines.base import CrawlerPipeline

logger = logging.getLogger(__name__)


class ParsePipeline(CrawlerPipeline):
    """Turns `Page` items into `Article` items; unreadable pages are dropped.

    Articles pass through untouched, so re-parse jobs and tests can feed
    them straight into the rest of the pipelines.
    """

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Page):
            return item
        article = self._article_of(item)
        if item.counted_views is not None:
            # The site's counter endpoint (newscrawl.crawler.view_counters) is fresher than any
            # count the page itself shows, and is the only count on some sites.
            article.views = item.counted_views
        return article

    def _article_of(self, page: Page) -> Article:
        if not page.body.strip():
            self._drop(page, "empty_page", "the page body is empty")
        try:
            return article_from_page(page)
        except TruncatedPage as exc:
            self._drop(page, "truncated", f"the page was cut short: {_detail(exc, page)}")
        except UndecodablePage as exc:
            self._drop(page, "undecodable", f"the page cannot be decoded: {_detail(exc, page)}")
        except PageError as exc:
            self._drop(page, "unparseable", f"the page cannot be parsed: {_detail(exc, page)}")
        except Exception as exc:
            # Not a page problem but a parser bug: keep the traceback for the fix.
            logger.exception("parser failed on %s", page.url)
            error = log_excerpt(f"{type(exc).__name__}: {exc}")
            self._drop(page, "unparseable", f"the parser failed ({error})")

    def _drop(self, page: Page, reason: str, message: str) -> NoReturn:
        self.crawler.stats.inc_value(f"newscrawl/dropped/{reason}")
        raise DropItem(f"{page.url}: {message}")


def _detail(exc: Exception, page: Page) -> str:
    # Parsers often start their messages with the URL, which the drop reason names already.
    return log_excerpt(str(exc).removeprefix(f"{page.url}: "))
