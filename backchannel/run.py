"""`backchannel run`: poll every source on its own interval, through one writer, for days.

Shape: one thread per collector fetches and puts each `Batch` on a queue; the main thread is
the only writer — it stores batches (archive, then index), refreshes the digest when
something changed, and keeps the status. A collector thread waits until its round's batches
are stored before it reads its cursors for the next round, so cursors never run ahead.

Stopping: Ctrl-C (SIGINT) or SIGTERM sets a flag; the writer stores what is already queued,
then exits. `kill -9` loses at most the batches not yet committed, whose cursors were not
saved either: the next start fetches them again and the archive's upsert keeps one copy.
"""

from __future__ import annotations

import multiprocessing
import queue
import signal
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable

from backchannel.collectors.registry import live
from backchannel.answers import replies_round
from backchannel.archive import Archive
from backchannel.errors import BackchannelError
from backchannel.pipeline import Counts, SourceReport, Writer, apply_batch

if TYPE_CHECKING:
    from backchannel.config import Config
    from backchannel.digest import BuildReport

RECHECK_EVERY = 600  # seconds between re-checks of recent posts (with --recheck)
HEARTBEAT = 600  # seconds without a log line after which `run` says it is still polling
MODERATION_CHECK = 1.0  # seconds between looks at the moderation log


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat(timespec="seconds") if moment else None


@dataclass
class SourceStatus:
    """What the status display shows for one source."""

    name: str
    interval: float
    polls: int = 0
    last_poll: datetime | None = None
    next_poll: datetime | None = None
    last_new: int = 0
    total_new: int = 0
    total_updated: int = 0
    total_deleted: int = 0
    requests: int = 0
    skipped: dict[str, int] = field(default_factory=dict)  # seen and left out, by reason, since start
    seen: int = 0  # posts the source showed, since start: kept + left out
    kept: int = 0
    servers: dict[str, Counts] = field(default_factory=dict)  # the same per server or feed, since start
    errors: int = 0
    last_error: str | None = None
    polling: bool = False
    # Hook for what only some sources know, shown as extra columns by `run` and `status`:
    # label → a number or a short string, e.g. {"jetstream lag": "2.1 s"} for Bluesky's live
    # stream. The feature that knows the value sets it (from any thread); nothing else
    # needs to change for it to be shown, written to the status file and printed by --json.
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def state(self) -> str:
        return "polling" if self.polling else ("waiting" if self.polls else "starting")

    def as_dict(self) -> dict:
        return {"name": self.name, "state": self.state, "interval": self.interval, "polls": self.polls,
                "last_poll": _iso(self.last_poll), "next_poll": _iso(self.next_poll),
                "last_new": self.last_new, "total_new": self.total_new, "total_updated": self.total_updated,
                "total_deleted": self.total_deleted, "requests": self.requests,
                "skipped": dict(self.skipped), "errors": self.errors, "last_error": self.last_error,
                "seen": self.seen, "kept": self.kept,
                "servers": {name: c.as_dict() for name, c in list(self.servers.items())},
                "extra": dict(self.extra)}


@dataclass
class RunStatus:
    sources: dict[str, SourceStatus] = field(default_factory=dict)
    started: datetime = field(default_factory=lambda: datetime.now(timezone.utc))
    archive_total: int = 0
    digest: bool = True  # False with --no-digest
    digest_builds: int = 0
    last_digest: datetime | None = None
    digest_seconds: float | None = None  # how long the last refresh took
    digest_building: datetime | None = None  # when the refresh going on now began
    digest_error: str | None = None
    # Hook for run-wide figures of other features, shown on the summary line: label → a
    # number or a short string, e.g. {"moderation queue": 4} when approve mode is on.
    extra: dict[str, object] = field(default_factory=dict)

    def as_dict(self) -> dict:
        """The status as plain JSON data: what the status file holds and `status --json` prints."""
        return {"started": _iso(self.started), "archive_total": self.archive_total,
                "new_since_start": sum(s.total_new for s in self.sources.values()),
                "sources": [s.as_dict() for s in list(self.sources.values())],
                "digest": {"enabled": self.digest, "builds": self.digest_builds,
                           "last": _iso(self.last_digest),
                           "seconds": None if self.digest_seconds is None else round(self.digest_seconds, 1),
                           "building_since": _iso(self.digest_building), "error": self.digest_error},
                "extra": dict(self.extra)}


class ChildBuild:
    """Refreshes the digest (`backchannel.digest.build`, incremental) in a child process and
    hands back its `BuildReport`.

    The child reads the archive on its own (WAL lets it read beside the writer); its memory
    goes away with it, and a crash of the build is reported as an error, so `run` stays
    small and keeps collecting however big the event gets. The child is started fresh
    ("spawn"): `run`'s collector threads are not copied into it. As with any spawned
    process, a script of your own that calls it needs the `if __name__ == "__main__":`
    guard (the `backchannel` command has it).
    """

    def __init__(self, config: Config):
        self.config = config
        self.context = multiprocessing.get_context("spawn")

    def __call__(self) -> BuildReport:
        receive, send = self.context.Pipe(duplex=False)
        child = self.context.Process(target=_build_in_child, args=(self.config, send), name="backchannel build",
                                     daemon=True)
        child.start()
        send.close()  # the child holds the only sending end: its death ends the pipe
        try:
            report, error = receive.recv()
        except EOFError:
            child.join()
            code = child.exitcode or 0
            how = f"killed by signal {-code}" if code < 0 else f"exit code {code}"
            raise BackchannelError(f"digest build failed: the build process died ({how})") from None
        finally:
            receive.close()
            if child.is_alive():  # a second Ctrl-C while building: stop now
                child.terminate()
            child.join()
        if error:
            raise BackchannelError(error)
        if report.search and report.search.error:
            raise BackchannelError(f"digest written, but its search index failed: {report.search.error}")
        return report


def _build_in_child(config: Config, answer) -> None:
    """The child's side of `ChildBuild`: build and send back (report, None) or (None, error)."""
    from backchannel import digest

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is for `run`: it stops after this build
    try:
        outcome = (digest.build(config), None)
    except BackchannelError as exc:
        outcome = (None, f"digest build failed: {exc.format_message()}")
    except Exception as exc:  # a bug: reported like a crash, and the collector goes on
        outcome = (None, f"digest build failed: unexpected error: {exc!r}")
    answer.send(outcome)
    answer.close()


@dataclass
class _Item:
    source: str
    batch: object
    done: threading.Event
    apply: Callable[[], None] | None = None  # work for the writer other than a batch (a new programme)


class Runner:
    """Runs collectors concurrently and feeds their batches through one `Writer`."""

    def __init__(self, writer: Writer, collectors: list, intervals: dict[str, float],
                 refresh: float, build: Callable[[], BuildReport | None] | None = None,
                 log: Callable[[str], None] = lambda line: None,
                 recheck_hours: float | None = None, on_change: Callable[[RunStatus], None] | None = None,
                 warnings: bool = False, moderation: Callable[[], int] | None = None,
                 review_queue: Callable[[], int] | None = None):
        self.writer = writer
        # A source with a live stream (Bluesky's Jetstream) is read through it.
        self.collectors = [live(c) for c in collectors]
        self.refresh = refresh
        self.build = build
        self._log = log
        self._last_said = time.monotonic()
        self.heartbeat = HEARTBEAT
        # The programme `open_writer` read ([event] schedule): watched for changes while running.
        self.programme = writer.programme
        self.recheck_hours = recheck_hours
        self.on_change = on_change or (lambda status: None)
        self.warnings = warnings
        self.queue: queue.Queue[_Item] = queue.Queue(maxsize=64)
        self.stop = threading.Event()
        self.status = RunStatus({c.name: SourceStatus(c.name, intervals.get(c.name, 60)) for c in self.collectors},
                                digest=build is not None)
        for c in self.collectors:
            if isinstance(getattr(c, "extra", None), dict):  # e.g. Jetstream's lag, kept up to date by the collector
                self.status.sources[c.name].extra = c.extra
        self.status.archive_total = writer.archive.count()
        self._dirty = False
        # `moderation()` returns how many moderation actions arrived since it was last asked
        # (`backchannel hide` from another terminal): the digest is then refreshed at once.
        self.moderation = moderation
        self.review_queue = review_queue  # approve mode: posts waiting for `backchannel review`
        self._next_check = 0.0

    def log(self, line: str) -> None:
        self._last_said = time.monotonic()
        self._log(line)

    # -- the writer (main thread) ----------------------------------------------------------

    def run(self, max_seconds: float | None = None) -> RunStatus:
        """Until stopped (signal, `stop.set()`, or `max_seconds`); returns the final status."""
        self._install_signals()
        threads = [threading.Thread(target=self._poll_loop, args=(c,), name=f"poll-{c.name}", daemon=True)
                   for c in self.collectors]
        if self.programme is not None and self.programme.every:
            threads.append(threading.Thread(target=self._programme_loop, name="programme", daemon=True))
        for t in threads:
            t.start()
        deadline = time.monotonic() + max_seconds if max_seconds else None
        next_build = time.monotonic()
        if self.build:
            self._build()  # a complete digest from the start, even before anything new arrives
        while not self.stop.is_set():
            if deadline and time.monotonic() >= deadline:
                self.stop.set()
                break
            try:
                item = self.queue.get(timeout=0.2)
            except queue.Empty:
                item = None
            if item:
                self._store(item)
            if time.monotonic() >= self._next_check:
                self._next_check = time.monotonic() + MODERATION_CHECK
                self._placed()  # before the digest hears of it: the posts are on their talk first
                if self.moderation and self._moderated():
                    next_build = time.monotonic()
            if self.build and self._dirty and time.monotonic() >= next_build:
                self._build()
                next_build = time.monotonic() + self.refresh
            if time.monotonic() - self._last_said >= self.heartbeat:
                self.log(self._quiet_line())
        self._drain()
        if self.build and self._dirty:
            self._build()
        self.log("stopped; everything fetched so far is stored")
        return self.status

    def _store(self, item: _Item) -> None:
        if item.apply:
            try:
                item.apply()
            finally:
                item.done.set()
            return
        report = SourceReport(item.source)
        try:
            apply_batch(self.writer, item.source, item.batch, report)
        finally:
            item.done.set()
        s = self.status.sources[item.source]
        s.last_new += report.added
        s.total_new += report.added
        s.total_updated += report.updated
        s.total_deleted += report.deleted
        s.requests += report.requests
        for reason, n in report.skipped.items():
            s.skipped[reason] = s.skipped.get(reason, 0) + n
        s.seen += report.seen
        s.kept += report.kept
        for name, counts in report.servers.items():
            s.servers.setdefault(name, Counts()).add(counts)
        for warning in report.warnings if self.warnings else ():
            self.log(f"{item.source}: warning: {warning}")
        for error in report.errors:
            s.errors += 1
            s.last_error = error
            self.log(f"{item.source}: error: {error}")
        if report.added or report.updated or report.deleted or report.answers:
            self._dirty = True
            self.status.archive_total += report.added - report.deleted
            left_out = report.left_out()
            self.log(f"{item.source}: {report.added} new, {report.updated} updated, {report.deleted} deleted"
                     + (f"; {left_out}" if left_out else ""))
        self.on_change(self.status)

    def _quiet_line(self) -> str:
        """The heartbeat: polls go on and find nothing (or the log would have said so)."""
        quiet = int(time.monotonic() - self._last_said) // 60
        polls = ", ".join(f"{s.name} {s.polls} poll{'s' if s.polls != 1 else ''}"
                          + (f" ({s.errors} errors)" if s.errors else "") for s in self.status.sources.values())
        return (f"still collecting: nothing new in the last {quiet} min; since start {polls}; "
                f"archive {self.status.archive_total} posts")

    def _programme_loop(self) -> None:
        """Look at the programme every few seconds (a file) or minutes (a URL); a changed one is
        handed to the writer, which matches the stored posts again."""
        while not self.stop.wait(self.programme.every):
            try:
                changed = self.programme.check()
            except BackchannelError as exc:
                self.log(f"programme: error: {exc.format_message()} (the last one read stays in use)")
                continue
            if changed:
                item = _Item("programme", None, threading.Event(), apply=self._new_programme)
                self._feed_item(item, [])

    def _new_programme(self) -> None:
        moved = self.programme.sync(self.writer)
        self.log(f"programme changed: {self.programme.schedule.summary()}; stored posts matched again, "
                 f"{moved} moved")
        if moved:
            self._dirty = True

    def _placed(self) -> None:
        """Posts placed on a talk from another terminal (`backchannel place`): applied here."""
        try:
            moved = self.writer.refresh_placements()
        except Exception as exc:  # collecting goes on; the next look tries again
            self.log(f"placements: error: {exc!r}")
            return
        if moved:
            self.log(f"placements: {moved} post{'s' if moved != 1 else ''} put on the talk the organisers chose")
            self._dirty = True

    def _moderated(self) -> bool:
        try:
            n = self.moderation()
        except Exception as exc:  # the wall file is a convenience; collecting goes on
            self.log(f"moderation: error: {exc!r}")
            return False
        if n:
            self.log(f"moderation: {n} new action{'s' if n != 1 else ''}; refreshing the digest")
            self._dirty = True
        return bool(n)

    def _drain(self) -> None:
        while True:
            try:
                self._store(self.queue.get_nowait())
            except queue.Empty:
                return

    def _build(self) -> None:
        began = time.monotonic()
        self.status.digest_building = datetime.now(timezone.utc)
        self.on_change(self.status)
        try:
            report = self.build()
            if report is not None:
                self.log(f"digest: {report.summary()}")
            self.status.digest_builds += 1
            self.status.last_digest = datetime.now(timezone.utc)
            self.status.digest_seconds = time.monotonic() - began
            self.status.digest_error = None
            self._dirty = False
        except BackchannelError as exc:
            self.status.digest_error = exc.format_message()
            self.log(f"digest: error: {self.status.digest_error}")
        finally:
            self.status.digest_building = None
        if self.review_queue:
            try:
                self.status.extra["review queue"] = self.review_queue()
            except Exception as exc:  # a count for the display; collecting goes on
                self.log(f"review queue: error: {exc!r}")
        self.on_change(self.status)

    # -- the collectors (one thread each) --------------------------------------------------

    def _poll_loop(self, collector) -> None:
        status = self.status.sources[collector.name]
        reader = Archive(self.writer.archive.path)  # its own read connection (WAL: readers don't block)
        # What the archive holds, through this reader (a stream needs it; see collectors/base.py).
        collector.stored = lambda since=None, raw=True: reader.posts(source=collector.name, since=since, raw=raw)
        last_recheck = 0.0
        try:
            while not self.stop.is_set():
                status.polling, status.last_new = True, 0
                self.on_change(self.status)
                waits: list[threading.Event] = []
                self._poll_once(collector.name, lambda: collector.collect(reader.cursors(collector.name)), waits)
                if self.recheck_hours and time.monotonic() - last_recheck > RECHECK_EVERY:
                    since = datetime.now(timezone.utc) - timedelta(hours=self.recheck_hours)
                    recent = list(reader.posts(source=collector.name, since=since))
                    self._poll_once(collector.name, lambda: collector.recheck(recent), waits)
                    last_recheck = time.monotonic()
                self._poll_once(collector.name, lambda: replies_round(collector, reader), waits)
                for done in waits:  # the next round reads cursors that include this round's
                    while not done.wait(0.2) and not self.stop.is_set():
                        pass
                status.polls += 1
                status.polling = False
                status.last_poll = datetime.now(timezone.utc)
                status.next_poll = status.last_poll + timedelta(seconds=status.interval)
                self.on_change(self.status)
                self.stop.wait(status.interval)
        finally:
            reader.close()

    def _poll_once(self, name: str, batches: Callable, waits: list[threading.Event]) -> None:
        """Queue every batch `batches()` yields; a failure becomes an error batch."""
        try:
            self._feed(name, batches(), waits)
        except BackchannelError as exc:
            self._report(name, exc.format_message(), waits)
        except Exception as exc:  # one collector's bug must not stop the others
            self._report(name, f"unexpected error: {exc!r}", waits)

    def _feed(self, name: str, batches, waits: list[threading.Event]) -> None:
        for batch in batches:
            self._feed_item(_Item(name, batch, threading.Event()), waits)
            if self.stop.is_set():
                break

    def _feed_item(self, item: _Item, waits: list[threading.Event]) -> None:
        while not self.stop.is_set():
            try:
                self.queue.put(item, timeout=0.2)
                waits.append(item.done)
                if len(waits) > 256:  # a live stream's round never ends: forget the stored ones
                    waits[:] = [w for w in waits if not w.is_set()]
                return
            except queue.Full:
                continue

    def _report(self, name: str, message: str, waits: list[threading.Event]) -> None:
        from backchannel.collectors.base import Batch

        item = _Item(name, Batch(errors=[message]), threading.Event())
        self.queue.put(item)
        waits.append(item.done)

    def _install_signals(self) -> None:
        if threading.current_thread() is not threading.main_thread():
            return

        def stop(signum, frame):
            if self.stop.is_set():
                raise KeyboardInterrupt  # a second Ctrl-C: stop now
            self.log("stopping: storing what is in flight …")
            self.stop.set()

        signal.signal(signal.SIGINT, stop)
        signal.signal(signal.SIGTERM, stop)


def run_event(config, env, display, only=(), digest: bool = True, recheck_hours: float | None = None,
              warnings: bool = False, stop_after: float | None = None) -> RunStatus:
    """`backchannel run`: collect from every configured source (or only the named ones), each on
    its interval, through one writer, and refresh the digest, until stopped (or `stop_after`
    seconds). `display` (see `run_display.Display`) shows and logs the status; the same status
    is written to the data dir for `backchannel status`."""
    from backchannel.checks import collectors as configured
    from backchannel.pipeline import open_writer
    from backchannel.review import queue_length
    from backchannel.status_file import StatusWriter
    from backchannel.wall import ModerationWatch

    made = configured(config, env, only)
    intervals = {name: section.interval for name, section in
                 (("mastodon", config.mastodon), ("bluesky", config.bluesky), ("rss", config.rss)) if section}
    with open_writer(config) as writer:
        archive = writer.archive
        approve = config.moderation.mode == "approve"  # the queue is shown in `run` and `status`
        runner = Runner(writer, made, intervals, config.digest.refresh, ChildBuild(config) if digest else None,
                        log=display.log, recheck_hours=recheck_hours, on_change=display.update,
                        warnings=warnings, moderation=ModerationWatch(config, archive) if digest else None,
                        review_queue=(lambda: queue_length(archive, config)) if approve else None)
        display.update(runner.status)
        with display, StatusWriter(config.data_dir, display.snapshot):
            display.log(f"collecting {', '.join(c.name for c in made)} into {config.data_dir}"
                        + (f"; digest in {config.digest.output}" if digest else ""))
            return runner.run(max_seconds=stop_after)
