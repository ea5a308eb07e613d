"""A TAGS (Twitter Archiving Google Sheet) Archive tab, downloaded as CSV.

Columns (TAGS v6): id_str, from_user, text, created_at, time, geo_coordinates, user_lang,
in_reply_to_user_id_str, in_reply_to_screen_name, from_user_id_str,
in_reply_to_status_id_str, source, profile_image_url, user_followers_count,
user_friends_count, user_location, status_url, entities_str. Only id_str (or status_url),
from_user, text and created_at are needed. `entities_str`, when the sheet has it, holds
the tweet's v1.1 entities as JSON (links expanded from there); otherwise links and hashtags
are read from the text. A spreadsheet may have turned a long id into `1.23E+17`: then the
id comes from status_url, and a row with neither is reported. Retweets (`RT @…`) hold a
cut copy of the original and not its id: left out and counted. The search API behind TAGS
only ever returned public tweets.
"""

from __future__ import annotations

import csv
import io
import json
import re
from typing import BinaryIO, Iterator

from backchannel.importers.item import Item
from backchannel.importers.twitter import Entity, Tweet, WEB, to_post, twitter_time, v1_entities

NEEDED = ("from_user", "text", "created_at")
_STATUS = re.compile(r"/status(?:es)?/(\d+)")
_TAG = re.compile(r"(?:^|(?<=\s))#(\w+)")
_URL = re.compile(r"https?://[^\s<>\"]+")


def read(stream: BinaryIO, name: str, sibling=None) -> Iterator[Item]:
    text = io.TextIOWrapper(stream, encoding="utf-8-sig", errors="replace", newline="")
    rows = csv.reader(text)
    header = [h.strip().lower() for h in next(rows, [])]
    missing = [c for c in NEEDED if c not in header]
    if missing or not ({"id_str", "status_url"} & set(header)):
        yield Item(1, problem=f"not a TAGS archive: missing column(s) {', '.join(missing or ['id_str'])}")
        return
    while True:
        try:
            row = next(rows)
        except StopIteration:
            return
        except csv.Error as exc:
            yield Item(rows.line_num, problem=f"not valid CSV: {exc}")
            continue
        if not any(cell.strip() for cell in row):
            continue
        yield _item(rows.line_num, dict(zip(header, row)))


def _item(line: int, row: dict) -> Item:
    body = row.get("text") or ""
    if body.startswith("RT @"):
        return Item(line, skip="retweet (the sheet keeps no copy of the original)")
    tid = _id(row)
    if not tid:
        return Item(line, problem="no usable tweet id in id_str or status_url")
    try:
        created = twitter_time(row.get("created_at"))
    except (ValueError, TypeError):
        return Item(line, problem=f"created_at is not a time: {str(row.get('created_at'))[:40]!r}")
    user = (row.get("from_user") or "").strip().lstrip("@")
    if not user:
        return Item(line, problem="from_user is empty")
    entities = _entities(row.get("entities_str"), body)
    reply = (row.get("in_reply_to_status_id_str") or "").strip()
    tweet = Tweet(
        id=tid, created_at=created, text=body, username=user, name=user,
        entities=entities,
        reply_to=reply if reply.isdigit() else None,
        reply_to_user=(row.get("in_reply_to_screen_name") or "").strip() or None,
    )
    post, uri = to_post(tweet)
    return Item(line, post=post, raw=row, uri=uri)


def _id(row: dict) -> str | None:
    value = (row.get("id_str") or "").strip().lstrip("'")
    if value.isdigit():
        return value
    m = _STATUS.search(row.get("status_url") or "")
    return m.group(1) if m else None


def _entities(raw: str | None, text: str) -> list[Entity]:
    if raw and raw.strip().startswith("{"):
        try:
            return v1_entities(json.loads(raw))
        except ValueError:
            pass  # a cell cut at the sheet's 50,000-character limit: read the text instead
    found = [Entity(m.start(), m.end(), "hashtag", m.group(1), f"{WEB}/hashtag/{m.group(1)}")
             for m in _TAG.finditer(text)]
    found += [Entity(m.start(), m.end(), "url", m.group(0), m.group(0)) for m in _URL.finditer(text)]
    return found
