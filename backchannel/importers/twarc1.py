"""twarc (v1) JSONL: one Twitter API v1.1 tweet a line, as `twarc search`/`filter` wrote them.

Text is `extended_tweet.full_text` for a truncated streaming tweet, else `full_text`
(tweet_mode=extended), else `text`. A retweet stores its original (the retweet is a boost,
not a post; the original's counts come along). A quote tweet shows the quoted one inside.
Stream notices (`delete`, `limit`, …) and withheld or protected tweets are skipped and counted.
"""

from __future__ import annotations

from typing import Any, BinaryIO, Iterator

from backchannel.importers.item import Item
from backchannel.importers.jsonlines import json_lines
from backchannel.importers.twitter import (Tweet, to_post, tweet_id, twitter_time, user_skip, v1_entities, v1_media,
                      withheld)


def read(stream: BinaryIO, name: str, sibling=None) -> Iterator[Item]:
    for number, data, problem in json_lines(stream):
        if problem:
            yield Item(number, problem=problem)
            continue
        yield item(number, data)


def item(number: int, data: Any) -> Item:
    if not isinstance(data, dict):
        return Item(number, problem="a line must hold a JSON object")
    if "delete" in data or "scrub_geo" in data or "limit" in data or "warning" in data:
        return Item(number, skip="stream notice (delete, limit, …)")
    original = data.get("retweeted_status")
    record = original if isinstance(original, dict) else data
    try:
        tweet, skip = parse(record)
    except (ValueError, TypeError, KeyError) as exc:
        return Item(number, problem=str(exc))
    if skip:
        return Item(number, skip=skip)
    post, uri = to_post(tweet)
    return Item(number, post=post, raw=data, uri=uri)


def parse(data: dict, quoted: bool = False) -> tuple[Tweet, str | None]:
    """A v1.1 tweet object (also the shape of tweets.js) as a Tweet, or why it stays out."""
    tid = tweet_id(data.get("id_str") or data.get("id"))
    user = data.get("user")
    if not isinstance(user, dict):
        raise ValueError(f"tweet {tid}: field 'user' is missing")
    skip = user_skip(user)
    if withheld(data):
        skip = "tweet withheld"
    ext = data.get("extended_tweet") if isinstance(data.get("extended_tweet"), dict) else {}
    text = ext.get("full_text") or data.get("full_text") or data.get("text")
    if not isinstance(text, str):
        raise ValueError(f"tweet {tid}: no text")
    try:
        created = twitter_time(data.get("created_at"))
    except (ValueError, TypeError):
        raise ValueError(f"tweet {tid}: field 'created_at' is not a time: {str(data.get('created_at'))[:40]!r}") from None
    source = ext or data
    tweet = Tweet(
        id=tid,
        created_at=created,
        text=text,
        username=str(user.get("screen_name") or ""),
        name=str(user.get("name") or ""),
        lang=_lang(data.get("lang")),
        entities=v1_entities(source.get("entities")),
        media=v1_media(source),
        reply_to=_opt_id(data.get("in_reply_to_status_id_str") or data.get("in_reply_to_status_id")),
        reply_to_user=data.get("in_reply_to_screen_name") if isinstance(data.get("in_reply_to_screen_name"), str) else None,
        metrics={"likes": data.get("favorite_count"), "reposts": data.get("retweet_count"),
                 "replies": data.get("reply_count"), "quotes": data.get("quote_count")},
        sensitive=data.get("possibly_sensitive") is True,
    )
    q = data.get("quoted_status")
    if not quoted and isinstance(q, dict):
        try:
            inner, inner_skip = parse(q, quoted=True)
            tweet.quoted = None if inner_skip else inner
        except (ValueError, TypeError, KeyError):
            pass  # a broken quoted tweet leaves only its link
    return tweet, skip


def _lang(value: Any) -> str | None:
    return value if isinstance(value, str) and value not in ("und", "") else None


def _opt_id(value: Any) -> str | None:
    try:
        return tweet_id(value) if value else None
    except ValueError:
        return None
