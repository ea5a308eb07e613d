"""The public AppView without a login: profiles (handles, labels) and posts (counts, labels).

Jetstream carries neither profiles nor labels nor counts. `Profiles.lookup(dids)` asks
`app.bsky.actor.getProfiles` (25 actors a request) for the authors not in its cache and
remembers each answer for `ttl` seconds; an author the AppView leaves out of its answer
(deleted, deactivated, taken down) is remembered as `None`. `AppView.get_posts(uris)` asks
`app.bsky.feed.getPosts` (25 a request) for the full PostViews.

Failures raise `AppViewError` with a message naming the service and the request; a 429
carries the seconds until the limit resets (from `ratelimit-reset`).
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Iterable

import httpx

from backchannel.sanitize import clean_text

GET_PROFILES = "app.bsky.actor.getProfiles"
GET_POSTS = "app.bsky.feed.getPosts"
PER_REQUEST = 25


class AppViewError(Exception):
    """A request to the AppView failed; `retry_after` is set for a rate limit."""

    def __init__(self, message: str, retry_after: float | None = None):
        super().__init__(message)
        self.retry_after = retry_after


@dataclass
class Profile:
    """What a post needs from its author's profile: the handle, the name and the labels."""

    did: str
    handle: str
    name: str = ""
    labels: list[dict] = field(default_factory=list)

    def author_view(self) -> dict[str, Any]:
        """The `author` of a PostView, as `normalize` reads it."""
        return {"did": self.did, "handle": self.handle, "displayName": self.name, "labels": self.labels}


class AppView:
    """Unauthenticated XRPC queries to one AppView (default `https://public.api.bsky.app`)."""

    def __init__(self, service: str, timeout: float = 15.0, client: httpx.Client | None = None):
        self.service = service.rstrip("/")
        self.timeout = timeout
        self.http = client or httpx.Client(timeout=timeout, follow_redirects=False,
                                           headers={"user-agent": "backchannel"})
        self.requests = 0

    def query(self, nsid: str, params: list[tuple[str, str]], what: str) -> dict[str, Any]:
        """One GET /xrpc/NSID; its JSON object, or AppViewError saying what went wrong."""
        self.requests += 1
        where = f"Bluesky AppView {self.service}: {what}"
        try:
            response = self.http.get(f"{self.service}/xrpc/{nsid}", params=params)
        except httpx.TimeoutException:
            raise AppViewError(f"{where}: no answer within {self.timeout:g} s (timeout)") from None
        except httpx.HTTPError as exc:
            raise AppViewError(f"{where}: {clean_text(str(exc) or type(exc).__name__, 200)}") from None
        if response.status_code == 429:
            raise AppViewError(f"{where}: rate limited (HTTP 429)", _retry_after(response))
        if response.status_code != 200:
            raise AppViewError(f"{where}: HTTP {response.status_code}{_detail(response)}")
        try:
            data = response.json()
        except ValueError:
            raise AppViewError(f"{where}: the answer is not JSON") from None
        if not isinstance(data, dict):
            raise AppViewError(f"{where}: the answer is not a JSON object")
        return data

    def get_posts(self, uris: list[str]) -> list[dict[str, Any]]:
        """PostViews of up to 25 post URIs (deleted or hidden ones are left out)."""
        data = self.query(GET_POSTS, [("uris", u) for u in uris[:PER_REQUEST]], f"getPosts ({len(uris)} posts)")
        posts = data.get("posts")
        return [p for p in posts if isinstance(p, dict)] if isinstance(posts, list) else []

    def close(self) -> None:
        self.http.close()


class Profiles:
    """A cache of authors' profiles in front of `getProfiles`."""

    def __init__(self, appview: AppView, ttl: float = 3600.0):
        self.appview = appview
        self.ttl = ttl
        self._cache: dict[str, tuple[float, Profile | None]] = {}

    def known(self, did: str) -> bool:
        hit = self._cache.get(did)
        return hit is not None and hit[0] > time.monotonic()

    def get(self, did: str) -> Profile | None:
        hit = self._cache.get(did)
        return hit[1] if hit else None

    def forget(self, did: str) -> None:
        """Ask again next time (the author changed handle, or their account changed state)."""
        self._cache.pop(did, None)

    def lookup(self, dids: Iterable[str]) -> None:
        """Fetch the profiles not cached (or stale), 25 a request; AppViewError if one fails."""
        wanted = [d for d in dict.fromkeys(dids) if not self.known(d)]
        for i in range(0, len(wanted), PER_REQUEST):
            chunk = wanted[i:i + PER_REQUEST]
            data = self.appview.query(GET_PROFILES, [("actors", d) for d in chunk],
                                      f"getProfiles ({len(chunk)} authors)")
            found: dict[str, Profile] = {}
            for view in data.get("profiles") if isinstance(data.get("profiles"), list) else []:
                profile = _profile(view)
                if profile is not None and profile.did in chunk:
                    found[profile.did] = profile
            expires = time.monotonic() + self.ttl
            for did in chunk:
                self._cache[did] = (expires, found.get(did))


def _profile(view: Any) -> Profile | None:
    if not isinstance(view, dict) or not isinstance(view.get("did"), str):
        return None
    labels = view.get("labels") if isinstance(view.get("labels"), list) else []
    handle = view.get("handle") if isinstance(view.get("handle"), str) else ""
    if handle == "handle.invalid":
        handle = ""
    name = view.get("displayName") if isinstance(view.get("displayName"), str) else ""
    return Profile(did=view["did"], handle=handle, name=name, labels=[x for x in labels if isinstance(x, dict)])


def _retry_after(response: httpx.Response) -> float | None:
    reset = response.headers.get("ratelimit-reset")
    if reset and reset.isdigit():
        return max(float(reset) - time.time(), 0.0)
    after = response.headers.get("retry-after")
    return float(after) if after and after.isdigit() else None


def _detail(response: httpx.Response) -> str:
    try:
        data = response.json()
    except ValueError:
        return ""
    if not isinstance(data, dict):
        return ""
    text = ": ".join(str(data[k]) for k in ("error", "message") if data.get(k))
    return f" ({clean_text(text, 200)})" if text else ""
