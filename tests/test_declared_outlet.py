"""An outlet that is one sources-file entry and no code, from the cron line to Datasette.

The outlet is declared in ``sources.toml`` beside the archive, with a view counter
template and a politeness override; one ``newscrawl crawl --due`` crawls it, and
then ``newscrawl sources``, ``newscrawl status``, the archive and Datasette all
know it, its articles read by the generic parser.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.parsing.generic import GenericParser
from newscrawl.testing.mirror import Resource, serve
from newscrawl.testing.outlets import FEED_PATH, OutletSpec, others_switched_off, outlet_site
from tests.conftest import rows, run_newscrawl
from tests.test_datasette import get, query

NOW = datetime(2025, 5, 12, 9, 30, tzinfo=UTC)
FAST = [
    "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "ROBOTSTXT_OBEY=False"
]  # fmt: skip
HOST = "127.0.0.7"


@pytest.mark.e2e
def test_one_entry_and_no_code_makes_an_outlet_everywhere(tmp_path: Path) -> None:
    spec = OutletSpec("vistnyk", "20m", HOST, articles=3)
    site = outlet_site(spec, NOW - timedelta(hours=2))
    article_paths = sorted(path for path in site if path != FEED_PATH)
    # The outlet's counter answers JSON, as UNIAN's does.
    for n, path in enumerate(article_paths, start=1):
        story_id = path.rsplit("-", 1)[1].removesuffix(".html")
        site[f"/api/views/{story_id}"] = Resource(
            json.dumps({"data": {"views": 100 * n}}).encode(), "application/json"
        )
    with serve(site, host=HOST) as mirror:
        check_the_outlet(tmp_path, mirror, article_paths)


def check_the_outlet(tmp_path: Path, mirror: str, article_paths: list[str]) -> None:
    (tmp_path / "sources.toml").write_text(
        f"""{others_switched_off()}[outlets.vistnyk]
title = "Вісник"
home = "{mirror}"
languages = ["uk"]
feeds = ["{FEED_PATH}"]
article_path = '^/news/vistnyk-story-(?P<id>\\d+)\\.html$'
counter = "/api/views/{{id}}"
interval = "20m"
politeness = {{ DOWNLOAD_DELAY = 0.0 }}
evidence = "a made-up outlet of this test"
""",
        encoding="utf-8",
    )
    db = tmp_path / "news.db"
    env = {"NEWSCRAWL_NOW": NOW.isoformat()}

    crawled = run_newscrawl(["crawl", "--due", "--db", str(db), *FAST], tmp_path, env=env)
    assert crawled.returncode == 0, crawled.stdout + crawled.stderr
    assert "vistnyk: finished, exit 0" in crawled.stdout

    provenance = f"{GenericParser.NAME}/{GenericParser.VERSION}"
    articles = rows(db, "SELECT url, site, parser, views FROM articles ORDER BY url")
    assert [a["url"] for a in articles] == [f"{mirror}{path}" for path in article_paths]
    assert {a["site"] for a in articles} == {HOST}
    assert {a["parser"] for a in articles} == {provenance}
    assert [a["views"] for a in articles] == [100, 200, 300]
    (outlet,) = rows(db, "SELECT * FROM outlets")
    assert outlet["name"] == "vistnyk" and outlet["kind"] == "declared"
    assert outlet["title"] == "Вісник" and outlet["site"] == HOST
    assert outlet["interval_minutes"] == 20
    assert outlet["declared_in"] == str(tmp_path / "sources.toml")

    listed = run_newscrawl(["sources", "--db", str(db), "--json"], tmp_path, env=env)
    assert listed.returncode == 0, listed.stderr
    by_name = {entry["name"]: entry for entry in map(json.loads, listed.stdout.splitlines())}
    assert by_name["vistnyk"]["kind"] == "declared"
    assert by_name["vistnyk"]["last_run"] is not None
    assert by_name["vistnyk"]["next_due"] == (NOW + timedelta(minutes=20)).isoformat()

    status = run_newscrawl(["status", "--db", str(db)], tmp_path, env=env)
    assert status.returncode == 0, status.stdout + status.stderr
    (line,) = [line for line in status.stdout.splitlines() if line.startswith(HOST)]
    assert "vistnyk" in line and "ok" in line

    served = get(db, f"/news/articles.json?site={HOST}&_shape=objects")
    assert {row["parser"] for row in served["rows"]} == {provenance}
    (shown,) = query(db, "outlets")
    assert shown["name"] == "vistnyk" and shown["articles"] == len(article_paths)
    assert shown["last_exit_code"] == 0
