"""The input file as readers see it: its first bytes kept for sniffing, bytes read counted."""

from __future__ import annotations

import io
import os
from typing import BinaryIO

HEAD = 64 * 1024


class Counted(io.RawIOBase):
    """A raw stream that replays `head` first and counts every byte handed on (for progress)."""

    def __init__(self, raw: BinaryIO, head: bytes, size: int | None):
        self.raw, self.head, self.size = raw, head, size
        self.count = 0
        self._pending = head

    @classmethod
    def wrap(cls, stream: BinaryIO) -> "Counted":
        head = b""
        while len(head) < HEAD:
            chunk = stream.read(HEAD - len(head))
            if not chunk:
                break
            head += chunk
        try:
            size = os.fstat(stream.fileno()).st_size or None
        except (OSError, AttributeError, ValueError, io.UnsupportedOperation):
            size = None
        return cls(stream, head, size)

    def buffered(self) -> io.BufferedReader:
        return io.BufferedReader(self, 1 << 16)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        if self._pending:
            n = min(len(buffer), len(self._pending))
            buffer[:n] = self._pending[:n]
            self._pending = self._pending[n:]
        else:
            data = self.raw.read(len(buffer))
            n = len(data)
            buffer[:n] = data
        self.count += n
        return n

    def seekable(self) -> bool:
        try:
            return self.raw.seekable()
        except (AttributeError, ValueError):
            return False

    def seek(self, pos: int, whence: int = 0) -> int:
        if whence == 1:
            raise io.UnsupportedOperation("relative seek")
        self._pending = b""
        return self.raw.seek(pos, whence)

    def tell(self) -> int:
        return self.raw.tell() - len(self._pending)
