"""ISO 8601 text to aware datetimes and back: the one reading every module shares.

Python 3.11's `datetime.fromisoformat` reads the whole ISO 8601 profile that
feeds, sitemaps, JSON-LD and our own columns use ("Z", a space for "T",
offsets with or without a colon). What differs between callers is only what a
time without an offset means, so that is the one parameter.
"""

from __future__ import annotations

from datetime import UTC, datetime, tzinfo

__all__ = ["aware_datetime", "parsed_instant", "utc_iso"]


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
