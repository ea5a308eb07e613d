"""The one record every stage passes along: a `Post`.

Collectors yield Posts; the archive stores them; the index, the classifier, the digest and
the exports read them. `Post.to_dict()` and `validate.post_from_dict()` are the Post JSONL schema
(documented in the README), so an export can be imported again unchanged.
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

from backchannel.names import KINDS, SOURCES  # noqa: F401 (the Post's vocabulary, re-exported)


def consent_given(source: str, flag: bool | None) -> bool:
    """A consent flag read the way its source means it: Mastodon's are opt-in (only `true`
    counts), and sources without such flags publish public posts for everyone (only an
    explicit `false` counts against)."""
    return flag is True if source == "mastodon" else flag is not False


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
    # Links the author gave as their own (http/https only): on Mastodon only the profile links
    # the server verified (`rel="me"`), on blogs the feed's author URI; what the People page
    # reads to know one person's accounts on different networks.
    links: list[str] = field(default_factory=list)


def author_dict(author: Author) -> dict[str, Any]:
    """The JSONL `author` object; `links` only when there are some (so a post without them
    keeps the object, and the content hash, it always had)."""
    data = asdict(author)
    if not data["links"]:
        del data["links"]
    return data


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
    `kind`, `score`, `talk` and `talk_reason` are derived later by the pipeline.
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
    talk: str | None = None
    talk_reason: str | None = None
    # Consent facts as the source stated them (see `searchable` and `named`): Mastodon's
    # account flags; None where the source has none or did not say.
    indexable: bool | None = None
    discoverable: bool | None = None

    def __post_init__(self) -> None:
        self.created_at = utc(self.created_at)
        if self.edited_at is not None:
            self.edited_at = utc(self.edited_at)

    @property
    def searchable(self) -> bool:
        """May go into the digest's full-text search.

        On Mastodon only an account that opted in (`indexable: true`) may; missing means
        not opted in. Bluesky, blogs and imports have no such flag: their public posts are
        published for search, so only an explicit `false` keeps them out.
        """
        return consent_given(self.source, self.indexable)

    @property
    def named(self) -> bool:
        """May be named on the People page and in "most active people" (`discoverable`)."""
        return consent_given(self.source, self.discoverable)

    def to_dict(self, derived: bool = True) -> dict[str, Any]:
        """The Post JSONL object; `derived=False` leaves out kind/score/talk."""
        data = {
            "id": self.id,
            "source": self.source,
            "url": self.url,
            "author": author_dict(self.author),
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
            "consent": {"indexable": self.indexable, "discoverable": self.discoverable},
        }
        if derived:
            data.update(kind=self.kind, score=self.score, talk=self.talk,
                        talk_reason=self.talk_reason)
        return data
