"""A front-end redesign, simulated: every class and id renamed, text and DOM kept.

Sites rewrite their front end every year or two, and the new build renames the
CSS classes while the content stays. This transform does exactly that to a
page, so tests and benchmarks can measure what a parser keeps when its class
selectors all miss. Optionally it also drops the page's JSON-LD, the other
thing a redesign often loses.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import cast

import lxml.html

from newscrawl.testing.mirror import Resource

__all__ = ["redesigned_html", "redesigned_site"]

_JSONLD = "application/ld+json"


def redesigned_html(html: str, *, build: str = "redesign", drop_jsonld: bool = False) -> str:
    """The page with every class token and id renamed for the new `build`.

    The same old name always gets the same new name within a build, so the
    page stays consistent with itself (a listing's cards still share a class),
    but no new name contains the old one: a prefix selector cannot match.
    """
    root = lxml.html.document_fromstring(html)
    # "*" is elements only: comments and processing instructions keep their text.
    for element in root.iter("*"):
        classes = element.get("class")
        if classes is not None:
            element.set("class", " ".join(_renamed(token, build) for token in classes.split()))
        if element.get("id") is not None:
            element.set("id", _renamed(element.get("id", ""), build))
        if drop_jsonld and element.tag == "script" and element.get("type") == _JSONLD:
            cast(lxml.html.HtmlElement, element).drop_tree()
    # lxml-stubs lacks DocInfo.doctype, which lxml has.
    doctype = getattr(root.getroottree().docinfo, "doctype", "") or "<!DOCTYPE html>"
    page: str = lxml.html.tostring(root, doctype=doctype, encoding="unicode")
    return page


def redesigned_site(
    resources: Mapping[str, Resource], *, build: str = "redesign", drop_jsonld: bool = False
) -> dict[str, Resource]:
    """A fixture site with every HTML resource redesigned; feeds and the rest unchanged."""
    site: dict[str, Resource] = {}
    for path, resource in resources.items():
        if resource.content_type.startswith("text/html") and resource.truncate_to is None:
            html = redesigned_html(
                resource.body.decode("utf-8"), build=build, drop_jsonld=drop_jsonld
            )
            site[path] = Resource(
                html.encode("utf-8"),
                resource.content_type,
                resource.status,
                delay=resource.delay,
                headers=resource.headers,
            )
        else:
            site[path] = resource
    return site


def _renamed(name: str, build: str) -> str:
    # An opaque name of the new build's own shape ("c" and a short hash), the way
    # a new CSS-module hash or a utility-class framework renames everything.
    digest = hashlib.blake2b(f"{build}/{name}".encode(), digest_size=5).hexdigest()
    return f"c{digest}"
