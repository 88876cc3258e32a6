"""The Scrapy spiders, and what they share.

- `base`: `NewsSiteSpider`, feeds and paged listings; `sitemaps`: with sitemaps too.
- `unn`, `pravda`: one module per site; `news`: the generic spider, told where to look.
- `arguments`: spider arguments (``-a name=value``) split and checked.
- `registry`: which spiders the project has, and the site of each.
"""
