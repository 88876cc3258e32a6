"""Spider arguments (``-a name=value``): split into values and checked, with a clear error."""

from __future__ import annotations

import difflib
import inspect
import re
from collections.abc import Iterable, Sequence
from typing import Any

import scrapy

__all__ = [
    "DeclaredArguments",
    "declared_arguments",
    "positive_int_or_none",
    "regex_list",
    "selected_languages",
    "split_argument",
    "unknown_argument_error",
]


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


def declared_arguments(spider_class: type) -> tuple[str, ...]:
    """The ``-a`` names a spider class takes, sorted: the named parameters of the
    ``__init__`` of every class in its hierarchy below `scrapy.Spider`.

    Read from the signatures, so a spider that adds an argument to its
    ``__init__`` declares it there and nowhere else. Scrapy's own ``name`` is
    left out: ``-a name=...`` would rename the spider.
    """
    names: set[str] = set()
    for cls in spider_class.__mro__:
        if cls is scrapy.Spider or cls is object:
            continue
        init = cls.__dict__.get("__init__")
        if init is None:
            continue
        for parameter in list(inspect.signature(init).parameters.values())[1:]:
            if parameter.kind in (parameter.KEYWORD_ONLY, parameter.POSITIONAL_OR_KEYWORD):
                names.add(parameter.name)
    return tuple(sorted(names))


def unknown_argument_error(spider_class: type, given: Iterable[str]) -> str | None:
    """Why the arguments `given` do not suit the spider class, naming the first unknown
    one with a "did you mean" when one is close; None when every name is declared.

    Names that start with an underscore belong to the tools that run spiders
    (scrapyd passes ``_job``) and are let through.
    """
    declared = declared_arguments(spider_class)
    for name in given:
        if name.startswith("_") or name in declared:
            continue
        spider = getattr(spider_class, "name", None) or spider_class.__name__
        close = difflib.get_close_matches(name, declared, n=1)
        hint = f"; did you mean {close[0]}?" if close else ""
        takes = ", ".join(declared) if declared else "no arguments"
        return f"the {spider} spider takes no argument {name!r}{hint} (it takes {takes})"
    return None


class DeclaredArguments:
    """Spider mixin, first among the bases: an argument no ``__init__`` declares is a
    ValueError, not an attribute set silently (Scrapy's default for ``-a``).

    A mistyped ``-a langauges=uk`` would otherwise crawl every language.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        error = unknown_argument_error(type(self), kwargs)
        if error is not None:
            raise ValueError(error)
        super().__init__(*args, **kwargs)
