"""A Mastodon server on 127.0.0.1 for tests: the parts of the API the collector uses.

It answers like Mastodon 4.3 does: tag timelines newest first with `limit` (≤ 40), `max_id`,
`min_id`, `since_id` and `any[]`, a `Link` header with rel="next"/"prev" (none on an empty
page), `X-RateLimit-*` headers, `/api/v1/statuses/:id`, `/api/v1/statuses/:id/context` (a thread, as a logged-out reader
sees it: public and unlisted replies, depth first, at most 60 descendants 20 levels deep),
`/api/v1/instance` and
`/api/v2/instance`, and Status JSON with the fields Mastodon sends. Ids are snowflakes in
strings, local to each server; a status seen on several servers keeps one `uri`.

    with FakeMastodon() as a, FakeMastodon() as b:
        alice = Person("alice", a)
        status = a.publish(alice, "Great talk #pycon", tags=["pycon"])
        b.receive(status, origin=a)          # federated: its own id on b, acct alice@a...
        a.fail("/api/v1/timelines/", error(503), error(503))   # scripted faults, in order

Knobs for servers that behave differently: `supports_any=False` (ignores any[] the way some
API-compatible servers do), `unknown_tag="empty"` (older servers answer [] instead of 404),
`public_only=False` (lists non-public statuses too), `token="..."` (timelines need a token),
`account_domain="example.com"` (its accounts are `@user@example.com` while the API and every
URL are on 127.0.0.1, as with Mastodon's LOCAL_DOMAIN ≠ WEB_DOMAIN; the demo is alike),
`has_instance_v2=False` (no `/api/v2/instance`, as before Mastodon 4.0), `delay=0.3` (every
answer takes that long: a healthy but distant server).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any, Callable
from urllib.parse import unquote

from backchannel.demo.loopback import Loopback, Request, Response


def iso(dt: datetime) -> str:
    """Mastodon's timestamp format: UTC, milliseconds, Z."""
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"


def now() -> datetime:
    return datetime.now(timezone.utc)


@dataclass
class Person:
    """An account on its home server, with the profile fields consent depends on."""

    username: str
    home: "FakeMastodon"
    display_name: str = ""
    note: str = "<p>Attending conferences.</p>"  # bio HTML
    fields: list[dict] = field(default_factory=list)
    noindex: bool | None = False
    indexable: bool | None = False  # Mastodon's default: not opted in to full-text search
    discoverable: bool | None = False  # Mastodon's default: not in the profile directory
    bot: bool = False


def hashtag_html(server: "FakeMastodon", tag: str) -> str:
    return f'<a href="{server.url}/tags/{tag}" class="mention hashtag" rel="tag">#<span>{tag}</span></a>'


def mention_html(person: Person) -> str:
    return (f'<span class="h-card" translate="no"><a href="{person.home.url}/@{person.username}" '
            f'class="u-url mention">@<span>{person.username}</span></a></span>')


def link_html(url: str) -> str:
    scheme, _, rest = url.partition("://")
    return (f'<a href="{url}" target="_blank" rel="nofollow noopener noreferrer" translate="no">'
            f'<span class="invisible">{scheme}://</span><span class="">{rest}</span>'
            f'<span class="invisible"></span></a>')


def render(server: "FakeMastodon", text: str, mentions: list[Person] = ()) -> str:
    """Text → content HTML the way Mastodon renders it (hashtags, mentions, links)."""
    by_name = {p.username: p for p in mentions}

    def word(w: str) -> str:
        if w.startswith("#") and len(w) > 1:
            return hashtag_html(server, w[1:])
        if w.startswith("@") and w[1:].split("@")[0] in by_name:
            return mention_html(by_name[w[1:].split("@")[0]])
        if re.match(r"https?://", w):
            return link_html(w)
        return w.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")

    return "<p>" + " ".join(word(w) for w in text.split(" ")) + "</p>"


class FakeMastodon:
    """One server. `statuses` holds its copies, by its own ids."""

    def __init__(self, *, supports_any: bool = True, unknown_tag: str = "404", public_only: bool = True,
                 token: str | None = None, version: str = "4.3.2", has_instance_v2: bool = True,
                 account_domain: str | None = None, delay: float = 0.0):
        self.account_domain = account_domain
        self.delay = delay
        self.supports_any = supports_any
        self.unknown_tag = unknown_tag
        self.public_only = public_only
        self.token = token
        self.version = version
        self.has_instance_v2 = has_instance_v2
        self.statuses: dict[str, dict] = {}
        self.script: list[tuple[str, Callable[[Request], bool], Any]] = []
        self.lock = threading.Lock()
        self.remaining = 300
        self._salt = random.randrange(1 << 12)
        self._seq = 0
        self.loopback = Loopback(self.app)

    # -- lifecycle ------------------------------------------------------------------------
    def __enter__(self) -> "FakeMastodon":
        self.loopback.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.loopback.stop()

    @property
    def url(self) -> str:
        return self.loopback.url

    @property
    def domain(self) -> str:
        return self.url.split("://", 1)[1]

    @property
    def handle_domain(self) -> str:
        """The domain in its accounts' handles (`/api/v2/instance` `domain`)."""
        return self.account_domain or self.domain

    @property
    def requests(self) -> list[Request]:
        return self.loopback.requests

    def timeline_requests(self) -> list[Request]:
        return [r for r in self.requests if r.path.startswith("/api/v1/timelines/")]

    # -- content --------------------------------------------------------------------------
    def new_id(self, created: datetime) -> str:
        """A Mastodon snowflake: milliseconds << 16 | a sequence (ours differ per server)."""
        with self.lock:
            self._seq += 1
            seq = (self._salt * 16 + self._seq) & 0xFFFF
        return str((int(created.timestamp() * 1000) << 16) | seq)

    def account(self, person: Person) -> dict:
        local = person.home is self
        ident = hashlib.blake2b(f"{self.domain}/{person.username}@{person.home.domain}".encode(),
                                digest_size=6).hexdigest()
        return {
            "id": str(int(ident, 16)), "username": person.username,
            "acct": person.username if local else f"{person.username}@{person.home.handle_domain}",
            "display_name": person.display_name, "locked": False, "bot": person.bot,
            "discoverable": person.discoverable, "indexable": person.indexable, "group": False,
            "created_at": "2022-11-05T00:00:00.000Z", "note": person.note,
            "url": f"{person.home.url}/@{person.username}",
            "uri": f"{person.home.url}/users/{person.username}",
            "avatar": f"{self.url}/avatars/{person.username}.png",
            "avatar_static": f"{self.url}/avatars/{person.username}.png",
            "header": f"{self.url}/headers/original/missing.png",
            "header_static": f"{self.url}/headers/original/missing.png",
            "followers_count": 120, "following_count": 80, "statuses_count": 900,
            "last_status_at": "2026-09-01", "hide_collections": False, "noindex": person.noindex,
            "emojis": [], "roles": [], "fields": person.fields,
        }

    def publish(self, person: Person, text: str = "", *, tags: list[str] = (), created_at: datetime | None = None,
                visibility: str = "public", content: str | None = None, mentions: list[Person] = (),
                **extra: Any) -> dict:
        """A new status by `person` (who lives here) as this server's API shows it."""
        created = created_at or now()
        sid = self.new_id(created)
        status = {
            "id": sid, "created_at": iso(created), "in_reply_to_id": None, "in_reply_to_account_id": None,
            "sensitive": False, "spoiler_text": "", "visibility": visibility, "language": "en",
            "uri": f"{self.url}/users/{person.username}/statuses/{sid}",
            "url": f"{self.url}/@{person.username}/{sid}",
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "quotes_count": 0,
            "edited_at": None,
            "content": content if content is not None else render(self, text, list(mentions)),
            "reblog": None, "application": {"name": "Web", "website": None},
            "account": self.account(person), "media_attachments": [],
            "mentions": [{"id": self.account(p)["id"], "username": p.username, "url": f"{p.home.url}/@{p.username}",
                          "acct": self.account(p)["acct"]} for p in mentions],
            "tags": [{"name": t, "url": f"{self.url}/tags/{t.lower()}"} for t in tags],
            "emojis": [], "card": None, "poll": None,
        }
        status.update(extra)
        return self.store(status)

    def store(self, status: dict) -> dict:
        with self.lock:
            self.statuses[status["id"]] = status
        return status

    def receive(self, status: dict, origin: "FakeMastodon", people: list[Person] = ()) -> dict:
        """A copy of `status` from `origin`, federated here: own ids, remote accts, cached media.

        The parent of a reply gets this server's id for it (its copy's, if it has one).
        """
        copy = json.loads(json.dumps(status))
        created = datetime.fromisoformat(copy["created_at"].replace("Z", "+00:00"))
        copy["id"] = self.new_id(created)
        acct = copy["account"]["acct"]
        if "@" not in acct:
            copy["account"]["acct"] = f"{acct}@{origin.handle_domain}"
        for m in copy["mentions"]:
            if "@" not in m["acct"]:
                m["acct"] = f"{m['acct']}@{origin.handle_domain}"
        if copy["in_reply_to_account_id"] == copy["account"]["id"]:
            copy["in_reply_to_account_id"] = str(int(copy["account"]["id"]) ^ 0xABCDE)
        copy["account"]["id"] = str(int(copy["account"]["id"]) ^ 0xABCDE)
        if copy["in_reply_to_id"]:
            parent = origin.statuses.get(copy["in_reply_to_id"])
            mine = [s for s in self.statuses.values() if parent and s["uri"] == parent["uri"]]
            copy["in_reply_to_id"] = mine[0]["id"] if mine else self.new_id(created - timedelta(seconds=1))
        for media in copy["media_attachments"]:
            if not media.get("remote_url"):
                name = media["url"].rsplit("/", 1)[-1]
                media.update(remote_url=media["url"], preview_remote_url=media.get("preview_url"),
                             url=f"{self.url}/system/cache/media_attachments/original/{name}",
                             preview_url=f"{self.url}/system/cache/media_attachments/small/{name}")
        copy["tags"] = [{"name": t["name"], "url": f"{self.url}/tags/{t['name'].lower()}"} for t in copy["tags"]]
        return self.store(copy)

    def boost(self, person: Person, status: dict) -> dict:
        """`person` boosts a status this server knows: a wrapper whose `reblog` is the original.

        Mastodon leaves boosts out of tag timelines; this server lists them (as some servers
        that speak the API do), so the collector must cope.
        """
        created = now()
        sid = self.new_id(created)
        return self.store({
            "id": sid, "created_at": iso(created), "in_reply_to_id": None, "in_reply_to_account_id": None,
            "sensitive": False, "spoiler_text": "", "visibility": "public", "language": None,
            "uri": f"{self.url}/users/{person.username}/statuses/{sid}/activity", "url": None,
            "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "quotes_count": 0,
            "edited_at": None, "content": "", "reblog": status, "application": None,
            "account": self.account(person), "media_attachments": [], "mentions": [], "tags": [],
            "emojis": [], "card": None, "poll": None,
        })

    def reply(self, person: Person, parent: dict, text: str = "", **kw: Any) -> dict:
        """`person` (who lives here) replies to `parent` (a status this server has); the
        parent's `replies_count` goes up, as Mastodon counts it."""
        kw.setdefault("created_at", datetime.fromisoformat(parent["created_at"].replace("Z", "+00:00"))
                      + timedelta(minutes=1))
        status = self.publish(person, text, in_reply_to_id=parent["id"],
                              in_reply_to_account_id=parent["account"]["id"], **kw)
        with self.lock:
            parent["replies_count"] += 1
        return status

    def find(self, uri: str) -> dict:
        return next(s for s in self.statuses.values() if s["uri"] == uri)

    def edit(self, uri: str, text: str) -> dict:
        status = self.find(uri)
        status["content"] = render(self, text)
        status["edited_at"] = iso(now())
        return status

    def delete(self, uri: str) -> None:
        with self.lock:
            self.statuses = {k: v for k, v in self.statuses.items() if v["uri"] != uri}

    def fail(self, path_prefix: str, *responses: Response | Callable[[], Response],
             when: Callable[[Request], bool] = lambda req: True) -> None:
        """Answer the next requests under `path_prefix` (for which `when` holds) with these, in order."""
        with self.lock:
            self.script += [(path_prefix, when, r) for r in responses]

    # -- the API --------------------------------------------------------------------------
    def app(self, req: Request) -> Response:
        with self.lock:
            self.remaining = max(0, self.remaining - 1)
            scripted = next((i for i, (p, when, _) in enumerate(self.script)
                             if req.path.startswith(p) and when(req)), None)
            response = self.script.pop(scripted)[2] if scripted is not None else None
        if callable(response):  # made when asked, e.g. a 429 whose reset is relative to now
            response = response()
        if response is None:
            response = self.route(req)
        response.delay = max(response.delay, self.delay)
        return self.with_rate_headers(response)

    def route(self, req: Request) -> Response:
        if req.path.startswith("/api/v1/timelines/tag/"):
            if self.token and req.headers.get("authorization") != f"Bearer {self.token}":
                return Response.json({"error": "This API requires an authenticated user"}, 401)
            return self.tag_timeline(req)
        match = re.fullmatch(r"/api/v1/statuses/([^/]+)/context", req.path)
        if match:
            return self.context(unquote(match.group(1)))
        match = re.fullmatch(r"/api/v1/statuses/([^/]+)", req.path)
        if match:
            status = self.statuses.get(unquote(match.group(1)))
            if status is None or (self.public_only and status["visibility"] not in ("public", "unlisted")):
                return Response.json({"error": "Record not found"}, 404)
            return Response.json(status)
        if req.path in ("/api/v2/instance", "/api/v2/instance/") and self.has_instance_v2:
            return Response.json(self.instance_v2())
        if req.path in ("/api/v1/instance", "/api/v1/instance/"):
            return Response.json({"uri": self.handle_domain, "title": "Test server", "version": self.version,
                                  "urls": {"streaming_api": self.url.replace("http", "ws")}})
        return Response.json({"error": "Record not found"}, 404)

    def context(self, sid: str) -> Response:
        """Mastodon's `context` for a logged-out reader: the reply chain up and the replies
        down (depth first, oldest first), public and unlisted only, within its limits."""
        with self.lock:
            statuses = list(self.statuses.values())
        status = self.statuses.get(sid)
        shown = ("public", "unlisted")
        if status is None or status["visibility"] not in shown:
            return Response.json({"error": "Record not found"}, 404)
        ancestors, up = [], status
        while up.get("in_reply_to_id") in self.statuses and len(ancestors) < 40:
            up = self.statuses[up["in_reply_to_id"]]
            ancestors.insert(0, up)
        children: dict[str, list[dict]] = {}
        for s in sorted(statuses, key=lambda s: int(s["id"])):
            if s.get("in_reply_to_id"):
                children.setdefault(s["in_reply_to_id"], []).append(s)
        descendants: list[dict] = []

        def walk(parent_id: str, depth: int) -> None:
            for child in children.get(parent_id, []):
                if len(descendants) >= 60 or depth > 20:
                    return
                if child["visibility"] in shown:  # a hidden reply's own replies still show
                    descendants.append(child)
                walk(child["id"], depth + 1)

        walk(sid, 1)
        return Response.json({"ancestors": [a for a in ancestors if a["visibility"] in shown],
                              "descendants": descendants})

    def instance_v2(self) -> dict:
        return {"domain": self.handle_domain, "title": "Test server", "version": self.version,
                "source_url": "https://github.com/mastodon/mastodon",
                "configuration": {"statuses": {"max_characters": 500},
                                  "timelines_access": {"hashtag_feeds": {"local": "public", "remote": "public"},
                                                       "live_feeds": {"local": "public", "remote": "public"},
                                                       "trending_link_feeds": {"local": "public", "remote": "public"}}},
                "registrations": {"enabled": False}, "api_versions": {"mastodon": 2}}

    def tag_timeline(self, req: Request) -> Response:
        tag = unquote(req.path.rsplit("/", 1)[1]).lower()
        wanted = {tag} | ({t.lower() for t in req.query.get("any[]", [])} if self.supports_any else set())
        with self.lock:
            statuses = list(self.statuses.values())
        tags_of = {s["id"]: {t["name"].lower() for t in (s.get("reblog") or s)["tags"]} for s in statuses}
        if tag not in set().union(*tags_of.values()):
            return Response.json({"error": "Record not found"}, 404) if self.unknown_tag == "404" else Response.json([])
        hits = [s for s in statuses if wanted & tags_of[s["id"]]
                and (not self.public_only or s["visibility"] == "public")]
        hits.sort(key=lambda s: int(s["id"]), reverse=True)
        limit = max(1, min(int(req.arg("limit") or 20), 40))
        if req.arg("max_id"):
            hits = [s for s in hits if int(s["id"]) < int(req.arg("max_id"))]
        if req.arg("since_id"):
            hits = [s for s in hits if int(s["id"]) > int(req.arg("since_id"))]
        if req.arg("min_id"):
            hits = [s for s in hits if int(s["id"]) > int(req.arg("min_id"))][-limit:]
        page = hits[:limit]
        headers = {}
        if page:
            base = f"{self.url}{req.path}?" + (f"limit={req.arg('limit')}&" if req.arg("limit") else "")
            headers["Link"] = (f'<{base}max_id={page[-1]["id"]}>; rel="next", '
                               f'<{base}min_id={page[0]["id"]}>; rel="prev"')
        return Response.json(page, headers=headers)

    def with_rate_headers(self, response: Response) -> Response:
        reset = now().replace(second=0, microsecond=0) + timedelta(minutes=5)
        headers = {"X-RateLimit-Limit": "300", "X-RateLimit-Remaining": str(self.remaining),
                   "X-RateLimit-Reset": iso(reset), "Vary": "Authorization, Origin",
                   "Cache-Control": "private, no-store"}
        response.headers = {**headers, **response.headers}
        return response


# -- scripted faults ------------------------------------------------------------------------

def error(status: int, message: str = "We're sorry, but something went wrong") -> Response:
    return Response.json({"error": message}, status)


def too_many(reset_in: float) -> Callable[[], Response]:
    """A 429 whose X-RateLimit-Reset lies `reset_in` seconds after it is sent."""
    return lambda: Response.json({"error": "Too many requests"}, 429, headers={
        "X-RateLimit-Limit": "300", "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": iso(now() + timedelta(seconds=reset_in))})


def slow(delay: float, body: Any = ()) -> Response:
    return Response.json(list(body), delay=delay)


def bad_json() -> Response:
    return Response(200, '[{"id": "1", "content": "<p>cut off', {"Content-Type": "application/json; charset=utf-8"})
