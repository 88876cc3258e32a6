"""`newscrawl serve` as a real server process: the datasette line, --public, a crawl beside it."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
import threading
from pathlib import Path
from urllib.parse import urlencode

import pytest

from newscrawl.datasette.server import metadata
from newscrawl.testing.demo import demo_site
from newscrawl.testing.mirror import serve
from tests.analyst_archive import (
    REVISIT_ALL,
    VIEWS_GAIN,
    AnalystArchive,
    fetch,
    free_port,
    newscrawl_crawl,
    newscrawl_serve,
    running_server,
)
from tests.conftest import REPO_ROOT, NewscrawlInProcess

QUERIES = sorted(metadata()["databases"]["news"]["queries"])


@pytest.fixture(scope="module")
def archive(analyst_archive: AnalystArchive) -> AnalystArchive:
    """The session's analyst archive (tests/conftest.py), which these tests only read."""
    return analyst_archive


def _json(url: str) -> dict:
    status, body = fetch(url)
    assert status == 200, body[:2000]
    return json.loads(body)


def _printed_command(db: Path, port: int, *options: str) -> list[str]:
    done = subprocess.run(
        [*newscrawl_serve(db, port, *options), "--print-command"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    command = shlex.split(done.stdout.strip())
    assert command[:3] == ["datasette", "serve", str(db)]
    return [sys.executable, "-m", "datasette", *command[1:]]


@pytest.mark.e2e
@pytest.mark.parametrize("options", [(), ("--public",)], ids=["local", "public"])
def test_the_printed_datasette_line_serves_the_same(
    archive: AnalystArchive, options: tuple[str, ...]
) -> None:
    served = {}
    for name, command_on in (
        ("newscrawl", lambda port: newscrawl_serve(archive.db, port, *options)),
        ("datasette", lambda port: _printed_command(archive.db, port, *options)),
    ):
        port = free_port()
        with running_server(command_on(port), port) as url:
            served[name] = [
                _json(f"{url}/-/metadata.json"),
                _json(f"{url}/-/settings.json"),
                _json(f"{url}/news/most_viewed.json?_shape=objects")["rows"],
                [p["name"] for p in _json(f"{url}/-/plugins.json")],
            ]
    assert served["newscrawl"] == served["datasette"]
    assert served["newscrawl"][0] == metadata()
    assert "datasette-vega" in served["newscrawl"][3]


@pytest.mark.e2e
def test_serve_answers_queries_and_arbitrary_sql(archive: AnalystArchive) -> None:
    port = free_port()
    with running_server(newscrawl_serve(archive.db, port), port) as url:
        for name in QUERIES:
            assert fetch(f"{url}/news/{name}")[0] == 200, name
        sql = urlencode({"sql": "select count(*) as n from articles", "_shape": "objects"})
        assert _json(f"{url}/news.json?{sql}")["rows"] == [{"n": 31}]
        databases = _json(f"{url}/-/databases.json")
        # Read-only but not immutable: Datasette sees what a crawl commits.
        assert [(d["name"], d["is_mutable"]) for d in databases] == [("news", True)]


@pytest.mark.e2e
def test_public_refuses_arbitrary_sql_but_answers_canned_queries(
    archive: AnalystArchive,
) -> None:
    port = free_port()
    with running_server(newscrawl_serve(archive.db, port, "--public"), port) as url:
        sql = urlencode({"sql": "select * from articles"})
        assert fetch(f"{url}/news?{sql}")[0] == 403
        assert fetch(f"{url}/news.json?{sql}")[0] == 403
        assert fetch(f"{url}/news/articles?_where=1%3D1")[0] == 403
        page = fetch(f"{url}/news")[1]
        assert "Run SQL" not in page
        for name in QUERIES:
            assert fetch(f"{url}/news/{name}.json")[0] == 200, name
        found = _json(f"{url}/news/articles.json?_search=hryvnia&_shape=objects")["rows"]
        assert found and all("hryvnia" in row["body"].casefold() for row in found)
        assert fetch(f"{url}/news/links?kind=read_also")[0] == 200
        settings = _json(f"{url}/-/settings.json")
        assert settings["default_allow_sql"] is False
        assert 0 < settings["sql_time_limit_ms"] <= 1000


@pytest.mark.e2e
def test_serve_reads_the_archive_while_a_crawl_writes_it(
    archive: AnalystArchive, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    shutil.copy(archive.db, db)
    article = f"{archive.edited.url}"
    history = f"/news/view_history.json?{urlencode({'article': article, '_shape': 'objects'})}"
    statuses: list[int] = []
    crawling = threading.Event()
    port = free_port()
    with running_server(newscrawl_serve(db, port, "--public"), port) as url:
        before = _json(url + history)["rows"]

        def poll() -> None:
            while crawling.is_set():
                statuses.append(fetch(url + history)[0])

        with serve(demo_site(views_offset=2 * VIEWS_GAIN)) as mirror:
            crawling.set()
            poller = threading.Thread(target=poll)
            poller.start()
            try:
                run = newscrawl_crawl(db, mirror, f"NEWSCRAWL_REVISITS={REVISIT_ALL}")
            finally:
                crawling.clear()
                poller.join()
        assert run.returncode == 0, run.stdout + run.stderr
        after = _json(url + history)["rows"]
    assert statuses and set(statuses) == {200}
    assert len(after) > len(before)
    assert after[-1]["views"] == archive.edited.views + 2 * VIEWS_GAIN


@pytest.mark.e2e
def test_an_archive_with_another_name_gets_the_metadata(
    archive: AnalystArchive, tmp_path: Path
) -> None:
    db = tmp_path / "archive.db"
    shutil.copy(archive.db, db)
    port = free_port()
    with running_server(newscrawl_serve(db, port), port) as url:
        assert _json(f"{url}/-/metadata.json")["databases"].keys() == {"archive"}
        rows = _json(f"{url}/archive/most_viewed.json?_shape=objects")["rows"]
        assert rows and rows[0]["views"] > 0


def test_a_missing_archive_is_a_clear_error(
    tmp_path: Path, newscrawl_in_process: NewscrawlInProcess
) -> None:
    done = newscrawl_in_process(
        ["serve", "--db", str(tmp_path / "missing.db"), "--port", str(free_port())]
    )
    assert done.returncode == 1
    assert "no archive at" in done.stderr and "newscrawl demo" in done.stderr
    assert not (tmp_path / "missing.db").exists()
