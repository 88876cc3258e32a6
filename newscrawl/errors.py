"""Exceptions with a precise meaning, so callers can log a clear reason."""


class NewscrawlError(Exception):
    """Base class for newscrawl's own errors."""


class PageError(NewscrawlError):
    """A fetched page cannot be parsed into an article."""


class TruncatedPage(PageError):
    """The page ends before its closing </html>: the download was cut short."""


class UndecodablePage(PageError):
    """The page bytes cannot be decoded as text in any plausible charset."""


class ArchiveError(NewscrawlError):
    """The archive cannot be opened or written (read-only file, full disk, ...)."""


class WarcError(NewscrawlError):
    """A WARC file cannot be written (full disk, read-only folder) or read."""


class SitemapError(NewscrawlError):
    """The document is not a sitemap (an HTML error page, broken XML, an RSS feed)."""


class SourcesError(NewscrawlError):
    """A sources file or outlet declaration is wrong; the message names file, outlet and field."""
