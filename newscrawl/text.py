"""Whitespace folding: one spelling of a text, whichever parser or pipeline made it; and
short one-line excerpts for log lines."""

from __future__ import annotations

__all__ = ["LOG_EXCERPT_CHARS", "folded_text", "log_excerpt"]

# The most of a value (an exception's message, a reason) one log line shows: a
# line must name the problem, never carry a page.
LOG_EXCERPT_CHARS = 300


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


def log_excerpt(value: object, limit: int = LOG_EXCERPT_CHARS) -> str:
    """`str(value)` on one line, cut to at most `limit` characters ("…" marks a cut).

    For log lines and reports about a page: an exception's message may quote the
    page it failed on, megabytes of it on one line.
    """
    # Only the head is folded: folding a whole page to keep 300 characters of it
    # would cost as much as the page.
    text = folded_text(str(value)[: limit * 4])
    return text if len(text) <= limit else text[: limit - 1] + "…"
