"""Jetstream, Bluesky's JSON firehose, read over a websocket: connect, resume, reconnect.

`Jetstream.messages(cursor)` yields every message's text as it arrives, and `None` when
nothing came for `tick` seconds (so the reader can flush and notice a stop). A dropped or
refused connection is retried with backoff, moving to the next configured instance each
time, and resumes from the position the caller last handled (`position()`) rewound by
`REWIND` seconds: `time_us` is each instance's own clock, and Jetstream's documentation
advises a few seconds of rewind for gapless playback. Delivery is at-least-once, so the
caller must be idempotent (the archive's upsert and tombstones are).

The retry policy lives in `Backoff` alone, so it can move onto the collectors' shared
HTTP/retry seam later without touching the stream logic.

Only `wantedCollections=app.bsky.feed.post` is asked for; identity and account events come
to every subscriber whatever it asks for.
"""

from __future__ import annotations

import random
import time
from typing import Callable, Iterator
from urllib.parse import urlencode, urlsplit

from websockets.exceptions import ConnectionClosed, InvalidHandshake, InvalidStatus, InvalidURI
from websockets.sync.client import connect

POST_COLLECTION = "app.bsky.feed.post"
REWIND = 5.0  # seconds replayed on every (re)connect
MAX_MESSAGE = 2 * 1024 * 1024  # bytes; a post record is at most a few kB


class Backoff:
    """Seconds to wait before the next try: doubling from `first` up to `cap`, with jitter."""

    def __init__(self, first: float = 1.0, cap: float = 60.0, jitter: float = 0.2):
        self.first, self.cap, self.jitter = first, cap, jitter
        self.failures = 0

    def next_delay(self) -> float:
        self.failures += 1
        delay = min(self.first * 2 ** (self.failures - 1), self.cap)
        return delay * (1 + random.uniform(-self.jitter, self.jitter))

    def reset(self) -> None:
        self.failures = 0


def subscribe_url(instance: str, cursor: int | None) -> str:
    """`wss://host/subscribe?wantedCollections=app.bsky.feed.post[&cursor=time_us]`."""
    base = instance.rstrip("/")
    if not base.endswith("/subscribe"):
        base += "/subscribe"
    query = [("wantedCollections", POST_COLLECTION)]
    if cursor is not None:
        query.append(("cursor", str(max(int(cursor), 0))))
    return f"{base}?{urlencode(query)}"


def host(instance: str) -> str:
    return urlsplit(instance).netloc or instance


class Jetstream:
    """A resilient subscription to the first instance that answers, then the next ones."""

    def __init__(self, instances: list[str], timeout: float = 15.0, tick: float = 0.5,
                 backoff: Backoff | None = None):
        if not instances:
            raise ValueError("Jetstream needs at least one instance")
        self.instances = list(instances)
        self.timeout = timeout
        self.tick = tick
        self.backoff = backoff or Backoff()
        self.at = 0  # index of the instance in use
        self.connected: str | None = None  # host while a connection is open
        self.problems: list[str] = []  # what went wrong since the caller last took them
        self.connects = 0
        self._ws = None

    @property
    def instance(self) -> str:
        return self.instances[self.at % len(self.instances)]

    def messages(self, position: Callable[[], int | None]) -> Iterator[str | None]:
        """Every message's text, `None` after each quiet `tick`; reconnects for ever.

        `position()` is the `time_us` the caller has handled up to (None: the live tail);
        each (re)connect asks for it minus `REWIND` seconds.
        """
        try:
            while True:
                cursor = position()
                if cursor is not None:
                    cursor -= int(REWIND * 1_000_000)
                got_any = yield from self._session(cursor)
                if got_any:
                    self.backoff.reset()
                self.at += 1  # the next try goes to the next instance
                yield from self._wait(self.backoff.next_delay())
        finally:
            self.close()

    def _wait(self, seconds: float) -> Iterator[None]:
        """Wait in `tick` steps, yielding None after each so the caller can flush or stop."""
        until = time.monotonic() + seconds
        while True:
            yield None
            left = until - time.monotonic()
            if left <= 0:
                return
            time.sleep(min(self.tick, left))

    def _session(self, cursor: int | None) -> Iterator[str | None]:
        """One connection: its messages until it drops. Returns whether any message came."""
        instance = self.instance
        url = subscribe_url(instance, cursor)
        try:
            ws = connect(url, open_timeout=self.timeout, close_timeout=1.0, max_size=MAX_MESSAGE,
                         max_queue=1024, compression=None, user_agent_header="backchannel (Jetstream reader)")
        except InvalidStatus as exc:
            self.problems.append(f"Jetstream {host(instance)}: refused the subscription "
                                 f"(HTTP {exc.response.status_code}); trying the next instance")
            return False
        except (OSError, TimeoutError, InvalidHandshake, InvalidURI) as exc:
            self.problems.append(f"Jetstream {host(instance)}: cannot connect ({_why(exc)}); "
                                 "trying the next instance")
            return False
        self.connects += 1
        self._ws, self.connected = ws, host(instance)
        got_any = False
        try:
            with ws:
                while True:
                    try:
                        message = ws.recv(timeout=self.tick)
                    except TimeoutError:
                        yield None
                        continue
                    got_any = True
                    yield message if isinstance(message, str) else message.decode("utf-8", "replace")
        except ConnectionClosed as exc:
            self.problems.append(f"Jetstream {host(instance)}: connection dropped ({_closed(exc)}); "
                                 "reconnecting")
        except OSError as exc:
            self.problems.append(f"Jetstream {host(instance)}: connection failed ({_why(exc)}); reconnecting")
        finally:
            self.close()
        return got_any

    def close(self) -> None:
        ws, self._ws, self.connected = self._ws, None, None
        if ws is not None:
            try:
                ws.close()
            except Exception:  # closing a broken socket: nothing left to save
                pass

    def take_problems(self) -> list[str]:
        out, self.problems = self.problems, []
        return out


def _why(exc: BaseException) -> str:
    text = str(exc) or type(exc).__name__
    return text[:200]


def _closed(exc: ConnectionClosed) -> str:
    frame = exc.rcvd or exc.sent
    if frame is None:
        return "no close frame"
    return f"code {frame.code}" + (f", {frame.reason[:100]}" if frame.reason else "")
