"""The demo site's stories as typed data: what the pages show and what a parser should find.

The text lives in `stories.json` (package data). Everything a test wants to
compare against the archive - URLs, headlines, views, authors, read-also
targets - is computed here from that file, never from parser output.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib import resources
from typing import Any, Literal
from zoneinfo import ZoneInfo

__all__ = [
    "KYIV",
    "LANGUAGES",
    "SITE_URL",
    "Story",
    "Version",
    "demo_stories",
    "story_by_id",
]

SITE_URL = "https://unn.ua"
KYIV = ZoneInfo("Europe/Kyiv")
# The default language has no path prefix; the others are /en/..., /ru/...
LANGUAGES = ("uk", "en", "ru")

# How a page writes its view count; see `views_label` in site.py.
ViewsStyle = Literal["latin", "plural", "views"]

# An inline link inside a paragraph of stories.json: [[story-id|anchor text]].
_INLINE = re.compile(r"\[\[([^|\]]+)\|([^\]]+)\]\]")


def language_prefix(language: str) -> str:
    """The path prefix of a language: "" for Ukrainian, "/en" for English."""
    return "" if language == "uk" else f"/{language}"


@dataclass(frozen=True)
class Version:
    """One language version of a story: one article page."""

    story_id: str
    language: str
    slug: str
    headline: str
    summary: str
    section: str  # the section's name in this language, e.g. "Економіка"
    section_path: str  # e.g. "/economics", "/en/economics"
    extra_tags: tuple[str, ...]
    authors: tuple[str, ...]  # names in this language; empty when the page names nobody
    author_slugs: tuple[str, ...]
    views: int  # before any `views_offset` of `demo_site`
    views_style: ViewsStyle
    marked_paragraphs: tuple[str, ...]  # with [[id|text]] inline-link marks
    published_at: datetime  # Kyiv time, timezone-aware

    @property
    def path(self) -> str:
        return f"{language_prefix(self.language)}/news/{self.slug}"

    @property
    def amp_path(self) -> str:
        return f"{language_prefix(self.language)}/amp/{self.slug}"

    @property
    def url(self) -> str:
        """The canonical site URL the archive should store."""
        return SITE_URL + self.path

    @property
    def tags(self) -> tuple[str, ...]:
        """The tags block: the section first, as on UNN."""
        return (self.section, *self.extra_tags)

    @property
    def paragraphs(self) -> tuple[str, ...]:
        """The body paragraphs as plain text, as a parser should extract them."""
        return tuple(_INLINE.sub(r"\2", p) for p in self.marked_paragraphs)

    @property
    def body(self) -> str:
        """The body as the `Article.body` field holds it: paragraphs joined by blank lines."""
        return "\n\n".join(self.paragraphs)

    def views_with(self, offset: int) -> int:
        """The view count the page shows when the site is rendered with `views_offset`."""
        return self.views + offset

    def inline_links(self) -> list[tuple[Version, str]]:
        """The inline links of the body, in order: (target version, anchor text)."""
        return [
            (linked_version(story_id, self.language), text)
            for paragraph in self.marked_paragraphs
            for story_id, text in _INLINE.findall(paragraph)
        ]


@dataclass(frozen=True)
class Story:
    """One news story, published in two or three languages."""

    id: str
    published_at: datetime
    section_key: str
    versions: dict[str, Version]
    amp_languages: tuple[str, ...]  # versions that also have an /amp/ copy
    has_jsonld: bool
    has_canonical: bool
    # False: the page has no author block and names the author only in JSON-LD.
    has_author_block: bool
    has_figure: bool
    read_also_refs: tuple[str, ...]  # "story-id" or "story-id:lang"
    related_ids: tuple[str, ...]

    def read_also(self, language: str) -> list[Version]:
        """The read-also inserts of the page in `language`, in order."""
        return [linked_version(ref, language) for ref in self.read_also_refs]

    def related(self, language: str) -> list[Version]:
        """The "News by theme" cards of the page in `language`, in order."""
        return [linked_version(ref, language) for ref in self.related_ids]


def linked_version(ref: str, language: str) -> Version:
    """The version a link from a `language` page points to.

    A reference may force a language ("story:uk", as the seed page's English
    article links Ukrainian read-also titles); otherwise the link goes to the
    same language, or to Ukrainian when the story has no such version.
    """
    story_id, _, forced = ref.partition(":")
    story = story_by_id(story_id)
    return story.versions.get(forced or language) or story.versions["uk"]


@cache
def _stories() -> tuple[Story, ...]:
    raw = json.loads(resources.files(__package__).joinpath("stories.json").read_text("utf-8"))
    sections: dict[str, dict[str, str]] = raw["sections"]
    authors: dict[str, dict[str, str]] = raw["authors"]
    return tuple(_story(entry, sections, authors) for entry in raw["stories"])


def _story(
    entry: dict[str, Any], sections: dict[str, dict[str, str]], authors: dict[str, dict[str, str]]
) -> Story:
    published_at = datetime.fromisoformat(entry["published"]).replace(tzinfo=KYIV)
    section_key: str = entry["section"]
    author_keys: list[str] = entry["authors"]
    versions = {
        language: Version(
            story_id=entry["id"],
            language=language,
            slug=data["slug"],
            headline=data["headline"],
            summary=data["summary"],
            section=sections[section_key][language],
            section_path=f"{language_prefix(language)}/{section_key}",
            extra_tags=tuple(data["tags"]),
            authors=tuple(authors[key][language] for key in author_keys),
            author_slugs=tuple(author_keys),
            views=data["views"],
            views_style=data["views_style"],
            marked_paragraphs=tuple(data["body"]),
            published_at=published_at,
        )
        for language, data in entry["versions"].items()
    }
    return Story(
        id=entry["id"],
        published_at=published_at,
        section_key=section_key,
        versions=versions,
        amp_languages=tuple(entry.get("amp", ())),
        has_jsonld=entry.get("jsonld", False),
        has_canonical=entry.get("canonical", True),
        has_author_block=entry.get("author_block", True),
        has_figure=entry.get("figure", False),
        read_also_refs=tuple(entry.get("read_also", ())),
        related_ids=tuple(entry.get("related", ())),
    )


def demo_stories() -> list[Story]:
    """Every story of the demo site, newest first."""
    return sorted(_stories(), key=lambda story: story.published_at, reverse=True)


def story_by_id(story_id: str) -> Story:
    for story in _stories():
        if story.id == story_id:
            return story
    raise KeyError(f"no demo story {story_id!r}")
