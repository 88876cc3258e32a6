"""Reading WARC files: the spider items a crawl recorded and the pages they point to.

Every record is one gzip member, so member boundaries are record boundaries:
`record_at` seeks straight to an offset that the archive (`articles.warc_file`,
`warc_offset`) or an item record gives. `item_records` lists the spider items
of a file for `newscrawl reparse`; `page_body` is a response's body as the
spider got it, its content coding removed, following a `revisit` record to the
response that holds its payload. `needed_files` lists the other files a file's
records refer to, for pruning. A truncated final record (a crawl killed while
writing it) is skipped.
"""

from __future__ import annotations

import importlib
import json
import logging
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path
from types import ModuleType
from typing import Any

from warcio.bufferedreaders import BufferedReader
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord, ArcWarcRecordLoader
from warcio.timeutils import iso_date_to_datetime

from newscrawl.errors import WarcError
from newscrawl.warc.folder_index import FileNeed
from newscrawl.warc.records import (
    ITEM_RECORD_TYPE,
    ITEM_URI_PREFIX,
    METADATA,
    REFERS_TO_FILE,
    REFERS_TO_OFFSET,
    RESPONSE,
    REVISIT,
    REVISIT_PROFILE,
    WarcPosition,
    item_from_fields,
)

__all__ = [
    "ItemRecord",
    "item_records",
    "needed_files",
    "page_body",
    "record_at",
    "revisited_position",
    "warc_files_in",
]

logger = logging.getLogger(__name__)


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
        return item_from_fields(self.item_type, self.fields, self.response, body)


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
        if record.rec_type != METADATA or record.content_type != ITEM_RECORD_TYPE:
            continue
        headers = record.rec_headers
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
                    record_id=headers.get_header("WARC-Refers-To") or "",
                    date=headers.get_header("WARC-Refers-To-Date") or "",
                ),
                source=path,
                uri=_page_uri(record),
            )
        except (ValueError, KeyError, TypeError) as exc:
            raise WarcError(f"{path}:{offset}: unreadable item record: {exc}") from exc


def _page_uri(item_record: ArcWarcRecord) -> str:
    """The URL of the page an item record describes.

    Item records have a URI of their own and name the page in
    WARC-Refers-To-Target-URI; files written before that gave them the page's URL.
    """
    target = item_record.rec_headers.get_header("WARC-Target-URI") or ""
    if target.startswith(ITEM_URI_PREFIX):
        return item_record.rec_headers.get_header("WARC-Refers-To-Target-URI") or ""
    return str(target)


def needed_files(path: Path) -> set[FileNeed]:
    """What the records of one WARC file need of other files: revisits' originals and
    item records' responses (see `FolderIndex`). Reads the whole file."""
    needs = set()
    for offset, record in _records(path):
        needed, kind = None, ""
        if record.rec_type == REVISIT:
            needed, kind = record.rec_headers.get_header(REFERS_TO_FILE), "original"
        elif record.rec_type == METADATA and record.content_type == ITEM_RECORD_TYPE:
            try:
                needed, kind = (
                    str(json.loads(record.raw_stream.read())["response"]["file"]),
                    "response",
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise WarcError(f"{path}:{offset}: unreadable item record: {exc}") from exc
        if needed and needed != path.name:
            needs.add(FileNeed(path.name, needed, kind))
    return needs


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


def revisited_position(record: ArcWarcRecord) -> WarcPosition:
    """Where the response holding a revisit record's payload is: its file (a name in the
    revisit's folder), offset and record id. Raises `WarcError` for a revisit we cannot
    follow: another profile, or one without the original's place (another tool's)."""
    headers = record.rec_headers
    profile = headers.get_header("WARC-Profile")
    if profile != REVISIT_PROFILE:
        raise WarcError(f"a revisit record of profile {profile!r}, not {REVISIT_PROFILE}")
    file, offset = headers.get_header(REFERS_TO_FILE), headers.get_header(REFERS_TO_OFFSET)
    if not file or not (offset or "").isdigit():
        raise WarcError(f"a revisit record without {REFERS_TO_FILE} and {REFERS_TO_OFFSET}")
    return WarcPosition(
        file, int(offset), headers.get_header("WARC-Refers-To") or "",
        headers.get_header("WARC-Refers-To-Date") or "",
    )  # fmt: skip


def page_body(path: Path, offset: int, record_id: str | None = None) -> bytes:
    """The body of the response record at `offset`, as the spider got it (content-decoded).

    For a revisit record, the body of the response it refers to: the same payload.
    """
    record = record_at(path, offset)
    if record.rec_type not in (RESPONSE, REVISIT):
        raise WarcError(f"{path}:{offset} is a {record.rec_type} record, not a response")
    found_id = record.rec_headers.get_header("WARC-Record-ID")
    if record_id and found_id != record_id:
        raise WarcError(f"{path}:{offset} holds record {found_id}, not {record_id}")
    if record.rec_type == REVISIT:
        try:
            original = revisited_position(record)
        except WarcError as exc:
            raise WarcError(f"{path}:{offset}: {exc}") from exc
        path, offset = path.parent / original.file, original.offset
        record = _original_record(path, original, record)
    encoding = (record.http_headers.get_header("Content-Encoding") or "identity").lower()
    try:
        if encoding in ("identity", *BufferedReader.get_supported_decompressors()):
            decoded: bytes = record.content_stream().read()
            return decoded
        if encoding == "zstd" and _ZSTD is not None:
            # Scrapy asks for zstd when it can decode it; warcio cannot.
            unpacked: bytes = _ZSTD.decompress(record.raw_stream.read())
            return unpacked
    except (OSError, zlib.error, ValueError, EOFError) as exc:
        raise WarcError(f"{path}:{offset}: cannot decode the body ({exc})") from exc
    raise WarcError(f"{path}:{offset}: cannot decode Content-Encoding {encoding!r}")


def _original_record(path: Path, original: WarcPosition, revisit: ArcWarcRecord) -> ArcWarcRecord:
    """The response record a revisit refers to, checked to be that record with that payload."""
    try:
        record = record_at(path, original.offset)
    except WarcError as exc:
        raise WarcError(f"the response a revisit refers to is gone: {exc}") from exc
    found_id = record.rec_headers.get_header("WARC-Record-ID")
    digest = record.rec_headers.get_header("WARC-Payload-Digest")
    expected = revisit.rec_headers.get_header("WARC-Payload-Digest")
    if record.rec_type != RESPONSE or found_id != original.record_id or digest != expected:
        raise WarcError(
            f"{path}:{original.offset} is not the response {original.record_id} "
            f"with payload {expected} that a revisit refers to"
        )
    return record


class _TruncatedMember(WarcError):
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


def _zstd_module() -> ModuleType | None:
    """The zstd module Scrapy decodes with: Python 3.14's, else its backport, else none."""
    for name in ("compression.zstd", "backports.zstd"):
        try:
            return importlib.import_module(name)
        except ImportError:
            continue
    return None


_LOADER = ArcWarcRecordLoader()
_ZSTD = _zstd_module()
_READ_SIZE = 1 << 20


def _record_date(record: ArcWarcRecord) -> datetime:
    naive: datetime = iso_date_to_datetime(record.rec_headers.get_header("WARC-Date"))
    return naive.replace(tzinfo=UTC)
