"""Scrapy components the project settings turn on: what runs inside a crawl.

- `closing`: `close_spider_soon`, closing the spider from a pipeline, middleware or extension.
- `commands`: project Scrapy commands (`scrapy crawl` keeping repeated ``-a`` arguments).
- `completeness`: `FieldCompleteness`, the per-run count of the fields articles had.
- `lock_and_record`: `DirectRun`, the lock and `crawl_runs` row of a direct `scrapy crawl`.
- `logformatter`: `ConciseLogFormatter`, item log lines that name the page.
- `view_counters`: `CounterViewsMiddleware`, view counts from a site's counter endpoint.
- `warc_capture`: the middlewares that write a crawl's WARC records.
"""
