"""Crawl runs from outside Scrapy: starting them, judging them, scheduling what they fetch.

- `runner`: `crawl_spiders` and `run_spider`, the sequential runner behind `newscrawl crawl`.
- `worker`: one spider run in a process of its own (``python -m newscrawl.runs.worker``).
- `verdict`: `ExitCode` and `CrawlResult`, a run judged from its Scrapy stats.
- `lock`: `archive_lock`, one crawl at a time per archive.
- `clock`: `current_time`, the real time or the one NEWSCRAWL_NOW fixes.
- `project`: `project_settings`, the project's Scrapy settings from any directory.
- `due`: `due_outlets`, which outlets `newscrawl crawl --due` crawls now and in what order,
  and `next_due`, when one is next due (`newscrawl sources`).
- `revisits`: `revisit_schedule`, the age-based revisit rules (NEWSCRAWL_REVISITS).
- `health`: `site_health`, per-site health for `newscrawl status`.
- `reparse`: `newscrawl reparse`, the current parsers over archived WARC records.
- `reparse_selection`: which recorded pages `newscrawl reparse --parser`/`--parser-below` redo.
"""
