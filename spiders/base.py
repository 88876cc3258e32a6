"""`NewsSiteSpider`: the shared spider for news sites found through feeds and paged listings.

A site spider is a subclass that only declares where things are: the site's
URL and languages, its feeds and listings, what an article URL looks like and
how a listing marks its article cards. Parsing articles is not a spider's job:
it yields one `Page` per fetched article and the pipelines do the rest.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import scrapy
from parsel import Selector
from scrapy.exceptions import (
    CannotResolveHostError,
    DownloadCancelledError,
    DownloadConnectionRefusedError,
    DownloadTimeoutError,
    IgnoreRequest,
    ResponseDataLossError,
)
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError
from twisted.internet import defer
from twisted.internet import error as twisted_errors
from twisted.python.failure import Failure

from newscrawl.archive import Archive
from newscrawl.archive.queries import Validators
from newscrawl.crawler.conditional import (
    CONDITIONAL_META,
    NOT_MODIFIED,
    VALIDATORS_META,
    conditional_meta,
)
from newscrawl.discovery.feeds import read_feed
from newscrawl.discovery.listings import card_views, class_prefix_xpath, structural_cards
from newscrawl.errors import ArchiveError
from newscrawl.items import CardViews, Page
from newscrawl.parsing import parser_for
from newscrawl.parsing.urls import absolute_url, site_of
from newscrawl.runs.clock import current_time
from newscrawl.runs.revisits import revisit_schedule
from newscrawl.runs.verdict import ARTICLE_FETCH_FAILED_STAT
from pipelines.shared_archive import acquire_archive, archive_failure, release_archive
from spiders.arguments import positive_int_or_none, selected_languages

__all__ = ["NewsSiteSpider"]

FETCH_FAILED_STAT = "newscrawl/fetch_failed"
# Article pages fetched (new articles and revisits): with none archived, a layout change.
ARTICLE_PAGES_STAT = "newscrawl/article_pages"
REVISITS_STAT = "newscrawl/runs/revisits"
# request.meta key of an article request: the site URL of the discovery page
# (feed, sitemap, listing, start page) whose response asked for it.
FOUND_ON_META = "newscrawl_found_on"


class NewsSiteSpider(scrapy.Spider):
    """Discovers articles through RSS/Atom feeds and paged listings, and yields `Page` items.

    Spider arguments (``scrapy crawl <name> -a key=value``):

    - ``base_url``: fetch everything from this address instead of the site,
      e.g. ``-a base_url=http://127.0.0.1:8000`` for a local mirror
      (`newscrawl.testing.mirror`). Absolute links to the site are rewritten to it,
      while the URLs handed on (``Page.url``) stay the site's own
      (``https://unn.ua/...``), so the archive never stores a mirror address.
    - ``languages``: a comma-separated subset of `languages`, e.g.
      ``-a languages=uk,en``. Feeds, listings and article links of other
      languages are skipped.
    - ``max_pages``: how many pages of each listing to read at most, e.g.
      ``-a max_pages=3`` reads ``?page=1`` to ``?page=3``. Without it a listing
      is read until a page shows no article cards, shows only articles the
      archive already holds (the incremental stop), or shows only articles its
      earlier pages showed.

    A listing's cards are found by `card_class_prefixes`. When none matches (the
    site was redesigned and renamed its classes), they are found by structure:
    the links that match `article_path` in the listing's main content, outside
    its menus, header, footer and sidebars (`structural_cards`).

    A run fetches only articles the archive does not hold yet, plus those
    that the age-based revisit schedule (setting ``NEWSCRAWL_REVISITS``, see
    `newscrawl.runs.revisits`) makes due: recent articles are fetched again to
    record how their view count grows. A view count shown on a listing card is
    recorded too (a `CardViews` item), at no extra request. The setting
    ``NEWSCRAWL_NOW`` fixes the crawl's clock, for tests.

    A site is not added here but declared as a `Site` (`newscrawl.sites`), which
    `SiteSpider` (`spiders.site`) turns into these class attributes. Start pages
    (`start_locations`) are read by `parse_start`: their links that are articles
    are fetched, and their ``rel="next"`` pages followed.
    """

    # The site's scheme and host, as stored in the archive: "https://unn.ua". A site
    # spider sets it on the class; the generic spider, told its site by arguments, per
    # instance.
    site_url: str = ""
    # The hosts OffsiteMiddleware lets through (with their subdomains); none: any host.
    # A site spider names its site's domain; base_url replaces it with the mirror's host.
    allowed_domains: Sequence[str] = ()
    # The site's languages; the first is the default, served without a path prefix.
    languages: ClassVar[tuple[str, ...]] = ()
    # Feed paths (RSS 2.0 or Atom) per language: {"uk": ("/rss/news_uk.xml",)}.
    feeds: ClassVar[Mapping[str, Sequence[str]]] = {}
    # Listing paths per language, paged with ?<page_param>=N: {"en": ("/en/news",)}.
    listings: ClassVar[Mapping[str, Sequence[str]]] = {}
    page_param: ClassVar[str] = "page"
    # Matches the path of an article page (query string excluded).
    article_path: ClassVar[re.Pattern[str]] = re.compile(r"(?!)")
    # Class-name prefixes of a listing's article cards (the element or its <a>).
    card_class_prefixes: ClassVar[tuple[str, ...]] = ()
    # Where to look for the cards by structure when no card class matches: the first
    # of these that matches.
    main_content_xpaths: ClassVar[tuple[str, ...]] = ("//main", "//body")

    def __init__(
        self,
        *args: Any,
        base_url: str | None = None,
        languages: str | None = None,
        max_pages: str | int | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if not self.site_url or not self.languages:
            raise ValueError(f"{type(self).__name__} must set site_url and languages")
        self.fetch_base = (base_url or self.site_url).rstrip("/")
        self.selected_languages = selected_languages(languages, self.languages)
        self.max_pages = positive_int_or_none(max_pages, "max_pages")
        fetch_host = urlsplit(self.fetch_base).hostname
        if base_url and fetch_host:
            # OffsiteMiddleware must let the mirror through; its host is the only one crawled.
            self.allowed_domains = [fetch_host]
        self._site_hosts = _host_variants(urlsplit(self.site_url).hostname or "")
        self._archive: Archive | None = None
        # Whether each canonical URL was archived when this crawl first saw it.
        # When each canonical URL was first archived (None: not archived), asked once,
        # before this crawl fetches it: asking later would count the crawl's own
        # writes and stop paging early on a first crawl.
        self._first_seen: dict[str, datetime | None] = {}
        # Feed dates and titles by canonical URL, whichever request ends up fetching
        # the page.
        self._feed_dates: dict[str, datetime] = {}
        self._feed_titles: dict[str, str] = {}
        # Canonical URLs of the articles this crawl has asked for, from any source.
        self._requested: set[str] = set()
        # The articles each listing's pages have shown in this walk, by listing path.
        self._listed: dict[str, set[str]] = {}
        # When an earlier walk of the site that never finished began (None: the last
        # one finished). Its articles may leave gaps below them, see _settled_among.
        self._unfinished_since: datetime | None = None
        self._walk_marked = False
        # The validators of the discovery pages this walk read (None: forget the
        # page's), stored when the walk finishes; see newscrawl.crawler.conditional.
        self._validators: dict[str, Validators | None] = {}
        # The article URLs each discovery page listed, by the page's site URL: its
        # validators are kept only if every one of them is archived when the walk ends.
        self._listed_on: dict[str, set[str]] = {}

    # --- discovery --------------------------------------------------------------

    async def start(self) -> AsyncIterator[scrapy.Request]:
        # The pipelines' own archive: a walk mark written through a second connection
        # would wait on the store's open batch, which cannot commit while this
        # reactor thread waits.
        self._archive = acquire_archive(self.crawler)
        self._unfinished_since = self._unfinished_walk_start()
        state = getattr(self, "state", None)
        if state is not None:
            # With a JOBDIR (newscrawl crawl --resume) Scrapy persists spider.state,
            # so feed dates and titles survive for the article requests still queued.
            self._feed_dates = state.setdefault("feed_dates", self._feed_dates)
            self._feed_titles = state.setdefault("feed_titles", self._feed_titles)
        for path in self.feed_locations():
            # Feeds first: their dates must be known before the articles arrive.
            yield self._request(path, self.parse_feed, priority=20, conditional=True)
        for path in self.listing_locations():
            yield self._request(
                path,
                self.parse_listing,
                priority=10,
                cb_kwargs={"listing": path, "page": 1},
                conditional=True,
            )
        for url in self.start_locations():
            yield self._request(
                url,
                self.parse_start,
                priority=10,
                cb_kwargs={"start": url, "page": 1},
                conditional=True,
            )
        for url in self._due_revisits():
            self._requested.add(url)
            self.crawler.stats.inc_value(REVISITS_STAT)
            yield self._request(url, self.parse_article)

    def feed_locations(self) -> list[str]:
        """The feeds to read: paths on the site or absolute URLs."""
        return [path for lang in self.selected_languages for path in self.feeds.get(lang, ())]

    def listing_locations(self) -> list[str]:
        """The paged listings to walk."""
        return [path for lang in self.selected_languages for path in self.listings.get(lang, ())]

    def start_locations(self) -> list[str]:
        """The front and section pages whose article links to fetch."""
        return []

    def _due_revisits(self) -> list[str]:
        """Archived articles of the selected languages that the revisit schedule makes due."""
        schedule = revisit_schedule(self.settings.get("NEWSCRAWL_REVISITS"))
        if self._archive is None or not schedule:
            return []
        due = self._archive.urls_due_for_revisit(self.site, self._now(), schedule)
        due = [url for url in due if self.language_of(url) in self.selected_languages]
        limit = self.settings.getint("NEWSCRAWL_MAX_REVISITS")
        if 0 < limit < len(due):
            # Youngest first: their counts move fastest; the rest stay due.
            self.logger.info(
                "%d archived articles are due for a revisit; revisiting the %d youngest "
                "(NEWSCRAWL_MAX_REVISITS)",
                len(due),
                limit,
            )
            return due[:limit]
        self.logger.info("%d archived articles are due for a revisit", len(due))
        return due

    def parse_feed(self, response: Response) -> Iterable[scrapy.Request]:
        """Article requests for the feed's items; each item's date and title travel with it.

        None for a feed unchanged since the last finished walk (a 304).
        """
        where = f"feed {self.site_url_of(response)}"
        if self._unchanged(response, where):
            return
        found_on = self._keep_validators(response)
        items = read_feed(response.body)
        found = self._declared_article_urls((i.link, i.published_at, i.title) for i in items)
        self.logger.info("%s: %d articles", where, len(found))
        yield from self._article_requests(found, found_on)

    def parse_listing(
        self, response: Response, listing: str, page: int
    ) -> Iterable[scrapy.Request | CardViews]:
        """Requests for the page's new articles, its cards' view counts, and the next page.

        A page unchanged since the last finished walk (a 304) ends the listing: the
        walk read it and everything below it then.
        """
        where = f"listing {listing} page {page}"
        if self._unchanged(response, where, "stopping this listing"):
            return
        found_on = self._keep_validators(response)
        cards = self._cards(response)
        if not cards:
            self.logger.info("%s has no article cards: end of the listing", where)
            return
        urls = list(cards)
        seen_on = self.site_url_of(response)
        observed_at = self._now()
        for url, views in cards.items():
            if views is not None:
                yield CardViews(url=url, views=views, observed_at=observed_at, seen_on=seen_on)
        settled = self._settled_among(urls)
        listed = self._listed.setdefault(listing, set())
        shown_before = listed.issuperset(urls)
        listed.update(urls)
        yield from self._article_requests(urls, found_on)
        if len(settled) == len(urls):
            self.logger.info(
                "%s shows only articles already archived (%d): stopping this listing "
                "(incremental crawl)",
                where,
                len(urls),
            )
        elif shown_before:
            # A site that answers every page number past the end with its last page,
            # or a block of links repeated on pages without cards: nothing more to find.
            self.logger.info(
                "%s shows only articles its earlier pages showed: end of the listing", where
            )
        elif self.max_pages is not None and page >= self.max_pages:
            self.logger.info("%s: max_pages=%d reached, stopping this listing", where, page)
        else:
            yield self._request(
                _with_query(listing, self.page_param, str(page + 1)),
                self.parse_listing,
                priority=10,
                cb_kwargs={"listing": listing, "page": page + 1},
                conditional=True,
            )

    def parse_start(self, response: Response, start: str, page: int) -> Iterable[scrapy.Request]:
        """Requests for a start page's article links, and for its next page unless paging stops.

        None for a page unchanged since the last finished walk (a 304), whose next
        page is not followed either.
        """
        where = f"start page {self.site_url_of(response)}"
        if self._unchanged(response, where, "not following its next page"):
            return
        found_on = self._keep_validators(response)
        if not isinstance(response, TextResponse):
            self.logger.warning("%s is not a page (%s)", where, type(response).__name__)
            return
        base = self.site_url_of(response)
        urls = list(
            dict.fromkeys(
                url
                for href in response.xpath("//a/@href").getall()
                if (url := self._linked_article_url(href, base)) is not None
            )
        )
        if not urls:
            self.logger.info("%s links no articles", where)
            return
        archived = self._archived_among(urls)
        self.logger.info("%s: %d articles, %d archived", where, len(urls), len(archived))
        yield from self._article_requests(urls, found_on)
        next_href = response.xpath(
            "//link[contains(concat(' ', @rel, ' '), ' next ')]/@href"
            " | //a[contains(concat(' ', @rel, ' '), ' next ')]/@href"
        ).get()
        next_url = absolute_url(next_href, base) if next_href else None
        if next_url is None or not self._on_site(next_url):
            return
        if len(self._settled_among(urls)) == len(urls):
            self.logger.info(
                "%s shows only articles already archived: not following its next page "
                "(incremental crawl)",
                where,
            )
        elif self.max_pages is not None and page >= self.max_pages:
            self.logger.info("%s: max_pages=%d reached, stopping", where, page)
        else:
            yield self._request(
                next_url,
                self.parse_start,
                priority=10,
                cb_kwargs={"start": start, "page": page + 1},
                conditional=True,
            )

    def parse_article(self, response: Response) -> Iterable[Page]:
        """The fetched page, handed on unparsed under its site URL."""
        url = self.site_url_of(response)
        canonical = parser_for(url).canonical_url(url)
        content_type = response.headers.get("Content-Type")
        self.crawler.stats.inc_value(ARTICLE_PAGES_STAT)
        yield Page(
            url=url,
            body=response.body,
            fetched_at=self._now(),
            content_type=content_type.decode("latin-1") if content_type else None,
            status=response.status,
            feed_published_at=self._feed_dates.get(canonical),
            feed_title=self._feed_titles.get(canonical),
        )

    # --- errors -----------------------------------------------------------------

    def log_fetch_failure(self, failure: Failure) -> None:
        """Errback: one clear line per request that failed for good (after retries)."""
        request = getattr(failure, "request", None)
        url = self.site_url_of_fetch_url(request.url) if request is not None else "?"
        kind, reason = _failure_reason(failure)
        found_on = request.meta.get(FOUND_ON_META) if request is not None else None
        if isinstance(found_on, str):
            # The page that listed this article must be read whole next time, or
            # its 304 would hide the article from every later run.
            self._validators[found_on] = None
        self.crawler.stats.inc_value(FETCH_FAILED_STAT)
        self.crawler.stats.inc_value(f"{FETCH_FAILED_STAT}/{kind}")
        if request is not None and request.callback == self.parse_article:
            # Counted apart, so that a site whose every article is gone (404) is told.
            self.crawler.stats.inc_value(f"{ARTICLE_FETCH_FAILED_STAT}/{kind}")
        self.logger.warning("fetch failed: %s (%s)", url, reason)

    # --- URLs -------------------------------------------------------------------

    def site_url_of(self, response: Response) -> str:
        """The site URL of a response, whether it came from the site or the mirror."""
        return self.site_url_of_fetch_url(response.url)

    def site_url_of_fetch_url(self, url: str) -> str:
        if self.fetch_base != self.site_url and url.startswith(self.fetch_base):
            return self.site_url + url[len(self.fetch_base) :]
        return url

    def fetch_url_of(self, site_url: str) -> str:
        """Where to fetch a site URL: on the mirror when base_url is given."""
        parts = urlsplit(site_url)
        if self._is_site_host(parts.hostname or ""):
            return self.fetch_base + urlunsplit(("", "", parts.path or "/", parts.query, ""))
        return site_url

    def language_of(self, url: str) -> str:
        """The language of a site URL: its first path segment if that is a language."""
        first = urlsplit(url).path.lstrip("/").split("/", 1)[0]
        return first if first in self.languages[1:] else self.languages[0]

    def _article_url(self, href: str, base: str | None = None) -> str | None:
        """The canonical site URL of an article link in a selected language, else None."""
        url = absolute_url(href, base or self.site_url)
        if url is None:
            return None
        url = self.site_url_of_fetch_url(url)
        parts = urlsplit(url)
        if not self._is_site_host(parts.hostname or ""):
            return None
        if not self.article_path.search(parts.path):
            return None
        if self.language_of(url) not in self.selected_languages:
            return None
        return parser_for(url).canonical_url(url)

    def _linked_article_url(self, href: str, base: str) -> str | None:
        """The canonical URL of a start page's link if it is an article, else None."""
        return self._article_url(href, base)

    def _is_site_host(self, host: str) -> bool:
        """Whether pages on `host` are the site's (and so fetched from the mirror)."""
        return host.lower() in self._site_hosts

    def _on_site(self, url: str) -> bool:
        return self._is_site_host(urlsplit(url).hostname or "")

    def _declared_article_urls(
        self,
        declared: Iterable[tuple[str, datetime | None, str | None]],
        base: str | None = None,
    ) -> list[str]:
        """The canonical URLs of the articles a feed or sitemap lists, as (link, date, title).

        Each article's date and title are kept for its page, which may show neither.
        """
        urls: list[str] = []
        for href, published_at, title in declared:
            url = self._article_url(href, base)
            if url is None:
                continue
            if published_at is not None:
                self._feed_dates.setdefault(url, published_at)
            if title:
                self._feed_titles.setdefault(url, title)
            urls.append(url)
        return urls

    def _cards(self, response: Response) -> dict[str, int | None]:
        """The listing page's article URLs, in order, each with the view count its card shows."""
        base = self.site_url_of(response)

        def article_url(href: str) -> str | None:
            return self._article_url(href, base)

        found: list[tuple[str | None, int | None]] = []
        for prefix in self.card_class_prefixes:
            for card in response.xpath(class_prefix_xpath(prefix)):
                href = card.xpath("@href").get() or card.xpath(".//a/@href").get()
                if href:
                    found.append((article_url(href), card_views(card)))
        if not found:
            # The site renamed its card component (a redesign): the article links of
            # the listing's main content, found by structure, are the cards.
            content = self._main_content(response)
            if content is not None:
                found = [
                    (url, card_views(card)) for url, card in structural_cards(content, article_url)
                ]
        cards: dict[str, int | None] = {}
        for url, views in found:
            if url is not None and cards.get(url) is None:
                cards[url] = views
        return cards

    def _main_content(self, response: Response) -> Selector | None:
        """The listing's main content: the first of `main_content_xpaths` that matches."""
        for xpath in self.main_content_xpaths:
            match = response.xpath(xpath)
            if match:
                return match[0]
        return None

    def _archived_among(self, urls: Sequence[str]) -> set[str]:
        """Those canonical URLs that were archived before this crawl first saw them."""
        return {url for url, seen in self._first_seen_of(urls).items() if seen is not None}

    def _first_seen_of(self, urls: Sequence[str]) -> dict[str, datetime | None]:
        """When each URL was first archived, as the archive said when this crawl first asked."""
        unseen = [url for url in urls if url not in self._first_seen]
        if unseen:
            times = self._archive.first_seen_times(unseen) if self._archive else {}
            self._first_seen.update((url, times.get(url)) for url in unseen)
        return {url: self._first_seen[url] for url in urls}

    # --- requests ---------------------------------------------------------------

    def _article_requests(
        self, urls: Sequence[str], found_on: str | None = None
    ) -> Iterable[scrapy.Request]:
        """Requests for those of `urls` that are neither archived nor asked for already.

        Archived articles are fetched again only when the revisit schedule says so.
        `found_on` is the site URL of the discovery page that lists them, whose kept
        validators a failed fetch forgets.
        """
        archived = self._archived_among(urls)  # remember what was archived before fetching
        if found_on is not None:
            self._listed_on.setdefault(found_on, set()).update(urls)
        for url in urls:
            if url not in archived and url not in self._requested:
                self._mark_walk_unfinished()
                self._requested.add(url)
                yield self._request(url, self.parse_article, found_on=found_on)

    def _now(self) -> datetime:
        return current_time(self.settings.get("NEWSCRAWL_NOW"))

    def _request(
        self,
        path_or_url: str,
        callback: Any,
        *,
        priority: int = 0,
        cb_kwargs: dict[str, Any] | None = None,
        errback: Any = None,
        dont_filter: bool = False,
        conditional: bool = False,
        found_on: str | None = None,
        meta: dict[str, Any] | None = None,
    ) -> scrapy.Request:
        """A request for a site path or URL, fetched from the mirror when there is one.

        `conditional` marks a discovery request: it carries the page's kept
        validators and lets a 304 through (`newscrawl.crawler.conditional`). An
        article request is never conditional: a revisit must fetch the page.
        """
        site_url = path_or_url if "://" in path_or_url else self.site_url + path_or_url
        request_meta: dict[str, Any] = {**(meta or {})}
        if conditional:
            request_meta.update(conditional_meta(site_url))
        if found_on is not None:
            request_meta[FOUND_ON_META] = found_on
        return scrapy.Request(
            self.fetch_url_of(site_url),
            callback=callback,
            errback=errback or self.log_fetch_failure,
            priority=priority,
            cb_kwargs=cb_kwargs or {},
            meta=request_meta,
            dont_filter=dont_filter,
        )

    def _unchanged(self, response: Response, where: str, then: str = "nothing new there") -> bool:
        """Whether `response` is a 304: the page is as the last finished walk read it."""
        if response.status != NOT_MODIFIED:
            return False
        self.logger.info("%s is unchanged since the last run (304): %s", where, then)
        return True

    def _keep_validators(self, response: Response) -> str | None:
        """Note a discovery page's new validators, to store when the walk finishes.

        Returns the page's site URL as its validators are kept (None: the request
        was not conditional).
        """
        # Not response.meta: it raises for a response built without its request.
        meta = response.request.meta if response.request is not None else {}
        url = meta.get(CONDITIONAL_META)
        if not isinstance(url, str):
            return None
        if VALIDATORS_META in meta:
            self._validators[url] = meta[VALIDATORS_META]
        return url

    def closed(self, reason: str) -> None:
        if self._archive is not None:
            # A walk whose last articles could not be stored has left a gap.
            if reason == "finished" and archive_failure(self.crawler) is None:
                self._note_walk_finished()
            self._archive = None
            release_archive(self.crawler)

    # --- the walk's progress ----------------------------------------------------
    #
    # The incremental stop (a listing page showing only archived articles ends the
    # listing) holds because a finished walk leaves no gaps: every article older
    # than the newest archived one is archived too. A walk that was killed or stopped
    # early can leave gaps: it may have archived a whole later listing page but not
    # the one after it. So each walk is marked unfinished in the archive until it
    # finishes, and while an earlier one is unfinished only articles archived before
    # it began count for the stop.

    @property
    def site(self) -> str:
        """The `articles.site` of this spider's articles, e.g. "unn.ua"."""
        return site_of(self.site_url)

    def _unfinished_walk_start(self) -> datetime | None:
        """When an earlier walk of this site that did not finish began, if one did not."""
        assert self._archive is not None
        began = self._archive.unfinished_crawl_start(self.name, self.site)
        if began is not None:
            self.logger.info(
                "the walk of %s begun at %s did not finish: listings go on past the "
                "articles archived since then",
                self.site,
                began.isoformat(),
            )
        return began

    def _mark_walk_unfinished(self) -> None:
        """Mark this walk unfinished before its first article request, once.

        Not at the start: a run that never requests an article (refused by the
        archive's lock, or stopped at once) leaves no gaps, and must leave no mark.
        """
        if self._walk_marked or self._archive is None:
            return
        self._walk_marked = True
        try:
            self._archive.note_crawl_started(self.name, self.site, self._now())
        except ArchiveError as exc:
            # The store pipeline reports an archive it cannot write, and stops the crawl.
            self.logger.warning("could not mark this walk as begun: %s", exc)

    def _note_walk_finished(self) -> None:
        """Clear the walk's mark and keep its pages' validators, in one transaction.

        Validators are kept only here: a page read by a walk that lost articles
        (killed, or its archive failing) must be read whole again, and a 304 would
        hide what it lists.
        """
        assert self._archive is not None
        try:
            validators = self._validators_to_keep()
            with self._archive.batch():
                if validators:
                    self._archive.record_validators(validators, self._now())
                self._archive.note_crawl_finished(self.name, self.site)
        except ArchiveError as exc:
            self.logger.warning("could not mark this walk as finished: %s", exc)

    def _validators_to_keep(self) -> dict[str, Validators | None]:
        """The validators this finished walk may keep: None for a page that listed an
        article the archive still lacks (its fetch failed, or the page was dropped).

        A walk held back by ``max_pages`` or ``languages`` keeps none: it did not read
        everything its pages list, and a 304 next time would hide the rest from a
        full walk.
        """
        if self.max_pages is not None or set(self.selected_languages) != set(self.languages):
            return {}
        assert self._archive is not None
        listed = sorted(set().union(*self._listed_on.values())) if self._listed_on else []
        archived = {url for url, seen in self._archive.first_seen_times(listed).items() if seen}
        return {
            url: kept if self._listed_on.get(url, set()) <= archived else None
            for url, kept in self._validators.items()
        }

    def _settled_among(self, urls: Sequence[str]) -> set[str]:
        """Those of `urls` that prove everything older is archived: what a stop needs.

        After finished walks, every archived article does. While an earlier walk is
        unfinished, only those archived before it began.
        """
        since = self._unfinished_since
        return {
            url
            for url, seen in self._first_seen_of(urls).items()
            if seen is not None and (since is None or seen < since)
        }


def _host_variants(host: str) -> frozenset[str]:
    bare = host.lower().removeprefix("www.")
    return frozenset({bare, f"www.{bare}"})


def _with_query(path: str, key: str, value: str) -> str:
    """`path` with query parameter `key` set to `value`, the other parameters kept."""
    parts = urlsplit(path)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != key]
    query.append((key, value))
    return urlunsplit(("", "", parts.path, urlencode(query), ""))


def _failure_reason(failure: Failure) -> tuple[str, str]:
    """A stats key and a one-line human reason for a failed request."""
    # isinstance on the exception, as Failure.check tests its type, but typed.
    error = failure.value
    if isinstance(error, HttpError):
        status = error.response.status
        return f"http_{status}", f"HTTP {status}"
    if isinstance(error, ResponseDataLossError | twisted_errors.ConnectionLost):
        return "data_loss", "the connection closed before the whole page arrived (data loss)"
    if isinstance(error, DownloadTimeoutError | twisted_errors.TimeoutError):
        return "timeout", "timed out"
    if _over_max_size(error):
        return "too_large", "larger than DOWNLOAD_MAXSIZE (after decompression too)"
    if isinstance(error, CannotResolveHostError | twisted_errors.DNSLookupError):
        return "dns", "DNS lookup failed"
    if isinstance(error, DownloadConnectionRefusedError | twisted_errors.ConnectionRefusedError):
        return "connection_refused", "connection refused"
    return "other", f"{type(error).__name__}: {failure.getErrorMessage()}"


def _over_max_size(error: BaseException | None) -> bool:
    """Whether Scrapy gave up on a response for being larger than DOWNLOAD_MAXSIZE."""
    # Scrapy has no exception of its own for it. The download handler cancels a
    # body announced too large (DownloadCancelledError) or growing too large while
    # it streams (Twisted's CancelledError, the only cancel it makes);
    # HttpCompressionMiddleware ignores a body that inflates past it.
    if isinstance(error, defer.CancelledError):
        return True
    if isinstance(error, DownloadCancelledError):
        return "max size" in str(error)
    return isinstance(error, IgnoreRequest) and "DOWNLOAD_MAXSIZE" in str(error)
