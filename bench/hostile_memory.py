"""Peak memory of crawls of hostile pages, against a crawl of normal pages (issue 19, item 1).

    python3 bench/hostile_memory.py [--bombs 4] [--bomb-mb 1024] [--huge-mb 50]

Serves on 127.0.0.1 a feed of `--bombs` gzip bombs (each inflating to
`--bomb-mb` MB), a `--huge-mb` MB page and a normal page, and a second feed of
normal pages only; runs a real `scrapy crawl news -a feed=...` of each in a
process of its own, into fresh archives, and prints each crawl's peak RSS
(from wait4) and the ratio hostile / baseline. Target: the hostile crawl under
400 MB.

The mirror runs in a process of its own (``--serve``): a child's peak RSS counts
the memory its parent had when it forked, and the mirror holds the huge page.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from newscrawl.testing.hostile import HTML, article_page, feed, gzip_bomb, huge_page, paragraphs  # noqa: E402
from newscrawl.testing.mirror import Resource, serve  # noqa: E402

RSS_TARGET_MB = 400


def crawl(feed_url: str, folder: Path) -> tuple[int, float, int]:
    """Exit code, seconds and peak RSS (MB) of a `scrapy crawl news` of `feed_url`."""
    folder.mkdir()
    command = [
        sys.executable, "-m", "scrapy", "crawl", "news", "-a", f"feed={feed_url}",
        "-s", f"NEWSCRAWL_DB={folder / 'news.db'}", "-s", "AUTOTHROTTLE_ENABLED=False",
        "-s", "DOWNLOAD_DELAY=0", "-s", f"LOG_FILE={folder / 'crawl.log'}",
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    started = time.monotonic()
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env)
    _, status, usage = os.wait4(process.pid, 0)
    return os.waitstatus_to_exitcode(status), time.monotonic() - started, usage.ru_maxrss // 1024


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bombs", type=int, default=4)
    parser.add_argument("--bomb-mb", type=int, default=1024)
    parser.add_argument("--huge-mb", type=int, default=50)
    parser.add_argument("--normal", type=int, default=20, help="normal pages of the baseline")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if not args.serve:
        return measure(sys.argv[1:])
    resources: dict[str, Resource] = {}
    normal = {
        f"/news/2025/03/01/normal-{n}/": Resource(
            article_page(f"Звичайна новина {n}", paragraphs(6, n)), HTML
        )
        for n in range(args.normal)
    }
    hostile = {
        f"/news/2025/03/01/bomb-{n}/": gzip_bomb(args.bomb_mb * 2**20) for n in range(args.bombs)
    }
    hostile["/news/2025/03/01/huge/"] = huge_page(args.huge_mb * 2**20)
    first = next(iter(normal))
    hostile["/news/2025/03/02/normal/"] = normal[first]
    resources.update(normal)
    resources.update(hostile)
    print(
        f"{args.bombs} bombs of {len(hostile['/news/2025/03/01/bomb-0/'].body) // 1024} KB "
        f"inflating to {args.bomb_mb} MB each, a {args.huge_mb} MB page, a normal page",
        flush=True,
    )
    with serve(resources) as mirror:
        resources["/baseline.xml"] = feed(mirror, {p: p for p in normal})
        resources["/hostile.xml"] = feed(mirror, {p: p for p in hostile})
        print(mirror, flush=True)
        sys.stdin.read()  # serve until the benchmark closes stdin
    return 0


def measure(options: list[str]) -> int:
    """Start the mirror, crawl both feeds, print the figures; exit 1 over the target."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", *options],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert server.stdout is not None and server.stdin is not None
    print(server.stdout.readline().strip(), flush=True)
    mirror = server.stdout.readline().strip()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for name in ("baseline", "hostile"):
            code, took, peak = crawl(f"{mirror}/{name}.xml", Path(tmp) / name)
            results[name] = peak
            print(f"{name:8}  exit {code}  {took:6.1f} s  peak RSS {peak} MB", flush=True)
    server.stdin.close()
    server.wait()
    ratio = results["hostile"] / results["baseline"]
    verdict = "ok" if results["hostile"] < RSS_TARGET_MB else "OVER TARGET"
    print(f"hostile / baseline peak RSS: {ratio:.2f}  (target < {RSS_TARGET_MB} MB: {verdict})")
    return 0 if results["hostile"] < RSS_TARGET_MB else 1


if __name__ == "__main__":
    sys.exit(main())
