"""The Ukrainska Pravda spider: its `Site`, and the counter id its pages name."""

from __future__ import annotations

import re
from typing import ClassVar

from newscrawl.parsing.pravda import PRAVDA
from spiders.site import SiteSpider


class PravdaSpider(SiteSpider):
    """Ukrainska Pravda: news, articles and columns in Ukrainian, Russian and English.

    ``scrapy crawl pravda [-a languages=uk,en] [-a base_url=URL]``. Articles come
    from the RSS feed of each language and from the news sitemap; their view
    counts from the site's counter endpoint.
    """

    site_spec = PRAVDA
    # The page's own script: fetch('/article/8015225/count-view.html'). Its id is
    # the counter's even where a URL's would differ (a moved or renamed page).
    COUNTER_IN_PAGE: ClassVar[re.Pattern[bytes]] = re.compile(rb"/article/(\d+)/count-view\.html")

    def counter_url(self, article_url: str, body: bytes) -> str | None:
        in_page = self.COUNTER_IN_PAGE.search(body)
        if in_page is None:
            return super().counter_url(article_url, body)
        return self.site_spec.counter_url_of_id(article_url, in_page[1].decode("ascii"))
