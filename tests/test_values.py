"""Value parsers shared by site parsers: dates, view counts, language, URLs, HTML helpers."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest

from newscrawl.parsing import urls
from newscrawl.parsing.dates import iso_datetime, local_datetime, readalso_date
from newscrawl.parsing.html import (
    element_text,
    elements_by_class_prefix,
    first_by_class_prefix,
    parsed_html,
)
from newscrawl.parsing.jsonld import jsonld_objects
from newscrawl.parsing.language import detected_language, language_code
from newscrawl.parsing.unn import UnnParser
from newscrawl.parsing.views import views_from_text
from newscrawl.text import folded_text

KYIV = ZoneInfo("Europe/Kyiv")
# 10:00 Kyiv summer time on 25 June 2024.
SUMMER = datetime(2024, 6, 25, 7, 0, tzinfo=UTC)
# 12:00 Kyiv winter time on 5 February 2025.
WINTER = datetime(2025, 2, 5, 10, 0, tzinfo=UTC)


def kyiv(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KYIV)


# ------------------------------------------------------------------------------ dates


@pytest.mark.parametrize(
    ("text", "fetched_at", "expected"),
    [
        ("May 9 2024, 01:27 PM", SUMMER, "2024-05-09T13:27:00+03:00"),
        ("June 24 2024, 09:12 AM", SUMMER, "2024-06-24T09:12:00+03:00"),
        ("December 24 2023, 12:05 AM", SUMMER, "2023-12-24T00:05:00+02:00"),
        ("June 24, 2024, 12:30 PM", SUMMER, "2024-06-24T12:30:00+03:00"),
        ("Jan 3 2024, 10:00 am", SUMMER, "2024-01-03T10:00:00+02:00"),
        # time only: the fetch day in Kyiv
        ("07:02 AM", SUMMER, "2024-06-25T07:02:00+03:00"),
        ("07:02 PM", SUMMER, "2024-06-25T19:02:00+03:00"),
        ("10:18", WINTER, "2025-02-05T10:18:00+02:00"),
        # no year: the fetch year...
        ("February 2, 11:51 PM", WINTER, "2025-02-02T23:51:00+02:00"),
        ("5 лютого, 10:18", WINTER, "2025-02-05T10:18:00+02:00"),
        ("3 марта, 14:05", SUMMER, "2024-03-03T14:05:00+02:00"),
        # ...unless that is after the fetch: then the year before
        ("5 лютого, 12:01", WINTER, "2024-02-05T12:01:00+02:00"),
        (
            "December 31, 11:50 PM",
            datetime(2025, 1, 1, 0, 30, tzinfo=UTC),
            "2024-12-31T23:50:00+02:00",
        ),
        ("June 26, 08:00 AM", SUMMER, "2023-06-26T08:00:00+03:00"),
        # Ukrainian and Russian with a year
        ("24 червня 2024, 09:12", SUMMER, "2024-06-24T09:12:00+03:00"),
        ("3 марта 2024, 14:05", SUMMER, "2024-03-03T14:05:00+02:00"),
        ("1 травня 2024 р., 08:00", SUMMER, "2024-05-01T08:00:00+03:00"),
        # numeric (read-also)
        ("27.05.24, 17:53", SUMMER, "2024-05-27T17:53:00+03:00"),
        ("27.05.2024, 17:53", SUMMER, "2024-05-27T17:53:00+03:00"),
        # NBSP and stray bullets from an info line
        ("\u00a0• June\u00a024 2024, 09:12\u00a0AM ", SUMMER, "2024-06-24T09:12:00+03:00"),
        # free text goes to dateparser, relative to the fetch time
        ("вчора, 10:18", SUMMER, "2024-06-24T10:18:00+03:00"),
        ("2 години тому", SUMMER, "2024-06-25T08:00:00+03:00"),
    ],
)
def test_local_datetime(text: str, fetched_at: datetime, expected: str) -> None:
    parsed = local_datetime(text, fetched_at, KYIV)
    assert parsed is not None
    assert parsed.isoformat() == expected
    assert parsed.tzinfo is KYIV


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "News of the World",
        "19981 views",
        "15601 переглядiв",
        "•",
        "13:99",
        "25:10",
        "13:10 PM",
        "February 30, 10:00 AM",
        "Smarch 3 2024, 10:00",
    ],
)
def test_local_datetime_rejects_non_dates(text: str | None) -> None:
    assert local_datetime(text, SUMMER, KYIV) is None


def test_local_datetime_ignores_the_wall_clock() -> None:
    # The same shown value, fetched years apart, means different days; neither is "now".
    fetched = datetime(2020, 3, 1, 12, tzinfo=UTC)
    assert local_datetime("07:02 AM", fetched, KYIV) == kyiv(2020, 3, 1, 7, 2)
    assert local_datetime("February 2, 11:51 PM", datetime(2019, 5, 1, tzinfo=UTC), KYIV) == kyiv(
        2019, 2, 2, 23, 51
    )


def test_local_datetime_takes_a_naive_fetch_time_as_utc() -> None:
    fetched = datetime(2024, 11, 15, 23, 30)
    assert local_datetime("07:02 AM", fetched, KYIV) == kyiv(2024, 11, 16, 7, 2)


def test_local_datetime_fetch_time_in_another_zone() -> None:
    new_york = timezone(timedelta(hours=-5))
    # 20:00 in New York on 15 Nov is 03:00 on 16 Nov in Kyiv.
    fetched = datetime(2024, 11, 15, 20, 0, tzinfo=new_york)
    assert local_datetime("01:00 AM", fetched, KYIV) == kyiv(2024, 11, 16, 1, 0)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # The fetch day is the zone's: 03:00 UTC on 25 June is still 24 June in New York.
        ("07:02 AM", "2024-06-24T07:02:00-04:00"),
        ("June 24 2024, 09:12 AM", "2024-06-24T09:12:00-04:00"),
        ("вчора, 10:18", "2024-06-23T10:18:00-04:00"),
    ],
)
def test_local_datetime_in_another_sites_zone(text: str, expected: str) -> None:
    new_york = ZoneInfo("America/New_York")
    parsed = local_datetime(text, datetime(2024, 6, 25, 3, 0, tzinfo=UTC), new_york)
    assert parsed is not None
    assert parsed.isoformat() == expected
    assert parsed.tzinfo is new_york


def test_local_datetime_in_a_fixed_offset_zone() -> None:
    plus_three = timezone(timedelta(hours=3))
    parsed = local_datetime("вчора, 10:18", SUMMER, plus_three)
    assert parsed is not None
    assert parsed.isoformat() == "2024-06-24T10:18:00+03:00"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("27.05.24, 17:53", kyiv(2024, 5, 27, 17, 53)),
        ("Японія, Південна Корея та Китай домовилися27.05.24, 17:53", kyiv(2024, 5, 27, 17, 53)),
        ("У Південній Кореї пояснили 21.06.24, 16:59 ", kyiv(2024, 6, 21, 16, 59)),
        ("01.12.24,09:05", kyiv(2024, 12, 1, 9, 5)),
        ("27.05.24, 17:53 and more text", None),
        ("32.05.24, 17:53", None),
        ("no date", None),
        (None, None),
    ],
)
def test_readalso_date(text: str | None, expected: datetime | None) -> None:
    assert readalso_date(text, KYIV) == expected


def test_readalso_date_offsets() -> None:
    summer, winter = readalso_date("27.05.24, 17:53", KYIV), readalso_date("27.01.24, 17:53", KYIV)
    assert summer is not None and winter is not None
    assert summer.isoformat() == "2024-05-27T17:53:00+03:00"
    assert winter.isoformat() == "2024-01-27T17:53:00+02:00"


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("2024-06-24T09:12:00+03:00", "2024-06-24T09:12:00+03:00"),
        ("2024-06-24T06:12:00Z", "2024-06-24T09:12:00+03:00"),
        ("2024-01-24T06:12:00+00:00", "2024-01-24T08:12:00+02:00"),
        ("2024-06-24T09:12:00", "2024-06-24T09:12:00+03:00"),  # naive = Kyiv
        ("2024-06-24T09:12:00.123+03:00", "2024-06-24T09:12:00.123000+03:00"),
        ("2024-06-24", "2024-06-24T00:00:00+03:00"),
    ],
)
def test_iso_datetime(value: str, expected: str) -> None:
    parsed = iso_datetime(value, KYIV)
    assert parsed is not None
    assert parsed.isoformat() == expected


@pytest.mark.parametrize("value", [None, "", "yesterday", 1719209520, ["2024-06-24"]])
def test_iso_datetime_rejects(value: object) -> None:
    assert iso_datetime(value, KYIV) is None


def test_iso_datetime_in_utc() -> None:
    assert iso_datetime("2024-06-24T09:12:00+03:00", UTC) == datetime(
        2024, 6, 24, 6, 12, tzinfo=UTC
    )
    parsed = iso_datetime("2024-06-24T09:12:00", UTC)  # naive = the zone's time
    assert parsed is not None and parsed.isoformat() == "2024-06-24T09:12:00+00:00"


# ------------------------------------------------------------------------------ views


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("15601 переглядiв", 15601),  # Latin i
        ("15601 переглядів", 15601),
        ("27155 перегляди", 27155),
        ("1 перегляд", 1),
        ("5 переглядів", 5),
        ("19981 views", 19981),
        ("1 view", 1),
        ("1 просмотр", 1),
        ("23 просмотра", 23),
        ("4512 просмотров", 4512),
        ("12 тис переглядів", 12000),
        ("1,2 тис. переглядів", 1200),
        ("12K views", 12000),
        ("12k views", 12000),
        ("1.5M views", 1500000),
        ("2,5 млн переглядів", 2500000),
        ("12 345 views", 12345),
        ("12\u00a0345 переглядів", 12345),
        ("12,345 views", 12345),
        (" • <!-- -->15601<!-- --> переглядiв", 15601),
        ("News of the World • May 9 2024, 01:27 PM • 19981 views", 19981),
        ("Kyiv • 5 лютого, 10:18 • 2 перегляди", 2),
        ("Views: 1 024", 1024),
        ("ПЕРЕГЛЯДІВ: 77", 77),
    ],
)
def test_views_from_text(text: str, expected: int) -> None:
    assert views_from_text(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        None,
        "",
        "15601",  # no views word
        "May 9 2024, 01:27 PM",
        "12 тис",
        "300 велопарковок",
        "1.5 views",  # a decimal without a multiplier is no count
        "overviews 5",
        "5 reviews",
    ],
)
def test_views_from_text_needs_the_views_word(text: str | None) -> None:
    assert views_from_text(text) is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [("15601", 15601), (" • 12 тис", 12000), ("1,2K", 1200), ("12 345", 12345), ("1.5", None)],
)
def test_views_from_text_in_an_explicit_views_context(text: str, expected: int | None) -> None:
    assert views_from_text(text, views_context=True) == expected


# --------------------------------------------------------------------------- language


ENGLISH = (
    "The United States, South Korea and Japan condemn the deepening of military cooperation "
    "between the DPRK and russia, in particular the supply of weapons from the DPRK to russia."
)
UKRAINIAN = (
    "Київська міська рада на пленарному засіданні ухвалила програму розвитку "
    "велоінфраструктури на 2024–2027 роки, повідомляє кореспондент УНН. За рішення "
    "проголосували 78 депутатів."
)
RUSSIAN = (
    "В Одессе на Морском вокзале открыли новый пункт несокрушимости, сообщает УНН со ссылкой "
    "на городской совет. Он будет работать круглосуточно во время отключений электроэнергии."
)


@pytest.mark.parametrize(
    ("text", "hint", "expected"),
    [
        (ENGLISH, None, "en"),
        (ENGLISH, "uk", "en"),  # the text decides, not the page's declared language
        (UKRAINIAN, "en", "uk"),
        (RUSSIAN, "uk", "ru"),
        (UKRAINIAN * 50, None, "uk"),  # long text: only a prefix is examined
        ("Коротко", "uk-UA", "uk"),  # too short: the hint, normalised
        ("Short.", "en-GB", "en"),
        ("", "ru", "ru"),
        (None, None, None),
        ("12345 67890 !!! ---", "ua", "uk"),
    ],
)
def test_detected_language(text: str | None, hint: str | None, expected: str | None) -> None:
    assert detected_language(text, hint) == expected


def test_detected_language_is_deterministic() -> None:
    mixed = "Kyiv Київ " * 10
    assert len({detected_language(mixed) for _ in range(5)}) == 1


@pytest.mark.parametrize(
    ("tag", "expected"),
    [
        ("uk-UA", "uk"),
        ("EN", "en"),
        ("ru_RU", "ru"),
        ("ua", "uk"),
        ("x-default", None),
        ("", None),
        (None, None),
        ("zh-cn", "zh"),
    ],
)
def test_language_code(tag: str | None, expected: str | None) -> None:
    assert language_code(tag) == expected


# ------------------------------------------------------------------------------- URLs


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://unn.ua/amp/some-slug", "https://unn.ua/news/some-slug"),
        ("https://unn.ua/en/amp/some-slug", "https://unn.ua/en/news/some-slug"),
        ("https://unn.ua/ru/amp/some-slug", "https://unn.ua/ru/news/some-slug"),
        ("http://www.unn.ua/en/amp/some-slug/", "https://unn.ua/en/news/some-slug"),
        ("HTTPS://UNN.UA/news/slug?utm_source=fb&fbclid=1#comments", "https://unn.ua/news/slug"),
        ("https://unn.ua/amp/slug?amp=1&utm_medium=x", "https://unn.ua/news/slug"),
        ("https://unn.ua/en/world?page=2&utm_campaign=x", "https://unn.ua/en/world?page=2"),
        ("https://unn.ua", "https://unn.ua/"),
        ("https://unn.ua/news/amp-is-in-the-slug", "https://unn.ua/news/amp-is-in-the-slug"),
        # other hosts get the generic canonical form only
        ("https://img.unn.ua/amp/x.webp", "https://img.unn.ua/amp/x.webp"),
        ("https://example.com/amp/x/?gclid=1", "https://example.com/amp/x/"),
    ],
)
def test_unn_canonical_url(url: str, expected: str) -> None:
    assert UnnParser().canonical_url(url) == expected


def test_links_module_keeps_its_contract() -> None:
    assert urls.canonical_url("HTTPS://Unn.UA/x?utm_source=a&b=1#f") == "https://unn.ua/x?b=1"
    assert urls.absolute_url("/en/news/x", "https://unn.ua/en/news/y") == (
        "https://unn.ua/en/news/x"
    )
    assert urls.absolute_url("mailto:a@b.c", "https://unn.ua/") is None
    assert urls.site_of("https://www.unn.ua/news/x") == "unn.ua"


# ------------------------------------------------------------------------ HTML helpers


def test_class_prefix_matches_any_hash_and_not_longer_names() -> None:
    root = parsed_html(
        '<div class="single-news-card_body__w0_Jb">a</div>'
        '<div class="x single-news-card_body__xHoem y">b</div>'
        '<div class="single-news-card_bodyWrap__zz">c</div>'
        '<div class="other-single-news-card_body__q">d</div>'
    )
    found = elements_by_class_prefix(root, "single-news-card_body__")
    assert [element_text(e) for e in found] == ["a", "b"]
    assert element_text(first_by_class_prefix(root, "nothing_")) == ""


def test_element_text_skips_comments_scripts_and_folds_space() -> None:
    root = parsed_html(
        "<p id=v> •\u00a0<!-- -->15601<!-- --> переглядiв<script>var x=1</script>\n</p>"
    )
    assert element_text(root.get_element_by_id("v")) == "• 15601 переглядiв"
    assert folded_text("  a\u00a0\n b ") == "a b"


def test_jsonld_objects_flattens_graph_and_lists_and_skips_broken_json() -> None:
    root = parsed_html(
        "<script type='application/ld+json'>{broken</script>"
        "<script type='application/ld+json'>"
        '{"@context":"https://schema.org","@graph":[{"@type":"WebPage"},{"@type":"NewsArticle"}]}'
        "</script>"
        '<script type=\'application/ld+json\'>[{"@type":"Person"}]</script>'
    )
    assert [obj["@type"] for obj in jsonld_objects(root)] == ["WebPage", "NewsArticle", "Person"]


def test_detected_language_among_a_sites_languages_only() -> None:
    bulgarian = (
        "Днес в София се проведе среща на представители на обществени организации "
        "с депутати от града"
    )
    assert detected_language(bulgarian) == "bg"
    # A site that publishes in uk, ru and en gets one of those: the closest.
    assert detected_language(bulgarian, among=("uk", "ru", "en")) == "ru"


def test_detected_language_among_rejects_a_language_langdetect_lacks() -> None:
    with pytest.raises(ValueError, match="no profile for: xx"):
        detected_language("A sentence long enough to tell. " * 3, among=("en", "xx"))
