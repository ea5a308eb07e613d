"""A Mastodon account export's `outbox.json`: an ActivityStreams OrderedCollection.

Each `orderedItems` entry is an activity. A `Create` wraps the account's own `Note`: that
is a post. An `Announce` is a boost: in an export its `object` is only the boosted post's
URI, so it is left out and counted. Visibility follows the addressing: public when
`as:Public` is in `to`, unlisted when only in `cc`, followers-only or direct otherwise, and
only public posts are kept. The account (name, bio, `indexable`, `discoverable`) comes from
`actor.json` beside the outbox when it is there, and the same consent rules as the Mastodon
collector apply (its code does the mapping: a Note is read as the Status it was). Media in
an export are files inside the archive, not on the web: only absolute http(s) media URLs
are kept. The file is read item by item (ijson), however long the account's history.
"""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Iterator
from urllib.parse import urlsplit

from backchannel.collectors.mastodon.normalize import Malformed, normalize, skip_reason

from backchannel.errors import InputError
from backchannel.sanitize import safe_url
from backchannel.importers.item import Item
from backchannel.importers.containers import Sibling, folder_sibling
from backchannel.importers.jsonarray import items

PUBLIC = {"https://www.w3.org/ns/activitystreams#Public", "as:Public", "Public"}
_KINDS = {"image": "image", "video": "video", "audio": "audio"}


def read(stream: BinaryIO, name: str, sibling: Sibling | None = None) -> Iterator[Item]:
    actor = _actor(sibling or folder_sibling(name), name)
    for index, activity, problem in items(stream, "orderedItems.item"):
        if problem:
            yield Item(index, problem=problem)
        elif not isinstance(activity, dict):
            yield Item(index, problem="an item must be an activity object")
        elif activity.get("type") == "Announce":
            yield Item(index, skip="boost (the export has only the boosted post's address)")
        elif activity.get("type") != "Create":
            yield Item(index, skip=f"{str(activity.get('type'))[:30]} activity (not a post)")
        else:
            yield _create(index, activity, actor)


def _create(index: int, activity: dict, actor: dict | None) -> Item:
    note = activity.get("object")
    if not isinstance(note, dict) or note.get("type") not in ("Note", "Article", "Question", "Page"):
        return Item(index, skip="Create of something that is not a post")
    try:
        status = to_status(note, activity, actor)
        skip = skip_reason(status)
        if skip:
            return Item(index, skip=skip)
        post = normalize(status, status["_server"], urlsplit(status["_server"]).netloc)
    except Malformed as exc:
        return Item(index, problem=f"{str(note.get('id'))[:100]}: {exc}")
    post.reply_to = safe_url(note.get("inReplyTo")) if isinstance(note.get("inReplyTo"), str) else None
    return Item(index, post=post.to_dict(derived=False), raw=activity, uri=post.uri)


def to_status(note: dict, activity: dict, actor: dict | None) -> dict:
    """The Mastodon API Status a Note stands for (the fields the collector's mapping reads)."""
    actor_id = note.get("attributedTo") or activity.get("actor")
    if not isinstance(actor_id, str) or not safe_url(actor_id):
        raise Malformed("field 'attributedTo' is missing")
    parts = urlsplit(actor_id)
    server = f"{parts.scheme}://{parts.netloc}"
    account = _account(actor if actor and actor.get("id") == actor_id else None, actor_id)
    content = note.get("content")
    content_map = note.get("contentMap") if isinstance(note.get("contentMap"), dict) else {}
    if not isinstance(content, str) and content_map:
        content = next(iter(content_map.values()))
    return {
        "id": note.get("id"),
        "uri": note.get("id"),
        "url": note.get("url") if isinstance(note.get("url"), str) else note.get("id"),
        "created_at": note.get("published") or activity.get("published"),
        "edited_at": note.get("updated"),
        "content": content,
        "visibility": _visibility(note, activity),
        "account": account,
        "spoiler_text": note.get("summary") or "",
        "sensitive": note.get("sensitive") is True,
        "language": next(iter(content_map), None),
        "tags": [{"name": str(t.get("name", "")).lstrip("#"), "url": t.get("href")}
                 for t in _list(note.get("tag")) if isinstance(t, dict) and t.get("type") == "Hashtag"],
        "mentions": [_mention(t) for t in _list(note.get("tag")) if isinstance(t, dict) and t.get("type") == "Mention"],
        "media_attachments": [_attachment(a) for a in _list(note.get("attachment")) if isinstance(a, dict)],
        "favourites_count": _total(note.get("likes")),
        "reblogs_count": _total(note.get("shares")),
        "replies_count": _total(note.get("replies")),
        "_server": server,
    }


def _visibility(note: dict, activity: dict) -> str:
    to = set(_list(note.get("to") or activity.get("to")))
    cc = set(_list(note.get("cc") or activity.get("cc")))
    if to & PUBLIC:
        return "public"
    if cc & PUBLIC:
        return "unlisted"
    return "private"


def _account(actor: dict | None, actor_id: str) -> dict:
    parts = urlsplit(actor_id)
    if not actor:  # no actor.json: the handle from the actor's address (…/users/NAME)
        return {"acct": f"{actor_id.rstrip('/').rsplit('/', 1)[-1]}@{parts.netloc}", "url": actor_id}
    return {
        "id": actor_id,
        "acct": f"{actor.get('preferredUsername')}@{parts.netloc}",
        "url": actor.get("url") if isinstance(actor.get("url"), str) else actor_id,
        "display_name": actor.get("name") or "",
        "note": actor.get("summary") or "",
        "fields": [{"name": a.get("name"), "value": a.get("value")} for a in _list(actor.get("attachment"))
                   if isinstance(a, dict) and a.get("type") == "PropertyValue"],
        "indexable": actor.get("indexable"),
        "discoverable": actor.get("discoverable"),
        "noindex": actor.get("noindex"),
    }


def _actor(sibling: Sibling | None, name: str) -> dict | None:
    """actor.json beside the outbox (small: the account's profile), or None."""
    raw = sibling("actor.json") if sibling else None
    if raw is None:
        return None
    try:
        data = json.loads(raw)
    except ValueError:
        raise InputError(f"{name}: actor.json beside it is not valid JSON") from None
    return data if isinstance(data, dict) else None


def _mention(tag: dict) -> dict:
    name = str(tag.get("name") or "").lstrip("@")
    return {"username": name.split("@")[0], "acct": name, "url": tag.get("href")}


def _attachment(a: dict) -> dict:
    media_type = str(a.get("mediaType") or "")
    return {"type": _KINDS.get(media_type.split("/")[0], "unknown"), "url": a.get("url"),
            "description": a.get("name") or ""}


def _total(collection: Any) -> int:
    total = collection.get("totalItems") if isinstance(collection, dict) else None
    return total if isinstance(total, int) and not isinstance(total, bool) and total >= 0 else 0


def _list(value: Any) -> list:
    if isinstance(value, list):
        return value
    return [value] if value is not None else []
