"""`newscrawl crawl SPIDER --resume NAME`: a crawl stopped by SIGINT goes on where it stopped."""

from __future__ import annotations

import signal
import subprocess
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.runs.verdict import ExitCode
from newscrawl.testing.demo import demo_site, generated_stories
from newscrawl.testing.mirror import Resource
from tests.conftest import StartMirror, newscrawl_command, rows, subprocess_env
from tests.test_cron import FAST, crawl_runs, newscrawl

pytestmark = [pytest.mark.e2e, pytest.mark.timeout(300)]

STORIES = 40


def test_a_crawl_stopped_with_sigint_resumes_without_fetching_twice(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    # Two months old: no revisits muddle the request counts.
    stories = generated_stories(STORIES, datetime.now(UTC) - timedelta(days=60))
    site = demo_site("s", stories=stories)
    for path, resource in site.items():
        if "/news/" in path:  # slow article pages, so the crawl is caught mid-way
            site[path] = Resource(resource.body, resource.content_type, delay=0.2)
    mirror = start_mirror(site)
    db = tmp_path / "data" / "news.db"
    args = [
        "crawl", "unn", "--resume", "nightly", "--db", str(db),
        "-a", f"base_url={mirror}", "-a", "languages=uk", *FAST,
    ]  # fmt: skip
    articles = [story.versions["uk"].path for story in stories]

    first = subprocess.Popen(
        [*newscrawl_command(), *args],
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 60
    while sum(mirror.hits[p] for p in articles) < 8 and time.monotonic() < deadline:
        time.sleep(0.05)
    first.send_signal(signal.SIGINT)  # Ctrl-C
    out, err = first.communicate(timeout=120)

    assert first.returncode == ExitCode.NOT_FINISHED, out + err
    assert "unn: shutdown, exit 1" in out
    archived_first = rows(db, "SELECT count(*) AS n FROM articles")[0]["n"]
    assert 0 < archived_first < STORIES
    assert (db.parent / "jobs" / "nightly").is_dir()

    second = newscrawl(args, tmp_path)

    assert second.returncode == 0, second.stdout + second.stderr
    urls = [row["url"] for row in rows(db, "SELECT url FROM articles")]
    assert sorted(urls) == sorted(story.versions["uk"].url for story in stories)
    # Every article page and every listing page was fetched once over both runs.
    assert {p: mirror.hits[p] for p in articles} == dict.fromkeys(articles, 1)
    assert [n for p, n in mirror.hits.items() if p.startswith("/news?") and n != 1] == []
    assert mirror.hits["/rss/news_uk.xml"] == 1
    assert [(r["finish_reason"], r["exit_code"]) for r in crawl_runs(db)] == [
        ("shutdown", 1),
        ("finished", 0),
    ]
    assert crawl_runs(db)[1]["articles_new"] == STORIES - archived_first
    # A finished crawl's state is gone: the next run with the same name starts afresh.
    assert not (db.parent / "jobs" / "nightly").exists()
