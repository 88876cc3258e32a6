"""newscrawl: a news archive for analysts."""

__version__ = "0.1.0"
