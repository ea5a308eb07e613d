"""`backchannel import`: Post JSONL in, every good line kept, every bad line reported by number."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import BinaryIO, Callable

from .models import Media, Post
from .pipeline import Writer
from .sanitize import clean_html, clean_text, safe_url
from .validate import post_from_dict

BATCH = 2000
# Bytes per line (4 MiB). A post is a few KB; the longest an export can hold is a blog post
# cut at 200,000 characters, as text and as HTML, in a script of 3-byte characters (~1.3 MB).
MAX_LINE = 4 << 20
MAX_SKIP = 64 << 20  # after a too-long line, bytes searched for the next line end before giving up


@dataclass
class ImportReport:
    lines: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    refused: int = 0  # deleted earlier (tombstoned): not brought back
    blocked: int = 0
    bad: list[tuple[int, str]] = field(default_factory=list)
    stopped: bool = False  # gave up on the rest of the file (no line ends in sight)

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
    except RecursionError:
        raise ValueError("nested too deeply") from None
    post = post_from_dict(data)
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
    for number, raw in enumerate(_lines(stream, report), 1):
        report.lines = number
        if raw is None:
            continue
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


def _lines(stream: BinaryIO, report: ImportReport):
    """The stream's lines, none longer than MAX_LINE: a longer one is reported (and yields None)."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE + 1)
        if not raw:
            return
        number += 1
        if len(raw) <= MAX_LINE or raw.endswith(b"\n"):
            yield raw
            continue
        report.bad.append((number, f"line too long (over {MAX_LINE:,} bytes); skipped"))
        yield None
        skipped = 0
        while not raw.endswith(b"\n"):
            raw = stream.readline(MAX_LINE)
            skipped += len(raw)
            if not raw:
                return
            if skipped > MAX_SKIP:
                report.bad[-1] = (number, f"line too long, and no line end in the next {MAX_SKIP >> 20} MiB: "
                                          "stopped reading (is this a JSONL file?)")
                report.stopped = True
                return


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
