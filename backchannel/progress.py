"""How long work says how far it got: a thin seam between the library and the terminal.

Library functions that take a while (`digest.build`, `Index.rebuild`, ...) accept a
`progress` argument and report named stages through it:

    progress.stage("render", total=len(pages), unit="pages")
    for page in pages:
        ...
        progress.advance("render")

`NO_PROGRESS` (the default) shows nothing; `TerminalProgress` draws rich progress bars with
the count, rate and time left. Commands pick one with `cli_common.progress_for`: bars only on
a terminal, never on a pipe, with `--quiet` or with `--json`.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import rich.progress
from rich.console import Console
from rich.filesize import decimal
from rich.text import Text


class Progress:
    """Shows nothing. The base of every progress display and the default for library calls."""

    def stage(self, name: str, total: float | None = None, unit: str = "") -> None:
        """Start a stage of `total` units (None when unknown: the bar pulses instead)."""

    def advance(self, name: str, n: float = 1) -> None:
        """`n` more units of stage `name` are done."""

    def update(self, name: str, done: float | None = None, total: float | None = None, info: str | None = None,
               unit: str = "") -> None:
        """Set how much of `name` is done, its total or its info text (a stage not begun starts)."""

    def __enter__(self) -> "Progress":
        return self

    def __exit__(self, *exc: object) -> None:
        pass


NO_PROGRESS = Progress()


def count(n: float, unit: str) -> str:
    return decimal(int(n)) if unit == "bytes" else f"{int(n):,}"


class _CountColumn(rich.progress.ProgressColumn):
    """'1,234/5,000 pages', or '12.3 MB/40.0 MB'; just the count when the total is unknown."""

    def render(self, task: rich.progress.Task) -> Text:
        unit = task.fields.get("unit", "")
        if not unit:  # a step of unknown size (a merge, a wait): the bar and the clock say enough
            return Text("")
        done = count(task.completed, unit)
        shown = done if task.total is None else f"{done}/{count(task.total, unit)}"
        return Text(shown + ("" if unit == "bytes" else f" {unit}"), style="progress.download")


class _RateColumn(rich.progress.ProgressColumn):
    """'1,520 posts/s', or '3.1 MB/s'."""

    def render(self, task: rich.progress.Task) -> Text:
        speed = task.finished_speed or task.speed
        unit = task.fields.get("unit", "")
        if not unit or not speed or (speed < 1 and unit != "bytes"):  # "0 shards/s" says nothing
            return Text("")
        return Text(f"{count(speed, unit)}{'' if unit == 'bytes' else ' ' + unit}/s", style="progress.data.speed")


class TerminalProgress(Progress):
    """rich progress bars on `console` (standard error), one line per stage."""

    def __init__(self, console: Console):
        self.bars = rich.progress.Progress(
            rich.progress.TextColumn("{task.description:<14}", markup=False),
            rich.progress.BarColumn(bar_width=30),
            _CountColumn(),
            rich.progress.TextColumn("{task.fields[info]}", markup=False),
            _RateColumn(),
            rich.progress.TimeRemainingColumn(elapsed_when_finished=True),
            console=console, refresh_per_second=8, speed_estimate_period=10)
        self.tasks: dict[str, rich.progress.TaskID] = {}

    def stage(self, name: str, total: float | None = None, unit: str = "") -> None:
        self.tasks[name] = self.bars.add_task(name, total=total, unit=unit, info="")

    def advance(self, name: str, n: float = 1) -> None:
        if name not in self.tasks:
            self.stage(name)
        self.bars.advance(self.tasks[name], n)

    def update(self, name: str, done: float | None = None, total: float | None = None, info: str | None = None,
               unit: str = "") -> None:
        if name not in self.tasks:
            self.stage(name, total, unit)
        fields: dict[str, Any] = {}
        if info is not None:
            fields["info"] = info
        self.bars.update(self.tasks[name], completed=done, total=total, **fields)

    def _finish_open(self) -> None:
        """At the end, a stage of unknown size is complete as it stands; clocks stop."""
        for task in self.bars.tasks:
            if task.total is None:
                self.bars.update(task.id, total=task.completed)
            if not task.finished:
                self.bars.stop_task(task.id)

    def __enter__(self) -> "TerminalProgress":
        self.bars.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._finish_open()
        self.bars.stop()


def shown_on(stream: TextIO | None = None) -> bool:
    """Whether live output belongs on `stream`: a real terminal, not a pipe, a file or TERM=dumb."""
    import os

    stream = stream or sys.stderr
    try:
        return stream.isatty() and os.environ.get("TERM", "") != "dumb"
    except (AttributeError, ValueError):
        return False


class Counted:
    """A binary file read line by line that reports bytes and lines read to `progress`.

    The total is the file's size when it is a regular file (a pipe has none: no ETA then).
    `stored` suits `import_jsonl`'s progress callback: it adds how many posts are stored.
    """

    def __init__(self, stream, progress: Progress, name: str, every: int = 256):
        import os
        import stat

        self.stream, self.progress, self.name, self.every = stream, progress, name, every
        self.bytes = self.lines = 0
        self.good = 0
        total = None
        try:
            info = os.fstat(stream.fileno())
            if stat.S_ISREG(info.st_mode):
                total = max(0, info.st_size - stream.tell())
        except (AttributeError, OSError, ValueError):
            pass
        progress.stage(name, total, "bytes")

    def __iter__(self):
        for raw in self.stream:
            self.bytes += len(raw)
            self.lines += 1
            if self.lines % self.every == 0:
                self._show()
            yield raw
        self._show()

    def stored(self, report) -> None:
        self.good = report.good
        self._show()

    def _show(self) -> None:
        self.progress.update(self.name, done=self.bytes, info=f"{self.lines:,} lines, {self.good:,} stored")
