"""The sample UNN-style site: article pages, AMP copies, an RSS feed and paged listings.

The markup follows /shared/sites/unn.md. It is invented text, never a copy of
real pages. `build` stands for one deployment of the site: it seeds the hash
suffixes of the CSS-module class names, which change with every real
deployment, so two builds are the same site with different class names.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from collections.abc import Callable, Sequence
from datetime import datetime
from email.utils import format_datetime
from html import escape

from newscrawl.testing.demo.stories import (
    LANGUAGES,
    SITE_URL,
    Story,
    Version,
    demo_stories,
    language_prefix,
    linked_version,
)
from newscrawl.testing.mirror import Resource

__all__ = [
    "CARDS_PER_PAGE",
    "HTML",
    "card_html",
    "demo_site",
    "listing_html",
    "listing_pages",
]

HTML = "text/html; charset=utf-8"
RSS = "application/rss+xml; charset=utf-8"
CARDS_PER_PAGE = 6
# Ukrainian stories the feed carries (newest first); older ones only appear in listings.
FEED_SIZE = 10

ClassName = Callable[[str], str]

_UK_MONTHS = [
    "січня",
    "лютого",
    "березня",
    "квітня",
    "травня",
    "червня",
    "липня",
    "серпня",
    "вересня",
    "жовтня",
    "листопада",
    "грудня",
]
_RU_MONTHS = [
    "января",
    "февраля",
    "марта",
    "апреля",
    "мая",
    "июня",
    "июля",
    "августа",
    "сентября",
    "октября",
    "ноября",
    "декабря",
]
_EN_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]

_LABELS = {
    "uk": {
        "related": "Новини за темою",
        "latest": "Останні новини",
        "next": "Наступна сторінка",
        "empty": "Новин більше немає",
        "location": "Київ • УНН",
        "photo": "Фото",
    },
    "en": {
        "related": "News by theme",
        "latest": "Latest news",
        "next": "Next page",
        "empty": "No more news",
        "location": "Kyiv • UNN",
        "photo": "Photo",
    },
    "ru": {
        "related": "Новости по теме",
        "latest": "Последние новости",
        "next": "Следующая страница",
        "empty": "Новостей больше нет",
        "location": "Киев • УНН",
        "photo": "Фото",
    },
}

_INLINE = re.compile(r"\[\[([^|\]]+)\|([^\]]+)\]\]")


def demo_site(
    build: str = "demo", *, views_offset: int = 0, stories: Sequence[Story] | None = None
) -> dict[str, Resource]:
    """Every resource of the sample site, keyed by request path (query string included).

    `views_offset` is added to every view count shown, so a second rendering
    looks like the same site some hours later. `stories` (newest first)
    replaces the bundled ones, e.g. with `newscrawl.testing.demo.generated_stories`.
    """
    css = _class_namer(build)
    stories = demo_stories() if stories is None else list(stories)
    site: dict[str, Resource] = {
        "/robots.txt": Resource(
            b"User-agent: *\nAllow: /\n\nSitemap: https://unn.ua/sitemap.xml\n",
            "text/plain; charset=utf-8",
        ),
        "/rss/news_uk.xml": Resource(_rss_feed(stories).encode(), RSS),
    }
    for story in stories:
        for language, version in story.versions.items():
            page = _article_html(story, version, css, views_offset, amp=False)
            site[version.path] = Resource(page.encode(), HTML)
            if language in story.amp_languages:
                amp = _article_html(story, version, css, views_offset, amp=True)
                site[version.amp_path] = Resource(amp.encode(), HTML)
    for language in LANGUAGES:
        versions = [s.versions[language] for s in stories if language in s.versions]
        site.update(listing_pages(language, versions, css, views_offset))
    return site


def listing_pages(
    language: str, versions: Sequence[Version], css: ClassName, views_offset: int = 0
) -> dict[str, Resource]:
    """The paged listing of `versions`, CARDS_PER_PAGE a page, plus the empty page after them.

    Page 1 answers both at /news and /news?page=1, as on the real site.
    """
    listing = f"{language_prefix(language)}/news"
    pages = [
        versions[start : start + CARDS_PER_PAGE]
        for start in range(0, len(versions), CARDS_PER_PAGE)
    ]
    pages.append([])  # the page after the last one: status 200, no cards
    resources: dict[str, Resource] = {}
    for number, page_versions in enumerate(pages, start=1):
        cards = [
            card_html(v, css, views_offset, tracking=(language == "uk" and number == 1 and i == 1))
            for i, v in enumerate(page_versions)
        ]
        has_next = number < len(pages)
        next_href = f"{listing}?page={number + 1}" if has_next else None
        html = listing_html(language, cards, css, next_href=next_href)
        resources[f"{listing}?page={number}"] = Resource(html.encode(), HTML)
    resources[listing] = resources[f"{listing}?page=1"]
    return resources


def card_html(
    version: Version, css: ClassName, views_offset: int = 0, *, tracking: bool = False
) -> str:
    """A news card linking `version`, as listings and "News by theme" show them.

    `tracking` appends the campaign parameters that shared links carry, which the
    crawler must strip before deduplicating.
    """
    href = version.path + ("?utm_source=rss&utm_medium=referral" if tracking else "")
    info = (
        f"{escape(version.section)} • {_shown_date(version.published_at, version.language)} • "
        f"{_views_html(version, views_offset)}"
    )
    return (
        f'<a class="{css("news-card_root")}" href="{escape(href)}">'
        f'<div class="{css("news-card_image")}"><img src="{_image_url(version)}" alt=""></div>'
        f'<h3 class="{css("news-card_title")}">{escape(version.headline)}</h3>'
        f'<p class="{css("news-card_lead")}">{escape(version.summary)}</p>'
        f'<p class="{css("news-card_info")}">{info}</p></a>'
    )


def listing_html(
    language: str, cards: Sequence[str], css: ClassName, *, next_href: str | None
) -> str:
    """A listing page holding `cards` (HTML snippets); no cards means "no more news"."""
    labels = _LABELS[language]
    if cards:
        content = f'<div class="{css("news-list_root")}">{"".join(cards)}</div>'
    else:
        content = f'<p class="{css("news-list_empty")}">{labels["empty"]}</p>'
    pagination = (
        f'<nav class="{css("pagination_root")}"><a href="{escape(next_href)}">'
        f"{labels['next']}</a></nav>"
        if next_href and cards
        else ""
    )
    main = f'<h1 class="{css("news-list_title")}">{labels["latest"]}</h1>{content}{pagination}'
    return _document(language, f"{labels['latest']} | УНН", "", main, css)


def _class_namer(build: str) -> ClassName:
    """CSS-module class names for one build: "<component>_<element>__<hash of build>"."""

    def name(base: str) -> str:
        digest = hashlib.blake2b(f"{build}/{base}".encode(), digest_size=6).digest()
        return f"{base}__{base64.urlsafe_b64encode(digest).decode()[:5]}"

    return name


def _document(
    language: str, title: str, head: str, main: str, css: ClassName, *, amp: bool = False
) -> str:
    """The page frame every page shares: head, site header, main content, footer."""
    prefix = language_prefix(language)
    sections = (("politics", "Політика"), ("economics", "Економіка"), ("kyiv", "Київ"))
    nav = "".join(f'<a href="{prefix}/{key}">{escape(name)}</a>' for key, name in sections)
    switch = "".join(
        f'<a href="{language_prefix(lang)}/news">{lang.upper()}</a>' for lang in LANGUAGES
    )
    return (
        f'<!DOCTYPE html><html lang="{language}"{" amp" if amp else ""}><head>'
        f'<meta charSet="utf-8"/><meta name="viewport" content="width=device-width"/>'
        f"<title>{escape(title)}</title>{head}"
        f'<link rel="preload" href="/_next/static/css/{css("app")[-5:]}.css" as="style"/>'
        f'</head><body><div id="__next">'
        f'<header class="{css("header_root")}"><a class="{css("header_logo")}" href="{prefix}/">'
        f'УНН</a><nav class="{css("header_nav")}">{nav}</nav>'
        f'<div class="{css("header_languages")}">{switch}</div></header>'
        f'<div class="{css("home-page_main")}">{main}</div>'
        f'<footer class="{css("footer_root")}"><p>© 2024 УНН. Усі права захищено.</p>'
        f'<a href="/about">Про нас</a></footer>'
        f'</div><script id="__NEXT_DATA__" type="application/json">{{"buildId":"'
        f'{css("build")[-5:]}"}}</script></body></html>'
    )


def _article_html(
    story: Story, version: Version, css: ClassName, views_offset: int, *, amp: bool
) -> str:
    language = version.language
    labels = _LABELS[language]
    head = [
        f'<meta property="og:title" content="{escape(version.headline)}"/>',
        f'<meta name="description" content="{escape(version.summary)}"/>',
        f'<meta property="og:url" content="{version.url}"/>',
    ]
    if story.has_canonical or amp:
        head.append(f'<link rel="canonical" href="{version.url}"/>')
    if len(story.versions) > 1:
        head += [
            f'<link rel="alternate" hreflang="{lang}" href="{other.url}"/>'
            for lang, other in story.versions.items()
        ]
    if story.has_jsonld and not amp:
        head.append(
            '<script type="application/ld+json">'
            + json.dumps(_jsonld(version), ensure_ascii=False)
            + "</script>"
        )

    info = (
        f'<div class="{css("single-news-card_tagDateInfo")}">'
        f'<p class="{css("single-news-card_tagDateInfoItem")}">'
        f'<a href="{version.section_path}">{escape(version.section)}</a> • '
        f"{_shown_date(version.published_at, language)}</p>"
        f'<p class="{css("single-news-card_tagDateInfoItem")}"><svg width="16" height="16">'
        f"</svg> • {_views_html(version, views_offset)}</p></div>"
    )
    figure = (
        f'<figure class="{css("single-news-card_figure")}"><img src="{_image_url(version)}" '
        f'alt="{escape(version.headline)}"/>'
        f"<figcaption>{labels['photo']}: УНН</figcaption></figure>"
        if story.has_figure
        else ""
    )
    body = _body_html(story, version, css)
    content = (
        f'<div class="{css("single-news-card_contentBlock")}">'
        f'<div class="{css("single-news-card_announce")}"><p><strong>'
        f"{escape(version.summary)}</strong></p></div>{figure}"
        f'<div class="{css("single-news-card_body")}">{body}</div></div>'
    )
    author = ""
    if version.authors and story.has_author_block:
        author = (
            f'<div class="{css("single-news-card_author")}">'
            + "".join(
                f'<a href="/authors/{slug}">{escape(name)}</a>'
                for slug, name in zip(version.author_slugs, version.authors, strict=True)
            )
            + "</div>"
        )
    tags = (
        f'<div class="{css("single-news-card_tags")}"><a href="{version.section_path}">'
        f"{escape(version.section)}</a>"
        + "".join(
            f'<a href="{language_prefix(language)}/tags/{_tag_slug(tag)}">{escape(tag)}</a>'
            for tag in version.extra_tags
        )
        + "</div>"
    )
    location = (
        f'<p class="{css("single-news-card_location")}">{labels["location"]}</p>'
        if story.id != "football"  # a page without the location line
        else ""
    )
    article = (
        f'<div class="{css("single-news-card_root")}">'
        f'<h1 class="{css("single-news-card_newsTitle")}">{escape(version.headline)}</h1>'
        f"{info}{location}{content}{author}{tags}</div>"
    )
    related = story.related(language)
    if related:
        article += (
            f'<section class="{css("news-by-theme_root")}"><h2>{labels["related"]}</h2>'
            + "".join(card_html(target, css, views_offset) for target in related)
            + "</section>"
        )
    return _document(language, f"{version.headline} | УНН", "".join(head), article, css, amp=amp)


def _body_html(story: Story, version: Version, css: ClassName) -> str:
    """Body paragraphs with inline links, read-also inserts after the 2nd and 3rd paragraph."""
    inserts = [_read_also_html(story, target, css) for target in story.read_also(version.language)]
    parts: list[str] = []
    for i, paragraph in enumerate(version.marked_paragraphs):
        parts.append(f"<p>{_linked_paragraph(paragraph, version.language)}</p>")
        if i >= 1 and inserts:
            parts.append(inserts.pop(0))
        if i == 1 and story.has_figure:
            # An ad slot: script only, no text, which parsers must skip.
            parts.append(
                f'<div class="{css("ad-slot_root")}"><script>window.adQueue=window.adQueue||[];'
                f'window.adQueue.push("in-article")</script></div>'
            )
    parts.extend(inserts)
    return "".join(parts)


def _read_also_html(story: Story, target: Version, css: ClassName) -> str:
    """A read-also insert. Two markups, since unn.md says the class names are not certain."""
    date = target.published_at.strftime("%d.%m.%y, %H:%M")
    if len(story.id) % 2:
        return (
            f'<div class="{css("read-also_root")}"><a href="{target.path}">'
            f'<span class="{css("read-also_title")}">{escape(target.headline)}</span>'
            f'<span class="{css("read-also_date")}">{date}</span></a></div>'
        )
    return (
        f'<div class="{css("news-insert_root")}"><a href="{target.path}">'
        f"{escape(target.headline)} {date}</a></div>"
    )


def _linked_paragraph(paragraph: str, language: str) -> str:
    pieces: list[str] = []
    last = 0
    for match in _INLINE.finditer(paragraph):
        target = linked_version(match.group(1), language)
        pieces.append(escape(paragraph[last : match.start()]))
        pieces.append(f'<a href="{target.path}">{escape(match.group(2))}</a>')
        last = match.end()
    pieces.append(escape(paragraph[last:]))
    return "".join(pieces)


def _jsonld(version: Version) -> dict[str, object]:
    data: dict[str, object] = {
        "@context": "https://schema.org",
        "@type": "NewsArticle",
        "headline": version.headline,
        "description": version.summary,
        "datePublished": version.published_at.isoformat(),
        "dateModified": version.published_at.isoformat(),
        "inLanguage": version.language,
        "mainEntityOfPage": version.url,
        "publisher": {"@type": "Organization", "name": "УНН", "url": SITE_URL},
    }
    if version.authors:
        data["author"] = [{"@type": "Person", "name": name} for name in version.authors]
    return data


def _rss_feed(stories: Sequence[Story]) -> str:
    """RSS 2.0 of the newest Ukrainian stories, with absolute https://unn.ua links.

    The newest story links its AMP copy, as the real feed sometimes does.
    """
    items = []
    for story in [s for s in stories if "uk" in s.versions][:FEED_SIZE]:
        version = story.versions["uk"]
        path = version.amp_path if "uk" in story.amp_languages else version.path
        items.append(
            f"<item><title>{escape(version.headline)}</title>"
            f"<link>{SITE_URL}{path}</link>"
            f"<description>{escape(version.summary)}</description>"
            f"<pubDate>{format_datetime(version.published_at)}</pubDate>"
            f"<category>{escape(version.section)}</category>"
            f'<guid isPermaLink="true">{version.url}</guid></item>'
        )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n<rss version="2.0"><channel>'
        "<title>УНН | Новини</title><link>https://unn.ua</link>"
        "<description>Українські Національні Новини</description><language>uk</language>"
        + "".join(items)
        + "</channel></rss>\n"
    )


def _shown_date(when: datetime, language: str) -> str:
    """The date as UNN's info line shows it in each language."""
    if language == "en":
        return f"{_EN_MONTHS[when.month - 1]} {when.day} {when.year}, {when:%I:%M %p}"
    months = _RU_MONTHS if language == "ru" else _UK_MONTHS
    return f"{when.day} {months[when.month - 1]} {when.year}, {when:%H:%M}"


def _views_html(version: Version, views_offset: int) -> str:
    count = version.views_with(views_offset)
    # React renders numbers between empty comments.
    return f"<!-- -->{count}<!-- --> {_views_label(version, count)}"


def _views_label(version: Version, count: int) -> str:
    """The word after the count: UNN often writes "переглядiв" with a Latin i, even in English."""
    if version.views_style == "latin":
        return "переглядiв"
    if version.views_style == "views" or version.language == "en":
        return "views"
    forms = ("перегляд", "перегляди", "переглядів")
    if version.language == "ru":
        forms = ("просмотр", "просмотра", "просмотров")
    if count % 10 == 1 and count % 100 != 11:
        return forms[0]
    if 2 <= count % 10 <= 4 and not 12 <= count % 100 <= 14:
        return forms[1]
    return forms[2]


def _image_url(version: Version) -> str:
    when = version.published_at
    stamp = int(when.timestamp())
    return (
        f"/_next/image?url=https%3A%2F%2Fimg.unn.ua%2Fimg%2F{when:%Y}%2F{when:%m}%2F{when:%d}"
        f"%2F{stamp}-1-large.webp&amp;w=1200&amp;q=75"
    )


def _tag_slug(tag: str) -> str:
    return hashlib.blake2b(tag.encode(), digest_size=4).hexdigest()
