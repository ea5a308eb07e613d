"""`backchannel export`: the archive as Post JSONL or CSV (with what the pipeline derived),
or its moderation log.

Nothing is written until there is something to write: an export that finds nothing leaves no
file behind (and an existing one as it was), so a command never reports a file it didn't write.
"""

from __future__ import annotations

import csv
import json
import sys
from dataclasses import asdict
from pathlib import Path
from typing import Iterable, TextIO

from backchannel.errors import BackchannelError
from backchannel.models import Post

FORMATS = ("jsonl", "csv")
# The Post JSONL fields flattened (README "Post JSONL"), plus the source's `uri`.
CSV_COLUMNS = (
    "id", "source", "uri", "url", "author_handle", "author_name", "author_url", "author_links", "created_at",
    "edited_at",
    "text", "html", "lang", "tags", "links", "media", "reply_to", "is_repost", "likes", "reposts", "replies",
    "quotes", "sensitive", "content_warning", "indexable", "discoverable", "kind", "score", "talk", "talk_code",
    "talk_reason",
)


def export(posts: Iterable[Post], out: TextIO, fmt: str = "jsonl", codes: dict[str, str] | None = None) -> int:
    """Write posts to `out`; returns how many. Both formats add each post's `talk_code` (from
    `codes`: talk id → the code organisers use, `talks` table); CSV joins lists with spaces and
    writes `media` as a JSON list of objects (`type`, `url`, `preview_url`, `alt`)."""
    n = 0
    if fmt == "jsonl":
        for post in posts:
            d = post.to_dict()
            if post.talk and (codes or {}).get(post.talk):
                d["talk_code"] = codes[post.talk]  # read back as nothing: import matches again
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
            n += 1
        return n
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, extrasaction="ignore")
    for post in posts:
        if not n:
            writer.writeheader()
        d = post.to_dict()
        d.update({
            "uri": post.uri, "author_handle": post.author.handle, "author_name": post.author.name,
            "author_url": post.author.url, "author_links": " ".join(post.author.links),
            "tags": " ".join(post.tags), "links": " ".join(post.links),
            "media": json.dumps([asdict(m) for m in post.media], ensure_ascii=False) if post.media else "",
            "talk_code": (codes or {}).get(post.talk) if post.talk else None, **d["metrics"], **d["consent"],
        })
        writer.writerow({k: _cell(d.get(k)) for k in CSV_COLUMNS})
        n += 1
    return n


def export_archive(data_dir: Path, path: Path | None, fmt: str = "jsonl", source: str | None = None,
                   include_hidden: bool = False, moderation_log: bool = False,
                   stdout: TextIO | None = None) -> int:
    """`backchannel export`: the archive of `data_dir` (which must exist) to `path`, or to
    `stdout` when `path` is None; returns how many posts (or moderation actions) it wrote.

    Posts a moderator hid are left out unless `include_hidden`. `source` must be a source
    name or one the archive holds. With nothing to export, nothing is written: no file.
    """
    from backchannel.archive import Archive
    from backchannel.checks import sources
    from backchannel.moderation import state

    out = _Output(path, stdout or sys.stdout)
    with Archive.in_dir(data_dir, readonly=True) as archive:
        try:
            if moderation_log:
                n = export_moderation(archive, out, fmt)
            else:
                only = sources([source], archive)[0] if source else None
                hidden = set() if include_hidden else set(state(archive).hidden)
                codes = {row["id"]: row["code"] for row in archive.talk_rows() if row["code"]}
                n = export((p for p in archive.posts(source=only) if p.id not in hidden), out, fmt, codes)
            out.flush()  # a full device fails here at the latest, as one line, not at exit
        except OSError as exc:
            out.close(abandon=True)
            raise BackchannelError(f"{out.name}: cannot write: {exc.strerror}", exit_code=1) from None
        out.close()
    return n


class _Output:
    """A text file opened at the first write (standard output when there is no path)."""

    def __init__(self, path: Path | None, stdout: TextIO):
        self.path, self.stdout, self.fh = path, stdout, None
        self.name = str(path) if path else getattr(stdout, "name", "<stdout>")

    def write(self, text: str) -> int:
        if self.fh is None and self.path is None:
            self.fh = self.stdout
        elif self.fh is None:
            try:
                self.fh = open(self.path, "w", encoding="utf-8", newline="")
            except OSError as exc:  # a folder that isn't there, or isn't ours: a usage error
                raise BackchannelError(f"{self.path}: cannot write: {exc.strerror}") from None
        return self.fh.write(text)

    def flush(self) -> None:
        if self.fh is not None:
            self.fh.flush()

    def close(self, abandon: bool = False) -> None:
        """Close the file (never standard output, unless `abandon`: after a failed write its
        buffer holds what cannot be written, and flushing it again at exit would fail again)."""
        if self.fh is not None and (abandon or self.fh is not self.stdout):
            try:
                self.fh.close()
            except OSError:  # what could not be written is already reported
                pass


def _cell(value):
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return ""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value  # keep spreadsheets from running a post as a formula
    return value


MODERATION_COLUMNS = ("n", "post_id", "action", "reason", "at", "by", "talk")


def export_moderation(archive, out: TextIO, fmt: str = "jsonl") -> int:
    """Write the archive's moderation log (oldest first); returns how many actions."""
    from backchannel.moderation import actions

    log = actions(archive)
    if not log:
        return 0
    if fmt == "jsonl":
        for a in log:
            out.write(json.dumps(a.as_dict(), ensure_ascii=False) + "\n")
        return len(log)
    writer = csv.DictWriter(out, fieldnames=MODERATION_COLUMNS)
    writer.writeheader()
    for a in log:
        writer.writerow({k: _cell(v) for k, v in a.as_dict().items()})
    return len(log)
