"""What every Twitter format shares: a tweet, its entities and media → a Post JSONL object.

The readers (twarc v1.1 and v2, tweets.js, TAGS) turn their records into a `Tweet`; this
module renders it. Twitter escapes `&`, `<` and `>` in tweet text and marks entities by
Unicode code point offsets (v1.1 `indices`, v2 `start`/`end`) — Python's own string
indices. An entity whose offsets do not point at its text (older archives, edited text)
is looked up by its text instead, and left plain when it is not there.
"""

from __future__ import annotations

import html as htmllib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from backchannel.models import format_time, make_id, parse_time
from backchannel.sanitize import clean_text, safe_url

SOURCE = "twitter"
WEB = "https://twitter.com"
_OPT_OUT = re.compile(r"#(nobot|noindex|nobackchannel)(?![\w])", re.I)
_LANG = re.compile(r"^[a-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_TWEPOCH_MS = 1288834974657  # Twitter's snowflake epoch (ids since late 2010 carry their time)


@dataclass
class Entity:
    start: int
    end: int
    kind: str  # url, media, hashtag, mention
    value: str  # the t.co URL, the tag, the username
    href: str | None = None  # where it links (expanded URL, tag search, profile)
    label: str | None = None  # what to show instead of the t.co URL


@dataclass
class Tweet:
    id: str
    created_at: datetime
    text: str  # as Twitter sent it (HTML-escaped)
    username: str
    name: str = ""
    lang: str | None = None
    entities: list[Entity] = field(default_factory=list)
    media: list[dict] = field(default_factory=list)  # Post JSONL media objects
    reply_to: str | None = None  # parent tweet id
    reply_to_user: str | None = None
    metrics: dict = field(default_factory=dict)
    sensitive: bool = False
    quoted: "Tweet | None" = None
    first_id: str | None = None  # the first version's id, for an edited tweet
    extra_tags: list[str] = field(default_factory=list)


def status_url(tweet_id: str, username: str | None = None) -> str:
    return f"{WEB}/{username}/status/{tweet_id}" if username else f"{WEB}/i/web/status/{tweet_id}"


def twitter_time(value: Any) -> datetime:
    """`Wed Oct 10 20:19:24 +0000 2018` (v1.1, archives, TAGS) or ISO 8601 (v2); ValueError if neither."""
    if isinstance(value, str) and value[:3].isalpha() and not value[:4].isdigit():
        return datetime.strptime(value.strip(), "%a %b %d %H:%M:%S %z %Y").astimezone(timezone.utc)
    return parse_time(value)


def snowflake_time(tweet_id: str) -> datetime | None:
    """When a tweet was written, from its id (ids after November 2010 carry a timestamp)."""
    if not tweet_id.isdigit() or int(tweet_id) < 2**40:
        return None
    ms = (int(tweet_id) >> 22) + _TWEPOCH_MS
    return datetime.fromtimestamp(ms / 1000, timezone.utc)


def tweet_id(value: Any) -> str:
    """A tweet id as digits (files give strings, numbers, or both); ValueError otherwise."""
    if isinstance(value, int) and not isinstance(value, bool) and value > 0:
        return str(value)
    if isinstance(value, str) and value.strip().isdigit():
        return value.strip()
    raise ValueError(f"not a tweet id: {str(value)[:40]!r}")


def count(value: Any) -> int:
    """A public count; archives write them as strings ("12")."""
    if isinstance(value, str) and value.strip().isdigit():
        return int(value)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def user_skip(user: Any) -> str | None:
    """Why an account's tweets stay out: protected (not public), withheld, or opted out."""
    if not isinstance(user, dict):
        return None
    if user.get("protected") is True:
        return "protected account (not public)"
    withheld = user.get("withheld") or user.get("withheld_in_countries")
    if withheld:
        return "account withheld"
    bio = user.get("description")
    if isinstance(bio, str) and _OPT_OUT.search(bio):
        return "account opted out (#nobot/#noindex in bio)"
    return None


def withheld(tweet: dict) -> bool:
    """Twitter withheld the tweet (in some country, or for copyright): its text stays out."""
    w = tweet.get("withheld")
    if isinstance(w, dict):
        return bool(w.get("copyright") or w.get("country_codes"))
    return bool(w or tweet.get("withheld_in_countries") or tweet.get("withheld_copyright"))


def to_post(tweet: Tweet) -> tuple[dict, str]:
    """The Post JSONL object for a tweet, and its canonical URI."""
    first = tweet.first_id or tweet.id
    uri = status_url(first)
    html, text, links = render(tweet.text, tweet.entities)
    if tweet.quoted:
        q_html, _, _ = render(tweet.quoted.text, tweet.quoted.entities)
        q_url = status_url(tweet.quoted.id, tweet.quoted.username)
        who = htmllib.escape(tweet.quoted.name or "@" + tweet.quoted.username)
        # Shown, but not part of this post's own text (what is searched and classified).
        html += f'<blockquote>{q_html}<p>— <a href="{htmllib.escape(q_url)}">{who}</a></p></blockquote>'
        links = [u for u in links if u != q_url and "/status/" + tweet.quoted.id not in u]
    created = tweet.created_at
    edited = None
    if first != tweet.id:  # an edit: its own time is the edit's; the first id tells the original's
        edited = tweet.created_at
        created = snowflake_time(first) or tweet.created_at
    tags = [e.value.lower() for e in tweet.entities if e.kind == "hashtag"] + tweet.extra_tags
    return {
        "id": make_id(SOURCE, uri),
        "source": SOURCE,
        "url": status_url(tweet.id, tweet.username),
        "author": {"handle": tweet.username, "name": clean_text(tweet.name, 200),
                   "url": f"{WEB}/{tweet.username}" if tweet.username else None},
        "created_at": format_time(created),
        "text": text,
        "html": html,
        "lang": tweet.lang if tweet.lang and _LANG.match(tweet.lang) else None,
        "tags": list(dict.fromkeys(t for t in tags if t)),
        "links": list(dict.fromkeys(links)),
        "media": tweet.media,
        "reply_to": status_url(tweet.reply_to, tweet.reply_to_user) if tweet.reply_to else None,
        "is_repost": False,
        "metrics": {k: count(tweet.metrics.get(k)) for k in ("likes", "reposts", "replies", "quotes")},
        "sensitive": tweet.sensitive,
        "content_warning": None,
        "edited_at": format_time(edited),
    }, uri


def render(text: str, entities: list[Entity]) -> tuple[str, str, list[str]]:
    """(HTML, plain text, links) of a tweet's text: t.co links expanded, media links dropped."""
    html_out: list[str] = []
    text_out: list[str] = []
    links: list[str] = []
    pos = 0
    for ent in _placed(text, entities):
        plain = htmllib.unescape(text[pos:ent.start])
        html_out.append(htmllib.escape(plain))
        text_out.append(plain)
        pos = ent.end
        if ent.kind == "media":
            continue  # the picture travels in Post.media
        shown = ent.label or htmllib.unescape(text[ent.start:ent.end])
        href = safe_url(ent.href)
        if ent.kind == "url" and href:
            links.append(href)
            shown = ent.label or href
        text_out.append(href if ent.kind == "url" and href else shown)
        html_out.append(f'<a href="{htmllib.escape(href)}">{htmllib.escape(shown)}</a>' if href
                        else htmllib.escape(shown))
    rest = htmllib.unescape(text[pos:])
    html_out.append(htmllib.escape(rest))
    text_out.append(rest)
    body = "".join(html_out).strip()
    paragraphs = [p.strip().replace("\n", "<br>") for p in re.split(r"\n\s*\n", body) if p.strip()]
    return "".join(f"<p>{p}</p>" for p in paragraphs), "".join(text_out).strip(), links


def _placed(text: str, entities: list[Entity]) -> list[Entity]:
    """Entities at their true place in `text`, in order, without overlaps."""
    placed = []
    for ent in entities:
        needle = _needle(ent)
        if not needle:
            continue
        if not (0 <= ent.start < ent.end <= len(text)) or text[ent.start:ent.end].lower() != needle.lower():
            found = text.lower().find(needle.lower())
            if found < 0:
                continue
            ent = Entity(found, found + len(needle), ent.kind, ent.value, ent.href, ent.label)
        placed.append(ent)
    placed.sort(key=lambda e: e.start)
    out, end = [], 0
    for ent in placed:
        if ent.start >= end:
            out.append(ent)
            end = ent.end
    return out


def _needle(ent: Entity) -> str:
    if ent.kind in ("url", "media"):
        return ent.value
    if ent.kind == "hashtag":
        return "#" + ent.value
    if ent.kind == "mention":
        return "@" + ent.value
    return ""


# --- entities in the v1.1 shape (twarc v1, tweets.js, TAGS) -----------------------------------

def v1_entities(entities: Any) -> list[Entity]:
    out = []
    if not isinstance(entities, dict):
        return out
    for kind, key in (("url", "urls"), ("media", "media"), ("hashtag", "hashtags"), ("mention", "user_mentions")):
        for e in entities.get(key) or []:
            if not isinstance(e, dict):
                continue
            start, end = _indices(e.get("indices"))
            if kind in ("url", "media"):
                value, href = e.get("url"), e.get("expanded_url")
            elif kind == "hashtag":
                value = e.get("text")
                href = f"{WEB}/hashtag/{value}" if isinstance(value, str) else None
            else:
                value = e.get("screen_name")
                href = f"{WEB}/{value}" if isinstance(value, str) else None
            if isinstance(value, str) and value:
                out.append(Entity(start, end, kind, value, href if isinstance(href, str) else None))
    return out


def v1_media(tweet: dict) -> list[dict]:
    """Photos, videos and GIFs from `extended_entities` (all of them) or `entities` (the first)."""
    ext = tweet.get("extended_entities") if isinstance(tweet.get("extended_entities"), dict) else {}
    ent = tweet.get("entities") if isinstance(tweet.get("entities"), dict) else {}
    items = ext.get("media") or ent.get("media") or []
    out = []
    for m in items if isinstance(items, list) else []:
        if not isinstance(m, dict):
            continue
        picture = safe_url(m.get("media_url_https")) or safe_url(m.get("media_url"))
        kind = {"photo": "image", "video": "video", "animated_gif": "gifv"}.get(m.get("type"), "image")
        url = picture
        if kind != "image":
            url = best_video(((m.get("video_info") or {}).get("variants")), "bitrate")
            if not url:  # a video without its files: its still picture
                kind, url = "image", picture
        if url:
            out.append({"type": kind, "url": url, "preview_url": picture,
                        "alt": clean_text(m.get("ext_alt_text") or "", 1500)})
    return out


def best_video(variants: Any, rate_key: str) -> str | None:
    """The highest-bitrate MP4 of a video's variants."""
    mp4 = [v for v in variants or [] if isinstance(v, dict) and v.get("content_type") == "video/mp4"
           and safe_url(v.get("url"))]
    mp4.sort(key=lambda v: count(v.get(rate_key)), reverse=True)
    return mp4[0]["url"] if mp4 else None


def _indices(value: Any) -> tuple[int, int]:
    """v1.1 `indices`: two code point offsets (numbers; strings in Twitter's own archives)."""
    if isinstance(value, list) and len(value) == 2:
        a, b = (count(v) if isinstance(v, str) else v for v in value)
        if all(isinstance(v, int) and not isinstance(v, bool) for v in (a, b)):
            return a, b
    return -1, -1
