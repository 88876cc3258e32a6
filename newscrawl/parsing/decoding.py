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
    page into mojibake. So are bytes that are UTF-8 but for a few stray bytes
    (`_mostly_utf8`): they are read as UTF-8 with U+FFFD for each stray byte. A
    page whose declared charset fails falls back to the other declaration and
    then to detection, instead of being read as garbage. Raises `UndecodablePage`
    when nothing decodes it.
    """
    bom_encoding, bom = read_bom(body)
    if bom_encoding and bom is not None:  # both are None when there is no BOM
        return body[len(bom) :].decode(bom_encoding, errors="replace")
    lossy = _mostly_utf8(body)
    if lossy is not None:
        return lossy
    candidates = [
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


# At most one stray byte per this many well-formed non-ASCII characters: a
# windows-1251 page read as UTF-8 has a stray byte for nearly every letter.
_CHARACTERS_PER_STRAY_BYTE = 10


def _mostly_utf8(body: bytes) -> str | None:
    """The page as UTF-8 if it is, but for a few stray bytes (each one U+FFFD); else None.

    A single stray byte (a truncated multi-byte character, a `\\xff` from a broken
    template) must not cost a Ukrainian page written in UTF-8: no other charset
    reads it, and detection gives up on it.
    """
    try:
        return body.decode("utf-8")
    except UnicodeDecodeError:
        pass
    text = body.decode("utf-8", errors="replace")
    stray = text.count("\ufffd")
    # Counted in C: the characters encoding to ASCII are the ones left out.
    well_formed = len(text) - len(text.encode("ascii", "ignore")) - stray
    if well_formed and stray * _CHARACTERS_PER_STRAY_BYTE <= well_formed:
        return text
    return None
