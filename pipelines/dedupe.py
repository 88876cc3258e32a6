"""Dedupe: the same content under a second URL is stored once."""

from __future__ import annotations

from typing import Any

from scrapy.exceptions import DropItem

from newscrawl.archive import Archive, content_hash
from newscrawl.errors import ArchiveError
from newscrawl.items import Article
from pipelines.base import ArchivePipeline
from pipelines.shared_archive import stop_crawl_for_archive_error


class DedupePipeline(ArchivePipeline):
    """Drops an article whose content is archived under a different URL.

    Such a copy (an AMP page, a URL with parameters the canonical form keeps)
    still shows a view count for the story, so that count is recorded as a
    snapshot of the archived URL, seen on the copy's URL. An article whose own
    URL is archived passes on, for store to update in place.
    """

    def process_item(self, item: Any) -> Any:
        if not isinstance(item, Article):
            return item
        try:
            original_url = self._archived_copy_of(self.archive, item)
            if original_url is None:
                return item
            if item.views is not None:
                self.archive.add_view_snapshot(original_url, item.fetched_at, item.views, item.url)
        except ArchiveError as exc:
            stop_crawl_for_archive_error(self.crawler, exc)
            raise DropItem(f"{item.url}: not stored: {exc}") from exc
        self.crawler.stats.inc_value("newscrawl/duplicates")
        raise DropItem(f"{item.url}: same content as the archived {original_url}", log_level="INFO")

    @staticmethod
    def _archived_copy_of(archive: Archive, article: Article) -> str | None:
        """The other URL this content is archived under, unless the article's URL is archived."""
        original_url = archive.url_with_content(content_hash(article))
        if original_url is None or original_url == article.url:
            return None
        # Rare (a content match), so the extra lookup costs nothing in practice.
        if archive.known_urls([article.url]):
            return None
        return original_url
