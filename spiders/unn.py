"""The UNN spider (unn.ua): its feed, listings and article URLs; the rest is `NewsSiteSpider`."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import ClassVar

from newscrawl.discovery.listings import class_prefix_xpath
from spiders.base import NewsSiteSpider


class UnnSpider(NewsSiteSpider):
    """UNN, the Ukrainian National News agency: Ukrainian, English and Russian news.

    ``scrapy crawl unn [-a languages=uk,en] [-a max_pages=N] [-a base_url=URL]``;
    see `NewsSiteSpider` for the arguments.
    """

    name = "unn"
    # Replaced by the mirror's host when base_url is given.
    allowed_domains: Sequence[str] = ("unn.ua",)
    site_url = "https://unn.ua"
    languages = ("uk", "en", "ru")
    # Only a Ukrainian feed exists; English and Russian news come from listings.
    feeds: ClassVar[Mapping[str, Sequence[str]]] = {"uk": ("/rss/news_uk.xml",)}
    listings: ClassVar[Mapping[str, Sequence[str]]] = {
        "uk": ("/news",),
        "en": ("/en/news",),
        "ru": ("/ru/news",),
    }
    # /news/<slug>, /en/news/<slug>, /ru/news/<slug>; AMP copies /amp/<slug>, /en/amp/<slug>.
    article_path = re.compile(r"^/(?:(?:en|ru)/)?(?:news|amp)/[^/]+/?$")
    card_class_prefixes = ("news-card_root__",)
    # Next.js wraps the page in #__next; the content column is home-page_main__<hash>.
    main_content_xpaths = (class_prefix_xpath("home-page_main__"), "//main", "//body")
