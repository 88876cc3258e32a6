"""WARC files that replay in standard tools: revisit records and a real CDXJ indexer.

Two real crawls of one demo mirror into one archive, every article due again in
the second; one article changes between them. The files are read back with
warcio and indexed with cdxj-indexer, the indexer pywb's collections use.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections import defaultdict
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from newscrawl.errors import WarcError
from newscrawl.runs.reparse import reparse_files
from newscrawl.testing.demo import demo_site
from newscrawl.testing.demo.site import HTML
from newscrawl.testing.mirror import Mirror, Resource, serve
from newscrawl.warc.folder_index import INDEX_NAME, FolderIndex
from newscrawl.warc.reader import page_body, record_at, revisited_position, warc_files_in
from newscrawl.warc.records import ITEM_RECORD_TYPE, ITEM_URI_PREFIX, REVISIT_PROFILE, WarcPosition
from newscrawl.warc.writer import WarcFiles
from tests.conftest import CrawlRun, StartMirror, crawl, rows
from tests.test_reparse import REVISIT_ALL, archive_dump
from tests.test_warc import all_records, warcio_check

pytestmark = pytest.mark.e2e


@dataclass
class Revisited:
    """Two crawls of the demo site into one archive; the second fetches every article again."""

    db: Path
    mirror: Mirror
    site: dict[str, Resource]
    first_files: list[Path]
    second_files: list[Path]
    changed_path: str  # the one article that changed between the crawls

    @property
    def warc_dir(self) -> Path:
        return self.db.parent / "warc"


@pytest.fixture(scope="module")
def revisited(tmp_path_factory: pytest.TempPathFactory) -> Revisited:
    """The two crawls, shared by the read-only tests of this module."""
    return crawled_twice(tmp_path_factory.mktemp("revisited") / "news.db")


def crawled_twice(db: Path) -> Revisited:
    site = demo_site()
    changed = next(p for p in site if p.startswith("/en/news/"))
    with serve(site) as mirror:
        _, first_files = crawl_run(mirror, db, *REVISIT_ALL)
        updated = site[changed].body.replace(b"</h1>", b" (updated)</h1>", 1)
        site[changed] = replace(site[changed], body=updated)
        _, second_files = crawl_run(mirror, db, *REVISIT_ALL)
    return Revisited(db, mirror, site, first_files, second_files, changed)


def crawl_run(mirror: Mirror, db: Path, *args: str) -> tuple[CrawlRun, list[Path]]:
    """A crawl of `mirror` into `db` that must succeed, and the WARC files it added."""
    before = set(warc_files_in([db.parent / "warc"]))
    run = crawl(["-a", f"base_url={mirror}", *args], db)
    assert run.returncode == 0, run.log[-3000:]
    return run, sorted(set(warc_files_in([db.parent / "warc"])) - before)


def responses_by_uri(paths: list[Path]) -> dict[str, tuple[Path, int, Any]]:
    """Each response record of the files by its target URI: its file, offset and record."""
    return {
        record.rec_headers.get_header("WARC-Target-URI"): (path, offset, record)
        for path in paths
        for offset, record, _ in all_records(path)
        if record.rec_type == "response"
    }


# --- revisit records ------------------------------------------------------------------------


def test_an_unchanged_refetch_is_a_revisit_of_the_first_response(revisited: Revisited) -> None:
    originals = responses_by_uri(revisited.first_files)
    fetches = [
        record
        for path in revisited.second_files
        for _, record, _ in all_records(path)
        if record.rec_type in ("response", "revisit")
    ]
    # robots.txt, the feed, the listings and the articles: all but the changed page.
    changed = [r for r in fetches if target_path(r) == revisited.changed_path]
    assert [r.rec_type for r in changed] == ["response"]
    revisits = [r for r in fetches if r not in changed]
    assert len(revisits) > 20 and {r.rec_type for r in revisits} == {"revisit"}
    for revisit in revisits:
        headers = revisit.rec_headers
        path, offset, original = originals[headers.get_header("WARC-Target-URI")]
        source = original.rec_headers
        assert headers.get_header("WARC-Profile") == REVISIT_PROFILE
        assert headers.get_header("WARC-Refers-To") == source.get_header("WARC-Record-ID")
        assert headers.get_header("WARC-Refers-To-Target-URI") == source.get_header(
            "WARC-Target-URI"
        )
        assert headers.get_header("WARC-Refers-To-Date") == source.get_header("WARC-Date")
        assert headers.get_header("WARC-Payload-Digest") == source.get_header("WARC-Payload-Digest")
        assert headers.get_header("WARC-Truncated") == "length"
        # This fetch's own HTTP headers, and not a byte of the payload.
        assert revisit.http_headers.get_statuscode() == "200"
        assert revisit.content_stream().read() == b""
        assert revisited_position(revisit) == WarcPosition(
            path.name, offset, source.get_header("WARC-Record-ID"), source.get_header("WARC-Date")
        )
    checked = warcio_check(revisited.first_files + revisited.second_files)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]


def target_path(record: Any) -> str:
    return urlsplit(record.rec_headers.get_header("WARC-Target-URI") or "").path


def test_articles_point_at_their_latest_fetch_and_read_through_revisits(
    revisited: Revisited,
) -> None:
    second_names = {p.name for p in revisited.second_files}
    kinds = []
    for row in rows(revisited.db, "SELECT url, warc_file, warc_offset FROM articles"):
        assert row["warc_file"] in second_names, row["url"]
        path = revisited.warc_dir / row["warc_file"]
        record = record_at(path, row["warc_offset"])
        kinds.append(record.rec_type)
        served = revisited.site[target_path(record)]
        assert page_body(path, row["warc_offset"]) == served.body
    assert kinds.count("response") == 1  # the changed article
    assert kinds.count("revisit") == len(kinds) - 1 > 20


def test_reparse_after_revisits_rebuilds_the_same_archive(
    revisited: Revisited, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    report = reparse_files([revisited.warc_dir], overrides={"NEWSCRAWL_DB": str(db)})
    assert (report.failures, report.unreadable_files) == ([], [])
    expected = archive_dump(revisited.db)
    assert len(expected["versions"]) == 1  # the changed article
    assert archive_dump(db) == expected


# --- a standard indexer ---------------------------------------------------------------------


def cdxj_index(warc_dir: Path, output: Path) -> list[tuple[str, dict[str, str]]]:
    """The real cdxj-indexer over a WARC folder: each line's key and its JSON."""
    done = subprocess.run(
        [sys.executable, "-m", "cdxj_indexer.main", "-o", str(output), str(warc_dir)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    lines = []
    for line in output.read_text(encoding="utf-8").splitlines():
        key, _timestamp, entry = line.split(" ", 2)
        lines.append((key, json.loads(entry)))
    return lines


def test_a_standard_indexer_resolves_every_article_url_to_its_response(
    revisited: Revisited, tmp_path: Path
) -> None:
    index = cdxj_index(revisited.warc_dir, tmp_path / "index.cdxj")
    by_url: dict[str, list[dict[str, str]]] = defaultdict(list)
    for _, entry in index:
        by_url[entry["url"]].append(entry)
    articles = rows(revisited.db, "SELECT url, warc_file, warc_offset FROM articles")
    for row in articles:
        pointed = record_at(revisited.warc_dir / row["warc_file"], row["warc_offset"])
        # The URL fetched: the mirror's, which the archive maps to https://unn.ua/...
        entries = by_url[pointed.rec_headers.get_header("WARC-Target-URI")]
        # Under the page's URL, only captures of the page: no item record of ours.
        for entry in entries:
            record = record_at(revisited.warc_dir / entry["filename"], int(entry["offset"]))
            assert record.rec_type in ("response", "revisit"), (row["url"], entry)
        responses = [e for e in entries if e["mime"] != "warc/revisit"]
        assert responses and all(e["mime"] == "text/html" for e in responses), entries
        (own,) = [
            e
            for e in entries
            if (e["filename"], int(e["offset"])) == (row["warc_file"], row["warc_offset"])
        ]
        if own["mime"] == "warc/revisit":
            # A replay tool serves the response whose payload digest the revisit names.
            (original,) = [e for e in responses if e["digest"] == own["digest"]]
            assert original["filename"] == revisited.first_files[0].name
    items = [(key, entry) for key, entry in index if entry["mime"] == ITEM_RECORD_TYPE]
    assert len(items) > len(articles)
    for key, entry in items:
        assert entry["url"].startswith(ITEM_URI_PREFIX) and key == entry["url"]


# --- settings and the writer's rules --------------------------------------------------------


def test_revisit_records_can_be_turned_off(start_mirror: StartMirror, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    mirror = start_mirror(demo_site())
    assert crawl(["-a", f"base_url={mirror}", *REVISIT_ALL], db).returncode == 0
    first, first_hits = set(warc_files_in([tmp_path / "warc"])), mirror.hits.total()
    off = ["-s", "NEWSCRAWL_WARC_REVISITS=off"]
    run = crawl(["-a", f"base_url={mirror}", *REVISIT_ALL, *off], db)
    assert run.returncode == 0, run.log[-3000:]
    second = sorted(set(warc_files_in([tmp_path / "warc"])) - first)
    types = [r.rec_type for p in second for _, r, _ in all_records(p)]
    assert "revisit" not in types
    assert types.count("response") == mirror.hits.total() - first_hits > 20


T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
ARTICLE = "https://unn.ua/en/news/kyiv-metro"


def write_fetches(files: WarcFiles, *fetches: tuple[datetime, bytes]) -> list[str]:
    """Write one exchange of ARTICLE per (time, body); the record type of each."""
    kinds = []
    for fetched_at, body in fetches:
        request = Request(ARTICLE)
        response = HtmlResponse(ARTICLE, body=body, headers={"Content-Type": HTML})
        position = files.write_exchange(request, response, fetched_at)
        kinds.append(record_at(files.directory / position.file, position.offset).rec_type)
    return kinds


def test_a_revisit_refers_only_to_a_response_recent_enough_to_be_kept(tmp_path: Path) -> None:
    files = WarcFiles(
        tmp_path, "test", 10**9, index=FolderIndex(tmp_path), refer_within=timedelta(days=30)
    )
    page = b"<html><body>the same page</body></html>"
    kinds = write_fetches(
        files,
        (T0, page),
        (T0 + timedelta(days=10), page),
        (T0 + timedelta(days=40), page),  # the first copy is too old: a new one
        (T0 + timedelta(days=41), page),
        (T0 + timedelta(days=42), b""),  # an empty payload: nothing to save
        (T0 + timedelta(days=43), b""),
    )
    assert kinds == ["response", "revisit", "response", "revisit", "response", "response"]


def test_a_revisit_never_refers_to_a_file_that_is_gone(tmp_path: Path) -> None:
    page = b"<html><body>the same page</body></html>"
    index = FolderIndex(tmp_path)
    first = WarcFiles(tmp_path, "first", 10**9, index=index)
    assert write_fetches(first, (T0, page), (T0, page)) == ["response", "revisit"]
    first.close()
    second = WarcFiles(tmp_path, "second", 10**9, index=index)
    assert write_fetches(second, (T0, page)) == ["revisit"]
    second.close()
    (revisit_file,) = second.written
    offset = next(o for o, r, _ in all_records(revisit_file) if r.rec_type == "revisit")
    os.remove(first.written[0])
    with pytest.raises(WarcError, match="the response a revisit refers to is gone"):
        page_body(revisit_file, offset)
    third = WarcFiles(tmp_path, "third", 10**9, index=index)
    assert write_fetches(third, (T0, page)) == ["response"]


def test_without_its_folder_index_the_writer_writes_full_records(tmp_path: Path) -> None:
    page = b"<html><body>the same page</body></html>"
    index = FolderIndex(tmp_path)
    first = WarcFiles(tmp_path, "first", 10**9, index=index)
    assert write_fetches(first, (T0, page)) == ["response"]
    first.close()
    index.close()
    (tmp_path / INDEX_NAME).unlink()
    second = WarcFiles(tmp_path, "second", 10**9, index=FolderIndex(tmp_path))
    assert write_fetches(second, (T0, page), (T0, page)) == ["response", "revisit"]
