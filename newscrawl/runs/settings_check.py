"""Every NEWSCRAWL_* setting checked before a crawl fetches anything, and LOG_LEVEL.

A mistyped setting name (``-s NEWSCRAWL_WRAC=off``) is otherwise ignored, and
a malformed value (``NEWSCRAWL_MAX_REVISITS=x``) fails deep in a spider, after
the crawl has run, or as a traceback. `check_settings` turns both into one
`SettingError` that names the setting; `newscrawl crawl` prints it and exits 2.

`VALIDATORS` holds one check per setting of `newscrawl.settings` (a test sees
that none is missing): each takes the value and raises ValueError, with or
without the setting's name in its message.
"""

from __future__ import annotations

import difflib
import logging
import os
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from scrapy.settings import BaseSettings

from newscrawl import settings as settings_module
from newscrawl.crawler.conditional import conditional_enabled
from newscrawl.crawler.warc_capture import warc_keep_days, warc_revisits_enabled
from newscrawl.runs.clock import current_time
from newscrawl.runs.due import budget_of
from newscrawl.runs.revisits import revisit_schedule

__all__ = ["VALIDATORS", "SettingError", "check_settings", "known_settings"]

PREFIX = "NEWSCRAWL_"

# What warc_capture reads as on and off; anything else is a typo, not "on".
_ON = {"on", "true", "1", "yes"}
_OFF = {"off", "false", "0", "no", "none"}
# What Scrapy's getbool takes.
_BOOLS = {"true", "false", "1", "0", "yes", "no"}


class SettingError(ValueError):
    """A setting that is unknown or whose value is malformed; the message names it."""


def _whole_number(minimum: int) -> Callable[[Any], None]:
    def check(value: Any) -> None:
        text = str(value).strip()
        try:
            number = int(text)
        except ValueError:
            raise ValueError("not a whole number") from None
        if number < minimum:
            raise ValueError(f"must be at least {minimum}, not {number}")

    return check


def _on_off(value: Any) -> None:
    # Empty reads as off (warc_enabled).
    if str(value).strip().lower() not in _ON | _OFF | {""}:
        raise ValueError("must be on or off")


def _seconds(value: Any) -> None:
    try:
        seconds = float(str(value).strip())
    except ValueError:
        raise ValueError("must be a number of seconds") from None
    if not seconds >= 0:  # also refuses nan
        raise ValueError("must be 0 or more seconds")


def _bool(value: Any) -> None:
    if not isinstance(value, bool) and str(value).strip().lower() not in _BOOLS:
        raise ValueError("must be True or False")


def _folder(value: Any) -> None:
    # Empty: the default place, beside the archive.
    if value and Path(str(value)).exists() and not Path(str(value)).is_dir():
        raise ValueError("is a file, not a folder")


def _archive_path(value: Any) -> None:
    if not str(value or "").strip():
        raise ValueError("must name the archive file")
    if Path(str(value)).is_dir():
        raise ValueError("is a folder, not an archive file")


def _sources_file(value: Any) -> None:
    # Whether its content is right is for the registry to say (SourcesError).
    if value and not Path(str(value)).is_file():
        raise ValueError("no such sources file")


def _contact_url(value: Any) -> None:
    parts = urlsplit(str(value or ""))
    if parts.scheme not in ("http", "https", "mailto") or not (parts.netloc or parts.path):
        raise ValueError("must be an http(s) or mailto URL")


def _revisits(value: Any) -> None:
    revisit_schedule(None if value is None else str(value))


def _budget(value: Any) -> None:
    budget_of(str(value).strip())


def _now(value: Any) -> None:
    current_time(str(value) if value else None)


def _warc_revisits(value: Any) -> None:
    warc_revisits_enabled(BaseSettings({"NEWSCRAWL_WARC_REVISITS": value}))


def _conditional(value: Any) -> None:
    conditional_enabled(BaseSettings({"NEWSCRAWL_CONDITIONAL": value}))


def _warc_keep_days(value: Any) -> None:
    warc_keep_days(BaseSettings({"NEWSCRAWL_WARC_KEEP_DAYS": value}))


VALIDATORS: Mapping[str, Callable[[Any], None]] = {
    "NEWSCRAWL_DB": _archive_path,
    "NEWSCRAWL_SOURCES": _sources_file,
    "NEWSCRAWL_CONTACT_URL": _contact_url,
    "NEWSCRAWL_REVISITS": _revisits,
    "NEWSCRAWL_MAX_REVISITS": _whole_number(0),
    "NEWSCRAWL_DUE_BUDGET": _budget,
    "NEWSCRAWL_NOW": _now,
    "NEWSCRAWL_MAX_ERRORS": _whole_number(0),
    "NEWSCRAWL_LOG_DIR": _folder,
    "NEWSCRAWL_WARC": _on_off,
    "NEWSCRAWL_WARC_DIR": _folder,
    "NEWSCRAWL_WARC_MAX_BYTES": _whole_number(1),
    "NEWSCRAWL_WARC_REVISITS": _warc_revisits,
    "NEWSCRAWL_WARC_KEEP_DAYS": _warc_keep_days,
    "NEWSCRAWL_RETRY_AFTER_MAX": _seconds,
    "NEWSCRAWL_CONDITIONAL": _conditional,
    "NEWSCRAWL_MANAGED_RUN": _bool,
    "NEWSCRAWL_RECORD_RUN": _bool,
}


def known_settings() -> frozenset[str]:
    """The names of the NEWSCRAWL_* settings that `newscrawl.settings` defines."""
    return frozenset(name for name in vars(settings_module) if name.startswith(PREFIX))


def check_settings(
    settings: BaseSettings,
    given: Iterable[str] = (),
    environment: Mapping[str, str] | None = None,
) -> None:
    """Check the setting names `given` (the ``-s`` names) and the NEWSCRAWL_* variables of
    `environment` (default `os.environ`), then every NEWSCRAWL_* value and LOG_LEVEL.

    Returns None when all is well; raises `SettingError` for the first unknown
    name (with a "did you mean" when one is close) or malformed value.
    """
    known = known_settings()
    environ = os.environ if environment is None else environment
    named = [(name, "-s") for name in given] + [
        (name, "the environment variable") for name in environ
    ]
    for name, where in named:
        if name.startswith(PREFIX) and name not in known:
            close = difflib.get_close_matches(name, sorted(known), n=1)
            hint = f"; did you mean {close[0]}?" if close else ""
            raise SettingError(f"{where} {name}: no such setting{hint}")
    for name, validate in VALIDATORS.items():
        value = settings.get(name)
        try:
            validate(value)
        except ValueError as exc:
            message = str(exc)
            if name not in message:
                message = f"{name}={value!r}: {message}"
            raise SettingError(message) from None
    check_log_level(settings.get("LOG_LEVEL"))


def check_log_level(level: Any) -> None:
    """Raises `SettingError` unless `level` is a level Python's logging knows (INFO, 20)."""
    # As Scrapy hands it to logging: a number only as an int, a name only in capitals.
    if isinstance(level, int) or str(level) in logging.getLevelNamesMapping():
        return
    names = [
        name
        for name, _ in sorted(logging.getLevelNamesMapping().items(), key=lambda item: item[1])
        if name not in ("NOTSET", "WARN", "FATAL")
    ]
    raise SettingError(f"LOG_LEVEL={level!r}: choose among {', '.join(names)}")
