"""`backchannel import`: Post JSONL in, every good line kept, every bad line reported by number.

Other tools' exports (twarc, Twitter archives, TAGS, Mastodon and Bluesky exports) come in
through `import_file`, which tells the format from the first bytes and hands each record of
a reader in `backchannel.importers` to the same store path as our own JSONL.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import BinaryIO, Callable, Iterable

from backchannel.models import Media, Post
from backchannel.pipeline import Writer
from backchannel.sanitize import clean_html, clean_text, safe_url
from backchannel.validate import post_from_dict

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
    format: str = "jsonl"
    skipped: dict[str, int] = field(default_factory=dict)  # left out on purpose, by reason
    bytes_read: int = 0  # for a progress display
    bytes_total: int | None = None  # the file's size, when it is a file
    unit: str = "line"  # what `bad` positions count: line, item (of a JSON array) or block (CAR)

    def skip(self, reason: str) -> None:
        self.skipped[reason] = self.skipped.get(reason, 0) + 1

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
                 progress: Callable[[ImportReport], None] | None = None,
                 keep: Callable[[Post], bool] | None = None,
                 report: ImportReport | None = None) -> ImportReport:
    """Read Post JSONL from `stream` and store every valid line (in batches).

    `keep` (e.g. the event's hashtags and window) leaves out the posts it returns False for.
    """
    report = report or ImportReport()
    pending: list[Post] = []
    for number, raw in enumerate(_lines(stream, report), 1):
        report.lines = number
        if progress and number % 256 == 0:
            progress(report)  # a rate and a time left, not only one jump per batch
        if raw is None:
            continue
        if not raw.strip():
            continue
        try:
            post = parse_line(raw)
            if keep is None or keep(post):
                pending.append(post)
            else:
                report.skip(OUTSIDE)
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


OUTSIDE = "outside the event (hashtags or dates)"


def import_file(stream: BinaryIO, writer: Writer, fmt: str | None = None,
                keep: Callable[[Post], bool] | None = None,
                progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """Import any supported file: the format is told from its first bytes unless `fmt` names it.

    A Twitter archive .zip or a Mastodon export .tar.gz is opened and the file inside that
    holds the posts is read. Raises InputError when the format cannot be told.
    `progress(report)` is called after every batch; `report.bytes_read` /
    `report.bytes_total` say how far the file is read.
    """
    from backchannel.importers import FORMATS, reader
    from backchannel.importers.containers import kind, open_archive
    from backchannel.importers.stream import Counted

    counted = Counted.wrap(stream)
    name = str(getattr(stream, "name", "-"))
    report = ImportReport(bytes_total=counted.size)
    tick = (lambda r: progress(_read(r, counted))) if progress else None
    archive = kind(counted.head)
    if archive is None:
        report.format = fmt or _sniff(counted.head, name)
        if report.format == "jsonl":
            return _read(import_jsonl(counted.buffered(), writer, tick, keep, report), counted)
        parts = [(counted.buffered(), name)]
        sibling = None
    else:
        members, sibling = open_archive(counted.buffered(), name, archive)
        parts = [(m.stream, m.name) for m in members]
        first = Counted.wrap(parts[0][0])
        report.format = fmt or _sniff(first.head, parts[0][1])
        parts[0] = (first.buffered(), parts[0][1])
        if report.format == "jsonl":
            return _read(import_jsonl(parts[0][0], writer, tick, keep, report), counted)
    read = reader(report.format)
    report.unit = FORMATS[report.format].unit
    items = (item for stream_, part in parts for item in _named(read(stream_, part, sibling), part, len(parts)))
    return _read(import_items(items, writer, keep, tick, report), counted)


def import_into(config, stream: BinaryIO, fmt: str | None = None, event_only: bool = False,
                progress: Callable[[ImportReport], None] | None = None) -> ImportReport:
    """`backchannel import`: `stream` into the archive and index of `config`, through the
    one writer. `event_only` keeps only posts with one of the event's hashtags, in its dates."""
    from backchannel.importers import event_filter
    from backchannel.pipeline import open_writer

    keep = event_filter(config.event) if event_only else None
    with open_writer(config, index_process=True) as writer:
        return import_file(stream, writer, fmt, keep, progress)


def _named(items: Iterable, part: str, parts: int) -> Iterable:
    """Name the part file in problems when an archive splits its posts over several files."""
    for item in items:
        if parts > 1 and item.problem:
            item.problem = f"{part.rsplit(':', 1)[-1]}: {item.problem}"
        yield item


def import_items(items: Iterable, writer: Writer, keep: Callable[[Post], bool] | None,
                 progress: Callable[[ImportReport], None] | None, report: ImportReport) -> ImportReport:
    """Store the posts a format reader yields; count its skips, report its bad records."""
    pending: list[Post] = []
    for seen, item in enumerate(items, 1):
        report.lines = item.position
        if progress and seen % 1000 == 0:
            progress(report)  # also while a long stretch is skipped (--event on a whole history)
        if item.problem:
            report.bad.append((item.position, item.problem))
            continue
        if item.skip or item.post is None:
            report.skip(item.skip or "nothing to import")
            continue
        try:
            post = sanitise(post_from_dict(item.post), item.raw)
        except ValueError as exc:
            report.bad.append((item.position, str(exc)))
            continue
        post.uri = item.uri or post.id
        if keep is None or keep(post):
            pending.append(post)
        else:
            report.skip(OUTSIDE)
        if len(pending) >= BATCH:
            _flush(writer, pending, report)
            if progress:
                progress(report)
    _flush(writer, pending, report)
    return report


def _sniff(head: bytes, name: str) -> str:
    from backchannel.errors import InputError
    from backchannel.importers import FORMATS, sniff

    found = sniff(head)
    named_lines = name.lower().endswith((".jsonl", ".ndjson", ".jsonl.gz"))
    if found in ("tweets-js", "outbox", "bluesky-car") and named_lines:
        found = None  # a file named as JSON lines is read line by line; a first line that looks
        #              like another format is one bad line, not a reason to lose the rest
    if not found and (named_lines or name in ("-", "<stdin>")):
        found = "jsonl"  # named as JSON lines (or standard input, as always): each line is reported
    if not found:
        raise InputError(f"{name}: cannot tell the file's format; pass --format "
                         f"({', '.join(FORMATS)})")
    return found


def _read(report: ImportReport, counted) -> ImportReport:
    report.bytes_read = counted.count
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
