"""One post seen through several Mastodon servers: which copy is handed over, and when.

A status that federates is on many servers, each copy with that server's id, its own counts
and, for a reply, the parent's id on that server. The copies share one `uri`, so they are one
Post (`normalize` makes the copies alike where it can). The rule for which copy the collector
hands over:

1. The copy from the post's own server wins when that server is configured: the author is
   local there, or the host of the status `uri` or of the author's handle is that server's
   (its API host or its account domain). Copies from other servers read in the same round are
   dropped, whatever the order of `instances`; so are copies that come later. Its counts are
   the ones the author's server keeps, and its `reply_to` can name the parent's own URL.
2. Otherwise the first copy read is kept. A post handed over once in the collector's lifetime
   is not handed over again (another server showing it in a later round, a timeline showing
   it twice) unless a copy carries a later `edited_at`, or it is the own server's copy taking
   the place of one from elsewhere (which happens once, when the own server was not readable
   the first time).
3. When the own server's copy may not be collected (no longer public, the author opted out),
   copies from other servers, which may be stale, are dropped as well.

Servers are read concurrently (one `Lane` each); `hand_over` yields their batches in the
order of `instances`, each lane's in the order it fetched them, with the rule applied.
"""

from __future__ import annotations

import queue
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Iterator

from backchannel.models import Post

from backchannel.collectors.base import Batch
from backchannel.collectors.mastodon.normalize import host_of, valid_domain

if TYPE_CHECKING:
    from backchannel.collectors.mastodon.client import Server

_END = object()


def is_origin_copy(post: Post, server: "Server") -> bool:
    """Whether `server` (the one this copy was read from) is the post's own server."""
    raw = post.raw if isinstance(post.raw, dict) else {}
    account = raw.get("account") if isinstance(raw.get("account"), dict) else {}
    acct = account.get("acct")
    if isinstance(acct, str) and acct and "@" not in acct.lstrip("@"):  # its author is local here
        return True
    return bool(homes(post) & {server.name, server.domain})


def homes(post: Post) -> set[str]:
    """Where a post lives: the host of its `uri` and the domain of its author's handle."""
    found = {host_of(post.uri), valid_domain(post.author.handle.rpartition("@")[2])}
    found.discard(None)
    return found  # type: ignore[return-value]


class Lane:
    """One server's part of a round, run on a worker thread; its batches wait here in order."""

    def __init__(self, server: "Server"):
        self.server = server
        self.origins: dict[str, bool] = {}  # uri → may be collected, for its own server's copies read
        self.ready = threading.Event()  # the server's account domain is settled
        self.done = threading.Event()  # every batch is in the queue; `origins` is complete
        self._queue: queue.SimpleQueue = queue.SimpleQueue()

    def put(self, batch: Batch) -> None:
        self._queue.put(batch)

    def close(self) -> None:
        """The worker is finished (also after a failure): nothing more will come."""
        self.ready.set()
        self.done.set()
        self._queue.put(_END)

    def batches(self) -> Iterator[Batch]:
        while (item := self._queue.get()) is not _END:
            yield item


@dataclass
class _Known:
    edited: datetime | None
    origin: bool
    refused: bool = False


class Merger:
    """The collector's memory of the posts it handed over (rule 2 of the module docstring)."""

    def __init__(self) -> None:
        self.known: dict[str, _Known] = {}

    def offer(self, post: Post, origin: bool) -> bool:
        """Whether to hand over this copy; remembers it if so."""
        prev = self.known.get(post.uri)
        if prev is None:
            take = True
        elif prev.refused:
            take = origin  # only the own server can say it may be collected after all
        else:
            take = _later(post.edited_at, prev.edited) or \
                (origin and not prev.origin and not _later(prev.edited, post.edited_at))
        if take:
            self.note(post, origin)
        return take

    def note(self, post: Post, origin: bool) -> None:
        """Remember a copy handed over (also by a re-check)."""
        self.known[post.uri] = _Known(post.edited_at, origin)

    def refuse(self, uri: str) -> None:
        """The own server's copy may not be collected: drop other servers' copies from now on."""
        self.known[uri] = _Known(None, True, refused=True)


def hand_over(lanes: list[Lane], merger: Merger) -> Iterator[Batch]:
    """Every lane's batches, lane by lane in config order, with the copies rule applied.

    Waits until every server's account domain is settled (it tells which server a post is
    from), and, for a copy whose own server comes later in the list, until that server's
    round is done (then its copy, if read, comes with that server's batches). Dropping a
    copy never loses it: the batch that carries the own server's copy also carries that
    server's cursor, so a crash before it is stored makes that server read it again.
    """
    for lane in lanes:
        lane.ready.wait()
    where = {}
    for i, lane in reversed(list(enumerate(lanes))):  # the first listed wins a shared name
        for name in (lane.server.name, lane.server.domain):
            if name:
                where[name] = i
    for i, lane in enumerate(lanes):
        for batch in lane.batches():
            batch.posts = [p for p in batch.posts if _keep(p, i, lanes, where, merger)]
            yield batch
        for uri, allowed in lane.origins.items():
            if not allowed:
                merger.refuse(uri)


def _keep(post: Post, i: int, lanes: list[Lane], where: dict[str, int], merger: Merger) -> bool:
    origin = is_origin_copy(post, lanes[i].server)
    if not origin:
        home = min((where[h] for h in homes(post) if h in where), default=None)
        if home is not None and home != i:
            lanes[home].done.wait()
            if post.uri in lanes[home].origins:  # its own server's copy was read this round
                return False
    return merger.offer(post, origin)


def _later(mine: datetime | None, theirs: datetime | None) -> bool:
    """Whether `mine` is a later edit than `theirs` (no edit is the earliest)."""
    return mine is not None and (theirs is None or mine > theirs)
