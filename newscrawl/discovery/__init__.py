"""What spiders read besides article pages: the pure readers behind discovery.

- `feeds`: RSS 2.0 and Atom feeds, each item's link, date and title.
- `sitemaps`: XML sitemaps, sitemap indexes and Google News sitemaps.
- `listings`: listing pages, the XPath of their cards and the view count a card shows.
- `article_urls`: whether a link looks like an article, and a host's registered domain.
"""
