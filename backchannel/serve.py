"""`backchannel serve`: the built digest on http://127.0.0.1:PORT, for a look before publishing.

A small static server (the standard library's, threaded). Only on the loopback interface;
only regular files whose real path (symlinks followed) is inside the output folder; no
directory listings; dotfiles (the build's manifest and temporary files) are not served; a
path the file system refuses (a NUL byte, a name too long) is a 404 or a 414, not an error. Pages are replaced by rename while `run` refreshes the
digest, so a request sees either the old page or the new one, never half of one.
"""

from __future__ import annotations

import http.server
import os
import posixpath
import socketserver
import threading
from functools import partial
from pathlib import Path
from urllib.parse import unquote, urlsplit

from backchannel.errors import InputError

HOST = "127.0.0.1"
MAX_PATH = 2048  # characters of a request path; longer ones get 414
TYPES = {
    ".js": "text/javascript; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".html": "text/html; charset=utf-8",
    ".svg": "image/svg+xml",
    ".xml": "application/atom+xml; charset=utf-8",
    ".md": "text/markdown; charset=utf-8",
    ".jsonl": "text/plain; charset=utf-8",  # shown, not downloaded, by a browser; inert
    ".json": "application/json",
    ".bin": "application/octet-stream",  # the search index (gzip, read by search.js)
}


class DigestHandler(http.server.SimpleHTTPRequestHandler):
    """Serves the digest folder; 404 for dotfiles, folders without index.html and escapes."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, **TYPES}
    quiet = True

    def send_head(self):
        path = unquote(urlsplit(self.path).path)
        if len(path) > MAX_PATH or any(len(p.encode("utf-8", "replace")) > 255 for p in path.split("/")):
            self.send_error(414, "URI too long")
            return None
        parts = [p for p in posixpath.normpath(path).split("/") if p]
        if "\0" in path or any(p.startswith(".") for p in parts):
            return self._not_found()
        if parts == ["favicon.ico"] and not (Path(self.directory) / "favicon.ico").exists():
            # Browsers ask for it on feed.xml and recap.md; the digest's icon is an SVG.
            self.path = "/static/favicon.svg"
        try:
            target = Path(self.translate_path(self.path))
            if target.is_dir():
                target = target / "index.html"
            if not self._inside(target):
                return self._not_found()
        except (OSError, ValueError):  # a name the file system refuses
            return self._not_found()
        return super().send_head()

    def _inside(self, target: Path) -> bool:
        """A regular file whose real path (symlinks followed) is inside the served folder."""
        root = os.path.realpath(self.directory)
        real = os.path.realpath(target)
        return real.startswith(root.rstrip(os.sep) + os.sep) and os.path.isfile(real)

    def _not_found(self):
        page = Path(self.directory) / "404.html"
        body = page.read_bytes() if page.is_file() else b"Not found"
        self.send_response(404)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)
        return None

    def end_headers(self):
        # Pages change during the event: always revalidate. Never sniff a post's bytes as HTML.
        self.send_header("Cache-Control", "no-cache")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header("Referrer-Policy", "no-referrer")
        super().end_headers()

    def list_directory(self, path):
        return self._not_found()

    def log_message(self, format, *args):
        if not self.quiet:
            super().log_message(format, *args)


class DigestServer(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True


def make_server(folder: Path, port: int = 8000, quiet: bool = True) -> DigestServer:
    """A server for `folder` on 127.0.0.1:`port` (0 picks a free port); not yet running."""
    folder = Path(folder)
    if not (folder / "index.html").is_file():
        raise InputError(f"{folder}: no digest here yet (run `backchannel build` first)")
    handler = partial(type("Handler", (DigestHandler,), {"quiet": quiet}), directory=str(folder))
    try:
        return DigestServer((HOST, port), handler)
    except OSError as exc:
        raise InputError(f"cannot listen on {HOST}:{port}: {exc.strerror} (try another --port)") from None


def serve_in_thread(folder: Path, port: int = 0) -> tuple[DigestServer, str]:
    """Start serving in a background thread; returns the server and its base URL (for tests)."""
    server = make_server(folder, port)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    host, real_port = server.server_address[:2]
    return server, f"http://{host}:{real_port}/"


def serve_until_interrupted(server) -> None:
    """Serve until Ctrl-C, then close the socket."""
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
