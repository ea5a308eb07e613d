"""The three services of the sample event, speaking their real APIs (the parts collectors use).

- `MastodonSite`: a Mastodon 4.3 server. Tag timelines newest first with `limit` (≤ 40),
  `max_id` / `min_id` / `since_id` and `any[]`, a `Link` header (rel="next"/"prev", none on
  an empty page), `X-RateLimit-*` headers, `/api/v1/statuses/:id` (404 once deleted),
  `/api/v1/statuses/:id/context` (a question's replies, see `demo.threads`),
  `/api/v1/instance` and `/api/v2/instance`. Like some servers that speak this API, its tag
  timelines also list boosts (a wrapper status whose `reblog` is the original).
- `BlueskySite`: a PDS + AppView. `createSession` (checks the demo app password, names
  itself as the PDS in the DID document), `refreshSession`, `getSession`, `searchPosts`
  (`q`, `since`/`until`, `limit` ≤ 100, offset `cursor`, sorted by min(createdAt, indexedAt))
  `getPosts` (≤ 25 uris; deleted ones are left out), `getPostThread` (`uri`, `depth`,
  `parentHeight`; see `demo.threads`) and `getProfile`.
- `BlogSite`: three feeds with `ETag` / `Last-Modified`, answering conditional GETs with 304.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import threading
import time
from datetime import datetime, timezone
from email.utils import format_datetime, parsedate_to_datetime
from typing import Any, Iterable
from urllib.parse import unquote, urlencode

from backchannel.demo.event import FeedPayload, MastodonPayload
from backchannel.demo.loopback import Request, Response
from backchannel.demo.threads import (DEPTH_DEFAULT, PARENT_HEIGHT_DEFAULT, SHOWN, bluesky_thread,
                                      mastodon_context)

JSON = "application/json; charset=utf-8"


def json_response(data: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(status, json.dumps(data, ensure_ascii=False).encode("utf-8"),
                    {"Content-Type": JSON, **(headers or {})})


class _Counting:
    def __init__(self) -> None:
        self.requests = 0
        self.lock = threading.Lock()

    def count(self) -> int:
        with self.lock:
            self.requests += 1
            return self.requests


class MastodonSite(_Counting):
    """One Mastodon server of the sample event."""

    LIMIT = 300  # requests per 5 minutes, as Mastodon announces for anonymous reads

    def __init__(self, payload: MastodonPayload):
        super().__init__()
        self.domain = payload.domain
        self.title = payload.title
        self.statuses = list(payload.statuses)
        self.window = time.time()

    def delete(self, uris: Iterable[str]) -> int:
        """The author deleted these: the status (and every boost of it) is gone from this server."""
        gone = set(uris)
        with self.lock:
            before = sum(1 for s in self.statuses if s["reblog"] is None)
            self.statuses = [s for s in self.statuses if (s["reblog"] or s)["uri"] not in gone]
            return before - sum(1 for s in self.statuses if s["reblog"] is None)

    def app(self, req: Request, base: str) -> Response:
        used = self.count()
        if req.path.startswith("/api/v1/timelines/tag/"):
            resp = self.tag_timeline(req, base)
        elif m := re.fullmatch(r"/api/v1/statuses/([^/]+)", req.path):
            found = next((s for s in self.statuses if s["id"] == unquote(m.group(1))), None)
            if found is not None and found["visibility"] not in SHOWN:
                found = None  # what a logged-out reader gets for a private status
            resp = json_response(found) if found else json_response({"error": "Record not found"}, 404)
        elif m := re.fullmatch(r"/api/v1/statuses/([^/]+)/context", req.path):
            with self.lock:
                context = mastodon_context(self.statuses, unquote(m.group(1)))
            resp = json_response(context) if context else json_response({"error": "Record not found"}, 404)
        elif req.path.rstrip("/") == "/api/v2/instance":
            resp = json_response(self.instance_v2())
        elif req.path.rstrip("/") == "/api/v1/instance":
            resp = json_response({"uri": self.domain, "title": self.title, "version": "4.3.2",
                                  "short_description": "", "description": "", "languages": ["en"],
                                  "registrations": False, "urls": {"streaming_api": f"wss://{self.domain}"}})
        else:
            resp = json_response({"error": "Record not found"}, 404)
        reset = datetime.fromtimestamp(self.window + 300, timezone.utc)
        resp.headers.update({"X-RateLimit-Limit": str(self.LIMIT),
                             "X-RateLimit-Remaining": str(max(0, self.LIMIT - used)),
                             "X-RateLimit-Reset": reset.isoformat(timespec="milliseconds").replace("+00:00", "Z"),
                             "Cache-Control": "private, no-store", "Vary": "Accept, Authorization, Origin"})
        return resp

    def instance_v2(self) -> dict:
        return {"domain": self.domain, "title": self.title, "version": "4.3.2",
                "source_url": "https://github.com/mastodon/mastodon", "description": "",
                "languages": ["en"], "registrations": {"enabled": False, "approval_required": False},
                "api_versions": {"mastodon": 2},
                "configuration": {"statuses": {"max_characters": 500},
                                  "timelines_access": {"hashtag_feeds": {"local": "public", "remote": "public"},
                                                       "live_feeds": {"local": "public", "remote": "public"},
                                                       "trending_link_feeds": {"local": "public", "remote": "public"}}}}

    def tag_timeline(self, req: Request, base: str) -> Response:
        tag = unquote(req.path.rsplit("/", 1)[1]).lower()
        wanted = {tag} | {t.lower() for t in req.query.get("any[]", [])}
        try:
            limit = max(1, min(int(req.arg("limit") or 20), 40))
            bounds = {k: int(req.arg(k)) for k in ("max_id", "min_id", "since_id") if req.arg(k)}
        except ValueError:
            return json_response({"error": "Invalid id"}, 422)
        with self.lock:
            statuses = list(self.statuses)
        hits = [s for s in statuses if wanted & {t["name"].lower() for t in (s["reblog"] or s)["tags"]}
                and s["visibility"] == "public"]  # unlisted statuses stay off public timelines
        hits.sort(key=lambda s: int(s["id"]), reverse=True)
        if "max_id" in bounds:
            hits = [s for s in hits if int(s["id"]) < bounds["max_id"]]
        if "since_id" in bounds:
            hits = [s for s in hits if int(s["id"]) > bounds["since_id"]]
        if "min_id" in bounds:  # the page just above min_id, still newest first
            hits = [s for s in hits if int(s["id"]) > bounds["min_id"]][-limit:]
        page = hits[:limit]
        headers = {}
        if page:
            here = f"{base}{req.path}?"
            keep = {k: v for k, v in req.query.items() if k in ("limit", "any[]")}
            extra = urlencode(keep, doseq=True)
            extra = extra + "&" if extra else ""
            headers["Link"] = (f'<{here}{extra}max_id={page[-1]["id"]}>; rel="next", '
                               f'<{here}{extra}min_id={page[0]["id"]}>; rel="prev"')
        return json_response(page, headers=headers)


class BlueskySite(_Counting):
    """A PDS and AppView holding the sample event's Bluesky posts."""

    KEY = b"backchannel demo: not a secret"  # signs the demo's tokens, so sessions survive a restart
    ACCESS_TTL = 2 * 3600
    REFRESH_TTL = 60 * 24 * 3600

    def __init__(self, data: dict, login: dict):
        super().__init__()
        self.posts = {v["uri"]: v for v in data["posts"]}
        self.handle = login["handle"]
        self.password = login["password"]
        self.did = "did:plc:" + base64.b32encode(hashlib.sha256(self.handle.encode()).digest()).decode().lower()[:24]

    def delete(self, uris: Iterable[str]) -> int:
        with self.lock:
            return sum(1 for u in uris if self.posts.pop(u, None) is not None)

    def app(self, req: Request, base: str) -> Response:
        self.count()
        nsid = req.path[len("/xrpc/"):] if req.path.startswith("/xrpc/") else None
        routes = {
            "com.atproto.server.createSession": self.create_session,
            "com.atproto.server.refreshSession": self.refresh_session,
            "com.atproto.server.getSession": self.get_session,
            "app.bsky.feed.searchPosts": self.search_posts,
            "app.bsky.feed.getPosts": self.get_posts,
            "app.bsky.feed.getPostThread": self.get_post_thread,
            "app.bsky.actor.getProfile": self.get_profile,
        }
        route = routes.get(nsid or "")
        if route is None:
            return _xrpc_error(501, "MethodNotImplemented", f"Method Not Implemented: {nsid or req.path}")
        return route(req, base)

    # sessions ------------------------------------------------------------------------------
    def _token(self, kind: str, ttl: int) -> str:
        now = int(time.time())
        header = {"typ": "at+jwt" if kind == "access" else "refresh+jwt", "alg": "HS256"}
        payload = {"scope": "com.atproto.appPass" if kind == "access" else "com.atproto.refresh",
                   "sub": self.did, "aud": "did:web:127.0.0.1", "iat": now, "exp": now + ttl,
                   "jti": base64.urlsafe_b64encode(hashlib.sha256(f"{kind}{time.time_ns()}".encode()).digest()[:12]).decode()}
        signing = ".".join(_b64(json.dumps(p, separators=(",", ":")).encode()) for p in (header, payload))
        return signing + "." + _b64(hmac.new(self.KEY, signing.encode(), hashlib.sha256).digest())

    def _check(self, req: Request, scope: str) -> Response | None:
        """None when the bearer token is ours, unexpired and of `scope`; else the PDS's answer."""
        auth = req.headers.get("authorization", "")
        token = auth[7:].strip() if auth.lower().startswith("bearer ") else ""
        if not token:
            return _xrpc_error(401, "AuthMissing", "Authentication Required")
        try:
            signing, _, sig = token.rpartition(".")
            expected = _b64(hmac.new(self.KEY, signing.encode(), hashlib.sha256).digest())
            payload = json.loads(base64.urlsafe_b64decode(signing.split(".")[1] + "=="))
        except (ValueError, IndexError):
            return _xrpc_error(401, "InvalidToken", "Token could not be verified")
        if not hmac.compare_digest(sig, expected) or payload.get("scope") != scope:
            return _xrpc_error(401, "InvalidToken", "Token could not be verified")
        if payload.get("exp", 0) < time.time():
            return _xrpc_error(400, "ExpiredToken", "Token has expired")
        return None

    def _session(self, base: str) -> dict:
        return {
            "accessJwt": self._token("access", self.ACCESS_TTL),
            "refreshJwt": self._token("refresh", self.REFRESH_TTL),
            "handle": self.handle, "did": self.did,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                "id": self.did, "alsoKnownAs": [f"at://{self.handle}"],
                "verificationMethod": [{"id": f"{self.did}#atproto", "type": "Multikey", "controller": self.did,
                                        "publicKeyMultibase": "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"}],
                "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer", "serviceEndpoint": base}],
            },
            "email": "demo@backchannel.example", "emailConfirmed": True, "active": True,
        }

    def create_session(self, req: Request, base: str) -> Response:
        if req.method != "POST":
            return _xrpc_error(400, "InvalidRequest", "Incorrect HTTP method")
        try:
            body = json.loads(req.body or b"null")
            ident, password = body["identifier"], body["password"]
        except (ValueError, KeyError, TypeError):
            return _xrpc_error(400, "InvalidRequest", 'Input must have the property "identifier"')
        if str(ident).lower().lstrip("@") not in (self.handle, self.did) or password != self.password:
            return _xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        return json_response(self._session(base))

    def refresh_session(self, req: Request, base: str) -> Response:
        refused = self._check(req, "com.atproto.refresh")
        if refused:
            return refused
        data = self._session(base)
        data.pop("email")
        return json_response(data)

    def get_session(self, req: Request, base: str) -> Response:
        return self._check(req, "com.atproto.appPass") or \
            json_response({"handle": self.handle, "did": self.did, "active": True})

    # feeds ---------------------------------------------------------------------------------
    def search_posts(self, req: Request, base: str) -> Response:
        refused = self._check(req, "com.atproto.appPass")
        if refused:
            return refused
        q = (req.arg("q") or "").strip()
        if not q:
            return _xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "q"')
        try:
            limit = int(req.arg("limit", "25"))
            offset = int(req.arg("cursor") or 0)
            since = _time(req.arg("since")) if req.arg("since") else None
            until = _time(req.arg("until")) if req.arg("until") else None
        except ValueError as exc:
            return _xrpc_error(400, "InvalidRequest", f"Error: bad parameter: {exc}")
        if not 1 <= limit <= 100:
            return _xrpc_error(400, "InvalidRequest", "Error: limit must be between 1 and 100")
        term = q.lstrip("#").lower()  # a full-text index: the word anywhere, as a prefix too
        with self.lock:
            views = list(self.posts.values())
        hits = [v for v in views if term in v["record"]["text"].lower()
                and (since is None or _sort_at(v) >= since) and (until is None or _sort_at(v) < until)]
        hits.sort(key=lambda v: (_sort_at(v), v["uri"]), reverse=True)
        out: dict[str, Any] = {"posts": hits[offset:offset + limit], "hitsTotal": len(hits)}
        if offset + limit < len(hits):
            out["cursor"] = str(offset + limit)
        return json_response(out)

    def get_posts(self, req: Request, base: str) -> Response:
        refused = self._check(req, "com.atproto.appPass")
        if refused:
            return refused
        uris = req.query.get("uris", [])
        if len(uris) > 25:
            return _xrpc_error(400, "InvalidRequest", "Error: uris must not have more than 25 elements")
        with self.lock:
            return json_response({"posts": [self.posts[u] for u in uris if u in self.posts]})

    def get_post_thread(self, req: Request, base: str) -> Response:
        """A post with its replies and parents (auth optional, as on the AppView)."""
        refused = self._check(req, "com.atproto.appPass") if req.headers.get("authorization") else None
        if refused:
            return refused
        uri = req.arg("uri") or ""
        if not uri:
            return _xrpc_error(400, "InvalidRequest", 'Error: Params must have the property "uri"')
        try:
            depth = int(req.arg("depth", str(DEPTH_DEFAULT)))
            height = int(req.arg("parentHeight", str(PARENT_HEIGHT_DEFAULT)))
        except ValueError as exc:
            return _xrpc_error(400, "InvalidRequest", f"Error: bad parameter: {exc}")
        if not (0 <= depth <= 1000 and 0 <= height <= 1000):
            return _xrpc_error(400, "InvalidRequest", "Error: depth and parentHeight must be between 0 and 1000")
        with self.lock:
            thread = bluesky_thread(self.posts, uri, depth, height)
        if thread is None:
            return _xrpc_error(400, "NotFound", f"Post not found: {uri}")
        return json_response({"thread": thread})

    def get_profile(self, req: Request, base: str) -> Response:
        """The profile of the demo account or of a poster (atproto's `login()` asks for its own)."""
        refused = self._check(req, "com.atproto.appPass")
        if refused:
            return refused
        actor = (req.arg("actor") or "").lstrip("@").lower()
        if actor in (self.handle, self.did):
            return json_response({"did": self.did, "handle": self.handle, "displayName": "backchannel demo",
                                  "followersCount": 0, "followsCount": 0, "postsCount": 0, "labels": []})
        with self.lock:
            found = next((v["author"] for v in self.posts.values()
                          if actor in (v["author"]["did"], v["author"]["handle"].lower())), None)
        if found is None:
            return _xrpc_error(400, "InvalidRequest", "Profile not found")
        return json_response({**found, "followersCount": 120, "followsCount": 80, "postsCount": 300})


class BlogSite(_Counting):
    """Three blogs' feeds, served politely (validators, 304 when unchanged)."""

    def __init__(self, feeds: Iterable[FeedPayload]):
        super().__init__()
        self.feeds = {f.path: f for f in feeds}

    def app(self, req: Request, base: str) -> Response:
        self.count()
        feed = self.feeds.get(req.path)
        if feed is None:
            return Response(404, b"<!doctype html><title>Not found</title><h1>Not found</h1>",
                            {"Content-Type": "text/html; charset=utf-8"})
        etag = '"' + hashlib.blake2b(feed.body, digest_size=8).hexdigest() + '"'
        modified = format_datetime(_newest(feed.body), usegmt=True)
        headers = {"ETag": etag, "Last-Modified": modified, "Cache-Control": "max-age=300"}
        if req.headers.get("if-none-match") == etag or \
                (not req.headers.get("if-none-match") and req.headers.get("if-modified-since") == modified):
            return Response(304, b"", headers)
        return Response(200, feed.body, {"Content-Type": f"{feed.content_type}; charset=utf-8", **headers})


def _newest(body: bytes) -> datetime:
    """The newest date in a feed (for Last-Modified): Atom <updated> or RSS <lastBuildDate>."""
    text = body.decode("utf-8")
    if m := re.search(r"<updated>([^<]+)</updated>", text):
        return datetime.fromisoformat(m.group(1)).astimezone(timezone.utc)
    m = re.search(r"<lastBuildDate>([^<]+)</lastBuildDate>", text)
    return parsedate_to_datetime(m.group(1)).astimezone(timezone.utc) if m else datetime(2026, 9, 1, tzinfo=timezone.utc)


def _xrpc_error(status: int, error: str, message: str) -> Response:
    return json_response({"error": error, "message": message}, status)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def _time(value: str) -> datetime:
    text = value.strip().replace("Z", "+00:00")
    dt = datetime.fromisoformat(text + ("T00:00:00" if len(text) == 10 else ""))
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _sort_at(view: dict) -> datetime:
    """sortAt = min(createdAt, indexedAt), as the AppView sorts search results."""
    return min(_time(view["record"]["createdAt"]), _time(view["indexedAt"]))
