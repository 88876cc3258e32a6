"""The hostile web, items 1, 2 and parts of 14 of issue 19: what one page may cost.

Pages are generated in the tests (newscrawl.testing.hostile): gzip bombs built on
the fly, pages over DOWNLOAD_MAXSIZE, fields over their caps. Crawls are real
`scrapy crawl news` runs against a local mirror; Datasette is its own client, or
a real `newscrawl serve --public`.
"""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from datasette.app import Datasette

from newscrawl.crawler.commands.crawl import articles_only
from newscrawl.datasette.plugin import SNIPPET_SCAN_CHARS, snippet
from newscrawl.datasette.server import PUBLIC_SETTINGS, metadata
from newscrawl.settings import DOWNLOAD_MAXSIZE
from newscrawl.testing.hostile import HTML, article_page, feed, gzip_bomb, huge_page, paragraphs
from newscrawl.testing.mirror import Resource
from pipelines.validate import FIELD_CAPS, truncated
from tests.analyst_archive import fetch, free_port, newscrawl_serve, running_server
from tests.conftest import (
    CRAWL_TIMEOUT,
    REPO_ROOT,
    StartMirror,
    make_article,
    rows,
    subprocess_env,
)


def normal_pages(count: int) -> dict[str, Resource]:
    return {
        f"/news/2025/03/01/normal-{n}/": Resource(
            article_page(f"Звичайна новина {n}", paragraphs(4, n)), HTML
        )
        for n in range(count)
    }


def hostile_site(start_mirror: StartMirror, pages: Mapping[str, Resource]) -> str:
    """A mirror serving `pages` and /rss.xml listing them; its base URL."""
    resources: dict[str, Resource] = dict(pages)
    mirror = start_mirror(resources)
    resources["/rss.xml"] = feed(mirror, {path: path for path in pages})
    return str(mirror)


def measured_crawl(args: list[str], db: Path, spider: str = "news") -> tuple[int, str, int]:
    """A real `scrapy crawl` into `db`: its exit code, its log, and its peak RSS in MB."""
    log = db.with_name("crawl.log")
    command = [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-s", f"NEWSCRAWL_DB={db}", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0", "-s", f"LOG_FILE={log}",
        "-s", f"NEWSCRAWL_WARC_DIR={db.parent / 'warc'}", *args,
    ]  # fmt: skip
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=subprocess_env())
    deadline = time.monotonic() + CRAWL_TIMEOUT
    while (done := os.wait4(process.pid, os.WNOHANG))[0] == 0:
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the crawl did not finish")
        time.sleep(0.05)
    _, status, usage = done
    process.returncode = os.waitstatus_to_exitcode(status)
    return process.returncode, log.read_text(encoding="utf-8"), usage.ru_maxrss // 1024


def stat(log: str, name: str) -> int:
    """A counter of the crawl's final stats dump in its log (0 when absent)."""
    found = re.search(rf"'{re.escape(name)}': (\d+)", log)
    return int(found[1]) if found else 0


# --- item 1: bounded memory -----------------------------------------------------------


@pytest.mark.e2e
def test_bombs_and_huge_pages_are_refused_and_the_crawl_stays_small(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    pages = normal_pages(3)
    bombs = {f"/news/2025/03/01/bomb-{n}/": gzip_bomb(200 * 2**20) for n in range(2)}
    huge = {"/news/2025/03/01/huge/": huge_page(DOWNLOAD_MAXSIZE + 2**20)}
    assert len(huge["/news/2025/03/01/huge/"].body) > DOWNLOAD_MAXSIZE
    assert all(len(bomb.body) < 2**20 for bomb in bombs.values())
    site = hostile_site(start_mirror, {**pages, **bombs, **huge})
    db = tmp_path / "news.db"
    code, log, _ = measured_crawl(["-a", f"feed={site}/rss.xml"], db)
    assert code == 0, log[-3000:]
    archived = {row["url"] for row in rows(db, "select url from articles")}
    assert archived == {site + path for path in pages}
    assert stat(log, "newscrawl/fetch_failed/too_large") == 3
    for path in [*bombs, *huge]:
        assert f"fetch failed: {site}{path} (larger than DOWNLOAD_MAXSIZE" in log
    [run] = rows(db, "select finish_reason, articles_new from crawl_runs")
    assert (run["finish_reason"], run["articles_new"]) == ("finished", 3)
    # The peak memory is bench/hostile_memory.py's to measure, against a crawl of
    # normal pages: a child's peak RSS here counts the test worker it forked from.


@pytest.mark.e2e
def test_fields_over_their_caps_are_cut_counted_and_logged(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    long_body = paragraphs(FIELD_CAPS["body"] // 380 + 200, seed=7)
    page = article_page("Заголовок " * 300, long_body, summary="Лід новини " * 1000)
    assert len(page) < DOWNLOAD_MAXSIZE
    site = hostile_site(start_mirror, {"/news/2025/03/01/long/": Resource(page, HTML)})
    db = tmp_path / "news.db"
    code, log, _ = measured_crawl(["-a", f"feed={site}/rss.xml"], db)
    assert code == 0, log[-3000:]
    [row] = rows(db, "select headline, summary, body from articles")
    for field in ("headline", "summary", "body"):
        assert 0.9 * FIELD_CAPS[field] <= len(row[field]) <= FIELD_CAPS[field], field
        assert stat(log, f"newscrawl/truncated/{field}") == 1
        assert re.search(rf"/long/: {field} truncated from \d+ to \d+ characters", log)
    assert row["body"].endswith("ділянці " + row["body"].rsplit("ділянці ", 1)[1])


def test_truncation_cuts_at_a_paragraph_then_a_word_then_the_cap() -> None:
    assert truncated("a" * 95 + "\n\n" + "b" * 50, 100) == "a" * 95
    assert truncated("a" * 95 + " " + "b" * 50, 100) == "a" * 95
    assert truncated("a" * 150, 100) == "a" * 100


def test_the_caps_apply_to_articles_from_any_source() -> None:
    from scrapy.utils.test import get_crawler

    from pipelines.validate import ValidatePipeline

    crawler = get_crawler(settings_dict={})
    assert crawler.stats is not None
    article = make_article(headline="Х" * 5000)
    ValidatePipeline.from_crawler(crawler).process_item(article)
    assert article.headline == "Х" * FIELD_CAPS["headline"]
    assert crawler.stats.get_value("newscrawl/truncated/headline") == 1


# --- item 2: Datasette under --public -------------------------------------------------


def datasette_get(db: Path, path: str, *, public: bool) -> tuple[int, Any]:
    """Status and JSON body of GET `path` on a Datasette of `db` as newscrawl serves it
    (public: PUBLIC_SETTINGS)."""

    async def get() -> tuple[int, Any]:
        settings = {k: _setting(v) for k, v in PUBLIC_SETTINGS.items()} if public else {}
        ds = Datasette([str(db)], metadata=metadata(db.stem), settings=settings)
        response = await ds.client.get(path)
        try:
            return response.status_code, response.json()
        except ValueError:
            return response.status_code, response.text

    return asyncio.run(get())


def _setting(value: str) -> Any:
    return {"on": True, "off": False}.get(value, int(value) if value.isdigit() else value)


def test_search_snippets_read_a_bounded_prefix_of_a_huge_body(huge_archive: Path) -> None:
    status, data = datasette_get(
        huge_archive, "/news/search.json?q=метро&_shape=objects", public=True
    )
    assert status == 200, data
    assert {row["url"] for row in data["rows"]} >= {"https://unn.ua/news/huge"}
    assert all("[метро]" in row["snippet"] for row in data["rows"])


def test_snippet_reads_fts_syntax_and_stops_at_its_bound() -> None:
    text = "Спершу про погоду. У Києві відкрили станцію метро «Либідська» сьогодні."
    assert "[Києві]" in (snippet(text, "Києв*") or "")
    assert "[станцію метро]" in (snippet(text, '"станцію метро" OR погода') or "")
    assert snippet(text, "Харків") is None
    assert snippet("х " * SNIPPET_SCAN_CHARS + "метро", "метро") is None


def test_public_hides_file_paths(huge_archive: Path) -> None:
    status, _ = datasette_get(huge_archive, "/-/databases.json", public=True)
    assert status == 403
    status, _ = datasette_get(huge_archive, "/news/crawl_runs.json", public=True)
    assert status == 403
    status, data = datasette_get(huge_archive, "/news.json", public=True)
    assert "crawl_runs" not in {t["name"] for t in data["tables"] if not t["hidden"]}
    # Locally, both are there.
    status, data = datasette_get(huge_archive, "/-/databases.json", public=False)
    assert status == 200 and data[0]["path"] == str(huge_archive)
    assert datasette_get(huge_archive, "/news/crawl_runs.json", public=False)[0] == 200


def vm_hwm_mb(pid: int) -> int:
    """The peak resident memory of process `pid` so far, in MB (Linux)."""
    status = Path(f"/proc/{pid}/status").read_text()
    found = re.search(r"VmHWM:\s+(\d+) kB", status)
    assert found
    return int(found[1]) // 1024


@pytest.mark.e2e
def test_public_server_answers_within_bounds_beside_a_huge_article(huge_archive: Path) -> None:
    port = free_port()
    command = newscrawl_serve(huge_archive, port, "--public")
    with running_server(command, port) as url:
        pid = _server_pid(port)
        before = vm_hwm_mb(pid)
        status, body = fetch(f"{url}/news/search.json?q=%D0%BC%D0%B5%D1%82%D1%80%D0%BE")
        assert status == 200, body[:500]
        for _ in range(6):
            assert fetch(f"{url}/news/articles.json")[0] == 200
        assert fetch(f"{url}/news/articles.json?_size=max")[0] == 200
        assert fetch(f"{url}/-/databases.json")[0] == 403
        grown = vm_hwm_mb(pid) - before
    # A page holding a 23 M-character row (written before the caps; a crawl now
    # cuts bodies to 500,000 characters) costs several copies of it, as text and
    # escaped JSON, but six pages in a row do not pile up as they did (1.1 GB).
    assert grown < 1000, grown


def _server_pid(port: int) -> int:
    """The pid of the process listening on `port` (found in /proc, Linux)."""
    out = subprocess.run(
        ["ss", "-Htlnp", f"sport = :{port}"], capture_output=True, text=True, check=False
    ).stdout
    found = re.search(r"pid=(\d+)", out)
    if found is None:
        pytest.skip("cannot find the server's process (no ss)")
    return int(found[1])


# --- item 14: -O, scrapy parse, scrapy shell ------------------------------------------


def test_feeds_export_only_articles_unless_they_choose() -> None:
    feeds = {
        "items.jsonl": {"format": "jsonlines"},
        "all.jsonl": {
            "format": "jsonlines",
            "item_filter": "scrapy.extensions.feedexport.ItemFilter",
        },
        "views.jsonl": {"format": "jsonlines", "item_classes": ["newscrawl.items.CardViews"]},
    }
    chosen = articles_only(feeds)
    assert chosen["items.jsonl"]["item_classes"] == ["newscrawl.items.Article"]
    assert "item_classes" not in chosen["all.jsonl"]
    assert chosen["views.jsonl"]["item_classes"] == ["newscrawl.items.CardViews"]


@pytest.mark.e2e
def test_o_exports_articles_and_scrapy_parse_shows_one_leaving_no_run(
    demo_mirror: str, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    out = tmp_path / "items.jsonl"
    code, log, _ = measured_crawl(
        ["-a", f"base_url={demo_mirror}", "-O", str(out)], db, spider="unn"
    )
    assert code == 0, log[-3000:]
    exported = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert exported and all("headline" in item and "body" in item for item in exported)
    assert len(exported) == len(rows(db, "select id from articles"))
    [(runs,)] = rows(db, "select count(*) from crawl_runs")
    assert runs == 1
    url = rows(db, "select url from articles where url like 'https://unn.ua/news/%' limit 1")[0][0]
    path = url.removeprefix("https://unn.ua")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "scrapy",
            "parse",
            "--spider=unn",
            "-a",
            f"base_url={demo_mirror}",
            "-s",
            f"NEWSCRAWL_DB={db}",
            "-s",
            f"NEWSCRAWL_WARC_DIR={tmp_path / 'warc'}",
            f"{demo_mirror}{path}",
        ],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    [(headline,)] = rows(db, "select headline from articles where url = ?", [url])
    assert "'headline':" in done.stdout and headline[:30] in done.stdout.replace("'\n", "")
    assert rows(db, "select count(*) from crawl_runs")[0][0] == 1
