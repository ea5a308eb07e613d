"""Bluesky PostView JSON → `Post`: rich text from facets, embeds, labels and consent.

Everything here is pure (no network), so it is tested on payloads directly as well as
through the collector. Facets index the post text by **UTF-8 byte** offsets; a facet that is
out of range, overlaps another or cuts a character in half is ignored and its text kept
plain. All text and URLs go through `backchannel.sanitize` before they reach a Post.
"""

from __future__ import annotations

import html as htmllib
import re
import unicodedata
from datetime import datetime
from typing import Any
from urllib.parse import quote

from backchannel.models import Author, Media, Metrics, Post, make_id, parse_time
from backchannel.sanitize import clean_html, clean_text, html_to_text, safe_url
from backchannel.validate import checked

WEB = "https://bsky.app"
NO_UNAUTHENTICATED = "!no-unauthenticated"
# Labels that keep a post out of a public digest whatever the config says.
HIDE = {NO_UNAUTHENTICATED, "!hide", "!takedown"}
# Adult-content labels (self-labels, or Bluesky's own moderation), and how a warning names them.
ADULT = {"porn": "adult content", "sexual": "sexually suggestive", "nudity": "nudity",
         "graphic-media": "graphic media", "gore": "graphic media"}

_DID = re.compile(r"^did:[a-z]+:[A-Za-z0-9._:%-]*[A-Za-z0-9._-]$")
_RKEY = re.compile(r"^[A-Za-z0-9._:~-]{1,512}$")
_POST_URI = re.compile(r"^at://([^/]+)/app\.bsky\.feed\.post/([^/?#]+)$")
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_TEXT_TAG = re.compile(r"(?:^|(?<=\s))[#＃]([^\s#＃]+)")


class BadPost(ValueError):
    """A PostView that cannot be used; the message says what is wrong with it."""


def post_identity(view: Any) -> tuple[str, datetime]:
    """The post's at:// URI and its sort time `min(createdAt, indexedAt)`; BadPost if unusable."""
    if not isinstance(view, dict):
        raise BadPost("a post that is not a JSON object")
    uri = view.get("uri")
    if not isinstance(uri, str) or not parse_post_uri(uri):
        raise BadPost(f"a post with an unusable uri {str(uri)[:120]!r}")
    record = view.get("record")
    created = _time(record.get("createdAt") if isinstance(record, dict) else None)
    indexed = _time(view.get("indexedAt"))
    times = [t for t in (created, indexed) if t is not None]
    if not times:
        raise BadPost(f"post {uri} has neither a valid createdAt nor indexedAt")
    return uri, min(times)


def parse_post_uri(uri: str) -> tuple[str, str] | None:
    """(did, rkey) of an `at://did/app.bsky.feed.post/rkey` URI, or None."""
    m = _POST_URI.match(uri)
    if not m or not _DID.match(m.group(1)) or not _RKEY.match(m.group(2)):
        return None
    return m.group(1), m.group(2)


def web_url(uri: str) -> str | None:
    """`https://bsky.app/profile/{did}/post/{rkey}` for a post URI (the DID never changes)."""
    parts = parse_post_uri(uri)
    return f"{WEB}/profile/{parts[0]}/post/{parts[1]}" if parts else None


def left_out_reason(view: dict[str, Any]) -> str:
    """Why `normalize` returned None for a view (for the skip counts)."""
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    if _hidden(author.get("labels")):
        return "opted out (!no-unauthenticated)"
    if _hidden(view.get("labels")):
        return "labelled for logged-in viewers only"
    return "labelled adult"


def normalize(view: dict[str, Any], allow_adult: bool = False) -> Post | None:
    """The Post for a PostView; None when consent keeps it out; BadPost when it is unusable."""
    uri, when = post_identity(view)
    author = view.get("author")
    record = view.get("record")
    if not isinstance(author, dict) or not isinstance(record, dict):
        raise BadPost(f"post {uri} has no author or record object")
    did = author.get("did")
    if not isinstance(did, str) or not _DID.match(did):
        raise BadPost(f"post {uri} has an author without a valid DID")
    text = record.get("text")
    if not isinstance(text, str):
        raise BadPost(f"post {uri} has no text")
    if _hidden(author.get("labels")) or _hidden(view.get("labels")):
        return None
    adult = adult_labels(view)
    if adult and not allow_adult:
        return None

    body_html, links = render_text(text, record.get("facets"))
    extra = Embed.from_view(view.get("embed"), allow_adult)
    html = clean_html(body_html + extra.html)
    plain = "\n".join(p for p in [html_to_text(body_html), extra.text] if p)
    warning = _warning(adult)
    return checked(Post(
        id=make_id("bluesky", uri),
        source="bluesky",
        created_at=when,
        text=plain,
        url=web_url(uri),
        author=Author(handle=clean_text(str(author.get("handle") or ""), 253) or did,
                      name=clean_text(_str(author.get("displayName")), 128),
                      # A PostView's author is a ProfileViewBasic: no description, so no
                      # profile links to keep (its handle, a domain, is its verified identity).
                      url=f"{WEB}/profile/{did}"),
        html=html,
        lang=_lang(record.get("langs")),
        tags=post_tags(record),
        links=_unique(links + extra.links),
        media=extra.media,
        reply_to=_reply_parent(record.get("reply")),
        metrics=Metrics(likes=_count(view.get("likeCount")), reposts=_count(view.get("repostCount")),
                        replies=_count(view.get("replyCount")), quotes=_count(view.get("quoteCount"))),
        sensitive=bool(adult) or _warned(view),
        content_warning=warning or ("Content warning" if _warned(view) else None),
        uri=uri,
        raw=view,
    ), lambda problem: BadPost(f"post {uri}: {problem}"))


# --- tags and rich text ---------------------------------------------------------------------

def normalize_tag(tag: Any) -> str:
    """A tag as Post.tags keeps it: NFC, lowercase, no leading '#', no control characters."""
    if not isinstance(tag, str):
        return ""
    tag = clean_text(unicodedata.normalize("NFC", tag)).lstrip("#＃").strip()
    return tag.lower()[:64]


def post_tags(record: dict[str, Any]) -> list[str]:
    """Hashtags from tag facets, `record.tags` and '#words' in the text (clients without facets)."""
    found: list[str] = []
    for facet in _list(record.get("facets")):
        for feature in _list(facet.get("features") if isinstance(facet, dict) else None):
            if isinstance(feature, dict) and feature.get("$type") == "app.bsky.richtext.facet#tag":
                found.append(normalize_tag(feature.get("tag")))
    found += [normalize_tag(t) for t in _list(record.get("tags"))]
    text = record.get("text") if isinstance(record.get("text"), str) else ""
    for m in _TEXT_TAG.finditer(text):
        word = _strip_trailing_punct(m.group(1))
        if word and not word.isdigit():
            found.append(normalize_tag(word))
    return _unique([t for t in found if t])


def _strip_trailing_punct(word: str) -> str:
    while word and unicodedata.category(word[-1]).startswith("P"):
        word = word[:-1]
    return word


def render_text(text: str, facets: Any) -> tuple[str, list[str]]:
    """HTML for the post text with links, mentions and tags as anchors; also the link URLs.

    The result still goes through `clean_html` (by the caller) like any other post HTML.
    """
    data = text.encode("utf-8")
    spans = sorted(s for s in (_facet_span(f, data) for f in _list(facets)) if s)
    out: list[str] = []
    links: list[str] = []
    pos = 0
    for start, end, href, is_link in spans:
        if start < pos:  # overlaps the previous facet
            continue
        out.append(htmllib.escape(data[pos:start].decode("utf-8")))
        label = htmllib.escape(data[start:end].decode("utf-8"))
        out.append(f'<a href="{htmllib.escape(href)}">{label}</a>')
        if is_link:
            links.append(href)
        pos = end
    out.append(htmllib.escape(data[pos:].decode("utf-8")))
    body = "".join(out).strip()
    if not body:
        return "", links
    paragraphs = re.split(r"\n\s*\n", body)
    return "".join(f"<p>{p.strip().replace(chr(10), '<br>')}</p>" for p in paragraphs if p.strip()), links


def _facet_span(facet: Any, data: bytes) -> tuple[int, int, str, bool] | None:
    if not isinstance(facet, dict) or not isinstance(facet.get("index"), dict):
        return None
    start, end = facet["index"].get("byteStart"), facet["index"].get("byteEnd")
    if not all(isinstance(v, int) and not isinstance(v, bool) for v in (start, end)):
        return None
    if not 0 <= start < end <= len(data) or not (_boundary(data, start) and _boundary(data, end)):
        return None
    for feature in _list(facet.get("features")):
        href = _feature_href(feature)
        if href:
            return start, end, href, feature.get("$type") == "app.bsky.richtext.facet#link"
    return None


def _boundary(data: bytes, pos: int) -> bool:
    """True when `pos` does not fall inside a multi-byte UTF-8 character."""
    return pos == len(data) or (data[pos] & 0xC0) != 0x80


def _feature_href(feature: Any) -> str | None:
    if not isinstance(feature, dict):
        return None
    kind = feature.get("$type")
    if kind == "app.bsky.richtext.facet#link":
        return safe_url(_str(feature.get("uri")))
    if kind == "app.bsky.richtext.facet#mention":
        did = _str(feature.get("did"))
        return f"{WEB}/profile/{did}" if _DID.match(did) else None
    if kind == "app.bsky.richtext.facet#tag":
        tag = normalize_tag(feature.get("tag"))
        return f"{WEB}/hashtag/{quote(tag, safe='')}" if tag else None
    return None


# --- embeds ---------------------------------------------------------------------------------

class Embed:
    """What an embed view adds to a post: media, links, HTML after the text, searchable text."""

    def __init__(self) -> None:
        self.media: list[Media] = []
        self.links: list[str] = []
        self.html = ""
        self.text = ""

    @classmethod
    def from_view(cls, view: Any, allow_adult: bool) -> "Embed":
        out = cls()
        out._add(view, allow_adult)
        return out

    def _add(self, view: Any, allow_adult: bool) -> None:
        if not isinstance(view, dict):
            return
        kind = view.get("$type")
        if kind == "app.bsky.embed.images#view":
            for image in _list(view.get("images")):
                self._image(image)
        elif kind == "app.bsky.embed.video#view":
            url = safe_url(_str(view.get("playlist")))
            if url:
                self.media.append(Media(type="video", url=url, preview_url=safe_url(_str(view.get("thumbnail"))),
                                        alt=clean_text(_str(view.get("alt")), 2000)))
        elif kind == "app.bsky.embed.external#view":
            self._external(view.get("external"))
        elif kind == "app.bsky.embed.record#view":
            self._quote(view.get("record"), allow_adult)
        elif kind == "app.bsky.embed.recordWithMedia#view":
            self._add(view.get("media"), allow_adult)
            record = view.get("record")
            self._quote(record.get("record") if isinstance(record, dict) else None, allow_adult)

    def _image(self, image: Any) -> None:
        if not isinstance(image, dict):
            return
        url = safe_url(_str(image.get("fullsize"))) or safe_url(_str(image.get("thumb")))
        if url:
            self.media.append(Media(type="image", url=url, preview_url=safe_url(_str(image.get("thumb"))),
                                    alt=clean_text(_str(image.get("alt")), 2000)))

    def _external(self, ext: Any) -> None:
        if not isinstance(ext, dict):
            return
        url = safe_url(_str(ext.get("uri")))
        if not url:
            return
        title = clean_text(_str(ext.get("title")), 300) or url
        desc = clean_text(_str(ext.get("description")), 1000)
        self.links.append(url)
        self.html += f'<p><a href="{htmllib.escape(url)}">{htmllib.escape(title)}</a>'
        self.html += (f"<br>{htmllib.escape(desc)}" if desc else "") + "</p>"
        self.text = "\n".join(p for p in [self.text, title if title != url else "", desc] if p)

    def _quote(self, rec: Any, allow_adult: bool) -> None:
        """A quoted post, shown as a blockquote when it may be shown at all."""
        if not isinstance(rec, dict) or rec.get("$type") != "app.bsky.embed.record#viewRecord":
            return  # not found, blocked, detached, or a feed/list/starter pack: nothing to show
        uri = _str(rec.get("uri"))
        author = rec.get("author") if isinstance(rec.get("author"), dict) else {}
        value = rec.get("value") if isinstance(rec.get("value"), dict) else {}
        url = web_url(uri)
        if not url:
            return
        hidden = _hidden(author.get("labels")) or _hidden(rec.get("labels"))
        adult = adult_labels({"labels": rec.get("labels"), "record": value, "author": author})
        if hidden or (adult and not allow_adult):
            self.html += f'<blockquote><p><a href="{url}">Quoted post (not shown)</a></p></blockquote>'
            return
        body, _ = render_text(_str(value.get("text")), value.get("facets"))
        who = clean_text(_str(author.get("displayName")), 128) or clean_text(_str(author.get("handle")), 253)
        credit = f'<p>— <a href="{url}">{htmllib.escape(who or "quoted post")}</a></p>'
        # The quoted post's own media stay with it (they are not this author's): only its text.
        self.html += f"<blockquote>{body}{credit}</blockquote>"


# --- labels ---------------------------------------------------------------------------------

def _label_values(labels: Any) -> set[str]:
    """Values of com.atproto.label.defs#label lists, negated labels taken away."""
    on, off = set(), set()
    for label in _list(labels):
        if isinstance(label, dict) and isinstance(label.get("val"), str):
            (off if label.get("neg") else on).add(label["val"])
    return on - off


def _hidden(labels: Any) -> bool:
    return bool(_label_values(labels) & HIDE)


def _warned(view: dict[str, Any]) -> bool:
    return "!warn" in _label_values(view.get("labels"))


def adult_labels(view: dict[str, Any]) -> list[str]:
    """Adult-content labels on a post: its labels, its author's and the self-labels in its record."""
    values = _label_values(view.get("labels"))
    author = view.get("author") if isinstance(view.get("author"), dict) else {}
    values |= _label_values(author.get("labels"))
    record = view.get("record") if isinstance(view.get("record"), dict) else {}
    self_labels = record.get("labels") if isinstance(record.get("labels"), dict) else {}
    values |= {v.get("val") for v in _list(self_labels.get("values"))
               if isinstance(v, dict) and isinstance(v.get("val"), str)}
    return sorted(v for v in values if v in ADULT)


def _warning(adult: list[str]) -> str | None:
    if not adult:
        return None
    words = _unique([ADULT[v] for v in adult])
    return "Labelled by the author: " + ", ".join(words)


# --- small readers --------------------------------------------------------------------------

def _time(value: Any) -> datetime | None:
    try:
        return parse_time(value)
    except (ValueError, TypeError, OverflowError):
        return None


def _reply_parent(reply: Any) -> str | None:
    """The parent post's web URL: the same as its Post.url, and a link that works anywhere."""
    parent = reply.get("parent") if isinstance(reply, dict) else None
    uri = parent.get("uri") if isinstance(parent, dict) else None
    return web_url(uri) if isinstance(uri, str) else None


def _lang(langs: Any) -> str | None:
    for lang in _list(langs):
        if isinstance(lang, str) and _LANG.match(lang):
            return lang
    return None


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _list(value: Any) -> list:
    return value if isinstance(value, list) else []


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(items))
