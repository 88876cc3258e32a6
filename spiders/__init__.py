"""The Scrapy spiders, and what they share.

- `base`: `NewsSiteSpider`, feeds, paged listings and start pages; `sitemaps`: with
  sitemaps too.
- `site`: `SiteSpider`, the spider of one registered outlet, made from its `Site`.
- `pravda`: a site whose crawl needs code no `Site` field says; `news`: the generic
  spider, told where to look on the command line.
- `arguments`: spider arguments (``-a name=value``) split and checked.
- `registry`: the spider loader (one spider per outlet), and the site of each spider.
"""
