"""Untrusted text in, safe text out. Applied once, where data enters (the collectors).

Everything from a source is hostile: post bodies, display names, feed HTML, URLs. Post HTML
goes through nh3 with a small set of tags, links restricted to http/https and marked
`rel="nofollow noopener ugc"`; images are dropped from bodies (media travel separately in
`Post.media`, so the digest decides whether and how to show them).
"""

from __future__ import annotations

import html as htmllib
import re
from urllib.parse import urljoin, urlsplit

import nh3

TAGS = {
    "a", "p", "br", "strong", "em", "b", "i", "u", "s", "del", "ins", "code", "pre",
    "blockquote", "ul", "ol", "li", "h2", "h3", "h4", "h5", "h6", "span", "sub", "sup",
    "abbr", "cite", "q", "small", "mark", "dl", "dt", "dd", "hr",
}
LINK_REL = "nofollow noopener ugc"
_DROP_WITH_CONTENT = {"script", "style", "template", "noscript", "iframe", "object", "svg", "math", "title"}
_BLOCK = re.compile(r"</?(p|br|div|li|ul|ol|blockquote|pre|h[1-6]|tr|dt|dd|hr)\b[^>]*>", re.I)
_TAG = re.compile(r"<[^>]*>")
_SPACE = re.compile(r"[ \t\f\v\u00a0]+")
_LINES = re.compile(r"\s*\n\s*")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_UNSAFE_IN_URL = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u200b-\u200f\u2028-\u202e\u2066-\u2069\ufeff\ud800-\udfff]")
# What a terminal would act on: C0/C1 controls (ESC starts a sequence, CR overwrites the line),
# DEL, and the bidirectional overrides that make text read differently than it is.
_TERMINAL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")


def safe_url(url: str | None, base: str | None = None) -> str | None:
    """The URL if it is http(s) (relative ones resolved against `base`), else None.

    Surrounding spaces are trimmed; a URL with whitespace or a control character inside is
    refused (a newline in a URL would start a new line in recap.md, a log or a terminal).
    """
    if not url or not isinstance(url, str):
        return None
    url = url.strip(" \t\n\r")
    if _UNSAFE_IN_URL.search(url):
        return None
    if base:
        try:
            url = urljoin(base, url)
        except ValueError:
            return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    if any(c in url for c in ' "<>`'):
        return None
    return url


def clean_html(fragment: str | None, base: str | None = None) -> str:
    """Sanitise an HTML fragment for a published page.

    Relative links are resolved against `base` when given, and dropped otherwise.
    """
    if not fragment:
        return ""
    relative = ("rewrite_with_base", base) if safe_url(base) else "deny"
    return nh3.clean(
        _CONTROL.sub("", fragment),
        tags=TAGS,
        clean_content_tags=_DROP_WITH_CONTENT,
        attributes={"a": {"href", "title"}, "abbr": {"title"}, "span": {"lang"}},
        link_rel=LINK_REL,
        url_schemes={"http", "https"},
        url_relative=relative,
        strip_comments=True,
    )


def html_to_text(fragment: str | None) -> str:
    """Plain text of an HTML fragment: tags gone, entities decoded, lines kept."""
    if not fragment:
        return ""
    cleaned = nh3.clean(fragment, tags={"p", "br", "li", "div", "blockquote", "pre"},
                        clean_content_tags=_DROP_WITH_CONTENT, attributes={})
    text = _BLOCK.sub("\n", cleaned)
    text = htmllib.unescape(_TAG.sub("", text))
    text = _SPACE.sub(" ", _CONTROL.sub("", text))
    return _LINES.sub("\n", text).strip()


def clean_text(value: str | None, limit: int | None = None) -> str:
    """A one-line plain string (a display name, a title): no markup, no control characters."""
    if not value:
        return ""
    text = html_to_text(value) if "<" in value or "&" in value else value
    text = " ".join(_CONTROL.sub("", text).split())
    return text[:limit] if limit else text


def terminal_text(value: object) -> str:
    """`value` as text that is safe to print: no escape sequences, no carriage returns.

    Tabs and newlines stay (the caller lays out lines); everything else a terminal would act
    on is removed. For anything printed that came from a source, a file or a server.
    """
    return _TERMINAL.sub("", str(value))


_HREF = re.compile(r'href="([^"]+)"')


def html_links(html: str | None) -> list[str]:
    """The links in a post's sanitised HTML (its `href` attributes), as written."""
    return _HREF.findall(html) if html and "href" in html else []


def url_key(url: str) -> str:
    """A URL as two posts that mean the same page compare it: no scheme, fragment or trailing
    slash, lower case."""
    return url.split("://", 1)[-1].split("#")[0].rstrip("/").lower()


def terminal_line(value: object, limit: int | None = None, show: bool = False) -> str:
    """`value` on one line, safe to print, cut to `limit` characters with an ellipsis.

    Whitespace runs become one space. Other control characters and bidi overrides are removed,
    or with `show` written out (`\\x1b`) so that a reader sees what a source sent.
    """
    text = str(value if value is not None else "")
    text = _TERMINAL.sub(_shown if show else "", text)
    text = " ".join(text.split())
    return text if limit is None or len(text) <= limit else text[:limit - 1] + "…"


def _shown(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 256 else f"\\u{code:04x}"


def text_to_html(text: str) -> str:
    """Escape plain text into paragraphs, for sources that only give text."""
    paragraphs = [p for p in re.split(r"\n\s*\n", text.strip()) if p.strip()]
    return "".join(
        "<p>" + htmllib.escape(p).replace("\n", "<br>") + "</p>" for p in paragraphs
    )
