"""Tests that the README's tables still say what the code does.

Each test reads one table of README.md (or the Datasette metadata) and the
code it documents, and fails with what to add to or remove from the README.
The metadata's completeness against a crawled archive is checked in
tests/test_datasette.py, and the `crawl --help` epilog against `ExitCode` in
tests/test_cron.py; these tests do not repeat them.
"""

from __future__ import annotations

import argparse
import ast
import itertools
import re
import sqlite3
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from newscrawl.archive import Archive
from newscrawl.cli import COMMANDS
from newscrawl.datasette.server import metadata
from newscrawl.runs.verdict import ExitCode

ROOT = Path(__file__).parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
SETTINGS_MODULE = ROOT / "newscrawl" / "settings.py"
PIPELINES = ROOT / "pipelines"

# A backtick span, a pipe, or a run of text without either: a table row is split
# on the pipes outside backticks only.
_CELL_PART = re.compile(r"`[^`]*`|\||[^`|]+")
_CODE_SPAN = re.compile(r"`([^`\n]+)`")
_FENCE = re.compile(r"^```[^\n]*\n(.*?)^```", re.M | re.S)
_HEADING = re.compile(r"^(#{1,6}) (.+)$", re.M)
_OPTION = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")


@dataclass(frozen=True)
class MarkdownTable:
    """A Markdown table of README.md: its header cells, its rows, and the heading above it."""

    heading: str
    header: tuple[str, ...]
    rows: tuple[tuple[str, ...], ...]

    def column(self, name: str) -> list[str]:
        index = self.header.index(name)
        return [row[index] for row in self.rows]


def table_cells(line: str) -> tuple[str, ...]:
    """The cells of one `| a | b |` line, split on the pipes outside backticks."""
    cells, cell = [], ""
    for part in _CELL_PART.findall(line.strip().removeprefix("|").removesuffix("|")):
        if part == "|":
            cells.append(cell.strip())
            cell = ""
        else:
            cell += part
    return (*cells, cell.strip())


def markdown_tables(text: str) -> list[MarkdownTable]:
    """Every table in `text`, with the nearest heading above it."""
    tables = []
    heading = ""
    in_code = False
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (match := _HEADING.match(line)):
            heading = match[2]
        is_table = line.startswith("|") and i + 1 < len(lines)
        if is_table and re.fullmatch(r"\|(\s*:?-+:?\s*\|)+", lines[i + 1].strip()):
            header = table_cells(line)
            i += 2
            rows = []
            while i < len(lines) and lines[i].startswith("|"):
                rows.append(table_cells(lines[i]))
                i += 1
            tables.append(MarkdownTable(heading, header, tuple(rows)))
            continue
        i += 1
    return tables


def readme_table(*header: str) -> MarkdownTable:
    """The one README table whose header starts with these cells."""
    found = [t for t in markdown_tables(README) if t.header[: len(header)] == header]
    assert len(found) == 1, f"README.md should have one table headed {' | '.join(header)}"
    return found[0]


def code_spans(cell: str) -> list[str]:
    return _CODE_SPAN.findall(cell)


def readme_headings() -> list[re.Match[str]]:
    """The README's headings (level in group 1, title in group 2), not `#` lines of code."""
    code = [block.span() for block in _FENCE.finditer(README)]
    return [
        heading
        for heading in _HEADING.finditer(README)
        if not any(start <= heading.start() < end for start, end in code)
    ]


def section(heading_pattern: str, *, subsections: bool = True) -> str:
    """The README text under the first heading matching `heading_pattern`."""
    headings = readme_headings()
    for i, here in enumerate(headings):
        if re.search(heading_pattern, here[2]):
            level = len(here[1]) if subsections else 6
            after = [h.start() for h in headings[i + 1 :] if len(h[1]) <= level]
            return README[here.end() : after[0] if after else len(README)]
    raise AssertionError(f"README.md has no heading matching {heading_pattern!r}")


# --- settings -------------------------------------------------------------------------


def setting_defaults() -> dict[str, str | None]:
    """Each NEWSCRAWL_* setting of newscrawl/settings.py and its literal default.

    The default is the one given to `os.environ.get`, or the value itself;
    None where it is computed (`str(10**9)`), so there is nothing to compare.
    """
    defaults: dict[str, str | None] = {}
    for node in ast.parse(SETTINGS_MODULE.read_text(encoding="utf-8")).body:
        if not isinstance(node, ast.Assign) or not isinstance(node.targets[0], ast.Name):
            continue
        name = node.targets[0].id
        if not name.startswith("NEWSCRAWL_"):
            continue
        value = node.value
        for call in ast.walk(node.value):
            if isinstance(call, ast.Call) and ast.unparse(call.func) == "os.environ.get":
                value = call.args[1]
        defaults[name] = str(value.value) if isinstance(value, ast.Constant) else None
    return defaults


def test_settings_table_lists_every_setting_with_its_default() -> None:
    table = readme_table("setting", "default", "meaning")
    documented = {
        code_spans(setting)[0]: code_spans(default)
        for setting, default in zip(table.column("setting"), table.column("default"), strict=True)
    }
    defaults = setting_defaults()
    missing = sorted(set(defaults) - set(documented))
    assert not missing, f"add rows to the README's settings table for {missing}"
    unknown = sorted(set(documented) - set(defaults))
    assert not unknown, f"remove {unknown} from the README's settings table: no such setting"
    for name, default in defaults.items():
        # An empty default means "work it out at run time"; the README says how in words.
        if default:
            shown = documented[name][0] if documented[name] else "no `value`"
            assert shown == default, (
                f"README's settings table: the default of {name} is `{default}`, not {shown}"
            )


# --- exit codes -----------------------------------------------------------------------


def test_exit_code_table_lists_exactly_the_exit_codes() -> None:
    table = readme_table("code", "name (`ExitCode`)", "meaning")
    documented = {
        int(code): code_spans(name)[0]
        for code, name in zip(table.column("code"), table.column("name (`ExitCode`)"), strict=True)
    }
    expected = {int(code): code.name for code in ExitCode}
    assert documented == expected, (
        "the README's exit-code table should list exactly ExitCode's codes and names: "
        f"add {sorted(expected.items() - documented.items())}, "
        f"remove {sorted(documented.items() - expected.items())}"
    )
    assert all(table.column("meaning")), "every exit code needs a meaning in the README"


# --- the archive schema ---------------------------------------------------------------


def archive_columns(db_path: Path) -> dict[str, list[str]]:
    """The tables of a freshly migrated archive and their columns, FTS5's hidden ones too.

    FTS5's shadow tables (articles_fts_data, ...) are its own storage, not the
    archive's interface, and are left out.
    """
    Archive(db_path).close()
    with sqlite3.connect(db_path) as db:
        names = [
            name
            for (name,) in db.execute("select name from sqlite_master where type = 'table'")
            if not re.fullmatch(r"\w+_fts_(data|idx|docsize|config|content)", name)
        ]
        # table_xinfo, not table_info: FTS5's `rank` and its table-named column
        # are queried by analysts, so they are documented like any column.
        return {
            name: [row[1] for row in db.execute(f"pragma table_xinfo([{name}])")] for name in names
        }


@pytest.fixture(scope="module")
def schema(tmp_path_factory: pytest.TempPathFactory) -> dict[str, list[str]]:
    return archive_columns(tmp_path_factory.mktemp("schema") / "news.db")


def readme_schema() -> dict[str, set[str]]:
    """The tables the README's schema section describes: `### \\`name\\`` and its column table."""
    documented: dict[str, set[str]] = {}
    for table in markdown_tables(section(r"^The archive schema$")):
        names = code_spans(table.heading.split(":")[0])
        if names and table.header[0] == "column":
            columns = {span for cell in table.column("column") for span in code_spans(cell)}
            documented.setdefault(names[0], set()).update(columns)
    return documented


def test_schema_section_describes_exactly_the_archive(schema: dict[str, list[str]]) -> None:
    documented = readme_schema()
    missing_tables = sorted(set(schema) - set(documented))
    assert not missing_tables, (
        f"add a '### `TABLE`: ...' heading with a column table to the README's schema "
        f"section for {missing_tables}"
    )
    unknown_tables = sorted(set(documented) - set(schema))
    assert not unknown_tables, f"remove {unknown_tables} from the README's schema: no such table"
    for name, columns in schema.items():
        missing = [column for column in columns if column not in documented[name]]
        assert not missing, f"add rows for {missing} to the README's table of `{name}`"
        unknown = sorted(documented[name] - set(columns))
        assert not unknown, f"remove {unknown} from the README's table of `{name}`: no such column"


def test_metadata_describes_no_table_or_column_the_archive_lacks(
    schema: dict[str, list[str]],
) -> None:
    # The other direction, every table and column described, is
    # tests/test_datasette.py::test_every_table_and_column_is_described.
    described = metadata()["databases"]["news"]["tables"]
    unknown_tables = sorted(set(described) - set(schema))
    assert not unknown_tables, f"remove {unknown_tables} from metadata.yaml: no such table"
    for name, spec in described.items():
        unknown = sorted(set(spec.get("columns", {})) - set(schema[name]))
        assert not unknown, f"remove {unknown} from metadata.yaml's `{name}`: no such column"


# --- drop reasons ---------------------------------------------------------------------


def pipeline_drop_reasons() -> dict[str, str]:
    """Each drop reason the pipelines give, and the pipeline module that gives it.

    The reasons are the string literals passed to the pipelines' `_drop(item,
    reason, message)`, which counts `newscrawl/dropped/<reason>`; read by
    scanning the source, since they are not gathered in one constant.
    """
    reasons: dict[str, str] = {}
    for path in sorted(PIPELINES.glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (
                isinstance(node, ast.Call)
                and isinstance(node.func, ast.Attribute)
                and node.func.attr == "_drop"
            ):
                continue
            reason = node.args[1]
            assert isinstance(reason, ast.Constant) and isinstance(reason.value, str), (
                f"{path.name}:{node.lineno}: give _drop's reason as a string literal, "
                "so tests/test_docs.py can check the README lists it"
            )
            reasons[reason.value] = path.stem
    return reasons


def test_drop_reason_table_lists_exactly_the_pipelines_reasons() -> None:
    table = readme_table("reason", "pipeline")
    documented = {
        code_spans(reason)[0]: pipeline
        for reason, pipeline in zip(table.column("reason"), table.column("pipeline"), strict=True)
    }
    given = pipeline_drop_reasons()
    assert given, "found no _drop(item, reason, message) calls in pipelines/"
    assert documented == given, (
        "the README's drop-reason table should list exactly the pipelines' reasons: "
        f"add {sorted(given.items() - documented.items())}, "
        f"remove {sorted(documented.items() - given.items())}"
    )


# --- command-line options -------------------------------------------------------------


class OptionRecorder(argparse.ArgumentParser):
    """An ArgumentParser that keeps the option strings (`-q`, `--quiet`) it is given."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self.options: set[str] = set()  # before super(), which adds -h/--help
        super().__init__(*args, **kwargs)

    def add_argument(self, *name_or_flags: str, **kwargs: Any) -> argparse.Action:
        self.options.update(flag for flag in name_or_flags if flag.startswith("-"))
        return super().add_argument(*name_or_flags, **kwargs)


def command_options() -> dict[str, set[str]]:
    """Each subcommand's options but -h/--help, from the modules `argument_parser()` assembles.

    A command's own subcommands count as commands of their own: "sources check".
    """
    commands = OptionRecorder(prog="newscrawl").add_subparsers()
    for command in COMMANDS:
        command.add_subparser(commands)
    found: dict[str, set[str]] = {}

    def add(prefix: str, choices: dict[str, OptionRecorder]) -> None:
        for name, parser in choices.items():
            found[prefix + name] = parser.options - {"-h", "--help"}
            for action in parser._actions:
                if isinstance(action, argparse._SubParsersAction):
                    add(f"{prefix}{name} ", action.choices)

    add("", commands.choices)
    return found


def command_of_cell(cell: str) -> str:
    """The command a command-table cell names: "sources check" for `newscrawl sources check`."""
    words = code_spans(cell)[0].split()[1:]
    return " ".join(itertools.takewhile(lambda word: re.fullmatch("[a-z]+", word), words))


def test_command_table_lists_every_option_of_every_command() -> None:
    table = readme_table("command", "options")
    documented = {
        command_of_cell(command): {
            match for span in code_spans(options) for match in _OPTION.findall(span.split()[0])
        }
        for command, options in zip(table.column("command"), table.column("options"), strict=True)
    }
    options = command_options()
    assert set(documented) == set(options), (
        f"the README's command table should have a row for each of {sorted(options)}"
    )
    for name, expected in options.items():
        missing = sorted(expected - documented[name])
        assert not missing, f"add {missing} to the options of `newscrawl {name}` in the README"
        unknown = sorted(documented[name] - expected)
        assert not unknown, f"`newscrawl {name}` has no option {unknown}: remove it from the README"


def readme_command_lines() -> list[tuple[str, str]]:
    """(command, options) of each `newscrawl COMMAND ...` the README shows.

    From the code spans and code blocks that run a command, up to a comment,
    a redirection or a pipe; and the code spans starting with `-` under a
    heading that names the command (`... newscrawl reparse`).
    """
    code = [*_CODE_SPAN.findall(README), *_FENCE.findall(README)]
    # Longest first, so "sources check" is not read as "sources" with an argument.
    command = "|".join(map(re.escape, sorted(command_options(), key=len, reverse=True)))
    shown = [
        (match[1], match[2])
        for text in code
        for match in re.finditer(rf"\bnewscrawl ({command})\b([^#>|;&)\n]*)", text)
    ]
    for heading in readme_headings():
        if named := re.search(rf"`newscrawl ({command})`", heading[2]):
            spans = code_spans(section(re.escape(heading[2]), subsections=False))
            shown += [(named[1], span) for span in spans if span.startswith("-")]
    return shown


def test_every_option_the_readme_shows_exists() -> None:
    options = command_options()
    shown = readme_command_lines()
    assert shown, "found no `newscrawl COMMAND ...` examples in the README"
    for command, text in shown:
        unknown = sorted(set(_OPTION.findall(text)) - options[command] - {"-h", "--help"})
        assert not unknown, (
            f"the README shows `newscrawl {command}` with {unknown}, which it does not have: "
            f"fix `{text.strip()}`"
        )


def test_ci_runs_exactly_the_readme_test_command() -> None:
    # The README opens with two commands: the demo, then the checks and tests.
    blocks = [block.strip() for block in _FENCE.findall(README.split("\n## ", 1)[0])]
    assert len(blocks) == 2, "the README should open with exactly two commands"
    ci = [
        line.strip()
        for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
        if line.strip() and not line.startswith(("#", "set ", "cd "))
    ]
    assert ci == [blocks[1]], "make .ci/run run exactly the README's second command"


def test_the_readme_counts_the_outlets_the_registry_has() -> None:
    from newscrawl.sites.registry import bundled_sites, hand_parsed_sites

    catalogue = len(bundled_sites()) - len(hand_parsed_sites())
    counted = re.findall(r"(\d+) more Ukrainian outlets", README)
    assert counted, "the README no longer counts the catalogue's outlets"
    assert {int(n) for n in counted} == {catalogue}, f"the catalogue has {catalogue} outlets"
