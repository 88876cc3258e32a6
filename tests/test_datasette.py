"""The archive opens in Datasette as it is, and its search box works, through Datasette's client."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

datasette_app = pytest.importorskip("datasette.app")

from newscrawl.archive import Archive  # noqa: E402
from newscrawl.parsers.unn import UnnParser  # noqa: E402

FIXTURES = Path(__file__).parent / "fixtures" / "unn"
PAGES = {
    "seed_en.html": "https://unn.ua/en/amp/the-united-states-south-korea-and-japan-condemned-the-"
    "deepening-of-military-cooperation-between-the-dprk-and-the-russian-federation",
    "article_uk_jsonld.html": "https://unn.ua/news/kyivrada-ukhvalyla-prohramu-rozvytku-"
    "veloinfrastruktury-do-2027-roku",
}


@pytest.fixture(scope="module")
def archive_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("datasette") / "news.db"
    with Archive(path) as archive:
        for name, url in PAGES.items():
            html = (FIXTURES / name).read_text(encoding="utf-8")
            archive.save(UnnParser().parse(html, url, datetime(2024, 6, 25, 7, tzinfo=UTC)))
    return path


def _get_json(path: Path, url: str) -> Any:
    async def fetch() -> Any:
        ds = datasette_app.Datasette([str(path)])
        response = await ds.client.get(url)
        assert response.status_code == 200, response.text
        return response.json()

    return asyncio.run(fetch())


def _headlines(data: dict[str, Any]) -> list[str]:
    columns = data["columns"]
    return [dict(zip(columns, row, strict=True))["headline"] for row in data["rows"]]


def test_search_finds_an_english_word(archive_path: Path) -> None:
    data = _get_json(archive_path, "/news/articles.json?_search=Pyongyang")
    assert _headlines(data) == [
        "The United States, South Korea and Japan condemned the deepening of military "
        "cooperation between the DPRK and the russian federation"
    ]


def test_search_finds_a_ukrainian_word_in_any_case(archive_path: Path) -> None:
    lower = _headlines(_get_json(archive_path, "/news/articles.json?_search=велодоріжок"))
    upper = _headlines(_get_json(archive_path, "/news/articles.json?_search=ВЕЛОДОРІЖОК"))
    assert len(lower) == 1 and "Київрада" in lower[0]
    assert upper == lower


def test_every_table_is_browsable(archive_path: Path) -> None:
    tables = {t["name"] for t in _get_json(archive_path, "/news.json")["tables"]}
    assert {"articles", "links", "view_snapshots"} <= tables
    links = _get_json(archive_path, "/news/links.json?kind=read_also")
    assert len(links["rows"]) >= 3
