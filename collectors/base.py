"""The Collector protocol: how a source hands posts to the pipeline.

A collector fetches and normalises; it never writes to the archive, prints, or touches the
index or the digest. `collect()` yields `Batch`es. The pipeline stores each batch's posts
and tombstones **and then** its cursors, in one transaction, so a crash never advances a
cursor past posts that were not stored.

Cursors are a collector's own bookmarks (e.g. the newest status id per server × hashtag):
a dict of JSON values keyed by whatever the collector likes. The pipeline passes the stored
ones back on the next call.

Threads (optional, Mastodon and Bluesky): `replies(threads)` takes (question Post, ids of
its answers already stored) pairs and yields Batches whose posts are the public replies,
`answers` links them to their question, `threads` names the questions read and `deleted`
the stored answers a complete thread no longer holds. See `backchannel.answers`.

What the archive holds: every collector has a `stored` attribute, a function
`stored(since=None, raw=True)` giving the posts the archive holds from its source (created at
or after `since`); until the caller sets it, nothing is stored. `run` sets it to a read
connection of its own before calling `collect()`. A stream (Bluesky's Jetstream, whose
`collect()` does not return) reads it to know which deletions concern stored posts and which
posts' counts to refresh, without opening the archive itself; polled collectors ignore it.

Failures: a collector reports what went wrong in `Batch.errors` / `Batch.warnings` and goes
on with its other servers, tags or feeds. It raises only for a problem the user must fix
before anything can work (bad credentials): `backchannel.errors.SourceError`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Iterable, Iterator, Mapping, Protocol

from backchannel.models import Post


@dataclass
class Batch:
    """What a collector hands over in one step."""

    posts: list[Post] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)  # post ids gone at the source (tombstone them)
    cursors: dict[str, Any] = field(default_factory=dict)  # cursor key → new value (JSON-able)
    warnings: list[str] = field(default_factory=list)  # one skipped item, a redirect remembered, ...
    errors: list[str] = field(default_factory=list)  # a server/feed failed this round and was skipped
    requests: int = 0  # HTTP requests this step made (for `stats` and the polling-cost check)
    skipped: dict[str, int] = field(default_factory=dict)  # posts seen and left out, by reason
    forget: list[str] = field(default_factory=list)  # authors (handles) who opted out: drop all their posts
    origin: str = ""  # the server or feed it came from, for per-server counts ('' for the source as a whole)
    # Replies fetched as answers (`backchannel.answers`): reply id → (question id, parent id or None),
    # and the questions whose threads this step read (their re-check schedule moves on).
    answers: dict[str, tuple[str, str | None]] = field(default_factory=dict)
    threads: list[str] = field(default_factory=list)

    def skip(self, reason: str, n: int = 1) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + n


class StoredPosts(Protocol):
    def __call__(self, since: datetime | None = None, raw: bool = True) -> Iterable[Post]:
        """The archive's posts from the collector's source, oldest first (created at or after
        `since`; `raw=False` leaves their raw payloads out)."""
        ...


def nothing_stored(since: datetime | None = None, raw: bool = True) -> Iterable[Post]:
    """`Collector.stored` until the caller sets it."""
    return ()


class Collector(Protocol):
    """A source of posts. Constructed once per process as `Kind(config, data_dir, env)`
    (`backchannel.collectors.registry.make_collectors` makes the ones a config asks for);
    tests also pass `retry=` and `clock=` (`backchannel.collectors.retry`). The collectors
    subclass it, so they inherit `stored`'s default."""

    name: str  # "mastodon", "bluesky", "rss": the Post.source it yields and its cursor namespace
    # What the archive holds from this source (see the module docstring): set by the caller.
    stored: StoredPosts = staticmethod(nothing_stored)

    def collect(self, cursors: Mapping[str, Any]) -> Iterator[Batch]:
        """Fetch what is new since `cursors` (empty on the first run: backfill to the event start)."""
        ...

    def recheck(self, posts: Iterable[Post]) -> Iterator[Batch]:
        """Look at stored posts again: yield edits as posts, deletions in `Batch.deleted`."""
        ...

