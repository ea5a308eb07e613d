"""Bluesky during `run`: the event's posts from Jetstream as they are written, no account needed.

`JetstreamCollector.collect(cursors)` does not return while the stream lasts: it reads
Jetstream and yields a `Batch` about every `flush_every` seconds (an empty one too, so the
cursor advances and `run` can stop it). Per message:

- a post created or edited under one of the event's hashtags (a tag facet, `record.tags`, or
  `#tag` in the text, any case: the rule search uses) waits until its author's profile is
  known (`getProfiles` on the public AppView, batched and cached): the handle, and the
  labels that keep a post out (`!no-unauthenticated`, adult labels) are honoured before the
  post is published. An author whose profile the AppView does not give (deleted,
  deactivated, taken down) is left out;
- an edit that takes the event's hashtags away, and the deletion of a stored post, become
  tombstones; a deleted, deactivated, suspended or taken-down account takes all its posts
  out (`Batch.forget`); an identity event makes the author's handle be asked again;
- anything else (the rest of the network) is only counted.

Cursor `jetstream` = `{"time_us": N}`: every event up to N is stored or deliberately left out.
It is saved in the same transaction as the posts it covers, and held just below the oldest
post still waiting for its author, so a restart (even after `kill -9`) replays from there;
the archive's upsert and tombstones absorb the replayed duplicates.

Catching up: a first `run` after the event began replays from the event's start. Gaps: when
that start, or the stored cursor, is older than `replay_hours`, or when Jetstream answers a
replay with events far later than asked (its window was shorter), the missing span is recorded in cursor `gaps` and filled by search
(`BlueskyCollector`, which needs a login); a gap that could not be filled stays recorded and
is tried again at the next start.
"""

from __future__ import annotations

import json
import time
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from backchannel.collectors.base import Batch, Collector
from backchannel.collectors.bluesky.appview import AppView, AppViewError, Profiles
from backchannel.collectors.bluesky.jetstream import POST_COLLECTION, Backoff, Jetstream
from backchannel.collectors.bluesky.normalize import (
    BadPost, _DID, _RKEY, left_out_reason, normalize, post_tags,
)
from backchannel.collectors.bluesky.records import post_uri, post_view
from backchannel.config import BlueskySource, Config
from backchannel.errors import BackchannelError
from backchannel.models import Post, make_id

CURSOR = "jetstream"
GAPS = "gaps"
GONE = {"deleted", "deactivated", "suspended", "takendown"}  # account states that take posts out
OPTED_OUT = "opted out (!no-unauthenticated)"
NO_PROFILE = "author's profile not available (deleted, deactivated or taken down)"


@dataclass
class _Waiting:
    """A tagged post seen on the stream, waiting for its author's profile."""

    time_us: int
    did: str
    rkey: str
    record: dict
    cid: str | None


class JetstreamCollector(Collector):
    """The Bluesky collector `run` uses while Jetstream instances are configured."""

    name = "bluesky"

    def __init__(self, config: Config, data_dir: Path, env: Mapping[str, str]):
        self.config = config
        self.data_dir = Path(data_dir)
        self.env = env
        self.source: BlueskySource = config.bluesky or BlueskySource()
        self.tags = set(config.event.hashtags)
        self.appview = AppView(self.source.appview, self.source.timeout)
        self.profiles = Profiles(self.appview)
        self.stream = Jetstream(self.source.jetstream, self.source.timeout)
        self.extra: dict[str, object] = {}  # shown by `run` and `status` (SourceStatus.extra)
        # Timing knobs (instance attributes: tests make them small).
        self.flush_every = 0.5  # seconds between batches
        self.max_waiting = 500  # posts waiting for profiles before a batch is forced
        self.gap_after = 120.0  # seconds: a replay starting this far after its cursor was clamped
        self.lookup_backoff = Backoff(first=2.0, cap=120.0)
        self.refresh_every = 600.0  # seconds between counts refreshes (getPosts)
        self.refresh_hours = 24.0  # refresh the posts of this many last hours ...
        self.refresh_max = 1000  # ... at most this many, newest first (40 requests)
        # State of the stream.
        self.position: int | None = None  # time_us read up to
        self.waiting: list[_Waiting] = []
        self.deleted: list[str] = []
        self.forget: list[str] = []
        self.skipped: dict[str, int] = {}
        self.warnings: list[str] = []
        self.events = 0
        self._asked: int | None = None  # the cursor of the current connection, until its first event
        self._next_lookup = 0.0
        self._requests = 0
        self._next_refresh = time.monotonic() + self.refresh_every
        self._gaps: list[list[str]] = []  # spans to fill by search, as stored in cursor `gaps`
        self._new_gaps: list[list[str]] = []  # found while streaming, not tried yet
        self._known: set[str] | None = None  # URIs of the stored posts (deletions of others are ignored)
        self._authors: dict[str, str] = {}  # DID → stored handle, for account events
        # `self.stored`: the archive's Bluesky posts, which `run` sets before `collect`
        # (the Collector protocol, collectors/base.py).

    # the Collector protocol ----------------------------------------------------------------
    def collect(self, cursors: Mapping[str, Any]) -> Iterator[Batch]:
        """Fill gaps with search, then stream until the caller stops reading."""
        self._load_known()
        now_us = _now_us()
        stored = _time_us(cursors.get(CURSOR))
        self._gaps = [g for g in cursors.get(GAPS) or [] if _valid_gap(g)]
        window_us = int(self.source.replay_hours * 3600 * 1_000_000)
        start = self.config.event.start
        if stored is None and start is not None and start.timestamp() * 1_000_000 < now_us:
            stored = int(start.timestamp() * 1_000_000)  # begun late: catch up from the event's start
        if stored is None:
            self.position = now_us  # from now on (stored at the first batch, so a restart resumes here)
        elif now_us - stored > window_us:
            self._add_gap(_moment(stored), _moment(now_us))
            self.position = now_us
        else:
            self.position = stored
        if self._gaps:
            yield from self._fill_gaps(list(self._gaps))
        yield from self._stream()

    def recheck(self, posts: Iterable[Post]) -> Iterator[Batch]:
        """Re-check stored posts through the public AppView (counts, labels, deletions)."""
        from backchannel.collectors.bluesky.refresh import recheck

        yield from recheck(self.appview, list(posts), self.source.allow_adult)

    # reading the stream --------------------------------------------------------------------
    def _stream(self) -> Iterator[Batch]:
        last = time.monotonic()
        for message in self.stream.messages(self._resume_from):
            if message is not None:
                self._handle(message)
            if time.monotonic() - last >= self.flush_every or len(self.waiting) >= self.max_waiting:
                yield self._flush()
                if self._new_gaps:  # Jetstream could not replay as far as asked
                    new, self._new_gaps = self._new_gaps, []
                    yield from self._fill_gaps(new)
                if time.monotonic() >= self._next_refresh:
                    yield from self._refresh()
                last = time.monotonic()

    def _resume_from(self) -> int | None:
        # Only a resume from further back than `gap_after` can be clamped; a live one is not.
        old = self.position is not None and _now_us() - self.position > self.gap_after * 1_000_000
        self._asked = self.position if old else None
        return self.position

    def _handle(self, message: str) -> None:
        try:
            event = json.loads(message)
        except (ValueError, RecursionError):  # RecursionError: nesting deeper than any record has
            self._malformed(f"a message that is not JSON: {message[:80]!r}")
            return
        if not isinstance(event, dict):
            return self._malformed("a message that is not a JSON object")
        time_us, did, kind = event.get("time_us"), event.get("did"), event.get("kind")
        if not isinstance(time_us, int) or isinstance(time_us, bool) or not isinstance(did, str):
            return self._malformed("an event without time_us or did")
        self.events += 1
        self._check_replay(time_us)
        self.position = time_us
        if kind == "commit":
            self._commit(did, time_us, event.get("commit"))
        elif kind == "identity":
            if did in self._authors:
                self.profiles.forget(did)  # the handle may have changed: ask again
        elif kind == "account":
            self._account(did, event.get("account"))

    def _check_replay(self, time_us: int) -> None:
        """The first event of a connection that resumed: far after the cursor means a gap."""
        asked, self._asked = self._asked, None
        if asked is not None and time_us - asked > self.gap_after * 1_000_000:
            self._new_gaps += self._add_gap(_moment(asked), _moment(time_us))

    def _commit(self, did: str, time_us: int, commit: Any) -> None:
        if not isinstance(commit, dict) or commit.get("collection") != POST_COLLECTION:
            return
        rkey, op = commit.get("rkey"), commit.get("operation")
        if not isinstance(rkey, str) or not _RKEY.match(rkey) or not _DID.match(did):
            return self._malformed(f"a commit with an unusable did or rkey ({did[:60]!r}, {str(rkey)[:60]!r})")
        uri = post_uri(did, rkey)
        if op in ("create", "update"):
            record = commit.get("record")
            if not isinstance(record, dict):
                return self._malformed(f"post {uri}: a {op} without a record")
            if set(post_tags(record)) & self.tags:
                self.waiting = [w for w in self.waiting if (w.did, w.rkey) != (did, rkey)]
                cid = commit.get("cid") if isinstance(commit.get("cid"), str) else None
                self.waiting.append(_Waiting(time_us, did, rkey, record, cid))
            elif uri in self._known or self._is_waiting(did, rkey):  # edited: no longer under the event's hashtags
                self._delete(uri)
        elif op == "delete":
            if uri in self._known or self._is_waiting(did, rkey):
                self._delete(uri)

    def _is_waiting(self, did: str, rkey: str) -> bool:
        return any((w.did, w.rkey) == (did, rkey) for w in self.waiting)

    def _delete(self, uri: str) -> None:
        self.waiting = [w for w in self.waiting if post_uri(w.did, w.rkey) != uri]
        self._known.discard(uri)
        self.deleted.append(make_id("bluesky", uri))

    def _account(self, did: str, account: Any) -> None:
        if not isinstance(account, dict) or account.get("active") is not False:
            return
        if account.get("status") not in GONE:
            return  # e.g. throttled or desynchronized: the account did not leave
        self.waiting = [w for w in self.waiting if w.did != did]
        self.profiles.forget(did)
        handle = self._authors.pop(did, None)
        if handle:
            self.forget.append(handle)

    def _malformed(self, what: str) -> None:
        self.skipped["malformed"] = self.skipped.get("malformed", 0) + 1
        if len(self.warnings) < 20:
            self.warnings.append(f"Jetstream {self.stream.connected or self.stream.instance}: skipped {what}")

    # publishing ----------------------------------------------------------------------------
    def _flush(self) -> Batch:
        batch = Batch(errors=self.stream.take_problems(), warnings=self.warnings, skipped=self.skipped,
                      deleted=self.deleted, forget=self.forget)
        self.warnings, self.skipped, self.deleted, self.forget = [], {}, [], []
        if self.waiting and time.monotonic() >= self._next_lookup:
            self._publish(batch)
        held = min((w.time_us for w in self.waiting), default=None)
        if self.position is not None:
            cursor = self.position if held is None else min(held - 1, self.position)
            batch.cursors[CURSOR] = {"time_us": cursor}
        batch.cursors[GAPS] = list(self._gaps)
        batch.requests = self._take_requests()
        self._show()
        return batch

    def _publish(self, batch: Batch) -> None:
        try:
            self.profiles.lookup(w.did for w in self.waiting)
        except AppViewError as exc:
            wait = exc.retry_after if exc.retry_after is not None else self.lookup_backoff.next_delay()
            self._next_lookup = time.monotonic() + wait
            batch.errors.append(f"{exc}; {len(self.waiting)} posts wait for their authors' profiles")
            return
        self.lookup_backoff.reset()
        ready, self.waiting = self.waiting, []
        for item in ready:
            self._publish_one(item, batch)

    def _publish_one(self, item: _Waiting, batch: Batch) -> None:
        profile = self.profiles.get(item.did)
        if profile is None:
            batch.skip(NO_PROFILE)
            return
        view = post_view(item.did, item.rkey, item.record, item.cid, item.time_us, profile)
        try:
            post = normalize(view, self.source.allow_adult)
        except BadPost as exc:
            batch.warnings.append(f"Jetstream: skipped {exc}")
            batch.skip("malformed")
            return
        except Exception as exc:  # a record shape nobody foresaw: skip the post, not the stream
            batch.warnings.append(f"Jetstream: skipped post {view['uri']}: {type(exc).__name__}: {exc}"[:300])
            batch.skip("malformed")
            return
        if post is None:
            reason = left_out_reason(view)
            batch.skip(reason)
            if reason == OPTED_OUT and item.did in self._authors:  # opted out since: no trace
                batch.forget.append(self._authors.pop(item.did))
            return
        self._known.add(post.uri)
        self._authors[item.did] = post.author.handle
        batch.posts.append(post)

    def _show(self) -> None:
        """Figures for `run`'s status: how far behind the stream is, and where it reads."""
        if self.position is not None:
            lag = max(time.time() - self.position / 1_000_000, 0.0)
            self.extra["jetstream lag"] = f"{lag:.1f} s"
        self.extra["jetstream"] = self.stream.connected or "reconnecting"
        self.extra["waiting for profiles"] = len(self.waiting)

    # gaps ----------------------------------------------------------------------------------
    def _add_gap(self, since: datetime | None, until: datetime) -> list[list[str]]:
        start, end = self.config.event.start, self.config.event.end
        if since is None or (start and since < start):
            since = start
        if end and until > end:
            until = end
        if since is None or since >= until:
            return []  # no event start to fill from, or nothing of the event in the gap
        gap = [_iso(since), _iso(until)]
        self._gaps.append(gap)
        return [gap]

    def _fill_gaps(self, gaps: list[list[str]]) -> Iterator[Batch]:
        """Search these gaps; those filled leave the `gaps` cursor, the others wait for the next start."""
        from backchannel.collectors.bluesky.collector import BlueskyCollector

        for gap in gaps:
            since, until = (datetime.fromisoformat(g.replace("Z", "+00:00")) for g in gap)
            search = BlueskyCollector(self.config, self.data_dir, self.env)
            search.start, search.end = since, until
            failed = False
            try:
                for batch in search.collect({}):
                    batch.cursors = {}  # search's own cursors describe this gap only
                    failed |= bool(batch.errors)
                    yield batch
            except BackchannelError as exc:
                failed = True
                yield Batch(errors=[exc.format_message()])
            if failed:
                yield Batch(errors=[f"Bluesky: the gap from {gap[0]} to {gap[1]} (before Jetstream's replay) "
                                    "is not filled yet; it is tried again at the next start"])
                continue
            self._gaps.remove(gap)
            yield Batch(cursors={GAPS: list(self._gaps)},
                        warnings=[f"Bluesky: filled the gap from {gap[0]} to {gap[1]} with search"])

    # counts -------------------------------------------------------------------------------
    def _refresh(self) -> Iterator[Batch]:
        """Jetstream has no counts: refresh recent posts' likes, reposts, labels via getPosts."""
        from backchannel.collectors.bluesky.refresh import recheck

        self._next_refresh = time.monotonic() + self.refresh_every
        since = datetime.now(timezone.utc) - timedelta(hours=self.refresh_hours)
        recent = list(self.stored(since))[-self.refresh_max:]
        for batch in recheck(self.appview, recent, self.source.allow_adult):
            batch.requests = self._take_requests()
            yield batch

    # what the archive holds --------------------------------------------------------------
    def _load_known(self) -> None:
        """Which posts are stored (deletions of all others are ignored) and by whom."""
        if self._known is not None:
            return
        self._known = set()
        for post in self.stored(raw=False):
            if post.uri:
                self._known.add(post.uri)
            did = (post.author.url or "").rsplit("/", 1)[-1]
            if did.startswith("did:"):
                self._authors[did] = post.author.handle

    def _take_requests(self) -> int:
        n = self.appview.requests - self._requests
        self._requests = self.appview.requests
        return n


def _now_us() -> int:
    return int(time.time() * 1_000_000)


def _time_us(value: Any) -> int | None:
    t = value.get("time_us") if isinstance(value, dict) else None
    return t if isinstance(t, int) and not isinstance(t, bool) and t > 0 else None


def _moment(time_us: int) -> datetime:
    return datetime.fromtimestamp(time_us / 1_000_000, tz=timezone.utc)


def _iso(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _valid_gap(gap: Any) -> bool:
    if not (isinstance(gap, list) and len(gap) == 2 and all(isinstance(g, str) for g in gap)):
        return False
    try:
        [datetime.fromisoformat(g.replace("Z", "+00:00")) for g in gap]
    except ValueError:
        return False
    return True
