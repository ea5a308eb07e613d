"""Posts → Bluesky PostView JSON (app.bsky.feed.defs#postView), as searchPosts returns them.

Rich text is facets over **UTF-8 byte** offsets (computed here from the final text, so
accents, emoji and Japanese shift them correctly). Links show shortened, as the Bluesky app
writes them, with the full URL in the facet. Embeds: images with alt text, an external
link card, a quoted post.
"""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import datetime, timedelta

from common import Item, iso_ms, person, rng

B32 = "234567abcdefghijklmnopqrstuvwxyz"  # base32-sortable, the TID alphabet
TOKEN = re.compile(r"(https?://[^\s<>\"]+[^\s<>\".,;:!?)»]|#\w+|@[\w.-]+\w)")


def did(key: str) -> str:
    """A did:plc: 24 base32 characters, derived from the person (stable across runs)."""
    digest = hashlib.sha256(("plc:" + key).encode()).digest()
    return "did:plc:" + base64.b32encode(digest).decode().lower()[:24]


def tid(when: datetime, clock: int) -> str:
    """A record key: microseconds since the epoch and a clock id, in base32-sortable."""
    value = (int(when.timestamp() * 1_000_000) << 10) | (clock & 0x3FF)
    out = ""
    for _ in range(13):
        out = B32[value & 31] + out
        value >>= 5
    return out


def cid(seed: str) -> str:
    digest = hashlib.sha256(seed.encode()).digest()
    return "bafyrei" + base64.b32encode(digest).decode().lower().rstrip("=")[:52]


def author_view(key: str) -> dict:
    p = person(key)
    d = did(key)
    labels = [{"src": d, "uri": f"at://{d}/app.bsky.actor.profile/self", "cid": cid(d + v), "val": v,
               "cts": "2025-03-01T10:00:00.000Z"} for v in p.get("labels", [])]
    return {"did": d, "handle": p["b"], "displayName": p["name"],
            "avatar": f"https://cdn.bsky.app/img/avatar/plain/{d}/{cid('avatar' + d)}@jpeg",
            "associated": {"chat": {"allowIncoming": "following"}},
            "viewer": {"muted": False, "blockedBy": False}, "labels": labels,
            "createdAt": "2023-0%d-1%dT08:00:00.000Z" % (1 + len(key) % 9, len(key) % 10)}


def shorten(url: str) -> str:
    rest = url.split("://", 1)[1]
    return rest if len(rest) <= 32 else rest[:29] + "..."


def rich_text(item: Item) -> tuple[str, list[dict]]:
    """The post text as Bluesky shows it, and its facets (UTF-8 byte offsets)."""
    out = ""
    facets = []

    def span(start: str, piece: str) -> dict:
        begin = len(start.encode("utf-8"))
        return {"byteStart": begin, "byteEnd": begin + len(piece.encode("utf-8"))}

    for part in TOKEN.split(item.text):
        if part.startswith("http"):
            shown = shorten(part)
            target = item.opts.get("href", part)
            facets.append({"$type": "app.bsky.richtext.facet", "index": span(out, shown),
                           "features": [{"$type": "app.bsky.richtext.facet#link", "uri": target}]})
            out += shown
        elif part.startswith("#") and len(part) > 1:
            facets.append({"$type": "app.bsky.richtext.facet", "index": span(out, part),
                           "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": part[1:]}]})
            out += part
        elif part.startswith("@") and person(part[1:], missing_ok=True):
            p = person(part[1:])
            if p.get("b"):
                shown = "@" + p["b"]
                facets.append({"$type": "app.bsky.richtext.facet", "index": span(out, shown),
                               "features": [{"$type": "app.bsky.richtext.facet#mention", "did": did(part[1:])}]})
                out += shown
            else:
                out += p["name"]
        else:
            out += part
    return out, facets


def embeds(item: Item, views: dict[int, dict]) -> tuple[dict, dict] | None:
    """(record embed, view embed) for the post's images, link card or quoted post."""
    d = did(item.author)
    if item.images:
        rec = {"$type": "app.bsky.embed.images", "images": []}
        view = {"$type": "app.bsky.embed.images#view", "images": []}
        for alt in item.images:
            c = cid(d + alt)
            rec["images"].append({"alt": alt, "aspectRatio": {"width": 1600, "height": 1200},
                                  "image": {"$type": "blob", "ref": {"$link": c}, "mimeType": "image/jpeg",
                                            "size": 180_000 + len(alt) * 1000}})
            view["images"].append({"thumb": f"https://cdn.bsky.app/img/feed_thumbnail/plain/{d}/{c}@jpeg",
                                   "fullsize": f"https://cdn.bsky.app/img/feed_fullsize/plain/{d}/{c}@jpeg",
                                   "alt": alt, "aspectRatio": {"width": 1600, "height": 1200}})
        return rec, view
    if item.opts.get("card"):
        ext = {"uri": item.opts["card"], "title": item.opts.get("title", ""), "description": item.opts.get("desc", "")}
        thumb = f"https://cdn.bsky.app/img/feed_thumbnail/plain/{d}/{cid(ext['uri'])}@jpeg"
        return ({"$type": "app.bsky.embed.external", "external": ext},
                {"$type": "app.bsky.embed.external#view", "external": {**ext, "thumb": thumb}})
    if item.quoted is not None:
        q = views[item.quoted.n]
        rec = {"$type": "app.bsky.embed.record", "record": {"uri": q["uri"], "cid": q["cid"]}}
        view = {"$type": "app.bsky.embed.record#view", "record": {
            "$type": "app.bsky.embed.record#viewRecord", "uri": q["uri"], "cid": q["cid"],
            "author": q["author"], "value": q["record"], "labels": [], "likeCount": q["likeCount"],
            "replyCount": q["replyCount"], "repostCount": q["repostCount"], "quoteCount": q["quoteCount"],
            "indexedAt": q["indexedAt"], "embeds": [q["embed"]] if q.get("embed") else []}}
        return rec, view
    return None


def post_view(item: Item, views: dict[int, dict], replies: dict[int, int], quotes: dict[int, int]) -> dict:
    d = did(item.author)
    when = item.when["b"]
    r = rng(item, "bsky")
    uri = f"at://{d}/app.bsky.feed.post/{tid(when, r.randrange(1024))}"
    text, facets = rich_text(item)
    if len(text) > 300:
        raise ValueError(f"Bluesky post longer than 300 characters: {item.line}")
    record = {"$type": "app.bsky.feed.post", "text": text, "createdAt": iso_ms(when), "langs": [item.lang]}
    if facets:
        record["facets"] = facets
    if item.parent is not None:
        parent = views[item.parent.n]
        root = parent["record"].get("reply", {}).get("root") or {"uri": parent["uri"], "cid": parent["cid"]}
        record["reply"] = {"root": root, "parent": {"uri": parent["uri"], "cid": parent["cid"]}}
    embed = embeds(item, views)
    if embed:
        record["embed"] = embed[0]
    view = {
        "$type": "app.bsky.feed.defs#postView", "uri": uri, "cid": cid(uri + text), "author": author_view(item.author),
        "record": record, "replyCount": replies.get(item.n, 0), "repostCount": r.randrange(0, 6),
        "likeCount": item.likes(r), "quoteCount": quotes.get(item.n, 0), "bookmarkCount": 0,
        "indexedAt": iso_ms(when + timedelta(milliseconds=r.randrange(300, 2500))),
        "viewer": {"threadMuted": False, "embeddingDisabled": False}, "labels": [],
    }
    if embed:
        view["embed"] = embed[1]
    return view


def render(items: list[Item]) -> tuple[list[dict], list[dict], dict[int, str]]:
    """(accounts, post views newest first, uri by item number) for every Bluesky post."""
    mine = sorted((i for i in items if "b" in i.nets), key=lambda i: i.when["b"])
    replies: dict[int, int] = {}
    quotes: dict[int, int] = {}
    for item in mine:
        if item.parent is not None:
            replies[item.parent.n] = replies.get(item.parent.n, 0) + 1
        if item.quoted is not None:
            quotes[item.quoted.n] = quotes.get(item.quoted.n, 0) + 1
    views: dict[int, dict] = {}
    for item in mine:
        views[item.n] = post_view(item, views, replies, quotes)
    keys = sorted({i.author for i in mine})
    accounts = [{"did": did(k), "handle": person(k)["b"], "displayName": person(k)["name"]} for k in keys]
    posts = sorted(views.values(), key=lambda v: v["indexedAt"], reverse=True)
    return accounts, posts, {n: v["uri"] for n, v in views.items()}
