"""Date value parsing for site parsers: shown dates in the site's time zone.

Every helper takes the zone the site shows its times in (`SiteParser.timezone`, from its `Site`).
Every shown date is read relative to the time the page was FETCHED, never the wall
clock, so re-parsing an archived page years later gives the same answer:

- a time alone (`07:02 AM`, `10:18`) is that time on the fetch day in the zone;
- a date without a year (`February 2, 11:51 PM`, `5 лютого, 10:18`) is in the fetch
  year, unless that would be after the fetch time: then it is in the year before.

No helper returns a date that cannot be a publication date
(`newscrawl.timestamps.plausible_publication_time`): years before 1900 or too
large to convert, and, where the fetch time is known, dates after it.

Fixed formats are parsed with regular expressions (fast, predictable); dateparser is
only asked about short free text that none of them match (`вчора, 10:18`).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, tzinfo
from typing import Any
from zoneinfo import ZoneInfo

from newscrawl.text import folded_text
from newscrawl.timestamps import aware_datetime, plausible_publication_time

# Month names as pages print them: English (full and 3-letter), Ukrainian and Russian
# in the genitive ("5 лютого") and the nominative ("лютий 2024").
_MONTHS: dict[str, int] = {}
for _number, _names in enumerate(
    (
        "january jan січня січень января январь",
        "february feb лютого лютий февраля февраль",
        "march mar березня березень марта март",
        "april apr квітня квітень апреля апрель",
        "may травня травень мая май",
        "june jun червня червень июня июнь",
        "july jul липня липень июля июль",
        "august aug серпня серпень августа август",
        "september sep sept вересня вересень сентября сентябрь",
        "october oct жовтня жовтень октября октябрь",
        "november nov листопада листопад ноября ноябрь",
        "december dec грудня грудень декабря декабрь",
    ),
    start=1,
):
    for _name in _names.split():
        _MONTHS[_name] = _number

_TIME = r"(?P<hour>\d{1,2}):(?P<minute>\d{2})(?:\s*(?P<ampm>[AaPp]\.?\s?[Mm]\.?))?"
# "May 9 2024, 01:27 PM", "May 9, 2024 01:27 PM", "February 2, 11:51 PM"
_MONTH_FIRST = re.compile(
    r"(?P<month>[^\W\d_]+)\.?\s+(?P<day>\d{1,2}),?(?:\s+(?P<year>\d{4}))?,?\s+" + _TIME
)
# "5 лютого, 10:18", "24 червня 2024, 09:12", "3 марта 2024 г., 14:05"
_DAY_FIRST = re.compile(
    r"(?P<day>\d{1,2})\s+(?P<month>[^\W\d_]+)\.?(?:\s+(?P<year>\d{4})(?:\s*(?:р|г)\.?)?)?"
    r",?\s+(?:о\s+|в\s+)?" + _TIME
)
# "07:02 AM", "10:18"
_TIME_ONLY = re.compile(_TIME)
# "27.05.24, 17:53" (read-also inserts), also with a four-digit year.
_NUMERIC = re.compile(r"(?P<day>\d{1,2})\.(?P<month>\d{1,2})\.(?P<year>\d{4}|\d{2}),?\s+" + _TIME)
# A read-also insert's date at the END of a link's visible text.
READALSO_DATE_AT_END = re.compile(r"(\d{2})\.(\d{2})\.(\d{2}),\s*(\d{1,2}):(\d{2})\s*$")

# dateparser is slow to load and guesses freely; only short shown values go to it.
_DATEPARSER_MAX_CHARS = 64
_DATEPARSER_LANGUAGES = ["uk", "ru", "en"]


def local_datetime(
    text: str | None, fetched_at: datetime, zone: tzinfo, languages: list[str] | None = None
) -> datetime | None:
    """The datetime in `zone` a shown date means, read relative to the fetch time; None if none.

    The whole (trimmed) text must be the date: "News of the World" or "19981 views"
    give None rather than a guess.
    """
    if not text:
        return None
    text = folded_text(text).strip(" •,")
    if not text:
        return None
    now = _fetch_time_in(fetched_at, zone)
    matched, fixed = _fixed_format_datetime(text, now, zone)
    # A fixed format that matched but is invalid ("13:10 PM", "February 30") is
    # not a date; dateparser would only guess something else.
    when = fixed if matched else _dateparser_datetime(text, now, zone, languages)
    # "31 грудня 9999, 10:00" matches a fixed format and is still no publication date.
    return when if when is not None and plausible_publication_time(when, now) else None


def readalso_date(text: str | None, zone: tzinfo) -> datetime | None:
    """The datetime in `zone` of a read-also date `dd.mm.yy, HH:MM` ending the text; else None."""
    if not text:
        return None
    match = READALSO_DATE_AT_END.search(text.replace("\u00a0", " "))
    if match is None:
        return None
    day, month, year, hour, minute = (int(g) for g in match.groups())
    return _zoned(2000 + year, month, day, hour, minute, zone)


def iso_datetime(value: Any, zone: tzinfo, fetched_at: datetime | None = None) -> datetime | None:
    """An ISO 8601 value (JSON-LD) as a datetime in `zone`; a naive value is `zone` time.

    None when it is not ISO 8601 or cannot be a publication date seen at
    `fetched_at` (`plausible_publication_time`; without a fetch time, its year only).
    """
    parsed = aware_datetime(value, naive_zone=zone)
    if parsed is None or not plausible_publication_time(parsed, fetched_at):
        return None
    return parsed.astimezone(zone)


def _fetch_time_in(fetched_at: datetime, zone: tzinfo) -> datetime:
    """The fetch time in `zone`. A naive fetch time is taken as UTC (a machine clock)."""
    if fetched_at.tzinfo is None:
        fetched_at = fetched_at.replace(tzinfo=UTC)
    return fetched_at.astimezone(zone)


def _fixed_format_datetime(text: str, now: datetime, zone: tzinfo) -> tuple[bool, datetime | None]:
    """(whether a fixed format matched, the datetime it means or None if invalid).

    `now` is the fetch time in `zone`, the zone the shown date is in.
    """
    for pattern in (_MONTH_FIRST, _DAY_FIRST):
        match = pattern.fullmatch(text)
        if match is None:
            continue
        month = _MONTHS.get(match["month"].lower())
        if month is None:
            continue
        hour = _hour_24(match)
        if hour is None:
            return True, None
        day, minute = int(match["day"]), int(match["minute"])
        if match["year"]:
            return True, _zoned(int(match["year"]), month, day, hour, minute, zone)
        return True, _yearless(now, zone, month, day, hour, minute)
    match = _NUMERIC.fullmatch(text)
    if match is not None:
        year = int(match["year"])
        hour = _hour_24(match)
        if hour is None:
            return True, None
        year = year + 2000 if year < 100 else year
        month, day, minute = int(match["month"]), int(match["day"]), int(match["minute"])
        return True, _zoned(year, month, day, hour, minute, zone)
    match = _TIME_ONLY.fullmatch(text)
    if match is not None:
        hour = _hour_24(match)
        if hour is None:
            return True, None
        return True, _zoned(now.year, now.month, now.day, hour, int(match["minute"]), zone)
    return False, None


def _yearless(
    now: datetime, zone: tzinfo, month: int, day: int, hour: int, minute: int
) -> datetime | None:
    # A page shows no year for dates of the current year; at the turn of the year
    # "December 31" seen on January 1 belongs to the year before.
    candidate = _zoned(now.year, month, day, hour, minute, zone)
    if candidate is not None and candidate <= now:
        return candidate
    return _zoned(now.year - 1, month, day, hour, minute, zone)


def _hour_24(match: re.Match[str]) -> int | None:
    hour = int(match["hour"])
    ampm = match["ampm"]
    if ampm is None:
        return hour if hour < 24 else None
    if not 1 <= hour <= 12:
        return None
    pm = ampm.lower().startswith("p")
    return (hour % 12) + (12 if pm else 0)


def _zoned(
    year: int, month: int, day: int, hour: int, minute: int, zone: tzinfo
) -> datetime | None:
    try:
        return datetime(year, month, day, hour, minute, tzinfo=zone)
    except ValueError:
        return None


def dateparser_zone(zone: tzinfo) -> str:
    """The zone as dateparser's TIMEZONE setting names it: an IANA key or "UTC+03:00"."""
    if isinstance(zone, ZoneInfo):
        return zone.key
    name = zone.tzname(None)
    if name is None:
        raise ValueError(f"{zone!r} has no name dateparser could read")
    return name


def _dateparser_datetime(
    text: str, now: datetime, zone: tzinfo, languages: list[str] | None
) -> datetime | None:
    """Free text read by dateparser in `zone`, relative to `now` (the fetch time in `zone`)."""
    # Shown dates always carry a number ("вчора, 10:18", "2 години тому"); text
    # without one ("News of the World") is not worth dateparser's guess.
    if len(text) > _DATEPARSER_MAX_CHARS or not any(c.isdigit() for c in text):
        return None
    import dateparser  # imported lazily: loading it costs time most pages never need

    settings = {
        # dateparser reads RELATIVE_BASE as wall time in TIMEZONE, so hand it naive local time.
        "RELATIVE_BASE": now.replace(tzinfo=None),
        "PREFER_DATES_FROM": "past",
        "TIMEZONE": dateparser_zone(zone),
        "RETURN_AS_TIMEZONE_AWARE": True,
    }
    try:
        parsed = dateparser.parse(
            text, languages=languages or _DATEPARSER_LANGUAGES, settings=settings
        )
    except (ValueError, OverflowError, TypeError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone)
    parsed = parsed.astimezone(zone)
    # A shown date after the fetch is a misreading ("10 views" as a date); a little
    # slack covers a server clock that runs ahead of the crawler's.
    if parsed > now + timedelta(minutes=5):
        return None
    return parsed
