"""WARC files: every HTTP response a crawl receives, and every item it yields, kept through warcio.

- `writer`: `WarcFiles`, the numbered, size-rotated gzip WARC files of one crawl.
- `reader`: `item_records`, `record_at`, `page_body`, `warc_files_in`; gzip member scanning.
- `records`: what both agree on: record types, `WarcPosition`, item records as JSON.

The Scrapy middlewares that capture a crawl are in `newscrawl.crawler.warc_capture`.
"""
