"""A small threaded HTTP server on 127.0.0.1: the demo's services and the tests' servers run on it.

    def app(req: Request) -> Response:
        if req.path == "/api/v1/timelines/tag/pycon":
            return Response.json([...], headers={"Link": '<...>; rel="next"'})
        return Response(404)

    with Loopback(app) as server:
        client = Mastodon(api_base_url=server.url)
        ...
        assert server.requests[-1].path == "/api/v1/timelines/tag/pycon"

The app is any callable taking a `Request` and returning a `Response`; it runs in the
server's threads, and may be swapped while the server runs (`server.app = other`). Every
request is recorded in `server.requests`. It listens only on the loopback interface: on a
free port, or on `port` when that one is free (so a second demo run keeps its URLs).
"""

from __future__ import annotations

import json
import socket
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Callable
from urllib.parse import parse_qs, urlsplit


@dataclass
class Request:
    method: str
    path: str  # without the query string
    query: dict[str, list[str]]  # parse_qs of the query string (keys like "any[]" kept as is)
    headers: dict[str, str]  # lower-cased names
    body: bytes = b""

    def arg(self, name: str, default: str | None = None) -> str | None:
        values = self.query.get(name)
        return values[0] if values else default

    def json(self) -> Any:
        return json.loads(self.body or b"null")


@dataclass
class Response:
    status: int = 200
    body: bytes | str = b""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (a slow server, a timeout test)

    @classmethod
    def json(cls, data: Any, status: int = 200, headers: dict[str, str] | None = None,
             delay: float = 0.0) -> "Response":
        h = {"Content-Type": "application/json; charset=utf-8", **(headers or {})}
        return cls(status, json.dumps(data), h, delay)


App = Callable[[Request], Response]


class Loopback:
    """Serve `app` on 127.0.0.1 from threads until `stop()` (or the end of a `with` block)."""

    def __init__(self, app: App, port: int = 0):
        self.app = app
        self.requests: list[Request] = []
        handler = _handler_for(self)
        try:
            self.httpd = _Server(("127.0.0.1", port), handler)
        except OSError:  # that port is taken: any free one will do
            self.httpd = _Server(("127.0.0.1", 0), handler)
        # stop() waits for the next poll: 10 ms keeps a test suite's hundreds of servers quick
        # to stop (the default waits up to 0.5 s) for a few hundred idle wake-ups a second.
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.01},
                                       daemon=True)

    @property
    def port(self) -> int:
        return self.httpd.server_address[1]

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> "Loopback":
        self.thread.start()
        return self

    def stop(self) -> None:
        if self.thread.is_alive():  # shutdown() waits for a serve_forever that never began
            self.httpd.shutdown()
        self.httpd.server_close()

    def __enter__(self) -> "Loopback":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def get_request(self):
        conn, addr = super().get_request()
        # Small answers go out at once instead of waiting ~40 ms for Nagle's algorithm.
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return conn, addr


def _handler_for(server: Loopback) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        server_version = "backchannel-loopback"

        def log_message(self, *args: object) -> None:  # quiet: callers count and report themselves
            pass

        def _serve(self) -> None:
            parts = urlsplit(self.path)
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            req = Request(self.command, parts.path, parse_qs(parts.query, keep_blank_values=True),
                          {k.lower(): v for k, v in self.headers.items()}, body)
            server.requests.append(req)
            try:
                resp = server.app(req)
            except Exception as exc:  # a bug in the app must show as a 500, not a hung client
                resp = Response(500, f"loopback app error: {exc!r}")
            if resp.delay:
                time.sleep(resp.delay)
            payload = resp.body.encode("utf-8") if isinstance(resp.body, str) else resp.body
            try:
                self.send_response(resp.status)
                for name, value in resp.headers.items():
                    self.send_header(name, value)
                if "content-length" not in {k.lower() for k in resp.headers}:
                    self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout test)

        do_GET = do_POST = do_HEAD = do_PUT = do_DELETE = _serve

    return Handler
