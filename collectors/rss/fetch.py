"""Fetch one feed politely: conditional GET, redirects, gzip, a timeout and a size cap.

feedparser has no timeout and no size limit, so the bytes are fetched here with httpx and
handed to feedparser afterwards. Redirects are followed by hand (at most `MAX_REDIRECTS`)
so that a permanent one (301/308 from the very first hop on) can be remembered. Bodies are
decompressed here, not by httpx, so the size cap counts *decompressed* bytes and a gzip
bomb stops at `max_bytes` instead of filling the memory. A wait the server announces (429,
503 with `Retry-After`) is read by the collectors' shared rules (`backchannel.collectors.retry`).
"""

from __future__ import annotations

import time
import zlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import httpx

from backchannel import __version__
from backchannel.sanitize import clean_text, safe_url
from backchannel.collectors.retry import Clock, announced_wait

MAX_REDIRECTS = 5
USER_AGENT = f"backchannel/{__version__} (conference backchannel collector; feed reader)"
ACCEPT = ("application/atom+xml, application/rss+xml, application/rdf+xml;q=0.9, "
          "application/xml;q=0.8, text/xml;q=0.8, */*;q=0.1")
_REDIRECTS = {301, 302, 303, 307, 308}
_PERMANENT = {301, 308}


@dataclass
class Fetched:
    """A successful answer: 200 with a body, or 304 (unchanged, no body)."""

    status: int
    url: str  # where the body came from, after redirects: the base for relative links
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)  # lower-cased names
    moved_to: str | None = None  # target of a permanent redirect, to fetch directly next time
    requests: int = 0


class FetchError(Exception):
    """The feed could not be fetched this time; the message says why, not where."""

    def __init__(self, message: str, requests: int = 0, status: int | None = None,
                 retry_after: datetime | None = None):
        super().__init__(message)
        self.requests = requests
        self.status = status
        self.retry_after = retry_after


def make_client(timeout: float) -> httpx.Client:
    """One client per collect round: keep-alive across feeds, our own redirect handling."""
    return httpx.Client(
        timeout=httpx.Timeout(timeout),
        follow_redirects=False,
        headers={"User-Agent": USER_AGENT, "Accept": ACCEPT,
                 # Only encodings decoded below with a size cap (httpx would also offer br/zstd).
                 "Accept-Encoding": "gzip, deflate"},
    )


def fetch(client: httpx.Client, url: str, *, etag: str | None = None,
          last_modified: str | None = None, timeout: float = 20.0,
          max_bytes: int = 5_000_000, clock: Clock | None = None) -> Fetched:
    """GET `url`, conditionally; raise `FetchError` for anything but a usable answer.

    `timeout` bounds each network wait (connect, each read) and the whole download; `clock`
    tells the time a server-announced wait is counted from.
    """
    deadline = time.monotonic() + timeout
    headers = {}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    moved_to: str | None = None
    still_permanent = True  # a permanent redirect counts only while every hop before it was one
    requests = 0
    for _hop in range(MAX_REDIRECTS + 1):
        requests += 1
        try:
            with client.stream("GET", url, headers=headers) as resp:
                if resp.status_code in _REDIRECTS:
                    target = _redirect_target(resp, url, requests)
                    if still_permanent and resp.status_code in _PERMANENT:
                        moved_to = target
                    else:
                        still_permanent = False
                    url = target
                    continue
                if resp.status_code == 304:
                    return Fetched(304, url, moved_to=moved_to, requests=requests)
                if not 200 <= resp.status_code < 300:
                    raise _status_error(resp, requests, (clock or Clock()).now())
                body = _read_capped(resp, max_bytes, deadline, timeout, requests)
                found = {k.lower(): v for k, v in resp.headers.items()}
                return Fetched(resp.status_code, url, body, found, moved_to, requests)
        except httpx.TimeoutException:
            raise FetchError(f"timed out after {timeout:g} s", requests) from None
        except httpx.HTTPError as exc:
            raise FetchError(f"cannot fetch: {_describe(exc)}", requests) from None
    raise FetchError(f"more than {MAX_REDIRECTS} redirects", requests)


def _redirect_target(resp: httpx.Response, url: str, requests: int) -> str:
    location = resp.headers.get("location")
    target = safe_url(location, base=url) if location else None
    if not target:
        raise FetchError(f"HTTP {resp.status_code} redirects to an unusable address "
                         f"{clean_text(location, 120)!r}", requests, resp.status_code)
    return target


def _status_error(resp: httpx.Response, requests: int, now: datetime) -> FetchError:
    code = resp.status_code
    retry_after = _retry_after(resp.headers, now)
    if code == 404:
        text = "not found (HTTP 404)"
    elif code == 410:
        text = "gone (HTTP 410); remove it from the config"
    elif code in (401, 403):
        text = f"access denied (HTTP {code}); is the feed public?"
    elif code == 429:
        text = "rate limited (HTTP 429)"
    elif code >= 500:
        text = f"server error (HTTP {code})"
    else:
        text = f"unexpected answer HTTP {code}"
    if retry_after:
        text += f"; the server asks to wait until {retry_after:%Y-%m-%d %H:%M:%S} UTC"
    return FetchError(text, requests, code, retry_after)


def _retry_after(headers: httpx.Headers, now: datetime) -> datetime | None:
    """When the server lets us in again (`Retry-After`), capped at one day; None if not later."""
    wait = announced_wait({"retry-after": headers.get("retry-after", ""), "date": headers.get("date", "")}, now)
    return now + timedelta(seconds=min(wait, 86_400)) if wait else None


def _read_capped(resp: httpx.Response, max_bytes: int, deadline: float, timeout: float,
                 requests: int) -> bytes:
    too_big = FetchError(f"larger than max_bytes ({max_bytes:,} bytes); skipped", requests)
    declared = resp.headers.get("content-length", "").strip()
    if declared.isdigit() and int(declared) > max_bytes:
        raise too_big  # even compressed it is too big: don't download it at all
    decoder = _Decoder(resp.headers.get("content-encoding", ""), requests)
    body = bytearray()
    for chunk in resp.iter_raw():
        if time.monotonic() > deadline:
            raise FetchError(f"timed out after {timeout:g} s (still downloading)", requests)
        body += decoder.decode(chunk, max_bytes - len(body) + 1)
        if len(body) > max_bytes:
            raise too_big
    body += decoder.flush()
    if len(body) > max_bytes:
        raise too_big
    return bytes(body)


class _Decoder:
    """Undo gzip/deflate, never producing more than asked for per call."""

    def __init__(self, encoding: str, requests: int):
        self.encoding = encoding.strip().lower()
        self.requests = requests
        if self.encoding in ("", "identity"):
            self.z = None
        elif self.encoding in ("gzip", "x-gzip", "deflate"):
            self.z = zlib.decompressobj(32 + zlib.MAX_WBITS)  # detects a gzip or zlib header
        else:
            raise FetchError(f"unsupported Content-Encoding {clean_text(self.encoding, 40)!r}", requests)

    def decode(self, data: bytes, limit: int) -> bytes:
        if self.z is None:
            return data
        try:
            # With max_length, unread input waits in unconsumed_tail; output at the limit
            # means the cap is exceeded anyway, so the tail never needs draining.
            return self.z.decompress(data, limit)
        except zlib.error:
            raise FetchError(f"broken {self.encoding} data", self.requests) from None

    def flush(self) -> bytes:
        if self.z is None:
            return b""
        try:
            return self.z.flush()
        except zlib.error:
            raise FetchError(f"broken {self.encoding} data", self.requests) from None


def _describe(exc: httpx.HTTPError) -> str:
    if isinstance(exc, httpx.ConnectError):
        return f"connection failed ({clean_text(str(exc), 160) or 'refused'})"
    if isinstance(exc, httpx.RemoteProtocolError):
        return f"the server broke the HTTP protocol ({clean_text(str(exc), 160)})"
    return clean_text(f"{type(exc).__name__}: {exc}", 200)
