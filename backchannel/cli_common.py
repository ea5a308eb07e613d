"""What every command shares: --config/--data-dir, loading the config, opening the writer."""

from __future__ import annotations

import functools
from pathlib import Path

import click


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
