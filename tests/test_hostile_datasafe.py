"""The hostile web, leftovers of items 2 and 14 of issue 19: a public Datasette bounded
beside a huge body, and Scrapy's looking commands writing nothing.

The archive holds a row with a 23-million-character body, as one written before the
crawl capped bodies could; the server is a real `newscrawl serve --public`. The
scrapy commands run from the project root against the demo site on a local mirror.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest

from newscrawl.datasette.plugin import CUT_MARK, PUBLIC_CELL_CHARS, public_text
from newscrawl.testing.demo import demo_stories
from tests.analyst_archive import fetch, free_port, newscrawl_serve, running_server
from tests.conftest import CRAWL_TIMEOUT, HUGE_BODY, HUGE_URL, REPO_ROOT, subprocess_env
from tests.test_hostile_limits import _server_pid, vm_hwm_mb

CUT = PUBLIC_CELL_CHARS + len(CUT_MARK.format(chars=PUBLIC_CELL_CHARS))


# --- item 2: every value a public server returns is bounded -----------------------------


def test_public_text_cuts_long_values_and_says_so() -> None:
    assert public_text("Київ".encode()) == "Київ"
    assert public_text(b"caf\xff") == "caf\ufffd"
    long = "ї" * PUBLIC_CELL_CHARS
    assert public_text(long.encode()) == long
    cut = public_text(("ї" * (PUBLIC_CELL_CHARS + 1)).encode())
    assert cut == long + CUT_MARK.format(chars=PUBLIC_CELL_CHARS)
    # 4-byte characters: the cut never splits one.
    emoji = public_text(("🙂" * (PUBLIC_CELL_CHARS + 5)).encode())
    assert emoji.startswith("🙂" * PUBLIC_CELL_CHARS) and "\ufffd" not in emoji
    assert public_text(("a" * (3 * PUBLIC_CELL_CHARS)).encode()).endswith(" public server]")


@pytest.mark.e2e
def test_public_server_cuts_long_cells_in_json_and_csv_and_stays_small(
    huge_archive: Path,
) -> None:
    port = free_port()
    with running_server(newscrawl_serve(huge_archive, port, "--public"), port) as url:
        pid = _server_pid(port)
        before = vm_hwm_mb(pid)
        pages = ["/news/articles.json?_shape=objects"] * 6 + [
            "/news/articles.json?_size=max&_shape=objects",
            "/news/articles.json?_col=body&_size=max&_shape=objects",
            "/news/articles/3.json?_shape=objects",
        ]
        for page in pages:
            status, body = fetch(url + page)
            assert status == 200, body[:500]
            huge = next(row for row in json.loads(body)["rows"] if row["id"] == 3)
            assert huge["body"] == HUGE_BODY[:PUBLIC_CELL_CHARS] + CUT_MARK.format(
                chars=PUBLIC_CELL_CHARS
            )
        status, body = fetch(f"{url}/news/articles.csv?_size=max")
        assert status == 200, body[:500]
        table = list(csv.DictReader(io.StringIO(body)))
        assert len(table) == 3 and max(len(row["body"]) for row in table) == CUT
        # Functions in SQL still see the whole text.
        status, body = fetch(f"{url}/news/what_changed.json?article=1&_shape=objects")
        assert status == 200, body[:500]
        grown = vm_hwm_mb(pid) - before
    # Before: 830 MB for the same pages (the body read whole, then JSON-escaped whole).
    assert grown < 200, grown


@pytest.mark.e2e
def test_public_table_search_beside_a_huge_body_answers(
    huge_archive: Path,
) -> None:
    port = free_port()
    with running_server(newscrawl_serve(huge_archive, port, "--public"), port) as url:
        for page in (
            f"/news/articles?_search={quote('метро')}",
            f"/news/articles.json?_search={quote('метро')}&_shape=objects",
            f"/news/articles.json?_search={quote('метр*')}&_searchmode=raw",
            f"/news/search.json?q={quote('метро')}",
        ):
            # A query past the time limit answers an error, not 200; how fast each
            # answers is bench/hostile_memory.py's to measure, not a test's.
            status, body = fetch(url + page)
            assert status == 200, body[:500]
            assert HUGE_URL in body.replace("\\/", "/")


# --- item 14: scrapy shell and scrapy parse write nothing -------------------------------


def scrapy(*args: str, folder: Path) -> subprocess.CompletedProcess[str]:
    """A real `scrapy` command from the project root, its archive and WARC folder in
    `folder`."""
    settings = ["-s", f"NEWSCRAWL_DB={folder / 'news.db'}"]
    settings += ["-s", f"NEWSCRAWL_WARC_DIR={folder / 'warc'}"]
    return subprocess.run(
        [sys.executable, "-m", "scrapy", *args, *settings],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )


def assert_wrote_nothing(folder: Path) -> None:
    """No archive (so no crawl_runs row) and no WARC file in `folder`."""
    assert not (folder / "news.db").exists()
    assert not list(folder.rglob("*.warc*"))
    assert list(folder.iterdir()) == []


@pytest.mark.e2e
def test_scrapy_shell_leaves_no_run_and_no_warc(demo_mirror: str, tmp_path: Path) -> None:
    story = next(iter(demo_stories())).versions["uk"]
    done = scrapy("shell", f"{demo_mirror}{story.path}", "-c", "response.status", folder=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.strip() == "200"
    assert_wrote_nothing(tmp_path)


@pytest.mark.e2e
def test_scrapy_parse_prints_the_article_and_writes_nothing(
    demo_mirror: str, tmp_path: Path
) -> None:
    story = next(iter(demo_stories())).versions["uk"]
    done = scrapy(
        "parse", "--spider=unn", "-a", f"base_url={demo_mirror}", f"{demo_mirror}{story.path}",
        folder=tmp_path,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert "'headline':" in done.stdout
    assert story.headline[:30] in done.stdout.replace("'\n", "")
    assert "Deferred" not in done.stderr
    # A log line at WARNING level (the settings dump may name the level as a value).
    assert "] WARNING:" not in done.stderr
    assert_wrote_nothing(tmp_path)
