"""`SiteSpider`: the spider of one registered outlet, configured by its `Site`.

Every outlet in the site registry gets one (`spiders.registry.SiteSpiderLoader`
makes the class), so ``scrapy list`` shows one spider per outlet and adding an
outlet needs no spider code. A site whose crawl does something no `Site` field
says (Pravda reads its counter's id from the page) subclasses it in a module
of this package.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar

from newscrawl.crawler.view_counters import counted_count
from newscrawl.discovery.article_urls import looks_like_article
from newscrawl.sites.spec import Site
from spiders.arguments import DeclaredArguments
from spiders.sitemaps import SitemapNewsSiteSpider

__all__ = ["SiteSpider", "spider_class_for"]

# A Site without article_path: every URL its feeds and sitemaps list is an article.
_ANY_PATH = re.compile("")


class SiteSpider(DeclaredArguments, SitemapNewsSiteSpider):
    """One outlet's feeds, sitemaps, listings and start pages, as its `Site` declares them.

    ``scrapy crawl <name> [-a languages=uk,en] [-a max_pages=N] [-a base_url=URL]``;
    see `NewsSiteSpider` for the arguments. Any other ``-a`` name is refused
    (`DeclaredArguments`).
    """

    site_spec: ClassVar[Site]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        site = cls.__dict__.get("site_spec")
        if site is None:
            return
        # NewsSiteSpider's declarations, all from the one Site.
        cls.name = site.name
        cls.site_url = site.home
        cls.allowed_domains = site.all_domains
        cls.languages = site.languages
        cls.article_path = site.article_path or _ANY_PATH
        cls.card_class_prefixes = site.cards
        cls.main_content_xpaths = site.main_content
        cls.page_param = site.page_param
        # Scrapy applies these at spider priority, over the project's settings.
        cls.custom_settings = dict(site.politeness) or None

    @property
    def site(self) -> str:
        return self.site_spec.domain

    def feed_locations(self) -> list[str]:
        return self.site_spec.locations("feeds", self.selected_languages)

    def listing_locations(self) -> list[str]:
        return self.site_spec.locations("listings", self.selected_languages)

    def sitemap_locations(self) -> list[str]:
        return self.site_spec.locations("sitemaps", self.selected_languages)

    def start_locations(self) -> list[str]:
        return self.site_spec.locations("starts", self.selected_languages)

    def language_of(self, url: str) -> str:
        return self.site_spec.language_of_url(url)

    def counter_url(self, article_url: str, body: bytes) -> str | None:
        """The Site's counter endpoint for the article, or None when it declares none."""
        return self.site_spec.counter_url(article_url)

    def counted_views(self, counter_url: str, body: bytes) -> int | None:
        """The count in the counter's answer, plain text or JSON."""
        return counted_count(body)

    def _is_site_host(self, host: str) -> bool:
        return self.site_spec.claims_host(host)

    def _linked_article_url(self, href: str, base: str) -> str | None:
        url = self._article_url(href, base)
        if url is None or (self.site_spec.article_path is None and not looks_like_article(url)):
            return None
        return url


def spider_class_for(site: Site) -> type[SiteSpider]:
    """A `SiteSpider` subclass for the outlet, named after it ("UnianSpider")."""
    class_name = "".join(part.title() for part in site.name.split("_")) + "Spider"
    return type(class_name, (SiteSpider,), {"site_spec": site, "__module__": __name__})
