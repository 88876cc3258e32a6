"""An archive made the way an analyst's is: two real `newscrawl crawl` runs of the demo site.

Between the runs the mirror turns into "the same site some hours later": every
view count grows by `VIEWS_GAIN` and one article's headline is edited. So the
archive holds snapshot series, an updated article with a superseded version,
and two recorded crawl runs, all written by the real crawler. The Datasette,
serve and browser tests share one (the session fixture `analyst_archive` in
tests/conftest.py), and compute what they expect from the demo stories and from
what the mirror served.
"""

from __future__ import annotations

import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from newscrawl.testing.demo import Version, demo_site, demo_stories
from newscrawl.testing.mirror import Resource, serve
from tests.conftest import REPO_ROOT, run_newscrawl, subprocess_env

VIEWS_GAIN = 500
# Listed first on page 1 of the Ukrainian listing, so the second run fetches it again.
EDITED_STORY = "metro-bridge"
EDIT_SUFFIX = " (оновлено)"
REVISIT_ALL = "10000w:0"
SERVER_START_TIMEOUT = 60


@dataclass(frozen=True)
class AnalystArchive:
    """The archive file and what the second run did."""

    db: Path
    second_run_started: datetime
    # Site paths the second run requested (articles fetched again, listings, feed).
    second_run_paths: frozenset[str]
    edited: Version  # the version whose headline changed before the second run
    edited_headline: str

    def fetched_again(self, version: Version) -> bool:
        return version.path in self.second_run_paths


def newscrawl_crawl(db: Path, base_url: str, *settings: str) -> subprocess.CompletedProcess[str]:
    """`newscrawl crawl unn` into `db` from the mirror at `base_url`, unthrottled.

    `settings` are more NAME=VALUE Scrapy settings.
    """
    args = [
        "crawl", "unn", "--db", str(db), "-a", f"base_url={base_url}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
    ]  # fmt: skip
    for setting in settings:
        args += ["-s", setting]
    return run_newscrawl(args, REPO_ROOT)


def build_analyst_archive(folder: Path) -> AnalystArchive:
    """Crawl the demo site twice into folder/news.db; fails loudly if a crawl fails."""
    db = folder / "news.db"
    edited = next(s for s in demo_stories() if s.id == EDITED_STORY).versions["uk"]
    resources: dict[str, Resource] = dict(demo_site())
    with serve(resources) as mirror:
        first = newscrawl_crawl(db, mirror)
        assert first.returncode == 0, first.stdout + first.stderr
        hits_before = Counter(mirror.hits)
        # The server reads the mapping on every request: the site changes in place.
        resources.update(demo_site(views_offset=VIEWS_GAIN))
        new_headline = edited.headline + EDIT_SUFFIX
        for path in (edited.path, edited.amp_path):
            page = resources[path]
            body = page.body.decode().replace(edited.headline, new_headline).encode()
            resources[path] = Resource(body, page.content_type)
        started = datetime.now(UTC)
        # The demo's articles are from 2024, older than any default revisit age:
        # revisit everything, as a run would for articles a few hours old.
        second = newscrawl_crawl(db, mirror, f"NEWSCRAWL_REVISITS={REVISIT_ALL}")
        assert second.returncode == 0, second.stdout + second.stderr
        again = frozenset(path for path, n in mirror.hits.items() if n > hits_before[path])
    assert edited.path in again, "the edited article must be fetched again"
    return AnalystArchive(db, started, again, edited, new_headline)


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def running_server(command: Sequence[str], port: int) -> Iterator[str]:
    """Run a web server `command` listening on `port`; yields its base URL once it answers."""
    env = subprocess_env()
    base_url = f"http://127.0.0.1:{port}"
    with tempfile.TemporaryFile("w+") as output:
        process = subprocess.Popen(
            command, cwd=REPO_ROOT, env=env, stdout=output, stderr=subprocess.STDOUT, text=True
        )
        try:
            deadline = time.monotonic() + SERVER_START_TIMEOUT
            while True:
                if process.poll() is not None:
                    output.seek(0)
                    raise AssertionError(f"server exited {process.returncode}: {output.read()}")
                try:
                    with urllib.request.urlopen(f"{base_url}/-/versions.json", timeout=5):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise
                    time.sleep(0.2)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def newscrawl_serve(db: Path, port: int, *options: str) -> list[str]:
    """The `newscrawl serve` command line for `db` on `port`."""
    return [
        sys.executable,
        "-m",
        "newscrawl",
        "serve",
        "--db",
        str(db),
        "--port",
        str(port),
        *options,
    ]


def fetch(url: str) -> tuple[int, str]:
    """GET `url`: the status and the body, for error statuses too."""
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
