"""Issue 19, items 13 and 14: settings that refuse typos, and a crawl that says what it does.

- Unknown ``-a`` names and NEWSCRAWL_* settings, malformed values and a bad
  LOG_LEVEL exit 2 with one line naming them, before anything is fetched.
- `newscrawl crawl` prints each spider's log path as it starts, a progress line
  on a terminal, the command that continues a stopped ``--resume`` crawl; and a
  killed `newscrawl crawl` takes its worker down, which records its own run.
"""

from __future__ import annotations

import os
import pty
import select
import shlex
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from newscrawl.runs.lock import archive_lock
from newscrawl.runs.project import project_settings
from newscrawl.runs.settings_check import (
    VALIDATORS,
    SettingError,
    check_settings,
    known_settings,
)
from newscrawl.testing.demo import demo_site, generated_stories
from newscrawl.testing.mirror import Mirror, Resource
from spiders.arguments import declared_arguments
from spiders.registry import SiteSpiderLoader
from tests.conftest import (
    REPO_ROOT,
    NewscrawlInProcess,
    StartMirror,
    newscrawl_command,
    rows,
    subprocess_env,
)
from tests.test_cron import FAST, crawl_runs, newscrawl

# --- strict configuration: in process, since nothing may start -------------------------


@pytest.mark.parametrize(
    ("option", "message"),
    [
        (["-a", "langauges=uk"], "no argument 'langauges'; did you mean languages?"),
        (["-s", "NEWSCRAWL_WRAC=off"], "WRAC: no such setting; did you mean NEWSCRAWL_WARC?"),
        (["-s", "NEWSCRAWL_WARC=nope"], "NEWSCRAWL_WARC='nope': must be on or off"),
        (["-s", "NEWSCRAWL_MAX_REVISITS=x"], "NEWSCRAWL_MAX_REVISITS='x': not a whole number"),
        (["-s", "NEWSCRAWL_MAX_ERRORS=lots"], "NEWSCRAWL_MAX_ERRORS='lots': not a whole number"),
        (["-s", "NEWSCRAWL_WARC_KEEP_DAYS=soon"], "NEWSCRAWL_WARC_KEEP_DAYS"),
        (["-s", "NEWSCRAWL_REVISITS=daily"], "NEWSCRAWL_REVISITS"),
        (["-s", "NEWSCRAWL_NOW=yesterday"], "NEWSCRAWL_NOW='yesterday'"),
        (["-s", "LOG_LEVEL=LOUD"], "LOG_LEVEL='LOUD': choose among DEBUG, INFO, WARNING"),
    ],
)  # fmt: skip
def test_a_typo_or_a_malformed_value_exits_2_naming_it_before_any_fetch(
    newscrawl_in_process: NewscrawlInProcess,
    start_mirror: StartMirror,
    tmp_path: Path,
    option: list[str],
    message: str,
) -> None:
    mirror = start_mirror(demo_site())
    db = tmp_path / "news.db"

    run = newscrawl_in_process(
        ["crawl", "unn", "--db", str(db), "-a", f"base_url={mirror}", *option]
    )

    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.splitlines() == [run.stderr.strip()]  # one line, no traceback
    assert run.stderr.startswith("newscrawl: ") and message in run.stderr
    assert not mirror.hits and not db.exists() and not (tmp_path / "logs").exists()


def test_the_generic_spider_names_its_arguments_when_one_is_mistyped(
    newscrawl_in_process: NewscrawlInProcess, start_mirror: StartMirror
) -> None:
    mirror = start_mirror(demo_site())

    run = newscrawl_in_process(["crawl", "news", "-a", f"feeed={mirror}/rss/news_uk.xml"])

    assert run.returncode == 2
    assert "the news spider takes no argument 'feeed'; did you mean feed?" in run.stderr
    assert not mirror.hits


def test_crawl_due_refuses_an_unknown_argument_and_setting(
    newscrawl_in_process: NewscrawlInProcess, tmp_path: Path
) -> None:
    args = ["crawl", "--due", "--db", str(tmp_path / "news.db")]

    typo = newscrawl_in_process([*args, "-a", "max_page=2"])
    setting = newscrawl_in_process([*args, "-s", "NEWSCRAWL_DUE_BUGDET=5m"])

    assert typo.returncode == 2 and "did you mean max_pages?" in typo.stderr
    assert setting.returncode == 2 and "did you mean NEWSCRAWL_DUE_BUDGET?" in setting.stderr


def test_an_unknown_newscrawl_environment_variable_exits_2(
    newscrawl_in_process: NewscrawlInProcess, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEWSCRAWL_WRAC", "off")

    run = newscrawl_in_process(["crawl", "unn", "--db", str(tmp_path / "news.db")])

    assert run.returncode == 2
    assert "environment variable NEWSCRAWL_WRAC: no such setting" in run.stderr


def test_a_broken_sources_file_is_one_line_and_exit_2(
    newscrawl_in_process: NewscrawlInProcess, tmp_path: Path
) -> None:
    (tmp_path / "sources.toml").write_text("[[outlet]\nname = 'x'\n", encoding="utf-8")

    run = newscrawl_in_process(["crawl", "unn", "--db", str(tmp_path / "news.db")])

    assert run.returncode == 2, run.stderr
    assert run.stderr.startswith("newscrawl: ") and "sources.toml" in run.stderr
    assert len(run.stderr.splitlines()) == 1


def test_every_newscrawl_setting_has_a_validator_that_takes_its_default() -> None:
    assert set(VALIDATORS) == known_settings()
    check_settings(project_settings(), environment={})  # the defaults pass


# One malformed value per setting: each is refused with the setting's name.
MALFORMED = {
    "NEWSCRAWL_DB": "",
    "NEWSCRAWL_SOURCES": "/no/such/sources.toml",
    "NEWSCRAWL_CONTACT_URL": "me at home",
    "NEWSCRAWL_REVISITS": "24h",
    "NEWSCRAWL_MAX_REVISITS": "-1",
    "NEWSCRAWL_DUE_BUDGET": "soon",
    "NEWSCRAWL_NOW": "2024-13-45",
    "NEWSCRAWL_MAX_ERRORS": "1.5",
    "NEWSCRAWL_LOG_DIR": __file__,
    "NEWSCRAWL_WARC": "nope",
    "NEWSCRAWL_WARC_DIR": __file__,
    "NEWSCRAWL_WARC_MAX_BYTES": "1GB",
    "NEWSCRAWL_WARC_REVISITS": "maybe",
    "NEWSCRAWL_WARC_KEEP_DAYS": "a week",
    "NEWSCRAWL_RETRY_AFTER_MAX": "a minute",
    "NEWSCRAWL_CONDITIONAL": "sometimes",
    "NEWSCRAWL_MANAGED_RUN": "perhaps",
    "NEWSCRAWL_RECORD_RUN": "perhaps",
}


@pytest.mark.parametrize("name", sorted(VALIDATORS))
def test_a_malformed_value_of_each_setting_is_refused_by_name(name: str) -> None:
    settings = project_settings({name: MALFORMED[name]})

    with pytest.raises(SettingError, match=name):
        check_settings(settings, [name], environment={})


def test_scrapy_crawl_spiders_refuse_an_unknown_argument_naming_it() -> None:
    loader = SiteSpiderLoader.from_settings(project_settings())

    with pytest.raises(ValueError, match="no argument 'langauges'; did you mean languages"):
        loader.load("unn")(langauges="uk")
    with pytest.raises(ValueError, match="no argument 'max_page'; did you mean max_pages"):
        loader.load("news")(feed="https://example.com/rss.xml", max_page="2")
    # What each spider declares, read from its __init__ signatures.
    assert declared_arguments(loader.load("unn")) == ("base_url", "languages", "max_pages")
    assert set(declared_arguments(loader.load("news"))) >= {
        "feed", "sitemap", "start", "allow", "deny", "base_url", "max_pages",
    }  # fmt: skip


@pytest.mark.e2e
def test_a_malformed_environment_variable_exits_2_without_a_traceback(tmp_path: Path) -> None:
    run = newscrawl(
        ["crawl", "unn", "--db", str(tmp_path / "news.db")],
        tmp_path,
        env={"NEWSCRAWL_MAX_REVISITS": "x"},
    )

    assert run.returncode == 2
    assert run.stderr == "newscrawl: NEWSCRAWL_MAX_REVISITS='x': not a whole number\n"


# --- feedback ----------------------------------------------------------------------------


def _slow_site(stories: int, delay: float) -> dict[str, Resource]:
    """The demo site with `stories` stories two months old (no revisits), each article
    page answering after `delay` seconds."""
    site = demo_site("s", stories=generated_stories(stories, datetime.now(UTC) - timedelta(60)))
    for path, resource in site.items():
        if "/news/" in path:
            site[path] = Resource(resource.body, resource.content_type, delay=delay)
    return site


def _read_terminal(
    leader: int, process: subprocess.Popen[str], until: bytes | None = None
) -> bytes:
    """What the process writes to its terminal until `until` shows or it has exited."""
    shown = b""
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline and not (until and until in shown):
        try:
            chunk = os.read(leader, 4096) if select.select([leader], [], [], 0.5)[0] else b""
        except OSError:  # EIO: the process and its worker have closed the terminal
            break
        if not chunk and process.poll() is not None:
            break
        shown += chunk
    return shown


def _article_hits(mirror: Mirror) -> int:
    return sum(n for path, n in mirror.hits.items() if path.startswith("/news/"))


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_on_a_terminal_a_crawl_shows_its_log_and_progress_and_how_to_resume(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    mirror = start_mirror(_slow_site(30, delay=1.0))
    db = tmp_path / "news.db"
    args = [
        "crawl", "unn", "--resume", "evening", "--db", str(db),
        "-a", f"base_url={mirror}", "-a", "languages=uk", *FAST,
    ]  # fmt: skip
    leader, follower = pty.openpty()
    first = subprocess.Popen(
        [*newscrawl_command(), *args],
        cwd=tmp_path,
        env=subprocess_env(),
        stdin=subprocess.DEVNULL,
        stdout=follower,
        stderr=subprocess.PIPE,
        text=True,
    )
    os.close(follower)
    shown = _read_terminal(leader, first, until=b"pages/min")
    first.send_signal(signal.SIGINT)
    shown += _read_terminal(leader, first)
    first.wait(timeout=60)
    os.close(leader)
    text = shown.decode()

    lines = [line.split("\r")[-1] for line in text.replace("\x1b[K", "").splitlines()]
    assert lines[0].startswith(f"unn: crawling; log {tmp_path / 'logs'}/unn-"), text
    assert "unn: shutdown, exit 1" in text
    assert any(" pages, " in part and " archived, " in part for part in text.split("\r"))
    continue_line = next(line for line in lines if "to continue, run: " in line)
    command = shlex.split(continue_line.split("to continue, run: ")[1])
    assert command[:5] == ["newscrawl", "crawl", "unn", "--resume", "evening"]

    second = newscrawl(command[1:], tmp_path)

    assert second.returncode == 0, second.stdout + second.stderr
    assert rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] == 30
    assert "pages/min" not in second.stdout  # not a terminal: no progress
    assert "to continue" not in second.stdout


def _children(pid: int) -> list[int]:
    children = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(child) for child in children.read_text().split()]


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except FileNotFoundError:
        return False
    return state not in ("Z", "X")  # a zombie has exited; only nobody reaped it


@pytest.mark.e2e
@pytest.mark.timeout(240)
def test_a_killed_crawl_takes_its_worker_down_and_the_run_is_recorded(
    start_mirror: StartMirror, tmp_path: Path
) -> None:
    mirror = start_mirror(_slow_site(30, delay=1.0))
    db = tmp_path / "news.db"
    command = [
        *newscrawl_command(), "crawl", "unn", "--db", str(db),
        "-a", f"base_url={mirror}", "-a", "languages=uk", *FAST,
    ]  # fmt: skip
    parent = subprocess.Popen(
        command,
        cwd=tmp_path,
        env=subprocess_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    deadline = time.monotonic() + 90
    while _article_hits(mirror) < 4 and time.monotonic() < deadline:
        time.sleep(0.05)
    [worker] = _children(parent.pid)

    parent.kill()  # SIGKILL: it can forward nothing
    killed_at = time.monotonic()
    # The worker holds the same stdout: the pipe ends when it has exited too.
    out, _ = parent.communicate(timeout=60)
    while _running(worker) and time.monotonic() - killed_at < 60:
        time.sleep(0.1)

    assert not _running(worker)
    assert time.monotonic() - killed_at < 30
    with archive_lock(db):  # free
        pass
    [run] = crawl_runs(db)
    assert run["finish_reason"] == "shutdown"
    assert run["articles_new"] == rows(db, "SELECT count(*) AS n FROM articles")[0]["n"] > 0
    assert run["log_file"] and Path(run["log_file"]).is_file()
    assert _article_hits(mirror) < 30  # it stopped rather than crawled on
    # Not a terminal: the log line, and no progress.
    assert out.startswith("unn: crawling; log ") and "pages/min" not in out


@pytest.mark.e2e
@pytest.mark.parametrize(
    ("setting", "said"),
    [
        ("NEWSCRAWL_WRAC=off", "-s NEWSCRAWL_WRAC: no such setting; did you mean NEWSCRAWL_WARC?"),
        ("LOG_LEVEL=LOUD", "LOG_LEVEL='LOUD': choose among"),
        ("NEWSCRAWL_MAX_REVISITS=x", "NEWSCRAWL_MAX_REVISITS"),
    ],
)
def test_scrapy_crawl_refuses_a_typo_or_a_bad_value_before_it_starts(
    tmp_path: Path, setting: str, said: str
) -> None:
    db = tmp_path / "news.db"
    done = subprocess.run(
        [sys.executable, "-m", "scrapy", "crawl", "unn", "-s", setting, "-s", f"NEWSCRAWL_DB={db}"],
        cwd=REPO_ROOT,
        env=subprocess_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 2, done.stderr[-2000:]
    assert said in done.stderr
    assert "Traceback" not in done.stderr
    assert not db.exists()
