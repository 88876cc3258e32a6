"""The Ukrainska Pravda parser on hand-written pages, and on the one real page when it is there.

The fixtures' URLs and fetch times are tests/fixtures/pravda/cases.toml (`CASES` here).
Their golden files, tests/fixtures/pravda/golden/v<VERSION>/<fixture>.json, are checked by
tests/test_sites.py with every other registered site's; after a deliberate output change,
regenerate them all with

    NEWSCRAWL_REGEN_GOLDEN=1 python -m pytest tests/test_sites.py -k golden

then review the diff before committing, and bump `PravdaParser.VERSION` if the output for
an unchanged page changed.
"""

from __future__ import annotations

import gzip
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from newscrawl.items import Article, Link
from newscrawl.parsing import parser_for
from newscrawl.parsing.pravda import PravdaParser
from newscrawl.testing.redesign import redesigned_html
from tests.site_fixtures import cases_of, fixture_folder

KYIV = ZoneInfo("Europe/Kyiv")
FIXTURES = fixture_folder("pravda")
# The real page and its ground truth (fundus's reference output), when ../shared is there.
CORPUS_PAGE = (
    Path(__file__).resolve().parents[1].parent
    / "shared"
    / "corpus"
    / "fundus"
    / "Pravda_2026_01_08.html.gz"
)

UK_URL = "https://www.pravda.com.ua/news/2025/02/05/7497001/"
EN_URL = "https://www.pravda.com.ua/eng/news/2024/12/31/7491234/"
RU_URL = "https://www.pravda.com.ua/rus/articles/2024/06/20/7461234/"

# fixture -> (the URL it was "fetched" from, the fetch time)
CASES: dict[str, tuple[str, datetime]] = cases_of("pravda")


def parse(name: str) -> Article:
    url, fetched_at = CASES[name]
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    return PravdaParser().parse(html, url, fetched_at)


def kyiv(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KYIV)


# --------------------------------------------------------------------- the real page


@pytest.mark.skipif(not CORPUS_PAGE.exists(), reason="the shared corpus is not here")
def test_the_real_page_gives_exactly_its_ground_truth() -> None:
    truth = json.loads(CORPUS_PAGE.with_name("Pravda_2026_01_08.json").read_text("utf-8"))
    html = gzip.decompress(CORPUS_PAGE.read_bytes()).decode("utf-8")
    # The crawl date of the ground truth, taken as UTC (a machine clock).
    fetched_at = datetime.fromisoformat(truth["crawl_date"]).replace(tzinfo=UTC)
    article = parser_for(truth["url"]).parse(html, truth["url"], fetched_at)
    assert isinstance(parser_for(truth["url"]), PravdaParser)
    assert article.url == truth["url"]
    assert article.headline == truth["headline"]
    assert article.body == truth["body"]
    assert article.published_at == datetime.fromisoformat(truth["date"])
    assert article.authors == truth["authors"]
    assert article.tags == truth["topics"]
    assert article.language == truth["language"]
    # The view count is not in the page: it comes from the counter endpoint.
    assert article.views is None


# ------------------------------------------------------------------ the registry, URLs


def test_the_registry_picks_the_pravda_parser_with_and_without_www() -> None:
    assert isinstance(
        parser_for("https://www.pravda.com.ua/news/2025/02/05/7497001/"), PravdaParser
    )
    assert isinstance(parser_for("https://pravda.com.ua/eng/news/"), PravdaParser)
    assert not isinstance(parser_for("https://epravda.com.ua/news/"), PravdaParser)


def test_canonical_urls_use_www_https_and_the_trailing_slash() -> None:
    parser = PravdaParser()
    assert parser.canonical_url("http://pravda.com.ua/news/2025/02/05/7497001?utm_source=x") == (
        UK_URL
    )
    assert (
        parser.canonical_url("https://www.pravda.com.ua/rus/") == "https://www.pravda.com.ua/rus/"
    )
    # Other hosts keep their own form.
    assert parser.canonical_url("https://example.com/a?fbclid=1") == "https://example.com/a"


# ----------------------------------------------------------------------- fields


def test_ukrainian_news_fields() -> None:
    article = parse("news_uk")
    assert article.url == UK_URL
    assert article.site == "pravda.com.ua"
    assert article.headline == "У Львові відкрили новий міст для велосипедистів"
    assert article.authors == ["Олена Ткачук"]
    # "5 лютого, 10:18" without a year, on the fetch day, in Kyiv (winter: +02:00).
    assert article.published_at == kyiv(2025, 2, 5, 10, 18)
    assert article.published_at is not None
    assert article.published_at.utcoffset() == timedelta(hours=2)
    assert article.published_source == "page"
    assert article.tags == ["Львів", "транспорт"]
    assert article.language == "uk"
    assert (
        article.summary == "У Львові відкрили пішохідно-велосипедний міст через залізничні колії."
    )
    assert article.alternates == {"en": "https://www.pravda.com.ua/eng/news/2025/02/05/7497002/"}
    # The page's counter is empty: views come from the counter endpoint, not from here.
    assert article.views is None


def test_body_keeps_text_and_leaves_out_read_also_ads_captions_and_the_byline() -> None:
    body = parse("news_uk").body or ""
    paragraphs = body.split("\n\n")
    assert paragraphs[0] == (
        "У Львові в середу відкрили пішохідно-велосипедний міст через залізничні колії, "
        "який збудували за два роки."
    )
    assert "Що далі" in paragraphs  # the <h2>
    assert "через річку Полтву біля Збоїщ;" in paragraphs  # list items
    assert paragraphs[-1].startswith("Проєкт профінансували")
    for left_out in ("Читайте також", "велодоріжок", "Реклама", "Міст увечері", "ЛМР", "транспорт"):
        assert left_out not in body
    # The closing byline only repeats the author.
    assert "Олена Ткачук" not in body


def test_read_also_paragraphs_become_links_with_their_shown_dates() -> None:
    read_also = [link for link in parse("news_uk").links if link.kind == "read_also"]
    assert read_also == [
        Link(
            kind="read_also",
            url="https://www.pravda.com.ua/news/2025/02/04/7496900/",
            title="У Києві облаштують 40 кілометрів велодоріжок",
            shown_at=kyiv(2025, 2, 4, 18, 30),
            position=1,
        ),
        Link(
            kind="read_also",
            url="https://www.pravda.com.ua/news/2025/02/03/7496801/",
            title="Велосипедистів у Львові стало вдвічі більше",
            shown_at=kyiv(2025, 2, 3, 9, 5),
            position=2,
        ),
        Link(
            kind="read_also",
            url="https://www.pravda.com.ua/news/2025/02/01/7496555/",
            title="Як міста готуються до сезону велосипедів",
            shown_at=None,
            position=3,
        ),
    ]


def test_inline_links_share_the_position_sequence() -> None:
    links = parse("news_uk").links
    assert [link.position for link in links] == list(range(len(links)))
    inline = [link for link in links if link.kind == "inline"]
    # The tracking parameter is gone; the link in the comment rules is not body text.
    assert [(link.url, link.title) for link in inline] == [
        ("https://city-adm.lviv.ua/news/bridge", "збудували за два роки")
    ]


def test_english_read_also_label_then_link_paragraphs() -> None:
    article = parse("news_en")
    assert [(link.url, link.shown_at) for link in article.links] == [
        ("https://www.pravda.com.ua/eng/news/2024/12/30/7491100/", kyiv(2024, 12, 30, 14, 5)),
        ("https://www.pravda.com.ua/eng/news/2024/12/29/7491000/", None),
    ]
    assert all(link.kind == "read_also" for link in article.links)
    assert "Read also" not in (article.body or "")
    assert "Curfew in Kyiv will not change" not in (article.body or "")
    # The quote stays; the byline "Iryna Koval, Taras Melnyk" goes.
    assert '"We ask passengers to plan their trips in advance," the department said.' in (
        article.body or ""
    )
    assert "Taras Melnyk" not in (article.body or "")


def test_a_yearless_date_seen_on_new_years_day_is_last_year() -> None:
    article = parse("news_en")
    assert article.published_at == kyiv(2024, 12, 31, 23, 50)
    assert article.authors == ["Iryna Koval", "Taras Melnyk"]
    assert article.language == "en"
    assert article.url == EN_URL


def test_russian_article_takes_jsonld_date_and_authors() -> None:
    article = parse("article_ru")
    # The canonical link is www-less and has no slash: the archive URL has both.
    assert article.url == RU_URL
    # JSON-LD wins over the shown date, and keeps its summer offset.
    assert article.published_at == kyiv(2024, 6, 20, 8, 15)
    assert article.published_source == "jsonld"
    assert article.modified_at == kyiv(2024, 6, 20, 9, 40)
    assert article.authors == ["Мария Петренко", "Олег Сидоренко"]
    assert article.section == "Публикации"
    assert article.language == "ru"
    # A saved page whose script already filled the counter.
    assert article.views == 15601
    assert [(link.kind, link.url, link.shown_at) for link in article.links] == [
        (
            "read_also",
            "https://www.pravda.com.ua/rus/news/2024/06/19/7461100/",
            kyiv(2024, 6, 19, 21, 40),
        )
    ]
    body = article.body or ""
    assert "Читайте также" not in body and "Мария Петренко" not in body


def test_a_listing_is_no_article() -> None:
    article = parse("listing_uk")
    assert (article.headline, article.body, article.links) == (None, None, [])


def test_garbage_gives_an_empty_article() -> None:
    for html in ("", "<html>", "not html at all", "<article class='post_article'></article>"):
        article = PravdaParser().parse(html, UK_URL, datetime(2025, 1, 1, tzinfo=UTC))
        assert article.body is None
        assert article.url == UK_URL


# ------------------------------------------------------- a redesign (every class renamed)

# What a redesign takes that nothing else on the page says: the saved count in
# #articleCountView (the spider fetches views from the counter anyway), and with
# the JSON-LD its date's source, modified date, authors and section. A byline then
# names no known author and stays in the text.
LOST_IN_REDESIGN: dict[str, dict[str, object]] = {"article_ru": {"views": None}}
LOST_WITH_JSONLD: dict[str, dict[str, object]] = {
    "article_ru": {
        "views": None,
        "published_source": "page",
        "modified_at": None,
        "authors": [],
        "section": None,
    }
}
ARTICLES = sorted(set(CASES) - {"listing_uk"})


def redesigned(name: str, *, drop_jsonld: bool = False) -> Article:
    url, fetched_at = CASES[name]
    html = (FIXTURES / f"{name}.html").read_text(encoding="utf-8")
    return PravdaParser().parse(redesigned_html(html, drop_jsonld=drop_jsonld), url, fetched_at)


@pytest.mark.parametrize("drop_jsonld", [False, True])
@pytest.mark.parametrize("name", ARTICLES)
def test_a_redesign_loses_only_what_the_classes_or_json_ld_alone_said(
    name: str, drop_jsonld: bool
) -> None:
    produced = redesigned(name, drop_jsonld=drop_jsonld).to_dict()
    lost = (LOST_WITH_JSONLD if drop_jsonld else LOST_IN_REDESIGN).get(name, {})
    expected = parse(name).to_dict() | lost
    for field in set(expected) - {"body"}:
        assert produced[field] == expected[field], field
    paragraphs = expected["body"].split("\n\n")
    if "authors" in lost:
        # The byline, in its place before the card's teaser that ends the article.
        paragraphs.insert(-1, "Мария Петренко и Олег Сидоренко")
    assert produced["body"].split("\n\n") == paragraphs


@pytest.mark.parametrize("drop_jsonld", [False, True])
def test_a_redesigned_listing_is_still_no_article(drop_jsonld: bool) -> None:
    assert (
        redesigned("listing_uk", drop_jsonld=drop_jsonld).to_dict() == parse("listing_uk").to_dict()
    )


def test_a_redesign_finds_the_date_in_the_header_not_in_the_text() -> None:
    # The header's short dated text is the date; a date in the text is not.
    html = (FIXTURES / "news_uk.html").read_text(encoding="utf-8")
    moved = html.replace('<span class="post_author_date">5 лютого, 10:18</span>', "")
    moved = moved.replace("<h2><span>Що далі</span></h2>", "<p>4 лютого, 18:30</p>")
    url, fetched_at = CASES["news_uk"]
    article = PravdaParser().parse(redesigned_html(moved), url, fetched_at)
    assert (article.published_at, article.published_source) == (None, None)


@pytest.mark.skipif(not CORPUS_PAGE.exists(), reason="the shared corpus is not here")
@pytest.mark.parametrize("drop_jsonld", [False, True])
def test_the_real_page_survives_a_redesign(drop_jsonld: bool) -> None:
    truth = json.loads(CORPUS_PAGE.with_name("Pravda_2026_01_08.json").read_text("utf-8"))
    html = gzip.decompress(CORPUS_PAGE.read_bytes()).decode("utf-8")
    fetched_at = datetime.fromisoformat(truth["crawl_date"]).replace(tzinfo=UTC)
    before = PravdaParser().parse(html, truth["url"], fetched_at).to_dict()
    after = (
        PravdaParser()
        .parse(redesigned_html(html, drop_jsonld=drop_jsonld), truth["url"], fetched_at)
        .to_dict()
    )
    # The JSON-LD alone gave the date's source, the modified date and the section.
    lost = {"published_source": "page", "modified_at": None, "section": None}
    assert after == (before | lost if drop_jsonld else before)
