"""Turning page bytes into text when servers lie about the charset."""

from __future__ import annotations

from charset_normalizer import from_bytes
from w3lib.encoding import (
    html_body_declared_encoding,
    http_content_type_encoding,
    read_bom,
    resolve_encoding,
)

from newscrawl.errors import UndecodablePage


def decoded_html(body: bytes, content_type: str | None = None) -> str:
    """The page as text, in the first charset that decodes it without errors.

    UTF-8 is tried before the declared charsets: bytes that are valid UTF-8 and
    not plain ASCII are UTF-8 with near certainty, while a single-byte charset
    such as windows-1251 "decodes" anything and would turn a mislabelled UTF-8
    page into mojibake. A page whose declared charset fails falls back to the
    other declaration and then to detection, instead of being read as garbage.
    """
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom is not None:  # both are None when there is no BOM
        return body[len(bom) :].decode(bom_encoding, errors="replace")
    candidates = [
        "utf-8",
        http_content_type_encoding(content_type) if content_type else None,
        html_body_declared_encoding(body[:4096]),
    ]
    for name in candidates:
        encoding = resolve_encoding(name) if name else None
        if not encoding:
            continue
        try:
            return body.decode(encoding)
        except (UnicodeDecodeError, LookupError):
            continue
    best = from_bytes(body).best()
    if best is None:
        raise UndecodablePage("no charset decodes the page")
    return str(best)
