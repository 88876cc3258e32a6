"""Read-also inserts in any language: their labels and the dates they show.

An editor drops "Read also: <link>" between the paragraphs of an article. The
insert is not article text, but the link is worth keeping (it is how a newsroom
ties stories together). Sites mark it up in every possible way, so the generic
parser recognises it by its LABEL, which is stable per language, not by classes.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, tzinfo

from newscrawl.text import folded_text
from newscrawl.timestamps import plausible_publication_time

# Labels that open a read-also insert, lower case. Only phrases that announce a
# link to another article: "Read more" is left out because it is also the label of
# a "continue reading" button inside teasers.
READ_ALSO_LABELS: tuple[str, ...] = (
    # uk
    "читайте також",
    "також читайте",
    "читайте ще",
    "дивіться також",
    "див. також",
    # ru
    "читайте также",
    "также читайте",
    "смотрите также",
    "см. также",
    # en
    "read also",
    "also read",
    "see also",
    "related:",
    "read next",
    # de
    "lesen sie auch",
    "lesen sie mehr",
    "mehr zum thema",
    "auch interessant",
    "das könnte sie auch interessieren",
    # other languages of the same newsrooms' neighbours
    "les også",  # no
    "læs også",  # da
    "läs också",  # sv
    "läs även",  # sv
    "lees ook",  # nl
    "lire aussi",  # fr
    "à lire aussi",  # fr
    "voir aussi",  # fr
    "leggi anche",  # it
    "lee también",  # es
    "lea también",  # es
    "czytaj także",  # pl
    "czytaj też",  # pl
    "czytaj więcej",  # pl
    "čtěte také",  # cs
    "přečtěte si také",  # cs
)

# A label opening a text: the label, then optional punctuation (":", "»", "-").
_LABEL_AT_START = re.compile(
    r"^\s*(?:"
    + "|".join(re.escape(label.rstrip(":")) for label in READ_ALSO_LABELS)
    + r")(?!\w)\s*[:.»>\-–—|]*\s*",
    re.IGNORECASE,
)

# Shown dates next to a read-also link. Numeric only: a month name would need a
# language, and the inserts seen in the wild print numbers.
#   "27.05.24, 17:53", "27.05.2024 17:53", "(27.05.2024)", "2024-05-27 17:53"
_DAY_FIRST = re.compile(
    r"(?<!\d)(?P<day>\d{1,2})[./](?P<month>\d{1,2})[./](?P<year>\d{4}|\d{2})(?!\d)"
    r"(?:,?\s*(?:о\s+|в\s+|um\s+|at\s+)?(?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
_ISO_LIKE = re.compile(
    r"(?<!\d)(?P<year>\d{4})-(?P<month>\d{2})-(?P<day>\d{2})(?!\d)"
    r"(?:[ T](?P<hour>\d{1,2}):(?P<minute>\d{2}))?"
)
# A shown date ending a read-also link's text: "Title 27.05.24, 17:53", "Title (27.05.2024)".
_DATE_TAIL = re.compile(r"[\s,(|–—-]*\d{1,2}[./]\d{1,2}[./]\d{2,4}(?:,?\s*\d{1,2}:\d{2})?\)?\s*$")


def read_also_label(text: str | None) -> str | None:
    """The read-also label that opens the text ("Read also:"), or None."""
    if not text:
        return None
    match = _LABEL_AT_START.match(text)
    return match.group(0) if match else None


def without_read_also_label(text: str) -> str:
    """The text with a leading read-also label removed."""
    return _LABEL_AT_START.sub("", text, count=1)


def read_also_title(text: str) -> str | None:
    """A read-also link's title: its text without a leading label and a trailing shown date."""
    return folded_text(_DATE_TAIL.sub("", without_read_also_label(text))) or None


def is_read_also_label(text: str | None) -> bool:
    """Whether the text is nothing but a read-also label (left behind by a removed insert)."""
    label = read_also_label(text)
    return label is not None and not (text or "")[len(label) :].strip()


def shown_date(text: str | None, zone: tzinfo | None = None) -> datetime | None:
    """The date a read-also insert shows (`27.05.24, 17:53`), in `zone` (UTC if None).

    Shown dates carry no offset; the caller passes the zone of the page's own
    published date, the best guess for how the newsroom prints times.
    """
    if not text:
        return None
    text = text.replace("\u00a0", " ")
    for pattern in (_DAY_FIRST, _ISO_LIKE):
        for match in pattern.finditer(text):
            year = int(match["year"])
            year = year + 2000 if year < 100 else year
            hour = int(match["hour"]) if match["hour"] else 0
            minute = int(match["minute"]) if match["minute"] else 0
            try:
                shown = datetime(
                    year,
                    int(match["month"]),
                    int(match["day"]),
                    hour,
                    minute,
                    tzinfo=zone or UTC,
                )
            except ValueError:
                continue
            # "27.05.9999" is no date a link could show; the next match may be one.
            if plausible_publication_time(shown):
                return shown
    return None
