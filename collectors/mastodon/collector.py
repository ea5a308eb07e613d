"""Mastodon: public posts under the event's hashtags, from every configured server.

Per server × hashtag the collector reads the tag timeline. The first run backfills from the
newest post back to the event's start (following `max_id`); later runs catch up from the
stored cursor with `min_id` until a page comes back empty, so a round with nothing new costs
one request per server × hashtag — or one per server, once a server has shown that it honours
`any[]` (several tags in one request). A Batch is yielded after every page, with the cursor
that page justifies, so nothing fetched before a failure is lost.

Servers are read concurrently (a small thread pool), and their batches are handed over in
the order of `instances`; one server that hangs costs the round its own timeouts, not the
others'. A post seen through several servers is handed over once, preferably as its own
server's copy: the rule is in `backchannel.collectors.mastodon.merge`.

Cursors (JSON, keyed by the instance's base URL):
- `"{server}|{tag}"` → `{"newest": id, "older_than": id}`: the newest status id seen (catch up
  from it) and, while a backfill is unfinished, the id to continue it from. Ids stay exactly
  as the server sent them; they are opaque (snowflakes, ULIDs, ...).
- `"{server}"` → `{"any": true|false|null, "tries": n}`: whether the server honours `any[]`.
- `"{server}|#instance"` → `{"domain": "example.com"|null}`: the domain of the server's own
  accounts (their `acct` has none), asked once from `/api/v2/instance`; null when the server
  gave none (handles then use each account's profile host).

Consent, normalisation and sanitising live in `backchannel.collectors.mastodon.normalize`; the HTTP side
(Mastodon.py, retries, rate limits, tokens) in `backchannel.collectors.mastodon.client`.
"""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from backchannel.config import Config, MastodonSource
from backchannel.models import Post
from backchannel.sanitize import clean_text

from backchannel.collectors.base import Batch, Collector
from backchannel.collectors.mastodon.client import TOKEN_VAR, Page, RequestFailed, Server, ServerDown, parse_tokens
from backchannel.collectors.mastodon.merge import Lane, Merger, hand_over, is_origin_copy
from backchannel.collectors.mastodon.normalize import (PROVENANCE, Malformed, normalize, opted_out, original,
                                                       skip_reason, status_id, tag_names)
from backchannel.collectors.retry import Clock, Retry

__all__ = ["MastodonCollector", "RETRY", "TOKEN_VAR"]

# Retries after a 5xx or a network error: 1 s, then 2 s; a 429 whose reset is more than a
# minute away skips the server this round.
RETRY = Retry(retries=2, backoff=1.0, max_backoff=8.0, max_wait=60.0)


class MastodonCollector(Collector):
    """Collects hashtag posts from the servers in `[sources.mastodon] instances`.

    `retry` and `clock` decide how failed requests are retried and how waits are spent
    (`backchannel.collectors.retry`); the attributes below bound the work.
    """

    name = "mastodon"
    page_size = 40  # Mastodon's maximum
    max_pages = 50  # per server × tag (or tag group) and round; the rest waits for the next round
    any_tries = 3  # inconclusive any[] checks before a server is polled tag by tag for good
    recheck_batch = 20  # statuses re-checked per Batch
    workers = 4  # servers read at the same time

    def __init__(self, config: Config, data_dir: Path, env: Mapping[str, str], *,
                 retry: Retry = RETRY, clock: Clock | None = None):
        source = config.mastodon or MastodonSource()
        self.tags = list(config.event.hashtags)
        self.start = config.event.start
        self.strict = config.consent.strict
        self.data_dir = data_dir
        self.retry = retry
        self.clock = clock or Clock()
        tokens, self._notes = parse_tokens(env.get(TOKEN_VAR, ""), source.instances)
        self.servers = [Server(base, tokens.get(base), source.timeout, retry, self.clock)
                        for base in source.instances]
        self.merger = Merger()  # the posts handed over so far, for the copies rule
        self.skipped_uris: set[str] = set()  # posts already counted as left out
        self.no_threads: set[str] = set()  # servers that answered a thread with 404 (not asked again)

    def collect(self, cursors: Mapping[str, Any]) -> Iterator[Batch]:
        """Read every server × hashtag once; see the module docstring for the cursors."""
        if self._notes:
            yield Batch(warnings=self._notes)
            self._notes = []
        if not self.servers:
            return
        for server in self.servers:
            server.remember(cursors.get(server.instance_key))
        lanes = [Lane(server) for server in self.servers]
        stop = threading.Event()  # the caller stopped early: no more requests
        pool = ThreadPoolExecutor(max_workers=min(self.workers, len(lanes)), thread_name_prefix="mastodon")
        try:
            for lane in lanes:
                pool.submit(self._read, lane, cursors, stop)
            yield from hand_over(lanes, self.merger)
        finally:
            stop.set()
            pool.shutdown(wait=True, cancel_futures=True)

    def _read(self, lane: Lane, cursors: Mapping[str, Any], stop: threading.Event) -> None:
        """One server's round, on a worker thread: its batches go to its lane, in order."""
        server = lane.server
        try:
            if not server.domain_known:
                lane.put(_from(server, self._settle_domain(server)))
            lane.ready.set()
            if server.domain_known:  # else the server did not answer: skipped this round
                for batch in _Round(self, server, cursors, lane.origins).run():
                    lane.put(_from(server, batch))
                    if stop.is_set():
                        break
        except Exception as exc:  # a bug of ours on a strange answer must not stop the other servers
            lane.put(Batch(origin=server.name, errors=[f"{server.name}: internal error ({type(exc).__name__}: "
                                   f"{server.scrub(clean_text(str(exc), limit=200))}); skipped this round; "
                                   "please report it"], requests=server.take_requests()))
        finally:
            lane.close()

    @staticmethod
    def _settle_domain(server: Server) -> Batch:
        try:
            notes = server.settle_domain()
        except ServerDown as exc:
            return Batch(errors=[str(exc)], requests=server.take_requests())
        return Batch(cursors={server.instance_key: {"domain": server.domain}},
                     warnings=notes, requests=server.take_requests())

    def recheck(self, posts: Iterable[Post]) -> Iterator[Batch]:
        """Fetch each stored post again from the server it came from.

        Gone (404/410), no longer public, or its account opted out → its id in
        `Batch.deleted`; otherwise the fresh Post (edits, counts) is yielded.
        """
        by_base = {s.base: s for s in self.servers}
        queues: dict[str, list[tuple[Post, str]]] = {}
        unknown = 0
        for post in posts:
            if post.source != self.name:
                continue
            base, sid = _provenance(post)
            if base in by_base and sid:
                queues.setdefault(base, []).append((post, sid))
            else:
                unknown += 1
        if unknown:
            yield Batch(warnings=[f"{unknown} stored Mastodon post(s) came from a server that is not "
                                  "configured (or was not recorded); not re-checked"])
        for base, queue in queues.items():
            yield from self._recheck_server(by_base[base], queue)

    def _recheck_server(self, server: Server, queue: list[tuple[Post, str]]) -> Iterator[Batch]:
        batch = Batch()
        try:
            for done, (post, sid) in enumerate(queue, 1):
                self._recheck_one(server, post, sid, batch)
                if done % self.recheck_batch == 0:
                    batch.requests = server.take_requests()
                    yield batch
                    batch = Batch()
        except ServerDown as exc:
            batch.errors.append(f"{exc} (re-check stopped; nothing was deleted for it)")
        batch.requests += server.take_requests()
        yield batch

    def _recheck_one(self, server: Server, post: Post, sid: str, batch: Batch) -> None:
        try:
            status = server.status(sid)
        except RequestFailed as exc:
            batch.warnings.append(str(exc))
            return
        if status is None:
            batch.deleted.append(post.id)
            return
        wrapped = status.get("reblog")
        if status.get("uri") != post.uri and isinstance(wrapped, dict) and wrapped.get("uri") == post.uri:
            status = wrapped  # some servers (snac) answer a boosted post's id with the boost
        if status.get("uri") != post.uri:
            batch.warnings.append(f"{server.name}: status {clean_text(sid, limit=40)} is now another "
                                  "status; left as it was")
            return
        try:
            fresh = normalize(status, server.base, server.domain)
        except Malformed as exc:
            batch.warnings.append(f"{server.name}: re-checking status {clean_text(sid, limit=40)}: {exc}; "
                                  "left as it was")
            return
        reason = skip_reason(status, self.strict)
        if reason:  # made private or the author opted out since: take it down
            batch.deleted.append(post.id)
            batch.skip(reason)
            if opted_out(reason):
                batch.forget.append(fresh.author.handle)
            self.merger.refuse(post.uri)
        else:
            batch.posts.append(fresh)
            self.merger.note(fresh, is_origin_copy(fresh, server))

    def replies(self, threads: Iterable[tuple[Post, set[str]]]) -> Iterator[Batch]:
        """The public replies to questions, from each question's thread (`backchannel.answers`)."""
        from backchannel.collectors.mastodon.replies import read_threads

        yield from read_threads(self, threads, _provenance)


def _from(server: Server, batch: Batch) -> Batch:
    batch.origin = server.name  # for the per-server counts
    return batch


def _provenance(post: Post) -> tuple[str | None, str | None]:
    raw = post.raw if isinstance(post.raw, dict) else {}
    mark = raw.get(PROVENANCE)
    base = mark.get("server") if isinstance(mark, dict) else None
    sid = raw.get("id")
    if isinstance(sid, int) and not isinstance(sid, bool):
        sid = str(sid)
    return (base if isinstance(base, str) else None), (sid if isinstance(sid, str) and sid else None)


@dataclass
class _TagState:
    """Where the timeline of one tag on one server stands (the cursor value)."""

    newest: str | None = None
    older: str | None = None  # a backfill is unfinished: go on with max_id=older

    @classmethod
    def load(cls, value: Any) -> "_TagState":
        if isinstance(value, str):  # a bare id: the newest
            return cls(_opaque(value))
        if isinstance(value, dict):
            return cls(_opaque(value.get("newest")), _opaque(value.get("older_than")))
        return cls()

    def dump(self) -> dict[str, str | None]:
        return {"newest": self.newest, "older_than": self.older}

    @property
    def settled(self) -> bool:
        """Backfill done and the tag known here: only catching up is left."""
        return self.newest is not None and self.older is None


@dataclass
class _AnyState:
    """Whether the server honours `any[]` (None: not known yet)."""

    any: bool | None = None
    tries: int = 0

    @classmethod
    def load(cls, value: Any) -> "_AnyState":
        if not isinstance(value, dict):
            return cls()
        verdict, tries = value.get("any"), value.get("tries")
        return cls(verdict if isinstance(verdict, bool) else None,
                   tries if isinstance(tries, int) and not isinstance(tries, bool) else 0)

    def dump(self) -> dict[str, Any]:
        return {"any": self.any, "tries": self.tries}


def _opaque(value: Any) -> str | None:
    return value if isinstance(value, str) and 0 < len(value) <= 100 and value.isprintable() else None


class _GroupGone(Exception):
    """A combined (any[]) request answered 404: fall back to one request per tag."""


class _Round:
    """One server's part of one `collect()` call."""

    def __init__(self, owner: MastodonCollector, server: Server, cursors: Mapping[str, Any],
                 origins: dict[str, bool]):
        self.owner = owner
        self.server = server
        self.origins = origins  # uri → may be collected, for the posts this server is the home of
        self.states = {t: _TagState.load(cursors.get(self.key(t))) for t in owner.tags}
        self.any = _AnyState.load(cursors.get(server.base))
        self.got_new = False  # some page had statuses: only then may we spend a request on any[]

    def key(self, tag: str) -> str:
        return f"{self.server.base}|{tag}"

    def run(self) -> Iterator[Batch]:
        try:
            group = self._group()
            singles = [t for t in self.owner.tags if t not in group]
            if group:
                try:
                    yield from self._guard("#" + " #".join(group), self._catch_up(group))
                except _GroupGone:
                    self.any = _AnyState()
                    singles = list(self.owner.tags)
                    yield Batch(cursors={self.server.base: self.any.dump()}, requests=self.server.take_requests())
            for tag in singles:
                yield from self._guard("#" + tag, self._poll(tag))
            yield from self._guard("any[]", self._check_any())
        except ServerDown as exc:
            yield Batch(errors=[str(exc)], requests=self.server.take_requests())

    def _guard(self, label: str, steps: Iterator[Batch]) -> Iterator[Batch]:
        """Run one tag's steps; a failed request there is reported and the next tag goes on."""
        try:
            yield from steps
        except RequestFailed as exc:
            yield Batch(errors=[f"{exc}; {label} skipped this round"], requests=self.server.take_requests())

    def _group(self) -> list[str]:
        """The tags to read in one any[] request: all settled ones, if the server honours any[]."""
        if not self.any.any:
            return []
        group = [t for t, s in self.states.items() if s.settled and s.newest.isdigit()]
        return group if len(group) > 1 else []

    def _poll(self, tag: str) -> Iterator[Batch]:
        state = self.states[tag]
        had_newest = state.newest is not None
        if not state.settled:
            yield from self._backfill(tag, state)
        # After a backfill from the top the newest is fresh; a resumed one still needs catching up.
        if had_newest and state.newest is not None:
            yield from self._catch_up([tag])

    def _backfill(self, tag: str, state: _TagState) -> Iterator[Batch]:
        """Newest → oldest with max_id, until the event's start or the end of the timeline."""
        from_top = state.newest is None
        max_id = state.older
        for number in range(self.owner.max_pages):
            page = self.server.timeline([tag], self.owner.page_size, max_id=max_id)
            if page is None or not page.items:  # an unknown tag is just empty; or the end
                state.older = None
                yield self._batch(page, "#" + tag, {self.key(tag): state.dump()})
                return
            self.got_new = True
            if from_top and number == 0:
                state.newest = page.newest
            start = self.owner.start
            reached = start is not None and page.oldest_time is not None and page.oldest_time < start
            stuck = page.older is None or page.older == max_id
            state.older = None if reached or stuck else page.older
            batch = self._batch(page, "#" + tag, {self.key(tag): state.dump()})
            if stuck and not reached:
                batch.warnings.append(f"{self.server.name}: #{tag}: the server gave no way to page further back")
            yield batch
            if state.older is None:
                return
            max_id = state.older
        yield Batch(warnings=[f"{self.server.name}: #{tag}: backfill read {self.owner.max_pages} pages; "
                              "it goes on next round"])

    def _catch_up(self, tags: list[str]) -> Iterator[Batch]:
        """Oldest-new → newest with min_id, until a page comes back empty."""
        states = [self.states[t] for t in tags]
        combined = len(tags) > 1
        min_id = min((s.newest for s in states), key=int) if combined else states[0].newest
        label = "#" + " #".join(tags)
        for _ in range(self.owner.max_pages):
            page = self.server.timeline(tags, self.owner.page_size, min_id=min_id)
            if page is None and combined:
                raise _GroupGone()
            if page is None or not page.items:
                yield Batch(requests=self.server.take_requests())
                return
            self.got_new = True
            if page.newest is None or page.newest == min_id:
                batch = self._batch(page, label, {})
                batch.warnings.append(f"{self.server.name}: {label}: the server gave no way to page forward")
                yield batch
                return
            for state in states:
                state.newest = _later(state.newest, page.newest) if combined else page.newest
            yield self._batch(page, label, {self.key(t): s.dump() for t, s in zip(tags, states)})
            min_id = page.newest
        yield Batch(warnings=[f"{self.server.name}: {label}: more new posts than {self.owner.max_pages} "
                              "pages; the rest comes next round"])

    def _check_any(self) -> Iterator[Batch]:
        """Find out, by evidence, whether the server honours any[]; only in a round with news.

        Servers that do not know any[] ignore it silently (and some claim a Mastodon version
        all the same), so a version check is not enough: ask the settled tag seen least
        recently, with the others in any[], and look for a status that carries another tag
        but not that one. Such a status proves it; none leaves the question open.
        """
        settled = [t for t, s in self.states.items() if s.settled and s.newest.isdigit()]
        if self.any.any is not None or not self.got_new or len(settled) < 2:
            return
        probe = min(settled, key=lambda t: int(self.states[t].newest))
        others = [t for t in settled if t != probe]
        page = self.server.timeline([probe, *others], self.owner.page_size)
        items = page.items if page else []
        proof = any(probe not in names and names & set(others)
                    for names in (tag_names(original(i)) for i in items if isinstance(i, dict)))
        self.any.tries += 0 if proof else 1
        self.any.any = True if proof else (False if self.any.tries >= self.owner.any_tries else None)
        cursors: dict[str, Any] = {self.server.base: self.any.dump()}
        if proof and page.newest and page.older and page.newest.isdigit() and page.older.isdigit() \
                and int(page.older) <= int(self.states[probe].newest):
            # The page reaches back past every tag's cursor, so it holds all their news: the
            # tags can share one cursor from here and the next quiet round costs one request.
            for tag in settled:
                self.states[tag].newest = _later(self.states[tag].newest, page.newest)
                cursors[self.key(tag)] = self.states[tag].dump()
        yield self._batch(page, f"#{probe} any[]", cursors)

    def _batch(self, page: Page | None, label: str, cursors: dict[str, Any]) -> Batch:
        """The posts of one page (consent, window and duplicates applied) with their cursor."""
        batch = Batch(cursors=cursors)
        for item in page.items if page else []:
            post = self._post(item, label, batch)
            if post is not None:
                batch.posts.append(post)
        batch.requests = self.server.take_requests()
        return batch

    def _skip(self, batch: Batch, post: Post, reason: str) -> None:
        """Count a post left out once, however many servers show it."""
        if post.uri not in self.owner.skipped_uris:
            self.owner.skipped_uris.add(post.uri)
            batch.skip(reason)

    def _post(self, item: Any, label: str, batch: Batch) -> Post | None:
        if not isinstance(item, dict):
            batch.warnings.append(f"{self.server.name}: {label}: skipped an entry that is not a status")
            batch.skip("malformed")
            return None
        status = original(item)  # a boost is not a post: it stands for the original
        try:
            post = normalize(status, self.server.base, self.server.domain)
        except Malformed as exc:
            batch.warnings.append(f"{self.server.name}: {label}: skipped status {status_id(status)}: {exc}")
            batch.skip("malformed")
            return None
        if self.owner.start is not None and post.created_at < self.owner.start:
            self._skip(batch, post, "before the event's start")
            return None
        reason = skip_reason(status, self.owner.strict)
        if is_origin_copy(post, self.server):
            self.origins[post.uri] = reason is None
        if reason:
            self._skip(batch, post, reason)
            if opted_out(reason):
                batch.forget.append(post.author.handle)
            return None
        return post


def _later(mine: str | None, theirs: str) -> str:
    """The later of two numeric ids (only combined reads compare ids, and only numeric ones)."""
    if mine is None or not mine.isdigit() or not theirs.isdigit():
        return theirs
    return theirs if int(theirs) > int(mine) else mine
