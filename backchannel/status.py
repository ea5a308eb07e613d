"""What `backchannel run` shows: a live status table on a terminal, plain log lines otherwise."""

from __future__ import annotations

import sys
import threading
import time
from collections import deque
from datetime import datetime, timezone
from typing import TextIO

from .live import RunStatus
from .sanitize import terminal_text


def _ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    secs = int((now - moment).total_seconds())
    return f"{secs}s ago" if secs >= 0 else f"in {-secs}s"


def render(status: RunStatus, now: datetime | None = None) -> list[str]:
    """The status table as lines (no colour): per source, then totals."""
    now = now or datetime.now(timezone.utc)
    rows = [f"{'source':<10} {'state':<8} {'last poll':>10} {'next poll':>10} {'new (last)':>11} "
            f"{'new (all)':>10} {'requests':>9} {'errors':>7}"]
    for s in status.sources.values():
        state = "polling" if s.polling else ("waiting" if s.polls else "starting")
        rows.append(f"{s.name:<10} {state:<8} {_ago(s.last_poll, now):>10} {_ago(s.next_poll, now):>10} "
                    f"{s.last_new:>11} {s.total_new:>10} {s.requests:>9} {s.errors:>7}")
        if s.last_error:
            rows.append(f"  last error: {s.last_error[:110]}")
    total_new = sum(s.total_new for s in status.sources.values())
    up = int((now - status.started).total_seconds())
    digest = (f"digest built {status.digest_builds}× (last {_ago(status.last_digest, now)})"
              if status.digest_builds else "digest not built yet")
    rows.append(f"archive: {status.archive_total} posts, {total_new} new since start · {digest} · "
                f"up {up // 3600}h{up % 3600 // 60:02d}m")
    if status.digest_error:
        rows.append(f"  digest error: {status.digest_error[:110]}")
    return rows


class Display:
    """Log lines and status updates from the runner, shown the way the output allows."""

    def __init__(self, stream: TextIO = sys.stderr, live: bool | None = None, quiet: bool = False,
                 log_file: TextIO | None = None):
        self.stream = stream
        self.live = stream.isatty() if live is None else live
        self.quiet = quiet
        self.log_file = log_file
        self.recent: deque[str] = deque(maxlen=6)
        self.lock = threading.Lock()
        self._last_draw = 0.0
        self._status: RunStatus | None = None

    def log(self, line: str) -> None:
        # Lines quote servers, feeds and posts: nothing in them may act on the terminal.
        stamped = f"{datetime.now().astimezone().strftime('%H:%M:%S')} {terminal_text(line)}"
        with self.lock:
            if self.log_file:
                self.log_file.write(stamped + "\n")
                self.log_file.flush()
            if self.live:
                self.recent.append(stamped)
                self._draw(force=True)
            elif not self.quiet or "error" in line:
                self.stream.write(stamped + "\n")
                self.stream.flush()

    def update(self, status: RunStatus) -> None:
        with self.lock:
            self._status = status
            if self.live:
                self._draw()

    def _draw(self, force: bool = False) -> None:
        if self._status is None or (not force and time.monotonic() - self._last_draw < 1.0):
            return
        self._last_draw = time.monotonic()
        lines = ["backchannel run — Ctrl-C stops after storing what is in flight", ""]
        lines += [terminal_text(row) for row in render(self._status)] + [""] + list(self.recent)
        # Home, clear to end of screen, then the whole block: no flicker of a full clear.
        self.stream.write("\x1b[H\x1b[J" + "\n".join(lines) + "\n")
        self.stream.flush()
