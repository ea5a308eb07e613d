"""What a Post may hold, checked once where data enters, so every later stage accepts it.

Every entry point shares these checks: `import` (Post JSONL and the other formats mapped to
Post JSONL-shaped dicts) calls `post_from_dict`; each collector's normaliser calls `checked`
on the Post it built; the archive refuses a Post that `problems` finds fault with. What the
archive stores is then safe for SQLite (no lone surrogates, integers that fit), for the
Whoosh index (times within its unsigned 32-bit seconds, counts within its 32-bit columns),
for the chart and the pages (time-zone arithmetic that cannot overflow).

Problems are reported as `field 'name': what is wrong` (several joined with "; "), so a
caller can say where: `posts.jsonl:12: field 'created_at': year 9999 is out of range …`.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timezone
from typing import Any

from backchannel.models import KINDS, Author, Media, Metrics, Post, parse_time, utc
from backchannel.sanitize import safe_url

EARLIEST = datetime(1970, 1, 1, tzinfo=timezone.utc)
LATEST = datetime(2106, 1, 1, tzinfo=timezone.utc)  # the index counts seconds in 32 bits (to 2106-02-07)
MAX_COUNT = 100_000_000  # per metric: the index's popularity column (likes + 2·reposts + …) stays in 32 bits
MAX_ID = 2048  # characters of an id
RANGE = "1970-01-01 to 2105-12-31"

_SURROGATE = re.compile("[\ud800-\udfff]")
# C0 and C1 controls and DEL, but not tab and newline: plain text keeps its lines.
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
_UNPRINTABLE = re.compile(r"[\s\x00-\x1f\x7f-\x9f]")
_TRUE, _FALSE = ("true", "1", "yes"), ("false", "0", "no", "")


class InvalidPost(ValueError):
    """A record that cannot become a Post; `problems` lists them as "field 'x': problem"."""

    def __init__(self, problems: list[str]):
        super().__init__("; ".join(problems))
        self.problems = problems


def in_range(moment: datetime) -> bool:
    """True when every stage can handle this instant (index, chart, time zones)."""
    return EARLIEST <= utc(moment) < LATEST


def fix_text(value: str, multiline: bool = True) -> str:
    """Lone surrogates become U+FFFD (SQLite cannot store them); control characters go."""
    value = _SURROGATE.sub("\ufffd", value)
    return _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n")) if multiline else value


def post_from_dict(data: Any) -> Post:
    """A Post from a Post JSONL object, every field checked; raises InvalidPost naming each bad one.

    Harmless oddities are repaired rather than refused (a lone surrogate in free text becomes
    U+FFFD, control characters leave `text`), so that a line is only lost for a real reason.
    """
    if not isinstance(data, dict):
        raise InvalidPost(["a line must hold a JSON object"])
    r = _Reader(data)
    for name in ("id", "source", "created_at", "text"):
        if data.get(name) is None:
            r.problems.append(f"missing field '{name}'")
    if r.problems:
        raise InvalidPost(r.problems)
    post_id = r.string("id", strict=True)
    if post_id is not None and not post_id.strip():
        r.fail("id", "is empty")
    elif post_id is not None and len(post_id) > MAX_ID:
        r.fail("id", f"is longer than {MAX_ID} characters")
    source = r.string("source", strict=True)
    if source is not None and not (0 < len(source) <= 100) or (source and _UNPRINTABLE.search(source)):
        r.fail("source", "must be a short name without spaces or control characters, such as mastodon")
    created = r.time("created_at")
    text = r.string("text")
    author = r.obj("author", Author, {"handle": "string", "name": "string", "url": "optional"})
    author_links = r.strings("author.links", value=data["author"].get("links")) \
        if author is not None and isinstance(data.get("author"), dict) else []
    metrics = r.obj("metrics", Metrics, {m: "count" for m in ("likes", "reposts", "replies", "quotes")})
    media = []
    for i, item in enumerate(r.listed("media")):
        m = r.obj(f"media[{i}]", Media, {"type": "string", "url": "string", "preview_url": "optional",
                                         "alt": "string"}, value=item)
        if m is not None:
            media.append(m)
    kind = data.get("kind")
    if kind is not None and kind not in KINDS:
        r.fail("kind", f"must be one of {', '.join(KINDS)}")
    score = data.get("score")
    if score is not None and (isinstance(score, bool) or not isinstance(score, (int, float))
                              or not math.isfinite(score) or not 0 <= score <= 1):
        r.fail("score", "must be a number from 0 to 1")
    consent = data.get("consent")
    if consent is None:
        consent = {}
    if not isinstance(consent, dict):
        r.fail("consent", "must be an object")
        consent = {}
    for name in ("indexable", "discoverable"):
        if consent.get(name) is not None and not isinstance(consent[name], bool):
            r.fail(f"consent.{name}", "must be true, false or null")
    values = dict(
        indexable=consent.get("indexable"), discoverable=consent.get("discoverable"),
        url=r.optional("url"), html=r.string("html", default=""), lang=r.optional("lang"),
        tags=[t.lower().lstrip("#") for t in r.strings("tags")], links=r.strings("links"),
        reply_to=r.optional("reply_to"), is_repost=r.boolean("is_repost"),
        sensitive=r.boolean("sensitive"), content_warning=r.optional("content_warning"),
        edited_at=r.time("edited_at", required=False), talk=r.optional("talk"),
        talk_reason=r.optional("talk_reason"),
    )
    if r.problems:
        raise InvalidPost(r.problems)
    # URLs that are not plain http(s) (javascript:, or with a newline inside) are dropped, not kept.
    values["url"] = safe_url(values["url"])
    values["links"] = [u for u in map(safe_url, values["links"]) if u]
    author.url = safe_url(author.url)
    author.links = list(dict.fromkeys(u for u in map(safe_url, author_links) if u))
    media = [Media(m.type, safe_url(m.url), safe_url(m.preview_url), m.alt) for m in media if safe_url(m.url)]
    post = Post(id=post_id, source=source, created_at=created, text=fix_text(text), author=author,
                metrics=metrics, media=media, kind=kind,
                score=float(score) if score is not None else None, **values)
    return checked(post)


def checked(post: Post, error: type[Exception] = InvalidPost) -> Post:
    """`post` with lone surrogates in its strings replaced, or `error` naming what is wrong.

    The collectors' normalisers end with this, raising their own "skip this post" error.
    """
    repair(post)
    found = problems(post)
    if found:
        raise error(found) if error is InvalidPost else error("; ".join(found))
    return post


def problems(post: Post) -> list[str]:
    """What would break a later stage (the archive, the index, the chart, the pages); [] if none."""
    out: list[str] = []

    def text(name: str, value: Any, optional: bool = False) -> None:
        if value is None and optional:
            return
        if not isinstance(value, str):
            out.append(f"field '{name}' must be a string")
        elif _SURROGATE.search(value):
            out.append(f"field '{name}' is not valid Unicode (a lone surrogate)")

    def moment(name: str, value: Any, optional: bool = False) -> None:
        if value is None and optional:
            return
        if not isinstance(value, datetime):
            out.append(f"field '{name}' must be a time")
        elif not in_range(value):
            out.append(f"field '{name}': {_year(value)} is out of range ({RANGE})")

    def url(name: str, value: Any, optional: bool = True) -> None:
        if (value is None and optional) or not isinstance(value, str):
            return  # the type is checked by `text`
        if safe_url(value) != value:
            out.append(f"field '{name}' is not an http(s) URL without spaces or control characters")

    for name in ("id", "source", "text", "html"):
        text(name, getattr(post, name))
    if isinstance(post.source, str) and _UNPRINTABLE.search(post.source):
        out.append("field 'source' must be a name without spaces or control characters")
    url("url", post.url)
    for name in ("url", "lang", "reply_to", "content_warning", "uri", "kind", "talk", "talk_reason"):
        text(name, getattr(post, name), optional=True)
    moment("created_at", post.created_at)
    moment("edited_at", post.edited_at, optional=True)
    if not isinstance(post.author, Author):
        out.append("field 'author' must be an object")
    else:
        text("author.handle", post.author.handle)
        text("author.name", post.author.name)
        text("author.url", post.author.url, optional=True)
        url("author.url", post.author.url)
        if not isinstance(post.author.links, list):
            out.append("field 'author.links' must be a list of strings")
        else:
            for i, v in enumerate(post.author.links):
                text(f"author.links[{i}]", v)
                url(f"author.links[{i}]", v)
    for name in ("tags", "links"):
        values = getattr(post, name)
        if not isinstance(values, list):
            out.append(f"field '{name}' must be a list of strings")
        else:
            for i, v in enumerate(values):
                text(f"{name}[{i}]", v)
                if name == "links":
                    url(f"links[{i}]", v)
    if not isinstance(post.media, list) or not all(isinstance(m, Media) for m in post.media):
        out.append("field 'media' must be a list of objects")
    else:
        for i, m in enumerate(post.media):
            for name in ("type", "url", "alt"):
                text(f"media[{i}].{name}", getattr(m, name))
            text(f"media[{i}].preview_url", m.preview_url, optional=True)
            url(f"media[{i}].url", m.url, optional=False)
            url(f"media[{i}].preview_url", m.preview_url)
    for name in ("is_repost", "sensitive"):
        if not isinstance(getattr(post, name), bool):
            out.append(f"field '{name}' must be true or false")
    for name in ("indexable", "discoverable"):
        if getattr(post, name) is not None and not isinstance(getattr(post, name), bool):
            out.append(f"field 'consent.{name}' must be true, false or null")
    if not isinstance(post.metrics, Metrics):
        out.append("field 'metrics' must be an object")
    else:
        for name in ("likes", "reposts", "replies", "quotes"):
            value = getattr(post.metrics, name)
            if not _count_ok(value):
                out.append(f"field 'metrics.{name}' must be a whole number from 0 to {MAX_COUNT:,}")
    if post.score is not None and (isinstance(post.score, bool) or not isinstance(post.score, (int, float))
                                   or not math.isfinite(post.score)):
        out.append("field 'score' must be a number from 0 to 1")
    return out


def repair(post: Post) -> None:
    """Replace lone surrogates in the free-text fields (a broken emoji is not worth a post)."""
    for obj, names in ((post, ("text", "html", "content_warning", "lang", "reply_to")),
                       (post.author, ("handle", "name")),
                       *((m, ("alt", "type")) for m in (post.media if isinstance(post.media, list) else [])
                         if isinstance(m, Media))):
        for name in names:
            value = getattr(obj, name, None)
            if isinstance(value, str) and _SURROGATE.search(value):
                setattr(obj, name, _SURROGATE.sub("\ufffd", value))


def _count_ok(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and 0 <= value <= MAX_COUNT


def _year(value: datetime) -> str:
    return f"year {value.year}"


class _Reader:
    """Typed reads from one JSON object, collecting "field 'x': problem" messages."""

    def __init__(self, data: dict):
        self.data = data
        self.problems: list[str] = []

    def fail(self, name: str, problem: str) -> None:
        self.problems.append(f"field '{name}' {problem}")

    def string(self, name: str, default: str | None = None, strict: bool = False,
               value: Any = None, given: bool = False) -> str | None:
        value = value if given else self.data.get(name)
        if value is None and default is not None:
            return default
        if not isinstance(value, str):
            self.fail(name, "must be a string")
            return None
        if strict and _SURROGATE.search(value):
            self.fail(name, "is not valid Unicode (a lone surrogate)")
            return None
        return _SURROGATE.sub("\ufffd", value)

    def optional(self, name: str, value: Any = None, given: bool = False) -> str | None:
        value = value if given else self.data.get(name)
        if value is None or value == "":
            return None
        return self.string(name, value=value, given=True)

    def strings(self, name: str, value: Any = None) -> list[str]:
        values = self.listed(name, value)
        out = []
        for i, v in enumerate(values):
            s = self.string(f"{name}[{i}]", value=v, given=True)
            if s is not None:
                out.append(s)
        return out

    def listed(self, name: str, value: Any = None) -> list:
        value = self.data.get(name) if value is None else value
        if value is None:
            return []
        if not isinstance(value, list):
            self.fail(name, "must be a list")
            return []
        return value

    def boolean(self, name: str) -> bool:
        """JSON true/false; also "true"/"false", 1/0 (CSV-born data), never a string's truthiness."""
        value = self.data.get(name)
        if value is None or isinstance(value, bool):
            return bool(value)
        if isinstance(value, int) and value in (0, 1):
            return bool(value)
        if isinstance(value, str) and value.strip().lower() in _TRUE + _FALSE:
            return value.strip().lower() in _TRUE
        self.fail(name, f"must be true or false, got {_show(value)}")
        return False

    def time(self, name: str, required: bool = True) -> datetime | None:
        value = self.data.get(name)
        if value is None or (value == "" and not required):
            return None
        try:
            moment = parse_time(value)
        except (ValueError, TypeError, OverflowError):
            self.fail(name, f"is not an ISO 8601 time: {_show(value)}")
            return None
        if not in_range(moment):
            self.fail(name, f"is out of range: {_year(moment)} ({RANGE})")
            return None
        return moment

    def obj(self, name: str, kind: type, spec: dict[str, str], value: Any = None) -> Any:
        value = self.data.get(name) if value is None else value
        if value is None:
            return kind()
        if not isinstance(value, dict):
            self.fail(name, "must be an object")
            return None
        args = {}
        for key, what in spec.items():
            if key not in value or value[key] is None:
                continue
            full, v = f"{name}.{key}", value[key]
            if what == "count":
                if not _count_ok(v):
                    self.fail(full, f"must be a whole number from 0 to {MAX_COUNT:,}, got {_show(v)}")
                    continue
                args[key] = v
            elif what == "optional":
                args[key] = self.optional(full, value=v, given=True)
            else:
                s = self.string(full, value=v, given=True)
                if s is not None:
                    args[key] = s
        return kind(**args)


def _show(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "…"
