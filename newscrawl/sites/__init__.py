"""The outlets newscrawl crawls: the `Site` declaration, sources files and the registry.

`spec` holds `Site`, one outlet's declaration; `sources` reads outlets from TOML
(the bundled ``catalogue.toml`` and a user's ``sources.toml``); `registry` puts
the hand-parsed sites, the catalogue and the sources file together, for the
spiders (`spiders.registry`), the parsers (`newscrawl.parsing.parser_for`) and
the commands.
"""

from newscrawl.sites.spec import Site

__all__ = ["Site"]
