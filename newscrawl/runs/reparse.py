"""`newscrawl reparse`: the current parsers over archived WARC records, into the archive.

A crawl records in its WARC files every item its spiders yielded (see
`newscrawl.warc`): each `Page` as a metadata record pointing to its response
record, and each `CardViews`. Re-parsing replays those items, in the order
they were captured, through the project's own item pipelines (setting
ITEM_PIPELINES: parse, validate, normalise, dedupe, store), with no network.
Each page keeps the fetch time it was captured with, so relative dates resolve
as they did, and `Archive.save` treats a replayed fetch like the original one:
running the same parsers twice changes nothing, and a parser fix corrects the
articles it touches without inventing new versions.

The pipelines are split in two stages. Those before the first archive
pipeline (parse, validate, normalise) are pure CPU work and run in `jobs`
worker processes; the rest (dedupe, store) run in this process, the single
writer, in capture order. Workers read the WARC records themselves, so only
small record locators travel to them.
"""

from __future__ import annotations

import logging
import multiprocessing
import sys
import time
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

import scrapy
from scrapy.crawler import Crawler
from scrapy.exceptions import DropItem
from scrapy.settings import Settings
from scrapy.statscollectors import StatsCollector
from scrapy.utils.misc import build_from_crawler, load_object
from sqlite_utils import Database
from twisted.internet.defer import Deferred, succeed

from newscrawl.archive import Archive
from newscrawl.archive.queries import article_state, row_counts
from newscrawl.errors import ArchiveError, WarcError
from newscrawl.runs.reparse_selection import Selection, records_to_redo
from newscrawl.sites.registry import activate, registry_of_settings
from newscrawl.text import log_excerpt
from newscrawl.warc.reader import ItemRecord, item_records, page_body, warc_files_in
from pipelines.base import ArchivePipeline
from pipelines.shared_archive import archive_failure

__all__ = ["ReparseReport", "Reparser", "items_to_replay"]

logger = logging.getLogger(__name__)

# Pages per task sent to a worker: big enough to amortise the hand-over,
# small enough to keep the writer busy from the start.
CHUNK_SIZE = 16
# What DedupePipeline counts when it drops a copy of an archived article.
DUPLICATES_STAT = "newscrawl/duplicates"
# What the report counts as added: versions and view snapshots.
COUNTED_TABLES = ("article_versions", "view_snapshots")


# --- what to replay -------------------------------------------------------------------


def items_to_replay(
    paths: Iterable[Path], *, site: str | None = None, since: datetime | None = None
) -> tuple[list[ItemRecord], list[str]]:
    """The recorded items of the WARC files, in capture order, and the files' problems.

    `site` keeps items whose URL is on that domain (``unn.ua`` also takes
    ``www.unn.ua``); `since` keeps items captured at or after that instant. A
    file that cannot be read is reported and skipped, not fatal.
    """
    found: list[ItemRecord] = []
    problems: list[str] = []
    for path in paths:
        try:
            for record in item_records(path):
                if _wanted(record, site, since):
                    found.append(record)
        except WarcError as exc:
            problems.append(str(exc))
    # Files are named by start time, but several spiders' runs may overlap.
    found.sort(key=lambda record: record.recorded_at)
    return found, problems


def _wanted(record: ItemRecord, site: str | None, since: datetime | None) -> bool:
    if since is not None and record.recorded_at < since:
        return False
    if site:
        host = (urlsplit(str(record.fields.get("url", ""))).hostname or "").lower()
        wanted = site.lower().removeprefix("www.")
        if host.removeprefix("www.") != wanted and not host.endswith(f".{wanted}"):
            return False
    return True


# --- the report -----------------------------------------------------------------------


@dataclass
class ReparseReport:
    """What a re-parse did to the archive."""

    records: int = 0
    new: int = 0
    changed: int = 0
    unchanged: int = 0
    duplicates: int = 0
    versions_added: int = 0
    snapshots_added: int = 0
    fields_changed: Counter[str] = field(default_factory=Counter)
    # One line per record that did not become an article, and why.
    failures: list[str] = field(default_factory=list)
    reasons: Counter[str] = field(default_factory=Counter)
    unreadable_files: list[str] = field(default_factory=list)
    archive_error: str | None = None
    # With --parser or --parser-below: what the selection kept of the recorded items.
    selection: str | None = None
    recorded: int = 0
    pages_of_rows: int = 0
    pages_without_row: int = 0
    # Pages whose article turned out to be a row the selection does not take.
    outside_selection: int = 0

    @property
    def exit_code(self) -> int:
        return 1 if self.archive_error or self.unreadable_files else 0

    def lines(self) -> list[str]:
        """The report for the terminal."""
        lines = [
            f"reparse: {self.records} records; articles: {self.new} new, {self.changed} changed, "
            f"{self.unchanged} unchanged, {self.duplicates} duplicates; "
            f"{self.versions_added} versions added, {self.snapshots_added} view snapshots added; "
            f"{len(self.failures)} records failed"
        ]
        if self.selection is not None:
            lines.append(
                f"selected ({self.selection}): {self.records} of {self.recorded} recorded items: "
                f"{self.pages_of_rows} pages of matching rows, {self.pages_without_row} pages "
                f"without a row; {self.outside_selection} parsed into other rows, left alone"
            )
        if self.fields_changed:
            fields = ", ".join(f"{name} {n}" for name, n in self.fields_changed.most_common())
            lines.append(f"changed fields: {fields}")
        if self.reasons:
            reasons = ", ".join(f"{name} {n}" for name, n in self.reasons.most_common())
            lines.append(f"failure reasons: {reasons}")
        lines += [f"failed: {failure}" for failure in self.failures]
        lines += [f"unreadable WARC file: {problem}" for problem in self.unreadable_files]
        if self.archive_error:
            lines.append(f"stopped: {self.archive_error}")
        return lines


# --- the two stages -------------------------------------------------------------------


@dataclass(frozen=True)
class _Parsed:
    """A record after the CPU stage: the item to store, or why there is none."""

    record: ItemRecord
    item: Any = None
    failure: str | None = None
    reason: str | None = None


class _Stopper:
    """The one thing the pipelines ask of an engine: to stop the crawl on an archive error."""

    def __init__(self) -> None:
        self.close_reason: str | None = None

    def close_spider_async(self, *, reason: str) -> Deferred[None]:
        self.close_reason = reason
        return succeed(None)


class _ReparseSpider(scrapy.Spider):
    name = "reparse"


def offline_crawler(settings: Settings) -> Crawler:
    """A Scrapy crawler that never crawls: settings, stats and a stop switch for pipelines."""
    crawler = Crawler(_ReparseSpider, settings)
    crawler.stats = load_object(crawler.settings["STATS_CLASS"])(crawler)
    crawler.engine = _Stopper()  # type: ignore[assignment]
    return crawler


def _pipelines(crawler: Crawler) -> tuple[list[Any], list[Any]]:
    """The project's item pipelines in order, split before the first archive pipeline."""
    configured = crawler.settings.getwithbase("ITEM_PIPELINES")
    ordered = sorted(
        ((priority, path) for path, priority in configured.items() if priority is not None),
        key=lambda pair: pair[0],
    )
    pipelines = [build_from_crawler(load_object(path), crawler) for _, path in ordered]
    split = next(
        (i for i, p in enumerate(pipelines) if isinstance(p, ArchivePipeline)), len(pipelines)
    )
    return pipelines[:split], pipelines[split:]


class _CpuStage:
    """The pipelines before the archive: a record in, an item ready to store out."""

    def __init__(self, settings: Settings) -> None:
        self.crawler = offline_crawler(settings)
        self.pipelines, _ = _pipelines(self.crawler)

    def parse(self, record: ItemRecord) -> _Parsed:
        where = f"{record.fields.get('url', record.uri)} ({record.response.file}@"
        where += f"{record.response.offset})"
        try:
            body = None
            if record.item_type == "Page":
                body = page_body(
                    record.response_path, record.response.offset, record.response.record_id
                )
            item = record.item(body)
        except WarcError as exc:
            return _Parsed(
                record, failure=f"{where}: {log_excerpt(exc)}", reason="unreadable_record"
            )
        except Exception as exc:
            # A record whose fields no longer make an item (written by an older
            # version, or damaged): that record alone fails.
            failure = f"{where}: {_error(exc)}"
            return _Parsed(record, failure=failure, reason="unreadable_record")
        stats = self.crawler.stats
        before = dict(stats.get_stats())
        try:
            for pipeline in self.pipelines:
                item = pipeline.process_item(item)
        except DropItem as exc:
            message = log_excerpt(str(exc).removeprefix(f"{record.fields.get('url')}: "))
            return _Parsed(record, failure=f"{where}: {message}", reason=_new_drop(before, stats))
        except Exception as exc:
            # A pipeline bug on one record must not end the re-parse of the others.
            return _Parsed(record, failure=f"{where}: {_error(exc)}", reason="pipeline_failed")
        return _Parsed(record, item=item)


def _error(exc: BaseException) -> str:
    """An unexpected exception as one short line: its type and the start of its message."""
    return log_excerpt(f"{type(exc).__name__}: {exc}")


def _new_drop(before: Mapping[str, Any], stats: StatsCollector) -> str:
    """The drop reason a pipeline just counted (newscrawl/dropped/<reason>)."""
    for key, value in stats.get_stats().items():
        if key.startswith("newscrawl/dropped/") and value != before.get(key):
            return key.rsplit("/", 1)[-1]
    return "dropped"


# Set in each worker process by _start_worker.
_worker_stage: _CpuStage | None = None


def _start_worker(overrides: dict[str, Any]) -> None:
    from newscrawl.runs.project import project_settings

    global _worker_stage
    logging.disable(logging.WARNING)  # failures come back in the results
    settings = project_settings(overrides)
    activate(registry_of_settings(settings))
    _worker_stage = _CpuStage(settings)


def _parse_in_worker(record: ItemRecord) -> _Parsed:
    assert _worker_stage is not None
    return _worker_stage.parse(record)


# --- the run ------------------------------------------------------------------------


class Reparser:
    """Re-parses recorded items into the archive of `settings` (NEWSCRAWL_DB)."""

    def __init__(
        self,
        overrides: Mapping[str, Any] | None = None,
        *,
        jobs: int = 1,
        selection: Selection | None = None,
    ) -> None:
        from newscrawl.runs.project import project_settings

        self.overrides = dict(overrides or {})
        self.settings = project_settings(self.overrides)
        # The parsers know the outlets of this archive's sources file (SourcesError).
        activate(registry_of_settings(self.settings))
        self.jobs = max(1, jobs)
        # Only the rows it selects are written (and articles with no row yet).
        self.selection = selection
        # The URLs this run took: each stays taken after its row says the fixed parser made it.
        self._taken: set[str] = set()
        self._pool: Any = None

    @contextmanager
    def workers(self) -> Iterator[None]:
        """Start the worker processes now, so that they start up while this one reads the
        WARC files; `run` inside the block uses them."""
        if self.jobs == 1:
            yield
            return
        # Workers start before this process opens the archive: a forked
        # child must not inherit a live SQLite connection.
        context = multiprocessing.get_context("forkserver")
        with context.Pool(self.jobs, _start_worker, (self.overrides,)) as pool:
            self._pool = pool
            try:
                yield
            finally:
                self._pool = None

    def run(
        self, records: Sequence[ItemRecord], progress: Callable[[int, ReparseReport], None]
    ) -> ReparseReport:
        """Replay `records` in order; `progress(done, report)` is called after each one."""
        report = ReparseReport(records=len(records))
        if self.jobs > 1 and self._pool is None:
            with self.workers():
                return self.run(records, progress)
        if self.jobs > 1:
            parsed = self._pool.imap(_parse_in_worker, records, chunksize=CHUNK_SIZE)
            self._write_all(parsed, report, progress)
        else:
            stage = _CpuStage(self.settings)
            self._write_all(map(stage.parse, records), report, progress)
        return report

    def _write_all(
        self,
        parsed: Iterator[_Parsed],
        report: ReparseReport,
        progress: Callable[[int, ReparseReport], None],
    ) -> None:
        crawler = offline_crawler(self.settings)
        self._stats = crawler.stats
        _, writers = _pipelines(crawler)
        opened = []
        try:
            for pipeline in writers:
                if hasattr(pipeline, "open_spider"):
                    pipeline.open_spider()
                opened.append(pipeline)
            archive = next(p.archive for p in writers if isinstance(p, ArchivePipeline))
            totals_before = row_counts(archive.db, COUNTED_TABLES)
            for done, result in enumerate(parsed, 1):
                self._write(result, writers, archive.db, report)
                failure = archive_failure(crawler)
                if failure is not None:
                    report.archive_error = str(failure)
                    break
                progress(done, report)
            totals_after = row_counts(archive.db, COUNTED_TABLES)
            added = {table: totals_after[table] - totals_before[table] for table in COUNTED_TABLES}
            report.versions_added = added["article_versions"]
            report.snapshots_added = added["view_snapshots"]
        except ArchiveError as exc:
            report.archive_error = str(exc)
        finally:
            for pipeline in reversed(opened):
                if hasattr(pipeline, "close_spider"):
                    pipeline.close_spider()

    def _write(
        self, parsed: _Parsed, writers: list[Any], db: Database, report: ReparseReport
    ) -> None:
        if parsed.failure is not None:
            report.failures.append(parsed.failure)
            report.reasons[parsed.reason or "dropped"] += 1
            return
        item = parsed.item
        url = getattr(item, "url", None) if parsed.record.item_type == "Page" else None
        before = article_state(db, url) if url else None
        if url and not self._takes(url, before):
            report.outside_selection += 1
            return
        duplicates = self._stats.get_value(DUPLICATES_STAT, 0)
        try:
            for pipeline in writers:
                item = pipeline.process_item(item)
        except DropItem as exc:
            if self._stats.get_value(DUPLICATES_STAT, 0) != duplicates:
                report.duplicates += 1
            elif url:
                report.failures.append(f"{url}: {log_excerpt(exc)}")
                report.reasons["not_stored"] += 1
            return
        except ArchiveError:
            raise  # the archive itself cannot be used: nothing more can be stored
        except Exception as exc:
            # One record the archive cannot take (a bug in a pipeline or a save) is
            # that record's failure; the archive rolled its write back.
            where = url or parsed.record.fields.get("url", parsed.record.uri)
            report.failures.append(f"{where}: not stored: {_error(exc)}")
            report.reasons["store_failed"] += 1
            return
        if not url:
            return
        after = article_state(db, url)
        if after is None:
            # Every pipeline passed it on, yet the archive does not hold it: no
            # store pipeline among ITEM_PIPELINES, or one that lost it.
            report.failures.append(f"{url}: passed every pipeline but is not in the archive")
            report.reasons["not_stored"] += 1
            return
        if before is None:
            report.new += 1
            return
        changed = [name for name in after if after.get(name) != before.get(name)]
        if changed:
            report.changed += 1
            report.fields_changed.update(changed)
        else:
            report.unchanged += 1

    def _takes(self, url: str, before: Mapping[str, Any] | None) -> bool:
        """Whether the selection lets the article of `url` be written (always, without one)."""
        if self.selection is None or url in self._taken:
            return True
        if before is not None and not self.selection.selects(before["parser"]):
            return False
        self._taken.add(url)
        return True


# --- progress ---------------------------------------------------------------------


class Progress:
    """A progress bar on a terminal, else a plain line every `every` seconds."""

    WIDTH = 30

    def __init__(self, total: int, stream: TextIO = sys.stderr, every: float = 5.0) -> None:
        self.total = total
        self.stream = stream
        self.tty = stream.isatty()
        self.every = every if not self.tty else 0.1
        self._last = time.monotonic()
        self._shown = False

    def __call__(self, done: int, report: ReparseReport) -> None:
        now = time.monotonic()
        if now - self._last < self.every and done < self.total:
            return
        self._last = now
        share = done / self.total if self.total else 1.0
        counts = f"{done}/{self.total} records, {report.new} new, {report.changed} changed"
        if self.tty:
            filled = int(share * self.WIDTH)
            bar = "#" * filled + "-" * (self.WIDTH - filled)
            self.stream.write(f"\r[{bar}] {share:4.0%} {counts}")
        else:
            self.stream.write(f"reparse: {counts} ({share:.0%})\n")
        self._shown = True
        self.stream.flush()

    def finish(self) -> None:
        if self.tty and self._shown:
            self.stream.write("\n")
            self.stream.flush()


def reparse_files(
    paths: Sequence[Path],
    *,
    overrides: Mapping[str, Any] | None = None,
    site: str | None = None,
    since: datetime | None = None,
    selection: Selection | None = None,
    jobs: int = 1,
    stream: TextIO = sys.stderr,
) -> ReparseReport:
    """Re-parse the items recorded in `paths` (files or folders) into the archive.

    With a `selection`, only the pages of the rows it selects and the pages
    without a row (dropped at crawl time) are parsed and written.
    """
    files = warc_files_in(paths)
    reparser = Reparser(overrides, jobs=jobs, selection=selection)
    with reparser.workers():
        records, problems = items_to_replay(files, site=site, since=since)
        recorded = len(records)
        if selection is not None:
            with Archive(reparser.settings["NEWSCRAWL_DB"]) as archive:
                selected = records_to_redo(archive.db, records, selection)
            records = selected.records
        progress = Progress(len(records), stream)
        report = reparser.run(records, progress)
    progress.finish()
    report.unreadable_files = problems
    if selection is not None:
        report.selection = str(selection)
        report.recorded = recorded
        report.pages_of_rows = selected.of_rows
        report.pages_without_row = selected.without_row
    return report
