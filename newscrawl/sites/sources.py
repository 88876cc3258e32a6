"""Reading outlets from TOML: the bundled catalogue and a user's sources file.

Each outlet is a table ``[outlets.NAME]`` whose keys are `Site` fields (the
README's "Sources file" section shows a complete example). An entry whose name
is already registered changes only the fields it gives, so a sources file can
set a bundled outlet's interval, or switch it off, in one line.

Every mistake is a `SourcesError` naming the file, the outlet and the field,
raised before anything is fetched.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from newscrawl.errors import SourcesError
from newscrawl.sites.spec import ALL_LANGUAGES, COUNTER_ID_GROUP, POLITENESS_SETTINGS, Site

__all__ = ["NAME_PATTERN", "SourcesFile", "interval_of", "interval_text", "sources_file"]

NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]*$")
_LANGUAGE = re.compile(r"^[a-z]{2,3}$")
_INTERVAL_PART = re.compile(r"(\d+)([dhm])")
_INTERVAL_UNITS = {"d": "days", "h": "hours", "m": "minutes"}
# Keys of the file itself, beside `outlets`.
_FILE_KEYS = frozenset({"outlets", "catalogue"})
_LOCATION_KINDS = ("feeds", "sitemaps", "listings", "starts")


class SourcesFile:
    """The outlets one TOML file declares, and whether it keeps the bundled catalogue."""

    def __init__(self, path: Path, entries: Mapping[str, Mapping[str, Any]], catalogue: bool):
        self.path = path
        self.entries = entries
        self.keeps_catalogue = catalogue

    def sites_over(self, known: Mapping[str, Site]) -> dict[str, Site]:
        """`known` with this file's entries applied: new outlets added, known ones changed."""
        sites = dict(known)
        for name, entry in self.entries.items():
            sites[name] = _site_of_entry(self.path, name, entry, sites.get(name))
        return sites


def sources_file(path: Path) -> SourcesFile:
    """The file at `path`, checked for its shape; `SourcesError` if it is not one."""
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise SourcesError(f"{path}: cannot read the sources file: {exc.strerror or exc}") from exc
    except UnicodeDecodeError as exc:
        raise SourcesError(f"{path}: not UTF-8 text: {exc.reason}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise SourcesError(f"{path}: not valid TOML: {exc}") from exc
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise SourcesError(
            f"{path}: unknown top-level key {unknown[0]!r}; outlets go under [outlets.NAME]"
        )
    catalogue = data.get("catalogue", True)
    if not isinstance(catalogue, bool):
        raise SourcesError(f"{path}: catalogue must be true or false")
    outlets = data.get("outlets", {})
    if not isinstance(outlets, dict):
        raise SourcesError(f"{path}: outlets must be tables, [outlets.NAME]")
    for name, entry in outlets.items():
        if not NAME_PATTERN.match(name):
            raise SourcesError(
                f"{path}: outlet {name!r}: a name is lowercase letters, digits and _, "
                "starting with a letter"
            )
        if not isinstance(entry, dict):
            raise SourcesError(f"{path}: outlet {name!r} must be a table, [outlets.{name}]")
    return SourcesFile(path, outlets, catalogue)


def interval_of(text: str) -> timedelta:
    """A crawl interval written "15m", "1h", "2h30m" or "1d"; ValueError otherwise."""
    compact = text.strip().lower().replace(" ", "")
    parts = _INTERVAL_PART.findall(compact)
    if not compact or "".join(n + u for n, u in parts) != compact:
        raise ValueError(f"{text!r} is not an interval such as 15m, 1h, 2h30m or 1d")
    interval = timedelta(**{_INTERVAL_UNITS[u]: int(n) for n, u in parts})
    if interval <= timedelta(0):
        raise ValueError(f"{text!r} is not a positive interval")
    return interval


def interval_text(interval: timedelta) -> str:
    """`interval` written as `interval_of` reads it: "15m", "1h", "2h30m", "1d".

    Seconds below a minute are dropped, since an interval is never written with them.
    """
    minutes = int(interval.total_seconds()) // 60
    days, minutes = divmod(minutes, 24 * 60)
    hours, minutes = divmod(minutes, 60)
    parts = [f"{n}{unit}" for n, unit in ((days, "d"), (hours, "h"), (minutes, "m")) if n]
    return "".join(parts) or "0m"


def _site_of_entry(path: Path, name: str, entry: Mapping[str, Any], known: Site | None) -> Site:
    def fail(key: str, message: str) -> SourcesError:
        return SourcesError(f"{path}: outlet {name!r}, field {key!r}: {message}")

    unknown = sorted(set(entry) - set(_READERS))
    if unknown:
        raise fail(unknown[0], f"unknown field; fields are {', '.join(sorted(_READERS))}")
    fields: dict[str, Any] = {}
    for key, value in entry.items():
        try:
            fields[key] = _READERS[key](value)
        except (TypeError, ValueError, re.error) as exc:
            raise fail(key, str(exc)) from None
    if known is None:
        for required in ("home", "languages"):
            if required not in fields:
                raise fail(required, "required for a new outlet")
        site = Site(name=name, declared_in=str(path), **fields)
    else:
        if "parser" in fields and known.parser is not None:
            raise fail("parser", "a hand-parsed site keeps its own parser")
        site = replace(known, declared_in=f"{known.declared_in}; {path}", **fields)
    problem = site_problem(site)
    if problem is not None:
        raise fail(*problem)
    return site


def site_problem(site: Site) -> tuple[str, str] | None:
    """The first inconsistency of a `Site`, as (field, what is wrong), or None."""
    if not site.languages:
        return "languages", "name at least one language"
    for language in (*site.url_languages.values(),):
        if language not in site.languages:
            return "url_languages", f"{language!r} is not among the languages"
    for kind in _LOCATION_KINDS:
        for language in getattr(site, kind):
            if language != ALL_LANGUAGES and language not in site.languages:
                return kind, f"{language!r} is not among the languages"
    if site.counter is not None and (
        site.article_path is None or COUNTER_ID_GROUP not in site.article_path.groupindex
    ):
        return "counter", "needs an article_path with a named group (?P<id>...)"
    if not any(getattr(site, kind) for kind in _LOCATION_KINDS):
        return "feeds", "give at least one feed, sitemap, listing or start page"
    return None


# --- one reader per field: the TOML value -> the Site field's value ------------


def _text(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise TypeError(f"expected a non-empty string, got {value!r}")
    return value.strip()


def _bool(value: Any) -> bool:
    if not isinstance(value, bool):
        raise TypeError(f"expected true or false, got {value!r}")
    return value


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise TypeError(f"expected a list of strings, got {value!r}")
    return tuple(value)


def _home(value: Any) -> str:
    home = _text(value).rstrip("/")
    parts = urlsplit(home)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.path:
        raise ValueError(f"expected a scheme and host such as https://unn.ua, got {value!r}")
    return home


def _languages(value: Any) -> tuple[str, ...]:
    languages = _strings(value)
    for language in languages:
        if not _LANGUAGE.match(language):
            raise ValueError(f"{language!r} is not a language code such as uk, ru or en")
    return languages


def _domains(value: Any) -> tuple[str, ...]:
    return tuple(d.lower().removeprefix("www.") for d in _strings(value))


def _paths(value: Any) -> tuple[str, ...]:
    paths = _strings(value)
    for path in paths:
        if not path.startswith("/"):
            raise ValueError(f"{path!r} is not a URL path such as /ukrainian")
    return paths


def _zone(value: Any) -> str:
    zone = _text(value)
    try:
        ZoneInfo(zone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValueError(f"{zone!r} is not an IANA time zone such as Europe/Kyiv") from None
    return zone


def _url_languages(value: Any) -> dict[str, str]:
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise TypeError(f"expected a table of path segment = language, got {value!r}")
    return dict(value)


def _locations(value: Any) -> dict[str, tuple[str, ...]]:
    by_language = {ALL_LANGUAGES: value} if isinstance(value, list) else value
    if not isinstance(by_language, dict):
        raise TypeError(f"expected a list, or a table of language = list, got {value!r}")
    found: dict[str, tuple[str, ...]] = {}
    for language, locations in by_language.items():
        found[language] = _strings(locations)
        for location in found[language]:
            parts = urlsplit(location)
            if not location.startswith("/") and not (
                parts.scheme in ("http", "https") and parts.hostname
            ):
                raise ValueError(f"{location!r} is neither a path (/rss) nor an http(s) URL")
    return found


def _pattern(value: Any) -> re.Pattern[str]:
    return re.compile(_text(value))


def _interval(value: Any) -> timedelta:
    return interval_of(_text(value))


def _counter(value: Any) -> str:
    template = _text(value)
    if "{id}" not in template:
        raise ValueError(
            f"expected a template with {{id}}, such as /ajax/views/{{id}}, got {value!r}"
        )
    return template


def _politeness(value: Any) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise TypeError(f"expected a table of Scrapy settings, got {value!r}")
    unknown = sorted(set(value) - POLITENESS_SETTINGS)
    if unknown:
        allowed = ", ".join(sorted(POLITENESS_SETTINGS))
        raise ValueError(f"{unknown[0]!r} cannot be set per outlet; these can: {allowed}")
    return dict(value)


def _parser(value: Any) -> None:
    if _text(value) != "generic":
        raise ValueError("a declared outlet's parser is 'generic'; a site parser is code")
    return None


_READERS: dict[str, Callable[[Any], Any]] = {
    "title": _text,
    "home": _home,
    "domains": _domains,
    "paths": _paths,
    "languages": _languages,
    "url_languages": _url_languages,
    "timezone": _zone,
    "feeds": _locations,
    "sitemaps": _locations,
    "listings": _locations,
    "starts": _locations,
    "article_path": _pattern,
    "cards": _strings,
    "main_content": _strings,
    "page_param": _text,
    "counter": _counter,
    "politeness": _politeness,
    "interval": _interval,
    "parser": _parser,
    "evidence": _text,
    "verified": _bool,
    "enabled": _bool,
}
