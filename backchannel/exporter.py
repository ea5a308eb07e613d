"""`backchannel export`: the archive as Post JSONL or CSV (with what the pipeline derived)."""

from __future__ import annotations

import csv
import json
from typing import Iterable, TextIO

from backchannel.models import Post

FORMATS = ("jsonl", "csv")
CSV_COLUMNS = (
    "id", "source", "url", "author_handle", "author_name", "author_url", "created_at", "edited_at",
    "text", "lang", "tags", "links", "reply_to", "is_repost", "likes", "reposts", "replies",
    "quotes", "sensitive", "content_warning", "kind", "score", "talk", "talk_code", "talk_reason",
)


def export(posts: Iterable[Post], out: TextIO, fmt: str = "jsonl", codes: dict[str, str] | None = None) -> int:
    """Write posts to `out`; returns how many. CSV joins lists with spaces and adds each
    post's `talk_code` (from `codes`: talk id → the code organisers use, `talks` table)."""
    n = 0
    if fmt == "jsonl":
        for post in posts:
            out.write(json.dumps(post.to_dict(), ensure_ascii=False) + "\n")
            n += 1
        return n
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    for post in posts:
        d = post.to_dict()
        d.update({
            "author_handle": post.author.handle, "author_name": post.author.name,
            "author_url": post.author.url, "tags": " ".join(post.tags), "links": " ".join(post.links),
            "talk_code": (codes or {}).get(post.talk) if post.talk else None, **d["metrics"],
        })
        writer.writerow({k: _cell(d.get(k)) for k in CSV_COLUMNS})
        n += 1
    return n


def _cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # keep spreadsheets from running a post as a formula
    return value


MODERATION_COLUMNS = ("n", "post_id", "action", "reason", "at", "by")


def export_moderation(archive, out: TextIO, fmt: str = "jsonl") -> int:
    """Write the archive's moderation log (oldest first); returns how many actions."""
    from backchannel.moderation import actions

    log = actions(archive)
    if fmt == "jsonl":
        for a in log:
            out.write(json.dumps(a.as_dict(), ensure_ascii=False) + "\n")
        return len(log)
    writer = csv.DictWriter(out, fieldnames=MODERATION_COLUMNS)
    writer.writeheader()
    for a in log:
        writer.writerow({k: _cell(v) for k, v in a.as_dict().items()})
    return len(log)
