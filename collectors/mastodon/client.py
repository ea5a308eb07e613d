"""One Mastodon server as the collector sees it: Mastodon.py over a retrying session.

Mastodon.py does the requests, the bearer token, the rate-limit headers and maps answers to
its exceptions; this module adds what it lacks and turns its errors into three outcomes:

- `ServerDown`: the server fails for this round (5xx or network errors after the retries,
  401, a 429 whose reset lies beyond our bound); the collector reports it and moves on.
- `RequestFailed`: one request failed (invalid JSON, an unexpected 4xx); the server is fine.
- `None` from `timeline()` / `status()`: 404, an unknown tag or a deleted status.

`Server.settle_domain()` asks `/api/v2/instance` once for the domain of the server's own
accounts (their `acct` has none); the answer is kept in the cursors, so it is never asked again.

The JSON we normalise is read from the response our own session received, so `Post.raw` is
exactly what the server sent (Mastodon.py's dicts convert dates and add their own envelope).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable, Mapping
from urllib.parse import parse_qs, quote, urlsplit

import requests
from mastodon import (Mastodon, MastodonAPIError, MastodonError, MastodonNetworkError,
                      MastodonNotFoundError, MastodonRatelimitError, MastodonServerError,
                      MastodonUnauthorizedError)
from mastodon.return_types import PaginationInfo

from backchannel import __version__
from backchannel.models import parse_time
from backchannel.names import MASTODON_TOKEN as TOKEN_VAR
from backchannel.sanitize import clean_text

from backchannel.collectors.mastodon.normalize import valid_domain
from backchannel.collectors.retry import Clock, Retry, announced_wait

USER_AGENT = f"backchannel/{__version__} (conference backchannel collector)"
RETRY_STATUS = {500, 502, 503, 504}
_RETRY_ERRORS = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)
_HOST = re.compile(r"^(https?://)?([A-Za-z0-9.-]+(:\d{1,5})?)/?$")
_TOKEN_CHARS = re.compile(r"^[A-Za-z0-9._~+/=-]+$")


class ServerDown(Exception):
    """The server is skipped for the rest of this round; the message says why and names it."""


class RequestFailed(Exception):
    """One request failed; the message names the server and what was asked."""


@dataclass
class Page:
    """One page of a timeline: its items as sent, and where to go on in either direction."""

    items: list[Any]
    newest: str | None  # continue newer with min_id=newest (Link rel="prev")
    older: str | None  # continue older with max_id=older (Link rel="next")
    oldest_time: datetime | None  # the oldest created_at on the page, for the backfill stop


class RetrySession(requests.Session):
    """A `requests.Session` that retries 5xx and network errors with capped backoff.

    It counts every attempt (for the polling-cost check) and remembers the last response so
    the collector can read the raw JSON and headers of what Mastodon.py just parsed.
    """

    def __init__(self, retry: Retry, clock: Clock):
        super().__init__()
        self.retry = retry
        self.clock = clock
        self.count = 0
        self.last: requests.Response | None = None
        self.last_error: Exception | None = None

    def request(self, method: str, url: str, *args: Any, **kwargs: Any) -> requests.Response:  # type: ignore[override]
        attempt = 0
        while True:
            self.count += 1
            self.last, self.last_error = None, None
            try:
                response = super().request(method, url, *args, **kwargs)
            except _RETRY_ERRORS as exc:
                self.last_error = exc
                if attempt >= self.retry.retries:
                    raise
            else:
                self.last = response
                if response.status_code not in RETRY_STATUS or attempt >= self.retry.retries:
                    return response
            attempt += 1
            self.clock.sleep(self.retry.delay(attempt))


class Server:
    """A configured server: one Mastodon.py client and session for the collector's lifetime.

    `retry` bounds the retries and the rate-limit waits, `clock` does the waiting and tells
    the time the rate-limit headers are read against (see `backchannel.collectors.retry`).
    """

    def __init__(self, base: str, token: str | None, timeout: float, retry: Retry, clock: Clock):
        self.base = base
        self.retry = retry
        self.clock = clock
        self.name = urlsplit(base).netloc.rpartition("@")[2].lower()  # host[:port], for messages
        # The domain in its local accounts' handles (alice → alice@example.com), from
        # /api/v2/instance: it may differ from the API host (mastodon.example.com).
        self.domain: str | None = None
        self.domain_known = False  # asked once (or read from the cursors): never ask again
        self.token = token
        # configuration.timelines_access.hashtag_feeds (Mastodon 4.5): {"local": "public", ...}
        self.feed_access: dict[str, str] = {}
        self.api_seen = False  # a tag timeline or /api/v1/instance answered as the Mastodon API does
        self.session = RetrySession(retry, clock)
        # version_check_mode="none": no version probing (with "created" a non-Mastodon server
        # can make Mastodon.py recurse); "throw": we decide how long a 429 may wait.
        self.client = Mastodon(api_base_url=base, access_token=token, session=self.session,
                               request_timeout=timeout, ratelimit_method="throw",
                               version_check_mode="none", user_agent=USER_AGENT)
        self._reported = 0

    @property
    def instance_key(self) -> str:
        """The cursor key that remembers the account domain (a hashtag never holds '#')."""
        return f"{self.base}|#instance"

    def remember(self, value: Any) -> None:
        """Take the account domain from its stored cursor value, if that holds an answer."""
        if not self.domain_known and isinstance(value, dict) and "domain" in value:
            self.domain = valid_domain(value["domain"])
            self.domain_known = True

    def settle_domain(self) -> list[str]:
        """Ask `/api/v2/instance` for the account domain; notes (for warnings) about what it said.

        An answer without a usable domain (404 on servers that predate it, another 4xx,
        invalid JSON, no `domain`) is final: handles then fall back to each account's profile
        host. No answer at all (network, 5xx, 401, a long 429) raises `ServerDown`, is not
        remembered, and is asked again next round: the timelines would fail the same way.
        Mastodon.py asks with a trailing slash, which some servers (Takahe) answer with 404
        while they serve the path without it: both are tried.
        """
        what = "reading /api/v2/instance"
        try:
            found = self._call(what, self.client.instance_v2) or \
                self._call(what, self.client.fetch_next, _endpoint("/api/v2/instance"))
            data = self._json(what) if found else None
            reason = "no valid 'domain' in it" if found else f"HTTP {self._status()}"
        except RequestFailed as exc:
            data, reason = None, str(exc).removeprefix(f"{self.name}: {what}: ")
        self.domain = valid_domain(data.get("domain")) if isinstance(data, dict) else None
        self.domain_known = True
        notes = self._feed_access_notes(data)
        if not self.domain:
            notes.append(f"{self.name}: /api/v2/instance gave no account domain ({reason}); handles of its "
                         "local accounts use the host of their profile URL")
        return notes

    def _feed_access_notes(self, data: Any) -> list[str]:
        """What Mastodon 4.5's `configuration.timelines_access.hashtag_feeds` means for us."""
        access = data.get("configuration") if isinstance(data, dict) else None
        for key in ("timelines_access", "hashtag_feeds"):
            access = access.get(key) if isinstance(access, dict) else None
        if not isinstance(access, dict):
            return []
        self.feed_access = {k: v for k, v in access.items() if k in ("local", "remote") and isinstance(v, str)}
        notes = []
        setting = "configuration.timelines_access.hashtag_feeds"
        if self.feed_access.get("remote") == "disabled":
            notes.append(f"{self.name}: hashtag feeds of posts from other servers are disabled there "
                         f"({setting}.remote = disabled): only posts of its own accounts come through; "
                         "add the servers people post from to [sources.mastodon] instances")
        locked = [k for k, v in self.feed_access.items() if v == "authenticated"]
        if locked and not self.token:
            notes.append(f"{self.name}: hashtag feeds of {' and '.join(locked)} posts need a login there "
                         f"({setting}.{locked[0]} = authenticated): set {TOKEN_VAR} to a token of "
                         f"{self.name} with the read:statuses scope")
        return notes

    def take_requests(self) -> int:
        """HTTP requests made since the last call (each retry counts)."""
        made, self._reported = self.session.count - self._reported, self.session.count
        return made

    def timeline(self, tags: list[str], limit: int, **ids: str | None) -> Page | None:
        """A page of the tag timeline of `tags[0]`, with `any[]` = the other tags; None on 404.

        Mastodon.py's `timeline_hashtag()` first asks `/api/v2/instance/` whether tag
        timelines are available, and asks again on every call wherever that endpoint fails.
        `fetch_next()` with a `PaginationInfo` (the persisted-pagination form Mastodon.py
        documents) requests the endpoint directly, so a poll costs exactly one request, and
        it passes `any[]` through untouched.
        """
        params: dict[str, Any] = {"limit": limit, **{k: v for k, v in ids.items() if v is not None}}
        if len(tags) > 1:
            params["any[]"] = list(tags[1:])
        info = _endpoint(f"/api/v1/timelines/tag/{quote(tags[0], safe='')}", params)
        what = "reading #" + " #".join(tags)
        try:
            found = self._call(what, self.client.fetch_next, info)
            items = self._json(what) if found else None
        except RequestFailed:
            if self._html():
                raise ServerDown(self._not_api(f"sent a web page (HTML), not the API's JSON, for "
                                               f"{self._url()}")) from None
            raise
        if not found:
            self._check_api()  # an unknown tag, or no Mastodon API at this address?
            return None
        self.api_seen = True
        if not isinstance(items, list):
            raise RequestFailed(f"{self.name}: {what}: expected a list of statuses, got {type(items).__name__}")
        return _page(items, self.session.last)

    def _check_api(self) -> None:
        """After a 404 for a tag timeline: a server that speaks the Mastodon API answers
        `/api/v1/instance`; an address that is not one (a hashtag's web page, another kind
        of site) is an error the organiser must fix, not an empty tag. Asked once."""
        if self.api_seen:
            return
        missed = self._url()
        what = "reading /api/v1/instance"
        try:
            found = self._call(what, self.client.fetch_next, _endpoint("/api/v1/instance"))
            data = self._json(what) if found else None
        except RequestFailed:
            found, data = True, None
        if not isinstance(data, dict):
            answer = f"HTTP {self._status()}" if not found else ("a web page (HTML)" if self._html() else "no JSON")
            raise ServerDown(self._not_api(f"answered HTTP 404 for {missed} and {answer} for {self._url()}"))
        self.api_seen = True

    def _not_api(self, what: str) -> str:
        return (f"{self.base}: not a Mastodon API server: it {what}; [sources.mastodon] instances takes a "
                "server's base URL, such as https://mastodon.social (not the hashtag's web page, such as "
                "https://mastodon.social/tags/pycon); skipped this round")

    def _html(self) -> bool:
        response = self.session.last
        if response is None:
            return False
        kind = response.headers.get("Content-Type", "").lower()
        return "html" in kind or response.content.lstrip()[:15].lower().startswith((b"<!doctype", b"<html"))

    def _url(self) -> str:
        """The last request's URL, without its query (for messages)."""
        response = self.session.last
        return self.scrub(response.url.split("?")[0]) if response is not None else self.base

    def status(self, status_id: str) -> dict | None:
        """One status by the server's id, as sent; None when it is gone (404/410)."""
        what = f"re-checking status {clean_text(status_id, limit=40)}"
        if not self._call(what, self.client.status, quote(status_id, safe="")):
            return None
        data = self._json(what)
        if not isinstance(data, dict):
            raise RequestFailed(f"{self.name}: {what}: expected a status, got {type(data).__name__}")
        return data

    def context(self, status_id: str) -> dict | None:
        """The thread around a status (`{"ancestors": [...], "descendants": [...]}`), as sent;
        None when the status is gone (404/410)."""
        what = f"reading the replies to status {clean_text(status_id, limit=40)}"
        if not self._call(what, self.client.status_context, quote(status_id, safe="")):
            return None
        data = self._json(what)
        if not isinstance(data, dict) or not isinstance(data.get("descendants"), list):
            raise RequestFailed(f"{self.name}: {what}: expected a context with a list of descendants")
        return data

    def _call(self, what: str, fn: Callable, *args: Any) -> bool:
        """Run one Mastodon.py call; False on 404/410. Waits out a 429 within the bound."""
        waits = 0
        while True:
            try:
                fn(*args)
                return True
            except MastodonRatelimitError:
                wait = self._ratelimit_wait()
                if wait is None or waits >= 2:
                    raise ServerDown(self._ratelimit_message(what)) from None
                self.clock.sleep(wait)
                waits += 1
            except MastodonNotFoundError:
                return False
            except MastodonUnauthorizedError:
                raise ServerDown(self._auth_message(what)) from None
            except MastodonServerError:
                raise ServerDown(f"{self.name}: server error {self._status()} while {what} "
                                 f"(tried {self.retry.attempts} times); skipped this round") from None
            except MastodonNetworkError:
                raise ServerDown(f"{self.name}: {self._network_reason()} while {what} "
                                 f"(tried {self.retry.attempts} times); skipped this round") from None
            except MastodonAPIError:
                if self._status() == 410:
                    return False
                raise RequestFailed(f"{self.name}: {what}: {self._describe_failure()}") from None
            except MastodonError as exc:  # anything else Mastodon.py may raise: one request lost
                raise RequestFailed(f"{self.name}: {what}: {self.scrub(clean_text(str(exc), limit=200))}") from None

    def _json(self, what: str) -> Any:
        try:
            return json.loads(self._body())
        except ValueError:
            raise RequestFailed(f"{self.name}: {what}: the server sent invalid JSON") from None

    def _body(self) -> str:
        response = self.session.last
        text = response.content.decode(response.encoding or "utf-8", errors="replace") if response is not None else ""
        # Never keep a secret a (broken) server echoes back: it would reach raw payloads.
        if self.token and _TOKEN_CHARS.match(self.token) and self.token in text:
            text = text.replace(self.token, "[redacted]")
        return text

    def scrub(self, text: str) -> str:
        """`text` without the token (for messages built from server or library text)."""
        return text.replace(self.token, "[redacted]") if self.token else text

    def _status(self) -> int | None:
        return self.session.last.status_code if self.session.last is not None else None

    def _describe_failure(self) -> str:
        response = self.session.last
        if response is None:
            return "no answer"
        if response.ok:
            return "the server sent invalid JSON"
        try:
            error = response.json().get("error")
        except (ValueError, AttributeError):
            error = None
        detail = f" ({self.scrub(clean_text(error, limit=200))})" if isinstance(error, str) and error else ""
        return f"HTTP {response.status_code}{detail}"

    def _network_reason(self) -> str:
        exc = self.session.last_error
        if isinstance(exc, requests.Timeout):
            return f"no answer within {self.client.request_timeout:g} s"
        if isinstance(exc, requests.ConnectionError):
            return "cannot connect"
        return "network error"

    def _ratelimit_wait(self) -> float | None:
        """Seconds until the rate limit resets (X-RateLimit-Reset, else Retry-After), if within the bound."""
        response = self.session.last
        if response is None or response.status_code != 429:
            return None  # Mastodon.py also raises this for an unreadable reset header on a 200
        wait = announced_wait(response.headers, self.clock.now())
        if wait is None:
            wait = min(5.0, self.retry.max_wait)
        return self.retry.bearable(wait)

    def _ratelimit_message(self, what: str) -> str:
        response = self.session.last
        if response is None or response.status_code != 429:
            return f"{self.name}: unreadable X-RateLimit-Reset header while {what}; skipped this round"
        wait = announced_wait(response.headers, self.clock.now())
        when = f" for another {wait:.0f} s" if wait is not None else ""
        return f"{self.name}: rate limited (429){when} while {what}; skipped this round"

    def _auth_message(self, what: str) -> str:
        if self.token:
            return (f"{self.name}: the server refused the token in {TOKEN_VAR} (401 Unauthorized) while {what}; "
                    f"check it is an access token of {self.name} with the read:statuses scope; skipped this round")
        setting = ""
        if what.startswith("reading #") and "authenticated" in self.feed_access.values():
            which = " and ".join(k for k, v in self.feed_access.items() if v == "authenticated")
            setting = (f" (its setting configuration.timelines_access.hashtag_feeds is 'authenticated' "
                       f"for {which} posts)")
        return (f"{self.name}: the server requires an access token for {what.removeprefix('reading ')}"
                f"{setting} (401 Unauthorized); set {TOKEN_VAR} to a token of {self.name} with the "
                f"read:statuses scope (for several servers: \"{self.name}=TOKEN other.example=TOKEN\"); "
                "skipped this round")


def parse_tokens(value: str, instances: list[str]) -> tuple[dict[str, str], list[str]]:
    """Tokens by instance base URL, from the environment variable, plus warnings.

    A bearer token is a credential of one server: sending it to the others would hand it to
    their operators. So a bare token is used for the first configured instance only, and
    `host=TOKEN host2=TOKEN` pairs name the server of each token.
    """
    items = value.replace(",", " ").split()
    if not items or not instances:
        return {}, []
    pairs = [item.partition("=") for item in items]
    if all(sep and token and _HOST.match(host) for host, sep, token in pairs):
        by_host = {_HOST.match(host).group(2).lower(): token for host, _, token in pairs}
        tokens = {base: by_host[_netloc(base)] for base in instances if _netloc(base) in by_host}
        unknown = sorted(set(by_host) - {_netloc(base) for base in instances})
        warnings = [f"{TOKEN_VAR} names {host}, which is not in [sources.mastodon] instances; "
                    "its token is not used" for host in unknown]
        return tokens, warnings
    if len(items) > 1:
        return {}, [f"{TOKEN_VAR} is neither one token nor \"host=TOKEN\" pairs; no token is used"]
    return {instances[0]: items[0]}, []


def _endpoint(path: str, params: dict[str, Any] | None = None) -> PaginationInfo:
    """A GET of `path` through Mastodon.py's `fetch_next` (its documented persisted-pagination
    form): exactly one request, with no hidden availability check first."""
    return PaginationInfo({"_pagination_method": "GET", "_pagination_endpoint": path, **(params or {})})


def _netloc(base: str) -> str:
    return urlsplit(base).netloc.rpartition("@")[2].lower()


def _page(items: list[Any], response: requests.Response | None) -> Page:
    links = response.links if response is not None else {}
    statuses = [i for i in items if isinstance(i, dict)]
    newest = _link_id(links.get("prev"), ("min_id", "since_id")) or _item_id(statuses[:1])
    older = _link_id(links.get("next"), ("max_id",)) or _item_id(statuses[-1:])
    times = []
    for item in statuses:
        try:
            times.append(parse_time(item.get("created_at")))
        except (ValueError, TypeError):
            pass
    return Page(items, newest if items else None, older if items else None, min(times, default=None))


def _link_id(link: Mapping[str, str] | None, names: tuple[str, ...]) -> str | None:
    """An id from a Link header URL, exactly as the server wrote it (ids are opaque)."""
    if not link or not link.get("url"):
        return None
    query = parse_qs(urlsplit(link["url"]).query)
    for name in names:
        if query.get(name) and _valid_id(query[name][0]):
            return query[name][0]
    return None


def _item_id(items: list[dict]) -> str | None:
    value = items[0].get("id") if items else None
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if _valid_id(value) else None


def _valid_id(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= 100 and value.isprintable() and " " not in value

