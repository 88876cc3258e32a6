"""Scrapy settings for newscrawl.

Every NEWSCRAWL_* setting may also be given as an environment variable of the
same name, so cron lines and containers can override them without -s flags.
"""

import os

from newscrawl import __version__

BOT_NAME = "newscrawl"

SPIDER_MODULES = ["spiders"]
NEWSPIDER_MODULE = "spiders"

# --- newscrawl's own settings -------------------------------------------------
# The SQLite archive. Relative paths are relative to the working directory.
NEWSCRAWL_DB = os.environ.get("NEWSCRAWL_DB", "data/news.db")
# Where site operators can find out who is crawling them.
NEWSCRAWL_CONTACT_URL = os.environ.get(
    "NEWSCRAWL_CONTACT_URL", "https://github.com/newscrawl/newscrawl"
)

# --- politeness ---------------------------------------------------------------
USER_AGENT = f"newscrawl/{__version__} (+{NEWSCRAWL_CONTACT_URL})"
ROBOTSTXT_OBEY = True
AUTOTHROTTLE_ENABLED = True
AUTOTHROTTLE_START_DELAY = 1.0
AUTOTHROTTLE_TARGET_CONCURRENCY = 2.0
CONCURRENT_REQUESTS_PER_DOMAIN = 4
DOWNLOAD_TIMEOUT = 30
RETRY_TIMES = 2

# Nothing listens for commands on a cron box.
TELNETCONSOLE_ENABLED = False
REMOTE_CONTROL_ENABLED = False

# --- data flow: page -> parser -> article -> validate -> normalise -> dedupe -> store
ITEM_PIPELINES = {
    "pipelines.parse.ParsePipeline": 100,
    "pipelines.validate.ValidatePipeline": 200,
    "pipelines.normalize.NormalizePipeline": 300,
    "pipelines.dedupe.DedupePipeline": 400,
    "pipelines.store.StorePipeline": 500,
}

LOG_LEVEL = "INFO"
LOG_FORMATTER = "newscrawl.logformatter.ConciseLogFormatter"
FEED_EXPORT_ENCODING = "utf-8"
