"""The one record every stage passes along: a `Post`.

Collectors yield Posts; the archive stores them; the index, the classifier, the digest and
the exports read them. `Post.to_dict()` / `Post.from_dict()` are the Post JSONL schema
(documented in the README), so an export can be imported again unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field, fields
from datetime import datetime, timezone
from typing import Any

SOURCES = ("mastodon", "bluesky", "rss", "twitter", "import")  # twitter: only from past-event archives
KINDS = ("takeaway", "question", "resource", "shoutout", "other")


def make_id(source: str, uri: str) -> str:
    """A stable post id from the source and the post's canonical URI.

    The same post seen twice (through two Mastodon servers, or in two polls) has the same
    URI and so the same id. Ids are safe in file names and URLs: `mastodon-1f3a...`.
    """
    digest = hashlib.blake2b(uri.encode("utf-8"), digest_size=10).hexdigest()
    return f"{source}-{digest}"


def utc(dt: datetime) -> datetime:
    """The same instant in UTC; a naive datetime is taken to be UTC already."""
    if dt.tzinfo is None:
        return dt.replace(tzinfo=timezone.utc)
    return dt.astimezone(timezone.utc)


def parse_time(value: Any) -> datetime:
    """Read an ISO 8601 timestamp (a trailing `Z` is accepted) into an aware UTC datetime."""
    if isinstance(value, datetime):
        return utc(value)
    if not isinstance(value, str) or not value.strip():
        raise ValueError(f"not a timestamp: {value!r}")
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    return utc(datetime.fromisoformat(text))


def format_time(dt: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, to the second: `2026-09-01T10:15:00Z`."""
    if dt is None:
        return None
    return utc(dt).replace(microsecond=0).isoformat().replace("+00:00", "Z")


@dataclass
class Author:
    handle: str = ""  # user@server on Mastodon, the handle on Bluesky, a name or feed for blogs
    name: str = ""  # display name, plain text
    url: str | None = None  # profile page (http/https only)


@dataclass
class Media:
    type: str = "image"  # image, video, gifv, audio, unknown
    url: str = ""
    preview_url: str | None = None
    alt: str = ""  # the author's description; empty when they gave none


@dataclass
class Metrics:
    likes: int = 0
    reposts: int = 0
    replies: int = 0
    quotes: int = 0


@dataclass
class Post:
    """One post, blog entry or recap, normalised from any source.

    `text` is plain text for search and classification; `html` is the body already
    sanitised (nh3, http/https links only) and safe to place in a page. `uri` is the
    canonical identity at the source (Mastodon status `uri`, Bluesky `at://` URI, feed entry
    id) and `raw` the payload as the service sent it; neither is part of the JSONL schema.
    `kind`, `score`, `session` and `session_reason` are derived later by the pipeline.
    """

    id: str
    source: str
    created_at: datetime
    text: str
    url: str | None = None
    author: Author = field(default_factory=Author)
    html: str = ""
    lang: str | None = None
    tags: list[str] = field(default_factory=list)  # lowercase, without '#'
    links: list[str] = field(default_factory=list)
    media: list[Media] = field(default_factory=list)
    reply_to: str | None = None
    is_repost: bool = False
    metrics: Metrics = field(default_factory=Metrics)
    sensitive: bool = False
    content_warning: str | None = None
    edited_at: datetime | None = None
    uri: str | None = None
    raw: Any = None
    kind: str | None = None
    score: float | None = None
    session: str | None = None
    session_reason: str | None = None

    def __post_init__(self) -> None:
        self.created_at = utc(self.created_at)
        if self.edited_at is not None:
            self.edited_at = utc(self.edited_at)

    def to_dict(self, derived: bool = True) -> dict[str, Any]:
        """The Post JSONL object; `derived=False` leaves out kind/score/session."""
        data = {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "author": asdict(self.author),
            "created_at": format_time(self.created_at),
            "text": self.text,
            "html": self.html,
            "lang": self.lang,
            "tags": list(self.tags),
            "links": list(self.links),
            "media": [asdict(m) for m in self.media],
            "reply_to": self.reply_to,
            "is_repost": self.is_repost,
            "metrics": asdict(self.metrics),
            "sensitive": self.sensitive,
            "content_warning": self.content_warning,
            "edited_at": format_time(self.edited_at),
        }
        if derived:
            data.update(kind=self.kind, score=self.score, session=self.session,
                        session_reason=self.session_reason)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Post":
        """Build a Post from a JSONL object; raises ValueError naming the bad field."""
        if not isinstance(data, dict):
            raise ValueError("a line must hold a JSON object")
        for name in ("id", "source", "created_at", "text"):
            if name not in data or data[name] is None:
                raise ValueError(f"missing field '{name}'")
        for name in ("id", "source", "text"):
            if not isinstance(data[name], str):
                raise ValueError(f"field '{name}' must be a string")
        if not data["id"].strip():
            raise ValueError("field 'id' is empty")
        try:
            created = parse_time(data["created_at"])
        except ValueError:
            raise ValueError(f"field 'created_at' is not an ISO 8601 time: {data['created_at']!r}") from None
        edited = data.get("edited_at")
        try:
            edited = parse_time(edited) if edited else None
        except ValueError:
            raise ValueError(f"field 'edited_at' is not an ISO 8601 time: {edited!r}") from None
        author = _sub(data, "author", Author)
        metrics = _sub(data, "metrics", Metrics)
        for m in fields(Metrics):
            value = getattr(metrics, m.name)
            if not isinstance(value, int) or isinstance(value, bool) or value < 0:
                raise ValueError(f"field 'metrics.{m.name}' must be a whole number ≥ 0")
        media = data.get("media") or []
        if not isinstance(media, list):
            raise ValueError("field 'media' must be a list")
        score = data.get("score")
        if score is not None and not isinstance(score, (int, float)):
            raise ValueError("field 'score' must be a number")
        kind = data.get("kind")
        if kind is not None and kind not in KINDS:
            raise ValueError(f"field 'kind' must be one of {', '.join(KINDS)}")
        return cls(
            id=data["id"],
            source=data["source"],
            created_at=created,
            text=data["text"],
            url=_opt_str(data, "url"),
            author=author,
            html=data.get("html") or "",
            lang=_opt_str(data, "lang"),
            tags=[t.lower().lstrip("#") for t in _str_list(data, "tags")],
            links=_str_list(data, "links"),
            media=[_sub({"m": m}, "m", Media) for m in media],
            reply_to=_opt_str(data, "reply_to"),
            is_repost=bool(data.get("is_repost", False)),
            metrics=metrics,
            sensitive=bool(data.get("sensitive", False)),
            content_warning=_opt_str(data, "content_warning"),
            edited_at=edited,
            kind=kind,
            score=float(score) if score is not None else None,
            session=_opt_str(data, "session"),
            session_reason=_opt_str(data, "session_reason"),
        )


def _opt_str(data: dict, name: str) -> str | None:
    value = data.get(name)
    if value is None or value == "":
        return None
    if not isinstance(value, str):
        raise ValueError(f"field '{name}' must be a string")
    return value


def _str_list(data: dict, name: str) -> list[str]:
    value = data.get(name) or []
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(f"field '{name}' must be a list of strings")
    return value


def _sub(data: dict, name: str, kind: type) -> Any:
    value = data.get(name) or {}
    if not isinstance(value, dict):
        raise ValueError(f"field '{name}' must be an object")
    known = {f.name for f in fields(kind)}
    try:
        return kind(**{k: v for k, v in value.items() if k in known})
    except TypeError as exc:
        raise ValueError(f"field '{name}': {exc}") from None
