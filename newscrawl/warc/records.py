"""What the WARC writer and reader agree on: record types, positions and item records.

Every spider item a crawl yields (`Page` without its body, `CardViews`) is kept as
a `metadata` record whose content type is `ITEM_RECORD_TYPE`: JSON that names the
item's class, holds its fields and points to the response record it came from.
`item_fields` is what the writer puts in that JSON; `item_from_fields` is the item
the reader makes of it again.

An item record has a URI of its own, `item_uri` of its record id
(``urn:newscrawl:item:<uuid>``), so that replay tools, which index records by
their WARC-Target-URI, never take our JSON for the page. The page it describes
is in its WARC-Refers-To (the response record's id), WARC-Refers-To-Target-URI
and WARC-Refers-To-Date. Files written before that gave the item record the
page's URL as its target; readers take both.

A fetch whose payload is byte for byte the payload of an earlier response of the
same URI is a `revisit` record (`REVISIT_PROFILE`): the new HTTP headers, no body.
Besides the standard fields naming the earlier response, it holds where that
response is, in `REFERS_TO_FILE` and `REFERS_TO_OFFSET`, so readers seek to it
without an index.
"""

from __future__ import annotations

import dataclasses
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from newscrawl import items
from newscrawl.errors import WarcError
from newscrawl.timestamps import parsed_instant

__all__ = [
    "ITEM_RECORD_TYPE",
    "ITEM_TYPES",
    "ITEM_URI_PREFIX",
    "METADATA",
    "REFERS_TO_FILE",
    "REFERS_TO_OFFSET",
    "REQUEST",
    "RESPONSE",
    "REVISIT",
    "REVISIT_PROFILE",
    "WarcPosition",
    "item_fields",
    "item_from_fields",
    "item_uri",
]

# The WARC-Type values a crawl writes (besides each file's warcinfo).
RESPONSE = "response"
REQUEST = "request"
METADATA = "metadata"
REVISIT = "revisit"
# WARC 1.1's profile for a revisit whose payload digest equals an earlier record's.
REVISIT_PROFILE = "http://netpreserve.org/warc/1.1/revisit/identical-payload-digest"
# Extension fields of our revisit records: the earlier response's file (a name in
# the same folder) and byte offset. WARC readers ignore fields they do not know.
REFERS_TO_FILE = "Newscrawl-Refers-To-File"
REFERS_TO_OFFSET = "Newscrawl-Refers-To-Offset"
# The WARC-Target-URI of an item record: this prefix and its record's UUID.
ITEM_URI_PREFIX = "urn:newscrawl:item:"
# The Content-Type of our metadata records: one spider item as JSON.
ITEM_RECORD_TYPE = "application/vnd.newscrawl.item+json"
# Items of these types are recorded; their JSON names them by class name.
ITEM_TYPES: tuple[type, ...] = (items.Page, items.CardViews)
# Page fields that come from the response record, not from the item's JSON.
_PAGE_FIELDS_FROM_RECORD = ("body", "warc_file", "warc_offset")
# Values that dataclasses.asdict would copy recursively.
_NESTED = (list, tuple, dict, set)


@dataclass(frozen=True)
class WarcPosition:
    """Where a record is: its file (relative to the WARC folder), offset and record id,
    and its WARC-Date where it is known ("" where not)."""

    file: str
    offset: int
    record_id: str
    date: str = ""


def item_uri(record_id: str) -> str:
    """The WARC-Target-URI of the item record with this WARC-Record-ID (``<urn:uuid:...>``)."""
    return ITEM_URI_PREFIX + record_id.strip("<>").removeprefix("urn:uuid:")


def item_fields(item: Any) -> dict[str, Any]:
    """The item's fields as JSON values (datetimes as ISO 8601), less what the response holds."""
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


def item_from_fields(
    item_type: str, fields: dict[str, Any], response: WarcPosition, body: bytes | None = None
) -> Any:
    """The spider item that `item_fields` recorded; a `Page` gets `body` and `response`'s place.

    Fields the item no longer has are left out. Raises `WarcError` for an unknown item type.
    """
    cls = getattr(items, item_type, None)
    if not (isinstance(cls, type) and dataclasses.is_dataclass(cls)):
        raise WarcError(f"unknown item type {item_type!r} in a WARC metadata record")
    hints = typing.get_type_hints(cls)
    known = {f.name for f in dataclasses.fields(cls)}
    values = {
        name: _from_json(value, hints.get(name)) for name, value in fields.items() if name in known
    }
    if cls is items.Page:
        values.update(body=body or b"", warc_file=response.file, warc_offset=response.offset)
    return cls(**values)


def _from_json(value: Any, hint: Any) -> Any:
    if isinstance(value, str) and (hint is datetime or datetime in typing.get_args(hint)):
        return parsed_instant(value)
    return value
