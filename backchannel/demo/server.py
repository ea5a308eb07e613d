"""One small threaded HTTP server on 127.0.0.1 that plays every service of the sample event.

    with DemoServer(load()) as server:
        server.urls      # {"mastodon-a": "http://127.0.0.1:41001", "mastodon-b": ..., "bluesky": ..., "blogs": ...}
        ...              # point the real collectors at them
        server.delete_scheduled()   # authors delete two posts after the first poll

Each site listens on its own port, because the Mastodon API has no room for a path prefix
in a server's identity (a client knows a server by its base URL, and a local account's
handle by the server's host). The sites speak the real APIs (see `demo.sites`): the
collectors page, log in and re-check exactly as they would at a real event.
"""

from __future__ import annotations

import socket
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit

from backchannel.demo.event import SampleEvent


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default


@dataclass
class Response:
    status: int = 200
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


App = Callable[[Request, str], Response]  # (request, the site's own base URL) → response


class _Listener(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        conn, addr = super().get_request()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # small answers go out at once
        return conn, addr


def _handler(app: App, base: Callable[[], str]) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "backchannel-demo"

        def log_message(self, *args: Any) -> None:  # the demo prints its own summary
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            req = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                          {k.lower(): v for k, v in self.headers.items()},
                          self.rfile.read(length) if length else b"")
            try:
                resp = app(req, base())
            except Exception as exc:  # a bug in the demo must show as a 500, not a hung client
                resp = Response(500, f"demo server error: {exc!r}".encode())
            try:
                self.send_response(resp.status)
                for name, value in resp.headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(resp.body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(resp.body)
            except (BrokenPipeError, ConnectionResetError):
                pass

        do_GET = do_POST = do_HEAD = _serve

    return Handler


class DemoServer:
    """The sample event's services on 127.0.0.1, one port per site, served from threads."""

    def __init__(self, event: SampleEvent, ports: dict[str, int] | None = None):
        from backchannel.demo.sites import BlogSite, BlueskySite, MastodonSite

        a, b = event.mastodon
        self.sites: dict[str, Any] = {
            "mastodon-a": MastodonSite(a),
            "mastodon-b": MastodonSite(b),
            "bluesky": BlueskySite(event.bluesky, event.login),
            "blogs": BlogSite(event.feeds),
        }
        self.event = event
        self._listeners: dict[str, _Listener] = {}
        self._threads: list[threading.Thread] = []
        for name, site in self.sites.items():
            self._listeners[name] = self._bind(name, site.app, (ports or {}).get(name, 0))

    def _bind(self, name: str, app: App, port: int) -> _Listener:
        """Listen on `port` if it is free (a second demo run keeps its URLs), else on any port."""
        handler = _handler(app, lambda: self.urls[name])
        try:
            return _Listener(("127.0.0.1", port), handler)
        except OSError:
            return _Listener(("127.0.0.1", 0), handler)

    @property
    def urls(self) -> dict[str, str]:
        return {name: f"http://127.0.0.1:{srv.server_address[1]}" for name, srv in self._listeners.items()}

    @property
    def ports(self) -> dict[str, int]:
        return {name: srv.server_address[1] for name, srv in self._listeners.items()}

    def requests(self) -> dict[str, int]:
        """How many requests each site has answered."""
        return {name: site.requests for name, site in self.sites.items()}

    def delete_scheduled(self) -> int:
        """The authors of the posts marked for deletion delete them now; returns how many."""
        gone = self.event.deletions
        count = 0
        for name in ("mastodon-a", "mastodon-b"):
            count += self.sites[name].delete(gone.get("mastodon", []))
        count += self.sites["bluesky"].delete(gone.get("bluesky", []))
        return count

    def start(self) -> "DemoServer":
        for listener in self._listeners.values():
            thread = threading.Thread(target=listener.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
            thread.start()
            self._threads.append(thread)
        return self

    def stop(self) -> None:
        for listener in self._listeners.values():
            if self._threads:
                listener.shutdown()
            listener.server_close()
        self._threads.clear()

    def __enter__(self) -> "DemoServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
