"""View-count parsing: "15601 переглядiв", "1,2 тис. переглядів", "12K views".

A number only counts as views next to a views word (or with the caller vouching for
an explicit views context): an info line also holds dates and times, and a count
guessed from "May 9 2024" is worse than no count.
"""

from __future__ import annotations

import re

# "12 345", "12\u00a0345", "12,345", "12.345": thousands groups; else a plain or
# decimal number ("15601", "1,2", "1.5") whose meaning depends on a multiplier.
_NUMBER = r"(?P<number>\d{1,3}(?:[ \u00a0\u202f\u2009.,]\d{3})+(?!\d)|\d+(?:[.,]\d+)?)"
_MULTIPLIER = r"(?:\s*(?P<multiplier>тис|тыс|млн|k|m)\.?)?"
# Ukrainian перегляд/перегляди/переглядів (UNN writes переглядiв with a LATIN i),
# Russian просмотр/просмотра/просмотров, English view/views.
_VIEWS_WORD = r"(?<!\w)(?:перегл[яa]д\w*|просмотр\w*|views?)(?!\w)"

_COUNT_THEN_WORD = re.compile(
    r"(?<![\d.,])" + _NUMBER + _MULTIPLIER + r"(?!\w)\s*" + _VIEWS_WORD, re.IGNORECASE
)
_WORD_THEN_COUNT = re.compile(
    _VIEWS_WORD + r"\s*[:\-–—]?\s*" + _NUMBER + _MULTIPLIER + r"(?!\w)", re.IGNORECASE
)
_BARE_COUNT = re.compile(r"^\s*" + _NUMBER + _MULTIPLIER + r"\s*$", re.IGNORECASE)
_COMMENTS = re.compile(r"<!--.*?-->", re.DOTALL)
_SCALE = {"тис": 1_000, "тыс": 1_000, "k": 1_000, "млн": 1_000_000, "m": 1_000_000}


def views_from_text(text: str | None, *, views_context: bool = False) -> int | None:
    """The view count written in the text, or None.

    The count must stand next to a views word. With `views_context=True` (the caller
    knows the element holds the count, e.g. a `views` class) a bare number is
    accepted too.
    """
    if not text:
        return None
    # React renders numbers between empty comments; raw HTML passed in by
    # mistake must not split "15601" into nothing.
    text = _COMMENTS.sub("", text).replace("\u00a0", " ")
    for pattern in (_COUNT_THEN_WORD, _WORD_THEN_COUNT):
        match = pattern.search(text)
        if match is not None:
            return _count(match["number"], match["multiplier"])
    if views_context:
        match = _BARE_COUNT.match(text.strip(" •·|"))
        if match is not None:
            return _count(match["number"], match["multiplier"])
    return None


def _count(number: str, multiplier: str | None) -> int | None:
    if multiplier:
        # "1,2 тис." and "1.5M": the comma or dot is a decimal mark here.
        value = float(re.sub(r"[ \u00a0\u202f\u2009]", "", number).replace(",", "."))
        return round(value * _SCALE[multiplier.lower()])
    if re.fullmatch(r"\d+", number):
        return int(number)
    if re.fullmatch(r"\d{1,3}(?:[ \u00a0\u202f\u2009.,]\d{3})+", number):
        return int(re.sub(r"\D", "", number))
    # "1.5 views" without a multiplier is not a count.
    return None
