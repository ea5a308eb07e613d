"""What every command shares: --config/--data-dir, loading the config, opening the writer."""

from __future__ import annotations

import errno
import functools
import sqlite3
from pathlib import Path

import click

from .errors import BackchannelError

# What the operating system says when the operator's disk or folders are the problem: a
# message, not a traceback. Full disks exit 1 (a failure); permissions and paths exit 2.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.EEXIST,
            errno.ENAMETOOLONG, errno.ELOOP}


class Group(click.Group):
    """The command group: a full disk or a read-only folder is one line, not a traceback."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except OSError as exc:
            if exc.errno not in _FULL | _REFUSED:
                raise
            where = f"{exc.filename}: " if exc.filename else ""
            hint = " (free some space and run it again)" if exc.errno in _FULL else ""
            raise BackchannelError(f"{where}{exc.strerror}{hint}", 1 if exc.errno in _FULL else 2) from None
        except sqlite3.OperationalError as exc:
            text = str(exc)
            if not any(w in text for w in ("disk is full", "readonly", "unable to open", "disk I/O")):
                raise
            if "full" in text or "I/O" in text:  # SQLite says "disk I/O error" when a file may not grow
                raise BackchannelError(f"the archive: {text} (is the disk full? free some space and run it again)",
                                       1) from None
            raise BackchannelError(f"the archive: {text}", 2) from None


def common(fn):
    """--config and --data-dir, accepted by every command."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="The event config (default: ./backchannel.toml).")
    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Where the archive and index live (default: .backchannel/ next to the config).")
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def load_config(config_path: Path | None, data_dir: Path | None, required: bool = False):
    from .config import load

    return load(config_path, data_dir, required=required)


def open_writer(cfg):
    """The archive and index of `cfg.data_dir`, behind the one-writer lock."""
    from .archive import Archive
    from .enrich import load_talks, make_enricher
    from .index import Index
    from .lock import WriterLock
    from .pipeline import Writer

    talks = load_talks(cfg)
    lock = WriterLock(cfg.data_dir).acquire()
    writer = Writer(cfg, Archive.in_dir(cfg.data_dir), Index.in_dir(cfg.data_dir), make_enricher(cfg, talks))
    writer.lock = lock
    return writer


def close_writer(writer) -> None:
    writer.close()
    writer.lock.release()


def digest_builder(cfg):
    """A function that refreshes the digest (incrementally) in a child process.

    The child reads the archive on its own (WAL lets it read beside the writer) and its
    memory goes away with it, so `run` stays small however big the event gets.
    """
    from .live import ChildBuild

    return ChildBuild(cfg)
