"""`newscrawl sources check`: does an outlet's declaration still answer?

For one outlet, `check_outlet` fetches each feed and sitemap the declaration
names, counts the article URLs they list, and parses one sample article with
the parser the crawl would use. The result is an `OutletCheck`, which says
what answered and whether the entry is OK or BROKEN; printing it is the CLI's
business.

The fetching is deliberately plain and polite: urllib (no Scrapy reactor for a
handful of requests), one request at a time, the crawl's User-Agent, a
timeout, a cap on the bytes read, a delay between two requests to the outlet,
and robots.txt obeyed: a URL it disallows is reported, never fetched.
"""

from __future__ import annotations

import gzip
import io
import time
import urllib.error
import urllib.request
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from email.message import Message
from typing import Literal
from urllib.parse import urljoin, urlsplit
from urllib.robotparser import RobotFileParser

from newscrawl.discovery.feeds import read_feed
from newscrawl.discovery.sitemaps import read_sitemap
from newscrawl.errors import NewscrawlError
from newscrawl.parsing import article_of_html
from newscrawl.parsing.decoding import decoded_html
from newscrawl.sites.spec import Site

__all__ = [
    "MAX_BODY_BYTES",
    "Fetcher",
    "LocationCheck",
    "OutletCheck",
    "Response",
    "SampleCheck",
    "check_outlet",
]

# Feeds and sitemaps are at most a few MB; 20 MB is generous and still keeps a
# misconfigured URL (a video, an endless stream) from filling memory.
MAX_BODY_BYTES = 20 * 1024 * 1024
# The fields a sample article is expected to have; those it lacks are reported,
# and only a missing headline or body makes it "not parsed".
SAMPLE_FIELDS = ("headline", "body", "published_at", "summary", "authors", "language")
REQUIRED_FIELDS = ("headline", "body")
# The crawl's validate pipeline drops an article whose body is shorter than this
# (pipelines.validate.MIN_BODY_CHARS; tests/test_sources.py keeps the two equal),
# so a sample with a shorter body would never reach the archive either.
MIN_BODY_CHARS = 80

LocationKind = Literal["feed", "sitemap", "sitemap index", "sitemap (newest in index)"]


@dataclass(frozen=True)
class Response:
    """What one GET gave: the HTTP status and body, or the error that stopped it."""

    url: str
    status: int | None = None
    body: bytes = b""
    content_type: str | None = None
    # Why there is no usable body: "HTTP 404", "timed out", "too large", ...
    error: str | None = None

    @property
    def ok(self) -> bool:
        """Whether the request answered 2xx with a body that was read in full."""
        return self.error is None and self.status is not None and 200 <= self.status < 300

    @property
    def outcome(self) -> str:
        """The status as a person reads it: "200", "HTTP 404", "disallowed by robots.txt"."""
        return self.error if self.error is not None else str(self.status)


@dataclass(frozen=True)
class LocationCheck:
    """One feed or sitemap: how it answered and how many article URLs it listed."""

    kind: LocationKind
    response: Response
    article_urls: int = 0
    # Why it is not usable although it answered: "not a feed", "not a sitemap: ...".
    problem: str | None = None

    @property
    def ok(self) -> bool:
        """Whether it answered and read as what it was declared to be."""
        return self.response.ok and self.problem is None


@dataclass(frozen=True)
class SampleCheck:
    """The first listed article, fetched and parsed as the crawl would parse it."""

    response: Response
    headline: str | None = None
    # SAMPLE_FIELDS the parsed article lacks, in that order.
    missing: tuple[str, ...] = ()
    body_chars: int = 0
    # Why it could not be parsed at all (an undecodable page, a parser error).
    problem: str | None = None

    @property
    def parsed(self) -> bool:
        """Whether the page read as an article the crawl would keep: it has a headline
        and a body of at least `MIN_BODY_CHARS`."""
        return (
            self.response.ok
            and self.problem is None
            and not any(name in self.missing for name in REQUIRED_FIELDS)
            and self.body_chars >= MIN_BODY_CHARS
        )

    @property
    def not_an_article(self) -> str:
        """Why the page that answered is no article: "no headline", "a body of 12 characters"."""
        reasons = [f"no {name}" for name in REQUIRED_FIELDS if name in self.missing]
        if "body" not in self.missing and self.body_chars < MIN_BODY_CHARS:
            reasons.append(f"a body of {self.body_chars} characters, under {MIN_BODY_CHARS}")
        return ", ".join(reasons)


@dataclass(frozen=True)
class OutletCheck:
    """What checking one outlet found; `problems` empty means the entry works."""

    site: Site
    robots: Response | None
    locations: tuple[LocationCheck, ...]
    # The article URLs the feeds and sitemaps list, each once, in the order listed.
    article_urls: tuple[str, ...]
    sample: SampleCheck | None
    problems: tuple[str, ...] = field(default=())

    @property
    def ok(self) -> bool:
        return not self.problems

    @property
    def verdict(self) -> Literal["OK", "BROKEN"]:
        return "OK" if self.ok else "BROKEN"


class Fetcher:
    """Sequential, polite GETs: a User-Agent, a timeout, a size cap and a delay.

    `delay` seconds pass between the end of one request and the start of the
    next (the first request does not wait). robots.txt is read once per host,
    through the same fetcher, so it is delayed and capped like any request;
    `obey_robots=False` (an outlet's ROBOTSTXT_OBEY = false) neither reads nor obeys it.
    `sleep` and `clock` are parameters so tests need not wait.
    """

    def __init__(
        self,
        user_agent: str,
        *,
        timeout: float = 30.0,
        delay: float = 1.0,
        max_bytes: int = MAX_BODY_BYTES,
        obey_robots: bool = True,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.user_agent = user_agent
        self.timeout = timeout
        self.delay = delay
        self.max_bytes = max_bytes
        self.obey_robots = obey_robots
        self._sleep = sleep
        self._clock = clock
        self._last_request_end: float | None = None
        self._robots: dict[str, tuple[Response, RobotFileParser | None]] = {}

    def robots_of(self, url: str) -> tuple[Response, RobotFileParser | None]:
        """The robots.txt of the URL's scheme and host: its response, and its rules.

        The rules are None when there are none to obey: robots.txt missing (4xx)
        or not answering, which, as for Scrapy's crawls, allows everything. A
        401 or 403 answer is the exception and disallows everything.
        """
        parts = urlsplit(url)
        origin = f"{parts.scheme}://{parts.netloc}"
        if origin not in self._robots:
            response = self._get(f"{origin}/robots.txt")
            rules: RobotFileParser | None = None
            if response.status in (401, 403):
                rules = RobotFileParser()
                rules.parse(["User-agent: *", "Disallow: /"])
            elif response.ok:
                rules = RobotFileParser()
                rules.parse(decoded_html(response.body, response.content_type).splitlines())
            self._robots[origin] = (response, rules)
        return self._robots[origin]

    def get(self, url: str) -> Response:
        """GET `url` unless robots.txt disallows it; the response or why there is none."""
        if not self.obey_robots:
            return self._get(url)
        _, rules = self.robots_of(url)
        if rules is not None and not rules.can_fetch(self.user_agent, url):
            return Response(url, error="disallowed by robots.txt")
        return self._get(url)

    def _get(self, url: str) -> Response:
        self._wait_politely()
        request = urllib.request.Request(
            url,
            headers={"User-Agent": self.user_agent, "Accept-Encoding": "gzip"},
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as answer:
                return self._read(url, answer.status, answer.headers, answer)
        except urllib.error.HTTPError as exc:
            return Response(url, status=exc.code, error=f"HTTP {exc.code}")
        except urllib.error.URLError as exc:
            reason = exc.reason
            if isinstance(reason, TimeoutError):
                return Response(url, error="timed out")
            return Response(url, error=f"cannot connect: {reason}")
        except TimeoutError:
            return Response(url, error="timed out")
        except (OSError, ValueError) as exc:
            # A connection reset mid-body, a malformed URL or status line.
            return Response(url, error=f"failed: {exc}")
        finally:
            self._last_request_end = self._clock()

    def _wait_politely(self) -> None:
        if self._last_request_end is None or self.delay <= 0:
            return
        remaining = self._last_request_end + self.delay - self._clock()
        if remaining > 0:
            self._sleep(remaining)

    def _read(self, url: str, status: int, headers: Message, stream: io.BufferedIOBase) -> Response:
        # One byte more than the cap tells "exactly the cap" from "bigger".
        body = stream.read(self.max_bytes + 1)
        content_type = headers.get("Content-Type")
        if len(body) > self.max_bytes:
            return Response(url, status, content_type=content_type, error="too large")
        if (headers.get("Content-Encoding") or "").strip().lower() in ("gzip", "x-gzip"):
            try:
                body = _gunzipped(body, self.max_bytes)
            except _TooLarge:
                return Response(url, status, content_type=content_type, error="too large")
            except (OSError, EOFError, zlib.error) as exc:
                return Response(url, status, content_type=content_type, error=f"broken gzip: {exc}")
        return Response(url, status, body, content_type)


class _TooLarge(Exception):
    pass


def _gunzipped(body: bytes, max_bytes: int) -> bytes:
    """`body` decompressed, at most `max_bytes` of it; `_TooLarge` beyond that.

    Read in bounded steps: a small gzip body can expand to gigabytes.
    """
    with gzip.GzipFile(fileobj=io.BytesIO(body)) as stream:
        data = stream.read(max_bytes + 1)
    if len(data) > max_bytes:
        raise _TooLarge
    return data


def check_outlet(site: Site, fetcher: Fetcher, fetched_at: datetime) -> OutletCheck:
    """Check one outlet's feeds, sitemaps and one sample article through `fetcher`.

    Returns what was found; `problems` lists, in order, each reason the entry is
    BROKEN: a feed or sitemap that does not answer or does not read as one, no
    article URL listed at all, or a sample article that does not parse.
    `fetched_at` is the time the sample is parsed as fetched at.
    """
    robots = fetcher.robots_of(site.home)[0] if fetcher.obey_robots else None
    locations: list[LocationCheck] = []
    urls: list[str] = []
    problems: list[str] = []

    def listed(base: str, links: list[str]) -> int:
        """Adds the outlet's article URLs among `links` to `urls`; returns how many there were."""
        count = 0
        for link in links:
            url = urljoin(base, link.strip())
            if site.claims_host(urlsplit(url).hostname or "") and site.is_article_url(url):
                count += 1
                if url not in urls:
                    urls.append(url)
        return count

    for path in site.locations("feeds"):
        location = _feed_check(fetcher.get(urljoin(site.home, path)), listed)
        locations.append(location)
    for path in site.locations("sitemaps"):
        locations.extend(_sitemap_checks(fetcher, fetcher.get(urljoin(site.home, path)), listed))
    if not locations:
        problems.append("no feed or sitemap to check")
    for location in locations:
        if not location.ok:
            problems.append(
                f"{location.kind} {location.response.url}: "
                f"{location.problem or location.response.outcome}"
            )
    sample = None
    if urls:
        sample = _sample_check(fetcher.get(urls[0]), fetched_at)
        if not sample.parsed:
            reason = sample.problem or (
                sample.response.outcome
                if not sample.response.ok
                else f"not an article ({sample.not_an_article})"
            )
            problems.append(f"sample article {sample.response.url}: {reason}")
    elif locations:
        problems.append("no article URLs listed")
    return OutletCheck(site, robots, tuple(locations), tuple(urls), sample, tuple(problems))


def _feed_check(response: Response, listed: Callable[[str, list[str]], int]) -> LocationCheck:
    if not response.ok:
        return LocationCheck("feed", response)
    items = read_feed(response.body)
    if not items:
        # read_feed finds no items in an HTML page or an empty feed alike; either
        # way the declared URL gives the crawl nothing.
        return LocationCheck("feed", response, problem="not a feed, or a feed with no items")
    return LocationCheck("feed", response, listed(response.url, [i.link for i in items]))


def _sitemap_checks(
    fetcher: Fetcher, response: Response, listed: Callable[[str, list[str]], int]
) -> list[LocationCheck]:
    """The sitemap's check, and for a sitemap index that of its newest child as well."""
    if not response.ok:
        return [LocationCheck("sitemap", response)]
    try:
        sitemap = read_sitemap(response.body)
    except NewscrawlError as exc:
        return [LocationCheck("sitemap", response, problem=f"not a sitemap: {exc}")]
    if not sitemap.is_index:
        count = listed(response.url, [e.url for e in sitemap.entries])
        return [LocationCheck("sitemap", response, count)]
    if not sitemap.entries:
        return [LocationCheck("sitemap index", response, problem="it lists no sitemap")]
    # An index of a news site grows by one child per day or month; the newest
    # child is the one the crawl reads, and one is enough to see it answers.
    # Without lastmod, the first listed stands in for the newest.
    dated = [(e.lastmod, e) for e in sitemap.entries if e.lastmod is not None]
    newest = max(dated, key=lambda pair: pair[0])[1] if dated else sitemap.entries[0]
    child = fetcher.get(urljoin(response.url, newest.url))
    checks = [LocationCheck("sitemap index", response)]
    if not child.ok:
        checks.append(LocationCheck("sitemap (newest in index)", child))
        return checks
    try:
        child_map = read_sitemap(child.body)
    except NewscrawlError as exc:
        problem = f"not a sitemap: {exc}"
        checks.append(LocationCheck("sitemap (newest in index)", child, problem=problem))
        return checks
    if child_map.is_index:
        problem = "another sitemap index; only one level is read"
        checks.append(LocationCheck("sitemap (newest in index)", child, problem=problem))
        return checks
    count = listed(child.url, [e.url for e in child_map.entries])
    checks.append(LocationCheck("sitemap (newest in index)", child, count))
    return checks


def _sample_check(response: Response, fetched_at: datetime) -> SampleCheck:
    if not response.ok:
        return SampleCheck(response)
    try:
        html = decoded_html(response.body, response.content_type)
        article = article_of_html(html, response.url, fetched_at)
    except NewscrawlError as exc:
        return SampleCheck(response, problem=f"cannot be parsed: {exc}")
    missing = tuple(name for name in SAMPLE_FIELDS if not getattr(article, name))
    return SampleCheck(response, article.headline, missing, len(article.body or ""))
