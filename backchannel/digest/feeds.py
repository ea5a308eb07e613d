"""The digest's non-HTML files: `feed.xml` (Atom, the top takeaways), `recap.md` (a Markdown
recap per talk: takeaways, key points, answered questions; to paste into a blog post or
newsletter) and `posts.jsonl` (the published posts, answers included, in the Post JSONL
schema, with kind, score, talk, talk_code and answer_to).

Untrusted text is handled per format: the feed is built with ElementTree (always
well-formed; characters XML cannot hold are dropped) and its HTML content is sanitised
again; the recap escapes Markdown and HTML punctuation so nothing in a post becomes markup
when the recap is pasted elsewhere.
"""

from __future__ import annotations

import html
import json
import re
import uuid
import xml.etree.ElementTree as ET
from datetime import datetime, timezone
from typing import Iterator, Mapping

from backchannel.digest.answers import Answered
from backchannel.digest.keypoints import Point
from backchannel.digest.model import Grouped, Item, rank_items
from backchannel.digest.ranking import Ranked
from backchannel.models import Post, format_time
from backchannel.sanitize import clean_html, safe_url, text_to_html

ATOM = "http://www.w3.org/2005/Atom"
FEED_ENTRIES = 20
RECAP_ANSWERS = 5  # answered questions per talk (or per day, outside the talks) in recap.md
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()<>#+!|~&])")


def xml_text(value: str | None) -> str:
    """Text an XML 1.0 document can hold."""
    return _NOT_XML.sub("", value or "")


def atom_feed(g: Grouped, title: str, base_url: str) -> bytes:
    """An Atom feed of the top takeaways; links are absolute when base_url is set."""
    ET.register_namespace("", ATOM)
    feed = ET.Element(f"{{{ATOM}}}feed")
    base = base_url.rstrip("/") + "/" if base_url else ""
    top = g.top_takeaways[:FEED_ENTRIES]
    _sub(feed, "title", f"Top takeaways from {title}")
    _sub(feed, "id", base + "feed.xml" if base else f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'backchannel:' + title)}")
    # The feed changes only when its entries do: a rebuild with nothing new rewrites nothing.
    stamps = [(r.item.post.edited_at or r.item.post.created_at) for r in top]
    _sub(feed, "updated", format_time(max(stamps) if stamps else datetime(1970, 1, 1, tzinfo=timezone.utc)))
    ET.SubElement(feed, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=base + "index.html")
    if base:
        ET.SubElement(feed, f"{{{ATOM}}}link", rel="self", type="application/atom+xml", href=base + "feed.xml")
    _sub(feed, "generator", "backchannel")
    for r in top:
        feed.append(_entry(r, base))
    return ET.tostring(feed, encoding="utf-8", xml_declaration=True) + b"\n"


def _entry(r: Ranked, base: str) -> ET.Element:
    it = r.item
    p = it.post
    name = p.author.name or p.author.handle or "Someone"
    entry = ET.Element(f"{{{ATOM}}}entry")
    title = f"{name}: {one_line(p.text, 90)}"
    _sub(entry, "title", f"[CW: {p.content_warning}] {name}" if p.content_warning else title)
    _sub(entry, "id", f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, 'backchannel-post:' + p.id)}")
    _sub(entry, "published", format_time(p.created_at))
    _sub(entry, "updated", format_time(p.edited_at or p.created_at))
    ET.SubElement(entry, f"{{{ATOM}}}link", rel="alternate", type="text/html", href=base + it.path)
    original = safe_url(p.url)
    if original:
        ET.SubElement(entry, f"{{{ATOM}}}link", rel="via", href=original)
    author = ET.SubElement(entry, f"{{{ATOM}}}author")
    _sub(author, "name", name)
    if safe_url(p.author.url):
        _sub(author, "uri", safe_url(p.author.url))
    body = clean_html(p.html) if p.html else text_to_html(p.text)
    if p.content_warning:
        body = f"<p><strong>Content warning:</strong> {html.escape(p.content_warning)}</p>" + body
    if it.talk:
        body += f"<p>From the talk “{html.escape(it.talk.title)}”.</p>"
    content = _sub(entry, "content", body)
    content.set("type", "html")
    return entry


def _sub(parent: ET.Element, tag: str, text: str | None) -> ET.Element:
    child = ET.SubElement(parent, f"{{{ATOM}}}{tag}")
    child.text = xml_text(text)
    return child


def one_line(text: str, limit: int) -> str:
    flat = " ".join((text or "").split())
    return flat if len(flat) <= limit else flat[:limit - 1].rsplit(" ", 1)[0] + "…"


def md(text: str) -> str:
    """Plain text as inert Markdown on one line: punctuation that could start markup is
    escaped, and line breaks (which could start a heading, a list or a rule) become spaces."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def md_link(label: str, url: str | None) -> str:
    url = safe_url(url)
    return f"[{md(label)}](<{url}>)" if url else md(label)


def recap(g: Grouped, title: str, dates: str, base_url: str, when) -> str:
    """The event's key points and takeaways, then per talk (its takeaways, key points and
    answered questions), then per day for the rest, as Markdown."""
    base = base_url.rstrip("/") + "/" if base_url else ""
    out = [f"# What people took away from {md(title)}", ""]  # one phrase, whatever the title
    if g.items:
        people = len(g.people)
        facts = f"{len(g.items):,} posts from {people:,} {'person' if people == 1 else 'people'}"
        out += [(md(dates) + ". " if dates else "") + facts + (f". The full digest: <{base}>" if base else "."), ""]
    out += _points_block("Key points", g.key_points(limit=10), when, talks=True)
    out += _block("Top takeaways", g.top_takeaways[:10], when)
    for s in g.talk_sections:
        ranked = g.highlights(s)["takeaway"][:5]
        points = g.key_points(s, limit=5)
        done = g.questions(s, limit=RECAP_ANSWERS)[0]
        if ranked or points or done:
            t = s.talk
            meta = ", ".join(x for x in (when(t.start) if t.start else "", t.room, ", ".join(t.speakers)) if x)
            out += [f"## {md(s.title + (f' ({meta})' if meta else ''))}", ""] + _lines(ranked, when)
            out += _points_block("Key points", points, when, level=3)
            out += _answers_block(done, when)
    for d in g.days:
        loose = [it for it in d.items if it.kind == "takeaway" and not it.talk]
        ranked = rank_items(loose, 5)
        done = [a for a in g.questions(d, limit=RECAP_ANSWERS)[0] if not a.question.talk] if g.talks else []
        if ranked or done:
            out += [f"## {md(f'Beyond the talks on {d.title}' if g.talks else d.title)}", ""] + _lines(ranked, when)
            out += _answers_block(done, when)
    return "\n".join(out).rstrip() + "\n"


def _block(heading: str, ranked: list[Ranked], when) -> list[str]:
    if not ranked:
        return []
    return [f"## {md(heading)}", ""] + _lines(ranked, when)


def _lines(ranked: list[Ranked], when) -> list[str]:
    if not ranked:
        return []
    return [f"- {_quote(r.item.post, when)}" for r in ranked] + [""]


def _quote(p: Post, when) -> str:
    """A post on one line: “its text” — its author, the time linking to the original."""
    name = p.author.name or p.author.handle or "someone"
    cw = f"(CW: {md(p.content_warning)}) " if p.content_warning else ""
    return f"{cw}“{md(one_line(p.text, 280))}” — {md_link(name, p.author.url)}, {md_link(when(p.created_at), p.url)}"


def _answers_block(done: list[Answered], when) -> list[str]:
    """Each answered question, with its best answer (a speaker's first) under it."""
    if not done:
        return []
    lines = ["### Answered questions", ""]
    for a in done:
        label = "The speaker answered" if a.by_speaker else "Best answer"
        more = len(a.answers) - 1
        lines.append(f"- {_quote(a.question.post, when)}")
        lines.append(f"  - **{label}:** {_quote(a.best.post, when)}"
                     + (f" ({more} more {'answer' if more == 1 else 'answers'} in the digest)" if more else ""))
    return lines + [""]


def _points_block(heading: str, points: list[Point[Item]], when, level: int = 2, talks: bool = False) -> list[str]:
    """Each point: how many people made it, its clearest post, and every post making it."""
    if not points:
        return []
    lines = [f"{'#' * level} {md(heading)}", ""]
    for kp in points:
        who = f"{kp.support:,} {'person' if kp.support == 1 else 'people'}"
        talk = f" (“{md(kp.item.talk.title)}”)" if talks and kp.item.talk else ""
        line = f"- **{who}**{talk}: {_quote(kp.item.post, when)}"
        if kp.similar:
            line += "; also " + ", ".join(md_link(m.post.author.name or m.post.author.handle or "someone", m.post.url)
                                          for m in kp.similar)
        lines.append(line)
    return lines + [""]


def published(items: list[Item], answered: Mapping[str, Answered]) -> list[tuple[Item, str | None]]:
    """Every published post, oldest first, each with the question it answers (or None): the
    digest's items and the replies it shows as answers (most carry no event hashtag)."""
    answer_to = {r.post.id: qid for qid, a in answered.items() for r in a.answers}
    listed = {it.post.id for it in items}
    extra = list({r.post.id: r for a in answered.values() for r in a.answers if r.post.id not in listed}.values())
    if extra:
        items = sorted(items + extra, key=lambda it: (it.post.created_at, it.post.id))
    return [(it, answer_to.get(it.post.id)) for it in items]


def posts_jsonl(posts: list[tuple[Item, str | None]], batch: int = 2000) -> Iterator[bytes]:
    """`published` posts, one Post JSONL object per line with what the digest derived: the
    talk's code as organisers call it (`talk_code`) and the question a reply answers
    (`answer_to`), in pieces."""
    dumps = json.JSONEncoder(ensure_ascii=False).encode
    for start in range(0, len(posts), batch):
        lines = "".join(dumps({**record(it.post), "talk_code": it.talk.code if it.talk else None,
                               "answer_to": question}) + "\n"
                        for it, question in posts[start:start + batch])
        yield lines.encode("utf-8", "replace")


def record(p: Post) -> dict:
    """`Post.to_dict()`, without dataclasses.asdict's deep copies (5× faster at 100,000 posts);
    a test checks the two agree."""
    a, m = p.author, p.metrics
    return {
        "id": p.id, "source": p.source, "url": p.url,
        "author": {"handle": a.handle, "name": a.name, "url": a.url},
        "created_at": format_time(p.created_at), "text": p.text, "html": p.html, "lang": p.lang,
        "tags": list(p.tags), "links": list(p.links),
        "media": [{"type": x.type, "url": x.url, "preview_url": x.preview_url, "alt": x.alt} for x in p.media],
        "reply_to": p.reply_to, "is_repost": p.is_repost,
        "metrics": {"likes": m.likes, "reposts": m.reposts, "replies": m.replies, "quotes": m.quotes},
        "sensitive": p.sensitive, "content_warning": p.content_warning, "edited_at": format_time(p.edited_at),
        "consent": {"indexable": p.indexable, "discoverable": p.discoverable},
        "kind": p.kind, "score": p.score, "talk": p.talk, "talk_reason": p.talk_reason,
    }
