"""A generated UNN-style mirror in a process of its own, for the crawl benchmarks.

    python3 bench/_mirror.py --pages N [--newest ISO]

builds the sample site's markup (`newscrawl.testing.demo.demo_site`) around N generated
stories (`newscrawl.testing.demo.generated_stories`): N article pages, their paged
listings and the RSS feed. It then serves it with `newscrawl.testing.mirror.serve` on
127.0.0.1 and prints one JSON line on stdout, ``{"url": ..., "paths": ...}``,
once it accepts connections. For every line it then reads on stdin it prints
``{"requests": ..., "cpu_s": ...}`` (requests served and its own CPU seconds so
far), so the benchmark can tell whether the server was the bottleneck; it
stops when stdin closes.

A process of its own, so that the server's threads never compete with the
crawl for the crawl's GIL, and its CPU time is never booked to the crawl.
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from newscrawl.testing.demo import demo_site, generated_stories
from newscrawl.testing.mirror import Mirror, Resource, serve


def generated_site(pages: int, newest: datetime) -> dict[str, Resource]:
    """The mirror's resources: `pages` articles, one every 10 minutes back from `newest`."""
    stories = generated_stories(pages, newest, spacing=timedelta(minutes=10))
    return demo_site("bench", stories=stories)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pages", type=int, required=True)
    parser.add_argument("--newest", default=None, help="ISO time of the newest story")
    args = parser.parse_args()
    newest = datetime.fromisoformat(args.newest) if args.newest else datetime.now(UTC)
    started = time.perf_counter()
    site = generated_site(args.pages, newest)
    built = time.perf_counter() - started
    with serve(site) as mirror:
        print(json.dumps({"url": str(mirror), "paths": len(site), "build_s": built}), flush=True)
        # After the build the server only serves: a crawl's share of its CPU
        # time is the difference of the reports before and after it.
        for _line in sys.stdin:  # any line: report; end of input: stop
            print(json.dumps(_served(mirror)), flush=True)
    return 0


def _served(mirror: Mirror) -> dict[str, float]:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return {"requests": sum(mirror.hits.values()), "cpu_s": usage.ru_utime + usage.ru_stime}


if __name__ == "__main__":
    sys.exit(main())
