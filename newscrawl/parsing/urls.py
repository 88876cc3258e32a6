"""URL value parsing shared by all parsers: canonical forms and link resolution.

Links come from hostile pages: a port of 99999 or an unclosed "[" makes urllib
raise (`urlsplit`, `.port`). No helper here raises for such a URL: `absolute_url`
and `http_url` answer None, so one bad link costs that link alone, never the
feed, listing or article that shows it.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

# Query parameters that identify a campaign or a click, never the content.
TRACKING_PARAMS = frozenset(
    {
        "fbclid",
        "gclid",
        "dclid",
        "yclid",
        "msclkid",
        "mc_cid",
        "mc_eid",
        "igshid",
        "ref",
        "ref_src",
        "_ga",
        "amp",
    }
)


def http_url(url: str) -> str | None:
    """`url` if it is an absolute http(s) URL urllib can read whole, else None.

    Readable means a host, a port (if any) from 0 to 65535 and balanced brackets.
    """
    try:
        parts = urlsplit(url)
        parts.port  # noqa: B018 - read for its ValueError on a port out of range
    except ValueError:
        return None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        return None
    return url


def canonical_url(url: str) -> str:
    """The URL with scheme and host lower-cased, no fragment and no tracking parameters.

    A URL urllib cannot read (see `http_url`) is returned stripped but otherwise
    as it is: it has no canonical form, and raising would cost the whole page.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return url.strip()
    query = [
        (key, value)
        for key, value in parse_qsl(parts.query, keep_blank_values=True)
        if key.lower() not in TRACKING_PARAMS and not key.lower().startswith("utm_")
    ]
    host = (parts.hostname or "").lower()
    netloc = host if port is None else f"{host}:{port}"
    return urlunsplit((parts.scheme.lower(), netloc, parts.path or "/", urlencode(query), ""))


def absolute_url(href: str, base: str) -> str | None:
    """The href resolved against the page URL; None for mailto:, javascript: and the like,
    and for a URL urllib cannot read (`http_url`: a port out of range, a stray "[")."""
    href = href.strip()
    if not href or href.startswith("#"):
        return None
    try:
        url = urljoin(base, href)
    except ValueError:
        return None
    return http_url(url)


def site_of(url: str) -> str:
    """The publisher's domain for the `site` field: the host without a leading "www.";
    "" for a URL without a host or one urllib cannot read."""
    try:
        host = (urlsplit(url).hostname or "").lower()
    except ValueError:
        return ""
    return host.removeprefix("www.")


def url_path(href: str) -> str:
    """The path of a link as written (relative or absolute); "" if urllib cannot read it."""
    try:
        return urlsplit(href).path
    except ValueError:
        return ""
