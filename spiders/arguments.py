"""Spider arguments (``-a name=value``): split into values and checked, with a clear error."""

from __future__ import annotations

import re
from collections.abc import Sequence

__all__ = ["positive_int_or_none", "regex_list", "selected_languages", "split_argument"]


def split_argument(value: str | Sequence[str] | None) -> list[str]:
    """The values of a spider argument: repeated, comma-separated, or both.

    Commas inside brackets or braces, or escaped as ``\\,``, do not split, so a
    regular expression such as ``/\\d{4,5}/`` stays whole.
    """
    if value is None:
        return []
    if not isinstance(value, str):
        return [v for item in value for v in split_argument(item)]
    values: list[str] = []
    current: list[str] = []
    depth = 0
    escaped = False
    for char in value:
        if escaped:
            current.append(char if char == "," else "\\" + char)
            escaped = False
        elif char == "\\":
            escaped = True
        elif char == "," and depth == 0:
            values.append("".join(current))
            current = []
        else:
            if char in "([{":
                depth += 1
            elif char in ")]}" and depth:
                depth -= 1
            current.append(char)
    if escaped:
        current.append("\\")
    values.append("".join(current))
    return [v.strip() for v in values if v.strip()]


def regex_list(value: str | Sequence[str] | None, name: str) -> list[re.Pattern[str]]:
    """The regular expressions of argument `name`; a ValueError names one that does not compile."""
    patterns = []
    for text in split_argument(value):
        try:
            patterns.append(re.compile(text))
        except re.error as exc:
            raise ValueError(f"{name}={text!r} is not a regular expression: {exc}") from None
    return patterns


def selected_languages(argument: str | None, available: tuple[str, ...]) -> tuple[str, ...]:
    """The languages a ``languages=uk,en`` argument picks among `available`; all without one."""
    if not argument:
        return available
    wanted = tuple(lang.strip() for lang in argument.split(",") if lang.strip())
    unknown = [lang for lang in wanted if lang not in available]
    if unknown or not wanted:
        raise ValueError(
            f"languages={argument!r}: choose among {', '.join(available)} (comma-separated)"
        )
    return wanted


def positive_int_or_none(value: str | int | None, name: str) -> int | None:
    """The whole number of argument `name` (at least 1), or None when it is not given."""
    if value is None or value == "":
        return None
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name}={value!r} is not a whole number") from None
    if number < 1:
        raise ValueError(f"{name}={value!r}: must be at least 1")
    return number
