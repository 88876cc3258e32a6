"""What an observed `Article` becomes in the archive's tables, and the plain SQL that writes it.

The column values of `articles` beside the content (which `versions` owns), of
`links` and of `view_snapshots`, and the INSERT and UPDATE statements of the
save path, built from our own table and column names only.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlite_utils import Database

from newscrawl.items import Article, Link
from newscrawl.sites.spec import Site
from newscrawl.timestamps import utc_iso

__all__ = [
    "LINK_FIELDS",
    "description_columns",
    "insert_sql",
    "link_row",
    "outlet_row",
    "snapshots_of",
    "update_article",
]

# The columns that say what a link is; target_article_id is derived.
LINK_FIELDS = ("position", "kind", "url", "title", "shown_at", "views")


def description_columns(article: Article) -> dict[str, Any]:
    """What else the parser says about the article, and which parser it was; the latest wins."""
    return {
        "site": article.site,
        "language": article.language,
        "published_source": article.published_source,
        "modified_at": article.modified_at.isoformat() if article.modified_at else None,
        "authors": json.dumps(article.authors, ensure_ascii=False),
        "section": article.section,
        "tags": json.dumps(article.tags, ensure_ascii=False),
        "alternates": json.dumps(article.alternates, ensure_ascii=False),
        # Provenance describes how the row's current reading was made, so it
        # follows the latest observation like the rest, and is not content:
        # a re-parse that changes only these makes no version.
        "parser": article.parser,
        "fallback_fields": json.dumps(sorted(article.fallback_fields)),
    }


def link_row(article_id: int, link: Link, target_article_id: int | None) -> dict[str, Any]:
    """The `links` row of one of the article's links."""
    return {
        "article_id": article_id,
        "position": link.position,
        "kind": link.kind,
        "url": link.url,
        "title": link.title,
        "shown_at": link.shown_at.isoformat() if link.shown_at else None,
        "views": link.views,
        "target_article_id": target_article_id,
    }


def snapshots_of(article: Article, observed_at: str, seen_on: str) -> list[dict[str, Any]]:
    """The view counts one observation of an article shows: its own and its related cards'."""
    rows = []
    if article.views is not None:
        rows.append(
            {
                "url": article.url,
                "observed_at": observed_at,
                "views": article.views,
                "seen_on": seen_on,
            }
        )
    for card in article.related:
        if card.views is not None:
            rows.append(
                {
                    "url": card.url,
                    "observed_at": observed_at,
                    "views": card.views,
                    "seen_on": article.url,
                }
            )
    return rows


def insert_sql(table: str, row: dict[str, Any], verb: str = "INSERT") -> str:
    """The INSERT of a row with these keys, for our own tables and column names only.

    Plain SQL rather than sqlite-utils' insert: this is the hot path of every
    save, and sqlite-utils introspects the schema on each call. The statement
    text depends only on the keys, so SQLite's statement cache reuses it.
    """
    return f"{verb} INTO {table} ({', '.join(row)}) VALUES ({', '.join('?' * len(row))})"


def update_article(db: Database, article_id: int, columns: dict[str, Any]) -> None:
    """Set these columns of the article's row."""
    assignments = ", ".join(f"{name} = ?" for name in columns)
    db.execute(f"UPDATE articles SET {assignments} WHERE id = ?", [*columns.values(), article_id])


def outlet_row(site: Site, recorded_at: datetime) -> dict[str, Any]:
    """The `outlets` row of a registered outlet, as its declaration says at `recorded_at`."""
    return {
        "name": site.name,
        "title": site.title or None,
        "kind": site.kind,
        "site": site.domain,
        "home": site.home,
        "languages": json.dumps(list(site.languages)),
        "interval_minutes": int(site.interval.total_seconds() // 60),
        "enabled": int(site.enabled),
        "verified": int(site.verified),
        "evidence": site.evidence or None,
        "declared_in": site.declared_in or None,
        "updated_at": utc_iso(recorded_at),
    }
