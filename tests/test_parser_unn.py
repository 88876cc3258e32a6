"""The UNN parser on hand-written fixture pages (tests/fixtures/unn/README.md).

The fixtures' URLs and fetch times are tests/fixtures/unn/cases.toml (`CASES` here).
Their golden files, tests/fixtures/unn/golden/v<VERSION>/<fixture>.json, are checked by
tests/test_sites.py with every other registered site's; after a deliberate output change,
regenerate them all with

    NEWSCRAWL_REGEN_GOLDEN=1 python -m pytest tests/test_sites.py -k golden

then review the diff (`git diff tests/fixtures/unn/golden`) before committing, and bump
`UnnParser.VERSION` if the output for an unchanged page changed.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from newscrawl.items import Article, Link
from newscrawl.parsing.unn import UnnParser
from newscrawl.testing.redesign import redesigned_html
from tests.site_fixtures import cases_of, fixture_folder

KYIV = ZoneInfo("Europe/Kyiv")
FIXTURES = fixture_folder("unn")

SEED_URL = (
    "https://unn.ua/en/news/the-united-states-south-korea-and-japan-condemned-the-deepening-"
    "of-military-cooperation-between-the-dprk-and-the-russian-federation"
)
UK_URL = "https://unn.ua/news/kyivrada-ukhvalyla-prohramu-rozvytku-veloinfrastruktury-do-2027-roku"
RU_URL = "https://unn.ua/ru/news/v-odesse-otkryli-novyi-punkt-nesokrushimosti"
TIME_ONLY_URL = "https://unn.ua/en/news/ukrzaliznytsia-adds-12-extra-trains-for-the-winter-holidays"
NO_YEAR_URL = "https://unn.ua/en/news/kyiv-metro-extends-working-hours-on-weekends"
VARIANT_URL = "https://unn.ua/news/ukrhidrometsentr-poperedyv-pro-sylni-morozy-u-piatnytsiu"

# fixture -> (the URL it was "fetched" from, the fetch time)
CASES: dict[str, tuple[str, datetime]] = cases_of("unn")


def html_of(name: str) -> str:
    return (FIXTURES / f"{name}.html").read_text(encoding="utf-8")


def parse(name: str, url: str | None = None, fetched_at: datetime | None = None) -> Article:
    default_url, default_fetched = CASES[name]
    return UnnParser().parse(html_of(name), url or default_url, fetched_at or default_fetched)


def kyiv(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=KYIV)


# --------------------------------------------------------------------------- seed page


SEED_HEADLINE = (
    "The United States, South Korea and Japan condemned the deepening of military cooperation "
    "between the DPRK and the russian federation"
)
SEED_SUMMARY = (
    "The United States, South Korea and Japan have condemned the deepening military cooperation "
    "between North Korea and russia. They stressed that the supply of North Korean weapons to "
    "russia violates UN resolutions, threatens stability in Northeast Asia and Europe, and "
    "continues the suffering of the Ukrainian people."
)
SEED_BODY = [
    "The United States, South Korea and Japan condemn the deepening of military cooperation "
    "between the DPRK and russia, in particular the supply of weapons from the DPRK to russia. "
    "This is stated in a joint statement of the three countries, published on the website of "
    "the US State Department, reports UNN.",
    "It is noted that the development of partnership between the DPRK and russia should cause "
    "serious concern to all those who are interested in preserving peace and stability on the "
    "Korean Peninsula, as well as those who support the people of Ukraine, who defend their "
    "freedom and independence from russia's brutal aggression.",
    "It is noted that the signing of a comprehensive strategic partnership agreement between "
    "North Korea and russia during the visit of russian leader putin to Pyongyang on June 19 "
    "indicates the strengthening of military cooperation. Countries condemn the supply of "
    "weapons from North Korea to russia, as it prolongs the suffering of the Ukrainian people, "
    "violates UN Security Council resolutions and threatens stability in both Northeast Asia "
    "and Europe.",
    "The United States, South Korea and Japan reaffirm their intention to further strengthen "
    "diplomatic and security cooperation in order to counter the threats posed by the DPRK to "
    "regional and global security and prevent an escalation of the situation",
    "- the message says.",
    "The United States also reiterated its commitments to protect South Korea and Japan.",
    "The United States, Korea and Japan also confirm that the path to dialogue remains open, "
    "and call on the DPRK to stop further provocations and return to negotiations.",
    "On June 18, putin visited Pyongyang for the first time since 2000, where he met with Kim "
    "Jong-Un. They signed an agreement on strategic partnership, in which they emphasized the "
    "desire to expand economic and military cooperation.",
    "US Presidential Administration spokesman John Kirby said that the United States is "
    "concerned about the deepening of relations between the two countries, in particular, how "
    "this will affect the war in Ukraine and security on the Korean Peninsula. It was noted "
    "that putin's visit to North Korea will deepen military ties between the two countries, "
    "contrary to UN resolutions.",
]


@pytest.fixture(scope="module")
def seed() -> Article:
    return parse("seed_en")


def test_seed_url_is_the_canonical_not_the_amp_copy(seed: Article) -> None:
    assert seed.url == SEED_URL
    assert seed.site == "unn.ua"
    assert seed.fetched_at == datetime(2024, 6, 25, 7, 0, tzinfo=UTC)


def test_seed_headline_summary_views_language(seed: Article) -> None:
    assert seed.headline == SEED_HEADLINE
    assert seed.summary == SEED_SUMMARY
    assert seed.views == 15601
    assert seed.language == "en"


def test_seed_body_exactly(seed: Article) -> None:
    assert seed.body == "\n\n".join(SEED_BODY)
    assert seed.body is not None
    assert seed.body.startswith("The United States, South Korea and Japan condemn the deepening")
    assert seed.body.endswith("contrary to UN resolutions.")
    # The read-also titles and dates stay out of the body.
    assert "Японія" not in seed.body
    assert "Південній Кореї" not in seed.body
    assert "27.05.24" not in seed.body
    assert "adsbygoogle" not in seed.body


def test_seed_read_also_links(seed: Article) -> None:
    assert seed.links == [
        Link(
            kind="read_also",
            url="https://unn.ua/news/yaponiia-pivdenna-koreia-ta-kytai-domovylysia-prodovzhyty-"
            "denuklearyzatsiiu-pivnichnoi-korei",
            title="Японія, Південна Корея та Китай домовилися продовжити денуклеаризацію "
            "Північної Кореї",
            shown_at=kyiv(2024, 5, 27, 17, 53),
            position=0,
        ),
        Link(
            kind="read_also",
            url="https://unn.ua/news/u-pivdennii-korei-poiasnyly-vid-choho-zalezhyt-rishennia-"
            "seulu-shchodo-peredachi-ukraini-zbroi",
            title="У Південній Кореї пояснили, від чого залежить рішення Сеулу щодо передачі "
            "Україні зброї",
            shown_at=kyiv(2024, 6, 21, 16, 59),
            position=1,
        ),
    ]
    assert [link.shown_at.isoformat() for link in seed.links if link.shown_at] == [
        "2024-05-27T17:53:00+03:00",
        "2024-06-21T16:59:00+03:00",
    ]


def test_seed_people_section_tags_dates(seed: Article) -> None:
    assert seed.authors == ["Anastasia Ryabokon"]
    assert seed.section == "News of the World"
    assert seed.tags == ["News of the World"]
    # The page shows no publication date of its own; the registry fills it from the feed.
    assert seed.published_at is None
    assert seed.published_source is None
    assert seed.alternates == {}


def test_seed_related_card(seed: Article) -> None:
    assert seed.related == [
        Link(
            kind="related",
            url="https://unn.ua/en/news/russian-troops-shelled-five-communities-in-sumy-region-"
            "six-times",
            title="Russian troops shelled five communities in Sumy region six times",
            shown_at=None,
            position=0,
            views=17721,
        )
    ]


# ------------------------------------------------------- Ukrainian page with JSON-LD


@pytest.fixture(scope="module")
def uk() -> Article:
    return parse("article_uk_jsonld")


def test_uk_basic_fields(uk: Article) -> None:
    assert uk.url == UK_URL  # canonical link; the fetched URL's tracking params are gone
    assert uk.headline == "Київрада ухвалила програму розвитку велоінфраструктури до 2027 року"
    assert uk.summary == (
        "Київська міська рада ухвалила програму розвитку велоінфраструктури на 2024–2027 роки: "
        "120 кілометрів нових велодоріжок і 300 велопарковок."
    )
    assert uk.language == "uk"
    assert uk.views == 27155
    assert uk.section == "Київ"
    assert uk.tags == ["Київ", "Київрада", "велосипеди"]


def test_uk_published_from_jsonld(uk: Article) -> None:
    assert uk.published_at == kyiv(2024, 6, 24, 9, 12)
    assert uk.published_at is not None
    assert uk.published_at.isoformat() == "2024-06-24T09:12:00+03:00"
    assert uk.published_source == "jsonld"


def test_uk_authors_fall_back_to_jsonld(uk: Article) -> None:
    # No author block on this page; the broken JSON-LD script before the good one is ignored.
    assert uk.authors == ["Олена Коваль"]


def test_uk_alternates_exclude_self_and_x_default(uk: Article) -> None:
    assert uk.alternates == {
        "en": "https://unn.ua/en/news/kyiv-city-council-adopts-cycling-infrastructure-program-"
        "until-2027",
        "ru": "https://unn.ua/ru/news/kievsovet-prinyal-programmu-razvitiya-veloinfrastruktury-"
        "do-2027-goda",
    }


def test_uk_body_blocks(uk: Article) -> None:
    assert uk.body is not None
    assert uk.body.split("\n\n") == [
        "Київська міська рада на пленарному засіданні ухвалила програму розвитку "
        "велоінфраструктури на 2024–2027 роки, повідомляє кореспондент УНН.",
        "За рішення проголосували 78 депутатів. Текст програми опубліковано на сайті КМДА.",
        "Що передбачає програма",
        "будівництво 120 кілометрів велодоріжок;",
        "облаштування 300 велопарковок біля станцій метро;",
        "єдину мапу веломаршрутів у застосунку «Київ Цифровий».",
        "Ми хочемо, щоб велосипед став повноцінним міським транспортом, а не розвагою на вихідні.",
        "Перші ділянки з'являться вже цього літа,",
        "- зазначив автор проєкту, депутат Київради Петро Іваненко.",
        "Нагадаємо",
        "Раніше у столиці запустили муніципальний велопрокат, яким за перший місяць "
        "скористалися понад 40 тисяч людей.",
    ]


@pytest.mark.parametrize(
    "unwanted",
    [
        "Київ • УНН",  # location line
        "Фото: КМДА",  # figure caption
        "Реклама",  # ad
        "Цей текст не є частиною статті",  # script
        ".embed",  # style
        "Ваш браузер не підтримує відео",  # iframe fallback
        "У Києві відкрили рух",  # read-also title
        "20.06.24",  # read-also date
        "•",
    ],
)
def test_uk_body_excludes(uk: Article, unwanted: str) -> None:
    assert uk.body is not None
    assert unwanted not in uk.body


def test_uk_links_share_one_position_sequence(uk: Article) -> None:
    assert uk.links == [
        Link(
            kind="inline",
            url="https://unn.ua/news/kyivrada-zatverdyla-biudzhet-na-2024-rik",
            title="програму розвитку велоінфраструктури",
            position=0,
        ),
        Link(
            kind="inline",
            url="https://kyivcity.gov.ua/news/veloprograma/",
            title="сайті КМДА",
            position=1,
        ),
        Link(
            kind="read_also",
            url="https://unn.ua/news/u-kyievi-vidkryly-rukh-pishokhidno-velosypednym-mostom",
            title="У Києві відкрили рух пішохідно-велосипедним мостом через Дніпро",
            shown_at=kyiv(2024, 6, 20, 11, 5),
            position=2,
        ),
        Link(
            kind="inline",
            # an AMP link with ?amp=1 is stored under the canonical article URL
            url="https://unn.ua/news/u-kyievi-zapustyly-munitsypalnyi-veloprokat",
            title="запустили муніципальний велопрокат",
            position=3,
        ),
    ]


def test_uk_related_cards(uk: Article) -> None:
    assert uk.related == [
        Link(
            kind="related",
            url="https://unn.ua/news/u-kyievi-zavershyly-remont-velodorizhky-na-naberezhnii",
            title="У Києві завершили ремонт велодоріжки на Набережній",
            shown_at=kyiv(2024, 2, 5, 10, 18),  # "5 лютого, 10:18": the fetch year
            position=0,
            views=2,
        ),
        Link(
            kind="related",
            url="https://unn.ua/news/v-ukraini-zris-popyt-na-elektrovelosypedy",
            title="В Україні зріс попит на електровелосипеди",
            shown_at=kyiv(2024, 5, 9, 13, 27),
            position=1,
            views=19981,
        ),
    ]


def test_redeploy_hashes_and_wrappers_parse_identically(uk: Article) -> None:
    assert "single-news-card_body__w0_Jb" not in html_of("redeploy_uk")
    assert parse("redeploy_uk") == uk


# ----------------------------------------------------------------------- Russian page


def test_russian_article() -> None:
    ru = parse("article_ru")
    assert ru.url == RU_URL  # no canonical link: the fetched URL minus utm_source
    assert ru.language == "ru"
    assert ru.views == 4512
    assert ru.headline == "В Одессе открыли новый пункт несокрушимости на Морском вокзале"
    assert ru.published_at == kyiv(2024, 3, 3, 14, 5)
    assert ru.published_at is not None
    assert ru.published_at.isoformat() == "2024-03-03T14:05:00+02:00"  # winter offset
    assert ru.published_source == "page"
    assert ru.authors == ["Ирина Мельник"]
    assert ru.section == "Общество"
    assert ru.tags == ["Общество", "Одесса"]
    assert ru.body is not None
    assert len(ru.body.split("\n\n")) == 3
    assert "Одесса • УНН" not in ru.body
    assert [(link.kind, link.url) for link in ru.links] == [
        ("inline", "https://omr.gov.ua/ru/points/")
    ]
    assert [(r.title, r.shown_at, r.views) for r in ru.related] == [
        ("В Одессе восстановили электроснабжение после атаки", kyiv(2024, 3, 1, 9, 30), 1),
        ("Одесский порт принял первое судно за неделю", kyiv(2024, 2, 28, 18, 40), 23),
    ]


# ------------------------------------------------------ dates relative to the fetch


def test_time_only_date_is_the_fetch_day_in_kyiv() -> None:
    article = parse("article_en_time_only")
    assert article.published_at == kyiv(2024, 11, 15, 7, 2)
    assert article.published_source == "page"
    # Fetched on another day: the same page means that day.
    later = parse("article_en_time_only", fetched_at=datetime(2024, 12, 1, 10, 0, tzinfo=UTC))
    assert later.published_at == kyiv(2024, 12, 1, 7, 2)
    # 23:30 UTC on Nov 15 is already Nov 16 in Kyiv: the Kyiv day counts.
    late = parse("article_en_time_only", fetched_at=datetime(2024, 11, 15, 23, 30, tzinfo=UTC))
    assert late.published_at == kyiv(2024, 11, 16, 7, 2)


def test_time_only_page_other_fields() -> None:
    article = parse("article_en_time_only")
    assert article.url == TIME_ONLY_URL  # relative canonical resolved against the page URL
    # The bold announce, not the (different) meta description.
    assert article.summary == (
        "Ukrzaliznytsia will run 12 additional trains during the winter holidays, including "
        "routes to Uzhhorod and Ivano-Frankivsk."
    )
    assert article.authors == ["Iryna Kovalenko", "Dmytro Shevchuk"]
    assert article.section == "Economy"
    assert article.tags == []  # no tags block
    assert article.related == []  # no related block
    assert article.views == 843
    assert article.language == "en"
    assert article.body is not None
    assert article.body.split("\n\n")[-2:] == [
        "Schedule",
        "The first additional train will leave Kyiv on December 20. The last one will return "
        "on January 12.",
    ]
    assert [link.url for link in article.links] == ["https://uz.gov.ua/en/"]


def test_yearless_date_takes_the_fetch_year_unless_that_is_the_future() -> None:
    article = parse("article_en_no_year")
    assert article.published_at == kyiv(2025, 2, 2, 23, 51)
    assert article.published_at is not None
    assert article.published_at.isoformat() == "2025-02-02T23:51:00+02:00"
    # Fetched in January 2025, "February 2" would be in the future: it is 2024's.
    early = parse("article_en_no_year", fetched_at=datetime(2025, 1, 20, 8, 0, tzinfo=UTC))
    assert early.published_at == kyiv(2024, 2, 2, 23, 51)
    assert early.related[1].shown_at == kyiv(2024, 2, 1, 8, 15)
    # Only the year-less dates move; a full date is a full date.
    assert early.related[0].shown_at == kyiv(2024, 5, 9, 13, 27)


def test_no_year_page_other_fields() -> None:
    article = parse("article_en_no_year")
    assert article.authors == []  # neither an author block nor JSON-LD
    assert article.alternates == {
        "uk": "https://unn.ua/news/kyivske-metro-podovzhuie-robotu-u-vykhidni"
    }
    assert [(link.kind, link.position, link.title) for link in article.links] == [
        ("inline", 0, "announced"),
        ("read_also", 1, "Kyiv Metro to open new station in Vynohradar"),
    ]
    assert article.links[1].shown_at == kyiv(2025, 1, 30, 12, 10)
    assert [(r.url, r.views, r.position) for r in article.related] == [
        ("https://unn.ua/en/news/kyiv-launches-night-buses-on-five-routes", 19981, 0),
        # AMP card URL mapped to the canonical article URL
        ("https://unn.ua/en/news/kyiv-metro-station-closed-for-repairs", 1, 1),
    ]


def test_reparse_gives_identical_output() -> None:
    for name in CASES:
        assert parse(name).to_dict() == parse(name).to_dict(), name


# ----------------------------------------------------------------- AMP and variants


def test_amp_copy_dedupes_onto_the_canonical_article() -> None:
    amp = parse("amp_en")
    normal = parse("article_en_no_year")
    assert amp.url == normal.url == NO_YEAR_URL
    assert amp.headline == normal.headline
    assert amp.body == normal.body  # amp-ad, amp-img, amp-iframe excluded
    assert amp.published_at == normal.published_at
    assert amp.views == 5210
    assert amp.links == normal.links  # /en/amp/ read-also link mapped to /en/news/


def test_amp_copy_without_canonical_link_still_maps_home() -> None:
    html = html_of("amp_en").replace('<link rel="canonical"', '<link rel="x-canonical"')
    article = UnnParser().parse(html, CASES["amp_en"][0], CASES["amp_en"][1])
    assert article.url == NO_YEAR_URL


def test_read_also_with_unknown_classes_is_found_by_its_date() -> None:
    article = parse("readalso_variant_uk")
    assert [(link.kind, link.title, link.shown_at, link.position) for link in article.links] == [
        ("inline", "Укргідрометцентрі", None, 0),
        (
            "read_also",
            "Синоптики розповіли, коли в Україну прийде відлига",
            kyiv(2025, 2, 4, 18, 20),
            1,
        ),
        (
            "read_also",
            "Укренерго попередило про зростання споживання через морози",
            kyiv(2025, 2, 3, 9, 5),
            2,
        ),
        ("read_also", "Як вберегтися від обмороження: поради лікарів", kyiv(2025, 2, 1, 7, 45), 3),
    ]
    assert article.body is not None
    assert article.body.split("\n\n") == [
        "У п'ятницю, 7 лютого, в більшості областей України очікуються сильні морози, "
        "повідомили в Укргідрометцентрі, пише УНН.",
        "Вночі температура знизиться до 14–18 градусів морозу, на заході країни — до 10 градусів.",
        "Синоптики радять обмежити перебування на вулиці та подбати про тварин.",
        "У суботу морози трохи послабнуть, а з неділі очікується потепління до 0 градусів.",
    ]
    # "5 лютого, 10:18" on a page fetched on 5 February 2025.
    assert article.published_at == kyiv(2025, 2, 5, 10, 18)
    assert article.views == 1
    assert article.authors == ["Оксана Бондар"]


def test_paragraph_ending_in_a_linked_date_is_not_read_also() -> None:
    # A link whose text is only a date has no title: it is an inline link, and the
    # paragraph keeps its text.
    html = html_of("readalso_variant_uk").replace(
        "<p>У суботу морози",
        '<p>Засідання штабу призначене на <a href="/news/shtab">10.02.25, 10:00</a></p>'
        "<p>У суботу морози",
    )
    article = UnnParser().parse(html, *CASES["readalso_variant_uk"])
    assert article.body is not None
    assert "Засідання штабу призначене на 10.02.25, 10:00" in article.body.split("\n\n")
    assert ("inline", "10.02.25, 10:00") in [(link.kind, link.title) for link in article.links]


# --------------------------------------------------------------------- thin pages


@pytest.mark.parametrize("name", ["listing_en", "error_404"])
def test_non_article_pages_give_an_empty_article(name: str) -> None:
    article = parse(name)
    assert article.headline is None
    assert article.body is None
    assert article.summary is None
    assert article.published_at is None
    assert article.views is None
    assert article.links == []
    assert article.related == []
    assert article.site == "unn.ua"


def test_listing_keeps_its_canonical_url() -> None:
    assert parse("listing_en").url == "https://unn.ua/en/world?page=2"


@pytest.mark.parametrize(
    "html",
    [
        "",
        "   ",
        "<html></html>",
        "not html at all",
        "<?xml version='1.0' encoding='utf-8'?><html/>",
    ],
)
def test_garbage_never_raises(html: str) -> None:
    article = UnnParser().parse(html, "https://unn.ua/news/x", datetime(2025, 1, 1, tzinfo=UTC))
    assert article.url == "https://unn.ua/news/x"
    assert article.headline is None
    assert article.body is None


def test_headline_falls_back_to_og_title_then_title() -> None:
    base = html_of("article_ru")
    no_h1 = base.replace("<h1 class", "<div class").replace("</h1>", "</div>")
    no_h1 = no_h1.replace("single-news-card_newsTitle__", "x_")
    fetched = CASES["article_ru"]
    assert UnnParser().parse(no_h1, *fetched).headline == (
        "В Одессе открыли новый пункт несокрушимости на Морском вокзале"
    )
    no_og = no_h1.replace('property="og:title" content="В Одессе', 'property="x" content="')
    no_og = no_og.replace("<title>В Одессе", "<title>Заголовок из title: В Одессе")
    assert UnnParser().parse(no_og, *fetched).headline == (
        "Заголовок из title: В Одессе открыли новый пункт несокрушимости на Морском вокзале"
    )


def test_summary_falls_back_to_the_bold_paragraph_then_the_meta_description() -> None:
    announce = "В Одессе на Морском вокзале заработал новый пункт несокрушимости"
    html = html_of("article_ru").replace("single-news-card_announce__", "gone_")
    html = html.replace(f"<strong>{announce}", f"<strong>Анонс: {announce}")
    article = UnnParser().parse(html, *CASES["article_ru"])
    # Its class gone, the announce is the bold paragraph between the headline and the text.
    assert article.summary is not None and article.summary.startswith(f"Анонс: {announce}")
    # The announce was not inside the body block, so the body is unchanged.
    assert article.body == parse("article_ru").body
    not_bold = html.replace("<p><strong>Анонс", "<p>Анонс").replace("</strong></p></div>", "</p>")
    assert UnnParser().parse(not_bold, *CASES["article_ru"]).summary == (
        f"{announce} с генераторами и доступом к интернету."
    )


# ------------------------------------------------------- a redesign (every class renamed)

ARTICLES = sorted(set(CASES) - {"listing_en", "error_404"})
# What a page loses with its JSON-LD where nothing else on it says the same: the
# date's source (the shown date stands in, same moment) and authors named only there.
LOST_WITH_JSONLD: dict[str, dict[str, object]] = {
    "article_uk_jsonld": {"published_source": "page", "authors": []},
    "redeploy_uk": {"published_source": "page", "authors": []},
}


def redesigned(name: str, *, drop_jsonld: bool = False) -> Article:
    html = redesigned_html(html_of(name), drop_jsonld=drop_jsonld)
    return UnnParser().parse(html, *CASES[name])


@pytest.mark.parametrize("name", ARTICLES)
def test_a_redesign_renaming_every_class_changes_no_field(name: str) -> None:
    assert redesigned(name).to_dict() == parse(name).to_dict()


@pytest.mark.parametrize("name", ARTICLES)
def test_a_redesign_dropping_json_ld_too_loses_only_what_only_json_ld_said(name: str) -> None:
    produced = redesigned(name, drop_jsonld=True).to_dict()
    expected = parse(name).to_dict() | LOST_WITH_JSONLD.get(name, {})
    for field in expected:
        assert produced[field] == expected[field], field


@pytest.mark.parametrize("drop_jsonld", [False, True])
@pytest.mark.parametrize("name", ["listing_en", "error_404"])
def test_a_redesigned_listing_or_error_page_is_still_no_article(
    name: str, drop_jsonld: bool
) -> None:
    assert redesigned(name, drop_jsonld=drop_jsonld).to_dict() == parse(name).to_dict()


def test_without_classes_json_ld_or_og_type_an_article_url_with_text_is_an_article() -> None:
    # article_ru has neither JSON-LD nor og:type: only its structure says "article".
    html = redesigned_html(html_of("article_ru"))
    url, fetched = CASES["article_ru"]
    assert UnnParser().parse(html, url, fetched).headline is not None
    listing_url = "https://unn.ua/ru/world?page=2"
    article = UnnParser().parse(html.replace(RU_URL, listing_url), listing_url, fetched)
    assert (article.headline, article.body) == (None, None)


def test_one_line_under_a_headline_is_no_article() -> None:
    html = redesigned_html(html_of("error_404"))
    two_lines = html.replace("</p>", "</p><p>Можливо, сторінку перенесли або видалили.</p>")
    url, fetched = CASES["error_404"]
    assert UnnParser().parse(html, url, fetched).headline is None
    assert UnnParser().parse(two_lines, url, fetched).headline == "404"


def _body_block_start(html: str) -> str:
    found = re.search(r'<div class="c[0-9a-f]+"><p>', html)
    assert found is not None
    return found.group(0)


def test_announce_location_and_ad_label_inside_the_text_block_stay_out_of_the_body() -> None:
    # A redesign that moves the announce and the location line into the text block,
    # and shows an ad slot's label there, all with classes the parser cannot know.
    name = "article_en_time_only"
    html = html_of(name)
    announce = re.search(r"<div class=\"single-news-card_announce__\w+\">(.*?)</div>", html)
    assert announce is not None
    html = html.replace(announce.group(0), "").replace(
        '<p class="single-news-card_location__Lc0Aa">Kyiv • UNN</p>', ""
    )
    html = html.replace(
        '<div class="single-news-card_body__w0_Jb">',
        '<div class="single-news-card_body__w0_Jb"><p>Kyiv • UNN</p>'
        + announce.group(1)
        + "<div><span>Advertisement</span></div>",
    )
    article = UnnParser().parse(redesigned_html(html), *CASES[name])
    assert article.body == parse(name).body
    assert article.summary == parse(name).summary


def test_a_block_of_share_links_after_the_text_is_no_tags_block() -> None:
    name = "seed_en"
    share = (
        '<div><a href="https://www.facebook.com/sharer.php?u=x">Facebook</a>'
        '<a href="https://t.me/share/url?url=x">Telegram</a></div>'
    )
    html = html_of(name).replace(
        '<div class="single-news-card_tags__Mn8Op">',
        share + '<div class="single-news-card_tags__Mn8Op">',
    )
    assert redesigned_html(html) != redesigned_html(html_of(name))
    assert UnnParser().parse(redesigned_html(html), *CASES[name]).tags == ["News of the World"]
    no_tags = re.sub(r'<div class="single-news-card_tags__Mn8Op">.*?</div>', "", html)
    assert UnnParser().parse(redesigned_html(no_tags), *CASES[name]).tags == []


def test_views_need_the_info_line_between_the_headline_and_the_text() -> None:
    # The count a related card shows is no article's count: without its info line
    # the page has no views of its own.
    name = "seed_en"
    html = re.sub(
        r'<div class="single-news-card_tagDateInfo__\w+">.*?</div>', "", html_of(name), flags=re.S
    )
    assert "17721" in html
    assert UnnParser().parse(redesigned_html(html), *CASES[name]).views is None
