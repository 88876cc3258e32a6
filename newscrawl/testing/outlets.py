"""Made-up declared outlets on loopback addresses, for the `crawl --due` tests and benchmark.

Each outlet is a small site of its own: an RSS feed of a few articles, each an
article page the generic parser reads (an <h1>, a <time datetime=...>, several
paragraphs). Served on its own loopback address (Linux answers all of
127.0.0.0/8), each outlet has its own host and so its own `articles.site`.
`sources_toml` writes the sources file that declares them and switches every
other outlet off.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import format_datetime
from html import escape

from newscrawl.testing.mirror import Mirror, Resource, serve

__all__ = ["OutletSpec", "others_switched_off", "outlet_site", "serve_outlets", "sources_toml"]

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
FEED_PATH = "/rss.xml"

_PARAGRAPHS = (
    "Міська рада ухвалила рішення про ремонт мосту через річку до кінця наступного року.",
    "За словами посадовців, роботи профінансують з міського бюджету та коштів партнерів.",
    "Мешканці району просили відремонтувати переправу ще три роки тому, нагадують журналісти.",
    "Рух транспорту на час ремонту обмежать, а для пішоходів облаштують тимчасовий перехід.",
)


@dataclass(frozen=True)
class OutletSpec:
    """One made-up outlet: its name, crawl interval, address, articles, and page delay."""

    name: str
    interval: str  # as in a sources file: "15m", "1h"
    host: str  # a loopback address: "127.0.0.2"
    articles: int = 2
    # Seconds each article page waits before answering: a slow outlet.
    delay: float = 0.0


def outlet_site(spec: OutletSpec, published: datetime) -> dict[str, Resource]:
    """The outlet's resources: its feed and `spec.articles` article pages, by path.

    The articles were published a minute apart, the newest at `published` (aware).
    """
    site: dict[str, Resource] = {}
    items = []
    for n in range(spec.articles):
        path = f"/news/{spec.name}-story-{n + 1}.html"
        when = published - timedelta(minutes=n)
        headline = f"{spec.name}: новина номер {n + 1}"
        paragraphs = "".join(f"<p>{escape(text)}</p>" for text in _PARAGRAPHS)
        page = (
            f'<!DOCTYPE html><html lang="uk"><head><meta charset="utf-8">'
            f"<title>{escape(headline)}</title></head><body><main><article>"
            f"<h1>{escape(headline)}</h1>"
            f'<time datetime="{when.isoformat()}">{when:%d.%m.%Y %H:%M}</time>'
            f"{paragraphs}</article></main></body></html>"
        )
        site[path] = Resource(page.encode(), HTML, delay=spec.delay)
        items.append((path, headline, when))
    return {FEED_PATH: Resource(_feed(spec.name, items).encode(), RSS), **site}


def _feed(name: str, items: Sequence[tuple[str, str, datetime]]) -> str:
    entries = "".join(
        f"<item><title>{escape(title)}</title><link>{escape(path)}</link>"
        f"<pubDate>{format_datetime(when)}</pubDate></item>"
        for path, title, when in items
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>'
        f"<title>{escape(name)}</title><link>/</link><description>{escape(name)}</description>"
        f"{entries}</channel></rss>"
    )


@contextmanager
def serve_outlets(specs: Sequence[OutletSpec], published: datetime) -> Iterator[dict[str, Mirror]]:
    """Serve each outlet on its own host; yields each one's mirror by outlet name."""
    with ExitStack() as stack:
        yield {
            spec.name: stack.enter_context(serve(outlet_site(spec, published), host=spec.host))
            for spec in specs
        }


def others_switched_off() -> str:
    """The start of a sources file whose own outlets are the only ones crawled or
    checked: no bundled catalogue, and every hand-parsed site disabled (whichever
    sites HAND_PARSED lists)."""
    from newscrawl.sites.registry import hand_parsed_sites

    disabled = "".join(f"[outlets.{name}]\nenabled = false\n\n" for name in hand_parsed_sites())
    return f"catalogue = false\n\n{disabled}"


def sources_toml(specs: Sequence[OutletSpec], mirrors: Mapping[str, str]) -> str:
    """A sources file declaring the outlets at their mirrors, and switching all others off
    (`others_switched_off`)."""
    lines = [others_switched_off().rstrip("\n")]
    for spec in specs:
        lines += [
            "",
            f"[outlets.{spec.name}]",
            f'title = "{spec.name.title()}"',
            f'home = "{mirrors[spec.name]}"',
            'languages = ["uk"]',
            f'feeds = ["{FEED_PATH}"]',
            f'interval = "{spec.interval}"',
        ]
    return "\n".join(lines) + "\n"
