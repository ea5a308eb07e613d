"""Bluesky collector: posts under the event's hashtags, via `app.bsky.feed.searchPosts`.

For each hashtag it searches `q="#tag"`, `sort=latest`, within the event (`since` = the event
start or, later, the newest post already stored; `until` = the event end), 100 per page,
following `cursor` to the end. Search is fuzzy (it finds `#tag2026`, or the bare word), so
a post is kept only when it really carries one of the event's hashtags: in a tag facet, in
`record.tags`, or as `#tag` in its text, in any case.

Cursor per hashtag (key `tag:<tag>`), stored after every page:
    {"newest": iso, "newest_uris": [...],          # everything up to here is stored
     "walk": {"since", "until", "top", "top_uris", "oldest", "oldest_uris"} | absent}
`walk` is a paging run that has not reached its end yet (a fault, or the page budget): the
next run resumes it just above `oldest` before looking for newer posts, so nothing between
is skipped. Times are `min(createdAt, indexedAt)`, the `sortAt` the service sorts by.

Faults (the policy and the waiting: `backchannel.collectors.retry`): a 429 waits until
`ratelimit-reset` if that is within `Retry.max_wait`; 5xx, timeouts and network errors retry
with backoff and then skip the hashtag for this round; 400/401/403 say what is wrong; every
batch already yielded stays.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

from atproto import Client, Request, models
from atproto_client.exceptions import (
    BadRequestError, LoginRequiredError, NetworkError, RateLimitExceededError, RequestErrorBase,
    UnauthorizedError,
)
from atproto_core.exceptions import AtProtocolError

from backchannel.config import BlueskySource, Config
from backchannel.models import Post, parse_time
from backchannel.collectors.base import Batch, Collector
from backchannel.collectors.bluesky.normalize import BadPost, left_out_reason, normalize, parse_post_uri, post_identity
from backchannel.collectors.bluesky.login import (
    HANDLE_VAR, PASSWORD_VAR, TOKEN_ERRORS, BlueskySession, LoginUnavailable, describe, xrpc_error,
)
from backchannel.collectors.retry import Clock, Retry, announced_wait

SEARCH = "app.bsky.feed.searchPosts"
GET_POSTS = "app.bsky.feed.getPosts"
ONE = timedelta(microseconds=1)
# Retries after a 5xx, a timeout, a network error or a short 429: 2 s, 4 s, 8 s; a 429 whose
# reset is more than a minute away skips the round.
RETRY = Retry(retries=3, backoff=2.0, max_backoff=30.0, max_wait=60.0)


class _Fail(Exception):
    """A request that failed for this round; `fatal` when the other hashtags would fail too."""

    def __init__(self, message: str, status: int | None = None, fatal: bool = False, error: str = ""):
        super().__init__(message)
        self.status = status
        self.fatal = fatal
        self.error = error  # the XRPC error name, when the service gave one


def iso(dt: datetime | None) -> str | None:
    """A cursor time: ISO 8601 UTC with microseconds, so nothing is lost between runs."""
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z") if dt else None


class BlueskyCollector(Collector):
    """Collects the event's hashtags from Bluesky search with a persisted login.

    `retry` and `clock` decide how failed requests are retried and how waits are spent
    (`backchannel.collectors.retry`); the attributes set below bound the paging.
    """

    name = "bluesky"

    def __init__(self, config: Config, data_dir: Path, env: Mapping[str, str], *,
                 retry: Retry = RETRY, clock: Clock | None = None):
        self.config = config
        self.data_dir, self.env = Path(data_dir), env
        self.source: BlueskySource = config.bluesky or BlueskySource()
        self.service = self.source.service.rstrip("/")
        self.tags = list(config.event.hashtags)
        self.start = config.event.start
        self.end = config.event.end
        self.retry = retry
        self.clock = clock or Clock()
        handle = (env.get(HANDLE_VAR) or "").strip().lstrip("@")
        self.session = BlueskySession(self.service, handle, env.get(PASSWORD_VAR) or "",
                                      Path(data_dir), self.source.timeout, self.clock)
        # Without a login, search goes to the public AppView (it may refuse: then say so).
        self.anonymous = not (handle and env.get(PASSWORD_VAR))
        self._public: Client | None = None
        # Paging bounds (instance attributes: tests make them small).
        self.max_pages = 100  # per walk and run; a longer backfill goes on in the next run
        self.page_size = 100
        self._requests = 0

    # the Collector protocol ----------------------------------------------------------------
    def collect(self, cursors: Mapping[str, Any]) -> Iterator[Batch]:
        """Search each hashtag for posts newer than its cursor (the first run backfills)."""
        login = self._login()
        if login is not None:
            yield login
            return
        seen: set[str] = set()  # URIs handled this run (a post may carry several event tags)
        for tag in self.tags:
            key = f"tag:{tag}"
            try:
                yield from self._collect_tag(tag, key, _TagCursor.load(cursors.get(key)), seen)
            except _Fail as fail:
                yield self._batch(errors=[str(fail)])
                if fail.fatal:
                    return

    def recheck(self, posts: Iterable[Post]) -> Iterator[Batch]:
        """Fetch stored posts again (25 per request): changes as posts, gone ones as deleted ids."""
        mine = [p for p in posts if p.source == "bluesky" and p.uri and parse_post_uri(p.uri)]
        if not mine:
            return
        login = self._login()
        if login is not None:
            yield login
            return
        for i in range(0, len(mine), 25):
            chunk = mine[i:i + 25]
            params = models.AppBskyFeedGetPosts.Params(uris=[p.uri for p in chunk])
            try:
                data = self._call(GET_POSTS, params, f"re-checking {len(chunk)} posts")
            except _Fail as fail:
                yield self._batch(errors=[str(fail)])
                if fail.fatal:
                    return
                continue
            yield self._rechecked(chunk, data)

    def replies(self, threads: Iterable[tuple[Post, set[str]]]) -> Iterator[Batch]:
        """The public replies to questions, from each question's thread (`backchannel.answers`)."""
        from backchannel.collectors.bluesky.replies import read_threads

        login = self._login()
        if login is not None:
            yield login
            return
        yield from read_threads(self, threads, _Fail)

    # searching -----------------------------------------------------------------------------
    def _collect_tag(self, tag: str, key: str, cur: "_TagCursor", seen: set[str]) -> Iterator[Batch]:
        if cur.walk is not None:  # an unfinished walk from an earlier run comes first
            if not (yield from self._walk(tag, key, cur, seen)):
                return
        since = cur.newest or self.start
        cur.walk = _Walk(since=since, skip=list(cur.newest_uris) if cur.newest else [], until=self.end)
        yield from self._walk(tag, key, cur, seen)

    def _walk(self, tag: str, key: str, cur: "_TagCursor", seen: set[str]) -> Iterator[Batch]:
        """Page through one walk; returns True when it reached its end."""
        walk = cur.walk
        until = walk.oldest + ONE if walk.oldest else walk.until  # resume just above where it stopped
        next_cursor: str | None = None
        for page in range(1, self.max_pages + 1):
            lowest = walk.oldest
            params = models.AppBskyFeedSearchPosts.Params(
                q=f"#{tag}", sort="latest", limit=self.page_size,
                since=iso(walk.since), until=iso(until), cursor=next_cursor)
            data = self._call(SEARCH, params, f"search for #{tag} (page {page})")
            views = data.get("posts")
            if not isinstance(views, list):
                raise _Fail(self._where(f"search for #{tag} (page {page})") + ": the answer has no `posts` list")
            batch = self._batch()
            reached_floor = self._page(views, walk, seen, batch)
            next_cursor = data.get("cursor") if isinstance(data.get("cursor"), str) else None
            if self.anonymous:
                # Logged-out callers may not page with `cursor`: narrow `until` to just above the
                # oldest post seen instead, and stop when a page brings nothing older.
                next_cursor = None
                moved = walk.oldest is not None and (lowest is None or walk.oldest < lowest)
                done = reached_floor or not views or not moved
                until = walk.oldest + ONE if walk.oldest else until
            else:
                done = reached_floor or not views or not next_cursor
            if done:
                cur.finish()
            batch.cursors = {key: cur.dump()}
            yield batch
            if done:
                return True
        return False  # page budget spent; the walk stays in the cursor for the next run

    def _page(self, views: list, walk: "_Walk", seen: set[str], batch: Batch) -> bool:
        """Keep the page's matching posts in `batch`; True when it went below the walk's floor."""
        reached_floor = False
        for view in views:
            try:
                uri, when = post_identity(view)
            except BadPost as exc:
                batch.warnings.append(self._where(f"skipped {exc}"))
                continue
            if walk.since and when < walk.since:
                reached_floor = True  # a server that ignores `since`: stop here
                continue
            if (walk.until and when >= walk.until) or walk.already(uri, when):
                continue
            walk.note(uri, when)
            if uri in seen:
                continue
            seen.add(uri)
            post = self._normalize(view, uri, batch)
            if post is not None and set(post.tags) & set(self.tags):
                batch.posts.append(post)
            elif post is not None:
                batch.skip("not under the event's hashtags")
        return reached_floor

    def _normalize(self, view: dict, uri: str, batch: Batch) -> Post | None:
        try:
            post = normalize(view, self.source.allow_adult)
            if post is None:
                batch.skip(left_out_reason(view))
            return post
        except BadPost as exc:
            batch.warnings.append(self._where(f"skipped {exc}"))
        except Exception as exc:  # a payload shape nobody foresaw: skip the post, not the page
            batch.warnings.append(self._where(f"skipped post {uri}: {type(exc).__name__}: {exc}"))
        batch.skip("malformed")
        return None

    def _rechecked(self, chunk: list[Post], data: dict) -> Batch:
        batch = self._batch()
        views = data.get("posts") if isinstance(data.get("posts"), list) else []
        found = {v.get("uri"): v for v in views if isinstance(v, dict)}
        for old in chunk:
            view = found.get(old.uri)
            if view is None:  # deleted, or its author left, blocked us or was taken down
                batch.deleted.append(old.id)
                continue
            try:
                new = normalize(view, self.source.allow_adult)
            except BadPost as exc:
                batch.warnings.append(self._where(f"re-check skipped {exc}"))
                continue
            if new is None:  # opted out or labelled since: take it out
                batch.deleted.append(old.id)
            elif new.to_dict(derived=False) != old.to_dict(derived=False):
                batch.posts.append(new)
        return batch

    # requests and faults -------------------------------------------------------------------
    def _login(self) -> Batch | None:
        """Log in (or reuse the stored session); a Batch with the error if it failed for now."""
        if self.anonymous:
            return None
        try:
            self.session.client()
        except LoginUnavailable as exc:
            return self._batch(errors=[str(exc)])
        return None

    def _call(self, nsid: str, params: Any, what: str) -> dict:
        """One XRPC query with retries; its JSON object, or _Fail with a message for the user."""
        tries, renewed = 0, False
        while True:
            tries += 1
            try:
                self._requests += 1
                response = self._client().invoke_query(nsid, params=params)
            except RateLimitExceededError as exc:
                wait = self._ratelimit_wait(exc)
                if wait is None or tries > self.retry.retries:
                    reset = exc.reset_at.strftime("%H:%M:%S UTC") if exc.reset_at else "later"
                    raise _Fail(self._where(f"{what}: rate limited (HTTP 429) until {reset}; "
                                            "skipped this round"), 429) from None
                self.clock.sleep(wait)
                continue
            except (BadRequestError, UnauthorizedError, LoginRequiredError) as exc:
                if self.anonymous and isinstance(exc, (UnauthorizedError, LoginRequiredError)):
                    raise _Fail(self._where(f"{what}: {describe(exc)}: the public AppView refuses this "
                                            f"without a login; set {HANDLE_VAR} and {PASSWORD_VAR}"),
                                xrpc_error(exc)[0], fatal=True) from None
                if self._token_problem(exc) and not renewed:
                    renewed = True
                    self._renew(what)
                    continue
                raise self._refused(exc, what) from None
            except (NetworkError, RequestErrorBase) as exc:
                status, _ = xrpc_error(exc)
                if status is not None and (status < 500 or status == 501):
                    hint = " (does this service offer Bluesky search? check [sources.bluesky] service)" \
                        if status in (404, 501) else ""
                    raise _Fail(self._where(f"{what}: {describe(exc)}{hint}"), status) from None
                if tries > self.retry.retries:
                    raise _Fail(self._where(f"{what}: {describe(exc, self.source.timeout)}; gave up after "
                                            f"{tries} tries, skipped this round"), status) from None
                self.clock.sleep(self.retry.delay(tries))
                continue
            except AtProtocolError as exc:
                raise _Fail(self._where(f"{what}: {describe(exc)}")) from None
            if not isinstance(response.content, dict):
                raise _Fail(self._where(f"{what}: the answer is not a JSON object"))
            return response.content

    def _ratelimit_wait(self, exc: RateLimitExceededError) -> float | None:
        """Seconds until the limit resets, or None when that is longer than we wait."""
        headers = exc.response.headers if exc.response is not None else {}
        wait = announced_wait(headers or {}, self.clock.now())
        return self.retry.bearable(self.retry.backoff if wait is None else wait)

    @staticmethod
    def _token_problem(exc: AtProtocolError) -> bool:
        if isinstance(exc, LoginRequiredError):
            return True
        status, error = xrpc_error(exc)
        return error in TOKEN_ERRORS or (status == 401 and error in ("", "AuthRequired"))

    def _renew(self, what: str) -> None:
        try:
            self.session.renew()
        except LoginUnavailable as exc:
            raise _Fail(str(exc), fatal=True) from None

    def _refused(self, exc: AtProtocolError, what: str) -> _Fail:
        """Say what a 400/401/403 means for the user."""
        status, error = xrpc_error(exc)
        detail = describe(exc)
        if status == 401 or error in TOKEN_ERRORS:
            hint = (f"the service does not accept our login; check {HANDLE_VAR} and {PASSWORD_VAR}, "
                    f"or delete {self.session.path} to log in afresh")
            return _Fail(self._where(f"{what}: {detail}: {hint}"), status, fatal=True)
        if status == 403:
            hint = ("the service refuses search for this account (Bluesky allows search only to "
                    "logged-in accounts; is the app password restricted, or the account suspended?)")
            return _Fail(self._where(f"{what}: {detail}: {hint}"), status, fatal=True)
        return _Fail(self._where(f"{what}: the service rejected the request: {detail}"), status, error=error)

    def _client(self) -> Client:
        if not self.anonymous:
            return self.session.client()
        if self._public is None:
            self._public = Client(base_url=self.source.appview, request=Request(timeout=self.source.timeout))
        return self._public

    def _where(self, text: str) -> str:
        service = self.source.appview if self.anonymous else self.service
        return self.session.redact(f"Bluesky {service}: {text}")

    def _batch(self, **kw: Any) -> Batch:
        batch = Batch(**kw)
        batch.warnings[:0] = [self.session.redact(w) for w in self.session.warnings]
        self.session.warnings.clear()
        batch.errors = [self.session.redact(e) for e in batch.errors]
        batch.requests = self._take_requests()
        return batch

    def _take_requests(self) -> int:
        n = self._requests + self.session.requests
        self._requests = self.session.requests = 0
        return n


class _Walk:
    """One pass down the search results, newest first, from `until` to `since`."""

    def __init__(self, since: datetime | None = None, skip: list[str] | None = None,
                 until: datetime | None = None, top: datetime | None = None,
                 top_uris: list[str] | None = None, oldest: datetime | None = None,
                 oldest_uris: list[str] | None = None):
        self.since, self.skip, self.until = since, skip or [], until
        self.top, self.top_uris = top, top_uris or []
        self.oldest, self.oldest_uris = oldest, oldest_uris or []

    def already(self, uri: str, when: datetime) -> bool:
        """Seen before: stored at the floor, or at the point where an earlier run stopped."""
        return (when == self.since and uri in self.skip) or \
            (when == self.oldest and uri in self.oldest_uris)

    def note(self, uri: str, when: datetime) -> None:
        if self.top is None or when > self.top:
            self.top, self.top_uris = when, [uri]
        elif when == self.top and uri not in self.top_uris:
            self.top_uris.append(uri)
        if self.oldest is None or when < self.oldest:
            self.oldest, self.oldest_uris = when, [uri]
        elif when == self.oldest and uri not in self.oldest_uris:
            self.oldest_uris.append(uri)

    def dump(self) -> dict[str, Any]:
        return {"since": iso(self.since), "skip": self.skip, "until": iso(self.until),
                "top": iso(self.top), "top_uris": self.top_uris,
                "oldest": iso(self.oldest), "oldest_uris": self.oldest_uris}

    @classmethod
    def load(cls, data: dict[str, Any]) -> "_Walk":
        return cls(_t(data.get("since")), _uris(data.get("skip")), _t(data.get("until")),
                   _t(data.get("top")), _uris(data.get("top_uris")),
                   _t(data.get("oldest")), _uris(data.get("oldest_uris")))


class _TagCursor:
    """The stored bookmark of one hashtag (see the module docstring)."""

    def __init__(self, newest: datetime | None = None, newest_uris: list[str] | None = None,
                 walk: _Walk | None = None):
        self.newest, self.newest_uris, self.walk = newest, newest_uris or [], walk

    def finish(self) -> None:
        """The walk reached its end: everything down to its floor is stored."""
        walk, self.walk = self.walk, None
        if walk is None or walk.top is None:
            return
        if self.newest is None or walk.top > self.newest:
            self.newest, self.newest_uris = walk.top, walk.top_uris
        elif walk.top == self.newest:
            self.newest_uris = list(dict.fromkeys(self.newest_uris + walk.top_uris))

    def dump(self) -> dict[str, Any]:
        out: dict[str, Any] = {"newest": iso(self.newest), "newest_uris": self.newest_uris}
        if self.walk is not None:
            out["walk"] = self.walk.dump()
        return out

    @classmethod
    def load(cls, data: Any) -> "_TagCursor":
        """Read a stored cursor; anything unreadable starts afresh (a backfill, deduplicated later)."""
        if not isinstance(data, dict):
            return cls()
        walk = _Walk.load(data["walk"]) if isinstance(data.get("walk"), dict) else None
        return cls(_t(data.get("newest")), _uris(data.get("newest_uris")), walk)


def _t(value: Any) -> datetime | None:
    try:
        return parse_time(value) if value else None
    except (ValueError, TypeError):
        return None


def _uris(value: Any) -> list[str]:
    return [v for v in value if isinstance(v, str)] if isinstance(value, list) else []
