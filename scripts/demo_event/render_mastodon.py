"""Posts → Mastodon Status JSON, as each of the two demo servers' API would show them.

A status has one `uri` everywhere (its home server's), but every server that knows it gives
it its own snowflake `id`, its own account id, and writes remote accounts as `user@domain`.
Boosts are wrapper statuses whose `reblog` is the original (as seen on that server).
"""

from __future__ import annotations

import hashlib
import html
import re
from datetime import timedelta

from common import Item, iso_ms, person, rng

URL = re.compile(r"https?://[^\s<>\"]+[^\s<>\".,;:!?)»]")
TOKEN = re.compile(r"(https?://[^\s<>\"]+[^\s<>\".,;:!?)»]|#\w+|@\w+)")
BLURHASH = "UFH2yDt7~qRj%MRjRjof9FRjRjWB"


def h(*parts: object) -> int:
    return int.from_bytes(hashlib.blake2b("|".join(map(str, parts)).encode(), digest_size=8).digest(), "big")


def snowflake(when, *seed: object) -> str:
    """Mastodon's id: milliseconds since the epoch << 16, plus a per-server sequence."""
    return str((int(when.timestamp() * 1000) << 16) | (h(*seed) & 0xFFFF))


def split_handle(handle: str) -> tuple[str, str]:
    user, _, domain = handle.partition("@")
    return user, domain


def account(key: str, server: str) -> dict:
    """The Account entity for `key` as `server` shows it (acct is local or user@domain)."""
    p = person(key)
    user, home = split_handle(p["m"])
    local = home == server
    avatar = f"https://{server}/system/{'accounts' if local else 'cache/accounts'}/avatars/" \
             f"{h(server, key) % 10**6:06d}/original/{h(key) % 16**12:012x}.png"
    note = p.get("note", "")
    fields = [{"name": "Pronouns", "value": p["pronouns"], "verified_at": None}] if p.get("pronouns") else []
    consent = p.get("consent")
    data = {
        "id": str(h(server, "account", key) % 10**17 + 10**17),
        "username": user,
        "acct": user if local else f"{user}@{home}",
        "display_name": p["name"],
        "locked": False,
        "bot": key in ("spam",),
        "discoverable": consent in ("in", "listed") if consent != "absent" else None,
        "indexable": consent == "in",
        "group": False,
        "created_at": "2022-11-0%dT00:00:00.000Z" % (1 + h(key) % 9),
        "note": render_text(note, home, {}) if note else "",
        "url": f"https://{home}/@{user}",
        "uri": f"https://{home}/users/{user}",
        "avatar": avatar,
        "avatar_static": avatar,
        "header": f"https://{server}/headers/original/missing.png",
        "header_static": f"https://{server}/headers/original/missing.png",
        "followers_count": 40 + h(key, "f") % 900,
        "following_count": 30 + h(key, "g") % 400,
        "statuses_count": 200 + h(key, "s") % 5000,
        "last_status_at": "2026-09-11",
        "hide_collections": False,
        "noindex": bool(p.get("noindex")),
        "emojis": [],
        "roles": [],
        "fields": fields,
    }
    if consent == "absent":  # servers that don't know the flags leave them out
        del data["indexable"], data["noindex"]
    return data


def mention_html(key: str) -> str:
    user, home = split_handle(person(key)["m"])
    return (f'<span class="h-card" translate="no"><a href="https://{home}/@{user}" class="u-url mention">'
            f'@<span>{html.escape(user)}</span></a></span>')


def link_html(url: str) -> str:
    scheme, _, rest = url.partition("://")
    shown, hidden = (rest[:30], rest[30:]) if len(rest) > 30 else (rest, "")
    ellipsis = " ellipsis" if hidden else ""
    return (f'<a href="{html.escape(url)}" target="_blank" rel="nofollow noopener" translate="no">'
            f'<span class="invisible">{scheme}://</span><span class="{ellipsis.strip()}">{html.escape(shown)}</span>'
            f'<span class="invisible">{html.escape(hidden)}</span></a>')


def render_text(text: str, home: str, mentions: dict[str, str]) -> str:
    """Plain text → content HTML the way Mastodon renders it (hashtags, mentions, links, <br>)."""
    paragraphs = []
    for para in text.split("\n\n"):
        lines = []
        for line in para.split("\n"):
            out = []
            for part in TOKEN.split(line):
                if part.startswith("#") and len(part) > 1:
                    tag = part[1:]
                    out.append(f'<a href="https://{home}/tags/{tag.lower()}" class="mention hashtag" '
                               f'rel="tag">#<span>{html.escape(tag)}</span></a>')
                elif part.startswith("@") and part[1:] in mentions:
                    out.append(mention_html(mentions[part[1:]]))
                elif URL.fullmatch(part or ""):
                    out.append(link_html(part))
                else:
                    out.append(html.escape(part, quote=False))
            lines.append("".join(out))
        paragraphs.append("<br />".join(lines))
    return "".join(f"<p>{p}</p>" for p in paragraphs)


def mastodon_text(item: Item) -> tuple[str, dict[str, str]]:
    """The text with @key mentions written as Mastodon shows them (@user), and who is mentioned."""
    mentioned: dict[str, str] = {}

    def sub(m: re.Match) -> str:
        key = m.group(1)
        p = person(key, missing_ok=True)
        if p is None:
            return m.group(0)
        if not p.get("m"):
            return p["name"]
        user = split_handle(p["m"])[0]
        mentioned[user] = key
        return "@" + user

    return re.sub(r"@(\w+)", sub, item.text), mentioned


def origin_id(item: Item) -> str:
    return snowflake(item.when["m"], "origin", item.n)


def status_uri(item: Item) -> str:
    """The status's ActivityPub id: its home server's, the same on every server."""
    user, home = split_handle(person(item.author)["m"])
    return f"https://{home}/users/{user}/statuses/{origin_id(item)}"


def status(item: Item, server: str, ids: dict[int, dict[str, str]], replies: dict[int, int]) -> dict:
    """The Status entity of `item` on `server`."""
    p = person(item.author)
    user, home = split_handle(p["m"])
    oid = origin_id(item)
    sid = oid if home == server else snowflake(item.when["m"], server, item.n)
    ids.setdefault(item.n, {})[server] = sid
    text, mentioned = mastodon_text(item)
    content = item.text if "raw" in item.opts else render_text(text, home, mentioned)
    tags = sorted({t.lower() for t in re.findall(r"#<span>(\w+)</span>", content)}, key=content.lower().find)
    r = rng(item, "metrics")
    parent = item.parent
    reply_id = ids.get(parent.n, {}).get(server) if parent else None
    out = {
        "id": sid,
        "created_at": iso_ms(item.when["m"]),
        "in_reply_to_id": reply_id,
        "in_reply_to_account_id": account(parent.author, server)["id"] if reply_id else None,
        "sensitive": "sensitive" in item.opts or bool(item.opts.get("cw")),
        "spoiler_text": item.opts.get("cw", ""),
        "visibility": "unlisted" if "unlisted" in item.opts else "public",
        "language": item.lang,
        "uri": f"https://{home}/users/{user}/statuses/{oid}",
        "url": f"https://{home}/@{user}/{oid}",
        "replies_count": replies.get(item.n, 0),
        "reblogs_count": len(item.boosters) + r.randrange(0, 4),
        "favourites_count": item.likes(r),
        "quotes_count": 0,
        "edited_at": iso_ms(item.when["m"] + timedelta(minutes=4)) if "edited" in item.opts else None,
        "content": content,
        "reblog": None,
        "application": {"name": "Web", "website": None} if home == server else None,
        "account": account(item.author, server),
        "media_attachments": [media(item, home, server, alt) for alt in item.images],
        "mentions": [mention(k, server) for k in mentioned.values()],
        "tags": [{"name": t, "url": f"https://{server}/tags/{t}"} for t in tags],
        "emojis": [],
        "card": card(item),
        "poll": None,
    }
    return out


def mention(key: str, server: str) -> dict:
    acc = account(key, server)
    return {"id": acc["id"], "username": acc["username"], "url": acc["url"], "acct": acc["acct"]}


def media(item: Item, home: str, server: str, alt: str) -> dict:
    mid = snowflake(item.when["m"], "media", item.n, alt)
    path = f"media_attachments/files/{mid[:3]}/{mid[3:6]}/{mid[6:9]}"
    origin = f"https://files.{home}/{path}/original/{h(alt) % 16**16:016x}.jpg"
    local = origin if home == server else f"https://files.{server}/cache/{path}/original/{h(alt) % 16**16:016x}.jpg"
    return {
        "id": mid, "type": "image", "url": local,
        "preview_url": local.replace("/original/", "/small/"),
        "remote_url": None if home == server else origin,
        "preview_remote_url": None, "text_url": None,
        "meta": {"original": {"width": 1600, "height": 1200, "size": "1600x1200", "aspect": 1.3333333333333333},
                 "small": {"width": 640, "height": 480, "size": "640x480", "aspect": 1.3333333333333333}},
        "description": alt, "blurhash": BLURHASH,
    }


def card(item: Item) -> dict | None:
    url = item.opts.get("card")
    if not url:
        return None
    host = url.split("/")[2]
    return {"url": url, "title": item.opts.get("title", host), "description": item.opts.get("desc", ""),
            "language": item.lang, "type": "link", "author_name": "", "author_url": "",
            "provider_name": host, "provider_url": "", "html": "", "width": 400, "height": 210,
            "image": None, "image_description": "", "embed_url": "", "blurhash": None,
            "published_at": None, "authors": []}


def boost(original: dict, item: Item, booster: str, server: str) -> dict:
    """A boost of `original` (already as `server` shows it) by `booster`."""
    user, home = split_handle(person(booster)["m"])
    r = rng(item, "boost", booster)
    when = item.when["m"] + timedelta(minutes=r.randrange(2, 90), seconds=r.randrange(60))
    origin_bid = snowflake(when, "boost-origin", item.n, booster)
    bid = origin_bid if home == server else snowflake(when, server, "boost", item.n, booster)
    return {
        "id": bid, "created_at": iso_ms(when), "in_reply_to_id": None, "in_reply_to_account_id": None,
        "sensitive": False, "spoiler_text": "", "visibility": "public", "language": None,
        "uri": f"https://{home}/users/{user}/statuses/{origin_bid}/activity", "url": None,
        "replies_count": 0, "reblogs_count": 0, "favourites_count": 0, "quotes_count": 0, "edited_at": None,
        "content": "", "reblog": original, "application": None, "account": account(booster, server),
        "media_attachments": [], "mentions": [], "tags": [], "emojis": [], "card": None, "poll": None,
    }


def render_server(items: list[Item], server: str) -> list[dict]:
    """Every status `server` shows under the event's tags (originals and boosts), newest first."""
    ids: dict[int, dict[str, str]] = {}
    replies: dict[int, int] = {}
    for item in items:
        if item.parent is not None and "m" in item.nets:
            replies[item.parent.n] = replies.get(item.parent.n, 0) + 1
    out = []
    for item in sorted(items, key=lambda i: i.when["m"]):
        if server not in item.servers:
            continue
        st = status(item, server, ids, replies)
        out.append(st)
        for booster in item.boosters:
            if person(booster).get("m"):
                out.append(boost(st, item, booster, server))
    out.sort(key=lambda s: int(s["id"]), reverse=True)
    return out
