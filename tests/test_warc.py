"""WARC capture: real `scrapy crawl` runs against local mirrors, read back with warcio."""

from __future__ import annotations

import gzip
import hashlib
import json
import re
import subprocess
import sys
from dataclasses import replace
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse
from warcio.archiveiterator import ArchiveIterator
from warcio.timeutils import iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from newscrawl.items import Page
from newscrawl.parsing import article_from_page
from newscrawl.runs.reparse import reparse_files
from newscrawl.testing.demo import demo_site
from newscrawl.testing.demo.site import HTML
from newscrawl.testing.mirror import serve
from newscrawl.warc.reader import item_records, page_body, record_at, warc_files_in
from newscrawl.warc.records import ITEM_RECORD_TYPE, item_fields, item_uri
from newscrawl.warc.writer import WarcFiles
from pipelines.normalize import normalize_article
from tests.conftest import DemoCrawl, crawl, rows, run_newscrawl

pytestmark = pytest.mark.e2e

FETCHED_AT = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def crawled(demo_crawl: DemoCrawl) -> DemoCrawl:
    """The session's crawl of the demo site (tests/conftest.py), read by this module's tests."""
    return demo_crawl


def warcio_check(paths: list[Path]) -> subprocess.CompletedProcess[str]:
    """The real `warcio check` command line tool."""
    return subprocess.run(
        [sys.executable, "-m", "warcio.cli", "check", "-v", *map(str, paths)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def all_records(path: Path) -> list[tuple[int, Any, bytes]]:
    """Each record of the file with its offset and its content (content coding removed)."""
    with path.open("rb") as stream:
        iterator = ArchiveIterator(stream)
        found = []
        for record in iterator:
            content = record.content_stream().read()  # before the offset, which reads to the end
            found.append((iterator.get_record_offset(), record, content))
        return found


def records_of_type(paths: list[Path], rec_type: str) -> list[Any]:
    return [r for p in paths for _, r, _ in all_records(p) if r.rec_type == rec_type]


# --- what a crawl writes -------------------------------------------------------------------


def test_a_crawl_writes_warc_files_that_pass_warcio_check(crawled: DemoCrawl) -> None:
    assert crawled.run.returncode == 0, crawled.run.log[-3000:]
    files = warc_files_in([crawled.warc_dir])
    assert files, f"no WARC file in {crawled.warc_dir}"
    checked = warcio_check(files)
    assert checked.returncode == 0, checked.stdout[-3000:] + checked.stderr[-3000:]
    assert "digest pass" in checked.stdout
    assert "fail" not in checked.stdout.replace("digest pass", "")


def test_every_file_starts_with_a_warcinfo_record(crawled: DemoCrawl) -> None:
    for path in warc_files_in([crawled.warc_dir]):
        offset, first, content = all_records(path)[0]
        assert (offset, first.rec_type) == (0, "warcinfo")
        assert first.rec_headers.get_header("WARC-Filename") == path.name
        info = content.decode()
        assert "software: newscrawl/" in info
        assert "isPartOf: unn" in info


def test_every_response_the_mirror_served_is_captured(crawled: DemoCrawl) -> None:
    files = warc_files_in([crawled.warc_dir])
    responses = records_of_type(files, "response")
    captured = [urlsplit(r.rec_headers.get_header("WARC-Target-URI")) for r in responses]
    paths = sorted(p.path + (f"?{p.query}" if p.query else "") for p in captured)
    # robots.txt, the feed, listings and articles alike: one record per response.
    assert paths == sorted(crawled.mirror.hits.elements())
    assert "/robots.txt" in paths and "/rss/news_uk.xml" in paths


def test_each_request_record_goes_with_its_response(crawled: DemoCrawl) -> None:
    files = warc_files_in([crawled.warc_dir])
    responses = {
        r.rec_headers.get_header("WARC-Record-ID"): r for r in records_of_type(files, "response")
    }
    requests = records_of_type(files, "request")
    assert len(requests) == len(responses)
    for request in requests:
        response = responses[request.rec_headers.get_header("WARC-Concurrent-To")]
        uri = request.rec_headers.get_header("WARC-Target-URI")
        assert uri == response.rec_headers.get_header("WARC-Target-URI")
        # warcio reads a request line as protocol "GET", status line "<path> HTTP/1.1".
        assert request.http_headers.protocol == "GET"
        path = urlsplit(uri).path + (f"?{urlsplit(uri).query}" if urlsplit(uri).query else "")
        assert request.http_headers.statusline == f"{path} HTTP/1.1"
        assert request.http_headers.get_header("User-Agent").startswith("newscrawl/")
        assert request.http_headers.get_header("Host") == urlsplit(uri).netloc


def test_each_article_points_to_the_response_it_was_parsed_from(crawled: DemoCrawl) -> None:
    articles = rows(crawled.db, "SELECT * FROM articles")
    assert len(articles) > 20
    for row in articles:
        assert row["warc_file"] and row["warc_offset"] is not None, row["url"]
        path = crawled.warc_dir / row["warc_file"]
        record = record_at(path, row["warc_offset"])
        assert record.rec_type == "response"
        fetched = urlsplit(record.rec_headers.get_header("WARC-Target-URI")).path
        # The article's canonical URL (AMP copies map to it) names the page fetched.
        assert fetched.replace("/amp/", "/news/") == urlsplit(row["url"]).path
        page = Page(
            url=row["url"],
            body=page_body(path, row["warc_offset"]),
            fetched_at=record_date(record),
            content_type=record.http_headers.get_header("Content-Type"),
        )
        article = article_from_page(page)
        normalize_article(article)
        assert (article.headline, article.body) == (row["headline"], row["body"])


def record_date(record: Any) -> datetime:
    return iso_date_to_datetime(record.rec_headers.get_header("WARC-Date")).replace(tzinfo=UTC)


def test_each_page_is_recorded_as_an_item_that_refers_to_its_response(crawled: DemoCrawl) -> None:
    files = warc_files_in([crawled.warc_dir])
    recorded = [r for path in files for r in item_records(path)]
    pages = [r for r in recorded if r.item_type == "Page"]
    article_urls = {row["url"] for row in rows(crawled.db, "SELECT url FROM articles")}
    assert {r.fields["url"] for r in pages} >= article_urls
    for record in pages:
        assert "body" not in record.fields
        response = record_at(record.response_path, record.response.offset)
        assert response.rec_headers.get_header("WARC-Record-ID") == record.response.record_id
        page = record.item(page_body(record.response_path, record.response.offset))
        assert page.fetched_at.tzinfo is not None
        assert page.warc_file == record.response.file
        assert page.body.rstrip().endswith(b"</html>")


def test_item_records_have_a_uri_of_their_own_and_name_the_page(crawled: DemoCrawl) -> None:
    for path in warc_files_in([crawled.warc_dir]):
        records = [record for _, record, _ in all_records(path)]
        responses = {r.rec_headers.get_header("WARC-Record-ID"): r for r in records
                     if r.rec_type == "response"}  # fmt: skip
        items = [r for r in records if r.content_type == ITEM_RECORD_TYPE]
        assert items
        for item in items:
            headers = item.rec_headers
            assert headers.get_header("WARC-Target-URI") == item_uri(
                headers.get_header("WARC-Record-ID")
            )
            assert headers.get_header("WARC-Target-URI").startswith("urn:newscrawl:item:")
            page = responses[headers.get_header("WARC-Refers-To")].rec_headers
            assert headers.get_header("WARC-Refers-To-Target-URI") == page.get_header(
                "WARC-Target-URI"
            )
            assert headers.get_header("WARC-Refers-To-Date") == page.get_header("WARC-Date")
        # The reader still gives each item the URL of its page.
        fetched = {r.rec_headers.get_header("WARC-Target-URI") for r in responses.values()}
        assert {record.uri for record in item_records(path)} <= fetched


def test_item_records_that_carry_the_page_url_as_their_own_still_reparse(
    tmp_path: Path,
) -> None:
    """Files written before item records had a URI of their own: the page's URL was it."""
    warc = tmp_path / "warc"
    site = demo_site()
    path = next(p for p in site if p.startswith("/en/news/"))
    url, body = f"https://unn.ua{path}", site[path].body
    files = WarcFiles(warc, prefix="old", max_bytes=10**9)
    request = Request(url)
    response = HtmlResponse(url, body=body, headers={"Content-Type": HTML}, request=request)
    position = files.write_exchange(request, response, FETCHED_AT)
    files.close()
    (written,) = files.written
    page = Page(url=url, body=body, fetched_at=FETCHED_AT, content_type=HTML)
    item = {
        "type": "Page",
        "fields": item_fields(page),
        "response": {"file": position.file, "offset": position.offset},
    }
    payload = json.dumps(item, sort_keys=True).encode()
    with written.open("ab") as stream:
        writer = WARCWriter(stream, gzip=True, warc_version="1.1")
        writer.write_record(
            writer.create_warc_record(
                url, "metadata", payload=BytesIO(payload), length=len(payload),
                warc_content_type=ITEM_RECORD_TYPE,
                warc_headers_dict={"WARC-Refers-To": position.record_id},
            )
        )  # fmt: skip
    (record,) = item_records(written)
    assert record.uri == url
    db = tmp_path / "news.db"
    report = reparse_files([warc], overrides={"NEWSCRAWL_DB": str(db)})
    assert (report.new, report.failures) == (1, [])
    (article,) = rows(db, "SELECT url, warc_file, warc_offset FROM articles")
    assert tuple(article) == (url, position.file, position.offset)


# --- files: runs, rotation, settings --------------------------------------------------------


def test_every_run_starts_a_new_file_and_leaves_the_old_ones_alone(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    with serve(demo_site()) as mirror:
        assert crawl(["-a", f"base_url={mirror}"], db).returncode == 0
        first = {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in warc_files_in([tmp_path])}
        assert crawl(["-a", f"base_url={mirror}"], db).returncode == 0
    after = warc_files_in([tmp_path])
    assert set(first) < set(after)
    assert {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in first} == first


def test_files_rotate_at_the_size_limit(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    limit = 40_000
    with serve(demo_site()) as mirror:
        run = crawl(["-a", f"base_url={mirror}", "-s", f"NEWSCRAWL_WARC_MAX_BYTES={limit}"], db)
    assert run.returncode == 0, run.log[-3000:]
    files = warc_files_in([tmp_path / "warc"])
    assert len(files) >= 4
    assert [p.name[-13:] for p in files][:2] == ["00000.warc.gz", "00001.warc.gz"]
    for path in files:
        # A file is closed before a record would take it over the limit, unless
        # that record (a response and its request) is all it holds.
        assert path.stat().st_size <= limit or len(all_records(path)) <= 3, path
    assert warcio_check(files).returncode == 0
    for row in rows(db, "SELECT warc_file, warc_offset, headline FROM articles"):
        record = record_at(tmp_path / "warc" / row["warc_file"], row["warc_offset"])
        assert record.rec_type == "response"


def test_warc_capture_can_be_turned_off(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    with serve(demo_site()) as mirror:
        run = crawl(["-a", f"base_url={mirror}", "-s", "NEWSCRAWL_WARC=off"], db)
    assert run.returncode == 0, run.log[-3000:]
    assert not (tmp_path / "warc").exists()
    stored = rows(db, "SELECT count(*) AS n, count(warc_file) AS pointed FROM articles")[0]
    assert stored["n"] > 0 and stored["pointed"] == 0


def test_the_warc_folder_may_come_from_the_environment(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    folder = tmp_path / "from-env"
    with serve(demo_site()) as mirror:
        done = run_newscrawl(
            ["crawl", "unn", "--db", str(db), "-a", f"base_url={mirror}", "-a", "max_pages=1",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING"],
            tmp_path,
            env={"NEWSCRAWL_WARC_DIR": str(folder)},
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert warc_files_in([folder])
    assert not (tmp_path / "data" / "warc").exists()


def test_the_warc_folder_defaults_to_beside_the_archive(tmp_path: Path) -> None:
    # Run from another directory, as cron does: nothing may land in its data/.
    db = tmp_path / "archive" / "news.db"
    elsewhere = tmp_path / "cwd"
    elsewhere.mkdir()
    with serve(demo_site()) as mirror:
        done = run_newscrawl(
            ["crawl", "unn", "--db", str(db), "-a", f"base_url={mirror}", "-a", "max_pages=1",
             "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING"],
            elsewhere,
        )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    assert warc_files_in([db.parent / "warc"])
    assert list(elsewhere.iterdir()) == []
    # reparse finds them there too, with no --warc.
    redone = run_newscrawl(["reparse", "--db", str(db)], elsewhere)
    assert redone.returncode == 0, redone.stderr[-3000:]
    summary = re.search(r"reparse: (\d+) records;.*; (\d+) records failed", redone.stdout)
    assert summary is not None, redone.stdout
    assert int(summary[1]) > 0 and int(summary[2]) == 0


def test_the_body_is_kept_as_received_and_decoded_on_reading(tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    site = demo_site()
    article_path = next(p for p in site if p.startswith("/en/news/"))
    plain = site[article_path].body
    site[article_path] = replace(
        site[article_path],
        body=gzip.compress(plain),
        headers=(("Content-Encoding", "gzip"),),
    )
    with serve(site) as mirror:
        run = crawl(["-a", f"base_url={mirror}", "-a", "languages=en"], db)
    assert run.returncode == 0, run.log[-3000:]
    raw = {}
    for path in warc_files_in([tmp_path / "warc"]):
        with path.open("rb") as stream:
            for record in ArchiveIterator(stream):
                if record.rec_type == "response":
                    uri = record.rec_headers.get_header("WARC-Target-URI")
                    raw[urlsplit(uri).path] = (record.http_headers, record.raw_stream.read())
    headers, body = raw[article_path]
    assert headers.get_header("Content-Encoding") == "gzip"
    # The bytes on the wire, still gzip-compressed.
    assert body == site[article_path].body
    row = rows(db, "SELECT * FROM articles WHERE warc_offset IS NOT NULL AND url LIKE ?",
               [f"%{article_path}"])[0]  # fmt: skip
    assert page_body(tmp_path / "warc" / row["warc_file"], row["warc_offset"]) == plain


# --- reading damaged files ----------------------------------------------------------------


def test_a_truncated_final_record_is_skipped_by_readers(crawled: DemoCrawl, tmp_path: Path) -> None:
    (source,) = warc_files_in([crawled.warc_dir])[:1]
    data = source.read_bytes()
    complete = list(item_records(source))
    cut = tmp_path / source.name
    cut.write_bytes(data[: len(data) - 40])  # inside the last record
    assert list(item_records(cut)) == [replace(r, source=cut) for r in complete[:-1]]
