"""What `run` shows, and `backchannel status` prints: a table per source and a summary.

Both draw from the same plain data (`RunStatus.as_dict()`, which is also what the status
file holds), so `status` run from another terminal shows exactly what `run`'s live view
shows. On a terminal `run` keeps the table live at the bottom (rich's `Live`, redrawn at the
terminal's current size) with its log lines scrolling above; otherwise it prints log lines.
"""

from __future__ import annotations

import math
import sys
import threading
from collections import deque
from datetime import datetime, timezone, tzinfo
from typing import TextIO

from rich.console import Console, Group
from rich.live import Live
from rich.table import Table
from rich.text import Text

from backchannel.run import RunStatus
from backchannel.sanitize import terminal_line

HEADER = "backchannel run — Ctrl-C stops after storing what is in flight"


def safe(text: object, limit: int = 110) -> str:
    """A source's text on one line, its control characters (terminal escapes) made visible."""
    return terminal_line(text, limit, show=True)


def _when(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def ago(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    secs = int((now - moment).total_seconds())
    return f"{secs}s ago" if secs >= 0 else f"in {-secs}s"


def until(moment: datetime | None, now: datetime) -> str:
    if moment is None:
        return "—"
    secs = math.ceil((moment - now).total_seconds())
    return f"in {secs}s" if secs > 0 else "due"


def _duration(secs: float) -> str:
    secs = int(secs)
    return f"{secs // 3600}h{secs % 3600 // 60:02d}m" if secs >= 3600 else f"{secs // 60}m{secs % 60:02d}s"


STATE_STYLE = {"polling": "green", "waiting": "", "starting": "yellow"}


def table(data: dict, now: datetime) -> Table:
    """One row per source; a column for each `extra` figure some source reports."""
    extras = list(dict.fromkeys(k for s in data["sources"] for k in s.get("extra", {})))
    t = Table(box=None, pad_edge=False, header_style="bold")
    t.add_column("source")
    t.add_column("state")
    for name in ("last poll", "next poll", "new (last)", "new (all)", "requests", "errors", *extras):
        t.add_column(safe(name, 30), justify="right")
    for s in data["sources"]:
        errors = Text(str(s["errors"]), style="red" if s["errors"] else "")
        t.add_row(Text(safe(s["name"], 30)), Text(s["state"], style=STATE_STYLE.get(s["state"], "")),
                  ago(_when(s["last_poll"]), now), until(_when(s["next_poll"]), now), str(s["last_new"]),
                  str(s["total_new"]), str(s["requests"]), errors,
                  *(Text(safe(s.get("extra", {}).get(k, "—"), 30)) for k in extras))
    return t


def summary(data: dict, now: datetime) -> list[Text]:
    """The lines under the table: archive and digest, run-wide extras, what each source left
    out (consent, by reason) and its last error."""
    d = data["digest"]
    if not d["enabled"]:
        digest = "digest off (--no-digest)"
    elif d["building_since"]:
        digest = f"digest refreshing (for {ago(_when(d['building_since']), now).removesuffix(' ago')})"
        if d["builds"]:
            digest += f", last took {d['seconds']:.1f} s"
    elif d["builds"]:
        digest = (f"digest built {d['builds']}× (last {ago(_when(d['last']), now)}, "
                  f"took {d['seconds']:.1f} s)")
    else:
        digest = "digest not built yet"
    up = _duration((now - _when(data["started"])).total_seconds())
    line = f"archive: {data['archive_total']} posts, {data['new_since_start']} new since start · {digest} · up {up}"
    lines = [Text(line)]
    if data.get("extra"):
        lines.append(Text(" · ".join(f"{safe(k, 30)}: {safe(v, 30)}" for k, v in data["extra"].items())))
    for s in data["sources"]:
        servers = s.get("servers") or {}
        if len(servers) > 1 or any(c["left_out"] or c["errors"] for c in servers.values()):
            for name, c in servers.items():
                counts = safe(describe(c), 200)
                lines.append(Text(f"{safe(s['name'], 30)} · {safe(name, 60)}: since start {counts}"))
        if s.get("skipped"):
            parts = ", ".join(f"{n} {safe(why, 40)}" for why, n in
                              sorted(s["skipped"].items(), key=lambda kv: (-kv[1], kv[0])))
            lines.append(Text(f"{safe(s['name'], 30)}: left out since start: {parts}"))
        if s["last_error"]:
            lines.append(Text(f"{safe(s['name'], 30)}: last error: {safe(s['last_error'])}", style="red"))
    if d["error"]:
        lines.append(Text(f"digest error: {safe(d['error'])}", style="red"))
    return lines


def describe(counts: dict) -> str:
    """One server's counts from the status data: `seen 7, kept 3, left out: 4 not public`."""
    from backchannel.pipeline import Counts

    return Counts(counts["seen"], counts["kept"], dict(counts["left_out"]), counts["errors"]).describe()


def view(data: dict, now: datetime | None = None, header: str | None = None) -> Group:
    """The table and its summary, ready for `console.print` or `Live`."""
    now = now or datetime.now(timezone.utc)
    parts = [Text(header, style="bold"), Text("")] if header else []
    return Group(*parts, table(data, now), Text(""), *summary(data, now))


class Display:
    """Log lines and status updates from the runner, shown the way the output allows.

    Use it as a context manager around the run: on a terminal it keeps the live table
    drawn (refreshed every second, so ages tick) until the block ends.
    """

    def __init__(self, stream: TextIO = sys.stderr, live: bool | None = None, quiet: bool = False,
                 log_file: TextIO | None = None, console: Console | None = None, tz: tzinfo | None = None):
        from backchannel.progress import shown_on

        self.stream = stream
        self.live = shown_on(stream) if live is None else live
        self.console = console or Console(file=stream, force_terminal=self.live, markup=False,
                                          highlight=False, emoji=False)
        self.quiet = quiet
        self.log_file = log_file
        self.tz = tz  # the event's time zone: log lines carry date, time and its offset
        self.recent: deque[str] = deque(maxlen=8)  # the last log lines, for the status file
        self.recent_utc: deque[dict] = deque(maxlen=8)  # the same, stamped in UTC (status --json)
        self.lock = threading.Lock()
        self.status: RunStatus | None = None
        self._live: Live | None = None

    def log(self, line: str) -> None:
        moment = datetime.now(timezone.utc)
        local = moment.astimezone(self.tz) if self.tz else moment.astimezone()
        stamped = f"{local.isoformat(timespec='seconds')} {safe(line, 400)}"
        with self.lock:
            self.recent.append(stamped)
            self.recent_utc.append({"at": moment.isoformat(timespec="seconds").replace("+00:00", "Z"),
                                    "line": safe(line, 400)})
            if self.log_file:
                self.log_file.write(stamped + "\n")
                self.log_file.flush()
        if self.live:
            self.console.print(Text(stamped, style="red" if ": error:" in line else ""))
        elif not self.quiet or "error" in line:
            with self.lock:
                self.stream.write(stamped + "\n")
                self.stream.flush()

    def update(self, status: RunStatus) -> None:
        self.status = status

    def snapshot(self) -> dict | None:
        """The status as plain data, with the last log lines: what the status file holds."""
        if self.status is None:
            return None
        with self.lock:
            recent, log = list(self.recent), list(self.recent_utc)
        return {**self.status.as_dict(), "recent": recent, "log": log}

    def _renderable(self):
        if self.status is None:
            return Text(HEADER, style="bold")
        return view(self.status.as_dict(), header=HEADER)

    def __enter__(self) -> "Display":
        if self.live:
            self._live = Live(get_renderable=self._renderable, console=self.console, refresh_per_second=1)
            self._live.start()
        return self

    def __exit__(self, *exc: object) -> None:
        if self._live:
            self._live.stop()
            self._live = None
