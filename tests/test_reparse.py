"""`newscrawl reparse`: rebuilding and correcting the archive from the WARC files of real crawls."""

from __future__ import annotations

import os
import pty
import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from scrapy import Request
from scrapy.http import HtmlResponse

from newscrawl.archive import Archive
from newscrawl.items import Page
from newscrawl.runs.lock import archive_lock
from newscrawl.runs.reparse import reparse_files
from newscrawl.runs.reparse_selection import ParserRule, Selection
from newscrawl.testing.demo import demo_site
from newscrawl.testing.demo.site import HTML
from newscrawl.testing.mirror import Resource, serve
from newscrawl.warc.writer import WarcFiles
from tests.conftest import (
    DemoCrawl,
    NewscrawlInProcess,
    crawl,
    make_article,
    newscrawl_command,
    rows,
    run_newscrawl,
    subprocess_env,
)

T0 = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
# Every archived article is due again on every run, whatever its age.
REVISIT_ALL = ["-s", "NEWSCRAWL_REVISITS=100000d:0"]


@dataclass
class History:
    """Two crawls of the demo site into one archive; one page changed between them."""

    db: Path
    warc_dir: Path
    changed_url: str


@pytest.fixture(scope="module")
def history(demo_crawl: DemoCrawl, tmp_path_factory: pytest.TempPathFactory) -> History:
    # The first crawl is the session's: a copy of its archive and WARC files.
    db = demo_crawl.copy_to(tmp_path_factory.mktemp("history"))
    site = demo_site()
    path = next(p for p in site if p.startswith("/news/"))
    body = site[path].body.replace(b"</h1>", b" (updated)</h1>", 1)
    site[path] = Resource(body, site[path].content_type)
    with serve(site) as mirror:
        second = crawl(["-a", f"base_url={mirror}", *REVISIT_ALL], db)
        assert second.returncode == 0, second.log[-3000:]
    return History(db, db.parent / "warc", f"https://unn.ua{path}")


def reparse(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """The real `newscrawl reparse` in a subprocess."""
    return run_newscrawl(["reparse", *args], cwd, timeout=300)


def archive_dump(db: Path) -> dict[str, Any]:
    """Everything the archive says, with article ids replaced by URLs so two files compare."""
    articles = {r["url"]: dict(r) for r in rows(db, "SELECT * FROM articles")}
    url_of = {a["id"]: url for url, a in articles.items()}
    for article in articles.values():
        del article["id"]
    links = sorted(
        (url_of[r["article_id"]], r["kind"], r["position"], r["url"], r["title"], r["shown_at"],
         r["views"], url_of.get(r["target_article_id"]))
        for r in rows(db, "SELECT * FROM links")
    )  # fmt: skip
    versions = {}
    for r in rows(db, "SELECT * FROM article_versions"):
        version = dict(r)
        versions[url_of[version.pop("article_id")], r["version"]] = version
    snapshots = sorted(tuple(r) for r in rows(db, "SELECT * FROM view_snapshots"))
    return {"articles": articles, "links": links, "versions": versions, "snapshots": snapshots}


def copy_archive(db: Path, to: Path) -> Path:
    """A consistent copy of the archive (the WAL folded in), as an analyst's backup would be."""
    target = to / "news.db"
    source = sqlite3.connect(db)
    copy = sqlite3.connect(target)
    source.backup(copy)
    source.close()
    copy.close()
    return target


# --- rebuilding --------------------------------------------------------------------------


@pytest.mark.e2e
def test_reparse_rebuilds_the_archive_the_crawls_made(history: History, tmp_path: Path) -> None:
    done = reparse("--warc", str(history.warc_dir), "--db", str(tmp_path / "news.db"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    expected = archive_dump(history.db)
    rebuilt = archive_dump(tmp_path / "news.db")
    assert len(expected["articles"]) > 20
    assert len(expected["versions"]) == 1  # the changed page
    assert rebuilt["articles"] == expected["articles"]
    assert rebuilt["links"] == expected["links"]
    assert rebuilt["versions"] == expected["versions"]
    assert rebuilt["snapshots"] == expected["snapshots"]
    assert f"{len(expected['articles'])} new" in done.stdout
    assert "1 versions added" in done.stdout
    assert "0 records failed" in done.stdout


@pytest.mark.e2e
def test_the_default_warc_folder_and_archive_come_from_the_settings(
    history: History, tmp_path: Path
) -> None:
    shutil.copytree(history.warc_dir, tmp_path / "data" / "warc")
    done = reparse(cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert archive_dump(tmp_path / "data" / "news.db") == archive_dump(history.db)


@pytest.mark.e2e
def test_reparsing_in_worker_processes_gives_the_same_archive(
    history: History, tmp_path: Path
) -> None:
    db = tmp_path / "news.db"
    done = reparse("--warc", str(history.warc_dir), "--db", str(db), "--jobs", "2", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert archive_dump(db) == archive_dump(history.db)


# --- idempotence and corrections ----------------------------------------------------------------


@pytest.mark.e2e
def test_reparse_of_the_crawled_archive_changes_nothing_twice(
    history: History, tmp_path: Path
) -> None:
    db = copy_archive(history.db, tmp_path)
    before = archive_dump(db)
    for _ in range(2):
        done = reparse("--warc", str(history.warc_dir), "--db", str(db), cwd=tmp_path)
        assert done.returncode == 0, done.stderr[-3000:]
        assert "0 new, 0 changed" in done.stdout
        assert "0 versions added, 0 view snapshots added" in done.stdout
        assert archive_dump(db) == before


@pytest.mark.e2e
def test_a_parser_fix_reaches_archived_articles_without_new_versions(
    history: History, tmp_path: Path
) -> None:
    db = copy_archive(history.db, tmp_path)
    before = archive_dump(db)
    victim = next(url for url in before["articles"] if url != history.changed_url)
    # What an older parser might have stored for the same fetch.
    with sqlite3.connect(db) as conn:
        conn.execute(
            "UPDATE articles SET headline = 'Misread headline', content_hash = 'old' WHERE url = ?",
            [victim],
        )
    done = reparse("--warc", str(history.warc_dir), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "0 new, 1 changed" in done.stdout
    assert "changed fields: " in done.stdout
    changed_fields = done.stdout.split("changed fields: ")[1].splitlines()[0]
    assert sorted(changed_fields.split(", ")) == ["content_hash 1", "headline 1"]
    assert archive_dump(db) == before


@pytest.mark.e2e
def test_site_and_since_select_the_records(history: History, tmp_path: Path) -> None:
    db = tmp_path / "news.db"
    warc = str(history.warc_dir)
    other_site = reparse("--warc", warc, "--db", str(db), "--site", "example.com", cwd=tmp_path)
    assert "reparse: 0 records" in other_site.stdout
    future = reparse("--warc", warc, "--db", str(db), "--since", "2999-01-01", cwd=tmp_path)
    assert "reparse: 0 records" in future.stdout
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 0
    unn = reparse("--warc", warc, "--db", str(db), "--site", "unn.ua", "--since", "2000-01-01",
                  cwd=tmp_path)  # fmt: skip
    assert unn.returncode == 0, unn.stderr[-3000:]
    assert archive_dump(db)["articles"] == archive_dump(history.db)["articles"]


def test_a_missing_warc_folder_is_a_usage_error(
    tmp_path: Path, newscrawl_in_process: NewscrawlInProcess
) -> None:
    done = newscrawl_in_process(["reparse", "--warc", str(tmp_path / "nowhere")])
    assert done.returncode == 2
    assert "no such WARC file or folder" in done.stderr


def test_a_parser_rule_without_the_version_it_needs_is_a_usage_error(
    newscrawl_in_process: NewscrawlInProcess,
) -> None:
    done = newscrawl_in_process(["reparse", "--parser-below", "unn"])
    assert done.returncode == 2
    assert "a version is needed to select the rows below it (unn/2): 'unn'" in done.stderr


@pytest.mark.e2e
def test_reparse_is_refused_while_a_crawl_holds_the_archive(
    history: History, tmp_path: Path
) -> None:
    db = copy_archive(history.db, tmp_path)
    before = archive_dump(db)
    with archive_lock(db):
        done = reparse("--warc", str(history.warc_dir), "--db", str(db), cwd=tmp_path)
    assert done.returncode == 75
    assert "another crawl is running on the archive" in done.stderr
    assert archive_dump(db) == before


# --- reporting -------------------------------------------------------------------------------


@pytest.mark.e2e
def test_records_that_fail_to_parse_are_reported(tmp_path: Path) -> None:
    db = tmp_path / "crawl.db"
    site = demo_site()
    path = next(p for p in site if p.startswith("/en/news/"))
    site[path] = Resource(site[path].body.replace(b"</html>", b""), HTML)
    with serve(site) as mirror:
        assert crawl(["-a", f"base_url={mirror}", "-a", "languages=en"], db).returncode == 0
    done = reparse("--warc", str(tmp_path / "warc"), "--db", str(tmp_path / "re.db"), cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "1 records failed" in done.stdout
    assert "failure reasons: truncated 1" in done.stdout
    (failed,) = [line for line in done.stdout.splitlines() if line.startswith("failed: ")]
    assert f"https://unn.ua{path}" in failed and "cut short" in failed
    assert ".warc.gz@" in failed  # where the record is


@pytest.mark.e2e
def test_progress_is_plain_lines_off_a_terminal(history: History, tmp_path: Path) -> None:
    done = reparse("--warc", str(history.warc_dir), "--db", str(tmp_path / "n.db"), cwd=tmp_path)
    progress = [line for line in done.stderr.splitlines() if line.startswith("reparse: ")]
    assert progress and progress[-1].endswith("(100%)")
    assert "\r" not in done.stderr


@pytest.mark.e2e
def test_progress_is_a_bar_on_a_terminal(history: History, tmp_path: Path) -> None:
    controller, terminal = pty.openpty()
    command = [*newscrawl_command(), "reparse", "--warc", str(history.warc_dir),
               "--db", str(tmp_path / "n.db")]  # fmt: skip
    with subprocess.Popen(command, cwd=tmp_path, env=subprocess_env(), stdout=subprocess.DEVNULL,
                          stderr=terminal) as process:  # fmt: skip
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 4096)
            except OSError:  # the terminal closes with the process
                break
            if not chunk:
                break
            output += chunk
        assert process.wait(timeout=300) == 0
    os.close(controller)
    text = output.decode()
    assert "\r[" in text and "#" * 30 in text and "100%" in text


# --- items beyond the page itself ----------------------------------------------------------------


def reparsed_page(tmp_path: Path, url: str, body: bytes, **hints: Any) -> dict[str, Any]:
    """The article row a reparse makes of one recorded exchange and its Page item."""
    files = WarcFiles(tmp_path / "warc", prefix="test", max_bytes=10**9)
    request = Request(url)
    response = HtmlResponse(url, body=body, headers={"Content-Type": HTML}, request=request)
    position = files.write_exchange(request, response, T0)
    files.write_item(Page(url=url, body=body, fetched_at=T0, content_type=HTML, **hints),
                     position, url)  # fmt: skip
    files.close()
    db = tmp_path / "news.db"
    report = reparse_files([tmp_path / "warc"], overrides={"NEWSCRAWL_DB": str(db)})
    assert (report.new, report.failures) == (1, [])
    (article,) = rows(db, "SELECT * FROM articles")
    assert (article["warc_file"], article["warc_offset"]) == (position.file, position.offset)
    assert article["fetched_at"] == "2024-06-01T09:00:00+00:00"
    return dict(article)


def test_counter_views_recorded_with_the_page_survive_a_reparse(tmp_path: Path) -> None:
    """A count from a site's counter endpoint is part of the recorded Page: re-parses keep it."""
    site = demo_site()
    path = next(p for p in site if p.startswith("/en/news/"))
    article = reparsed_page(tmp_path, f"https://unn.ua{path}", site[path].body, counted_views=4321)
    assert article["views"] == 4321


def test_a_feed_title_recorded_with_the_page_survives_a_reparse(tmp_path: Path) -> None:
    """A page without a title of its own: the feed's, recorded with the Page, stays its headline."""
    text = "The council met on Tuesday and approved the plan for the river bank. " * 8
    body = f"<html><body><article><p>{text}</p></article></body></html>".encode()
    title = "Council approves the river bank plan"
    article = reparsed_page(tmp_path, "https://gazette.example/news/plan", body, feed_title=title)
    assert article["headline"] == title


# --- selective re-parse: the rows an old parser made, and the pages it dropped ------------------

# The parser versions the selective tests write into rows: an old one whose rows the fix
# must redo, and a newer one whose rows it must leave alone.
OLD_PARSER, NEWER_PARSER = "unn/1", "unn/5"
MISREAD = "Misread headline"


def single_copy_urls(site: dict[str, Resource]) -> list[str]:
    """The demo's article URLs that have no AMP copy: each is fetched as one page."""
    amp_slugs = {path.rsplit("/", 1)[1] for path in site if "/amp/" in path}
    return [
        f"https://unn.ua{path}"
        for path in site
        if "/news/" in path and path.rsplit("/", 1)[1] not in amp_slugs
    ]


@dataclass
class DroppedPages:
    """A crawl of the demo site in which the parser dropped some article pages."""

    db: Path
    warc_dir: Path
    empty_urls: list[str]  # pages with no article text at all: no parser can keep them
    single_copy_urls: list[str]  # the other article pages without an AMP copy


@pytest.fixture(scope="module")
def dropped_pages(tmp_path_factory: pytest.TempPathFactory) -> DroppedPages:
    db = tmp_path_factory.mktemp("dropped") / "news.db"
    site = demo_site()
    singles = single_copy_urls(site)
    empty, others = singles[:2], singles[2:]
    shell = b'<!DOCTYPE html><html lang="en"><head><title>UNN</title></head><body></body></html>'
    for url in empty:
        site[url.removeprefix("https://unn.ua")] = Resource(shell, HTML)
    with serve(site) as mirror:
        done = crawl(["-a", f"base_url={mirror}"], db)
    assert done.returncode == 0, done.log[-3000:]
    assert done.log.count("not an article") == len(empty)
    return DroppedPages(db, db.parent / "warc", empty, others)


def forget_as_dropped(db: Path, urls: list[str]) -> None:
    """Leave the archive as it would be had the crawl dropped these pages: no row, no links,
    no count seen on the page itself, and links to them without a target. What a listing card
    or another article's related card showed of them stays, as it would."""
    with sqlite3.connect(db) as conn:
        for url in urls:
            (article_id,) = conn.execute("SELECT id FROM articles WHERE url = ?", [url]).fetchone()
            conn.execute("DELETE FROM links WHERE article_id = ?", [article_id])
            conn.execute("DELETE FROM view_snapshots WHERE seen_on = ?", [url])
            conn.execute(
                "UPDATE links SET target_article_id = NULL WHERE target_article_id = ?",
                [article_id],
            )
            conn.execute("DELETE FROM articles WHERE id = ?", [article_id])


def label_rows(db: Path, urls: list[str], parser: str | None, *, misread: bool = False) -> None:
    """What an earlier parser might have stored for these rows: its name, and a wrong
    headline if `misread`."""
    with sqlite3.connect(db) as conn:
        conn.executemany(
            "UPDATE articles SET parser = ? WHERE url = ?", [(parser, url) for url in urls]
        )
        if misread:
            conn.executemany(
                "UPDATE articles SET headline = ?, content_hash = 'misread' WHERE url = ?",
                [(MISREAD, url) for url in urls],
            )


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("rule", "selects_unrecorded"),
    [(["--parser-below", "unn/5"], True), (["--parser", OLD_PARSER], False)],
)
def test_a_selective_reparse_redoes_the_selected_rows_and_recovers_dropped_pages(
    dropped_pages: DroppedPages, tmp_path: Path, rule: list[str], selects_unrecorded: bool
) -> None:
    db = copy_archive(dropped_pages.db, tmp_path)
    crawled = archive_dump(db)
    singles = dropped_pages.single_copy_urls
    old, unrecorded, forgotten = singles[0:3], singles[3:5], singles[5:8]
    assert len(forgotten) == 3
    # Every other row was made by the newer parser; some of them misread too.
    label_rows(db, [url for url in crawled["articles"] if url not in singles[:5]], NEWER_PARSER)
    label_rows(db, singles[8:] + [u for u in crawled["articles"] if u not in singles][:3],
               NEWER_PARSER, misread=True)  # fmt: skip
    label_rows(db, old, OLD_PARSER, misread=True)
    label_rows(db, unrecorded, None, misread=True)
    forget_as_dropped(db, forgotten)
    damaged = archive_dump(db)

    done = reparse("--warc", str(dropped_pages.warc_dir), "--db", str(db), "--site", "unn.ua",
                   *rule, cwd=tmp_path)  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    after = archive_dump(db)
    redone = old + (unrecorded if selects_unrecorded else [])
    # The selected rows read again, as the crawl's parser read them; the pages dropped at
    # crawl time are rows again, exactly as the crawl would have stored them.
    for url in redone + forgotten:
        assert after["articles"][url] == crawled["articles"][url], url
    # Every row outside the selection is as it was, misread headlines and all.
    left = set(crawled["articles"]) - set(redone + forgotten)
    assert sum(damaged["articles"][url]["headline"] == MISREAD for url in left) >= 3
    assert {url: after["articles"][url] for url in left} == {
        url: damaged["articles"][url] for url in left
    }
    # The recovered rows' links and view counts, and the links to them, are back.
    assert after["links"] == crawled["links"]
    assert after["snapshots"] == crawled["snapshots"]
    assert after["versions"] == crawled["versions"] == {}
    assert f"{len(forgotten)} new, {len(redone)} changed, 0 unchanged" in done.stdout
    # The pages no fix could keep were read again too, and dropped again.
    without_row = len(forgotten) + len(dropped_pages.empty_urls)
    assert (
        f"{len(redone)} pages of matching rows, {without_row} pages without a row; "
        "0 parsed into other rows, left alone"
    ) in done.stdout
    failed = [line for line in done.stdout.splitlines() if line.startswith("failed: ")]
    assert len(failed) == len(dropped_pages.empty_urls)
    for url, line in zip(sorted(dropped_pages.empty_urls), sorted(failed), strict=True):
        assert url in line and "not an article" in line


def test_the_article_url_decides_when_a_page_names_another_row_as_canonical(
    tmp_path: Path,
) -> None:
    """A print view with no row of its own is read, but its article is the canonical page's
    row: that row's parser decides whether the re-parse may write it."""
    text = "The council met on Tuesday and approved the plan for the river bank. " * 8
    canonical = "https://gazette.example/news/plan"
    head = f'<head><link rel="canonical" href="{canonical}"></head>'
    article = f"<article><h1>Council approves the plan</h1><p>{text}</p></article>"
    body = f"<html>{head}<body>{article}</body></html>".encode()
    files = WarcFiles(tmp_path / "warc", prefix="test", max_bytes=10**9)
    url = "https://gazette.example/print/plan"
    request = Request(url)
    response = HtmlResponse(url, body=body, headers={"Content-Type": HTML}, request=request)
    files.write_item(Page(url=url, body=body, fetched_at=T0, content_type=HTML),
                     files.write_exchange(request, response, T0), url)  # fmt: skip
    files.close()
    selection = Selection((ParserRule.parsed("generic/5", below=True),))
    for parser, taken in (("generic/9", False), ("generic/4", True)):
        db = tmp_path / f"{parser.replace('/', '-')}.db"
        with Archive(db) as archive:
            archive.save(make_article(canonical, site="gazette.example", headline=MISREAD,
                                      fetched_at=T0, parser=parser))  # fmt: skip
        report = reparse_files([tmp_path / "warc"], overrides={"NEWSCRAWL_DB": str(db)},
                               selection=selection)  # fmt: skip
        assert (report.pages_without_row, report.outside_selection) == (1, 0 if taken else 1)
        (row,) = rows(db, "SELECT url, headline FROM articles")
        assert row["url"] == canonical
        assert (row["headline"] == MISREAD) is not taken
