"""ISO 8601 text to aware datetimes and back: the one reading every module shares.

Python 3.11's `datetime.fromisoformat` reads the whole ISO 8601 profile that
feeds, sitemaps, JSON-LD and our own columns use ("Z", a space for "T",
offsets with or without a colon). What differs between callers is only what a
time without an offset means, so that is the one parameter.

It also holds the one rule of which moments can be a publication date
(`plausible_publication_time`), which every date source applies: page text,
JSON-LD, meta tags, `<time>`, feeds and sitemaps.
"""

from __future__ import annotations

import re
from datetime import MAXYEAR, UTC, datetime, timedelta, tzinfo
from email.utils import parsedate_to_datetime

__all__ = [
    "CLOCK_SKEW",
    "EARLIEST_PUBLICATION_YEAR",
    "aware_datetime",
    "parsed_instant",
    "plausible_publication_time",
    "rfc822_datetime",
    "utc_iso",
]

# No page, feed or sitemap we archive was published before 1900; year 1 or 1000
# is a placeholder or a typo.
EARLIEST_PUBLICATION_YEAR = 1900
# Years a publication date can have at all, before the fetch time is known: the
# last year is left out because a zone conversion of 9999-12-31 overflows.
_LATEST_YEAR = MAXYEAR - 1
# How far after the fetch a publication date may lie and still count: servers'
# clocks run ahead, and a feed that labels Kyiv time as UTC is three hours ahead.
# Later than this is a template's placeholder or a typo (2100, 9999), which would
# otherwise make the article the newest of the archive for decades.
CLOCK_SKEW = timedelta(days=1)
# The year of an RFC 822 date: after the day and the month name ("Mon, 01 Jan 0001").
_RFC822_YEAR = re.compile(r"\b\d{1,2}\s+[^\W\d_]{3,}\.?\s+(\d+)\b")


def plausible_publication_time(moment: datetime, fetched_at: datetime | None = None) -> bool:
    """Whether `moment` can be when something seen at `fetched_at` was published.

    True when its year is EARLIEST_PUBLICATION_YEAR or later and it lies at most
    CLOCK_SKEW after `fetched_at`. Without a fetch time only the years are checked,
    from EARLIEST_PUBLICATION_YEAR to 9998, so that converting the moment to any
    zone cannot overflow; where the value is used, the fetch time must be checked too.
    A naive `moment` or `fetched_at` is taken as UTC.
    """
    if not EARLIEST_PUBLICATION_YEAR <= moment.year <= _LATEST_YEAR:
        return False
    if fetched_at is None:
        return True
    # Aware datetimes compare without converting, so this cannot overflow.
    return _aware(moment) <= _aware(fetched_at) + CLOCK_SKEW


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)


def parsed_instant(text: str, naive_zone: tzinfo = UTC) -> datetime:
    """`text` as an aware datetime; no offset means `naive_zone`. Raises ValueError."""
    moment = datetime.fromisoformat(text.strip())
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=naive_zone)


def aware_datetime(value: object, naive_zone: tzinfo = UTC) -> datetime | None:
    """`value` as an aware datetime, or None when it is not an ISO 8601 string."""
    if not isinstance(value, str) or not value.strip():
        return None
    try:
        return parsed_instant(value, naive_zone)
    except ValueError:
        return None


def utc_iso(moment: datetime) -> str:
    """The instant as ISO 8601 in UTC; a naive datetime is taken to be UTC already."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def rfc822_datetime(text: str, naive_zone: tzinfo = UTC) -> datetime | None:
    """An RFC 822/2822 date (RSS pubDate) as an aware datetime; None if it is none.

    Two- and one-digit years are read as RFC 2822 says (00-49 are 2000-2049,
    50-99 are 1950-1999), a three-digit year is 1900 plus it, and four digits are
    the year as written: email.utils would read "0001" as 2001. "-0000" and a
    missing zone mean `naive_zone`. The year is not checked: see
    `plausible_publication_time`.
    """
    try:
        moment = parsedate_to_datetime(text.strip())
    except (TypeError, ValueError, IndexError):
        return None
    match = _RFC822_YEAR.search(text)
    if match is not None and len(match[1]) >= 3:
        written = int(match[1]) + (1900 if len(match[1]) == 3 else 0)
        if written != moment.year:
            try:
                moment = moment.replace(year=written)
            except ValueError:  # year 0, or 29 February of a year that has none
                return None
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=naive_zone)
