"""Hostile pages for a mirror, built on the fly: gzip bombs, huge pages, oversized fields.

The tests (tests/test_hostile_limits.py) and the memory benchmark
(bench/hostile_memory.py) serve these from `newscrawl.testing.mirror`; nothing
here is ever written to disk, so no bomb is committed.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from html import escape

from newscrawl.testing.mirror import Resource

__all__ = [
    "HTML",
    "article_page",
    "feed",
    "gzip_bomb",
    "huge_page",
]

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
# The first moment of the generated articles; each next one is an hour later.
FIRST_PUBLISHED = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)


def gzip_bomb(expanded_bytes: int, *, chunk: int = 1 << 20) -> Resource:
    """A resource whose gzip body inflates to `expanded_bytes` of an HTML page.

    Compressed chunk by chunk, so building a bomb of hundreds of megabytes never
    holds them; the body is a thousandth of the expanded size or less. Served with
    `Content-Encoding: gzip`, so the client inflates it.
    """
    packer = zlib.compressobj(9, zlib.DEFLATED, 16 + zlib.MAX_WBITS)  # the gzip format
    parts = [packer.compress(b"<html><head><title>bomb</title></head><body><p>")]
    filler = b" " * chunk
    left = expanded_bytes
    while left > 0:
        parts.append(packer.compress(filler[: min(chunk, left)]))
        left -= chunk
    parts.append(packer.compress(b"</p></body></html>"))
    parts.append(packer.flush())
    return Resource(b"".join(parts), HTML, headers=(("Content-Encoding", "gzip"),))


def paragraphs(count: int, seed: int = 0) -> list[str]:
    """`count` different Ukrainian paragraphs of about 400 characters each.

    Different from each other, so extraction keeps every one (repeated text
    reads as boilerplate).
    """
    return [
        f"Абзац {seed}-{n}: Київ отримає три нові станції метро до {2025 + n % 50} року, "
        f"повідомила міська рада {n} разів поспіль. Будівництво лінії {n * 7 % 101} "
        f"коштуватиме {n * 13 % 997} мільйонів гривень, а перші поїзди підуть за графіком "
        f"номер {n}. Мешканці району {n % 17} чекають на відкриття вже багато років, "
        f"і депутати обіцяють звітувати щомісяця про перебіг робіт на ділянці {n}."
        for n in range(count)
    ]


def article_page(
    headline: str, body: list[str], *, summary: str = "", published: datetime | None = None
) -> bytes:
    """The HTML of an article page with this headline, lead and body paragraphs."""
    when = (published or FIRST_PUBLISHED).isoformat()
    lead = f'<meta name="description" content="{escape(summary)}">' if summary else ""
    text = "\n".join(f"<p>{escape(p)}</p>" for p in body)
    return (
        "<!doctype html><html lang='uk'><head><meta charset='utf-8'>"
        f"<title>{escape(headline)}</title>{lead}"
        f"<meta property='article:published_time' content='{when}'></head>"
        f"<body><main><article><h1>{escape(headline)}</h1>{text}</article></main>"
        "</body></html>"
    ).encode()


def huge_page(size: int) -> Resource:
    """An article page of at least `size` bytes (different paragraphs, no compression)."""
    sample = paragraphs(100, seed=size)
    per_paragraph = sum(len(p.encode()) for p in sample) // len(sample)
    count = size // per_paragraph + 1
    return Resource(article_page("Величезна сторінка", paragraphs(count, seed=size)), HTML)


def feed(base: str, paths: Mapping[str, str]) -> Resource:
    """An RSS 2.0 feed of the pages at `paths` on `base` (path -> title), an hour apart."""
    items = []
    for n, (path, title) in enumerate(paths.items()):
        published = format_datetime(FIRST_PUBLISHED + timedelta(hours=n))
        items.append(
            f"<item><title>{escape(title)}</title><link>{base}{path}</link>"
            f"<pubDate>{published}</pubDate></item>"
        )
    return Resource(
        (
            '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
            f"<title>Hostile</title><link>{base}/</link>{''.join(items)}</channel></rss>"
        ).encode(),
        RSS,
    )
