"""The parser registry: choosing a parser by domain, decoding bytes, applying feed hints."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.errors import TruncatedPage
from newscrawl.items import Page
from newscrawl.parsing import article_from_page, parser_for
from newscrawl.parsing.decoding import decoded_html
from newscrawl.parsing.generic import GenericParser
from newscrawl.parsing.unn import UnnParser

FIXTURES = Path(__file__).parent / "fixtures" / "unn"
SEED_URL = (
    "https://unn.ua/en/news/the-united-states-south-korea-and-japan-condemned-the-deepening-"
    "of-military-cooperation-between-the-dprk-and-the-russian-federation"
)
FETCHED = datetime(2024, 6, 25, 7, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    "url", ["https://unn.ua/news/x", "https://www.unn.ua/en/news/x", "http://UNN.UA/amp/x"]
)
def test_unn_domains_get_the_unn_parser(url: str) -> None:
    assert isinstance(parser_for(url), UnnParser)


@pytest.mark.parametrize(
    "url", ["https://example.com/news/x", "https://notunn.ua/news/x", "file:///tmp/page.html"]
)
def test_other_domains_fall_back_to_the_generic_parser(url: str) -> None:
    assert isinstance(parser_for(url), GenericParser)


def test_feed_date_fills_a_missing_page_date_in_the_site_zone() -> None:
    # The seed page shows no publication date of its own.
    page = Page(
        url=SEED_URL,
        body=(FIXTURES / "seed_en.html").read_bytes(),
        fetched_at=FETCHED,
        feed_published_at=datetime(2024, 6, 24, 6, 12, tzinfo=UTC),
    )
    article = article_from_page(page)
    assert article.published_source == "feed"
    assert article.published_at == datetime(2024, 6, 24, 6, 12, tzinfo=UTC)
    assert article.published_at.utcoffset() == timedelta(hours=3)  # Kyiv summer time
    assert article.published_at.isoformat() == "2024-06-24T09:12:00+03:00"


def test_page_date_wins_over_the_feed_date() -> None:
    page = Page(
        url="https://unn.ua/news/kyivrada-ukhvalyla-prohramu-rozvytku-veloinfrastruktury-do-2027-roku",
        body=(FIXTURES / "article_uk_jsonld.html").read_bytes(),
        fetched_at=datetime(2024, 6, 24, 12, 0, tzinfo=UTC),
        feed_published_at=datetime(2020, 1, 1, tzinfo=UTC),
    )
    article = article_from_page(page)
    assert article.published_source == "jsonld"
    assert article.published_at is not None and article.published_at.year == 2024


def test_feed_title_fills_a_missing_page_headline() -> None:
    html = "<html><head><title>Unknown Gazette</title>"
    html += '<meta property="og:site_name" content="Unknown Gazette"></head><body><article>'
    html += "<p>" + "The council met on Tuesday and approved the plan. " * 8 + "</p>"
    html += "</article></body></html>"
    page = Page(
        url="https://gazette.example/news/plan",
        body=html.encode(),
        fetched_at=FETCHED,
        feed_title="Council approves the plan",
    )
    assert article_from_page(page).headline == "Council approves the plan"
    page.feed_title = None
    assert article_from_page(page).headline is None


def test_page_headline_wins_over_the_feed_title() -> None:
    page = Page(
        url=SEED_URL,
        body=(FIXTURES / "seed_en.html").read_bytes(),
        fetched_at=FETCHED,
        feed_title="A title the feed gave",
    )
    headline = article_from_page(page).headline
    assert headline and headline != "A title the feed gave"


def test_a_page_cut_short_is_refused() -> None:
    body = (FIXTURES / "seed_en.html").read_bytes()
    page = Page(url=SEED_URL, body=body[: len(body) // 2], fetched_at=FETCHED)
    with pytest.raises(TruncatedPage, match="cut short"):
        article_from_page(page)


UKRAINIAN = "<html><head><title>Новини</title></head><body><p>Київ, лютий</p></body></html>"


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (UKRAINIAN.encode("utf-8"), "text/html; charset=utf-8"),
        # Mislabelled both ways: the bytes decide.
        (UKRAINIAN.encode("windows-1251"), "text/html; charset=utf-8"),
        (UKRAINIAN.encode("utf-8"), "text/html; charset=windows-1251"),
        # No header: the <meta charset> decides.
        (
            UKRAINIAN.replace("<head>", '<head><meta charset="windows-1251">').encode(
                "windows-1251"
            ),
            None,
        ),
        ("\ufeff".encode() + UKRAINIAN.encode("utf-8"), "text/html; charset=latin-1"),
    ],
)
def test_pages_decode_whatever_their_label_says(body: bytes, content_type: str | None) -> None:
    assert "Київ, лютий" in decoded_html(body, content_type)


def test_generic_parser_rejects_a_publication_date_after_the_fetch() -> None:
    html = (
        '<html lang="en"><head><meta property="article:published_time" '
        'content="2031-01-01T10:00:00+02:00"></head><body><h1>Title</h1>'
        "<article><p>" + "Words in a paragraph of a plain article. " * 20 + "</p></article>"
        "</body></html>"
    )
    fetched = datetime(2025, 1, 1, tzinfo=UTC)
    article = GenericParser().parse(html, "https://example.com/a", fetched)
    assert article.published_at is None
