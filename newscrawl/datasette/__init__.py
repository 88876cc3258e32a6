"""Datasette configuration shipped with newscrawl: metadata.yaml (descriptions, queries).

`newscrawl serve` (newscrawl/datasette/server.py) runs Datasette with it; people who run
Datasette themselves pass the file with `-m`.
"""
