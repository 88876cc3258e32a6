"""Whitespace folding: one spelling of a text, whichever parser or pipeline made it."""

from __future__ import annotations

__all__ = ["folded_text"]


def folded_text(text: str | None) -> str:
    """The text with NBSP and every run of whitespace turned into one space, trimmed.

    Empty input gives "", so callers that store "nothing" as NULL write
    `folded_text(x) or None`.
    """
    if not text:
        return ""
    # str.split() splits on exactly what re's \s matches, NBSP included, and
    # folds and trims in one C call.
    return " ".join(text.split())
