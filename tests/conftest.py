"""Shared fixtures: local mirrors of the demo site, real `scrapy crawl` runs against them,
the shared crawls that read-only tests look at, and in-process runs of the `newscrawl` command.

Tests that start crawl, `newscrawl` or Datasette subprocesses are marked `e2e`
(`python -m pytest -m "not e2e"` is the fast loop).
"""

from __future__ import annotations

import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from newscrawl.cli import main
from newscrawl.items import Article, Link
from newscrawl.testing.demo import demo_site
from newscrawl.testing.mirror import Mirror, Resource, serve

if TYPE_CHECKING:
    from tests.analyst_archive import AnalystArchive

# The project root (where scrapy.cfg is), found from this file so the tests run
# from any checkout.
REPO_ROOT = Path(__file__).resolve().parents[1]

# A crawl of the demo site takes a few seconds; a hung one must not stall CI.
CRAWL_TIMEOUT = 180


class CrawlRun(subprocess.CompletedProcess[str]):
    """A finished `scrapy crawl`, with the path and text of its log file."""

    log_path: Path

    @property
    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8") if self.log_path.exists() else ""


# NEWSCRAWL_* variables that configure the tests rather than newscrawl, kept in
# the test process: NEWSCRAWL_REGEN_GOLDEN=1 rewrites every site's golden files
# (tests/site_fixtures.py). Subprocesses get none of them (`subprocess_env`).
TEST_VARIABLES = frozenset({"NEWSCRAWL_REGEN_GOLDEN"})

RunCrawl = Callable[[Sequence[str], Path], CrawlRun]
StartMirror = Callable[[Mapping[str, Resource]], Mirror]


def pytest_configure(config: pytest.Config) -> None:
    """No NEWSCRAWL_* variables in the test process either.

    newscrawl.settings reads them when it is imported, so a developer's own
    settings would otherwise reach every in-process run (`newscrawl_in_process`,
    `reparse_files`, `Archive` defaults), as `subprocess_env` keeps them from
    subprocesses. Test modules are imported after this hook, and with them the
    settings.
    """
    for name in [
        name for name in os.environ if name.startswith("NEWSCRAWL_") and name not in TEST_VARIABLES
    ]:
        del os.environ[name]


@pytest.fixture(autouse=True)
def _site_registry_restored() -> Iterator[None]:
    """Each test starts with the project's site registry active: loading spiders or a
    command's sources file makes another one the process's, for the tests after it too."""
    from newscrawl.runs.project import project_settings
    from newscrawl.sites.registry import activate, registry_of_settings

    registry = activate(registry_of_settings(project_settings()))
    yield
    activate(registry)


@pytest.fixture(autouse=True)
def _subprocesses_only_in_e2e_tests(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A test not marked e2e may start no subprocess, so `-m "not e2e"` stays the fast loop."""
    if request.node.get_closest_marker("e2e") is not None:
        return

    def refuse(self: subprocess.Popen[bytes], args: object, *_: object, **__: object) -> None:
        raise AssertionError(f"this test starts a subprocess, {args!r}: mark it e2e")

    monkeypatch.setattr(subprocess.Popen, "__init__", refuse)


@pytest.fixture
def start_mirror() -> Iterator[StartMirror]:
    """Starts a mirror of the given resources; every mirror stops when the test ends."""
    with ExitStack() as stack:
        yield lambda resources: stack.enter_context(serve(resources))


@pytest.fixture
def demo_mirror(start_mirror: StartMirror) -> Mirror:
    """The demo site (build "demo") on a fresh mirror, so its hit counts are this test's own."""
    return start_mirror(demo_site())


def subprocess_env(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """The environment for a newscrawl subprocess: this checkout importable, and no
    NEWSCRAWL_* variables, so a developer's own settings never reach a test's run.
    `extra` adds variables (a test's own NEWSCRAWL_* settings)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(REPO_ROOT), env.get("PYTHONPATH")]))
    env.update(extra or {})
    return env


def newscrawl_command() -> list[str]:
    """The installed console script beside this interpreter, as the README runs it."""
    script = Path(sys.executable).parent / "newscrawl"
    found = str(script) if script.exists() else shutil.which("newscrawl")
    if found is None:
        pytest.fail("the newscrawl console script is not installed: pip install -e .")
    return [found]


def run_newscrawl(
    args: Sequence[str],
    cwd: Path,
    *,
    env: Mapping[str, str] | None = None,
    timeout: float = CRAWL_TIMEOUT,
) -> subprocess.CompletedProcess[str]:
    """Run the installed `newscrawl` command in `cwd` and wait for it, as cron would.

    The environment is `subprocess_env(env)`; stdout and stderr are captured as text.
    """
    return subprocess.run(
        [*newscrawl_command(), *args],
        cwd=cwd,
        env=subprocess_env(env),
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def crawl(args: Sequence[str], db: Path, spider: str = "unn") -> CrawlRun:
    """Run a real ``scrapy crawl <spider>`` (unn by default) in a subprocess, into `db`.

    `args` are extra command-line arguments, e.g. ``["-a", f"base_url={mirror}"]``.
    Throttling is off so a crawl of the demo takes seconds; the log goes to a
    numbered file beside the archive, the WARC files to `warc/` beside it.
    """
    n = 1
    while (log_path := db.with_name(f"{db.stem}-crawl-{n}.log")).exists():
        n += 1
    command = [
        sys.executable, "-m", "scrapy", "crawl", spider,
        "-s", f"NEWSCRAWL_DB={db}",
        "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0",
        "-s", f"LOG_FILE={log_path}",
        "-s", f"NEWSCRAWL_WARC_DIR={db.parent / 'warc'}",
        *args,
    ]  # fmt: skip
    done = subprocess.run(
        command,
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=CRAWL_TIMEOUT,
        check=False,
    )
    run = CrawlRun(done.args, done.returncode, done.stdout, done.stderr)
    run.log_path = log_path
    return run


@pytest.fixture
def run_crawl() -> RunCrawl:
    """`crawl` as a fixture, for tests that prefer injection over imports."""
    return crawl


@dataclass(frozen=True)
class DemoCrawl:
    """A finished `scrapy crawl unn` of the demo site into a fresh archive.

    `warc_dir` holds the crawl's WARC files; `mirror.hits` counts what the crawl
    asked for (the mirror is stopped, so nothing else adds to it).
    """

    db: Path
    warc_dir: Path
    mirror: Mirror
    run: CrawlRun

    def copy_to(self, folder: Path) -> Path:
        """The path of a copy of the archive in `folder`, its WARC files in `folder / "warc"`
        as `crawl` puts them: for a test that writes to the crawl's archive."""
        db = folder / self.db.name
        source = sqlite3.connect(self.db)
        target = sqlite3.connect(db)
        try:
            source.backup(target)  # a consistent copy, the WAL folded in
        finally:
            source.close()
            target.close()
        shutil.copytree(self.warc_dir, folder / "warc")
        return db


@pytest.fixture(scope="session")
def demo_crawl(tmp_path_factory: pytest.TempPathFactory) -> DemoCrawl:
    """One crawl of the demo site (build "demo", every language) for the whole session.

    Tests only read it; one that writes takes `DemoCrawl.copy_to` first. The
    spider, WARC, reparse and cron tests each began with this same crawl of
    their own.
    """
    db = tmp_path_factory.mktemp("demo-crawl") / "news.db"
    with serve(demo_site()) as mirror:
        run = crawl(["-a", f"base_url={mirror}"], db)
    assert run.returncode == 0, run.log[-3000:]
    return DemoCrawl(db, db.parent / "warc", mirror, run)


@pytest.fixture(scope="session")
def analyst_archive(tmp_path_factory: pytest.TempPathFactory) -> AnalystArchive:
    """The archive of two real `newscrawl crawl` runs (tests/analyst_archive.py), built once
    for the Datasette, serve and browser tests, which only read it."""
    # Imported here: tests.analyst_archive imports this module's helpers.
    from tests.analyst_archive import build_analyst_archive

    return build_analyst_archive(tmp_path_factory.mktemp("analyst"))


@dataclass(frozen=True)
class InProcessRun:
    """The exit code and output of `newscrawl.cli.main`, run in the test's process."""

    returncode: int
    stdout: str
    stderr: str


NewscrawlInProcess = Callable[[Sequence[str]], InProcessRun]


@pytest.fixture
def newscrawl_in_process(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> NewscrawlInProcess:
    """Runs `newscrawl.cli.main(args)` in this process, in the test's `tmp_path`.

    For what the command decides before it starts anything (usage errors, help):
    a subprocess would only add its start-up. argparse's exits count as the
    exit code, as they would for the console script.
    """
    monkeypatch.chdir(tmp_path)
    # Help laid out as the console script lays it out in a pipe, whatever this terminal is.
    monkeypatch.setenv("COLUMNS", "80")

    def run(args: Sequence[str]) -> InProcessRun:
        capsys.readouterr()  # what the test printed before is not the command's
        try:
            code = main(list(args))
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else 0 if stop.code is None else 1
        out, err = capsys.readouterr()
        return InProcessRun(code, out, err)

    return run


def rows(db: Path, sql: str, params: Sequence[object] = ()) -> list[sqlite3.Row]:
    """Query the archive file the way an analyst would: plain sqlite3, read-only."""
    conn = sqlite3.connect(f"{db.resolve().as_uri()}?mode=ro", uri=True)
    conn.row_factory = sqlite3.Row
    try:
        return conn.execute(sql, params).fetchall()
    finally:
        conn.close()


# --- articles ---------------------------------------------------------------------

# When make_article's article was fetched, its URL, and the URL of its read-also link.
ARTICLE_FETCHED_AT = datetime(2024, 5, 1, 9, 0, tzinfo=UTC)
ARTICLE_URL = "https://unn.ua/en/news/kyiv-metro"
ARTICLE_READ_ALSO_URL = "https://unn.ua/en/news/other-story"


def make_article(url: str = ARTICLE_URL, **fields: Any) -> Article:
    """An article of unn.ua as a parser returns it, every field filled; `fields` replace any.

    Fetched at ARTICLE_FETCHED_AT and published 11:30 Kyiv time that morning, it
    has a lead, a body of two paragraphs long enough to pass validation, authors,
    a section, tags, 120 views, a read-also link to ARTICLE_READ_ALSO_URL and an
    inline link, two related cards (the first showing 7 views) and a Ukrainian
    alternate. It was not captured in a WARC file.
    """
    article: dict[str, Any] = {
        "url": url,
        "site": "unn.ua",
        "fetched_at": ARTICLE_FETCHED_AT,
        "headline": "Kyiv metro extends the green line",
        "summary": "Three new stations open next year.",
        "body": "Київ отримає три нові станції метро. " * 5
        + "\n\nThe city council approved the budget on Tuesday.",
        "language": "uk",
        "published_at": datetime(2024, 5, 1, 11, 30, tzinfo=timezone(timedelta(hours=3))),
        "published_source": "jsonld",
        "authors": ["Olena Petrenko"],
        "section": "Society",
        "tags": ["Kyiv", "metro"],
        "views": 120,
        "links": [
            Link(kind="read_also", url=ARTICLE_READ_ALSO_URL, title="Other story", position=0),
            Link(kind="inline", url="https://kyivcity.gov.ua/", position=1),
        ],
        "related": [
            Link(kind="related", url="https://unn.ua/en/news/r1", title="R1", position=0, views=7),
            Link(kind="related", url="https://unn.ua/en/news/r2", title="R2", position=1),
        ],
        "alternates": {"uk": "https://unn.ua/news/kyiv-metro"},
    }
    return Article(**{**article, **fields})


# An article whose body was written before bodies were capped: 23 M characters.
HUGE_URL = "https://unn.ua/news/huge"
HUGE_BODY = "Київ отримає нові станції метро. " * 700_000


@pytest.fixture(scope="module")
def huge_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An archive of 3 articles, one of them (HUGE_URL) with HUGE_BODY as its body."""
    from newscrawl.archive import Archive

    db = tmp_path_factory.mktemp("huge") / "news.db"
    with Archive(db) as archive:
        for n in range(2):
            archive.save(make_article(f"https://unn.ua/news/small-{n}"))
        archive.save(make_article(HUGE_URL))
    with sqlite3.connect(db) as conn:
        conn.execute("update articles set body = ? where url = ?", [HUGE_BODY, HUGE_URL])
    return db
