"""The simulated redesign renames every class and id and keeps text, DOM and order."""

from __future__ import annotations

import lxml.html

from newscrawl.testing.demo import demo_site
from newscrawl.testing.redesign import redesigned_html, redesigned_site

PAGE = """<!DOCTYPE html><html lang="uk"><head><title>T</title>
<script type="application/ld+json">{"@type": "NewsArticle", "headline": "H"}</script></head>
<body><div id="root" class="single-news-card_root__a1 wide">
<h1 class="single-news-card_newsTitle__a1">Заголовок</h1>
<p class="single-news-card_body__a1">Текст <a href="/x" class="wide">посилання</a></p>
<!-- a comment --></div></body></html>"""


def _shape(html: str) -> list[tuple[str, str]]:
    root = lxml.html.document_fromstring(html)
    return [(el.tag, (el.text or "").strip()) for el in root.iter() if isinstance(el.tag, str)]


def test_every_class_and_id_is_renamed_and_no_old_name_survives() -> None:
    new = redesigned_html(PAGE)
    for old in ("single-news-card", "root", "wide", "newsTitle", "_body__"):
        assert f'"{old}' not in new and f" {old}" not in new.split("<body>")[1]
    root = lxml.html.document_fromstring(new)
    classes = [c for el in root.iter() if isinstance(el.tag, str) and (c := el.get("class"))]
    assert len(classes) == 4
    # One old name, one new name: the card and the link still share "wide"'s renaming.
    assert classes[0].split()[1] == classes[-1]


def test_text_tags_and_their_order_are_kept() -> None:
    new = redesigned_html(PAGE)
    assert _shape(new) == _shape(PAGE)
    assert "a comment" in new
    assert 'type="application/ld+json"' in new


def test_json_ld_can_be_dropped_too() -> None:
    new = redesigned_html(PAGE, drop_jsonld=True)
    assert "ld+json" not in new
    assert "Заголовок" in new


def test_a_build_name_gives_other_names() -> None:
    assert redesigned_html(PAGE, build="a") != redesigned_html(PAGE, build="b")


def test_a_whole_site_is_redesigned_but_its_feed_is_not() -> None:
    site = demo_site()
    new = redesigned_site(site)
    assert new.keys() == site.keys()
    assert new["/rss/news_uk.xml"] == site["/rss/news_uk.xml"]
    article = next(path for path in site if path.startswith("/news/") and "?" not in path)
    assert "single-news-card_" in site[article].body.decode()
    assert "single-news-card_" not in new[article].body.decode()
    assert _shape(new[article].body.decode()) == _shape(site[article].body.decode())
