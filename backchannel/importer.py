"""`backchannel import`: Post JSONL in, every good line kept, every bad line reported by number."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from .models import Media, Post
from .pipeline import Writer
from .sanitize import clean_html, clean_text, safe_url

BATCH = 2000


@dataclass
class ImportReport:
    lines: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0  # deleted earlier (tombstoned): not brought back
    blocked: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)

    @property
    def good(self) -> int:
        return self.added + self.updated + self.unchanged + self.refused + self.blocked


def parse_line(raw: bytes) -> Post:
    """One JSONL line → a sanitised Post; ValueError says what is wrong with it."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"not UTF-8 (byte {exc.start})") from None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ValueError(f"not valid JSON: {exc.msg} at column {exc.colno}") from None
    post = Post.from_dict(data)
    return sanitise(post, data)


def sanitise(post: Post, data: dict) -> Post:
    """Imported files are as untrusted as any source: clean what will be shown."""
    post.html = clean_html(post.html)
    post.url = safe_url(post.url)
    post.author.url = safe_url(post.author.url)
    post.author.name = clean_text(post.author.name, 200)
    post.author.handle = clean_text(post.author.handle, 200)
    post.links = [u for u in (safe_url(link) for link in post.links) if u]
    post.media = [Media(m.type, safe_url(m.url) or "", safe_url(m.preview_url), clean_text(m.alt, 1500))
                  for m in post.media if safe_url(m.url)]
    post.content_warning = clean_text(post.content_warning, 500) or None
    post.uri = post.id
    post.raw = data
    return post


def import_jsonl(stream: BinaryIO, writer: Writer,
                 progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """Read Post JSONL from `stream` and store every valid line (in batches)."""
    report = ImportReport()
    pending: list[Post] = []
    for number, raw in enumerate(stream, 1):
        report.lines = number
        if not raw.strip():
            continue
        try:
            pending.append(parse_line(raw))
        except ValueError as exc:
            report.bad.append((number, str(exc)))
        if len(pending) >= BATCH:
            _flush(writer, pending, report)
            if progress:
                progress(report)
    _flush(writer, pending, report)
    return report


def _flush(writer: Writer, posts: list[Post], report: ImportReport) -> None:
    if not posts:
        return
    unique = list({p.id: p for p in posts}.values())  # the last copy of an id in a batch wins
    report.unchanged += len(posts) - len(unique)
    result, blocked = writer.store(unique, source="import")
    report.added += len(result.added)
    report.updated += len(result.updated)
    report.unchanged += result.unchanged
    report.refused += result.refused
    report.blocked += blocked
    posts.clear()
