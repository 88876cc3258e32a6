"""How a spider run went: its `ExitCode`, judged from its Scrapy stats by `CrawlResult`.

Scrapy exits 0 even when nothing was archived, so a cron job needs a verdict of
its own. `CrawlResult.verdict` reads what the run achieved (a finish reason,
pages fetched, articles archived, errors logged) and turns it into the exit
code of `newscrawl crawl` and one sentence; `CrawlResult.run_row` is the run as
a `crawl_runs` row. `newscrawl crawl` (`newscrawl.runs.runner`) and a direct
`scrapy crawl` (`newscrawl.crawler.lock_and_record`) judge and record runs alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import datetime
from enum import IntEnum
from pathlib import Path
from typing import Any

from newscrawl.crawler.completeness import (
    ARTICLES_STAT,
    COMPLETENESS_FIELDS,
    FALLBACK_ARTICLES_STAT,
    STATS_PREFIX,
    fallback_counts,
)

__all__ = ["ARTICLE_FETCH_FAILED_STAT", "BUDGET_FINISH_REASON", "CrawlResult", "ExitCode"]

# Article requests that failed for good, by kind (http_404, timeout...), as the
# spiders count them beside newscrawl/fetch_failed/<kind>.
ARTICLE_FETCH_FAILED_STAT = "newscrawl/article_fetch_failed"
# Requests RetryMiddleware gave up on: still failing (5xx, 429, a timeout, a
# dropped connection) after RETRY_TIMES retries.
GAVE_UP_STAT = "retry/max_reached"
# An article that is gone answers these; when every article request does, the
# site (or its mirror) has lost its pages, or moved them.
GONE_STATUSES = (404, 410)

# Scrapy's finish reason for a crawl stopped by CLOSESPIDER_TIMEOUT, the limit
# `newscrawl crawl --due` sets from its time budget.
BUDGET_FINISH_REASON = "closespider_timeout"


class ExitCode(IntEnum):
    """Exit codes of `newscrawl crawl`, for cron and scripts. README lists them too.

    When several apply, the first of this order wins (`CrawlResult.verdict`):
    FAILED_TO_START, NOT_FINISHED, NOTHING_FETCHED, NOTHING_ARCHIVED,
    TOO_MANY_ERRORS, SITE_UNWELL. The site's troubles come last, as they pass
    on their own: an error of ours (a parser bug) is not hidden behind them.
    """

    OK = 0  # every spider finished normally
    # a finish reason other than "finished" (archive_error, shutdown, ...), or the
    # last batch of articles could not be stored
    NOT_FINISHED = 1
    USAGE = 2  # bad command line: unknown spider, malformed -a/-s
    FAILED_TO_START = 3  # the archive could not be opened, or the spider not created
    TOO_MANY_ERRORS = 4  # more ERROR log lines than NEWSCRAWL_MAX_ERRORS
    NOTHING_ARCHIVED = 5  # article pages fetched, none archived: a layout change?
    NOTHING_FETCHED = 6  # every request failed: the site is down or blocks us
    # Some requests still failed after their retries (5xx, 429, timeouts), or
    # every article page was gone (404/410): the site is unwell, not our code
    SITE_UNWELL = 7
    LOCKED = 75  # another run holds the archive's lock (EX_TEMPFAIL: try again later)


@dataclass
class CrawlResult:
    """The outcome of one spider run, read from its Scrapy stats."""

    spider: str
    db_path: Path
    stats: dict[str, Any] = field(default_factory=dict)
    # Why the spider never ran (the archive, the spider's arguments), if it did not.
    start_error: str | None = None
    started_at: datetime | None = None
    finished_at: datetime | None = None
    log_file: Path | None = None
    max_errors: int = 0
    site: str | None = None
    # The run was given a time limit by `newscrawl crawl --due`'s budget: a stop at
    # that limit is the schedule at work, and its walk goes on in the next run.
    budgeted: bool = False

    @property
    def finish_reason(self) -> str:
        return str(self.stats.get("finish_reason", "not started"))

    def count(self, stat: str) -> int:
        return int(self.stats.get(stat, 0) or 0)

    @property
    def ok_responses(self) -> int:
        """Pages fetched with a 2xx status, robots.txt aside: a 404 or a 503 page is no page."""

        def two_hundreds(prefix: str) -> int:
            return sum(int(v or 0) for k, v in self.stats.items() if k.startswith(f"{prefix}/2"))

        return two_hundreds("downloader/response_status_count") - two_hundreds(
            "robotstxt/response_status_count"
        )

    @property
    def archived(self) -> int:
        """Article pages that parsed into articles: stored, or found to be duplicates."""
        return sum(
            self.count(f"newscrawl/{key}")
            for key in ("articles_new", "articles_updated", "articles_unchanged", "duplicates")
        )

    def verdict(self) -> tuple[ExitCode, str]:
        """The exit code of this run and, unless it is OK, why in one sentence.

        Scrapy's own exit status is 0 for most failures; these rules look at
        what the run actually achieved. A budgeted run stopped by its time limit
        is judged like a finished one: the rest of its walk is the next run's.
        """
        if self.start_error is not None or "finish_reason" not in self.stats:
            return ExitCode.FAILED_TO_START, (
                f"could not start: {self.start_error or 'no finish reason; see the log'}"
            )
        detail = self.stats.get("newscrawl/archive_error")
        if self.finish_reason != "finished" and not self.stopped_by_budget:
            return ExitCode.NOT_FINISHED, (
                f"stopped with reason {self.finish_reason!r}" + (f": {detail}" if detail else "")
            )
        if detail:
            # Finished, but the last batch of articles was lost on the way out.
            return ExitCode.NOT_FINISHED, f"the last articles could not be stored: {detail}"
        if not self.ok_responses:
            failed = self.count("newscrawl/fetch_failed")
            return ExitCode.NOTHING_FETCHED, (
                f"no page could be fetched ({self.count('response_received_count')} error "
                f"responses, {self.busy_answers} of them 429 or 503, {failed} failed requests): "
                "is the site down or blocking us?"
            )
        pages = self.count("newscrawl/article_pages")
        if pages and not self.archived:
            return ExitCode.NOTHING_ARCHIVED, (
                f"{pages} article pages fetched but none archived: has the site's layout changed?"
            )
        errors = self.count("log_count/ERROR")
        if errors > self.max_errors:
            return ExitCode.TOO_MANY_ERRORS, (
                f"{errors} errors logged, more than NEWSCRAWL_MAX_ERRORS={self.max_errors}"
            )
        unwell = self._site_unwell()
        if unwell:
            return ExitCode.SITE_UNWELL, f"the site is unwell: {unwell}"
        return ExitCode.OK, ""

    def _site_unwell(self) -> str | None:
        """What went wrong on the site's side in a run that fetched pages, or None.

        Requests that still failed after their retries (their "Gave up retrying"
        line is a WARNING, RETRY_GIVE_UP_LOG_LEVEL), or article requests that
        all found their page gone while none was fetched.
        """
        gave_up = self.count(GAVE_UP_STAT)
        if gave_up:
            kinds = ", ".join(
                f"{key.rsplit('/', 1)[1]} {int(n or 0)}"
                for key, n in sorted(self.stats.items())
                if key.startswith("newscrawl/fetch_failed/")
            )
            return (
                f"{gave_up} requests failed after {self.count('retry/count')} retries"
                + (f" ({kinds})" if kinds else "")
                + f"; {self.busy_answers} answers were 429 or 503"
            )
        gone = sum(self.count(f"{ARTICLE_FETCH_FAILED_STAT}/http_{s}") for s in GONE_STATUSES)
        if gone and not self.count("newscrawl/article_pages"):
            return f"every article page was gone: {gone} answered 404 or 410, none was fetched"
        return None

    @property
    def busy_answers(self) -> int:
        """Responses 429 (too many requests) or 503 (unavailable), retried ones too."""
        return sum(self.count(f"downloader/response_status_count/{s}") for s in (429, 503))

    @property
    def stopped_by_budget(self) -> bool:
        """Whether the run was stopped by the time limit its budget gave it (`budgeted`)."""
        return self.budgeted and self.finish_reason == BUDGET_FINISH_REASON

    @property
    def exit_code(self) -> int:
        return int(self.verdict()[0])

    def summary_line(self) -> str:
        """One line for stdout: the result, what was fetched, what was archived, the log."""
        code, message = self.verdict()
        line = (
            f"{self.spider}: {self.finish_reason}, exit {int(code)}; "
            f"{self.count('response_received_count')} responses, "
            f"{self.count('newscrawl/articles_new')} new, "
            f"{self.count('newscrawl/articles_updated')} updated, "
            f"{self.count('newscrawl/articles_unchanged')} unchanged, "
            f"{self.count('newscrawl/duplicates')} duplicates, "
            f"{self.dropped} dropped, "
            f"{self.count('newscrawl/runs/revisits')} revisits"
        )
        if message:
            line += f"; {message}"
        if self.log_file is not None:
            line += f"; log {self.log_file}"
        return line

    @property
    def dropped(self) -> int:
        # Duplicates are drops to Scrapy, but they are counted on their own.
        return max(self.count("item_dropped_count") - self.count("newscrawl/duplicates"), 0)

    def run_row(self) -> dict[str, Any]:
        """This run as a `crawl_runs` row."""
        code, message = self.verdict()
        articles = self.count(ARTICLES_STAT)
        shares = {
            f"share_{name}": (
                round(self.count(f"{STATS_PREFIX}/{name}") / articles, 4) if articles else None
            )
            for name in COMPLETENESS_FIELDS
        }
        return {
            "spider": self.spider,
            "site": self.site,
            "started_at": _iso(self.started_at),
            "finished_at": _iso(self.finished_at),
            "finish_reason": self.finish_reason,
            "exit_code": int(code),
            "message": message or None,
            "pages_fetched": self.count("response_received_count"),
            "articles_new": self.count("newscrawl/articles_new"),
            "articles_updated": self.count("newscrawl/articles_updated"),
            "articles_unchanged": self.count("newscrawl/articles_unchanged"),
            "duplicates": self.count("newscrawl/duplicates"),
            "dropped": self.dropped,
            "errors": self.count("log_count/ERROR"),
            "fetch_failed": self.count("newscrawl/fetch_failed"),
            "revisits": self.count("newscrawl/runs/revisits"),
            "card_views": self.count("newscrawl/card_views"),
            **shares,
            **self._fallback_shares(articles),
            "log_file": str(self.log_file) if self.log_file else None,
        }

    def _fallback_shares(self, articles: int) -> dict[str, Any]:
        """The run's fallback columns: any field, and each field (a JSON object), 0 to 1."""
        if not articles:
            return {"share_fallback": None, "fallback_shares": None}
        shares = {
            name: round(n / articles, 4) for name, n in sorted(fallback_counts(self.stats).items())
        }
        return {
            "share_fallback": round(self.count(FALLBACK_ARTICLES_STAT) / articles, 4),
            "fallback_shares": json.dumps(shares),
        }


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment is not None else None
