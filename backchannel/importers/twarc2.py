"""twarc2 JSONL: Twitter API v2 responses (`data` + `includes`), or `twarc2 flatten` output.

A response line holds up to 100 tweets (a list), or one (a dict, from the filtered stream);
their authors, referenced tweets and media sit in `includes`. A flattened line is one tweet
with `author`, `referenced_tweets` and `attachments.media` expanded in place. Both read the
same way here. A retweet stores its original; an edited tweet keeps the id of its first
version (`edit_history_tweet_ids[0]`), so each edit replaces the last; a long tweet's
`note_tweet` text wins over its truncated `text`. Tweets the API reports as gone (`errors`),
withheld tweets and protected or withheld accounts are skipped and counted.
"""

from __future__ import annotations

import re
from datetime import datetime, timezone
from typing import Any, BinaryIO, Iterator

from backchannel.sanitize import clean_text, safe_url
from backchannel.importers.item import Item
from backchannel.importers.jsonlines import json_lines
from backchannel.importers.twitter import Entity, Tweet, WEB, best_video, to_post, tweet_id, twitter_time, user_skip, withheld


def read(stream: BinaryIO, name: str, sibling=None) -> Iterator[Item]:
    for number, data, problem in json_lines(stream):
        if problem:
            yield Item(number, problem=problem)
        elif not isinstance(data, dict):
            yield Item(number, problem="a line must hold a JSON object")
        elif "data" in data or "errors" in data:
            yield from _response(number, data)
        else:
            yield _one(number, data, Includes.flattened(data), data)


class Includes:
    """Users, tweets and media by id: from a response's `includes` or a flattened tweet."""

    def __init__(self) -> None:
        self.users: dict[str, dict] = {}
        self.tweets: dict[str, dict] = {}
        self.media: dict[str, dict] = {}

    @classmethod
    def of_response(cls, response: dict) -> "Includes":
        inc = cls()
        includes = response.get("includes") if isinstance(response.get("includes"), dict) else {}
        for key, table, field in (("users", inc.users, "id"), ("tweets", inc.tweets, "id"),
                                  ("media", inc.media, "media_key")):
            for obj in includes.get(key) or []:
                if isinstance(obj, dict) and obj.get(field) is not None:
                    table[str(obj[field])] = obj
        return inc

    @classmethod
    def flattened(cls, tweet: dict) -> "Includes":
        inc = cls()
        inc._add_flat(tweet)
        inc._add_refs(tweet, depth=3)  # a retweet of a quote tweet nests the quoted one inside
        return inc

    def _add_refs(self, tweet: dict, depth: int) -> None:
        for ref in tweet.get("referenced_tweets") or [] if depth else []:
            if isinstance(ref, dict) and ref.get("id") is not None and "text" in ref:
                self.tweets[str(ref["id"])] = ref
                self._add_flat(ref)
                self._add_refs(ref, depth - 1)

    def _add_flat(self, tweet: dict) -> None:
        author = tweet.get("author")
        if isinstance(author, dict) and author.get("id") is not None:
            self.users[str(author["id"])] = author
        attachments = tweet.get("attachments") if isinstance(tweet.get("attachments"), dict) else {}
        for m in attachments.get("media") or []:
            if isinstance(m, dict) and m.get("media_key"):
                self.media[str(m["media_key"])] = m


def _response(number: int, response: dict) -> Iterator[Item]:
    inc = Includes.of_response(response)
    data = response.get("data")
    tweets = data if isinstance(data, list) else [data] if isinstance(data, dict) else []
    for tweet in tweets:
        yield _one(number, tweet, inc, tweet)
    for error in response.get("errors") or []:
        # A tweet asked for by id that is gone; errors about referenced tweets or users are
        # not posts of this file (their absence shows up on the tweets that refer to them).
        if isinstance(error, dict) and error.get("resource_type") == "tweet" and error.get("parameter") == "ids":
            yield Item(number, skip="deleted or unavailable (reported by the API)")


def _one(number: int, data: Any, inc: Includes, raw: Any) -> Item:
    if not isinstance(data, dict):
        return Item(number, problem="a tweet must be a JSON object")
    try:
        record = data
        for ref in _refs(data):
            if ref[0] == "retweeted":
                record = inc.tweets.get(ref[1])
                if record is None:
                    return Item(number, skip="retweet of a tweet not in the file")
        tweet, skip = parse(record, inc)
    except (ValueError, TypeError, KeyError, AttributeError) as exc:
        return Item(number, problem=f"tweet {str(data.get('id'))[:30]}: {exc}")
    if skip:
        return Item(number, skip=skip)
    post, uri = to_post(tweet)
    return Item(number, post=post, raw=raw, uri=uri)


def parse(data: dict, inc: Includes, quoted: bool = False) -> tuple[Tweet, str | None]:
    tid = tweet_id(data.get("id"))
    user = inc.users.get(str(data.get("author_id"))) or data.get("author")
    if not isinstance(user, dict):
        # The API leaves users out of `includes` now and then; without the account its
        # consent (protected, withheld, opted out) cannot be checked.
        return Tweet(tid, created_at=datetime.now(timezone.utc), text="", username=""), \
            "author not in the file (consent cannot be checked)"
    skip = user_skip(user) or ("tweet withheld" if withheld(data) else None)
    note = data.get("note_tweet") if isinstance(data.get("note_tweet"), dict) else {}
    text = note.get("text") if isinstance(note.get("text"), str) else data.get("text")
    if not isinstance(text, str):
        raise ValueError("no text")
    try:
        created = twitter_time(data.get("created_at"))
    except (ValueError, TypeError):
        raise ValueError(f"field 'created_at' is not a time: {str(data.get('created_at'))[:40]!r}") from None
    entities = (note if note.get("text") else data).get("entities")
    metrics = data.get("public_metrics") if isinstance(data.get("public_metrics"), dict) else {}
    refs = _refs(data)
    reply_to = next((i for kind, i in refs if kind == "replied_to"), None)
    reply_user = inc.users.get(str(data.get("in_reply_to_user_id"))) or data.get("in_reply_to_user")
    reply_user = reply_user if isinstance(reply_user, dict) else {}
    history = [str(i) for i in data.get("edit_history_tweet_ids") or [] if str(i).isdigit()]
    tweet = Tweet(
        id=tid,
        created_at=created,
        text=text,
        username=str(user.get("username") or ""),
        name=str(user.get("name") or ""),
        lang=data.get("lang") if isinstance(data.get("lang"), str) and data.get("lang") not in ("und", "zxx") else None,
        entities=_entities(entities),
        media=_media(data, inc),
        reply_to=reply_to,
        reply_to_user=reply_user.get("username") if isinstance(reply_user.get("username"), str) else None,
        metrics={"likes": metrics.get("like_count"), "reposts": metrics.get("retweet_count"),
                 "replies": metrics.get("reply_count"), "quotes": metrics.get("quote_count")},
        sensitive=data.get("possibly_sensitive") is True,
        first_id=history[0] if history else None,
    )
    quoted_id = next((i for kind, i in refs if kind == "quoted"), None)
    if not quoted and quoted_id and quoted_id in inc.tweets:
        try:
            inner, inner_skip = parse(inc.tweets[quoted_id], inc, quoted=True)
            tweet.quoted = None if inner_skip else inner
        except (ValueError, TypeError, KeyError, AttributeError):
            pass  # a broken quoted tweet leaves only its link
    return tweet, skip


def _refs(data: dict) -> list[tuple[str, str]]:
    out = []
    for ref in data.get("referenced_tweets") or []:
        if isinstance(ref, dict) and isinstance(ref.get("type"), str) and ref.get("id") is not None:
            out.append((ref["type"], str(ref["id"])))
    return out


def _entities(entities: Any) -> list[Entity]:
    """v2 entities: `start`/`end` code point offsets; a URL with a media_key is a picture."""
    out: list[Entity] = []
    if not isinstance(entities, dict):
        return out
    for e in entities.get("urls") or []:
        if isinstance(e, dict) and isinstance(e.get("url"), str):
            href = e.get("unwound_url") or e.get("expanded_url")
            # The link to a tweet's own picture or video (`…/status/ID/photo/1`) is not text.
            kind = "media" if e.get("media_key") or _MEDIA_LINK.search(str(href)) else "url"
            out.append(Entity(_int(e.get("start")), _int(e.get("end")), kind, e["url"],
                              href if isinstance(href, str) else None))
    for e in entities.get("hashtags") or []:
        if isinstance(e, dict) and isinstance(e.get("tag"), str):
            out.append(Entity(_int(e.get("start")), _int(e.get("end")), "hashtag", e["tag"],
                              f"{WEB}/hashtag/{e['tag']}"))
    for e in entities.get("mentions") or []:
        if isinstance(e, dict) and isinstance(e.get("username"), str):
            out.append(Entity(_int(e.get("start")), _int(e.get("end")), "mention", e["username"],
                              f"{WEB}/{e['username']}"))
    return out


_MEDIA_LINK = re.compile(r"^https?://(?:mobile\.)?(?:twitter|x)\.com/\w+/status/\d+/(?:photo|video)/\d+$")


def _media(data: dict, inc: Includes) -> list[dict]:
    attachments = data.get("attachments") if isinstance(data.get("attachments"), dict) else {}
    out = []
    for key in attachments.get("media_keys") or []:
        m = inc.media.get(str(key))
        if not isinstance(m, dict):
            continue
        kind = {"photo": "image", "video": "video", "animated_gif": "gifv"}.get(m.get("type"), "image")
        preview = safe_url(m.get("preview_image_url")) or safe_url(m.get("url"))
        url = safe_url(m.get("url")) if kind == "image" else best_video(m.get("variants"), "bit_rate")
        if not url and preview:  # a video without its files: its still picture
            kind, url = "image", preview
        if url:
            out.append({"type": kind, "url": url, "preview_url": preview,
                        "alt": clean_text(m.get("alt_text") or "", 1500)})
    return out


def _int(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else -1
