"""A loopback XRPC peer that speaks the parts of the Bluesky API the collector uses.

    server = BlueskyServer()
    alice = server.account("alice.example.com", "Alice")
    server.add(make_post(alice, "Great talk! #PyCon", "2026-09-01T10:00:00Z", facets=[tag_facet(...)]))
    with server:                                   # listens on 127.0.0.1
        client = Client(base_url=server.url)       # the real atproto client
        ...
    server.calls("com.atproto.server.createSession")  # how often each method was called

Endpoints, with the shapes of the lexicons (`com.atproto.server.*`, `app.bsky.feed.*`):
`createSession` (password check, DID document naming this server as the PDS, 30 per 5 min
per account), `refreshSession` (rotates the refresh token), `getSession`, `searchPosts`
(`q`, `sort=latest` by `sortAt = min(createdAt, indexedAt)`, `since` inclusive, `until`
exclusive, `limit` 1..100, offset cursors like Bluesky's search service, fuzzy matching like
a full-text index), `getPosts` (at most 25 `uris`; unknown or deleted ones are left out) and
`getPostThread` (`uri`, `depth` 0..1000, `parentHeight`; a `threadViewPost` tree whose
deleted replies show as `notFoundPost` while replies below them remain, replies of accounts
the viewer blocks as `blockedPost`, and 400 `NotFound` for a root that is gone).

Tokens are JWT-shaped (the client reads `exp` to decide when to refresh). An expired access
token gets 400 `ExpiredToken`, an unknown one 401 `InvalidToken`, as a PDS answers.

Faults are queued per method with `inject(nsid, Response, after=n)`: the next call to that
method after `n` good ones gets the canned answer (`Response.delay` makes it slow).
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import json
import secrets
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from backchannel.demo.loopback import Loopback, Request, Response

PDS_DID = "did:web:pds.test"


def iso(dt: datetime | str) -> str:
    """`2026-09-01T10:00:00.000Z`, the form Bluesky writes timestamps in."""
    if isinstance(dt, str):
        dt = parse(dt)
    return dt.astimezone(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def parse(value: str) -> datetime:
    text = value.strip()
    if len(text) == 10:  # a bare date is allowed for since/until
        text += "T00:00:00"
    text = text.replace("Z", "+00:00").replace("z", "+00:00")
    dt = datetime.fromisoformat(text)
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def fake_cid(seed: str) -> str:
    """A CIDv1 (dag-cbor, sha256) in base32, as the network writes them."""
    digest = hashlib.sha256(seed.encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def make_jwt(payload: dict[str, Any]) -> str:
    header = {"typ": payload.pop("_typ", "at+jwt"), "alg": "ES256K"}
    return ".".join([_b64(json.dumps(header).encode()), _b64(json.dumps(payload).encode()),
                     _b64(secrets.token_bytes(64))])


# --- building realistic records and views --------------------------------------------------

@dataclass
class Account:
    did: str
    handle: str
    password: str = ""
    display_name: str | None = None
    labels: list[str] = field(default_factory=list)  # self-labels such as "!no-unauthenticated"
    active: bool = True  # False: deactivated (getProfiles leaves it out)

    def view(self) -> dict[str, Any]:
        """app.bsky.actor.defs#profileViewBasic."""
        out: dict[str, Any] = {
            "did": self.did,
            "handle": self.handle,
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{self.did}/{fake_cid(self.did)}@jpeg",
            "associated": {"chat": {"allowIncoming": "following"}},
            "viewer": {"muted": False, "blockedBy": False},
            "labels": [_label(self.did, f"at://{self.did}/app.bsky.actor.profile/self", v)
                       for v in self.labels],
            "createdAt": "2023-05-02T08:00:00.000Z",
        }
        if self.display_name is not None:
            out["displayName"] = self.display_name
        return out


def _label(src: str, uri: str, val: str, neg: bool = False) -> dict[str, Any]:
    """com.atproto.label.defs#label."""
    out = {"src": src, "uri": uri, "cid": fake_cid(uri + val), "val": val,
           "cts": "2026-01-01T00:00:00.000Z", "ver": 1}
    if neg:
        out["neg"] = True
    return out


def _span(text: str, needle: str, occurrence: int = 0) -> dict[str, int]:
    """The UTF-8 byte slice of the `occurrence`-th `needle` in `text`."""
    at = -1
    for _ in range(occurrence + 1):
        at = text.index(needle, at + 1)
    start = len(text[:at].encode("utf-8"))
    return {"byteStart": start, "byteEnd": start + len(needle.encode("utf-8"))}


def tag_facet(text: str, needle: str, tag: str | None = None) -> dict[str, Any]:
    """A hashtag facet over `needle` (e.g. "#PyCon"); the tag value defaults to it minus '#'."""
    return {"index": _span(text, needle),
            "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": tag or needle.lstrip("#")}]}


def link_facet(text: str, needle: str, uri: str) -> dict[str, Any]:
    return {"index": _span(text, needle),
            "features": [{"$type": "app.bsky.richtext.facet#link", "uri": uri}]}


def mention_facet(text: str, needle: str, did: str) -> dict[str, Any]:
    return {"index": _span(text, needle),
            "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did}]}


def images_embed(*alts: str, did: str = "did:plc:img") -> tuple[dict, dict]:
    """(record embed, view embed) for images with the given alt texts."""
    record = {"$type": "app.bsky.embed.images", "images": []}
    view = {"$type": "app.bsky.embed.images#view", "images": []}
    for i, alt in enumerate(alts):
        cid = fake_cid(f"{did}-{i}-{alt}")
        record["images"].append({
            "alt": alt, "aspectRatio": {"width": 1600, "height": 900},
            "image": {"$type": "blob", "ref": {"$link": cid}, "mimeType": "image/jpeg", "size": 123456}})
        view["images"].append({
            "thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/{did}/{cid}@jpeg",
            "fullsize": f"https://cdn.bsky.app/img/feed_fullsize/plain/{did}/{cid}@jpeg",
            "alt": alt, "aspectRatio": {"width": 1600, "height": 900}})
    return record, view


def external_embed(uri: str, title: str, description: str = "") -> tuple[dict, dict]:
    record = {"$type": "app.bsky.embed.external",
              "external": {"uri": uri, "title": title, "description": description}}
    view = {"$type": "app.bsky.embed.external#view",
            "external": {"uri": uri, "title": title, "description": description,
                         "thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/did:plc:x/{fake_cid(uri)}@jpeg"}}
    return record, view


def quote_embed(quoted: dict[str, Any]) -> tuple[dict, dict]:
    """Embed the PostView `quoted` as a quote (app.bsky.embed.record)."""
    record = {"$type": "app.bsky.embed.record", "record": {"uri": quoted["uri"], "cid": quoted["cid"]}}
    view_record = {
        "$type": "app.bsky.embed.record#viewRecord",
        "uri": quoted["uri"], "cid": quoted["cid"], "author": quoted["author"],
        "value": quoted["record"], "labels": quoted.get("labels", []),
        "likeCount": quoted.get("likeCount", 0), "replyCount": quoted.get("replyCount", 0),
        "repostCount": quoted.get("repostCount", 0), "quoteCount": quoted.get("quoteCount", 0),
        "indexedAt": quoted["indexedAt"], "embeds": [quoted["embed"]] if quoted.get("embed") else [],
    }
    return record, {"$type": "app.bsky.embed.record#view", "record": view_record}


def record_with_media(quote: tuple[dict, dict], media: tuple[dict, dict]) -> tuple[dict, dict]:
    """A quote with the quoting post's own media (app.bsky.embed.recordWithMedia)."""
    return ({"$type": "app.bsky.embed.recordWithMedia", "record": quote[0], "media": media[0]},
            {"$type": "app.bsky.embed.recordWithMedia#view", "record": quote[1], "media": media[1]})


_rkeys = itertools.count(1)


def make_post(author: Account, text: str, created_at: str | datetime, *,
              indexed_at: str | datetime | None = None, facets: list[dict] | None = None,
              tags: list[str] | None = None, langs: list[str] | None = None,
              reply_to: dict[str, Any] | None = None, embed: tuple[dict, dict] | None = None,
              self_labels: list[str] | None = None, counts: dict[str, int] | None = None,
              rkey: str | None = None) -> dict[str, Any]:
    """An app.bsky.feed.defs#postView, as searchPosts and getPosts return it."""
    rkey = rkey or f"3l{next(_rkeys):011d}"[:13]
    uri = f"at://{author.did}/app.bsky.feed.post/{rkey}"
    created = iso(created_at)
    indexed = iso(indexed_at or created_at)
    record: dict[str, Any] = {"$type": "app.bsky.feed.post", "text": text, "createdAt": created,
                              "langs": langs if langs is not None else ["en"]}
    if facets:
        record["facets"] = facets
    if tags:
        record["tags"] = tags
    if reply_to:
        root = reply_to.get("record", {}).get("reply", {}).get("root") or \
            {"uri": reply_to["uri"], "cid": reply_to["cid"]}
        record["reply"] = {"root": root, "parent": {"uri": reply_to["uri"], "cid": reply_to["cid"]}}
    if embed:
        record["embed"] = embed[0]
    if self_labels:
        record["labels"] = {"$type": "com.atproto.label.defs#selfLabels",
                            "values": [{"val": v} for v in self_labels]}
    counts = counts or {}
    view: dict[str, Any] = {
        "$type": "app.bsky.feed.defs#postView",
        "uri": uri,
        "cid": fake_cid(uri + text),
        "author": author.view(),
        "record": record,
        "replyCount": counts.get("replies", 0),
        "repostCount": counts.get("reposts", 0),
        "likeCount": counts.get("likes", 0),
        "quoteCount": counts.get("quotes", 0),
        "bookmarkCount": 0,
        "indexedAt": indexed,
        "viewer": {"threadMuted": False, "embeddingDisabled": False},
        "labels": [_label(author.did, uri, v) for v in self_labels or []],
    }
    if embed:
        view["embed"] = embed[1]
    return view


# --- the server -----------------------------------------------------------------------------

def xrpc_error(status: int, error: str, message: str, headers: dict[str, str] | None = None,
               delay: float = 0.0) -> Response:
    return Response.json({"error": error, "message": message}, status, headers, delay)


def rate_limited(reset_in: float, limit: int = 3000) -> Response:
    """A 429 as Bluesky sends it: `ratelimit-*` headers, reset as epoch seconds."""
    reset = int(time.time() + reset_in)
    return xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", {
        "ratelimit-limit": str(limit), "ratelimit-remaining": "0",
        "ratelimit-reset": str(reset), "ratelimit-policy": f"{limit};w=300"})


class BlueskyServer:
    """State and request handler of the fake service; use as a context manager to serve it."""

    def __init__(self) -> None:
        self.accounts: dict[str, Account] = {}
        self.posts: dict[str, dict[str, Any]] = {}  # uri → PostView
        self.gone: dict[str, dict[str, Any]] = {}  # deleted posts (their replies stay in threads)
        self.blocked: set[str] = set()  # DIDs the viewer blocks: their replies are blockedPost
        self.access_ttl = 2 * 3600  # seconds, like a PDS's 2-hour access tokens
        self.refresh_ttl = 60 * 24 * 3600
        self.access: dict[str, tuple[str, float]] = {}  # token → (did, expires at)
        self.refresh: dict[str, tuple[str, float]] = {}
        self.logins: dict[str, list[float]] = {}  # did → createSession times (rate limit)
        self.faults: list[list[Any]] = []  # [nsid, good calls to let through, Response]
        self.pds_url: str | None = None  # DID documents name this PDS (default: this server)
        self.search_enabled = True
        self.public_search = False  # answer searchPosts without a login (first pages only)
        self.lock = threading.Lock()
        self.loop = Loopback(self.handle)

    # set-up helpers ----------------------------------------------------------------------
    def account(self, handle: str, display_name: str | None = None, password: str = "",
                labels: list[str] | None = None) -> Account:
        did = "did:plc:" + hashlib.sha256(handle.encode()).hexdigest()[:24]
        acc = Account(did, handle, password, display_name, labels or [])
        self.accounts[did] = acc
        return acc

    def add(self, *views: dict[str, Any]) -> None:
        for view in views:
            self.posts[view["uri"]] = view

    def delete(self, uri: str) -> None:
        view = self.posts.pop(uri, None)
        if view is not None:
            self.gone[uri] = view

    def reply(self, author: Account, parent: dict[str, Any], text: str, **kw: Any) -> dict[str, Any]:
        """A reply to `parent` (added to the server); the parent's `replyCount` goes up."""
        kw.setdefault("created_at", parse(parent["record"]["createdAt"]) + timedelta(minutes=1))
        view = make_post(author, text, reply_to=parent, **kw)
        parent["replyCount"] = parent.get("replyCount", 0) + 1
        self.add(view)
        return view

    def inject(self, nsid: str, response: Response, after: int = 0, times: int = 1) -> None:
        """Answer the next `times` calls of `nsid`, after `after` good ones, with `response`."""
        for i in range(times):
            self.faults.append([nsid, after if i == 0 else 0, response])

    def expire_access_tokens(self) -> None:
        """Make every issued access token expired on the server side."""
        with self.lock:
            self.access = {t: (did, 0.0) for t, (did, _) in self.access.items()}

    # serving -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.loop.url

    def __enter__(self) -> "BlueskyServer":
        self.loop.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loop.stop()

    @property
    def requests(self) -> list[Request]:
        return self.loop.requests

    def calls(self, nsid: str) -> int:
        return sum(1 for r in self.loop.requests if r.path == f"/xrpc/{nsid}")

    def handle(self, req: Request) -> Response:
        if not req.path.startswith("/xrpc/"):
            return Response(404, "not found")
        nsid = req.path[len("/xrpc/"):]
        canned = self._fault(nsid)
        if canned is not None:
            return canned
        routes = {
            "com.atproto.server.createSession": self._create_session,
            "com.atproto.server.refreshSession": self._refresh_session,
            "com.atproto.server.getSession": self._get_session,
            "app.bsky.feed.searchPosts": self._search_posts,
            "app.bsky.feed.getPosts": self._get_posts,
            "app.bsky.actor.getProfiles": self._get_profiles,
            "app.bsky.feed.getPostThread": self._get_post_thread,
        }
        route = routes.get(nsid)
        if route is None:
            return xrpc_error(501, "MethodNotImplemented", f"Method Not Implemented: {nsid}")
        return route(req)

    def _fault(self, nsid: str) -> Response | None:
        with self.lock:
            for fault in self.faults:
                if fault[0] != nsid:
                    continue
                if fault[1] > 0:
                    fault[1] -= 1
                    return None
                self.faults.remove(fault)
                return fault[2]
        return None

    # sessions ----------------------------------------------------------------------------
    def _issue(self, did: str) -> dict[str, Any]:
        now = time.time()
        access = make_jwt({"scope": "com.atproto.appPass", "sub": did, "aud": PDS_DID,
                           "iat": int(now), "exp": int(now + self.access_ttl)})
        refresh = make_jwt({"_typ": "refresh+jwt", "scope": "com.atproto.refresh", "sub": did,
                            "aud": PDS_DID, "jti": secrets.token_urlsafe(16),
                            "iat": int(now), "exp": int(now + self.refresh_ttl)})
        with self.lock:
            self.access[access] = (did, now + self.access_ttl)
            self.refresh[refresh] = (did, now + self.refresh_ttl)
        acc = self.accounts[did]
        pds = self.pds_url or self.url
        return {
            "accessJwt": access, "refreshJwt": refresh, "handle": acc.handle, "did": did,
            "didDoc": {
                "@context": ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1"],
                "id": did, "alsoKnownAs": [f"at://{acc.handle}"],
                "verificationMethod": [{"id": f"{did}#atproto", "type": "Multikey", "controller": did,
                                        "publicKeyMultibase": "zQ3shXjHeiBuRCKmM36cuYnm7YEMzhGnCmCyW92sRJ9pribSF"}],
                "service": [{"id": "#atproto_pds", "type": "AtprotoPersonalDataServer",
                             "serviceEndpoint": pds}],
            },
            "email": f"{acc.handle}@mail.test", "emailConfirmed": True, "active": True,
        }

    def _create_session(self, req: Request) -> Response:
        if req.method != "POST":
            return xrpc_error(400, "InvalidRequest", "Incorrect HTTP method")
        try:
            body = req.json()
            ident, password = body["identifier"], body["password"]
        except (ValueError, KeyError, TypeError):
            return xrpc_error(400, "InvalidRequest", "Input must have the property \"identifier\"")
        acc = next((a for a in self.accounts.values()
                    if ident.lower() in (a.handle.lower(), a.did, f"{a.handle}@mail.test".lower())), None)
        if acc is None or not acc.password or acc.password != password:
            return xrpc_error(401, "AuthenticationRequired", "Invalid identifier or password")
        now = time.time()
        with self.lock:
            recent = [t for t in self.logins.get(acc.did, []) if t > now - 300] + [now]
            self.logins[acc.did] = recent
        if len(recent) > 30:  # Bluesky: 30 per 5 minutes per account
            return rate_limited(300, limit=30)
        return Response.json(self._issue(acc.did))

    def _refresh_session(self, req: Request) -> Response:
        token = _bearer(req)
        with self.lock:
            entry = self.refresh.pop(token, None)  # a refresh token works once
        if entry is None:
            return xrpc_error(400, "ExpiredToken", "Token has been revoked")
        did, expires = entry
        if expires < time.time():
            return xrpc_error(400, "ExpiredToken", "Token has expired")
        data = self._issue(did)
        data.pop("email", None)
        return Response.json(data)

    def _viewer(self, req: Request) -> tuple[str | None, Response | None]:
        token = _bearer(req)
        if not token:
            return None, xrpc_error(401, "AuthMissing", "Authentication Required")
        with self.lock:
            entry = self.access.get(token)
        if entry is None:
            return None, xrpc_error(401, "InvalidToken", "Token could not be verified")
        if entry[1] < time.time():
            return None, xrpc_error(400, "ExpiredToken", "Token has expired")
        return entry[0], None

    def _get_session(self, req: Request) -> Response:
        did, error = self._viewer(req)
        if error:
            return error
        acc = self.accounts[did]
        return Response.json({"handle": acc.handle, "did": did, "active": True})

    # feeds -------------------------------------------------------------------------------
    def _search_posts(self, req: Request) -> Response:
        if self.public_search and not _bearer(req):  # a public AppView: no login, but no paging either
            if req.arg("cursor"):
                return xrpc_error(400, "InvalidRequest", "Unauthenticated requests may not use cursor")
        else:
            _, error = self._viewer(req)
            if error:
                return error
        if not self.search_enabled:
            return xrpc_error(403, "Forbidden", "Search is not available for this account")
        q = (req.arg("q") or "").strip()
        if not q:
            return xrpc_error(400, "InvalidRequest", "Error: Params must have the property \"q\"")
        try:
            limit = int(req.arg("limit", "25"))
            offset = int(req.arg("cursor", "0") or 0)
            since = parse(req.arg("since")) if req.arg("since") else None
            until = parse(req.arg("until")) if req.arg("until") else None
        except ValueError as exc:
            return xrpc_error(400, "InvalidRequest", f"Error: bad parameter: {exc}")
        if not 1 <= limit <= 100:
            return xrpc_error(400, "InvalidRequest", "Error: limit can not be greater than 100")
        hits = [v for v in self.posts.values() if _fuzzy_match(q, v)]
        # A broken post (planted by a test) has no sort time: it shows up on every first page.
        if since:
            hits = [v for v in hits if _sort_at(v) is None or _sort_at(v) >= since]
        if until:
            hits = [v for v in hits if _sort_at(v) is None or _sort_at(v) < until]
        far = datetime.max.replace(tzinfo=timezone.utc)
        hits.sort(key=lambda v: (_sort_at(v) or far, str(v.get("uri"))), reverse=True)
        page = hits[offset:offset + limit]
        out: dict[str, Any] = {"posts": page, "hitsTotal": len(hits)}
        if offset + limit < len(hits):
            out["cursor"] = str(offset + limit)
        return Response.json(out)

    def _get_posts(self, req: Request) -> Response:
        if _bearer(req):  # the public AppView answers without a login too
            _, error = self._viewer(req)
            if error:
                return error
        uris = req.query.get("uris", [])
        if len(uris) > 25:
            return xrpc_error(400, "InvalidRequest", "Error: uris must not have more than 25 elements")
        return Response.json({"posts": [self.posts[u] for u in uris if u in self.posts]})

    def _get_profiles(self, req: Request) -> Response:
        """app.bsky.actor.getProfiles: public; unknown or deactivated actors are left out."""
        actors = req.query.get("actors", [])
        if not actors:
            return xrpc_error(400, "InvalidRequest", "Error: Params must have the property \"actors\"")
        if len(actors) > 25:
            return xrpc_error(400, "InvalidRequest", "Error: actors must not have more than 25 elements")
        by_handle = {a.handle: a for a in self.accounts.values()}
        found = [self.accounts.get(a) or by_handle.get(a) for a in actors]
        return Response.json({"profiles": [dict(a.view(), followersCount=0, postsCount=1)
                                           for a in found if a is not None and a.active]})


    def _get_post_thread(self, req: Request) -> Response:
        _, error = self._viewer(req)
        if error:
            return error
        uri = req.arg("uri") or ""
        try:
            depth = int(req.arg("depth", "6"))
        except ValueError:
            return xrpc_error(400, "InvalidRequest", "Error: depth must be an integer")
        if not 0 <= depth <= 1000:
            return xrpc_error(400, "InvalidRequest", "Error: depth must be between 0 and 1000")
        root = self.posts.get(uri)
        if root is None:
            return xrpc_error(400, "NotFound", f"Post not found: {uri}")
        children: dict[str, list[dict[str, Any]]] = {}
        for view in [*self.posts.values(), *self.gone.values()]:
            parent = view["record"].get("reply", {}).get("parent", {}).get("uri")
            if parent:
                children.setdefault(parent, []).append(view)

        def node(view: dict[str, Any], level: int) -> dict[str, Any] | None:
            below = sorted(children.get(view["uri"], []), key=lambda v: v["record"]["createdAt"])
            replies = [n for n in (node(c, level + 1) for c in below) if n] if level < depth else []
            if view["uri"] in self.gone:
                if not replies:
                    return None  # a deleted leaf just disappears
                return {"$type": "app.bsky.feed.defs#notFoundPost", "uri": view["uri"], "notFound": True}
            if view["author"]["did"] in self.blocked:
                return {"$type": "app.bsky.feed.defs#blockedPost", "uri": view["uri"], "blocked": True,
                        "author": {"did": view["author"]["did"],
                                   "viewer": {"blocking": f"at://viewer/app.bsky.graph.block/{fake_cid(view['uri'])[:13]}"}}}
            return {"$type": "app.bsky.feed.defs#threadViewPost", "post": view, "replies": replies}

        return Response.json({"thread": node(root, 0)})


def _sort_at(view: dict[str, Any]) -> datetime | None:
    """sortAt = min(createdAt, indexedAt), as the AppView sorts search results."""
    try:
        return min(parse(view["record"]["createdAt"]), parse(view["indexedAt"]))
    except (KeyError, TypeError, ValueError):
        return None


def _fuzzy_match(q: str, view: dict[str, Any]) -> bool:
    """Like a full-text index: the term anywhere in the text or tags, any case, as a prefix too."""
    term = q.lstrip("#").lower()
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    words = str(record.get("text", "")).lower()
    tags = " ".join(map(str, record.get("tags", []))).lower()
    return term in words or term in tags


def _bearer(req: Request) -> str:
    value = req.headers.get("authorization", "")
    return value[7:].strip() if value.lower().startswith("bearer ") else ""
