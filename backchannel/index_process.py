"""The index writer in a process of its own, so that an import uses both cores: the parent
parses, classifies, matches and archives the next batch while the child indexes this one.

Still one writer: the child is forked by the process that holds the data dir's writer lock
and shares that lock's open file, and on Linux it dies with its parent (`kill -9` of the
import takes both down at once, releasing the lock and Whoosh's). Crash safety is unchanged:
a batch reaches the child only after the archive committed it, and `indexed_seq` moves only
after the index committed it; whatever is lost in between, the next writer's `catch_up`
indexes again from the archive. At most one batch is in flight.
"""

from __future__ import annotations

import multiprocessing
import os
import signal
import sys
from typing import Iterable

from backchannel.errors import BackchannelError
from backchannel.index import Index, document
from backchannel.models import Post


def available() -> bool:
    """Forking is how the child shares the lock; platforms without it index in process."""
    return "fork" in multiprocessing.get_all_start_methods()


class IndexProcess:
    """`write` has the signature of `Index.write` and returns before the index commits;
    the next `write` (or `close`) waits for that commit and raises what went wrong in it."""

    def __init__(self, index: Index):
        index.close()  # the child opens its own
        self.path = index.path
        ctx = multiprocessing.get_context("fork")
        for stream in (sys.stdout, sys.stderr):  # or the child would print their buffers again
            stream.flush()
        child_in, self._out = ctx.Pipe(duplex=False)
        self._in, child_out = ctx.Pipe(duplex=False)
        parents_ends = (self._out, self._in)
        self._proc = ctx.Process(target=_serve, args=(index.path, child_in, child_out, parents_ends, os.getpid()),
                                 name="backchannel-index", daemon=True)
        self._proc.start()
        child_in.close()
        child_out.close()
        self._waiting = False

    def write(self, added: Iterable[Post] = (), updated: Iterable[Post] = (),
              deleted: Iterable[str] = (), seq: int | None = None) -> None:
        job = ([document(p) for p in added], [document(p) for p in updated], list(deleted), seq)
        self.wait()
        self._out.send(job)
        self._waiting = True

    def wait(self) -> None:
        """Until the batch in flight is in the index."""
        if not self._waiting:
            return
        self._waiting = False
        try:
            error = self._in.recv()
        except (EOFError, OSError):
            raise BackchannelError(f"{self.path}: the index process stopped (exit code {self._proc.exitcode}); "
                                   "the archive has every post, and the next command catches the index up") from None
        if error is not None:
            raise error

    def close(self) -> None:
        try:
            self.wait()
        finally:
            self._out.close()  # the child's end of the pipe reads EOF, and it exits
            self._proc.join(30)
            self._in.close()


def _serve(path, jobs, replies, parents_ends, parent: int) -> None:
    for end in parents_ends:
        end.close()  # so that the parent's death reads as EOF here
    _die_with_parent(parent)
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C stops the parent, which closes the pipe
    index = Index(path)
    try:
        while True:
            try:
                added, updated, deleted, seq = jobs.recv()
            except EOFError:
                return
            try:
                index.write_documents(added, updated, deleted, seq)
                replies.send(None)
            except BackchannelError as exc:
                replies.send(exc)
            except Exception as exc:  # noqa: BLE001 — told to the parent, which stops the import
                replies.send(BackchannelError(f"{path}: indexing failed: {exc!r}"))
    finally:
        index.close()


def _die_with_parent(parent: int) -> None:
    """Linux: SIGKILL this process when its parent dies, so `kill -9` of an import stops both."""
    if not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    if os.getppid() != parent:  # the parent died before the line above
        os._exit(0)
