"""`news`: the generic spider, for any news site, told where to look on the command line.

    scrapy crawl news -a feed=https://example.com/rss.xml
    scrapy crawl news -a sitemap=https://example.com/sitemap_index.xml -a deny=/video/
    scrapy crawl news -a start=https://example.com/ -a allow='/20\\d\\d/'

It discovers and fetches; the parser registry parses (a site parser when the domain
has one, the generic parser otherwise), and the usual pipelines store.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import scrapy
from scrapy.http import Response

from newscrawl.crawler.conditional import NOT_MODIFIED
from newscrawl.crawler.view_counters import CounterEndpoint, plain_count
from newscrawl.discovery.article_urls import looks_like_article, registered_domain
from newscrawl.discovery.sitemaps import is_sitemap
from newscrawl.parsing import parser_for
from newscrawl.parsing.urls import absolute_url
from spiders.arguments import regex_list, split_argument, unknown_argument_error
from spiders.registry import counter_spider_for
from spiders.sitemaps import SitemapNewsSiteSpider

__all__ = ["NewsSpider"]


class NewsSpider(SitemapNewsSiteSpider):
    """Any news site, from the feeds, sitemaps and start pages given as arguments.

    Arguments (each may be repeated or comma-separated):

    - ``feed=URL``: an RSS 2.0 or Atom feed.
    - ``sitemap=URL``: a sitemap, a sitemap index or a Google News sitemap.
    - ``start=URL``: a front or section page; its same-site links that look like
      articles (`looks_like_article`, or ``allow``) are fetched, and its
      ``rel="next"`` pages are followed until one shows only archived articles
      (the incremental stop) or ``max_pages`` is reached.
    - ``allow=REGEX``, ``deny=REGEX``: only article URLs matching an ``allow`` (if
      given) and no ``deny`` are fetched; searched in the whole URL.
    - ``base_url=URL``: fetch from a mirror. Absolute URLs of the site in the other
      arguments and in pages are fetched from the mirror and archived under the
      site's own URLs. Arguments given as paths (``feed=/rss.xml``) are on the
      mirror, and the archive then stores the mirror's own URLs.
    - ``max_pages=N``: start pages to follow per start, sitemaps to read per index.

    Any other ``-a`` name is refused with a ValueError.

    The crawl stays on the sites of the given URLs: their hosts and the other hosts
    of the same registered domain (``www.example.com`` and ``rss.example.com``).
    """

    name = "news"
    # The generic spider cannot tell a page's language from its URL: one pseudo-language.
    languages = ("any",)

    def __init__(
        self,
        *args: Any,
        feed: str | Sequence[str] | None = None,
        sitemap: str | Sequence[str] | None = None,
        start: str | Sequence[str] | None = None,
        allow: str | Sequence[str] | None = None,
        deny: str | Sequence[str] | None = None,
        base_url: str | None = None,
        languages: str | None = None,
        **kwargs: Any,
    ) -> None:
        # Before the other checks: "give at least one of -a feed=URL" would hide a typo.
        unknown = unknown_argument_error(type(self), kwargs)
        if unknown is not None:
            raise ValueError(unknown)
        if languages:
            raise ValueError("the news spider takes no languages argument: it reads every page")
        self.feed_urls = split_argument(feed)
        self.sitemap_urls = split_argument(sitemap)
        self.start_urls = split_argument(start)
        seeds = [*self.feed_urls, *self.sitemap_urls, *self.start_urls]
        if not seeds:
            raise ValueError("give at least one of -a feed=URL, -a sitemap=URL, -a start=URL")
        self.allow = regex_list(allow, "allow")
        self.deny = regex_list(deny, "deny")
        self.mirrored = bool(base_url)
        self.site_url = _site_url(seeds, base_url)
        super().__init__(*args, base_url=base_url, **kwargs)
        seed_hosts = {
            urlsplit(absolute_url(seed, self.site_url) or "").hostname or "" for seed in seeds
        }
        seed_hosts.add(urlsplit(self.site_url).hostname or "")
        if self.mirrored:
            seed_hosts.add(urlsplit(self.fetch_base).hostname or "")
        self.sites = frozenset(registered_domain(host) for host in seed_hosts if host)
        if not self.mirrored:
            # OffsiteMiddleware: the sites and their subdomains, nothing else.
            self.allowed_domains = sorted(self.sites)

    # --- discovery --------------------------------------------------------------

    def feed_locations(self) -> list[str]:
        return list(self.feed_urls)

    def sitemap_locations(self) -> Sequence[str]:
        return self.sitemap_urls

    def start_locations(self) -> list[str]:
        return list(self.start_urls)

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        """A feed's articles; a sitemap given as a feed is read as a sitemap."""
        if response.status == NOT_MODIFIED:
            yield from super().parse_feed(response)  # unchanged: nothing new there
        elif is_sitemap(response.body):
            yield from self.parse_sitemap(response)
        else:
            yield from super().parse_feed(response)

    # --- counters -----------------------------------------------------------------

    def counter_url(self, article_url: str, body: bytes) -> str | None:
        """The counter endpoint of the article's site, as that site's own spider declares it."""
        spider = self._site_spider(article_url)
        return spider.counter_url(article_url, body) if spider is not None else None

    def counted_views(self, counter_url: str, body: bytes) -> int | None:
        """The count in a counter's answer, read as the site's own spider reads it."""
        reader = getattr(self._site_spider(counter_url), "counted_views", None)
        return reader(counter_url, body) if reader is not None else plain_count(body)

    def _site_spider(self, url: str) -> CounterEndpoint | None:
        spider = counter_spider_for(self.settings, urlsplit(url).hostname or "")
        # The generic spider declares a counter itself, only to delegate here.
        if isinstance(spider, NewsSpider) or not isinstance(spider, CounterEndpoint):
            return None
        return spider

    # --- URLs -------------------------------------------------------------------

    def fetch_url_of(self, site_url: str) -> str:
        # Without a mirror every site is fetched where it is.
        return super().fetch_url_of(site_url) if self.mirrored else site_url

    def language_of(self, url: str) -> str:
        return self.languages[0]

    def _article_url(self, href: str, base: str | None = None) -> str | None:
        """The canonical site URL of a declared article (feed or sitemap entry), else None."""
        url = absolute_url(href, base or self.site_url)
        if url is None:
            return None
        url = self.site_url_of_fetch_url(url)
        if not self._on_site(url) or not self._allowed(url):
            return None
        return parser_for(url).canonical_url(url)

    def _linked_article_url(self, href: str, base: str) -> str | None:
        """The canonical URL of a start page's link if it looks like an article, else None."""
        url = self._article_url(href, base)
        if url is None or (not self.allow and not looks_like_article(url)):
            return None
        return url

    def _on_site(self, url: str) -> bool:
        host = (urlsplit(url).hostname or "").lower()
        return bool(host) and registered_domain(host) in self.sites

    def _allowed(self, url: str) -> bool:
        if any(pattern.search(url) for pattern in self.deny):
            return False
        return not self.allow or any(pattern.search(url) for pattern in self.allow)


def _site_url(seeds: Sequence[str], base_url: str | None) -> str:
    """The site whose URLs the archive stores: scheme and host, e.g. https://example.com."""
    mirror_host = urlsplit(base_url).hostname if base_url else None
    origins: list[str] = []
    for seed in seeds:
        parts = urlsplit(seed)
        if parts.scheme in ("http", "https") and parts.hostname:
            if parts.hostname != mirror_host:
                origins.append(urlunsplit((parts.scheme, parts.netloc, "", "", "")))
        elif not seed.startswith("/"):
            raise ValueError(f"{seed!r} is neither an http(s) URL nor a path")
        elif not base_url:
            raise ValueError(f"{seed!r} is a path: give full URLs, or base_url=URL")
    if base_url:
        sites = {registered_domain(urlsplit(o).hostname or "") for o in origins}
        if len(sites) > 1:
            raise ValueError(
                f"with base_url, every URL must be of one site; got {', '.join(sorted(sites))}"
            )
        # Only paths (or mirror URLs) given: the mirror is the site.
        return origins[0] if origins else base_url.rstrip("/")
    return origins[0]
