"""A real headless browser on a real `newscrawl serve`: the table rows and the charts appear.

Debian's `chromium` renders the pages and runs their JavaScript; `--dump-dom`
prints the document as it stands after the page's scripts ran. When chromium
is missing, the session installs it with apt-get; if that fails the tests skip
and say why.
"""

from __future__ import annotations

import html
import os
import re
import shutil
import subprocess
from collections.abc import Iterator
from datetime import timedelta

import pytest
from lxml import html as lxml_html

from newscrawl.datasette.server import metadata
from newscrawl.testing.demo import demo_stories
from tests.analyst_archive import (
    AnalystArchive,
    free_port,
    newscrawl_serve,
    running_server,
)

# Installing chromium downloads ~100 MB; rendering a page takes a few seconds.
pytestmark = [pytest.mark.e2e, pytest.mark.timeout(1200)]

INSTALL_TIMEOUT = 900
RENDER_TIMEOUT = 120
# Virtual time for the page's scripts: fetching the rows and drawing the chart.
VIRTUAL_TIME_MS = 15000


def _install_chromium() -> str:
    """Install Debian's chromium; the reason it failed, or "" when it worked."""
    if os.geteuid() != 0:
        return "chromium is not installed and installing it needs root (apt-get install chromium)"
    if shutil.which("apt-get") is None:
        return "chromium is not installed and there is no apt-get to install it"
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    output = []
    for command in (
        ["apt-get", "update"],
        ["apt-get", "install", "-y", "--no-install-recommends", "chromium"],
    ):
        try:
            done = subprocess.run(
                command,
                env=env,
                capture_output=True,
                text=True,
                timeout=INSTALL_TIMEOUT,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return f"'{' '.join(command)}' timed out after {INSTALL_TIMEOUT} s"
        output.append(done.stdout + done.stderr)
        if done.returncode != 0:
            return f"'{' '.join(command)}' failed: {output[-1].strip()[-500:]}"
    return ""


@pytest.fixture(scope="session")
def chromium() -> str:
    """The chromium executable, installed with apt-get when missing."""
    path = shutil.which("chromium")
    if path is None:
        failure = _install_chromium()
        path = shutil.which("chromium")
        if path is None:
            pytest.skip(f"no headless browser: {failure or 'chromium not on PATH after install'}")
    return path


@pytest.fixture(scope="module")
def archive(analyst_archive: AnalystArchive) -> AnalystArchive:
    """The session's analyst archive (tests/conftest.py), which these tests only read."""
    return analyst_archive


@pytest.fixture(scope="module")
def server(archive: AnalystArchive) -> Iterator[str]:
    port = free_port()
    with running_server(newscrawl_serve(archive.db, port, "--public"), port) as url:
        yield url


def rendered(chromium: str, url: str) -> lxml_html.HtmlElement:
    """The page at `url` as the browser's DOM after its scripts ran."""
    done = subprocess.run(
        [
            chromium,
            "--headless",
            "--no-sandbox",  # root in a container has no user namespace sandbox
            "--disable-gpu",
            "--disable-dev-shm-usage",
            "--window-size=1280,1024",
            f"--virtual-time-budget={VIRTUAL_TIME_MS}",
            "--dump-dom",
            url,
        ],
        capture_output=True,
        text=True,
        timeout=RENDER_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0 and done.stdout.strip(), done.stderr[-3000:]
    return lxml_html.fromstring(done.stdout)


def test_most_viewed_page_shows_the_rows(chromium: str, server: str) -> None:
    versions = [v for s in demo_stories() for v in s.versions.values()]
    newest = max(v.published_at.date() for v in versions)
    week = [v for v in versions if v.published_at.date() > newest - timedelta(days=7)]
    expected = [v.url for v in sorted(week, key=lambda v: -v.views)]

    page = rendered(chromium, f"{server}/news/most_viewed")

    cells = page.cssselect("table.rows-and-columns tbody tr td.col-url")
    assert [cell.text_content().strip() for cell in cells] == expected
    headlines = page.cssselect("table.rows-and-columns tbody tr td.col-headline")
    assert len(headlines) == len(expected) and all(h.text_content().strip() for h in headlines)


def _chart_urls() -> list[tuple[str, str]]:
    """(query, chart fragment) of every "Chart:" link in the query descriptions."""
    queries = metadata()["databases"]["news"]["queries"]
    return [
        (name, html.unescape(href))
        for name, spec in queries.items()
        for href in re.findall(r'href="(#[^"]+)"', spec.get("description_html", ""))
    ]


def test_every_chart_kind_is_linked() -> None:
    assert {name for name, _ in _chart_urls()} == {"view_history", "daily_volume", "most_cited"}


@pytest.mark.parametrize(("name", "fragment"), _chart_urls(), ids=[n for n, _ in _chart_urls()])
def test_chart_draws(chromium: str, server: str, name: str, fragment: str) -> None:
    page = rendered(chromium, f"{server}/news/{name}{fragment}")

    charts = page.cssselect("div.vega-embed")
    assert len(charts) == 1, f"no chart on {name}"
    drawn = charts[0].cssselect("canvas, svg")
    assert drawn, f"the chart on {name} has no canvas or svg"
    assert int(drawn[0].get("width", "0")) > 100
