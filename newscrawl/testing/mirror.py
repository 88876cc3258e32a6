"""A local HTTP server for fixture sites: the demo, the tests and the benchmarks.

A site is a mapping from request path (with the query string exactly as the
client sends it, e.g. ``/news?page=2``) to a `Resource`. Unknown paths get a
404. Resources can inject faults a crawler must survive: a delay before the
answer and a body cut short after its headers promised more.
"""

from __future__ import annotations

import logging
import threading
from collections import Counter
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

__all__ = ["Mirror", "Resource", "serve"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Resource:
    """One response of a fixture site."""

    body: bytes
    content_type: str
    status: int = 200
    # Fault injection: announce the full Content-Length but close the
    # connection after this many bytes, as a dropped connection would.
    truncate_to: int | None = None
    # Seconds to wait before answering, to provoke client timeouts.
    delay: float = 0.0
    # More response headers, e.g. (("Content-Encoding", "gzip"),) for a body
    # that is already gzip-compressed.
    headers: tuple[tuple[str, str], ...] = ()
    # Validators, sent as ETag and Last-Modified (an HTTP date). With either set, a
    # request whose If-None-Match (or, without one, If-Modified-Since) matches gets
    # a 304 without a body, as a server with conditional requests answers.
    etag: str | None = None
    last_modified: str | None = None


class Mirror(str):
    """The base URL of a running mirror, e.g. ``http://127.0.0.1:8123``.

    It is a `str` so it drops into f-strings and ``-a base_url=...`` as is,
    and it also carries what tests want to inspect: how often each path was
    requested (`hits`), and the served mapping (`resources`; the server reads
    it on every request, so changing it changes the site while it runs).
    """

    hits: Counter[str]
    resources: Mapping[str, Resource]

    def __new__(
        cls, url: str, resources: Mapping[str, Resource], hits: Counter[str] | None = None
    ) -> Mirror:
        mirror = super().__new__(cls, url)
        # The server's own counter, so the counts are live while it runs.
        mirror.hits = Counter() if hits is None else hits
        mirror.resources = resources
        return mirror

    def hits_under(self, prefix: str) -> dict[str, int]:
        """Request counts of the paths starting with `prefix`."""
        return {path: n for path, n in self.hits.items() if path.startswith(prefix)}


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    # Tests restart mirrors quickly; don't wait for TIME_WAIT sockets.
    allow_reuse_address = True

    def __init__(
        self, address: tuple[str, int], resources: Mapping[str, Resource], hits: Counter[str]
    ) -> None:
        super().__init__(address, _Handler)
        self.resources = resources
        self.hits = hits
        self.hits_lock = threading.Lock()

    def handle_error(self, request: Any, client_address: Any) -> None:
        # A client hanging up mid-answer (a timeout, a crawler shutting down) is
        # expected with fault injection; it must not spray tracebacks on stderr.
        logger.debug("mirror: connection from %s ended abruptly", client_address, exc_info=True)


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    # HTTP/1.0: one request per connection, so a truncated body ends with the
    # connection closing, exactly like a dropped download.
    protocol_version = "HTTP/1.0"

    def do_GET(self) -> None:
        self._answer(send_body=True)

    def do_HEAD(self) -> None:
        self._answer(send_body=False)

    def _answer(self, *, send_body: bool) -> None:
        with self.server.hits_lock:
            self.server.hits[self.path] += 1
        resource = self.server.resources.get(self.path)
        if resource is None:
            resource = Resource(b"Not Found", "text/plain; charset=utf-8", status=404)
        if resource.delay:
            threading.Event().wait(resource.delay)
        if self._not_modified(resource):
            self.send_response(304)
            self._send_validators(resource)
            self.send_header("Connection", "close")
            self.end_headers()
            return
        self.send_response(resource.status)
        self.send_header("Content-Type", resource.content_type)
        self.send_header("Content-Length", str(len(resource.body)))
        self.send_header("Connection", "close")
        for name, value in resource.headers:
            self.send_header(name, value)
        self._send_validators(resource)
        self.end_headers()
        if not send_body:
            return
        body = resource.body
        if resource.truncate_to is not None:
            body = body[: resource.truncate_to]
        self.wfile.write(body)
        self.wfile.flush()

    def _not_modified(self, resource: Resource) -> bool:
        """Whether the request's validators match the resource's (RFC 9110, 13.1)."""
        if resource.status != 200:
            return False
        if_none_match = self.headers.get("If-None-Match")
        if if_none_match is not None:
            tags = {tag.strip().removeprefix("W/") for tag in if_none_match.split(",")}
            return resource.etag is not None and ("*" in tags or resource.etag in tags)
        if_modified_since = self.headers.get("If-Modified-Since")
        if if_modified_since is None or resource.last_modified is None:
            return False
        try:
            since = parsedate_to_datetime(if_modified_since)
            modified = parsedate_to_datetime(resource.last_modified)
        except (TypeError, ValueError):
            return False
        return modified <= since

    def _send_validators(self, resource: Resource) -> None:
        if resource.etag is not None:
            self.send_header("ETag", resource.etag)
        if resource.last_modified is not None:
            self.send_header("Last-Modified", resource.last_modified)

    def log_message(self, format: str, *args: Any) -> None:
        # Access logging is noise in test output; hits are counted instead.
        pass


@contextmanager
def serve(
    resources: Mapping[str, Resource], host: str = "127.0.0.1", port: int = 0
) -> Iterator[Mirror]:
    """Serve `resources` in a daemon thread; yields the base URL (port 0 picks a free one)."""
    hits: Counter[str] = Counter()
    server = _Server((host, port), resources, hits)
    bound_host, bound_port = server.server_address[:2]
    mirror = Mirror(f"http://{bound_host!s}:{bound_port}", resources, hits)
    # shutdown() waits until serve_forever next looks at its flag, which it does
    # once per poll interval: with the default, every test that stops a mirror
    # waited for a server that had already been told to stop.
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.02},
        name="newscrawl-mirror",
        daemon=True,
    )
    thread.start()
    try:
        yield mirror
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
