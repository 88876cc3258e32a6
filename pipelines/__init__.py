"""The item pipelines, in the order ITEM_PIPELINES runs them, and what they share.

- `parse`: a fetched `Page` becomes an `Article` through the parser registry.
- `validate`: drops what is not an article (no headline, no body, ...).
- `normalize`: one spelling for text, lists and URLs.
- `dedupe`: the same content under a second URL is stored once.
- `store`: writes articles, links and view snapshots to the archive in batches.
- `base`, `shared_archive`: the crawler and the one read-write `Archive` they share.
"""
