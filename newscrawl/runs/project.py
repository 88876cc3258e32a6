"""The project's Scrapy settings, loaded the same way by every command and worker."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from scrapy.settings import Settings

__all__ = ["SETTINGS_MODULE", "project_settings"]

SETTINGS_MODULE = "newscrawl.settings"


def project_settings(overrides: Mapping[str, Any] | None = None) -> Settings:
    """The project's Scrapy settings, found without a scrapy.cfg so any directory works."""
    settings = Settings()
    settings.setmodule(SETTINGS_MODULE, priority="project")
    if overrides:
        settings.setdict(dict(overrides), priority="cmdline")
    return settings
