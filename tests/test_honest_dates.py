"""Honest dates: the generic parser never takes another article's date for the page's own.

Read-also inserts, related cards and link lists show the dates of the articles they
point to. A page that shows no date of its own gets none from them (the feed's or
sitemap's date then stands in); a page that shows its own keeps it. The pages here
are made up, in the shapes such regions take on real sites, plus the demo site's
UNN pages before and after a redesign.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone

import pytest

from newscrawl.items import Page
from newscrawl.parsing import article_from_page
from newscrawl.parsing.generic import GenericParser
from newscrawl.testing.demo import demo_site, demo_stories
from newscrawl.testing.redesign import redesigned_html

URL = "https://dailytest.example/news/city-council-approves-cycling-plan"
FETCHED = datetime(2024, 6, 25, 12, 0, tzinfo=UTC)
KYIV_SUMMER = timezone(timedelta(hours=3))

# The regions that show other articles' dates, each as a page would carry it.
# A read-also insert that is one link, the linked article's date inside it (UNN).
LINKED_INSERT = (
    '<div class="insert"><a href="/news/ports-exported-grain">'
    "<span>Ports exported over three million tons of grain in June</span>"
    "<span>03.06.24, 15:20</span></a></div>"
)
# A labelled insert whose date stands beside the link.
LABELLED_INSERT = (
    '<p>Read also: <a href="/news/metro-bridge-repairs">Metro bridge closes for two weeks '
    "of repairs</a> (12.06.2024)</p>"
)
# Related cards: headline link, lead, and the card's own publication and update times.
RELATED_CARDS = '<section class="more"><h2>More news</h2>{}</section>'.format(
    "".join(
        f'<article class="card"><a href="/news/story-{n}"><img src="/i/{n}.jpg" alt=""></a>'
        f'<h3><a href="/news/story-{n}">Forecasters expect heat up to 36 degrees at the '
        f"weekend, part {n}</a></h3><p>The hot weather will last until Monday in the south "
        f"and the centre of the country, the weather service says.</p>"
        f'<time datetime="2024-06-{10 + n}T08:40:00+03:00">{10 + n} June 2024</time>'
        f'<time class="updated" datetime="2024-06-{11 + n}T09:00:00+03:00">updated</time>'
        "</article>"
        for n in range(1, 4)
    )
)
# A sidebar list of links, each in an item of its own, followed by its date.
LIST_ITEMS = '<aside><h2>Most read</h2><ul class="top">{}</ul></aside>'.format(
    "".join(
        f'<li><a href="/news/top-{n}">Railway launches a new night train to the west, '
        f"number {n}</a> 1{n}.05.2024</li>"
        for n in range(1, 4)
    )
)
# The same links in one paragraph, apart only by line breaks.
LINK_LINES = "<aside><h2>Latest</h2><p>{}</p></aside>".format(
    "<br>".join(
        f'<a href="/news/latest-{n}">Lviv announces the programme of the autumn book '
        f"forum, day {n}</a> 2{n}.05.2024"
        for n in range(1, 4)
    )
)
REGIONS = {
    "linked read-also insert": LINKED_INSERT,
    "labelled read-also insert": LABELLED_INSERT,
    "related cards": RELATED_CARDS,
    "list of dated links": LIST_ITEMS,
    "lines of dated links": LINK_LINES,
}

# How a page may show its own date, and the day it means.
OWN_DATES = {
    "shown text": (" · 24 June 2024, 09:15", date(2024, 6, 24)),
    "time element": (
        ' · <time datetime="2024-06-24T09:15:00+03:00">24 June 2024, 09:15</time>',
        date(2024, 6, 24),
    ),
    # The date is a link to the day's archive: still the page's own date.
    "linked to the archive": (
        ' · <a href="/archive/2024/06/24/">24.06.2024 09:15</a>',
        date(2024, 6, 24),
    ),
    # A real first of the month is no copyright year's "January 1st" guess.
    "first of the month": (" · 1 June 2024, 09:15", date(2024, 6, 1)),
}


def news_page(own_date: str = "", regions: tuple[str, ...] = tuple(REGIONS.values())) -> str:
    """A news page with a byline, a body of three paragraphs, and the given regions.

    The first region stands between the body's paragraphs, the others after the
    article; the footer shows a copyright year.
    """
    between, *after = regions or ("",)
    return f"""<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">
<title>City council approves the cycling plan | Daily Test</title></head><body>
<header><a href="/">Daily Test</a><nav><a href="/news">News</a><a href="/sport">Sport</a>
</nav></header>
<main><article><h1>City council approves the cycling plan</h1>
<p class="meta">By <a href="/authors/jane-doe">Jane Doe</a>{own_date}</p>
<p>The city council approved a plan on Monday to build forty kilometres of protected
cycle lanes over the next three years, connecting the river districts with the centre.</p>
{between}
<p>The first lanes will open on the main avenue next spring. Cyclists' groups welcomed
the decision but asked the council to publish the timetable of every section.</p>
<p>The plan costs twelve million and is paid for by the city and a national fund for
transport that supports projects in regional centres.</p>
</article>{"".join(after)}</main>
<footer><p>© 2024 Daily Test. All rights reserved.</p><a href="/about">About us</a></footer>
</body></html>"""


def parse(
    html: str, url: str = URL, fetched_at: datetime = FETCHED
) -> tuple[datetime | None, str | None, datetime | None]:
    article = GenericParser().parse(html, url, fetched_at)
    return article.published_at, article.published_source, article.modified_at


def test_a_page_without_a_date_of_its_own_gets_none_from_the_articles_it_links() -> None:
    assert parse(news_page()) == (None, None, None)


@pytest.mark.parametrize("region", REGIONS)
def test_no_region_lends_its_date(region: str) -> None:
    # Each region alone is enough to mislead a date finder that reads every date.
    assert parse(news_page(regions=(REGIONS[region],))) == (None, None, None)


@pytest.mark.parametrize("shown", OWN_DATES)
def test_a_page_with_a_date_of_its_own_keeps_it(shown: str) -> None:
    markup, day = OWN_DATES[shown]
    published_at, source, modified_at = parse(news_page(own_date=markup))
    assert published_at is not None
    assert published_at.date() == day
    assert source == ("time" if "<time" in markup else "text")
    # The cards' update times are theirs, not this page's.
    assert modified_at is None


def test_a_time_element_of_its_own_is_exact() -> None:
    published_at, source, _ = parse(news_page(own_date=OWN_DATES["time element"][0]))
    assert (published_at, source) == (datetime(2024, 6, 24, 9, 15, tzinfo=KYIV_SUMMER), "time")


def test_a_copyright_year_is_no_date() -> None:
    assert parse(news_page(regions=())) == (None, None, None)


def test_the_feed_date_stands_in_for_a_page_without_one() -> None:
    feed_date = datetime(2024, 6, 24, 6, 15, tzinfo=UTC)
    page = Page(
        url=URL,
        body=news_page().encode("utf-8"),
        fetched_at=FETCHED,
        content_type="text/html; charset=utf-8",
        feed_published_at=feed_date,
    )
    article = article_from_page(page)
    assert article.published_at == feed_date
    assert article.published_source == "feed"


# --- the demo site's UNN pages, read by the generic parser ------------------------

_JSONLD = re.compile(r'<script type="application/ld\+json">.*?</script>', re.DOTALL)
# UNN's info line: "<a>Section</a> • <shown date>" before the views line.
_SHOWN_DATE = re.compile(r"(</a>) • [^<]*\d{1,2}:\d{2}[^<]*(</p>)")
ARTICLE_VERSIONS = [v for s in demo_stories() for v in s.versions.values()]
# After the newest story: no shown date lies after the fetch.
UNN_FETCHED = max(v.published_at for v in ARTICLE_VERSIONS) + timedelta(days=7)


def _unn_page(path: str, *, own_date: bool, redesigned: bool) -> str:
    html = _JSONLD.sub("", demo_site()[path].body.decode("utf-8"))
    if not own_date:
        html, shown = _SHOWN_DATE.subn(r"\1\2", html, count=1)
        assert shown == 1, path
    return redesigned_html(html) if redesigned else html


@pytest.mark.parametrize("redesigned", [False, True], ids=["as built", "redesigned"])
def test_unn_pages_without_their_date_get_none_from_inserts_and_cards(redesigned: bool) -> None:
    for version in ARTICLE_VERSIONS:
        html = _unn_page(version.path, own_date=False, redesigned=redesigned)
        assert parse(html, version.url, UNN_FETCHED)[:2] == (None, None), version.path


@pytest.mark.parametrize("redesigned", [False, True], ids=["as built", "redesigned"])
def test_unn_pages_keep_the_day_they_show(redesigned: bool) -> None:
    for version in ARTICLE_VERSIONS:
        html = _unn_page(version.path, own_date=True, redesigned=redesigned)
        published_at, _, _ = parse(html, version.url, UNN_FETCHED)
        assert published_at is not None, version.path
        assert published_at.date() == version.published_at.date(), version.path
