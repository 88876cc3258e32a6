"""Crash safety: a crawl killed with SIGKILL, a full disk and a read-only archive.

The archive must stay consistent whatever happens to the crawl: every
committed article intact with its links, nothing lost, and the next run
completing the work. The WARC files must stay readable.
"""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import datetime
from pathlib import Path

import pytest

from newscrawl.archive import Archive
from newscrawl.items import Page
from newscrawl.parsing import article_from_page
from newscrawl.testing.demo import demo_site, demo_stories
from newscrawl.testing.mirror import serve
from newscrawl.warc.reader import item_records, page_body, record_at, warc_files_in
from pipelines.normalize import normalize_article
from tests.conftest import REPO_ROOT, crawl, rows, run_newscrawl

pytestmark = pytest.mark.e2e

# Every article of the demo site, in every language (AMP copies map to these).
ARTICLES = sum(len(story.versions) for story in demo_stories())


def scrapy_crawl_command(db: Path, warc_dir: Path, *args: str) -> list[str]:
    return [
        sys.executable, "-m", "scrapy", "crawl", "unn",
        "-s", f"NEWSCRAWL_DB={db}",
        "-s", f"NEWSCRAWL_WARC_DIR={warc_dir}",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", f"LOG_FILE={db.parent / 'killed-crawl.log'}",
        *args,
    ]  # fmt: skip


def newscrawl_crawl(db: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real `newscrawl crawl unn`, logging beside the test's files."""
    return run_newscrawl(
        ["crawl", "unn", "--db", str(db),
         "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
         "-s", f"NEWSCRAWL_LOG_DIR={cwd / 'logs'}", *args],
        cwd,
    )  # fmt: skip


def everything_said(done: subprocess.CompletedProcess[str], log_dir: Path) -> str:
    """A run's stdout, stderr and log files, as one text to search."""
    logs = "".join(path.read_text() for path in log_dir.glob("*.log"))
    return done.stdout + done.stderr + logs


def committed_count(db: Path) -> int:
    try:
        conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            return conn.execute("SELECT count(*) FROM articles").fetchone()[0]
        finally:
            conn.close()
    except sqlite3.Error:
        return 0  # not created or not migrated yet


def assert_consistent(db: Path, warc_dir: Path) -> list[sqlite3.Row]:
    """The archive is sound and each article matches the WARC record it points to."""
    assert rows(db, "PRAGMA integrity_check")[0][0] == "ok"
    assert rows(db, "PRAGMA foreign_key_check") == []
    articles = rows(db, "SELECT * FROM articles")
    for row in articles:
        record = record_at(warc_dir / row["warc_file"], row["warc_offset"])
        page = Page(
            url=row["url"],
            body=page_body(warc_dir / row["warc_file"], row["warc_offset"]),
            fetched_at=datetime.fromisoformat(row["fetched_at"]),
            content_type=record.http_headers.get_header("Content-Type"),
        )
        article = article_from_page(page)
        normalize_article(article)
        assert (article.headline, article.body) == (row["headline"], row["body"]), row["url"]
        stored_links = {
            (link["kind"], link["position"], link["url"])
            for link in rows(db, "SELECT * FROM links WHERE article_id = ?", [row["id"]])
        }
        parsed_links = {(link.kind, link.position, link.url) for link in article.links}
        parsed_links |= {(link.kind, link.position, link.url) for link in article.related}
        assert stored_links == parsed_links, row["url"]
        assert stored_links, f"{row['url']} has no links"
    return articles


# --- SIGKILL ---------------------------------------------------------------------------------


def test_a_crawl_killed_mid_way_leaves_a_consistent_archive_and_the_next_completes(
    tmp_path: Path,
) -> None:
    db = tmp_path / "news.db"
    warc_dir = tmp_path / "warc"
    site = demo_site()
    # Article pages answer slowly, so the crawl is surely killed half-way.
    slow = {
        path: replace(resource, delay=0.5) if "/news/" in path or "/amp/" in path else resource
        for path, resource in site.items()
    }
    with serve(slow) as mirror:
        process = subprocess.Popen(
            scrapy_crawl_command(db, warc_dir, "-a", f"base_url={mirror}"),
            cwd=REPO_ROOT,
            env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        try:
            deadline = time.monotonic() + 60
            while committed_count(db) < 5 and time.monotonic() < deadline:
                assert process.poll() is None, "the crawl ended before it could be killed"
                time.sleep(0.05)
        finally:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=30)
    assert process.returncode == -signal.SIGKILL
    killed = assert_consistent(db, warc_dir)
    assert 5 <= len(killed) < ARTICLES
    # Its walk is marked unfinished, so the next run will not stop at its articles.
    assert [r["spider"] for r in rows(db, "SELECT spider FROM unfinished_crawls")] == ["unn"]
    killed_files = warc_files_in([warc_dir])
    for path in killed_files:
        # Reads to the end; a record cut short by the kill would be skipped.
        list(item_records(path))

    with serve(site) as mirror:
        second = crawl(["-a", f"base_url={mirror}"], db)
    assert second.returncode == 0, second.log[-3000:]
    assert "'finish_reason': 'finished'" in second.log
    complete = assert_consistent(db, warc_dir)
    assert len(complete) == ARTICLES
    assert rows(db, "SELECT * FROM unfinished_crawls") == []
    assert rows(db, "SELECT content_hash FROM articles GROUP BY 1 HAVING count(*) > 1") == []
    # The articles the killed run committed were kept as they were.
    before = {r["url"]: r["first_seen_at"] for r in killed}
    after = {r["url"]: r["first_seen_at"] for r in complete}
    assert {url: after[url] for url in before} == before
    new_files = sorted(set(warc_files_in([warc_dir])) - set(killed_files))
    assert new_files, "the second run did not start a new WARC file"
    checked = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, new_files)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout[-2000:]


# --- a full disk and a read-only archive --------------------------------------------------------


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Callable[[str], Path]]:
    """Mounts tmpfs file systems of a given size (e.g. "96k"); skips if mounting is refused."""
    mounted: list[Path] = []

    def mount(size: str) -> Path:
        point = tmp_path / f"disk-{uuid.uuid4().hex[:8]}"
        point.mkdir()
        done = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size},mode=0755", "tmpfs", str(point)],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            pytest.skip(
                "a real full disk needs a small tmpfs, and mounting one was refused "
                f"(root or CAP_SYS_ADMIN is needed): {done.stderr.strip()}"
            )
        mounted.append(point)
        return point

    yield mount
    for point in reversed(mounted):
        subprocess.run(["umount", "-l", str(point)], check=False)


# What a "full" disk still holds: less than the demo's articles, their full-text
# index and the WAL of one batch commit need.
FULL_DISK_ROOM = 64 * 1024


def fill_disk(point: Path, leave: int) -> None:
    """Fill the file system at `point` with a file, up to `leave` bytes left free."""
    stats = os.statvfs(point)
    free = stats.f_bavail * stats.f_frsize
    with open(point / "filler", "wb") as filler:
        filler.write(b"\0" * max(free - leave, 0))


def remount(point: Path, mode: str) -> None:
    subprocess.run(["mount", "-o", f"remount,{mode}", str(point)], check=True)


def test_a_full_disk_for_the_warc_files_stops_the_crawl_and_keeps_what_was_committed(
    tmp_path: Path, small_disk: Callable[[str], Path]
) -> None:
    warc_dir = small_disk("96k")
    db = tmp_path / "news.db"
    with serve(demo_site()) as mirror:
        done = newscrawl_crawl(
            db, "-a", f"base_url={mirror}", "-s", f"NEWSCRAWL_WARC_DIR={warc_dir}", cwd=tmp_path
        )
    output = everything_said(done, tmp_path / "logs")
    assert done.returncode == 1, output[-3000:]
    assert "warc_error" in output
    assert "No space left on device" in output
    committed = assert_consistent(db, warc_dir)
    assert 0 < len(committed) < ARTICLES
    # The failed record was cut off again: every file is whole.
    checked = subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", *map(str, warc_files_in([warc_dir]))],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert checked.returncode == 0, checked.stdout[-2000:]


def test_a_full_disk_for_the_archive_stops_the_crawl_and_keeps_what_was_committed(
    tmp_path: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("4m")
    db = disk / "news.db"
    # The archive exists, migrated; then the disk keeps room for a few pages, not the
    # crawl's articles. Measured, not a fixed disk size, so schema growth cannot give
    # the crawl room to finish.
    Archive(db).close()
    fill_disk(disk, leave=FULL_DISK_ROOM)
    warc_dir = tmp_path / "warc"
    with serve(demo_site()) as mirror:
        done = newscrawl_crawl(
            db, "-a", f"base_url={mirror}", "-s", f"NEWSCRAWL_WARC_DIR={warc_dir}", cwd=tmp_path
        )
    output = everything_said(done, tmp_path / "logs")
    assert done.returncode != 0, output[-3000:]
    assert "the disk is full" in output
    committed = assert_consistent(db, warc_dir)
    assert len(committed) < ARTICLES


def test_a_read_only_archive_stops_the_crawl_and_loses_nothing(
    tmp_path: Path, small_disk: Callable[[str], Path]
) -> None:
    disk = small_disk("8m")
    db = disk / "news.db"
    warc_dir = tmp_path / "warc"
    with serve(demo_site()) as mirror:
        first = newscrawl_crawl(
            db, "-a", f"base_url={mirror}", "-a", "languages=en", "-s",
            f"NEWSCRAWL_WARC_DIR={warc_dir}", cwd=tmp_path,
        )  # fmt: skip
        assert first.returncode == 0, first.stderr[-3000:]
        before = [dict(r) for r in rows(db, "SELECT * FROM articles ORDER BY id")]
        remount(disk, "ro")
        try:
            done = newscrawl_crawl(
                db, "-a", f"base_url={mirror}", "-s", f"NEWSCRAWL_WARC_DIR={warc_dir}",
                cwd=tmp_path,
            )  # fmt: skip
        finally:
            remount(disk, "rw")
    assert done.returncode != 0
    # Whichever trips first, the lock file or the archive, the error names both.
    assert "newscrawl: cannot " in done.stderr and str(db) in done.stderr
    assert "read-only" in done.stderr.lower()
    assert [dict(r) for r in rows(db, "SELECT * FROM articles ORDER BY id")] == before
    assert_consistent(db, warc_dir)
