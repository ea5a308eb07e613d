"""One writer per data dir: an advisory lock file that a crashed process releases by dying."""

from __future__ import annotations

import fcntl
import os
from pathlib import Path

from backchannel.errors import BackchannelError, LockedError


class WriterLock:
    def __init__(self, data_dir: Path):
        self.path = Path(data_dir) / "writer.lock"
        self.fh = None

    def acquire(self) -> "WriterLock":
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            fh = open(self.path, "a+")
        except OSError as exc:
            raise BackchannelError(f"{self.path.parent}: cannot write to the data dir ({exc.strerror}); "
                                   "this command stores data, so it needs a writable --data-dir") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip() or "another process"
            fh.close()
            raise LockedError(
                f"{self.path.parent}: already in use by backchannel (pid {holder}); "
                "stop that `run`/`collect` first, or use another --data-dir") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self.fh = fh
        return self

    def release(self) -> None:
        if self.fh:
            fcntl.flock(self.fh, fcntl.LOCK_UN)
            self.fh.close()
            self.fh = None

    def __enter__(self) -> "WriterLock":
        return self.acquire()

    def __exit__(self, *exc: object) -> None:
        self.release()
