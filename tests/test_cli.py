"""The `newscrawl` command: crawls run as a user would run them, the installed console script
in any directory; what the command decides before starting anything runs in-process."""

from __future__ import annotations

import gzip
import json
import sqlite3
from pathlib import Path

import pytest

from newscrawl.cli import main
from newscrawl.runs.verdict import ExitCode
from newscrawl.testing.demo import demo_stories
from newscrawl.testing.mirror import Mirror
from tests.conftest import NewscrawlInProcess, run_newscrawl

FIXTURES = Path(__file__).parent / "fixtures" / "unn"
SEED_AMP_URL = (
    "https://unn.ua/en/amp/the-united-states-south-korea-and-japan-condemned-the-deepening-"
    "of-military-cooperation-between-the-dprk-and-the-russian-federation"
)


def test_extract_prints_one_object_per_page_and_survives_bad_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "pages"
    folder.mkdir()
    (folder / "a_seed.html.gz").write_bytes(gzip.compress((FIXTURES / "seed_en.html").read_bytes()))
    (folder / "b_broken.html.gz").write_bytes(b"this is not gzip")
    (folder / "c_uk.html").write_bytes((FIXTURES / "article_uk_jsonld.html").read_bytes())
    (folder / "notes.txt").write_text("not a page")

    code = main(["extract", str(folder), "--jsonl", "--fetched-at", "2024-06-25T07:00:00+00:00"])

    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert code == 1  # one page failed
    assert [Path(r["source"]).name for r in records] == [
        "a_seed.html.gz",
        "b_broken.html.gz",
        "c_uk.html",
    ]
    seed, broken, uk = records
    # The URL came from the page's canonical link, not from the file name.
    assert seed["url"] == SEED_AMP_URL.replace("/en/amp/", "/en/news/")
    assert seed["views"] == 15601
    assert seed["fetched_at"] == "2024-06-25T07:00:00+00:00"
    assert [link["kind"] for link in seed["links"]].count("read_also") == 2
    assert "error" not in seed
    assert set(broken) == {"source", "error"}
    assert "gzip" in broken["error"].lower() or "BadGzipFile" in broken["error"]
    assert uk["language"] == "uk"


def test_extract_url_option_overrides_the_page(capsys: pytest.CaptureFixture[str]) -> None:
    main(["extract", str(FIXTURES / "listing_en.html"), "--url", "https://example.com/x"])
    record = json.loads(capsys.readouterr().out)
    assert record["url"] == "https://example.com/x"
    assert record["site"] == "example.com"


@pytest.mark.e2e
def test_crawl_works_from_any_directory(demo_mirror: Mirror, tmp_path: Path) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = run_newscrawl(
        [
            "crawl", "unn", "--db", "archive.db",
            "-a", f"base_url={demo_mirror}", "-a", "languages=en",
            "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "LOG_LEVEL=WARNING",
        ],
        cwd=elsewhere,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    english = sum("en" in story.versions for story in demo_stories())
    assert f"{english} new" in done.stdout
    with sqlite3.connect(elsewhere / "archive.db") as db:
        languages = {row[0] for row in db.execute("select language from articles")}
        count = db.execute("select count(*) from articles").fetchone()[0]
    assert languages == {"en"}
    assert count == english


def test_crawl_of_an_unknown_spider_fails_clearly(newscrawl_in_process: NewscrawlInProcess) -> None:
    done = newscrawl_in_process(["crawl", "no-such-spider", "--db", "x.db"])
    assert done.returncode == 2
    assert "no spider named 'no-such-spider'" in done.stderr


@pytest.mark.e2e
def test_demo_crawls_the_bundled_site_into_data_news_db(tmp_path: Path) -> None:
    done = run_newscrawl(["demo"], cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    db_path = tmp_path / "data" / "news.db"
    assert db_path.exists()
    pages = sum(len(story.versions) for story in demo_stories())
    with sqlite3.connect(db_path) as db:
        assert db.execute("select count(*) from articles").fetchone()[0] == pages
        top_headline = db.execute(
            "select headline from articles order by views desc limit 1"
        ).fetchone()[0]
    out = done.stdout
    assert f"Articles: {pages}" in out
    assert "Most viewed:" in out and top_headline in out
    assert "Read-also cross-links:" in out
    assert str(db_path.resolve()) in out


def test_help_lists_every_command(newscrawl_in_process: NewscrawlInProcess) -> None:
    done = newscrawl_in_process(["--help"])
    assert done.returncode == 0
    for command in ("crawl", "extract", "demo"):
        assert command in done.stdout


def test_crawl_into_an_unwritable_archive_fails_before_fetching(
    demo_mirror: Mirror, tmp_path: Path, newscrawl_in_process: NewscrawlInProcess
) -> None:
    not_a_folder = tmp_path / "file"
    not_a_folder.write_text("a file where the archive's folder should be")
    done = newscrawl_in_process(
        ["crawl", "unn", "--db", str(not_a_folder / "news.db"), "-a", f"base_url={demo_mirror}"]
    )
    assert done.returncode == ExitCode.FAILED_TO_START
    assert f"newscrawl: cannot open the archive {not_a_folder / 'news.db'}" in done.stderr
    assert "Traceback" not in done.stderr
    assert sum(demo_mirror.hits.values()) == 0


def test_malformed_spider_argument_is_a_usage_error(
    newscrawl_in_process: NewscrawlInProcess,
) -> None:
    done = newscrawl_in_process(["crawl", "unn", "-a", "languages"])
    assert done.returncode == 2
    assert "-a expects NAME=VALUE" in done.stderr
