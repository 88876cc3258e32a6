"""A site parser layered over the generic parser (newscrawl.parsing.layering), on real pages.

The site's rules come first; on an article page that lacks a field the site always
shows, every field they left empty comes from the generic parser's reading of the
same page, and the article says so: `parser` names the site parser and its version,
`fallback_fields` the fields that came from the generic reading.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path
from typing import ClassVar

import pytest

from newscrawl.cli.extract import extracted_record
from newscrawl.items import Article, Page
from newscrawl.parsing import article_from_page, article_of_html, parser_for
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.generic import GenericParser
from newscrawl.parsing.html import element_text, parsed_html
from newscrawl.parsing.layering import FALLBACK_FIELDS, is_article_reading, layered_article
from newscrawl.parsing.pravda import PravdaParser
from newscrawl.parsing.unn import UnnParser
from newscrawl.testing.redesign import redesigned_html
from tests import test_parser_pravda as pravda_cases
from tests import test_parser_unn as unn_cases

FIXTURES = Path(__file__).parent / "fixtures"
FETCHED = datetime(2024, 6, 1, 12, 0, tzinfo=UTC)
GAZETTE_URL = "https://dailytest.example/news/cycling-plan"


class GazetteParser(SiteParser):
    """A site parser as it starts out (README, "Adding a site"): it knows the title only.

    Its rule for the headline is the page's `<title>` as shown, which the generic
    parser would clean of the site's name: so the test sees whose headline wins.
    """

    NAME: ClassVar[str] = "gazette"
    VERSION: ClassVar[str] = "1"
    ALWAYS_PRESENT: ClassVar[frozenset[str]] = frozenset({"headline", "body"})

    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        root = parsed_html(html)
        article = self.page_level_article(root, url, fetched_at)
        article.headline = element_text(next(root.iter("title"), None)) or None
        return article


def gazette_page() -> str:
    """The generic fixture with every field the generic parser reads: a lead and a section too."""
    html = (FIXTURES / "generic" / "meta_en.html").read_text(encoding="utf-8")
    extra = (
        '<meta property="og:description" content="The council backs 100 km of cycle lanes.">'
        '<meta property="article:section" content="City">'
    )
    return html.replace("</head>", extra + "</head>").replace('lang="en"', 'lang="de"')


@pytest.fixture(scope="module")
def gazette() -> tuple[Article, Article, Article]:
    """(the site's rules alone, the generic reading, the layered article) of the page."""
    html = gazette_page()
    return (
        GazetteParser().parse(html, GAZETTE_URL, FETCHED),
        GenericParser().parse(html, GAZETTE_URL, FETCHED),
        layered_article(GazetteParser(), GenericParser(), html, GAZETTE_URL, FETCHED),
    )


# ---------------------------------------------------------------- each fallback field


@pytest.mark.parametrize("field", sorted(FALLBACK_FIELDS.keys() - {"headline"}))
def test_each_field_the_site_rules_leave_empty_comes_from_the_generic_reading(
    gazette: tuple[Article, Article, Article], field: str
) -> None:
    own, generic, layered = gazette
    assert getattr(own, field) in (None, [])
    assert getattr(generic, field) not in (None, [])
    for attribute in FALLBACK_FIELDS[field]:
        assert getattr(layered, attribute) == getattr(generic, attribute)
    assert field in layered.fallback_fields


@pytest.mark.parametrize("kind", ["read_also", "inline"])
def test_each_kind_of_body_link_comes_from_the_generic_reading(
    gazette: tuple[Article, Article, Article], kind: str
) -> None:
    _, generic, layered = gazette
    expected = [(link.url, link.title) for link in generic.links if link.kind == kind]
    assert expected
    assert [(link.url, link.title) for link in layered.links if link.kind == kind] == expected
    assert kind in layered.fallback_fields


def test_the_site_rules_win_where_they_found_something(
    gazette: tuple[Article, Article, Article],
) -> None:
    own, generic, layered = gazette
    assert own.headline == "Daily Test: Council approves new cycling plan for the city"
    assert generic.headline != own.headline
    assert layered.headline == own.headline
    assert "headline" not in layered.fallback_fields
    assert layered.parser == "gazette/1"
    assert layered.fallback_fields == sorted(layered.fallback_fields)


def test_a_body_from_the_generic_reading_decides_the_language(
    gazette: tuple[Article, Article, Article],
) -> None:
    # The page declares German; its text is English. The site's rules read no text.
    own, _, layered = gazette
    assert own.language == "de"
    assert layered.language == "en"


def test_related_cards_and_every_other_field_come_from_the_lower_layer() -> None:
    # The generic parser reads no related cards, but the layering takes them from any
    # parser below: here UNN's reading of its seed page, under the title-only rules.
    url, fetched = unn_cases.CASES["seed_en"]
    html = unn_cases.html_of("seed_en")
    unn = UnnParser().parse(html, url, fetched)
    layered = layered_article(GazetteParser(), UnnParser(), html, url, fetched)
    assert unn.related and layered.related == unn.related
    assert [(link.kind, link.url) for link in layered.links] == [
        (link.kind, link.url) for link in unn.links
    ]
    # The seed page has no inline links, and no date of its own.
    assert layered.fallback_fields == [
        "authors",
        "body",
        "read_also",
        "related",
        "section",
        "summary",
        "tags",
        "views",
    ]


# ------------------------------------------------------------- real redesigns of real sites


def test_unn_views_outside_the_info_line_come_from_the_generic_reading() -> None:
    # A redesign that shows the count as an icon and a number, without the info
    # line's bullet: UNN's rules find no views, the generic parser's counter reader
    # does, and fills the modified date from JSON-LD, which UNN's rules never read.
    name = "article_uk_jsonld"
    url, fetched = unn_cases.CASES[name]
    html, replaced = re.subn(r"</svg>\s*•\s*", "</svg> ", unn_cases.html_of(name))
    assert replaced == 1
    page = redesigned_html(html)
    assert UnnParser().parse(page, url, fetched).views is None
    layered = article_of_html(page, url, fetched)
    unchanged = unn_cases.parse(name)
    assert layered.fallback_fields == ["modified_at", "views"]
    assert layered.views == unchanged.views == 27155
    assert layered.modified_at == datetime.fromisoformat("2024-06-24T10:40:00+03:00")
    assert layered.to_dict() | {"modified_at": None} == unchanged.to_dict()
    assert layered.parser == "unn/2"


def test_pravda_date_only_in_a_meta_tag_comes_from_the_generic_reading() -> None:
    # A redesign that renders the date in the browser and keeps only the meta tag.
    name = "news_uk"
    url, fetched = pravda_cases.CASES[name]
    html = (FIXTURES / "pravda" / f"{name}.html").read_text(encoding="utf-8")
    html = html.replace('<span class="post_author_date">5 лютого, 10:18</span>', "")
    html = html.replace(
        "</head>",
        '<meta property="article:published_time" content="2025-02-05T10:18:00+02:00"/></head>',
    )
    page = redesigned_html(html)
    assert PravdaParser().parse(page, url, fetched).published_at is None
    layered = article_of_html(page, url, fetched)
    assert layered.fallback_fields == ["published_at"]
    assert layered.published_at == pravda_cases.parse(name).published_at
    assert layered.published_source == "meta"
    assert layered.parser == "pravda/2"


# --------------------------------------------------- provenance, and when nothing falls back

UNN_ARTICLES = sorted(set(unn_cases.CASES) - {"listing_en", "error_404"})
PRAVDA_ARTICLES = sorted(set(pravda_cases.CASES) - {"listing_uk"})


def _fixture(site: str, name: str) -> tuple[str, str, datetime]:
    cases = unn_cases.CASES if site == "unn" else pravda_cases.CASES
    url, fetched = cases[name]
    return (FIXTURES / site / f"{name}.html").read_text(encoding="utf-8"), url, fetched


@pytest.mark.parametrize(
    ("site", "name"),
    [("unn", n) for n in UNN_ARTICLES] + [("pravda", n) for n in PRAVDA_ARTICLES],
)
def test_no_fallback_runs_on_unchanged_fixture_pages(site: str, name: str) -> None:
    html, url, fetched = _fixture(site, name)
    parser = parser_for(url)
    own = parser.parse(html, url, fetched)
    # The site's rules found every field the site always shows, so the generic
    # parser is never asked, and the article is the site's rules' alone.
    assert parser.missing_fields(own) == []
    layered = article_of_html(html, url, fetched)
    assert layered.fallback_fields == []
    assert layered.to_dict() == own.to_dict()
    assert layered.parser == f"{site}/2"


def test_a_page_of_a_site_without_a_parser_is_the_generic_parsers() -> None:
    article = article_of_html(gazette_page(), GAZETTE_URL, FETCHED)
    assert article.parser == f"generic/{GenericParser.VERSION}"
    assert article.fallback_fields == []


@pytest.mark.parametrize("variant", ["unchanged", "redesigned", "redesigned, no JSON-LD"])
@pytest.mark.parametrize(
    ("site", "name"), [("unn", "listing_en"), ("unn", "error_404"), ("pravda", "listing_uk")]
)
def test_a_page_that_is_no_article_stays_one(site: str, name: str, variant: str) -> None:
    html, url, fetched = _fixture(site, name)
    if variant != "unchanged":
        html = redesigned_html(html, drop_jsonld="JSON-LD" in variant)
    # The generic parser alone would read these pages as articles of a sort.
    assert GenericParser().parse(html, url, fetched).headline is not None
    article = article_of_html(html, url, fetched)
    assert not is_article_reading(article)
    assert (article.headline, article.body, article.links) == (None, None, [])
    assert article.fallback_fields == []
    assert article.parser == f"{site}/2"


def test_the_crawl_and_extract_paths_read_through_the_layering(tmp_path: Path) -> None:
    name = "article_uk_jsonld"
    url, fetched = unn_cases.CASES[name]
    html = redesigned_html(re.sub(r"</svg>\s*•\s*", "</svg> ", unn_cases.html_of(name)))
    # The parse pipeline and `newscrawl reparse` go through article_from_page.
    page = Page(url=url, body=html.encode(), fetched_at=fetched, content_type="text/html")
    article = article_from_page(page)
    assert (article.parser, article.fallback_fields) == ("unn/2", ["modified_at", "views"])
    saved = tmp_path / "page.html"
    saved.write_text(html, encoding="utf-8")
    record = extracted_record(saved, url=url, fetched_at=fetched)
    assert (record["parser"], record["fallback_fields"]) == ("unn/2", ["modified_at", "views"])
    assert record["views"] == 27155
