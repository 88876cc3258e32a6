"""Which rows `newscrawl reparse --parser` and `--parser-below` select, by their `articles.parser`.

The end-to-end runs, on real crawls and their WARC files, are in tests/test_reparse.py.
"""

from __future__ import annotations

import pytest

from newscrawl.runs.reparse_selection import ParserRule, Selection


@pytest.mark.parametrize(
    ("rule", "selected", "not_selected"),
    [
        ("unn", ["unn/1", "unn/2", "UNN/10"], ["generic/5", "unnx/1", None]),
        ("unn/2", ["unn/2"], ["unn/1", "unn/20", "unn/2.1", "generic/2", None]),
    ],
)
def test_parser_selects_the_rows_of_a_parser_or_one_version(
    rule: str, selected: list[str], not_selected: list[str | None]
) -> None:
    parsed = ParserRule.parsed(rule)
    assert [parsed.matches(parser) for parser in selected] == [True] * len(selected)
    assert [parsed.matches(parser) for parser in not_selected] == [False] * len(not_selected)


def test_parser_below_compares_versions_by_number_and_takes_rows_without_provenance() -> None:
    below = ParserRule.parsed("unn/10", below=True)
    assert below.matches("unn/9") and below.matches("unn/2.5")
    assert not below.matches("unn/10") and not below.matches("unn/11")
    assert not below.matches("generic/1")
    # Archived before rows said who made them: older than every recorded version.
    assert below.matches(None)
    dotted = ParserRule.parsed("unn/1.10", below=True)
    assert dotted.matches("unn/1.9") and not dotted.matches("unn/1.10")


@pytest.mark.parametrize(
    ("text", "below"), [("", False), ("unn/", False), ("u n n", False), ("unn", True)]
)
def test_malformed_rules_are_refused(text: str, below: bool) -> None:
    with pytest.raises(ValueError, match="unn/2"):
        ParserRule.parsed(text, below=below)


def test_a_selection_takes_a_row_that_any_rule_names() -> None:
    selection = Selection((ParserRule.parsed("unn/2", below=True), ParserRule.parsed("generic/5")))
    assert selection.selects("unn/1") and selection.selects("generic/5")
    assert not selection.selects("unn/2") and not selection.selects("generic/4")
    assert str(selection) == "below unn/2 or generic/5"
