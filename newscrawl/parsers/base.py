"""The contract every site parser fulfils.

A site parser is one small file in this package holding one `SiteParser`
subclass. The registry (`newscrawl.parsers`) finds it by `DOMAINS`; nothing
else needs to change to add a site.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from datetime import datetime, tzinfo
from typing import ClassVar

from newscrawl.items import Article
from newscrawl.parsers.links import canonical_url


class SiteParser(ABC):
    """Turns one fetched page of a site into an `Article`.

    `parse` is a pure function of its arguments: no network, no database, no
    wall clock. Relative dates resolve against `fetched_at`, so re-parsing an
    archived page gives the same answer years later.
    """

    # Domains this parser handles; subdomains match too ("unn.ua" covers "www.unn.ua").
    DOMAINS: ClassVar[tuple[str, ...]] = ()
    # Bump when a change alters the output for the same page; golden fixtures are per version.
    VERSION: ClassVar[str] = "1"
    # The zone the site shows its times in. Dates from elsewhere (a feed's UTC
    # pubDate) are converted to it, so one site's published_at share one offset.
    # None keeps whatever offset the date came with.
    TIMEZONE: ClassVar[tzinfo | None] = None

    @abstractmethod
    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        """The article on the page. Missing fields stay empty; it never raises for thin pages."""

    def local_time(self, moment: datetime) -> datetime:
        """The moment in the site's time zone (unchanged when the site has none)."""
        return moment.astimezone(self.TIMEZONE) if self.TIMEZONE else moment

    def canonical_url(self, url: str) -> str:
        """The URL this page is archived under: AMP copies and tracking parameters removed."""
        return canonical_url(url)
