"""Readers for other tools' exports: each turns one file format into Post JSONL objects.

`backchannel import` hands every reader's output to the same path as our own Post JSONL
(`backchannel.importer`), so sanitising, the blocklist, kinds, talks and the index work the
same whatever the file was. A reader is a function `read(stream, name, sibling=None) ->
Iterator[Item]` (`sibling(filename)` gives the bytes of a small file beside the one read,
such as a Twitter archive's account.js; see `containers`):

- it streams: it never holds the whole file (JSON arrays through ijson, CSV row by row,
  CAR block by block), so a file of any size imports in constant memory;
- each `Item` is one record of the file, with its position (a line number, or the index of
  an item in a JSON array, or of a block in a CAR file) so a bad record can be named;
- an Item carries either a Post JSONL object (`post`, with the record as the file had it in
  `raw`), or why the record was left out on purpose (`skip`: consent, a retweet, a deleted
  or withheld tweet), or what is wrong with it (`problem`). One bad record never stops
  the others.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any, Callable, Iterator

from backchannel.errors import InputError
from backchannel.importers.item import Item


Reader = Callable[..., Iterator[Item]]  # read(stream, name, sibling=None)


@dataclass(frozen=True)
class Format:
    name: str
    unit: str  # what a position counts: "line", "item" or "block"
    help: str


FORMATS = {f.name: f for f in (
    Format("jsonl", "line", "backchannel's own Post JSONL"),
    Format("twarc2", "line", "twarc2 JSONL: Twitter API v2 responses (data + includes) or `twarc2 flatten` output"),
    Format("twarc1", "line", "twarc JSONL: Twitter API v1.1 tweets"),
    Format("tweets-js", "item", "a Twitter archive's data/tweets.js (window.YTD.tweets.part0 = [...])"),
    Format("tags-csv", "line", "a TAGS sheet's Archive tab saved as CSV"),
    Format("outbox", "item", "a Mastodon account export's outbox.json (ActivityStreams)"),
    Format("bluesky-car", "block", "a Bluesky repository export (.car)"),
)}


def reader(name: str) -> Reader:
    """The read function for a format name (see FORMATS)."""
    if name == "twarc2":
        from backchannel.importers.twarc2 import read
    elif name == "twarc1":
        from backchannel.importers.twarc1 import read
    elif name == "tweets-js":
        from backchannel.importers.tweets_js import read
    elif name == "tags-csv":
        from backchannel.importers.tags_csv import read
    elif name == "outbox":
        from backchannel.importers.outbox import read
    elif name == "bluesky-car":
        from backchannel.importers.bluesky_car import read
    else:
        raise InputError(f"no reader for format {name!r}")
    return read


def sniff(head: bytes) -> str | None:
    """Which format a file is, from its first bytes; None when it cannot be told."""
    text = head.lstrip(b"\xef\xbb\xbf \t\r\n")
    if text.startswith(b"window.YTD."):
        return "tweets-js"
    if _looks_like_car(head):
        return "bluesky-car"
    if text.startswith(b"{") and (b'"orderedItems"' in text or b'"OrderedCollection"' in text):
        return "outbox"
    first = text.split(b"\n", 1)[0].lower()
    if not text.startswith(b"{") and b"id_str" in first and b"from_user" in first:
        return "tags-csv"
    for line in text.split(b"\n")[:20]:
        kind = _json_kind(line)
        if kind:
            return kind
    if text.startswith(b"{"):  # a first line longer than the head (a twarc2 page of 100 tweets)
        if text.startswith((b'{"data": [{', b'{"data": {', b'{"data":[{', b'{"data":{')) or b'"author_id"' in text:
            return "twarc2"
        if b'"id_str"' in text:
            return "twarc1"
    if any(line.lstrip()[:1] in (b"{", b"[") for line in text.split(b"\n")[:20]):
        return "jsonl"  # JSON lines of no known shape (a broken one first, too): each line is reported
    return None


def _json_kind(line: bytes) -> str | None:
    try:
        data = json.loads(line)
    except ValueError:  # a broken or cut-off line: look at the next one
        return None
    if not isinstance(data, dict):
        return None
    if "data" in data and ("includes" in data or "__twarc" in data or "meta" in data or "errors" in data):
        return "twarc2"
    if "author_id" in data and "text" in data and "id" in data:
        return "twarc2"  # `twarc2 flatten`: one tweet a line
    if "id_str" in data or "delete" in data or "full_text" in data or "retweeted_status" in data:
        return "twarc1"
    if {"id", "source", "created_at", "text"} <= data.keys():
        return "jsonl"
    return None


def _looks_like_car(head: bytes) -> bool:
    """A CAR v1 file opens with a varint length and a DAG-CBOR map {roots, version}."""
    if not head or head[0] in b"{[ \t\r\n":
        return False
    return b"roots" in head[:80] and b"version" in head[:80]


def event_filter(event) -> Callable[[Any], bool]:
    """Whether a Post belongs to the event: one of its hashtags, and inside start–end.

    InputError when the config's [event] gives neither hashtags nor dates to filter by.
    """
    tags = {t.lower().lstrip("#") for t in event.hashtags if t.strip("#")}
    if not tags and event.start is None and event.end is None:
        raise InputError("--event: the config's [event] has no hashtags, start or end to filter by")
    start, end = event.start, event.end

    def keep(post) -> bool:
        if start is not None and post.created_at < start:
            return False
        if end is not None and post.created_at >= end:
            return False
        return not tags or bool(tags & {t.lower() for t in post.tags}) or _mentions(post.text, tags)

    return keep


def _mentions(text: str, tags: set[str]) -> bool:
    import re

    return any(re.search(rf"(?<!\w)#{re.escape(t)}(?!\w)", text, re.I) for t in tags)
