"""What the parsers of Ukrainian newsrooms share: Kyiv time and their editions' languages.

Not a parser itself (it claims no domain, so the registry passes it over); a site
parser for a Ukrainian newsroom subclasses it and overrides what its site does
differently.
"""

from __future__ import annotations

from datetime import tzinfo
from typing import ClassVar
from zoneinfo import ZoneInfo

from newscrawl.parsing.base import SiteParser


class UkrainianSiteParser(SiteParser):
    """A Ukrainian newsroom's pages: times shown in Kyiv, editions in uk, ru and en."""

    TIMEZONE: ClassVar[tzinfo] = ZoneInfo("Europe/Kyiv")
    LANGUAGES: ClassVar[tuple[str, ...]] = ("uk", "ru", "en")
    # The Ukrainian edition is the one without a language prefix in its URLs.
    DEFAULT_LANGUAGE: ClassVar[str | None] = "uk"
