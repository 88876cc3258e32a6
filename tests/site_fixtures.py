"""Per-site fixture pages and what they were "fetched" as: tests/fixtures/<site>/cases.toml.

Each site folder of tests/fixtures that a registered outlet has holds its
hand-written pages (``<fixture>.html``), their goldens
(``golden/v<parser VERSION>/<fixture>.json``) and ``cases.toml``, which gives every
page the URL it was fetched from and the fetch time (relative dates on the page
resolve against it)::

    [news_uk]
    url = "https://www.pravda.com.ua/news/2025/02/05/7497001/"
    fetched_at = 2025-02-05T12:00:00Z

The file is data, not code, so a new site's fixtures need no test code: the
parametrized tests of tests/test_sites.py find them, and the site's own parser
tests read the same cases here.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path

__all__ = [
    "FIXTURES",
    "REGENERATE_GOLDEN",
    "Case",
    "cases_of",
    "fixture_folder",
    "fixture_pages",
    "site_cases",
]

FIXTURES = Path(__file__).parent / "fixtures"
CASES_FILE = "cases.toml"
# One switch for every site's goldens:
#     NEWSCRAWL_REGEN_GOLDEN=1 python -m pytest tests/test_sites.py -k golden
# tests/conftest.py keeps this one variable when it clears NEWSCRAWL_* from the
# test process (it configures the tests, not newscrawl).
REGENERATE_GOLDEN = os.environ.get("NEWSCRAWL_REGEN_GOLDEN") == "1"
_CASE_KEYS = frozenset({"url", "fetched_at"})


@dataclass(frozen=True)
class Case:
    """One fixture page: its file, the URL it was fetched from and when."""

    site: str
    name: str
    url: str
    fetched_at: datetime

    @property
    def path(self) -> Path:
        return fixture_folder(self.site) / f"{self.name}.html"

    def html(self) -> str:
        return self.path.read_text(encoding="utf-8")


def fixture_folder(site: str) -> Path:
    """The fixture folder of a site, by its registry name."""
    return FIXTURES / site


def fixture_pages(site: str) -> set[str]:
    """The names of the site's *.html fixture pages (without the suffix)."""
    return {path.stem for path in fixture_folder(site).glob("*.html")}


@cache
def site_cases(site: str) -> dict[str, Case]:
    """The cases of a site's cases.toml, by fixture name; {} when it has none.

    Raises ValueError for an entry that is not a url and an aware fetched_at.
    """
    path = fixture_folder(site) / CASES_FILE
    if not path.exists():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    cases: dict[str, Case] = {}
    for name, entry in data.items():
        if not isinstance(entry, dict) or set(entry) != _CASE_KEYS:
            raise ValueError(f"{path}: [{name}] must have exactly url and fetched_at")
        url, fetched_at = entry["url"], entry["fetched_at"]
        if not isinstance(url, str) or "://" not in url:
            raise ValueError(f"{path}: [{name}] url must be an absolute URL, got {url!r}")
        if not isinstance(fetched_at, datetime) or fetched_at.utcoffset() is None:
            raise ValueError(
                f"{path}: [{name}] fetched_at must be a date-time with an offset "
                f"(2025-02-05T12:00:00Z), got {fetched_at!r}"
            )
        cases[name] = Case(site, name, url, fetched_at)
    return cases


def cases_of(site: str) -> dict[str, tuple[str, datetime]]:
    """The site's cases as (URL, fetch time) by fixture name: the parser tests' CASES."""
    return {name: (case.url, case.fetched_at) for name, case in site_cases(site).items()}
