"""The status file: how `backchannel status`, from any terminal, learns what `run` is doing.

`run` rewrites `run-status.json` in the data dir every EVERY seconds, from a thread of its
own (so a long digest refresh does not leave it stale), atomically: a temporary file beside
it, then `os.replace`, so a reader never sees half a file. When `run` stops it writes a last
copy saying so. A reader treats the file as a running `run` only if it says "running", is
younger than STALE seconds and, on the same host, its pid is alive (not after `kill -9`).
"""

from __future__ import annotations

import json
import os
import socket
import threading
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

NAME = "run-status.json"
EVERY = 2.0  # seconds between rewrites
STALE = 15.0  # a file older than this belongs to a run that hangs or is gone


def path_in(data_dir: Path) -> Path:
    return Path(data_dir) / NAME


def write(path: Path, data: dict) -> None:
    """Replace `path` with `data` as JSON, atomically."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    os.replace(tmp, path)


class StatusWriter:
    """Writes `snapshot()` (plain JSON data, or None before there is any) every `every`
    seconds while the `with` block runs, and a last "stopped" copy when it ends."""

    def __init__(self, data_dir: Path, snapshot: Callable[[], dict | None], every: float = EVERY):
        self.path = path_in(data_dir)
        self.snapshot = snapshot
        self.every = every
        self.started = datetime.now(timezone.utc)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._loop, name="status-file", daemon=True)

    def _record(self, state: str) -> None:
        now = datetime.now(timezone.utc)
        data = {"state": state, "pid": os.getpid(), "host": socket.gethostname(),
                "written": now.isoformat(timespec="seconds"), "every": self.every,
                "run": self.snapshot()}
        if state == "stopped":
            data["stopped"] = data["written"]
        try:
            write(self.path, data)
        except OSError:
            pass  # a full disk must not stop the collecting; `status` will call the file stale

    def _loop(self) -> None:
        while not self.stop.wait(self.every):
            self._record("running")

    def __enter__(self) -> "StatusWriter":
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._record("running")
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join()
        self._record("stopped")


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True  # someone else's process, but alive
    try:  # a zombie (killed, not yet reaped) answers signal 0 but runs no more
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat[stat.rindex(")") + 2] != "Z"
    except (OSError, ValueError, IndexError):
        return True


def read(data_dir: Path, now: datetime | None = None) -> tuple[dict | None, str | None]:
    """(the file's data or None, None when a `run` is active, else why not)."""
    now = now or datetime.now(timezone.utc)
    path = path_in(data_dir)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        written = datetime.fromisoformat(data["written"])
        pid = int(data["pid"])
    except FileNotFoundError:
        return None, f"no `run` is active: {path} does not exist (no `run` has used this data dir)"
    except (OSError, ValueError, KeyError, TypeError) as exc:
        return None, f"no `run` is known to be active: {path} is unreadable ({exc})"
    if data.get("state") == "stopped":
        return data, f"no `run` is active: the last one (pid {pid}) stopped at {data.get('stopped')}"
    if data.get("host") == socket.gethostname() and not _alive(pid):
        return data, (f"no `run` is active: the last one (pid {pid}) is gone without stopping "
                      f"(killed or crashed); its last status is from {data['written']}")
    age = (now - written).total_seconds()
    if age > max(STALE, 5 * float(data.get("every", EVERY))):
        return data, (f"no `run` is known to be active: the status file is {int(age)} s old "
                      f"(pid {pid} on {data.get('host')} is stuck or gone)")
    return data, None
