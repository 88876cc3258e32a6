"""Writing WARC files: `WarcFiles`, the numbered, size-rotated gzip WARC files of one crawl.

Files are ``<prefix>-<UTC start time>-<pid>-<serial>.warc.gz`` in one folder; each
crawl run starts a new file, and a file is closed for the next serial once it
reaches `max_bytes` (a file can exceed it by one response). Each file begins
with a `warcinfo` record. Records are written whole, one gzip member each,
straight to the OS (no Python buffer): a killed crawl loses at most the record
being written, which readers skip. There is no fsync per record; a power cut
can lose more.

A response is kept as the HTTP client delivered it: still content-encoded
(gzip, br) as the server sent it, with the headers that say so. Only the
chunked transfer coding is gone (the client removes it), so the
`Transfer-Encoding` header is left out of the record. Readers decode the
content coding (`newscrawl.warc.reader.page_body`).

A write that fails (full disk, read-only folder) cuts the file back to its
last whole record and raises `WarcError`.

Given a `FolderIndex`, a fetch whose payload equals that of the latest full
response of its URI becomes a `revisit` record (headers only), and each full
response is indexed in turn; what the current file's records need of other
files is indexed when it is closed. Without an index (or with `revisits` off),
every fetch is a full `response` record. A revisit never refers to a response
older than `refer_within`, nor to one whose file is gone: a full copy is
written instead, which later revisits refer to. So in a pruned folder (see
`newscrawl.warc.retention`) revisits keep a file at most `refer_within` longer.
"""

from __future__ import annotations

import gzip
import json
import logging
import os
import socket
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from http import HTTPStatus
from io import BytesIO, FileIO
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.http import Response
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date, iso_date_to_datetime
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from newscrawl import __version__
from newscrawl.errors import WarcError
from newscrawl.warc.folder_index import FileNeed, FolderIndex, Original
from newscrawl.warc.records import (
    ITEM_RECORD_TYPE,
    METADATA,
    REFERS_TO_FILE,
    REFERS_TO_OFFSET,
    REQUEST,
    RESPONSE,
    REVISIT_PROFILE,
    WarcPosition,
    item_fields,
    item_uri,
)

__all__ = ["WarcFiles"]

logger = logging.getLogger(__name__)

WARC_VERSION = "1.1"
# Level 6 compresses HTML nearly as well as warcio's 9 at a fraction of the CPU.
GZIP_LEVEL = 6
_REASONS = {status.value: status.phrase for status in HTTPStatus}
# Full responses indexed at once, besides those indexed when a file is closed.
_INDEX_BATCH = 500
_T = TypeVar("_T")


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
        *,
        index: FolderIndex | None = None,
        revisits: bool = True,
        refer_within: timedelta | None = None,
    ) -> None:
        self.directory = Path(directory)
        self.index = index
        self.revisits = revisits and index is not None
        self.refer_within = refer_within
        # What the records of the current file need of other files, recorded
        # in the index when the file is complete.
        self._needs: set[FileNeed] = set()
        # Full responses not yet indexed, by URI: the index is written in
        # batches, so that it costs neither a commit per response nor, on the
        # WARC folder's disk, a growing journal.
        self._unindexed: dict[str, Original] = {}
        started = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        self._stem = f"{prefix}-{started}-{os.getpid()}"
        self.max_bytes = max_bytes
        self._info = info or {}
        self._builder = WARCWriter(None, gzip=False, warc_version=WARC_VERSION)
        self._serial = -1
        self._file: FileIO | None = None  # unbuffered: every write goes straight to the OS
        self._name = ""
        self._size = 0
        self._header_size = 0
        self.written: list[Path] = []

    # --- records ----------------------------------------------------------------

    def write_exchange(
        self, request: Request, response: Response, fetched_at: datetime
    ) -> WarcPosition:
        """Write the response (or a revisit) and its request; the position of the first."""
        date = _warc_date(fetched_at)
        digest = _payload_digest(response.body)
        original = self._original_to_refer_to(response.url, digest, fetched_at)
        warc_headers = {"WARC-Date": date, "WARC-Payload-Digest": digest}
        ip_address = getattr(response, "ip_address", None)
        if ip_address is not None:
            warc_headers["WARC-IP-Address"] = str(ip_address)
        http_headers = _response_headers(response)
        if original is None:
            response_record = self._record(
                response.url, RESPONSE, response.body, warc_headers, http_headers
            )
        else:
            response_record = self._revisit_record(
                response.url, original, warc_headers, http_headers
            )
        response_id = response_record.rec_headers.get_header("WARC-Record-ID")
        request_record = self._record(
            response.url,
            REQUEST,
            request.body,
            {"WARC-Date": date, "WARC-Concurrent-To": response_id},
            _request_headers(request),
        )
        file, offsets = self._write([response_record, request_record])
        position = WarcPosition(file, offsets[0], response_id, date)
        if original is not None:
            if original.file != file:
                self._needs.add(FileNeed(file, original.file, "original"))
        elif self.index is not None and response.body:
            self._unindexed[response.url] = Original(
                response.url, digest, response_id, date, file, offsets[0]
            )
            if len(self._unindexed) >= _INDEX_BATCH:
                self._index_originals()
        return position

    def write_item(self, item: Any, response: WarcPosition, uri: str) -> WarcPosition:
        """Write a spider item as a metadata record referring to its response record.

        `uri` is the response record's WARC-Target-URI; the item record gets one of
        its own (`item_uri`), and `response.date`, when known, is its WARC-Refers-To-Date.
        """
        payload = json.dumps(
            {
                "type": type(item).__name__,
                "fields": item_fields(item),
                "response": {"file": response.file, "offset": response.offset},
            },
            ensure_ascii=False,
            sort_keys=True,
        ).encode("utf-8")
        record_id = f"<urn:uuid:{uuid.uuid4()}>"
        warc_headers = {
            "WARC-Record-ID": record_id,
            "WARC-Date": _warc_date(datetime.now(UTC)),
            "WARC-Refers-To": response.record_id,
            "WARC-Refers-To-Target-URI": uri,
        }
        if response.date:
            warc_headers["WARC-Refers-To-Date"] = response.date
        record = self._record(
            item_uri(record_id), METADATA, payload, warc_headers, content_type=ITEM_RECORD_TYPE
        )
        file, offsets = self._write([record])
        if file != response.file:
            self._needs.add(FileNeed(file, response.file, "response"))
        return WarcPosition(file, offsets[0], record_id)

    def close(self) -> None:
        """Close the current file; the next record would start a new one."""
        if self._file is not None:
            self._file.close()
            self._file = None
            name, needs = self._name, self._needs
            self._needs = set()
            self._index_originals()
            self._indexed(lambda index: index.add_file(name, needs))

    def _index_originals(self) -> None:
        originals = list(self._unindexed.values())
        self._unindexed.clear()
        if originals:
            self._indexed(lambda index: index.add_originals(originals))

    def _original_to_refer_to(self, uri: str, digest: str, fetched_at: datetime) -> Original | None:
        """The indexed response with this payload that a revisit may refer to, if any.

        An empty payload is always written out: a revisit would save nothing.
        """
        if not self.revisits or digest == _EMPTY_DIGEST:
            return None
        original = self._unindexed.get(uri) or self._indexed(lambda index: index.original(uri))
        if original is None or original.digest != digest:
            return None
        if not (self.directory / original.file).is_file():
            return None
        if self.refer_within is not None:
            written: datetime = iso_date_to_datetime(original.date).replace(tzinfo=UTC)
            if fetched_at - written > self.refer_within:
                return None
        return original

    def _indexed(self, operation: Callable[[FolderIndex], _T]) -> _T | None:
        """`operation(index)`; if the index fails, say so once and write without it.

        The index is a cache: without it every fetch is a full record and files
        are left unknown to it, which pruning reads for itself.
        """
        if self.index is None:
            return None
        try:
            return operation(self.index)
        except (sqlite3.Error, OSError) as exc:
            logger.warning(
                "the WARC folder index %s failed (%s); writing full records without it",
                self.index.path,
                exc,
            )
            self.index.close()
            self.index = None
            self.revisits = False
            return None

    def _revisit_record(
        self,
        uri: str,
        original: Original,
        warc_headers: dict[str, str],
        http_headers: StatusAndHeaders,
    ) -> ArcWarcRecord:
        """A revisit of `original`'s payload: this fetch's HTTP headers, no body."""
        revisit: ArcWarcRecord = self._builder.create_revisit_record(
            uri,
            original.digest,
            original.uri,
            original.date,
            http_headers=http_headers,
            warc_headers_dict={
                **{k: v for k, v in warc_headers.items() if k != "WARC-Payload-Digest"},
                "WARC-Refers-To": original.record_id,
                # WARC 1.1: the block is the response cut short of its payload.
                "WARC-Truncated": "length",
                REFERS_TO_FILE: original.file,
                REFERS_TO_OFFSET: str(original.offset),
            },
        )
        # Older warcio versions name WARC 1.0's profile whatever the version.
        revisit.rec_headers.replace_header("WARC-Profile", REVISIT_PROFILE)
        return revisit

    def _record(
        self,
        uri: str,
        record_type: str,
        content: bytes,
        warc_headers: dict[str, str],
        http_headers: StatusAndHeaders | None = None,
        content_type: str = "",
    ) -> ArcWarcRecord:
        """A record of `content`: an HTTP message's body under `http_headers`, or a payload.

        An empty `content_type` lets warcio pick the one of the record type.
        """
        return self._builder.create_warc_record(
            uri,
            record_type,
            payload=BytesIO(content),
            length=len(content),
            warc_content_type=content_type,
            warc_headers_dict=warc_headers,
            http_headers=http_headers,
        )

    # --- files ------------------------------------------------------------------

    def _write(self, records: list[ArcWarcRecord]) -> tuple[str, list[int]]:
        """Write records back to back in one file: its name and each record's offset."""
        members = [self._member(record) for record in records]
        too_big = self._size + sum(map(len, members)) > self.max_bytes
        # A file holds at least one record besides its warcinfo, however large,
        # so an oversized response cannot make rotation loop.
        file = self._file
        if file is None or (too_big and self._size > self._header_size):
            file = self._next_file()
        offsets = []
        start = self._size
        try:
            for member in members:
                offsets.append(self._size)
                _write_all(file, member)
                self._size += len(member)
        except OSError as exc:
            self._cut_back(start)
            raise WarcError(f"cannot write the WARC file {self._path()}: {exc}") from exc
        return self._name, offsets

    def _next_file(self) -> FileIO:
        """Close the current file and start the next, with its warcinfo record; the new file."""
        self.close()
        self._serial += 1
        self._name = f"{self._stem}-{self._serial:05d}.warc.gz"
        try:
            self.directory.mkdir(parents=True, exist_ok=True)
            # "x": never append to or overwrite a file another run wrote.
            file = self._file = FileIO(self._path(), "xb")
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
            _write_all(file, member)
        except OSError as exc:
            self._cut_back(0)
            raise WarcError(f"cannot write the WARC file {self._path()}: {exc}") from exc
        self._size = self._header_size = len(member)
        return file

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


def _write_all(file: FileIO, data: bytes) -> None:
    view = memoryview(data)
    while view:
        written = file.write(view)
        view = view[written:]


def _payload_digest(body: bytes) -> str:
    """The WARC-Payload-Digest warcio writes for this body (SHA-1, base 32)."""
    digester = Digester("sha1")
    digester.update(body)
    return str(digester)


_EMPTY_DIGEST = _payload_digest(b"")


def _warc_date(moment: datetime) -> str:
    naive_utc = moment.astimezone(UTC).replace(tzinfo=None)
    date: str = datetime_to_iso_date(naive_utc, use_micros=True)
    return date


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
