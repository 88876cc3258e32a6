"""WARC retention (NEWSCRAWL_WARC_KEEP_DAYS): real crawls of a demo mirror, files made old.

A file's age is the time of its last write, so each test makes files old by
setting their modification time back, as weeks of cron runs would.
"""

from __future__ import annotations

import os
import re
import time
from pathlib import Path

import pytest

from newscrawl.runs.reparse import reparse_files
from newscrawl.testing.demo import demo_site
from newscrawl.testing.mirror import Mirror
from newscrawl.warc.folder_index import INDEX_NAME, FolderIndex
from newscrawl.warc.reader import item_records, page_body, warc_files_in
from tests.conftest import CrawlRun, StartMirror, crawl, rows
from tests.test_reparse import REVISIT_ALL, archive_dump
from tests.test_warc_replay import crawl_run

pytestmark = pytest.mark.e2e

KEEP_30_DAYS = ["-s", "NEWSCRAWL_WARC_KEEP_DAYS=30"]
NO_ARTICLE_REVISITS = ["-s", "NEWSCRAWL_REVISITS=off"]


def make_old(*paths: Path, days: float = 40) -> None:
    then = time.time() - days * 86_400
    for path in paths:
        os.utime(path, (then, then))


def pruned_count(run: CrawlRun) -> int:
    """The crawl's newscrawl/warc_pruned_files stat, from the stats dump in its log."""
    found = re.search(r"'newscrawl/warc_pruned_files': (\d+)", run.log)
    assert found, run.log[-3000:]
    return int(found[1])


def test_old_files_of_runs_that_archived_nothing_are_pruned(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    mirror = start_mirror(demo_site())
    _, (with_articles,) = crawl_run(mirror, db, *NO_ARTICLE_REVISITS)
    _, (no_op,) = crawl_run(mirror, db, *NO_ARTICLE_REVISITS)
    # robots.txt, the feed and the listings: nothing new, no page to archive.
    assert {r.item_type for r in item_records(no_op)} <= {"CardViews"}
    make_old(with_articles, no_op)
    run, (latest,) = crawl_run(mirror, db, *NO_ARTICLE_REVISITS, *KEEP_30_DAYS)
    assert warc_files_in([tmp_path / "warc"]) == sorted([with_articles, latest])
    assert pruned_count(run) == 1
    assert "pruned 1 WARC files" in run.log
    assert no_op.name not in FolderIndex(tmp_path / "warc").known_files()
    # What is left rebuilds every article; the view counts only the pruned run saw are gone.
    rebuilt = tmp_path / "rebuilt.db"
    report = reparse_files([tmp_path / "warc"], overrides={"NEWSCRAWL_DB": str(rebuilt)})
    assert (report.failures, report.unreadable_files) == ([], [])
    expected, found = archive_dump(db), archive_dump(rebuilt)
    assert len(expected["articles"]) > 20
    for table in ("articles", "links", "versions"):
        assert found[table] == expected[table], table
    lost = set(expected["snapshots"]) - set(found["snapshots"])
    assert set(found["snapshots"]) <= set(expected["snapshots"])
    assert lost, "the pruned run read view counts off its listings"


@pytest.mark.parametrize("index", ["kept", "deleted"])
def test_a_file_that_kept_revisits_refer_to_is_kept(
    start_mirror: StartMirror, tmp_path: Path, index: str
) -> None:
    db = tmp_path / "news.db"
    warc = tmp_path / "warc"
    mirror = start_mirror(demo_site())
    _, (originals,) = crawl_run(mirror, db, *REVISIT_ALL)
    _, (no_op,) = crawl_run(mirror, db, *NO_ARTICLE_REVISITS)
    _, (revisits,) = crawl_run(mirror, db, *REVISIT_ALL)
    pointed = {row["warc_file"] for row in rows(db, "SELECT warc_file FROM articles")}
    # Every article now points at a revisit; only those revisits need the originals.
    assert pointed == {revisits.name}
    make_old(originals, no_op, revisits)
    if index == "deleted":
        # Pruning must then read the files to learn what they need.
        (warc / INDEX_NAME).unlink()
    full_copies = ["-s", "NEWSCRAWL_WARC_REVISITS=off"]
    run, (latest,) = crawl_run(mirror, db, *NO_ARTICLE_REVISITS, *full_copies, *KEEP_30_DAYS)
    assert warc_files_in([warc]) == sorted([originals, revisits, latest])
    assert pruned_count(run) == 1
    assert {originals.name, revisits.name} <= FolderIndex(warc).known_files()
    for row in rows(db, "SELECT warc_file, warc_offset FROM articles"):
        assert page_body(warc / row["warc_file"], row["warc_offset"]).rstrip().endswith(b"</html>")


def test_retention_is_off_by_default(start_mirror: StartMirror, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    mirror = start_mirror(demo_site())
    _, first = crawl_run(mirror, db, *NO_ARTICLE_REVISITS)
    _, second = crawl_run(mirror, db, *NO_ARTICLE_REVISITS)
    make_old(*first, *second, days=3650)
    crawl_run(mirror, db, *NO_ARTICLE_REVISITS)
    assert set(first + second) <= set(warc_files_in([tmp_path / "warc"]))


@pytest.mark.parametrize(
    "setting", ["NEWSCRAWL_WARC_KEEP_DAYS=lots", "NEWSCRAWL_WARC_REVISITS=maybe"]
)
def test_a_malformed_setting_stops_the_crawl_before_it_fetches(
    demo_mirror: Mirror, tmp_path: Path, setting: str
) -> None:
    run = crawl(["-a", f"base_url={demo_mirror}", "-s", setting], tmp_path / "news.db")
    assert run.returncode != 0
    assert f"{setting.split('=')[0]} must be" in run.stderr + run.log
    assert demo_mirror.hits.total() == 0
