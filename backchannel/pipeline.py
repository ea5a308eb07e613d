"""The one writer: every change to the archive and the index goes through `Writer.store`.

Order per batch: drop blocked posts → derive kind/score/talk (the organisers' placements
win over the matcher: `placement.py`) → archive (posts, tombstones,
then cursors, one transaction) → in approve mode, hold new posts with spam shapes for a
moderator → index. The archive commits first; if the process dies
before the index commits, the next `Writer` catches the index up from the archive's `seq`.
"""

from __future__ import annotations

import logging

import traceback
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import TYPE_CHECKING, Callable, Iterable, Iterator, Mapping, Sequence

from backchannel.answers import replies_round
from backchannel.archive import Archive, StoreResult
from backchannel.blocklist import Blocker
from backchannel.config import Config, secret_values
from backchannel.errors import BackchannelError
from backchannel.index import Index
from backchannel.index_process import IndexProcess, available as index_process_available
from backchannel.models import Post
from backchannel.moderation import AUTOMATIC, hold_reasons, record, version as moderation_version
from backchannel import placement
from backchannel.progress import NO_PROGRESS, Progress

if TYPE_CHECKING:
    from backchannel.talks.live import Programme

Enrich = Callable[[list[Post]], None]


# What the library tells the organiser along the way (the programme read, posts matched again);
# the command line prints it on standard error.
NOTES = logging.getLogger("backchannel.notes")
NOTES.setLevel(logging.INFO)


@dataclass
class SourceReport:
    """What one source did in one round (for the CLI, `run`'s status and `--json`)."""

    source: str
    added: int = 0
    updated: int = 0
    deleted: int = 0
    unchanged: int = 0
    blocked: int = 0
    requests: int = 0
    answers: int = 0  # replies newly linked to their question (`backchannel.answers`)
    skipped: dict[str, int] = field(default_factory=dict)  # seen and left out, by reason
    warnings: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    kept: int = 0  # stored: new, updated or unchanged
    servers: dict[str, "Counts"] = field(default_factory=dict)  # the same, per server or feed

    @property
    def seen(self) -> int:
        """Posts the source showed us this round: kept, blocked or left out."""
        return self.kept + self.blocked + sum(self.skipped.values())

    def lines(self) -> list[str]:
        """The summary `collect` prints: the source, then each of its servers when it has several."""
        left_out = self.left_out()
        head = (f"{self.source}: {self.added} new, {self.updated} updated, {self.deleted} deleted"
                + (f", {self.blocked} blocked" if self.blocked else "") + (f"; {left_out}" if left_out else "")
                + f"; seen {self.seen}, kept {self.kept} ({self.requests} requests)")
        servers = [f"  {name}: {c.describe()}" for name, c in self.servers.items()] if len(self.servers) > 1 else []
        return [head, *servers]

    def left_out(self) -> str:
        """`left out: 3 not public, 1 opted out (#nobot)`, or '' when nothing was."""
        parts = [f"{n} {reason}" for reason, n in sorted(self.skipped.items(), key=lambda kv: (-kv[1], kv[0]))]
        return "left out: " + ", ".join(parts) if parts else ""

    def as_dict(self) -> dict:
        return {"source": self.source, "added": self.added, "updated": self.updated,
                "deleted": self.deleted, "unchanged": self.unchanged, "blocked": self.blocked,
                "answers": self.answers,
                "skipped": dict(self.skipped), "requests": self.requests, "warnings": self.warnings,
                "errors": self.errors, "seen": self.seen, "kept": self.kept,
                "servers": {name: c.as_dict() for name, c in self.servers.items()}}


@dataclass
class Counts:
    """What one server (or feed) showed: seen, kept, left out by reason, failures."""

    seen: int = 0
    kept: int = 0
    left_out: dict[str, int] = field(default_factory=dict)
    errors: int = 0

    def add(self, other: "Counts") -> None:
        self.seen += other.seen
        self.kept += other.kept
        self.errors += other.errors
        for reason, n in other.left_out.items():
            self.left_out[reason] = self.left_out.get(reason, 0) + n

    def describe(self) -> str:
        """`seen 7, kept 3, left out: 3 not public, 1 blocked; 1 error`."""
        parts = [f"{n} {why}" for why, n in sorted(self.left_out.items(), key=lambda kv: (-kv[1], kv[0]))]
        return (f"seen {self.seen}, kept {self.kept}" + (f", left out: {', '.join(parts)}" if parts else "")
                + (f"; {self.errors} error{'s' if self.errors != 1 else ''}" if self.errors else ""))

    def as_dict(self) -> dict:
        return {"seen": self.seen, "kept": self.kept, "left_out": dict(self.left_out), "errors": self.errors}


class Writer:
    """Owns the archive and the index for one process."""

    def __init__(self, config: Config, archive: Archive, index: Index, enrich: Enrich | None = None,
                 programme: Programme | None = None):
        self.archive = archive
        self.index = index
        self.approve = config.moderation.mode == "approve"
        self.moderation = config.moderation
        self.blocker = Blocker(config.blocklist, hold_words=self.approve)
        self.enrich = enrich
        # The programme `open_writer` read ([event] schedule); `run` watches it for changes.
        self.programme = programme
        self.secrets = secret_values()
        self.index.catch_up(archive)
        self._indexer: IndexProcess | None = None
        self._placed_at = -1  # the moderation log's version the placements were applied at
        self._placed: dict = {}

    def index_in_child(self) -> None:
        """Bulk writers (import): index in a child process from now on, overlapping the next
        batch's work (`index_process.py`). Where processes cannot fork, stay in process."""
        if self._indexer is None and index_process_available():
            self._indexer = IndexProcess(self.index)

    def store(self, posts: Sequence[Post] = (), deleted: Iterable[str] = (),
              cursors: dict | None = None, source: str | None = None,
              answers: dict | None = None) -> tuple[StoreResult, int]:
        """Store one batch; returns what the archive did and how many posts were blocked.
        `answers` links replies to the questions they answer (`Archive.store`)."""
        kept = [p for p in posts if not self.blocker.blocks(p)] if self.blocker else list(posts)
        if self.secrets:
            for post in kept:
                scrub_post(post, self.secrets)
        self.refresh_placements()
        if self.enrich and kept:
            # Classifying and matching cost more than the write: skip posts stored unchanged
            # (the archive keeps what was derived for them).
            changed = self.archive.changed(kept)
            self.enrich(changed)
            if self._placed:
                placement.overlay(changed, self._placed, placement.talk_ids(self.archive))
        result = self.archive.store(kept, deleted, cursors, source, answers=answers)
        if self.approve and result.added:
            self._hold(kept, set(result.added))
        if result.added or result.updated or result.deleted:
            by_id = {p.id: p for p in kept}
            (self._indexer or self.index).write(added=[by_id[i] for i in result.added],
                             updated=[by_id[i] for i in result.updated],
                             deleted=result.deleted, seq=self.archive.seq)
        return result, len(posts) - len(kept)

    def refresh_placements(self) -> int:
        """If the moderation log changed since last asked, put the posts it places (or no longer
        places) on their talk, and index them; returns how many posts moved."""
        now = moderation_version(self.archive)
        if now == self._placed_at:
            return 0
        self._placed = placement.placements(self.archive)
        moved = placement.apply(self.archive, getattr(self.enrich, "match", None), self._placed)
        if moved:
            posts = self.archive.get_many(moved)
            (self._indexer or self.index).write(updated=list(posts.values()), seq=self.archive.seq)
        self._placed_at = now
        return len(moved)

    def _hold(self, posts: Sequence[Post], added: set[str]) -> None:
        """Approve mode: hold new posts with spam shapes (or blocklist words) for a moderator."""
        for post in posts:
            if post.id in added:
                reasons = hold_reasons(post, self.moderation, self.blocker.words)
                if reasons:
                    record(self.archive, post.id, "hold", "; ".join(reasons), by=AUTOMATIC)

    def close(self) -> None:
        try:
            if self._indexer:
                self._indexer.close()  # waits for the last batch
        finally:
            self.index.close()
            self.archive.close()


@contextmanager
def open_writer(config: Config, create: bool = True, index_process: bool = False) -> Iterator[Writer]:
    """The writer of `config.data_dir`: its lock, archive, index and enrichment (kind, score,
    talk), all released on the way out, whatever happens inside.

        with open_writer(cfg) as writer:
            writer.store(posts)

    `create=False` refuses a data dir with no archive yet (an `InputError`) rather than
    making an empty one. Another process holding the lock is a `LockedError`.
    `index_process=True` (bulk imports) indexes in a child process: see `index_process.py`.
    """
    from backchannel.checks import archive_path
    from backchannel.lock import WriterLock
    from backchannel.talks.live import Programme

    if not create:
        archive_path(config.data_dir)
    programme = Programme.open(config)  # a broken programme stops the command before it takes the lock
    with WriterLock(config.data_dir):
        archive, index = Archive.in_dir(config.data_dir), None
        try:
            index = Index.in_dir(config.data_dir)
            writer = Writer(config, archive, index, programme=programme)
            # The programme's summary, and posts matched again if it changed since the last match.
            for note in programme.notes(programme.sync(writer)):
                NOTES.info(note)
            writer.refresh_placements()  # placed from another terminal while nothing was writing
            if index_process:  # after the sync, which indexes the posts it moved itself
                writer.index_in_child()
        except BaseException:
            if index is not None:
                index.close()
            archive.close()
            raise
        try:
            yield writer
        finally:
            writer.close()


def apply_placements(config: Config) -> str | None:
    """After `place`/`unplace`: apply the moderation log's placements at once (the writer does
    it as it opens). None when done; else why not (another process writes: `run` applies
    them itself within a second; any other writer at its next batch)."""
    from backchannel.errors import LockedError

    try:
        with open_writer(config, create=False):
            pass
    except LockedError:
        return ("another process is writing the archive (`backchannel run`?): it applies this within a "
                "second and refreshes the digest; otherwise the next command that writes does")
    except BackchannelError as exc:  # kept in the log: the next writer that can, applies it
        return f"not applied yet ({exc.format_message()}); the next command that writes applies it"
    return None


def collect(config: Config, env: Mapping[str, str], only: Iterable[str] = (), recheck_hours: float | None = None,
            on_error: Callable[[str], None] | None = None,
            on_batch: Callable[[SourceReport], None] | None = None) -> list[SourceReport]:
    """One round of every configured source (or only the named ones) into the archive and index."""
    from backchannel.checks import collectors

    made = collectors(config, env, only)
    with open_writer(config) as writer:
        return collect_round(writer, made, recheck_hours=recheck_hours, on_error=on_error, on_batch=on_batch)


def reindex(config: Config, progress: Progress = NO_PROGRESS) -> int:
    """Rebuild the search index from the archive (which must exist); returns how many posts."""
    with open_writer(config, create=False) as writer:
        return writer.index.rebuild(writer.archive, progress)


def scrub(value, secrets: Sequence[str]):
    """`value` (a string, or lists and dicts of them) with every secret replaced.

    Applied to the decoded values: a server that echoes a token JSON-escaped (`\\u0053…`)
    gets past a scrub of the raw body, not past this.
    """
    if isinstance(value, str):
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, "[redacted]")
        return value
    if isinstance(value, list):
        return [scrub(v, secrets) for v in value]
    if isinstance(value, dict):
        return {scrub(k, secrets): scrub(v, secrets) for k, v in value.items()}
    return value


def scrub_post(post: Post, secrets: Sequence[str]) -> None:
    """Scrub every string a Post holds, its raw payload included, in place."""
    for obj in (post, post.author, post.metrics, *post.media):
        for name, value in vars(obj).items():
            if isinstance(value, (str, list, dict)) and name not in ("author", "metrics", "media"):
                setattr(obj, name, scrub(value, secrets))


def collect_round(writer: Writer, collectors: Iterable, recheck_hours: float | None = None,
                  on_error: Callable[[str], None] | None = None,
                  on_batch: Callable[[SourceReport], None] | None = None) -> list[SourceReport]:
    """Poll every collector once, storing each batch as it arrives; one report per source.

    A collector that fails is reported and the others go on; what it yielded before the
    failure is already stored. `on_batch` hears the source's report after every stored
    batch (a page, usually): how `collect` shows a long backfill's progress.
    """
    on_batch = on_batch or (lambda report: None)
    reports = []
    for collector in collectors:
        report = SourceReport(collector.name)
        reports.append(report)
        try:
            for batch in collector.collect(writer.archive.cursors(collector.name)):
                apply_batch(writer, collector.name, batch, report)
                on_batch(report)
            if recheck_hours:
                since = datetime.now(timezone.utc) - timedelta(hours=recheck_hours)
                recent = list(writer.archive.posts(source=collector.name, since=since))
                for batch in collector.recheck(recent):
                    apply_batch(writer, collector.name, batch, report)
                    on_batch(report)
            for batch in replies_round(collector, writer.archive):  # answers to the questions stored
                apply_batch(writer, collector.name, batch, report)
                on_batch(report)
        except BackchannelError as exc:
            report.errors.append(exc.format_message())
        except Exception as exc:  # a bug in one collector must not stop the others
            report.errors.append(f"{collector.name}: unexpected error: {exc!r}")
            if on_error:
                on_error(traceback.format_exc())
    return reports


def apply_batch(writer: Writer, source: str, batch, report: SourceReport) -> None:
    deleted = list(batch.deleted)
    if batch.forget:  # authors who opted out leave no trace: every post of theirs goes
        deleted += writer.archive.author_posts(source, batch.forget)
    result, blocked = writer.store(batch.posts, deleted, batch.cursors, source,
                                   answers=batch.answers)
    for reason, n in batch.skipped.items():
        report.skipped[reason] = report.skipped.get(reason, 0) + n
    report.answers += len(result.linked)
    report.added += len(result.added)
    report.updated += len(result.updated)
    report.deleted += len(result.deleted)
    report.unchanged += result.unchanged
    report.blocked += blocked
    report.requests += batch.requests
    report.warnings += scrub(list(batch.warnings) + result.rejected, writer.secrets)
    report.errors += scrub(list(batch.errors), writer.secrets)
    kept = len(result.added) + len(result.updated) + result.unchanged
    report.kept += kept
    left_out = dict(batch.skipped, **({"blocked": blocked} if blocked else {}))
    counts = Counts(kept + sum(left_out.values()), kept, left_out, len(batch.errors))
    report.servers.setdefault(batch.origin or source, Counts()).add(counts)
