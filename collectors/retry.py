"""How the collectors wait: one retry policy, one reading of server-announced waits, one clock.

Every collector takes `retry=` and `clock=` keyword arguments (defaults: its own `RETRY` and
the real `Clock()`), so a test passes a policy with tiny waits, or a clock that records its
sleeps or stands still at a chosen time, instead of patching anything:

- `Retry`: a request that failed for a passing reason (a 5xx, a timeout, a network error) is
  tried `retries` more times, `backoff` seconds after the first failure, doubling up to
  `max_backoff`. A wait the server announces (429 with a reset time, `Retry-After`) is sat
  out only up to `max_wait`; a longer one skips the server (or hashtag, or feed) this round.
- `Clock`: `now()` (aware, UTC) and `sleep(seconds)`, the only time collectors read.
- `announced_wait(headers, now)`: the seconds a server asks us to wait, from
  `X-RateLimit-Reset` (Mastodon: an ISO time), `RateLimit-Reset` (Bluesky: a Unix time) or
  `Retry-After` (seconds or an HTTP date), with the server's `Date` correcting a skewed clock.

Who does what with it: Mastodon retries 5xx and network errors inside its HTTP session and
waits out a short 429 (`collectors/mastodon/client.py`); Bluesky retries 5xx, timeouts,
network errors and short 429s around each XRPC call (`collectors/bluesky/collector.py`);
RSS does not retry within a round (the next round fetches every feed again anyway), but
remembers a 429/503's announced wait and skips that feed until it has passed.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from datetime import datetime, timezone
from email.utils import parsedate_to_datetime
from typing import Mapping

from backchannel.models import parse_time

_SKEW = 3.0  # seconds: within this, our clock is finer than `Date` (whole seconds only)
_UNIX_TIME = 1_000_000_000  # a reset header this large is a Unix time (2001 on), not seconds


@dataclass(frozen=True)
class Retry:
    """When to try a failed request again, and which announced waits to sit out."""

    retries: int = 2  # extra attempts after a 5xx, a timeout or a network error
    backoff: float = 1.0  # seconds before the first retry, doubling each time ...
    max_backoff: float = 8.0  # ... up to this
    max_wait: float = 60.0  # a server-announced wait longer than this skips the round

    @property
    def attempts(self) -> int:
        """How many times a request is tried in all (for messages: "tried 3 times")."""
        return self.retries + 1

    def delay(self, retry: int) -> float:
        """Seconds to wait before retry number `retry` (1 for the first)."""
        return min(self.backoff * 2 ** (retry - 1), self.max_backoff)

    def bearable(self, wait: float | None) -> float | None:
        """`wait` if it is worth sitting out now (not longer than `max_wait`), else None."""
        return wait if wait is not None and wait <= self.max_wait else None


class Clock:
    """Real time. Tests pass a subclass: one that records sleeps, or stands at a fixed time."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


def announced_wait(headers: Mapping[str, str], now: datetime) -> float | None:
    """Seconds until the server lets us in again (never negative); None when it does not say.

    A reset time (`X-RateLimit-Reset`, `RateLimit-Reset`) comes before `Retry-After`: it is
    when the window the server counts reopens. Unreadable values count as not said.
    """
    found = {str(k).lower(): str(v).strip() for k, v in headers.items()}
    now = _server_now(found.get("date"), now)
    try:
        reset = found.get("x-ratelimit-reset") or found.get("ratelimit-reset")
        if reset:
            return max(0.0, (_reset_time(reset, now) - now).total_seconds())
        retry = found.get("retry-after")
        if retry:
            if retry.isdigit():
                return float(retry)
            return max(0.0, (_aware(parsedate_to_datetime(retry)) - now).total_seconds())
    except (TypeError, ValueError, OverflowError, OSError):
        return None
    return None


def _reset_time(value: str, now: datetime) -> datetime:
    """A reset header as a time: an ISO 8601 time, a Unix time, or (small numbers) seconds from now."""
    if value.isdigit():
        seconds = int(value)
        if seconds >= _UNIX_TIME:
            return datetime.fromtimestamp(seconds, timezone.utc)
        return datetime.fromtimestamp(now.timestamp() + seconds, timezone.utc)
    return parse_time(value)


def _server_now(date: str | None, now: datetime) -> datetime:
    """The server's `Date` when our clock is off by more than a few seconds, else our clock."""
    try:
        server_now = _aware(parsedate_to_datetime(date)) if date else now
    except (TypeError, ValueError, IndexError):
        return now
    return server_now if abs((server_now - now).total_seconds()) > _SKEW else now


def _aware(when: datetime) -> datetime:
    return when if when.tzinfo is not None else when.replace(tzinfo=timezone.utc)
