"""The Ukrainska Pravda spider (pravda.com.ua): RSS feeds, the news sitemap, view counters."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar
from urllib.parse import urljoin, urlsplit

from spiders.sitemaps import SitemapNewsSiteSpider


class PravdaSpider(SitemapNewsSiteSpider):
    """Ukrainska Pravda: news, articles and columns in Ukrainian, Russian and English.

    ``scrapy crawl pravda [-a languages=uk,en] [-a base_url=URL]``; see
    `NewsSiteSpider` for the arguments. Articles come from the RSS feed of each
    language and from the news sitemap, which lists all three languages. Their
    view counts come from the site's counter endpoint (`counter_url`).
    """

    name = "pravda"
    # Replaced by the mirror's host when base_url is given.
    allowed_domains: Sequence[str] = ("pravda.com.ua",)
    site_url = "https://www.pravda.com.ua"
    languages = ("uk", "ru", "en")
    feeds: ClassVar[Mapping[str, Sequence[str]]] = {
        "uk": ("/rss/view_news/",),
        "ru": ("/rus/rss/view_news/",),
        "en": ("/eng/rss/view_news/",),
    }
    # The news sitemap holds the last days' articles of every language. The site
    # also has /sitemap/sitemap-archive.xml, an index of its whole history, for
    # a one-off backfill: scrapy crawl news -a sitemap=<it> reads it incrementally.
    sitemaps: ClassVar[Sequence[str]] = ("/sitemap/sitemap-news.xml",)
    # /news/2026/01/08/8015225/, /rus/articles/..., /eng/columns/...: a date, then the id.
    article_path = re.compile(
        r"^/(?:(?:rus|eng)/)?(?:news|articles|columns)/\d{4}/\d{2}/\d{2}/\d+/?$"
    )
    # Paths start with /rus/ and /eng/; Ukrainian has no prefix.
    LANGUAGE_PREFIXES: ClassVar[Mapping[str, str]] = {"rus": "ru", "eng": "en"}
    # The page's own script: fetch('/article/8015225/count-view.html').
    COUNTER_IN_PAGE: ClassVar[re.Pattern[bytes]] = re.compile(rb"/article/(\d+)/count-view\.html")
    ARTICLE_ID: ClassVar[re.Pattern[str]] = re.compile(r"/(\d+)/?$")

    def language_of(self, url: str) -> str:
        first = urlsplit(url).path.lstrip("/").split("/", 1)[0]
        return self.LANGUAGE_PREFIXES.get(first, self.languages[0])

    def counter_url(self, article_url: str, body: bytes) -> str | None:
        """`/article/<id>/count-view.html`, whose body is the view count as plain text."""
        in_page = self.COUNTER_IN_PAGE.search(body)
        in_url = self.ARTICLE_ID.search(urlsplit(article_url).path)
        article_id = in_page[1].decode("ascii") if in_page else (in_url[1] if in_url else None)
        if article_id is None:
            return None
        return urljoin(article_url, f"/article/{article_id}/count-view.html")
