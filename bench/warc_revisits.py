"""WARC bytes per unchanged revisit: full copies against `revisit` records, in one run.

    python3 bench/warc_revisits.py [--pages 200] [--corpus ../shared/corpus/fundus]

(1) Crawls. A generated UNN-style mirror of N articles (`bench/_mirror.py`'s site,
    served in this process) is crawled three times with ``scrapy crawl unn`` into
    one fresh archive, every archived article due again each time
    (``NEWSCRAWL_REVISITS=100000d:0``): a first crawl that archives the articles,
    then the unchanged site with ``NEWSCRAWL_WARC_REVISITS=off`` (before: a full
    copy per fetch) and with it on (after: revisit records). For each of the last
    two it counts what an unchanged article fetch adds to the WARC files: its
    response or revisit record, its request record and its Page item record, each
    as the gzip member it is on disk; and the run's bytes in all.
(2) Real page sizes. The sample site's pages are about 4 KB, real news pages ten to
    a hundred times more. With a corpus of saved pages (``*.html.gz``; by default the
    shared corpus beside the checkout, skipped when it is absent), the writer alone
    (`WarcFiles` with its folder index) writes every page twice, with revisits off
    and on, and the same bytes are counted for the second copy.

Each part prints bytes per unchanged revisit before and after, and their ratio.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(BENCH))

from _mirror import generated_site  # noqa: E402
from scrapy import Request  # noqa: E402
from scrapy.http import HtmlResponse  # noqa: E402
from warcio.archiveiterator import ArchiveIterator  # noqa: E402

from newscrawl.items import Page  # noqa: E402
from newscrawl.testing.mirror import serve  # noqa: E402
from newscrawl.warc.folder_index import FolderIndex  # noqa: E402
from newscrawl.warc.reader import warc_files_in  # noqa: E402
from newscrawl.warc.records import ITEM_RECORD_TYPE  # noqa: E402
from newscrawl.warc.writer import WarcFiles  # noqa: E402

DEFAULT_CORPUS = REPO_ROOT.parent / "shared" / "corpus" / "fundus"
EVERY_ARTICLE_DUE = "NEWSCRAWL_REVISITS=100000d:0"
FETCHED_AT = datetime(2024, 6, 1, 9, 0, tzinfo=UTC)
HTML = "text/html; charset=utf-8"


@dataclass
class FetchBytes:
    """What the article fetches of some WARC files take: how many, their bytes, all bytes."""

    fetches: int
    fetch_bytes: int
    file_bytes: int


def article_fetch_bytes(paths: Iterable[Path]) -> FetchBytes:
    """The bytes each recorded Page adds: its response or revisit, request and item record."""
    lengths: dict[str, int] = {}  # record id -> its gzip member's length
    request_of: dict[str, str] = {}  # response or revisit id -> its request's id
    pages: list[tuple[str, str]] = []  # (item record id, response record id)
    total = 0
    for path in paths:
        total += path.stat().st_size
        with path.open("rb") as stream:
            records = ArchiveIterator(stream)
            for record in records:
                headers = record.rec_headers
                record_id = headers.get_header("WARC-Record-ID")
                content = record.content_stream().read()  # before the length, which reads on
                lengths[record_id] = records.get_record_length()
                if record.rec_type == "request":
                    request_of[headers.get_header("WARC-Concurrent-To")] = record_id
                elif record.content_type == ITEM_RECORD_TYPE and json.loads(content)["type"] == (
                    "Page"
                ):
                    pages.append((record_id, headers.get_header("WARC-Refers-To")))
    fetch_bytes = sum(
        lengths[item] + lengths[response] + lengths[request_of[response]]
        for item, response in pages
    )
    return FetchBytes(len(pages), fetch_bytes, total)


def crawl(base_url: str, db: Path, *settings: str) -> list[Path]:
    """One ``scrapy crawl unn`` of the mirror into `db`; the WARC files it wrote."""
    warc = db.parent / "warc"
    before = set(warc_files_in([warc]))
    command = [
        sys.executable, "-m", "scrapy", "crawl", "unn", "-a", f"base_url={base_url}",
        "-s", f"NEWSCRAWL_DB={db}", "-s", f"NEWSCRAWL_WARC_DIR={warc}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0", "-s", "LOG_LEVEL=WARNING",
        "-s", f"LOG_FILE={db.parent / 'crawl.log'}", "-s", EVERY_ARTICLE_DUE,
        *(part for setting in settings for part in ("-s", setting)),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"the crawl failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    return sorted(set(warc_files_in([warc])) - before)


def crawled_revisits(pages: int) -> tuple[FetchBytes, FetchBytes]:
    """Part (1): the before and after runs of a generated mirror."""
    site = generated_site(pages, datetime.now(UTC) - timedelta(hours=1))
    with tempfile.TemporaryDirectory() as tmp, serve(site) as mirror:
        db = Path(tmp) / "news.db"
        crawl(str(mirror), db)
        before = article_fetch_bytes(crawl(str(mirror), db, "NEWSCRAWL_WARC_REVISITS=off"))
        after = article_fetch_bytes(crawl(str(mirror), db, "NEWSCRAWL_WARC_REVISITS=on"))
    return before, after


def second_copies(pages: list[bytes], revisits: bool) -> FetchBytes:
    """Part (2): each page written twice by the writer; what the second fetches add."""
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        index = FolderIndex(folder)
        for run, fetched_at in enumerate((FETCHED_AT, FETCHED_AT + timedelta(hours=1))):
            files = WarcFiles(folder, f"run{run}", 10**10, index=index, revisits=revisits)
            for number, body in enumerate(pages):
                url = f"https://example.org/news/{number}"
                _write_page(files, url, body, fetched_at)
            files.close()
        index.close()
        return article_fetch_bytes(files.written)


def _write_page(files: WarcFiles, url: str, body: bytes, fetched_at: datetime) -> None:
    request = Request(url)
    response = HtmlResponse(url, body=body, headers={"Content-Type": HTML}, request=request)
    position = files.write_exchange(request, response, fetched_at)
    page = Page(url=url, body=body, fetched_at=fetched_at, content_type=HTML)
    files.write_item(page, position, url)


def report(title: str, before: FetchBytes, after: FetchBytes) -> None:
    print(title)
    per_fetch = {}
    for name, measured in (("before (full copies)", before), ("after (revisits)", after)):
        per_fetch[name] = measured.fetch_bytes / max(measured.fetches, 1)
        print(
            f"  {name:21} {measured.fetches:5d} unchanged article fetches, "
            f"{per_fetch[name]:9.0f} bytes each; {measured.file_bytes:10d} bytes of WARC in all"
        )
    ratio = per_fetch["after (revisits)"] / (per_fetch["before (full copies)"] or float("nan"))
    files = after.file_bytes / before.file_bytes if before.file_bytes else float("nan")
    print(f"  after / before: {ratio:.3f} per revisit, {files:.3f} of the run's WARC bytes")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="articles of the mirror")
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    args = parser.parse_args()
    before, after = crawled_revisits(args.pages)
    report(f"(1) crawls of a generated mirror of {args.pages} articles", before, after)
    corpus = sorted(args.corpus.glob("*.html.gz")) if args.corpus.is_dir() else []
    if not corpus:
        print(f"(2) skipped: no *.html.gz pages in {args.corpus}")
        return 0
    pages = [gzip.decompress(path.read_bytes()) for path in corpus]
    report(
        f"(2) the writer alone, {len(pages)} real pages of {args.corpus}",
        second_copies(pages, revisits=False),
        second_copies(pages, revisits=True),
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
