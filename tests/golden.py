"""Golden files: a parser's reviewed output per fixture and parser version (fundus-style)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any


def assert_matches_golden(produced: dict[str, Any], path: Path, *, regenerate: bool) -> None:
    """`produced` equals the golden file at `path`; with `regenerate`, write it first.

    A regenerated file must be reviewed field by field before it is committed:
    the test then only proves that the parser still says what was reviewed.
    """
    if regenerate:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(produced, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    assert json.loads(path.read_text(encoding="utf-8")) == produced
