"""The programme while the event runs: read, stored, and matched again when it changes.

    programme = Programme.open(cfg)        # reads [event] schedule; a broken file is a ScheduleError
    print(programme.summary())             # "schedule.json: 24 talks, 3 rooms, 2 days; 1 skipped: ..."
    moved = programme.sync(writer)         # talks table + stored posts re-matched, if it changed

The archive remembers which programme its posts were matched with (`meta.talks_hash`, a hash
of the talks as read). Whenever a command that writes opens the archive, and whenever `run`
sees the programme change (a file's size or time, or a URL re-fetched with a conditional GET
every few minutes), the talks are compared with that; if they differ, the `talks` table is
replaced and every stored post is matched again through the one writer, so a corrected talk
gets its posts without collecting them again, and the next build shows them. Posts the
organisers placed (`backchannel place`) keep their talk through that, unless the new
programme lacks it: then the matcher decides until the talk returns (`placement.py`).
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from backchannel.models import format_time
from backchannel.sanitize import safe_url
from backchannel.talks.programme import MAX_BYTES, Schedule, ScheduleError, Talk, parse_schedule

FILE_EVERY = 5.0  # seconds between looks at a programme file's size and time during `run`
URL_EVERY = 300.0  # seconds between conditional GETs of a programme URL during `run`


class Programme:
    """The event's programme (`[event] schedule`) as one process knows it."""

    def __init__(self, cfg, schedule: Schedule | None, watch: "Watch | None"):
        self.cfg = cfg
        self.schedule = schedule
        self.watch = watch
        self.missing = 0  # placements naming a talk this programme lacks (ignored, kept)

    @classmethod
    def open(cls, cfg) -> "Programme":
        """Read the config's programme (none configured: an empty one)."""
        if not cfg.event.schedule:
            return cls(cfg, None, None)
        watch = Watch(cfg.event.schedule)
        return cls(cfg, watch.read(cfg.event.tz), watch)

    @property
    def talks(self) -> list[Talk]:
        return self.schedule.talks if self.schedule else []

    def summary(self) -> str:
        """What was read ('' without a programme)."""
        return f"programme: {self.schedule.summary()}" if self.schedule else ""

    def notes(self, moved: int) -> list[str]:
        """Lines for the organiser after `sync`: what was read, and posts that moved."""
        lines = [self.summary()] if self.schedule else []
        if moved:
            lines.append(f"programme changed since the posts were matched: matched again, {moved} "
                         f"post{'s' if moved != 1 else ''} moved to another talk (or to none)")
        if self.missing:
            lines.append(f"{self.missing} post{'s' if self.missing != 1 else ''} placed on a talk this programme "
                         "no longer has: the matcher decides for now (the placement is kept and returns with "
                         "the talk; `backchannel moderation` lists them)")
        return lines

    @property
    def every(self) -> float:
        """Seconds between looks for changes during `run` (0: nothing to watch)."""
        return 0.0 if not self.watch else (URL_EVERY if self.watch.url else FILE_EVERY)

    def check(self) -> bool:
        """Read the programme again if its file or URL changed; True when its talks differ.

        A programme that became unreadable raises `ScheduleError`; the old one stays in use.
        """
        if not self.watch:
            return False
        schedule = self.watch.read_if_changed(self.cfg.event.tz)
        if schedule is None or fingerprint(schedule.talks) == fingerprint(self.talks):
            return False
        self.schedule = schedule
        return True

    def changed_since_match(self, archive) -> bool:
        """Whether the archive's posts were matched with another programme than this one.

        Without a programme the posts keep the talks they have (an import of another
        archive's export brings its own)."""
        return self.schedule is not None and archive.meta("talks_hash") != fingerprint(self.talks)

    def sync(self, writer) -> int:
        """Make the writer match with these talks; if the archive's posts were matched with
        another programme, store the talks and match every post again. Returns posts moved."""
        from backchannel.enrich import make_enricher

        writer.enrich = make_enricher(self.cfg, self.talks)
        return self.store(writer.archive, writer.index)

    def store(self, archive, index) -> int:
        """Store the talks and match every post again, if the archive has another programme."""
        from backchannel.placement import missing, placements

        if self.schedule is not None:
            self.missing = missing(placements(archive), {t.id for t in self.talks})
        if not self.changed_since_match(archive):
            return 0
        moved = rematch(archive, self.talks, self.cfg.event.tz)
        archive.replace_talks(talk_rows(self.talks), fingerprint(self.talks))
        index.catch_up(archive)
        return moved


def rematch(archive, talks: list[Talk], tz) -> int:
    """Match every stored post with `talks` again; store the posts whose talk changed. A post
    the organisers placed keeps their choice while `talks` have its talk."""
    from backchannel.placement import placements, winner
    from backchannel.talks.matcher import Matcher

    if not archive.count():
        return 0  # a new archive (a first import): no matcher to build, nothing to move
    matcher = Matcher(talks, tz) if talks else None
    placed, ids = placements(archive), {t.id for t in talks}
    changed = []
    for post in archive.posts(raw=False):
        won = winner(placed.get(post.id), ids) if placed else None
        talk, reason = won or (matcher.match(post) if matcher else (None, None))
        if (talk, reason) != (post.talk, post.talk_reason):
            changed.append((post.id, post.kind, post.score, talk, reason))
    for start in range(0, len(changed), 2000):
        archive.set_derived(changed[start:start + 2000])
    return len(changed)


def fingerprint(talks: list[Talk]) -> str:
    """A hash of the talks as read (any change to any of them changes it)."""
    data = json.dumps([asdict(t) for t in talks], sort_keys=True, default=str)
    return hashlib.blake2b(data.encode(), digest_size=16).hexdigest()


def talk_rows(talks: list[Talk]) -> list[dict[str, Any]]:
    return [{"id": t.id, "code": t.code, "title": t.title, "room": t.room, "venue": t.venue, "start": format_time(t.start),
             "end": format_time(t.end), "speakers": json.dumps(t.speakers, ensure_ascii=False), "url": t.url}
            for t in talks]


class Watch:
    """Where the programme comes from, and what was seen there last: a file's size and time,
    or a URL's ETag and Last-Modified (for a conditional GET)."""

    def __init__(self, source: str):
        self.source = source
        self.url = safe_url(source) if source.lower().startswith(("http://", "https://")) else None
        self.stamp: tuple | None = None  # (mtime_ns, size) of the file
        self.validators: dict[str, str] = {}  # If-None-Match / If-Modified-Since for the URL
        self.digest: str | None = None  # of the bytes last parsed
        self.checked = time.monotonic()

    @property
    def name(self) -> str:
        return self.url or Path(self.source).name

    def read(self, tz) -> Schedule:
        """Read and parse it now (bad talks are skipped and listed in the summary)."""
        schedule = self.read_if_changed(tz, force=True)
        assert schedule is not None
        return schedule

    def read_if_changed(self, tz, force: bool = False) -> Schedule | None:
        """The programme parsed again, or None when its source shows no change."""
        self.checked = time.monotonic()
        data = self._fetch(force) if self.url else self._read(force)
        if data is None:
            return None
        digest = hashlib.blake2b(data, digest_size=16).hexdigest()
        if digest == self.digest and not force:
            return None
        schedule = parse_schedule(data, self.name, tz, strict=False)
        self.digest = digest
        return schedule

    def _read(self, force: bool) -> bytes | None:
        path = Path(self.source)
        try:
            st = path.stat()
            if (st.st_mtime_ns, st.st_size) == self.stamp and not force:
                return None
            if st.st_size > MAX_BYTES:
                raise ScheduleError(f"{path.name}: larger than {MAX_BYTES // 1_000_000} MB, not read")
            data = path.read_bytes()
        except FileNotFoundError:
            raise ScheduleError(f"{path}: schedule file not found") from None
        except OSError as exc:
            raise ScheduleError(f"{path}: cannot read the schedule: {exc.strerror}") from None
        self.stamp = (st.st_mtime_ns, st.st_size)
        return data

    def _fetch(self, force: bool) -> bytes | None:
        """GET the URL; with the last answer's validators, so an unchanged one costs a 304."""
        import httpx

        headers = {"Accept": "application/json, text/xml, text/calendar;q=0.9, */*;q=0.5"}
        if not force:
            headers.update(self.validators)
        try:
            with httpx.stream("GET", self.url, timeout=20.0, follow_redirects=True, headers=headers) as resp:
                if resp.status_code == 304:
                    return None
                if resp.status_code >= 400:
                    raise ScheduleError(f"{self.url}: cannot fetch the schedule: HTTP {resp.status_code}")
                body = bytearray()
                for chunk in resp.iter_bytes():
                    body += chunk
                    if len(body) > MAX_BYTES:
                        raise ScheduleError(f"{self.url}: larger than {MAX_BYTES // 1_000_000} MB, not read")
                self.validators = {k: resp.headers[v] for k, v in (("If-None-Match", "etag"),
                                                                   ("If-Modified-Since", "last-modified"))
                                   if resp.headers.get(v)}
                return bytes(body)
        except httpx.HTTPError as exc:
            raise ScheduleError(f"{self.url}: cannot fetch the schedule: {type(exc).__name__}: {exc}") from None


def talks_for_build(cfg) -> tuple[list[Talk], list[str]]:
    """The talks for `build`, and notes for the organiser. When the archive's posts were
    matched with another programme, they are matched again first if no other process is
    writing (a running `run` does that itself when it sees the change); so are placements
    the moderation log holds and the posts do not show yet (`placement.py`)."""
    from backchannel.archive import Archive
    from backchannel.errors import BackchannelError, LockedError
    from backchannel.index import Index
    from backchannel.lock import WriterLock
    from backchannel.placement import pending

    programme = Programme.open(cfg)
    notes = programme.notes(0)
    path = Path(cfg.data_dir) / "archive.db"
    if not path.exists():
        return programme.talks, notes
    with Archive(path, readonly=True) as archive:
        if not programme.changed_since_match(archive):
            if pending(archive):
                _apply_placements(cfg, programme)
            return programme.talks, notes
    try:
        lock = WriterLock(cfg.data_dir).acquire()
    except LockedError:
        notes.append("the programme changed since the posts were matched; the running `run` matches "
                     "them again (this build shows the last match)")
        return programme.talks, notes
    except BackchannelError:  # a read-only data dir: build still works, with the last match
        notes.append("the programme changed since the posts were matched, but this data dir is read-only: "
                     "this build shows the last match (`backchannel reindex` where it is writable matches again)")
        return programme.talks, notes
    try:
        with Archive(path) as archive:
            index = Index.in_dir(cfg.data_dir)
            try:
                moved = programme.store(archive, index)
            finally:
                index.close()
    except (sqlite3.Error, OSError) as exc:
        notes.append(f"the programme changed since the posts were matched, but they could not be matched "
                     f"again here ({exc}); this build shows the last match")
        return programme.talks, notes
    finally:
        lock.release()
    return programme.talks, programme.notes(moved)


def _apply_placements(cfg, programme: Programme) -> None:
    """For `build`: apply placements recorded while another writer ran, if none runs now
    (one that does applies them itself; a read-only data dir shows the last state)."""
    from backchannel.archive import Archive
    from backchannel.enrich import make_enricher
    from backchannel.errors import BackchannelError
    from backchannel.index import Index
    from backchannel.lock import WriterLock
    from backchannel.placement import apply

    try:
        lock = WriterLock(cfg.data_dir).acquire()
    except BackchannelError:
        return
    try:
        with Archive(Path(cfg.data_dir) / "archive.db") as archive:
            index = Index.in_dir(cfg.data_dir)
            try:
                # The writer's matcher, built only if a post needs the matcher's choice again.
                if apply(archive, make_enricher(cfg, programme.talks).match):
                    index.catch_up(archive)
            finally:
                index.close()
    except (sqlite3.Error, OSError):
        pass  # the build shows the last state; the next writer applies them
    finally:
        lock.release()
