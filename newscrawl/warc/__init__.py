"""WARC files: every HTTP response a crawl receives, and every item it yields, kept through warcio.

- `writer`: `WarcFiles`, the numbered, size-rotated gzip WARC files of one crawl,
  unchanged re-fetches written as revisit records.
- `reader`: `item_records`, `record_at`, `page_body` (following revisits),
  `needed_files`, `warc_files_in`; gzip member scanning.
- `records`: what both agree on: record types, `WarcPosition`, item records as JSON.
- `folder_index`: `FolderIndex`, a WARC folder's SQLite index of its latest full
  responses and of what each file needs of the others.
- `retention`: `prune_warc_files`, deleting old files that nothing needs.

The Scrapy middlewares that capture a crawl are in `newscrawl.crawler.warc_capture`.
"""
