"""WARC capture: every HTTP response a crawl receives, kept as gzip WARC files through warcio.

Two middlewares share one `WarcFiles` writer per crawl:

- `WarcCaptureMiddleware` (downloader) writes a `response` record and its
  `request` record for every HTTP(S) response, including robots.txt, feeds,
  listings, redirects, error pages and the counter endpoints that spiders fetch
  with ``crawler.engine.download``. It sits at 950, between the HTTP cache
  (900) and the download handler, so it sees the body exactly as the HTTP
  client delivered it: still content-encoded (gzip, br) as the server sent it,
  with the headers that say so. Only the chunked transfer coding is gone (the
  client removes it), so the `Transfer-Encoding` header is left out of the
  record. Readers decode the content coding (`page_body`).
- `WarcItemMiddleware` (spider) sees what the spider makes of each response.
  It fills `Page.warc_file` and `Page.warc_offset` from the response's record,
  and writes each item the spider yields (`Page` without its body, which is in
  the response record, and `CardViews`) as a `metadata` record that refers to
  the response. `newscrawl reparse` replays those items through the pipelines,
  so discovery hints (feed dates, counter views) survive a re-parse.

Files are ``<spider>-<UTC start time>-<pid>-<serial>.warc.gz`` under the
setting `NEWSCRAWL_WARC_DIR`; each crawl run starts a new file, and a file is
closed for the next serial once it reaches `NEWSCRAWL_WARC_MAX_BYTES` (a file
can exceed it by one response). Each file begins with a `warcinfo` record.
Records are written whole, one gzip member each, straight to the OS (no
Python buffer): a killed crawl loses at most the record being written, which
readers skip. There is no fsync per record; a power cut can lose more.

A write that fails (full disk, read-only folder) cuts the file back to its
last whole record and closes the spider with reason `warc_error`; responses
that cannot be captured are not handed to the spider, so every archived
article points to a record that exists.
"""

from __future__ import annotations

import dataclasses
import gzip
import json
import logging
import os
import socket
import typing
import zlib
from collections.abc import AsyncIterator, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from typing import Any, Self
from urllib.parse import urlsplit
from weakref import WeakKeyDictionary

from scrapy import Request, signals
from scrapy.crawler import Crawler
from scrapy.exceptions import IgnoreRequest, NotConfigured
from scrapy.http import Response
from scrapy.settings import BaseSettings
from warcio.bufferedreaders import BufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.warcwriter import WARCWriter

from newscrawl import __version__, items
from newscrawl.crawler.closing import close_spider_soon
from newscrawl.errors import WarcError
from newscrawl.timestamps import parsed_instant

__all__ = [
    "CLOSE_REASON",
    "ITEM_RECORD_TYPE",
    "ItemRecord",
    "WarcCaptureMiddleware",
    "WarcFiles",
    "WarcItemMiddleware",
    "WarcPosition",
    "item_records",
    "page_body",
    "record_at",
    "warc_enabled",
    "warc_files_in",
]

logger = logging.getLogger(__name__)

CLOSE_REASON = "warc_error"
WARC_VERSION = "1.1"
# The Content-Type of our metadata records: one spider item as JSON.
ITEM_RECORD_TYPE = "application/vnd.newscrawl.item+json"
# request.meta key holding the WarcPosition of the request's response record.
META_KEY = "newscrawl_warc"
# Level 6 compresses HTML nearly as well as warcio's 9 at a fraction of the CPU.
GZIP_LEVEL = 6
_OFF = {"off", "false", "0", "no", "none", ""}
# Items of these types are recorded; their JSON names them by class name.
_ITEM_TYPES: tuple[type, ...] = tuple(
    t for t in (getattr(items, name, None) for name in ("Page", "CardViews")) if isinstance(t, type)
)
# Page fields that come from the response record, not from the item's JSON.
_PAGE_FIELDS_FROM_RECORD = ("body", "warc_file", "warc_offset")


@dataclass(frozen=True)
class WarcPosition:
    """Where a record is: its file (relative to the WARC folder), offset and record id."""

    file: str
    offset: int
    record_id: str


def warc_enabled(settings: BaseSettings) -> bool:
    """Whether the setting NEWSCRAWL_WARC leaves capture on (``off`` disables it)."""
    return str(settings.get("NEWSCRAWL_WARC", "on")).strip().lower() not in _OFF


# --- writing --------------------------------------------------------------------


class WarcFiles:
    """The WARC files of one crawl run: numbered files in `directory`, rotated by size.

    Nothing is created until the first record, so a crawl that fetches
    nothing leaves no empty file behind.
    """

    def __init__(
        self,
        directory: str | Path,
        prefix: str,
        max_bytes: int,
        info: dict[str, str] | None = None,
    ) -> None:
        self.directory = Path(directory)
        started = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        self._stem = f"{prefix}-{started}-{os.getpid()}"
        self.max_bytes = max_bytes
        self._info = info or {}
        self._builder = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)
        self._serial = -1
        self._file: Any = None  # a raw FileIO: every write goes straight to the OS
        self._name = ""
        self._size = 0
        self._header_size = 0
        self.written: list[Path] = []

    # --- records ----------------------------------------------------------------

    def write_exchange(
        self, request: Request, response: Response, fetched_at: datetime
    ) -> WarcPosition:
        """Write the response and its request; the position of the response record."""
        date = _warc_date(fetched_at)
        warc_headers = {"WARC-Date": date}
        ip_address = getattr(response, "ip_address", None)
        if ip_address is not None:
            warc_headers["WARC-IP-Address"] = str(ip_address)
        response_record = self._builder.create_warc_record(
            response.url,
            "response",
            payload=BytesIO(response.body),
            length=len(response.body),
            http_headers=_response_headers(response),
            warc_headers_dict=warc_headers,
        )
        response_id = response_record.rec_headers.get_header("WARC-Record-ID")
        request_record = self._builder.create_warc_record(
            response.url,
            "request",
            payload=BytesIO(request.body),
            length=len(request.body),
            http_headers=_request_headers(request),
            warc_headers_dict={"WARC-Date": date, "WARC-Concurrent-To": response_id},
        )
        file, offsets = self._write([response_record, request_record])
        return WarcPosition(file, offsets[0], response_id)

    def write_item(self, item: Any, response: WarcPosition, uri: str) -> WarcPosition:
        """Write a spider item as a metadata record referring to its response record."""
        payload = json.dumps(
            {
                "type": type(item).__name__,
                "fields": _item_fields(item),
                "response": {"file": response.file, "offset": response.offset},
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        record = self._builder.create_warc_record(
            uri,
            "metadata",
            payload=BytesIO(payload),
            length=len(payload),
            warc_content_type=ITEM_RECORD_TYPE,
            warc_headers_dict={
                "WARC-Date": _warc_date(datetime.now(UTC)),
                "WARC-Refers-To": response.record_id,
            },
        )
        file, offsets = self._write([record])
        return WarcPosition(file, offsets[0], record.rec_headers.get_header("WARC-Record-ID"))

    def close(self) -> None:
        """Close the current file; the next record would start a new one."""
        if self._file is not None:
            self._file.close()
            self._file = None

    # --- files ------------------------------------------------------------------

    def _write(self, records: list[ArcWarcRecord]) -> tuple[str, list[int]]:
        """Write records back to back in one file: its name and each record's offset."""
        members = [self._member(record) for record in records]
        too_big = self._size + sum(map(len, members)) > self.max_bytes
        # A file holds at least one record besides its warcinfo, however large,
        # so an oversized response cannot make rotation loop.
        if self._file is None or (too_big and self._size > self._header_size):
            self._open_next()
        offsets = []
        start = self._size
        try:
            for member in members:
                offsets.append(self._size)
                _write_all(self._file, member)
                self._size += len(member)
        except OSError as exc:
            self._cut_back(start)
            raise WarcError(f"cannot write the WARC file {self._path()}: {exc}") from exc
        return self._name, offsets

    def _open_next(self) -> None:
        self.close()
        self._serial += 1
        self._name = f"{self._stem}-{self._serial:05d}.warc.gz"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # "x": never append to or overwrite a file another run wrote.
            self._file = open(self._path(), "xb", buffering=0)  # noqa: SIM115
        except OSError as exc:
            raise WarcError(f"cannot create the WARC file {self._path()}: {exc}") from exc
        self._size = 0
        self.written.append(self._path())
        info = {
            "software": f"newscrawl/{__version__} (warcio)",
            "hostname": socket.gethostname(),
            "format": "WARC File Format 1.1",
            "conformsTo": "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/",
            **self._info,
        }
        member = self._member(self._builder.create_warcinfo_record(self._name, info))
        try:
            _write_all(self._file, member)
        except OSError as exc:
            self._cut_back(0)
            raise WarcError(f"cannot write the WARC file {self._path()}: {exc}") from exc
        self._size = self._header_size = len(member)

    def _cut_back(self, size: int) -> None:
        """Drop a partly written record, so the file ends with a whole one, and close it.

        Truncating frees space, so this works on a full disk too; if even that
        fails, the truncated record stays at the end, where readers skip it.
        """
        if self._file is None:
            return
        try:
            os.ftruncate(self._file.fileno(), size)
        except OSError:
            logger.warning("could not cut %s back to its last whole record", self._path())
        self.close()

    def _member(self, record: ArcWarcRecord) -> bytes:
        """The record as one gzip member, the unit readers seek to."""
        buffer = BytesIO()
        self._builder.out = buffer
        self._builder.write_record(record)
        return gzip.compress(buffer.getvalue(), compresslevel=GZIP_LEVEL, mtime=0)

    def _path(self) -> Path:
        return self.directory / self._name


def _write_all(file: Any, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = file.write(view)
        view = view[written:]


def _warc_date(moment: datetime) -> str:
    return datetime_to_iso_date(moment.astimezone(UTC).replace(tzinfo=None), use_micros=True)


def _response_headers(response: Response) -> StatusAndHeaders:
    protocol = getattr(response, "protocol", None) or "HTTP/1.1"
    reason = _REASONS.get(response.status, "")
    headers = [
        (name, value)
        for name, value in _header_pairs(response.headers)
        # The HTTP client has removed the chunking; saying otherwise would
        # make readers try to de-chunk a body that is not chunked.
        if name.lower() != "transfer-encoding"
    ]
    return StatusAndHeaders(f"{response.status} {reason}".strip(), headers, protocol=protocol)


def _request_headers(request: Request) -> StatusAndHeaders:
    parts = urlsplit(request.url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    headers = list(_header_pairs(request.headers))
    if not any(name.lower() == "host" for name, _ in headers):
        # The HTTP client adds Host itself; the record shows what was sent.
        headers.insert(0, ("Host", parts.netloc))
    return StatusAndHeaders(
        f"{request.method} {target} HTTP/1.1", headers, protocol="HTTP/1.1", is_http_request=True
    )


def _header_pairs(headers: Any) -> Iterator[tuple[str, str]]:
    for name in headers:
        for value in headers.getlist(name):
            yield _text(name), _text(value)


def _text(value: bytes | str) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _item_fields(item: Any) -> dict[str, Any]:
    # Page and CardViews hold plain values only, so a shallow read gives what
    # dataclasses.asdict would, without its recursive copy of every value; it
    # runs for every item a crawl yields.
    skipped = _PAGE_FIELDS_FROM_RECORD if isinstance(item, items.Page) else ()
    fields = {
        f.name: getattr(item, f.name) for f in dataclasses.fields(item) if f.name not in skipped
    }
    if any(
        isinstance(value, _NESTED) or dataclasses.is_dataclass(value) for value in fields.values()
    ):
        fields = {
            name: value for name, value in dataclasses.asdict(item).items() if name not in skipped
        }
    return {
        name: value.isoformat() if isinstance(value, datetime) else value
        for name, value in fields.items()
    }


# Values that dataclasses.asdict would copy recursively.
_NESTED = (list, tuple, dict, set)


def _build_reasons() -> dict[int, str]:
    from http import HTTPStatus

    return {status.value: status.phrase for status in HTTPStatus}


_REASONS = _build_reasons()


# --- the middlewares ----------------------------------------------------------------

_writers: WeakKeyDictionary[Crawler, _CrawlWarc] = WeakKeyDictionary()


def warc_dir(settings: BaseSettings) -> Path:
    """The WARC folder: NEWSCRAWL_WARC_DIR, else "warc" beside the archive (NEWSCRAWL_DB)."""
    configured = settings.get("NEWSCRAWL_WARC_DIR")
    if configured:
        return Path(configured)
    return Path(settings.get("NEWSCRAWL_DB", "data/news.db")).parent / "warc"


class _CrawlWarc:
    """The crawl's writer and whether it has failed, shared by both middlewares."""

    def __init__(self, crawler: Crawler) -> None:
        settings = crawler.settings
        name = crawler.spidercls.name or "crawl"
        self.crawler = crawler
        self.files = WarcFiles(
            warc_dir(settings),
            prefix=name,
            max_bytes=settings.getint("NEWSCRAWL_WARC_MAX_BYTES", 10**9),
            info={
                "isPartOf": name,
                "http-header-user-agent": str(settings.get("USER_AGENT", "")),
                "robots": "obey" if settings.getbool("ROBOTSTXT_OBEY") else "ignore",
            },
        )
        self.failure: WarcError | None = None
        crawler.signals.connect(self.spider_closed, signal=signals.spider_closed)

    def spider_closed(self) -> None:
        self.files.close()

    def fail(self, error: WarcError) -> None:
        """Log the error and close the spider with reason `warc_error`, once per crawl."""
        if self.failure is not None:
            return
        self.failure = error
        logger.error("WARC write failed, closing the spider: %s", error)
        self.crawler.stats.set_value("newscrawl/warc_error", str(error))
        close_spider_soon(self.crawler, CLOSE_REASON)


def _crawl_warc(crawler: Crawler) -> _CrawlWarc:
    if not warc_enabled(crawler.settings):
        raise NotConfigured("WARC capture is off (NEWSCRAWL_WARC=off)")
    shared = _writers.get(crawler)
    if shared is None:
        shared = _writers[crawler] = _CrawlWarc(crawler)
    return shared


class WarcCaptureMiddleware:
    """Downloader middleware: one response and one request record per HTTP(S) response."""

    def __init__(self, crawl_warc: _CrawlWarc) -> None:
        self.warc = crawl_warc

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(_crawl_warc(crawler))

    def process_response(self, request: Request, response: Response) -> Response:
        if urlsplit(response.url).scheme not in ("http", "https") or "cached" in response.flags:
            # data: and file: URLs were never fetched; cached ones were captured when they were.
            return response
        if self.warc.failure is not None:
            raise IgnoreRequest(f"not captured, the WARC failed: {self.warc.failure}")
        try:
            position = self.warc.files.write_exchange(request, response, datetime.now(UTC))
        except WarcError as exc:
            self.warc.fail(exc)
            raise IgnoreRequest(f"not captured: {exc}") from exc
        self.warc.crawler.stats.inc_value("newscrawl/warc_records")
        request.meta[META_KEY] = position
        return response


class WarcItemMiddleware:
    """Spider middleware: points pages at their response record and records every item."""

    def __init__(self, crawl_warc: _CrawlWarc) -> None:
        self.warc = crawl_warc

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        return cls(_crawl_warc(crawler))

    def process_spider_output(self, response: Response, result: Iterable[Any]) -> Iterator[Any]:
        for output in result:
            yield self._recorded(response, output)

    async def process_spider_output_async(
        self, response: Response, result: AsyncIterator[Any]
    ) -> AsyncIterator[Any]:
        async for output in result:
            yield self._recorded(response, output)

    def _recorded(self, response: Response, output: Any) -> Any:
        if not isinstance(output, _ITEM_TYPES):
            return output
        position: WarcPosition | None = response.meta.get(META_KEY)
        if position is None:
            return output
        if isinstance(output, items.Page) and output.warc_file is None:
            output.warc_file = position.file
            output.warc_offset = position.offset
        if self.warc.failure is not None:
            return output
        try:
            self.warc.files.write_item(output, position, response.url)
        except WarcError as exc:
            # The response record exists, so the item can still be stored; a
            # re-parse just lacks its discovery hints. The crawl stops anyway.
            self.warc.fail(exc)
        return output


# --- reading ------------------------------------------------------------------------


@dataclass(frozen=True)
class ItemRecord:
    """A spider item recorded in a WARC file, and where its response record is."""

    item_type: str  # "Page", "CardViews"
    fields: dict[str, Any]  # JSON values; datetimes as ISO 8601 text
    recorded_at: datetime  # the metadata record's WARC-Date
    response: WarcPosition  # file as the crawl named it, relative to its WARC folder
    source: Path  # the WARC file this metadata record was read from
    uri: str  # the URL fetched (a mirror's, for mirror crawls)

    @property
    def response_path(self) -> Path:
        """The response record's file: a run writes all its files into one folder."""
        return self.source.parent / Path(self.response.file).name

    def item(self, body: bytes | None = None) -> Any:
        """The spider item again; a `Page` needs its `body` (see `page_body`)."""
        cls = getattr(items, self.item_type, None)
        if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
            raise WarcError(f"unknown item type {self.item_type!r} in a WARC metadata record")
        hints = typing.get_type_hints(cls)
        known = {f.name for f in dataclasses.fields(cls)}
        values = {
            name: _from_json(value, hints.get(name))
            for name, value in self.fields.items()
            if name in known
        }
        if cls is items.Page:
            values.update(
                body=body or b"", warc_file=self.response.file, warc_offset=self.response.offset
            )
        return cls(**values)


def warc_files_in(paths: Iterable[str | Path]) -> list[Path]:
    """The .warc.gz files among `paths`, folders searched recursively, sorted by name."""
    found: list[Path] = []
    for path in map(Path, paths):
        if path.is_dir():
            found += [p for p in path.rglob("*.warc.gz") if p.is_file()]
        else:
            found.append(path)
    return sorted(set(found))


def item_records(path: Path) -> Iterator[ItemRecord]:
    """The spider items recorded in one WARC file, in file order.

    A truncated final record (a crawl killed while writing it) ends the
    iteration with a warning; a damaged record elsewhere raises `WarcError`.
    """
    for offset, record in _records(path):
        if record.rec_type != "metadata" or record.content_type != ITEM_RECORD_TYPE:
            continue
        try:
            data = json.loads(record.raw_stream.read())
            where = data["response"]
            yield ItemRecord(
                item_type=data["type"],
                fields=data["fields"],
                recorded_at=_record_date(record),
                response=WarcPosition(
                    file=str(where["file"]),
                    offset=int(where["offset"]),
                    record_id=record.rec_headers.get_header("WARC-Refers-To") or "",
                ),
                source=path,
                uri=record.rec_headers.get_header("WARC-Target-URI") or "",
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WarcError(f"{path}:{offset}: unreadable item record: {exc}") from exc


def record_at(path: Path, offset: int) -> ArcWarcRecord:
    """The record at `offset` of a WARC file (one gzip member)."""
    try:
        with path.open("rb") as stream:
            stream.seek(offset)
            member = next(_gzip_members(stream, offset), None)
    except OSError as exc:
        raise WarcError(f"cannot read {path}: {exc}") from exc
    except _TruncatedMember as exc:
        raise WarcError(f"{path}:{offset}: the record is truncated") from exc
    if member is None:
        raise WarcError(f"{path}:{offset}: no record there (the file ends)")
    return _parsed_record(path, *member)


def page_body(path: Path, offset: int, record_id: str | None = None) -> bytes:
    """The body of the response record at `offset`, as the spider got it (content-decoded)."""
    record = record_at(path, offset)
    if record.rec_type != "response":
        raise WarcError(f"{path}:{offset} is a {record.rec_type} record, not a response")
    found_id = record.rec_headers.get_header("WARC-Record-ID")
    if record_id and found_id != record_id:
        raise WarcError(f"{path}:{offset} holds record {found_id}, not {record_id}")
    encoding = (record.http_headers.get_header("Content-Encoding") or "identity").lower()
    try:
        if encoding in ("identity", *BufferedReader.get_supported_decompressors()):
            return record.content_stream().read()
        if encoding == "zstd" and _zstd is not None:
            # Scrapy asks for zstd when it can decode it; warcio cannot.
            return _zstd.decompress(record.raw_stream.read())
    except (OSError, zlib.error, ValueError, EOFError) as exc:
        raise WarcError(f"{path}:{offset}: cannot decode the body ({exc})") from exc
    raise WarcError(f"{path}:{offset}: cannot decode Content-Encoding {encoding!r}")


class _TruncatedMember(Exception):
    """The file ends inside a gzip member: the writer was killed while writing it."""


def _records(path: Path) -> Iterator[tuple[int, ArcWarcRecord]]:
    """Each record of a gzip WARC file with its offset; a truncated last one is skipped."""
    try:
        with path.open("rb") as stream:
            for offset, data in _gzip_members(stream, 0):
                yield offset, _parsed_record(path, offset, data)
    except _TruncatedMember as exc:
        logger.warning("%s: skipped the truncated final record at offset %s", path, exc)
    except OSError as exc:
        raise WarcError(f"cannot read the WARC file {path}: {exc}") from exc


def _gzip_members(stream: Any, offset: int) -> Iterator[tuple[int, bytes]]:
    """The gzip members from the stream's position (`offset`): each one's offset and data.

    Every record is one member, so member boundaries are record boundaries.
    Raises `_TruncatedMember` (with the member's offset) if the data ends inside one.
    """
    pending = b""
    while True:
        start = offset
        decompressor = zlib.decompressobj(zlib.MAX_WBITS | 16)
        parts: list[bytes] = []
        fed = 0
        while not decompressor.eof:
            data = pending or stream.read(_READ_SIZE)
            pending = b""
            if not data:
                if fed == 0:
                    return
                raise _TruncatedMember(start)
            fed += len(data)
            try:
                parts.append(decompressor.decompress(data))
            except zlib.error as exc:
                raise WarcError(f"offset {start}: not a gzip WARC record ({exc})") from exc
        pending = decompressor.unused_data
        offset = start + fed - len(pending)
        yield start, b"".join(parts)


def _parsed_record(path: Path, offset: int, data: bytes) -> ArcWarcRecord:
    try:
        return _LOADER.parse_record_stream(BytesIO(data), known_format="warc")
    except (ArchiveLoadFailed, ValueError, EOFError) as exc:
        raise WarcError(f"{path}:{offset}: not a WARC record ({exc})") from exc


_LOADER = ArcWarcRecordLoader()
try:  # the zstd module Scrapy decodes with: Python 3.14's, else its backport
    from compression import zstd as _zstd  # type: ignore[import-not-found]
except ImportError:
    try:
        from backports import zstd as _zstd  # type: ignore[import-not-found,no-redef]
    except ImportError:
        _zstd = None
_READ_SIZE = 1 << 20


def _record_date(record: ArcWarcRecord) -> datetime:
    return iso_date_to_datetime(record.rec_headers.get_header("WARC-Date")).replace(tzinfo=UTC)


def _from_json(value: Any, hint: Any) -> Any:
    if isinstance(value, str) and (hint is datetime or datetime in typing.get_args(hint)):
        return parsed_instant(value)
    return value
