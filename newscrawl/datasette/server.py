"""`newscrawl serve`: Datasette on the archive, with the project's metadata.

It runs the `datasette` command line itself, so what it does is exactly a
documented `datasette data/news.db -m .../metadata.yaml --setting ...` line
(`datasette_command` builds it, and `newscrawl serve --print-command` shows it).

The archive is opened the way Datasette opens any database file it is given
without `-i`: read-only (`mode=ro`), not immutable. With the archive in WAL
mode (`Archive` sets it) a crawl can write while Datasette reads, and each
page Datasette renders sees the latest committed crawl.
"""

from __future__ import annotations

import json
import shlex
import sqlite3
import sys
import tempfile
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from sqlite_utils import Database

from newscrawl.archive import migrations

__all__ = [
    "DATABASE_NAME",
    "LOCAL_SETTINGS",
    "PUBLIC_SETTINGS",
    "datasette_command",
    "metadata",
    "metadata_path",
    "pending_migrations",
    "serve",
]

# The database key of metadata.yaml: the name Datasette gives data/news.db.
DATABASE_NAME = "news"

# On an analyst's own machine: arbitrary SQL is the point, and a query over the
# whole archive may take seconds, so allow more than Datasette's 1 s default.
LOCAL_SETTINGS: dict[str, str] = {"sql_time_limit_ms": "10000"}

# A shared deployment: only canned queries and table browsing (no arbitrary
# SQL, which also hides "View and edit SQL"), a time limit that keeps one
# visitor from tying up the server, and no unbounded CSV streams.
# Pages are small, so that a page of long articles stays small in memory: at most
# 100 rows (even with _size=max), 20 by default, and no CSV over 10 MB. Datasette
# builds a JSON page whole, and each of its rows may hold a body of up to
# 500,000 characters (pipelines/validate.py).
# No suggested facets: to suggest them Datasette groups the table by every column
# in turn, body included, which reads every body of the table on each table page.
# The newscrawl plugin (newscrawl/datasette/plugin.py) hides file paths on a
# server with arbitrary SQL off, and cuts any value over 50,000 characters in every
# format (truncate_cells_html cuts what HTML shows further).
PUBLIC_SETTINGS: dict[str, str] = {
    "default_allow_sql": "off",
    "sql_time_limit_ms": "1000",
    "allow_csv_stream": "off",
    "allow_download": "off",
    "max_returned_rows": "100",
    "default_page_size": "20",
    "max_csv_mb": "10",
    "truncate_cells_html": "2000",
    "suggest_facets": "off",
}


def metadata_path() -> Path:
    """The metadata.yaml shipped with the package (database key `news`)."""
    return Path(str(resources.files("newscrawl.datasette").joinpath("metadata.yaml")))


def metadata(database_name: str = DATABASE_NAME) -> dict[str, Any]:
    """The project's Datasette metadata, with its database keyed `database_name`.

    Datasette names a database after its file (news.db is `news`) and finds
    its metadata by that name, so an archive with another file name needs the
    key renamed for its descriptions and queries to apply.
    """
    data: dict[str, Any] = yaml.safe_load(metadata_path().read_text(encoding="utf-8"))
    databases = data["databases"]
    databases[database_name] = databases.pop(DATABASE_NAME)
    return data


def datasette_command(
    db_path: Path,
    metadata_file: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    public: bool = False,
) -> list[str]:
    """The `datasette` command line that serves `db_path` as `newscrawl serve` does."""
    settings = PUBLIC_SETTINGS if public else LOCAL_SETTINGS
    command = ["datasette", "serve", str(db_path), "-m", str(metadata_file)]
    command += ["--host", host, "--port", str(port)]
    for name, value in settings.items():
        command += ["--setting", name, value]
    return command


def pending_migrations(db_path: Path) -> list[str]:
    """The migrations the archive has not had yet, read without writing to it."""
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [m.name for m in migrations.pending(Database(conn))]
    finally:
        conn.close()


@contextmanager
def _metadata_file(database_name: str) -> Iterator[Path]:
    """The packaged metadata.yaml, or a renamed copy that lives while the server runs."""
    if database_name == DATABASE_NAME:
        yield metadata_path()
        return
    with tempfile.TemporaryDirectory(prefix="newscrawl-serve-") as folder:
        path = Path(folder) / "metadata.json"
        path.write_text(json.dumps(metadata(database_name), ensure_ascii=False), "utf-8")
        yield path


def serve(
    db_path: Path,
    *,
    host: str = "127.0.0.1",
    port: int = 8001,
    public: bool = False,
    print_command: bool = False,
) -> int:
    """Run Datasette on the archive until interrupted; the return value is the exit code."""
    if not db_path.is_file():
        print(
            f"newscrawl: no archive at {db_path}; create one with 'newscrawl crawl SPIDER' "
            "or 'newscrawl demo'",
            file=sys.stderr,
        )
        return 1
    try:
        pending = pending_migrations(db_path)
    except sqlite3.Error as exc:
        print(f"newscrawl: cannot read the archive {db_path}: {exc}", file=sys.stderr)
        return 1
    if pending:
        # Serving must not write, so it does not upgrade the archive; the tables
        # of these migrations are missing and the queries on them say so.
        print(
            f"newscrawl: warning: the archive's schema is out of date (pending: "
            f"{', '.join(pending)}); queries on the missing tables will fail until a "
            "crawl upgrades it",
            file=sys.stderr,
        )
    if print_command:
        command = datasette_command(db_path, metadata_path(), host=host, port=port, public=public)
        print(shlex.join(command))
        if db_path.stem != DATABASE_NAME:
            print(
                f"newscrawl: note: the metadata is keyed '{DATABASE_NAME}' and Datasette names "
                f"this archive '{db_path.stem}'; 'newscrawl serve' renames the key for you",
                file=sys.stderr,
            )
        return 0
    with _metadata_file(db_path.stem) as metadata_file:
        command = datasette_command(db_path, metadata_file, host=host, port=port, public=public)
        print(f"Serving {db_path} at http://{host}:{port}/ (stop with Ctrl-C)", flush=True)
        return _run_datasette(command[1:])


def _run_datasette(arguments: Sequence[str]) -> int:
    """Run the `datasette` command line in this process, as its console script would."""
    from datasette.cli import cli

    try:
        cli.main(args=list(arguments), prog_name="datasette", standalone_mode=True)
    except SystemExit as exit_:
        code = exit_.code
        return code if isinstance(code, int) else (0 if code is None else 1)
    return 0
