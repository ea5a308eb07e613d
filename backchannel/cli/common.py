"""What every command shares: --config/--data-dir/--no-color, loading the config, turning OS
errors into one line, and how output looks (colour and progress only on a terminal)."""

from __future__ import annotations

import errno
import functools
import logging
import os
import sqlite3
import sys
from pathlib import Path
from typing import TextIO

import click

from backchannel.errors import BackchannelError

# What the operating system says when the operator's disk or folders are the problem: a
# message, not a traceback. Full disks exit 1 (a failure); permissions and paths exit 2.
_FULL = {errno.ENOSPC, errno.EDQUOT, errno.EFBIG}
_REFUSED = {errno.EACCES, errno.EPERM, errno.EROFS, errno.ENOTDIR, errno.EISDIR, errno.EEXIST,
            errno.ENAMETOOLONG, errno.ELOOP}


class Group(click.Group):
    """The command group: a full disk or a read-only folder is one line, not a traceback."""

    def invoke(self, ctx):
        notes = _NoteHandler()
        logging.getLogger("backchannel.notes").addHandler(notes)
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
        finally:
            logging.getLogger("backchannel.notes").removeHandler(notes)


class _NoteHandler(logging.Handler):
    """The library's notes for the organiser (`pipeline.NOTES`), one line each on standard error."""

    def __init__(self):
        super().__init__(logging.INFO)

    def emit(self, record: logging.LogRecord) -> None:
        click.echo(record.getMessage(), err=True)


NO_COLOR_KEY = "backchannel.no_color"


def _no_color(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    if value:
        ctx.meta[NO_COLOR_KEY] = True


def common(fn):
    """--config, --data-dir and --no-color, accepted by every command."""

    @click.option("--config", "config_path", type=click.Path(dir_okay=False, path_type=Path),
                  default=None, help="The event config (default: ./backchannel.toml).")
    @click.option("--data-dir", type=click.Path(file_okay=False, path_type=Path), default=None,
                  help="Where the archive and index live (default: .backchannel/ next to the config).")
    @click.option("--no-color", is_flag=True, expose_value=False, callback=_no_color,
                  help="No colour (also with NO_COLOR set; there is none off a terminal anyway).")
    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        return fn(*args, **kwargs)

    return wrapper


def load_config(config_path: Path | None, data_dir: Path | None, required: bool = False):
    from backchannel.config import load

    return load(config_path, data_dir, required=required)


def color_on(stream: TextIO) -> bool:
    """Colour on `stream`: only on a terminal, and not with --no-color or NO_COLOR set."""
    from backchannel.progress import shown_on

    ctx = click.get_current_context(silent=True)
    if ctx is not None and ctx.meta.get(NO_COLOR_KEY):
        return False
    return not os.environ.get("NO_COLOR") and shown_on(stream)


def console(stream: TextIO | None = None):
    """A rich Console on `stream` (standard error by default) that follows `color_on`.

    Markup is off: text from sources is printed as it is, never read as rich markup.
    """
    from rich.console import Console

    from backchannel.progress import shown_on

    stream = stream or sys.stderr
    color = color_on(stream)
    return Console(file=stream, force_terminal=shown_on(stream), no_color=not color,
                   color_system="auto" if color else None, markup=False, emoji=False, highlight=False)


def progress_for(quiet: bool = False, as_json: bool = False):
    """Progress bars on standard error when it is a terminal and neither --quiet nor --json
    was given; otherwise `NO_PROGRESS`, which shows nothing."""
    from backchannel.progress import NO_PROGRESS, TerminalProgress, shown_on

    if quiet or as_json or not shown_on(sys.stderr):
        return NO_PROGRESS
    return TerminalProgress(console(sys.stderr))
