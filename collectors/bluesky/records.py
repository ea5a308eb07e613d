"""A post record as Jetstream sends it → the PostView shape `normalize` reads.

Jetstream carries the record the author wrote: its embeds point at blobs by CID, not at
URLs, and there are no counts, no moderation labels and no author profile. `post_view`
builds the PostView an AppView would answer with, from the record, the author's profile
(`getProfiles`) and the time Jetstream saw the post, so one `normalize` serves search,
Jetstream and import alike:

- images → Bluesky's CDN (`cdn.bsky.app/img/feed_fullsize|feed_thumbnail/plain/DID/CID@jpeg`),
  video → `video.bsky.app/watch/DID/CID/playlist.m3u8`, external cards as they are;
- a quoted post is not shown until the post is refreshed from the AppView (`getPosts`):
  only the AppView knows whether its author may be shown;
- the record's self-labels become the view's labels, as the AppView does.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any
from urllib.parse import quote

from backchannel.collectors.bluesky.appview import Profile

CDN = "https://cdn.bsky.app/img"
VIDEO = "https://video.bsky.app/watch"
_CID = re.compile(r"^[A-Za-z0-9]{8,128}$")


def iso_from_us(time_us: int) -> str:
    """Jetstream's microsecond clock as the ISO 8601 an AppView writes (`indexedAt`)."""
    moment = datetime.fromtimestamp(time_us / 1_000_000, tz=timezone.utc)
    return moment.isoformat(timespec="milliseconds").replace("+00:00", "Z")


def post_uri(did: str, rkey: str) -> str:
    return f"at://{did}/app.bsky.feed.post/{rkey}"


def post_view(did: str, rkey: str, record: dict[str, Any], cid: str | None, time_us: int,
              profile: Profile) -> dict[str, Any]:
    """The PostView for a record written by `profile`'s account, seen at `time_us`."""
    uri = post_uri(did, rkey)
    view: dict[str, Any] = {
        "uri": uri,
        "cid": cid or "",
        "author": profile.author_view(),
        "record": record,
        "indexedAt": iso_from_us(time_us),
        "labels": self_labels(did, uri, record),
    }
    embed = embed_view(did, record.get("embed"))
    if embed:
        view["embed"] = embed
    return view


def self_labels(did: str, uri: str, record: dict[str, Any]) -> list[dict[str, Any]]:
    labels = record.get("labels")
    values = labels.get("values") if isinstance(labels, dict) else None
    out = []
    for value in values if isinstance(values, list) else []:
        if isinstance(value, dict) and isinstance(value.get("val"), str):
            out.append({"src": did, "uri": uri, "val": value["val"]})
    return out


def embed_view(did: str, embed: Any) -> dict[str, Any] | None:
    """The `#view` of a record's embed, as far as it can be built without the AppView."""
    if not isinstance(embed, dict):
        return None
    kind = embed.get("$type")
    if kind == "app.bsky.embed.images":
        images = []
        for image in embed.get("images") if isinstance(embed.get("images"), list) else []:
            cid = _blob_cid(image.get("image")) if isinstance(image, dict) else None
            if cid:
                images.append({"thumb": _cdn("feed_thumbnail", did, cid), "fullsize": _cdn("feed_fullsize", did, cid),
                               "alt": image.get("alt") if isinstance(image.get("alt"), str) else ""})
        return {"$type": "app.bsky.embed.images#view", "images": images}
    if kind == "app.bsky.embed.video":
        cid = _blob_cid(embed.get("video"))
        if not cid:
            return None
        base = f"{VIDEO}/{quote(did, safe=':')}/{cid}"
        return {"$type": "app.bsky.embed.video#view", "cid": cid, "playlist": f"{base}/playlist.m3u8",
                "thumbnail": f"{base}/thumbnail.jpg",
                "alt": embed.get("alt") if isinstance(embed.get("alt"), str) else ""}
    if kind == "app.bsky.embed.external":
        ext = embed.get("external")
        if not isinstance(ext, dict):
            return None
        return {"$type": "app.bsky.embed.external#view",
                "external": {k: ext.get(k) for k in ("uri", "title", "description")}}
    if kind == "app.bsky.embed.recordWithMedia":
        media = embed_view(did, embed.get("media"))
        return {"$type": "app.bsky.embed.recordWithMedia#view", "media": media, "record": {}} if media else None
    return None  # a quote (app.bsky.embed.record) waits for the AppView; unknown kinds show nothing


def _blob_cid(blob: Any) -> str | None:
    """The CID of a blob ref: `{"ref": {"$link": CID}}`, or the legacy `{"cid": CID}`."""
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    cid = ref.get("$link") if isinstance(ref, dict) else blob.get("cid")
    return cid if isinstance(cid, str) and _CID.match(cid) else None


def _cdn(size: str, did: str, cid: str) -> str:
    return f"{CDN}/{size}/plain/{quote(did, safe=':')}/{cid}@jpeg"
