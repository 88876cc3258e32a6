"""The generic parser: the fallback for any domain without a site parser.

Each field comes from the signal that is most reliable for it, measured on real
pages (bench/extract_quality.py). The folder holds one module per field reader,
each reading the shared `page.Page` and returning its field:

- `headline`: JSON-LD, og:title, the `<h1>`, twitter:title and `<title>`, cleaned;
- `body`: trafilatura's reading of the visible text, minus what is no article text;
- `links`: the body's inline links and read-also inserts, in page order;
- `dates`: published and modified dates, from ISO values first, the text last;
- `authors`: JSON-LD persons, meta tags, the byline in its many forms;
- `views`: JSON-LD interactionStatistic, `data-*views*` attributes, visible counters;
- `taxonomy`: section and tags.

The language is langdetect's on a bounded prefix of the body, the page's `lang`
when the body is too short. `GenericParser.parse` composes the fields.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import ClassVar

from newscrawl.items import Article
from newscrawl.parsing import urls
from newscrawl.parsing.base import SiteParser
from newscrawl.parsing.generic.authors import authors_of
from newscrawl.parsing.generic.body import body_of
from newscrawl.parsing.generic.dates import modified_date, publication
from newscrawl.parsing.generic.headline import headline_candidates
from newscrawl.parsing.generic.links import links_of
from newscrawl.parsing.generic.page import MetaTags, Page
from newscrawl.parsing.generic.taxonomy import section_of, tags_of
from newscrawl.parsing.generic.views import views_of
from newscrawl.parsing.html import parsed_html
from newscrawl.parsing.jsonld import jsonld_objects, jsonld_text

__all__ = ["GenericParser"]


class GenericParser(SiteParser):
    """Reads any news page from its structured data and its visible text."""

    NAME: ClassVar[str] = "generic"
    VERSION: ClassVar[str] = "5"
    # Any of 55 languages: on 258 real pages 600 characters and 3 trials were as
    # accurate as langdetect's whole text and 7 trials, at less than half the cost.
    LANGUAGE_SAMPLE_CHARS: ClassVar[int] = 600
    LANGUAGE_TRIALS: ClassVar[int | None] = 3

    def parse(self, html: str, url: str, fetched_at: datetime) -> Article:
        page = self.page_of(html, url, fetched_at)
        article_url = self.canonical_url_of_page(page.root, url)
        headlines = headline_candidates(page)
        headline = headlines.chosen()
        page.drop_stacked_articles(headlines.h1)
        published_at, source = publication(page)
        # An outlet's dates share its zone's offset, as a site parser's do.
        published_at = self.local_time(published_at) if published_at else None
        body = body_of(page, headlines.ordered())
        links = links_of(page, body, published_at)
        paragraphs = body.article_paragraphs()
        text = "\n\n".join(paragraphs) or None
        summary = (
            page.meta.first("og:description")
            or page.meta.first("description")
            or jsonld_text(page.ld.get("description"))
        )
        return Article(
            url=article_url,
            site=self.domain or urls.site_of(article_url),
            fetched_at=page.fetched_at,
            headline=headline,
            summary=summary,
            body=text,
            language=self.language_of_text(text or summary or headline, page.declared_language()),
            published_at=published_at,
            published_source=source,
            modified_at=self.local_time(modified)
            if (modified := modified_date(page, published_at))
            else None,
            authors=authors_of(page, paragraphs),
            section=section_of(page),
            tags=tags_of(page),
            views=views_of(page),
            links=links,
            alternates=self.alternates_of_page(page.root, article_url),
        )

    def page_of(self, html: str, url: str, fetched_at: datetime) -> Page:
        """The parsed page that every field reader reads (a naive fetch time taken as UTC)."""
        if fetched_at.tzinfo is None:
            fetched_at = fetched_at.replace(tzinfo=UTC)
        # Comments dropped, as trafilatura's own parser does.
        root = parsed_html(html, comments=False)
        ld_all = jsonld_objects(root)
        ld = self.jsonld_article_among(ld_all)
        return Page(
            root=root,
            url=url,
            fetched_at=fetched_at,
            ld=ld,
            ld_all=ld_all,
            meta=MetaTags(root),
            zone=self.timezone or UTC,
        )
