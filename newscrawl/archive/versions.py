"""An article's content and its history: the content hash and the `article_versions` rows.

`content_hash` decides whether a fetch shows new content. When the latest fetch
does, the row's old content becomes the next version (`archive_current_content`);
an older fetch, replayed from a WARC file, fills in the history without ever
rolling the row back (`record_earlier_observation`).
"""

from __future__ import annotations

import hashlib
import unicodedata
from typing import Any

from sqlite_utils import Database

from newscrawl.archive.queries import StoredArticle, versions_of
from newscrawl.archive.rows import update_article
from newscrawl.items import Article
from newscrawl.text import folded_text
from newscrawl.timestamps import parsed_instant, utc_iso

__all__ = [
    "archive_current_content",
    "content_columns",
    "content_hash",
    "record_earlier_observation",
]


def content_hash(article: Article) -> str:
    """The sha256 of what the article says: headline, summary, body and published_at.

    Views, fetched_at and links are left out, so a re-fetch that only shows a
    new view count (or new related cards) is the same content.
    """
    published = utc_iso(article.published_at) if article.published_at else ""
    parts = [_folded(article.headline), _folded(article.summary), _folded(article.body), published]
    # The unit separator cannot occur in folded text, so fields cannot run together.
    return hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()


def content_columns(article: Article, new_hash: str) -> dict[str, Any]:
    """The content: what `content_hash` covers, and what `article_versions` keeps."""
    return {
        "headline": article.headline,
        "summary": article.summary,
        "body": article.body,
        "published_at": article.published_at.isoformat() if article.published_at else None,
        "content_hash": new_hash,
    }


def archive_current_content(db: Database, article_id: int) -> None:
    """Copy the row's current content into article_versions as its next version."""
    db.execute(
        "INSERT INTO article_versions (article_id, version, content_hash, headline, "
        "summary, body, published_at, first_seen_at, last_seen_at, warc_file, warc_offset) "
        "SELECT id, coalesce((SELECT max(version) FROM article_versions "
        "WHERE article_id = :id), 0) + 1, content_hash, headline, summary, body, "
        "published_at, coalesce(content_first_seen_at, first_seen_at), last_seen_at, "
        "warc_file, warc_offset FROM articles WHERE id = :id",
        {"id": article_id},
    )


def record_earlier_observation(
    db: Database, stored: StoredArticle, article: Article, new_hash: str, observed_at: str
) -> None:
    """An observation older than the row's latest fetch: history only, never the row.

    Inside the current content's span the latest fetch decides. Before it,
    the observation confirms, corrects (the same fetch parsed again) or
    extends a past version, or becomes a version of its own in time order.
    """
    moment = parsed_instant(observed_at)
    if moment < parsed_instant(stored.first_seen_at):
        update_article(db, stored.id, {"first_seen_at": observed_at})
    if moment >= parsed_instant(stored.content_first_seen_at):
        return
    versions = versions_of(db, stored.id)
    for version in versions:
        if version.first_seen_at <= moment <= version.last_seen_at:
            if version.content_hash != new_hash and moment == version.last_seen_at:
                _update_version(db, stored.id, version.version, article, new_hash)
            return
    following = next((v for v in versions if v.first_seen_at > moment), None)
    preceding = next((v for v in reversed(versions) if v.last_seen_at < moment), None)
    if following is not None and following.content_hash == new_hash:
        _update_version(db, stored.id, following.version, first_seen_at=observed_at)
    elif following is None and stored.content_hash == new_hash:
        update_article(db, stored.id, {"content_first_seen_at": observed_at})
    elif preceding is not None and preceding.content_hash == new_hash:
        _update_version(db, stored.id, preceding.version, last_seen_at=observed_at)
        if article.warc_file is not None:
            _update_version(
                db,
                stored.id,
                preceding.version,
                warc_file=article.warc_file,
                warc_offset=article.warc_offset,
            )
    else:
        position = following.version if following else len(versions) + 1
        _insert_version(db, stored.id, position, article, new_hash, observed_at)


def _update_version(
    db: Database,
    article_id: int,
    version: int,
    article: Article | None = None,
    new_hash: str | None = None,
    **columns: Any,
) -> None:
    if article is not None:
        columns.update(
            content_columns(article, new_hash or content_hash(article)),
            warc_file=article.warc_file,
            warc_offset=article.warc_offset,
        )
    db.table("article_versions").update((article_id, version), columns)


def _insert_version(
    db: Database, article_id: int, position: int, article: Article, new_hash: str, observed_at: str
) -> None:
    """Insert a version at `position`, renumbering the later ones to keep time order."""
    # Two steps through negative numbers: a single +1 would collide with
    # the primary key of the next version on the way.
    db.execute(
        "UPDATE article_versions SET version = -(version + 1) "
        "WHERE article_id = ? AND version >= ?",
        [article_id, position],
    )
    db.execute(
        "UPDATE article_versions SET version = -version WHERE article_id = ? AND version < 0",
        [article_id],
    )
    db.table("article_versions").insert(
        {
            "article_id": article_id,
            "version": position,
            **content_columns(article, new_hash),
            "first_seen_at": observed_at,
            "last_seen_at": observed_at,
            "warc_file": article.warc_file,
            "warc_offset": article.warc_offset,
        }
    )


def _folded(text: str | None) -> str:
    """Text in NFC with every whitespace run as one space, so reformatting is not a change."""
    return folded_text(unicodedata.normalize("NFC", text or ""))
