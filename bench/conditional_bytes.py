"""Bytes a run on an unchanged site transfers, with conditional requests and without.

    python3 bench/conditional_bytes.py [--pages 200]

A generated UNN-style mirror of N articles (`bench/_mirror.py`'s site, served in
this process, every resource with an ETag and a Last-Modified) is crawled with
``scrapy crawl unn`` into one fresh archive: a first run that archives it, then the
unchanged site again with conditional requests on (feeds and listing pages answer
304) and with ``NEWSCRAWL_CONDITIONAL=off``. The stories are older than the revisit
schedule's last rule, so no article is due again and the later runs fetch only
discovery pages. For each run it prints Scrapy's ``downloader/response_bytes`` (the
responses' headers and bodies as received) and its ratio to the first run's; issue 19
asks for at most 10% with conditional requests on.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import os
import re
import subprocess
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parents[1]
BENCH = Path(__file__).resolve().parent
sys.path.insert(0, str(REPO_ROOT))
sys.path.insert(0, str(BENCH))

from _mirror import generated_site  # noqa: E402

from newscrawl.testing.mirror import Resource, serve  # noqa: E402

LAST_MODIFIED = "Sat, 01 Mar 2025 09:00:00 GMT"
TARGET_RATIO = 0.10


def with_validators(resource: Resource) -> Resource:
    """`resource` with an ETag of its bytes and a fixed Last-Modified."""
    etag = '"' + hashlib.sha256(resource.body).hexdigest()[:16] + '"'
    return dataclasses.replace(resource, etag=etag, last_modified=LAST_MODIFIED)


def response_bytes(base_url: str, db: Path, run: int, *settings: str) -> int:
    """One ``scrapy crawl unn`` of the mirror into `db`; its downloader/response_bytes."""
    log = db.parent / f"crawl-{run}.log"
    command = [
        sys.executable, "-m", "scrapy", "crawl", "unn", "-a", f"base_url={base_url}",
        "-s", f"NEWSCRAWL_DB={db}", "-s", f"NEWSCRAWL_WARC_DIR={db.parent / 'warc'}",
        "-s", "AUTOTHROTTLE_ENABLED=False", "-s", "DOWNLOAD_DELAY=0",
        "-s", f"LOG_FILE={log}",
        *(part for setting in settings for part in ("-s", setting)),
    ]  # fmt: skip
    env = {k: v for k, v in os.environ.items() if not k.startswith("NEWSCRAWL_")}
    done = subprocess.run(command, cwd=REPO_ROOT, env=env, check=False, capture_output=True)
    if done.returncode != 0:
        raise SystemExit(f"the crawl failed ({done.returncode}): {done.stderr.decode()[-2000:]}")
    stats = log.read_text(encoding="utf-8").rsplit("Dumping Scrapy stats:", 1)[-1]
    found = re.search(r"'downloader/response_bytes': (\d+)", stats)
    if found is None:
        raise SystemExit(f"no downloader/response_bytes in {log}")
    return int(found.group(1))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, default=200, help="articles on the mirror")
    args = parser.parse_args()
    # Past the revisit schedule's last rule (30 days): no article is due again.
    newest = datetime.now(UTC) - timedelta(days=60)
    site = {path: with_validators(r) for path, r in generated_site(args.pages, newest).items()}
    with tempfile.TemporaryDirectory() as tmp, serve(site) as mirror:
        db = Path(tmp) / "news.db"
        first = response_bytes(str(mirror), db, 1)
        conditional = response_bytes(str(mirror), db, 2)
        unconditional = response_bytes(str(mirror), db, 3, "NEWSCRAWL_CONDITIONAL=off")
    report = {
        "pages": args.pages,
        "first_run_bytes": first,
        "unchanged_conditional_bytes": conditional,
        "unchanged_unconditional_bytes": unconditional,
        "conditional_ratio": round(conditional / first, 4),
        "unconditional_ratio": round(unconditional / first, 4),
        "target_ratio": TARGET_RATIO,
    }
    print(json.dumps(report, indent=2))
    return 0 if conditional <= TARGET_RATIO * first else 1


if __name__ == "__main__":
    raise SystemExit(main())
