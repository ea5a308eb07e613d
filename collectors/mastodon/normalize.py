"""Mastodon Status JSON → `Post`, and the consent rules that keep accounts out.

Works on the raw API dicts exactly as a server sent them (never Mastodon.py's wrappers), so
the same code serves the tag timelines and the re-check of single statuses. Every string
and URL goes through `backchannel.sanitize` before it lands on a Post.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote, urlsplit

from backchannel.models import Author, Media, Metrics, Post, make_id, parse_time
from backchannel.sanitize import clean_html, clean_text, html_to_text, safe_url
from backchannel.validate import checked

SOURCE = "mastodon"
PROVENANCE = "_backchannel"  # key added to Post.raw: which configured server the copy came from
MEDIA_TYPES = {"image", "video", "gifv", "audio"}
_OPT_OUT = re.compile(r"#(nobot|noindex|nobackchannel)(?![\w])", re.I)
_QUOTE_INLINE = re.compile(r"<p\s+class=[\"']?quote-inline[\"']?[^>]*>.*?</p>", re.I | re.S)
_LANG = re.compile(r"^[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8})*$")
_ACCT = re.compile(r"^@?([\w.+-]+)(@[\w.-]+(:\d{1,5})?)?$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_DOMAIN = re.compile(rf"^{_LABEL}(?:\.{_LABEL})*(?::\d{{1,5}})?$")


class Malformed(ValueError):
    """A status lacks a field we need (or has it in a shape we cannot read): skip it."""


def original(status: dict) -> dict:
    """The status itself, or for a boost the boosted original (a boost is not a post)."""
    reblog = status.get("reblog")
    return reblog if isinstance(reblog, dict) else status


def status_id(status: Any) -> str:
    """The server's id of a status, as a short printable string for messages."""
    value = status.get("id") if isinstance(status, dict) else None
    return clean_text(str(value), limit=40) if isinstance(value, (str, int)) else "?"


def tag_names(status: dict) -> set[str]:
    """The hashtags a status carries, normalised like our config's (for the any[] evidence check)."""
    names = set()
    for tag in status.get("tags") or []:
        if isinstance(tag, dict) and isinstance(tag.get("name"), str):
            names.add(normalize_tag(tag["name"]))
    names.discard("")
    return names


def normalize_tag(name: str) -> str:
    """A hashtag as we store it: NFKC, lowercase, no '#', no markup or spaces."""
    text = clean_text(unicodedata.normalize("NFKC", name)).lstrip("#").lower()
    return "" if any(c.isspace() for c in text) else text


# Why a status is left out, as counted and reported (`Batch.skipped`).
NOT_PUBLIC = "not public"
NOINDEX = "opted out (noindex)"
STRICT = "not opted in to search ([consent] strict)"


def skip_reason(status: dict, strict: bool = False) -> str | None:
    """Why a (well-formed) status must not be collected, or None when it may.

    A public post under a hashtag is published for discovery through that hashtag (Mastodon's
    own tag page shows it to anyone), so it is collected whatever `indexable` says; that flag
    decides only the digest's full-text search, at build time. Left out: anything not
    `public`; accounts that opted out of search engines (`noindex: true`, since a published
    digest is read by them) or wrote `#nobot`, `#noindex` or `#nobackchannel` in their bio or
    a profile field. With `strict`, also every account that did not opt in to search.
    """
    if status.get("visibility") != "public":
        return NOT_PUBLIC
    account = status.get("account")
    if not isinstance(account, dict):
        return "no account"
    if account.get("noindex") is True:
        return NOINDEX
    texts = [account.get("note")]
    for item in account.get("fields") or []:
        if isinstance(item, dict):
            texts += [item.get("name"), item.get("value")]
    for text in texts:
        # Bios are HTML where a hashtag is `#<span>nobot</span>`: read the text, not the markup.
        found = _OPT_OUT.search(html_to_text(text)) if isinstance(text, str) else None
        if found:
            return f"opted out (#{found.group(1).lower()})"
    if strict and account.get("indexable") is not True:
        return STRICT
    return None


def opted_out(reason: str | None) -> bool:
    """The author asked to be left out (so their stored posts go too), not just this post."""
    return bool(reason) and reason.startswith("opted out")


def strip_quote_inline(content: str) -> str:
    """`content` without the `<p class="quote-inline">RE: …</p>` Mastodon adds to quote posts
    for old clients (the quoted post is kept as a link instead)."""
    return _QUOTE_INLINE.sub("", content)


def quoted_url(status: dict) -> str | None:
    """The web URL of the post a quote post quotes, when its author accepted the quote."""
    quote_ = status.get("quote")
    if not isinstance(quote_, dict) or quote_.get("state") != "accepted":
        return None
    quoted = quote_.get("quoted_status")
    if not isinstance(quoted, dict):
        return None
    return safe_url(quoted.get("url")) or safe_url(quoted.get("uri"))


def normalize(status: dict, server: str, domain: str | None) -> Post:
    """One Status (not a boost wrapper) as a Post; raises `Malformed` naming what is wrong.

    `server` is the configured base URL the copy came from (kept in `raw` so a re-check asks
    the same server). `domain` completes the handles of the server's local accounts (whose
    `acct` has no domain): the server's account domain from `/api/v2/instance`; when that is
    unknown, the host of the account's profile URL, then the host of `server`.

    Whichever server a post comes through, the Post is meant to be the same (except its
    counts, which each server keeps on its own): full handles, media at their origin
    (`remote_url`), and `reply_to` as the parent's web URL where it can be derived.
    """
    uri = _required_str(status, "uri")
    if len(uri) > 2048:
        raise Malformed("field 'uri' is too long")
    _required_str(status, "id", allow_int=True)
    created = _time(status.get("created_at"), "created_at")
    content = status.get("content")
    if not isinstance(content, str):
        raise Malformed("field 'content' is missing")
    content = strip_quote_inline(content)
    if not isinstance(status.get("visibility"), str):
        raise Malformed("field 'visibility' is missing")
    account = status.get("account")
    if not isinstance(account, dict):
        raise Malformed("field 'account' is missing")
    author = _author(account, local_domain(domain, account.get("url"), server))
    url = safe_url(status.get("url")) or safe_url(uri)
    edited = status.get("edited_at")
    return checked(Post(
        id=make_id(SOURCE, uri),
        source=SOURCE,
        uri=uri,
        url=url,
        created_at=created,
        edited_at=_time(edited, "edited_at") if edited else None,
        author=author,
        text=_text(content, status.get("mentions"), domain, server),
        html=clean_html(content, base=url),
        lang=_lang(status.get("language")),
        tags=_tags(status),
        links=_links(content, status),
        indexable=_flag(account.get("indexable")),
        discoverable=_flag(account.get("discoverable")),
        media=_media(status.get("media_attachments")),
        reply_to=_reply_to(status, server),
        is_repost=False,
        metrics=Metrics(
            likes=_count(status, "favourites_count"),
            reposts=_count(status, "reblogs_count"),
            replies=_count(status, "replies_count"),
            quotes=_count(status, "quotes_count"),
        ),
        sensitive=status.get("sensitive") is True,
        content_warning=clean_text(_str(status.get("spoiler_text"))) or None,
        raw={**status, PROVENANCE: {"server": server}},
    ), Malformed)


def _required_str(data: dict, name: str, allow_int: bool = False) -> str:
    value = data.get(name)
    if allow_int and isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    if not isinstance(value, str) or not value.strip():
        raise Malformed(f"field '{name}' is missing")
    return value


def _time(value: Any, name: str) -> datetime:
    try:
        return parse_time(value)
    except (ValueError, TypeError):
        raise Malformed(f"field '{name}' is not a timestamp: {clean_text(str(value), limit=40)!r}") from None


def _str(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _author(account: dict, domain: str) -> Author:
    acct = clean_text(_str(account.get("acct")))
    handle = full_handle(acct, domain)
    if not handle:
        raise Malformed(f"field 'account.acct' is not a handle: {acct[:60]!r}")
    name = clean_text(_str(account.get("display_name")), limit=200)
    return Author(handle=handle, name=name or handle.partition("@")[0], url=safe_url(account.get("url")),
                  links=verified_links(account.get("fields")))


def verified_links(fields: Any) -> list[str]:
    """The profile links the server verified: fields with `verified_at` set, whose linked page
    links back to the account with `rel="me"` (Mastodon's check). An unverified field is only
    the account's claim (anyone can type anyone's URL), so it is not kept."""
    links: list[str] = []
    for item in fields if isinstance(fields, list) else []:
        if not isinstance(item, dict) or not item.get("verified_at") or not isinstance(item.get("value"), str):
            continue
        parser = _Anchors()
        parser.feed(item["value"])
        parser.close()
        # The value is HTML (`<a href="https://me.example" rel="me">…`); a bare URL where a
        # server sends plain text.
        for href in parser.hrefs or [html_to_text(item["value"]).strip()]:
            url = safe_url(href)
            if url and url not in links:
                links.append(url)
    return links[:10]


def valid_domain(value: Any) -> str | None:
    """A host name (with an optional port), lowercased; None for anything else."""
    if not isinstance(value, str):
        return None
    text = value.strip().lower().rstrip(".")
    if not text.isascii():
        host, colon, port = text.partition(":")
        try:
            text = host.encode("idna").decode("ascii") + colon + port
        except UnicodeError:
            return None
    return text if len(text) <= 253 and _DOMAIN.match(text) else None


def host_of(url: Any) -> str | None:
    """The host[:port] of an http(s) URL, lowercased; None if there is none."""
    url = safe_url(url) if isinstance(url, str) else None
    return valid_domain(urlsplit(url).netloc.rpartition("@")[2]) if url else None


def local_domain(domain: str | None, profile_url: Any, server: str) -> str:
    """The domain that completes a local account's handle (see `normalize`)."""
    return domain or host_of(profile_url) or host_of(server) or urlsplit(server).netloc.lower()


def full_handle(acct: str, domain: str) -> str | None:
    """`user@server` from an acct; a local account's acct has no domain, so add the server's."""
    match = _ACCT.match(acct)
    if not match:
        return None
    user, remote = match.group(1), match.group(2)
    return f"{user}{remote.lower()}" if remote else f"{user}@{domain.lower()}"


def _text(content: str, mentions: Any, domain: str | None, server: str) -> str:
    """Plain text; `@user` mentions spelled out as `@user@server` where that is unambiguous.

    Mastodon shows every mention as `@user`; the full handle makes the text searchable by
    handle and lets the pipeline match a speaker's handle.
    """
    text = html_to_text(content)
    full: dict[str, str | None] = {}
    for m in mentions if isinstance(mentions, list) else []:
        if not isinstance(m, dict):
            continue
        user = clean_text(_str(m.get("username")))
        acct = full_handle(clean_text(_str(m.get("acct"))), local_domain(domain, m.get("url"), server))
        if user and acct:
            full[user] = None if user in full and full[user] != acct else acct
    for user, acct in full.items():
        if acct:
            text = re.sub(rf"(?<![\w@])@{re.escape(user)}(?![\w@])", "@" + acct, text)
    return text


def _lang(value: Any) -> str | None:
    return value if isinstance(value, str) and len(value) <= 35 and _LANG.match(value) else None


def _tags(status: dict) -> list[str]:
    tags = []
    for tag in status.get("tags") or []:
        name = normalize_tag(tag["name"]) if isinstance(tag, dict) and isinstance(tag.get("name"), str) else ""
        if name and name not in tags:
            tags.append(name)
    return tags


class _Anchors(HTMLParser):
    """The hrefs of a fragment's links, minus mentions and hashtags (they are not resources)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag != "a":
            return
        a = {k: v or "" for k, v in attrs}
        marks = (a.get("class", "") + " " + a.get("rel", "")).lower().split()
        if not {"mention", "hashtag", "tag"} & set(marks) and a.get("href"):
            self.hrefs.append(a["href"])


def _links(content: str, status: dict) -> list[str]:
    parser = _Anchors()
    parser.feed(content)
    parser.close()
    skip = set()
    for key in ("mentions", "tags"):
        for item in status.get(key) or []:
            if isinstance(item, dict) and isinstance(item.get("url"), str):
                skip.add(item["url"])
    card = status.get("card")
    found = parser.hrefs + ([card.get("url")] if isinstance(card, dict) else [])
    found += [u for u in [quoted_url(status)] if u]
    links: list[str] = []
    for href in found:
        url = safe_url(href) if href not in skip else None
        if url and url not in links:
            links.append(url)
    return links


def _media(items: Any) -> list[Media]:
    media = []
    for item in items if isinstance(items, list) else []:
        if not isinstance(item, dict):
            continue
        # A server's copy of remote media is a cache it purges after a while; `remote_url`
        # is the file at the post's own server, the same through whichever server we read.
        remote = safe_url(item.get("remote_url"))
        url = remote or safe_url(item.get("url"))
        if not url:
            continue
        preview = safe_url(item.get("preview_remote_url")) if remote else safe_url(item.get("preview_url"))
        kind = item.get("type") if item.get("type") in MEDIA_TYPES else "unknown"
        media.append(Media(type=kind, url=url, preview_url=preview, alt=clean_text(_str(item.get("description")))))
    return media


def _reply_to(status: dict, server: str) -> str | None:
    """The parent status: its web URL on its own server where that can be derived.

    Else its API URL on the server we read: `in_reply_to_id` is that server's id, which means
    nothing elsewhere but stays the same every time that server is read.
    """
    parent = _id(status.get("in_reply_to_id"))
    if parent is None:
        return None
    return _parent_url(status, parent) or f"{server}/api/v1/statuses/{quote(parent, safe='')}"


def _parent_url(status: dict, parent: str) -> str | None:
    """The parent's web URL when both it and the reply are local to the server we read.

    Then the parent's id is its id at home too, and Mastodon's local status URLs are
    `{profile URL}/{id}`: used only when this very status shows the server builds them so.
    The parent's author is the reply's own (a thread) or a local account it mentions.
    """
    account = status["account"]
    profile, own = safe_url(account.get("url")), _id(status.get("id"))
    if "@" in _str(account.get("acct")) or not profile or safe_url(status.get("url")) != f"{profile}/{own}":
        return None
    who = _id(status.get("in_reply_to_account_id"))
    if who is None:
        return None
    if who == _id(account.get("id")):
        home = profile
    else:
        mentioned = [m for m in status.get("mentions") or [] if isinstance(m, dict) and _id(m.get("id")) == who]
        if len(mentioned) != 1 or "@" in _str(mentioned[0].get("acct")):
            return None
        home = safe_url(mentioned[0].get("url"))
        if not home or host_of(home) != host_of(profile):
            return None
    return safe_url(f"{home}/{quote(parent, safe='')}")


def _id(value: Any) -> str | None:
    """An id as a short string (servers send strings; some send numbers)."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    return value if isinstance(value, str) and value.strip() and len(value) <= 100 else None


def _count(status: dict, name: str) -> int:
    value = status.get(name)
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else 0


def _flag(value: Any) -> bool | None:
    return value if isinstance(value, bool) else None
