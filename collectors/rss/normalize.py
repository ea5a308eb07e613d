"""Turn one feedparser entry into a `Post`, and decide whether it belongs to the event.

Everything in a feed is untrusted. feedparser sanitises HTML already, but lets
`javascript:`/`data:` URLs, forms and SVG links through, so every HTML fragment is cleaned
again with nh3 (`clean_html`), every URL goes through `safe_url` (http/https only, relative
ones resolved against the entry or the feed), and every name or title through `clean_text`.
"""

from __future__ import annotations

import hashlib
import html as htmllib
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from html.parser import HTMLParser
from typing import Any, Mapping
from urllib.parse import urlsplit

from backchannel.config import Event, Feed
from backchannel.models import Author, Media, Post, make_id
from backchannel.sanitize import clean_html, clean_text, html_to_text, safe_url, text_to_html
from backchannel.validate import in_range, repair

MAX_HTML_CHARS = 200_000  # a whole book in one entry is cut here, before cleaning
RAW_TEXT_CHARS = 2_000  # summary/content kept in Post.raw
MAX_TAGS = 30
MAX_MEDIA = 10
_HASHTAG = re.compile(r"(?<![\w/&#])#(\w{1,100})")
_LANG = re.compile(r"^[a-z]{2,3}(-[a-z0-9]{1,8})*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_HTML_TYPES = ("text/html", "application/xhtml+xml")


@dataclass
class FeedContext:
    """What every entry of one feed shares."""

    key: str  # the configured feed URL: scopes entry ids so two feeds' "1" never collide
    url: str  # where the body came from (after redirects): base for relative links
    title: str  # the feed's title, plain text (or the name given in the config)
    site: str | None  # the feed's home page
    lang: str | None


def feed_context(feed: Feed, parsed: Mapping[str, Any], url: str) -> FeedContext:
    """The shared context of a parsed feed fetched from `url`."""
    info = parsed.get("feed") or {}
    title = clean_text(feed.name, 200) or clean_text(_str(info.get("title")), 200)
    site = safe_url(_str(info.get("link")), base=url)
    return FeedContext(key=feed.url, url=url, title=title or _host(site or url),
                       site=site, lang=_lang(info.get("language")))


class EventFilter:
    """Inside the event's window, and mentioning one of its hashtags or keywords."""

    def __init__(self, event: Event):
        self.start, self.end = event.start, event.end
        words = [re.escape(t.lstrip("#")) for t in event.hashtags if t.lstrip("#")]
        # A hashtag matches with or without its '#'; a keyword phrase with any spacing.
        words += [r"\s+".join(map(re.escape, k.split())) for k in event.keywords if k.split()]
        self.pattern = re.compile(r"(?<!\w)#?(?:" + "|".join(words) + r")(?!\w)", re.I) if words else None

    def signature(self, keep_all: bool) -> str:
        """A short hash of what decides which entries are kept (changes → judge them again)."""
        basis = repr((self.pattern.pattern if self.pattern else None, self.start, self.end, keep_all))
        return hashlib.blake2b(basis.encode(), digest_size=8).hexdigest()

    def in_window(self, when: datetime) -> bool:
        return (self.start is None or when >= self.start) and (self.end is None or when < self.end)

    def matches(self, post: Post) -> bool:
        """Whether the title, body or categories (all in `text` and `tags`) mention the event."""
        if self.pattern is None:
            return False
        return bool(self.pattern.search(post.text + "\n" + "\n".join(post.tags)))


def entry_post(entry: Mapping[str, Any], ctx: FeedContext, now: datetime) -> tuple[Post, bool]:
    """The Post for one entry, and whether the entry carried a date.

    An undated entry gets `now`; the caller replaces that with when it was first seen.
    """
    title = clean_text(_str(entry.get("title")), 500)
    link = safe_url(_str(entry.get("link")), base=ctx.url)
    body_source, body_kind = _body(entry)
    base = link or ctx.url
    body_html = clean_html(body_source[:MAX_HTML_CHARS], base=base) if body_kind == "html" \
        else text_to_html(body_source[:MAX_HTML_CHARS])
    body_text = html_to_text(body_html)
    created, edited = _times(entry)
    identity = _identity(entry, title, created, body_text)
    categories = _categories(entry)
    text = "\n\n".join(part for part in (title, body_text) if part)
    post = Post(
        id=make_id("rss", f"{ctx.key}\n{identity}"),
        source="rss",
        created_at=created or now,
        edited_at=edited,
        text=text,
        url=link,
        author=_author(entry, ctx, link),
        html=(f"<h3>{htmllib.escape(title)}</h3>" if title else "") + body_html,
        lang=_lang(_detail_lang(entry)) or ctx.lang,
        tags=_tags(categories, text),
        links=[u for u in _hrefs(body_html) if u != link],
        media=_media(entry, base),
        uri=identity,
        raw=_raw(entry, ctx, categories, body_source),
    )
    repair(post)  # what is still wrong after this, the archive refuses and the round reports
    return post, created is not None


def _body(entry: Mapping[str, Any]) -> tuple[str, str]:
    """(fragment, "html" or "text"): the first non-empty of content, then summary, HTML first."""
    candidates = [c for c in entry.get("content") or [] if isinstance(c, Mapping)]
    detail = entry.get("summary_detail")
    if isinstance(detail, Mapping):
        candidates.append(detail)
    elif entry.get("summary"):
        candidates.append({"type": "text/html", "value": entry.get("summary")})
    html_first = sorted(candidates, key=lambda c: _str(c.get("type")) not in _HTML_TYPES)
    for c in html_first:
        value = _str(c.get("value"))
        if value.strip():
            kind = "html" if _str(c.get("type")) in _HTML_TYPES else "text"
            return value, kind
    return "", "text"


def _times(entry: Mapping[str, Any]) -> tuple[datetime | None, datetime | None]:
    """(created, edited): published, else updated; edited when updated is later."""
    published = _struct_time(_stored(entry, "published_parsed"))
    updated = _struct_time(_stored(entry, "updated_parsed"))
    created = published or updated
    edited = updated if published and updated and updated > published else None
    return created, edited


def _struct_time(value: Any) -> datetime | None:
    # feedparser gives UTC struct_time; a leap second or an absurd year must not crash us.
    try:
        year, month, day, hour, minute, second = (int(v) for v in tuple(value)[:6])
        moment = datetime(year, month, day, hour, minute, min(second, 59), tzinfo=timezone.utc)
    except (TypeError, ValueError, OverflowError):
        return None
    return moment if in_range(moment) else None  # year 9999: as good as undated


def _identity(entry: Mapping[str, Any], title: str, created: datetime | None, body: str) -> str:
    """Entry id, else link, else a hash of title and date (of the body when both lack)."""
    for key in ("id", "link"):
        # Not clean_text: an id is an opaque string, only control characters and spacing go.
        value = " ".join(_CONTROL.sub("", _str(entry.get(key))).split())[:2000]
        if value:
            return value
    basis = f"{title}\n{created.isoformat() if created else ''}" if title or created else body
    return "sha256:" + hashlib.sha256(basis.encode("utf-8", "replace")).hexdigest()[:32]


def _author(entry: Mapping[str, Any], ctx: FeedContext, link: str | None) -> Author:
    detail = entry.get("author_detail")
    detail = detail if isinstance(detail, Mapping) else {}
    # feedparser's plain `author` may be "mail@example.org (Name)": prefer the parsed name
    # and never fall back to a bare e-mail address.
    name = clean_text(_str(detail.get("name")), 200)
    if not name and "@" not in _str(entry.get("author")):
        name = clean_text(_str(entry.get("author")), 200)
    # The author's own URI (Atom `<author><uri>`) is a link they gave as theirs: a profile on
    # Mastodon or Bluesky says the blog and that account are one person.
    own = safe_url(_str(detail.get("href")), base=ctx.url)
    return Author(handle=_host(link or ctx.site or ctx.url), name=name or ctx.title,
                  url=own or ctx.site, links=[own] if own else [])


def _categories(entry: Mapping[str, Any]) -> list[str]:
    terms = []
    for tag in entry.get("tags") or []:
        if isinstance(tag, Mapping):
            term = clean_text(_str(tag.get("term")) or _str(tag.get("label")), 100)
            if term:
                terms.append(term)
    return terms[:MAX_TAGS]


def _tags(categories: list[str], text: str) -> list[str]:
    found = [c.lstrip("#").lower() for c in categories]
    found += [t.lower() for t in _HASHTAG.findall(text) if not t.isdigit()]
    return [t for t in dict.fromkeys(found) if t][:MAX_TAGS]


def _media(entry: Mapping[str, Any], base: str) -> list[Media]:
    media = []
    for enc in entry.get("enclosures") or []:
        if not isinstance(enc, Mapping):
            continue
        kind = _str(enc.get("type")).split("/")[0].lower()
        url = safe_url(_str(enc.get("href")), base=base)
        if url and kind in ("image", "video", "audio"):
            media.append(Media(type=kind, url=url))
    return media[:MAX_MEDIA]


def _raw(entry: Mapping[str, Any], ctx: FeedContext, categories: list[str], body: str) -> dict:
    """A small JSON-able record of the entry as the feed gave it (strings only, cut short)."""
    return {
        "feed": ctx.key,
        "id": _str(entry.get("id"))[:2000] or None,
        "link": _str(entry.get("link"))[:2000] or None,
        "title": _str(entry.get("title"))[:RAW_TEXT_CHARS] or None,
        "author": clean_text(_str(entry.get("author")), 200) or None,
        "published": _str(_stored(entry, "published"))[:100] or None,
        "updated": _str(_stored(entry, "updated"))[:100] or None,
        "tags": categories,
        "content": body[:RAW_TEXT_CHARS] or None,
    }


class _Hrefs(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.found += [v for k, v in attrs if k == "href" and v]


def _hrefs(fragment: str) -> list[str]:
    """The http(s) links of an already cleaned fragment, in order, without duplicates."""
    parser = _Hrefs()
    parser.feed(fragment)
    parser.close()
    return [u for u in dict.fromkeys(safe_url(h) for h in parser.found) if u]


def _detail_lang(entry: Mapping[str, Any]) -> Any:
    for detail in list(entry.get("content") or []) + [entry.get("summary_detail")]:
        if isinstance(detail, Mapping) and detail.get("language"):
            return detail.get("language")
    return None


def _lang(value: Any) -> str | None:
    text = _str(value).strip().lower().replace("_", "-")
    return text if _LANG.match(text) else None


def _host(url: str | None) -> str:
    try:
        return (urlsplit(url).hostname or "") if url else ""
    except ValueError:
        return ""


def _stored(entry: Mapping[str, Any], key: str) -> Any:
    """The value feedparser stored under `key`, without its deprecated updated→published
    fallback (which warns, and would make every updated entry look published then)."""
    return dict.get(entry, key) if isinstance(entry, dict) else entry.get(key)


def _str(value: Any) -> str:
    # feedparser values are normally str, but a hostile feed can yield odd shapes.
    return value if isinstance(value, str) else ""
