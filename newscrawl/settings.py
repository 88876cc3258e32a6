"""Scrapy settings for newscrawl.

Every NEWSCRAWL_* setting may also be given as an environment variable of the
same name, so cron lines and containers can override them without -s flags.
They are kept as the text given: `newscrawl.runs.settings_check` checks each one
before a crawl, so a malformed value is a usage error naming the setting rather
than a traceback when this module is imported.
"""

import os

from newscrawl import __version__

BOT_NAME = "newscrawl"

SPIDER_MODULES = ["spiders"]
# Besides those modules' spiders, one per registered outlet (newscrawl.sites).
SPIDER_LOADER_CLASS = "spiders.registry.SiteSpiderLoader"
NEWSPIDER_MODULE = "spiders"
# `scrapy crawl` keeps repeated -a NAME=VALUE arguments (joined by commas).
COMMANDS_MODULE = "newscrawl.crawler.commands"

# --- newscrawl's own settings -------------------------------------------------
# The SQLite archive. Relative paths are relative to the working directory.
NEWSCRAWL_DB = os.environ.get("NEWSCRAWL_DB", "data/news.db")
# The sources file: outlets to add to the bundled ones, or changes to them
# (newscrawl.sites.sources). Empty: sources.toml beside the archive, when there is
# one; a file named here must exist.
NEWSCRAWL_SOURCES = os.environ.get("NEWSCRAWL_SOURCES", "")
# Where site operators can find out who is crawling them.
NEWSCRAWL_CONTACT_URL = os.environ.get(
    "NEWSCRAWL_CONTACT_URL", "https://github.com/newscrawl/newscrawl"
)
# Age-based revisits of archived articles, as AGE:INTERVAL rules (newscrawl.runs.revisits):
# every run under 24 h, daily until 7 days, weekly until 30 days, then never.
NEWSCRAWL_REVISITS = os.environ.get("NEWSCRAWL_REVISITS", "24h:0,7d:1d,30d:7d")
# At most this many revisits per spider run, youngest articles first; the others
# stay due for the next run. 0: no limit. For a busy site crawled every few
# minutes, where "every run while under 24 hours" means its whole day each run.
NEWSCRAWL_MAX_REVISITS = os.environ.get("NEWSCRAWL_MAX_REVISITS", "0")
# The time `newscrawl crawl --due` may spend per run ("10m", "1h", "90s"; --budget).
# Outlets are started only while it lasts, each stopped when it runs out, so one
# slow outlet cannot keep the others waiting; those left over go first next run.
NEWSCRAWL_DUE_BUDGET = os.environ.get("NEWSCRAWL_DUE_BUDGET", "10m")
# Fix the crawl's clock (ISO 8601), for tests and replays; empty means the real time.
NEWSCRAWL_NOW = os.environ.get("NEWSCRAWL_NOW", "")
# `newscrawl crawl` exits non-zero when a spider logs more ERROR lines than this.
NEWSCRAWL_MAX_ERRORS = os.environ.get("NEWSCRAWL_MAX_ERRORS", "0")
# Where `newscrawl crawl` writes one log file per spider run; empty means a
# "logs" folder beside the archive.
NEWSCRAWL_LOG_DIR = os.environ.get("NEWSCRAWL_LOG_DIR", "")
# WARC capture of every response (newscrawl.crawler.warc_capture): "off" disables
# it. The folder defaults to "warc" beside the archive (data/warc for data/news.db),
# so a cron line with --db keeps its WARC files, logs and jobs together wherever it runs.
# A file is rotated once it reaches NEWSCRAWL_WARC_MAX_BYTES; every run starts a new one.
NEWSCRAWL_WARC = os.environ.get("NEWSCRAWL_WARC", "on")
NEWSCRAWL_WARC_DIR = os.environ.get("NEWSCRAWL_WARC_DIR", "")
NEWSCRAWL_WARC_MAX_BYTES = os.environ.get("NEWSCRAWL_WARC_MAX_BYTES", str(10**9))
# An unchanged re-fetch is a WARC revisit record (headers only) referring to the
# earlier response; "off" writes a full copy each time, files that stand alone.
NEWSCRAWL_WARC_REVISITS = os.environ.get("NEWSCRAWL_WARC_REVISITS", "on")
# Days after which a crawl deletes WARC files that neither the archive nor a kept
# file needs (newscrawl.warc.retention); 0 keeps every file.
NEWSCRAWL_WARC_KEEP_DAYS = os.environ.get("NEWSCRAWL_WARC_KEEP_DAYS", "0")

# --- politeness ---------------------------------------------------------------
USER_AGENT = f"newscrawl/{__version__} (+{NEWSCRAWL_CONTACT_URL})"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2
# A request that still fails after its retries is the site being unwell, not a
# bug of ours: Scrapy's "Gave up retrying" line is a WARNING, so it does not count
# towards NEWSCRAWL_MAX_ERRORS; the run exits 7 (ExitCode.SITE_UNWELL) instead.
RETRY_GIVE_UP_LOG_LEVEL = "WARNING"
# The longest wait, in seconds, that a 429 or 503 answer's Retry-After header
# (seconds or an HTTP date) may impose before the request is retried
# (newscrawl.crawler.retry_after); longer ones are cut to it. 0 ignores Retry-After.
NEWSCRAWL_RETRY_AFTER_MAX = os.environ.get("NEWSCRAWL_RETRY_AFTER_MAX", "120")

# Nothing listens for commands on a cron box.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- data flow: page -> parser -> article -> validate -> normalise -> dedupe -> store
# Items and requests of one response processed at once. Our pipelines are
# synchronous, so lanes buy nothing; yet Scrapy starts one asyncio task per
# lane for every response (100 by default), a tenth of a crawl's CPU time.
# A listing page yields about a dozen outputs.
CONCURRENT_ITEMS = 8
ITEM_PIPELINES = {
    # ParsePipeline, on a thread of its own (see the limits below).
    "pipelines.threaded_parse.ThreadedParsePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.normalize.NormalizePipeline": 300,
    "pipelines.dedupe.DedupePipeline": 400,
    "pipelines.store.StorePipeline": 500,
}

# Counts which fields each archived article had (crawl_runs completeness). A run
# started with `scrapy crawl` takes the archive's lock and gets a crawl_runs row,
# as under `newscrawl crawl`, which sets NEWSCRAWL_MANAGED_RUN for its workers.
EXTENSIONS = {
    "newscrawl.crawler.completeness.FieldCompleteness": 500,
    "newscrawl.crawler.lock_and_record.DirectRun": 600,
}
NEWSCRAWL_MANAGED_RUN = False

# View counts from a site's counter endpoint (a spider's `counter_url`), fetched
# before the page reaches the pipelines; see newscrawl.crawler.view_counters.
SPIDER_MIDDLEWARES = {
    "newscrawl.crawler.view_counters.CounterViewsMiddleware": 550,
    # Below the counters, so the items it records carry their counted views.
    "newscrawl.crawler.warc_capture.WarcItemMiddleware": 540,
}
# 950: after the HTTP cache and redirects, right before the download handler, so
# the capture sees every response (counters, robots.txt, 3xx) as it was received.
# 580: below the redirects, so it sees each final response; see
# newscrawl.crawler.conditional. 560: sees a response just before RetryMiddleware
# (550), so a 429 or 503 with Retry-After is retried only once the wait it asks
# for is over.
DOWNLOADER_MIDDLEWARES = {
    "newscrawl.crawler.conditional.ConditionalRequestsMiddleware": 580,
    "newscrawl.crawler.retry_after.RetryAfterMiddleware": 560,
    "newscrawl.crawler.warc_capture.WarcCaptureMiddleware": 950,
}
# Feeds, sitemaps, listings and start pages are requested with the ETag and
# Last-Modified they last sent (If-None-Match, If-Modified-Since), so an unchanged
# one costs a 304; "off" fetches them whole every run.
NEWSCRAWL_CONDITIONAL = os.environ.get("NEWSCRAWL_CONDITIONAL", "on")

LOG_LEVEL = "INFO"
LOG_FORMATTER = "newscrawl.crawler.logformatter.ConciseLogFormatter"
FEED_EXPORT_ENCODING = "utf-8"

# --- limits: what one hostile or broken page may cost -------------------------
# The largest response read, after decompression too (HttpCompressionMiddleware
# stops inflating a gzip bomb at this size): a larger one is abandoned and
# counted as newscrawl/fetch_failed/too_large. News pages are well under 1 MB;
# 8 MiB leaves room for pages with inline images or huge comment threads while
# bounding what one page costs to parse. Sitemaps larger than this are refused too.
DOWNLOAD_MAXSIZE = 8 * 1024 * 1024
# Larger responses are read but logged with a warning.
DOWNLOAD_WARNSIZE = 2 * 1024 * 1024

# Internal, not read from the environment: the project's `scrapy crawl` command
# turns it on, so that only a crawl takes the archive's lock and writes a
# crawl_runs row (newscrawl.crawler.lock_and_record), not `scrapy parse` or
# `scrapy shell`.
NEWSCRAWL_RECORD_RUN = False
