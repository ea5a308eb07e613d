"""In-browser search: a static index of our own, written with the pages, read by static/search.js.

Pagefind ranked every match of every word in the browser: a word in a fifth of 100,000
posts cost 0.8 s and two common words 440–600 KB (README § Performance). This index does the
ranking at build time instead, so the browser only intersects lists of numbers:

- Every searchable post gets a number, in time order (new posts land at the end, so a
  refresh during the event rewrites little).
- `search/i/t/<bucket>.bin`: the words whose FNV-1a hash falls in that bucket, each with its
  list of post numbers (ascending, delta-encoded as varints). A common word's list is a
  file of its own (`t/<bucket>-<n>.bin`), so a query for a rare word never loads it. The
  search page lists these common words (`SearchReport.common`), so a query for one fetches
  its own file straight away instead of its bucket first.
- `search/i/cols.bin`: one column per filter (kind, source, day, talk, language: a code per
  post) and one of rank (a byte per post: kind and engagement). Filtering, counting the
  filters and ordering the matches all happen on these columns, in the browser.
- `search/i/d/<n>.bin`: what a result shows (author, time, kind, source, talk, content
  warning, text) for 16 consecutive posts; a page of results loads only the files it shows.

The files are gzip (the browser's DecompressionStream reads them), whatever the host does:
lists of numbers shrink to about half, result texts to a third. Everything is plain static files: no server side, works offline.
Only posts whose authors allow full-text search (`Post.searchable`) are in it.
"""

from __future__ import annotations

import gzip
import hashlib
import json
import math
import re
import shutil
import time
import unicodedata
from collections import Counter
from dataclasses import dataclass, field
from typing import Callable

from backchannel.digest.model import Item
from backchannel.names import KIND_LABELS

FORMAT = 2  # 2: the common words are listed for the search page
FOLDER = "search/i"
GROUP = 16  # posts per result file
BUCKET_BYTES = 4096  # aim for this many bytes of lists per bucket
OWN_FILE = 1024  # a list longer than this (bytes) gets a file of its own
MAX_WORD = 60  # longer "words" (hashes, base64) are not indexed
EXCERPT = 600  # characters of text a result carries
FILTERS = (("kind", "Kind"), ("source", "Source"), ("day", "Day"), ("talk", "Talk"), ("language", "Language"))

# Chinese and Japanese are written without spaces: each character is a word (as in
# `backchannel search`). The same two patterns are in static/search.js.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_WORD = re.compile(f"[{_CJK}]|(?:(?![{_CJK}])[^\\W_])+")
_PLAIN = re.compile(r"[^\W_]+")  # the same where there is no Chinese or Japanese: twice as fast
_HAS_CJK = re.compile(f"[{_CJK}]")


def words(text: str) -> list[str]:
    """The words search matches on: NFKC, lower case, letters and digits only, a plural's
    final "s" dropped ("nurses" finds "nurse"). static/search.js does exactly the same."""
    return [w for w in map(_fold, _tokens(text)) if len(w) <= MAX_WORD]


def word_set(text: str) -> set[str]:
    """`set(words(text))`, folding each distinct word once (a blog recap repeats many)."""
    found = {w[:-1] if len(w) > 3 and w[-1] == "s" and w[-2] != "s" else w for w in set(_tokens(text))}
    return {w for w in found if len(w) <= MAX_WORD} if any(len(w) > MAX_WORD for w in found) else found


def _tokens(text: str) -> list[str]:
    text = unicodedata.normalize("NFKC", text).lower()
    return (_WORD if _HAS_CJK.search(text) else _PLAIN).findall(text)


def _fold(w: str) -> str:
    return w[:-1] if len(w) > 3 and w[-1] == "s" and w[-2] != "s" else w


def fnv1a(word: str) -> int:
    h = 0x811C9DC5
    for b in word.encode("utf-8"):
        h = ((h ^ b) * 0x01000193) & 0xFFFFFFFF
    return h


@dataclass
class Facet:
    name: str  # kind, source, day, talk, language
    label: str
    values: list[tuple[str, int]]  # (value as pages write it, searchable posts), in the order shown
    width: int = 1  # bytes per post in the column


@dataclass
class SearchReport:
    posts: int = 0  # posts in the index
    words: int = 0
    files: int = 0
    seconds: float = 0.0
    error: str | None = None
    facets: list[Facet] = field(default_factory=list)
    buckets: int = 1
    tag: str = ""  # changes whenever a file of the index does: the browser fetches ?v=<tag>
    common: dict[str, list[int]] = field(default_factory=dict)  # word → [bucket, n, posts]: its own file


def write_index(writer, items: list[Item], when: Callable, source_label: Callable,
                language_name: Callable) -> SearchReport:
    """Write the index of the searchable `items` under `search/i/` through `writer` (a
    SiteWriter: unchanged files are not rewritten). Returns what the search page needs."""
    started = time.perf_counter()
    docs = sorted((it for it in items if it.post.searchable), key=lambda it: (it.local, it.path))
    labels = {
        "kind": lambda it: KIND_LABELS[it.kind],
        "source": lambda it: source_label(it.post.source),
        "day": lambda it: when(it.post.created_at, "date"),
        "talk": lambda it: it.talk.title if it.talk else None,
        "language": lambda it: language_name(it.post.lang),
    }
    values = {name: [labels[name](it) for it in docs] for name, _ in FILTERS}
    facets = _facets(values, docs)
    report = SearchReport(posts=len(docs), facets=facets)

    # result files: what each result shows, 16 posts a file
    for g in range(0, len(docs), GROUP):
        members = docs[g:g + GROUP]
        page_key = hashlib.blake2b(repr([(it.sfp, it.path) for it in members]).encode(), digest_size=10).hexdigest()
        writer.page(f"{FOLDER}/d/{g // GROUP}.bin", page_key,
                    lambda members=members, g=g: _results_file(members, g, values, when))
        report.files += 1

    # columns: filters and rank; always small, always written (unchanged bytes are not rewritten)
    ranks = bytes(_rank(it) for it in docs)
    cols = _gzip(b"".join(_column(f, values[f.name]) for f in facets) + ranks)
    writer.write(f"{FOLDER}/cols.bin", cols)
    report.files += 1

    # word lists: only when what is indexed changed
    signature = hashlib.blake2b(repr((FORMAT, [(it.sfp, it.path) for it in docs])).encode(),
                                digest_size=12).hexdigest()
    state = writer.extra.get("search") or {}
    files = state.get("files") if state.get("key") == signature and _common_ok(state.get("common")) else None
    if files and all(writer.fresh(path, signature) for path in files):
        report.buckets, report.words, report.common = state["buckets"], state["words"], state["common"]
    else:
        lists = _lists(docs)
        report.words = len(lists)
        report.buckets, blobs, report.common = _buckets(lists)
        files = []
        for path, blob in blobs:
            writer.write(path, blob, signature)
            files.append(path)
        writer.extra["search"] = {"key": signature, "files": files, "buckets": report.buckets,
                                  "words": report.words, "common": report.common}
    report.files += len(files)
    report.tag = hashlib.blake2b(cols + signature.encode(), digest_size=6).hexdigest()
    report.seconds = time.perf_counter() - started
    return report


def _facets(values: dict[str, list], docs: list[Item]) -> list[Facet]:
    """The filters worth showing (more than one value), values ordered as the page lists them."""
    out = []
    for name, label in FILTERS:
        counts = Counter(v for v in values[name] if v is not None)
        if name == "day":  # in time order
            first = {}
            for it, v in zip(docs, values[name]):
                first.setdefault(v, it.day)
            order = sorted(counts.items(), key=lambda kv: first[kv[0]])
        else:
            order = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
        if len(order) > 1:
            out.append(Facet(name, label, order, 1 if len(order) < 255 else 2))
    return out


def _column(facet: Facet, values: list) -> bytes:
    """A code per post: 0 for none, else the value's place in `facet.values` plus one."""
    code = {v: i for i, (v, _) in enumerate(facet.values, 1)}
    if facet.width == 1:
        return bytes(code.get(v, 0) for v in values)
    return b"".join(code.get(v, 0).to_bytes(2, "little") for v in values)


def _rank(it: Item) -> int:
    """0–255: what comes first among equal matches. A classified post (takeaway, question,
    resource, thanks) before chatter, then by likes, reposts and replies (log scale)."""
    kind = 0 if it.kind == "other" else 96
    return min(255, kind + int(24 * math.log2(1 + it.engagement)))


def _results_file(members: list[Item], first: int, values: dict[str, list], when: Callable) -> bytes:
    rows = []
    for n, it in enumerate(members, first):
        p = it.post
        text = p.text if len(p.text) <= EXCERPT else p.text[:EXCERPT].rsplit(" ", 1)[0] + " …"
        rows.append({"url": it.path, "author": p.author.name or p.author.handle or "Someone",
                     "when": when(p.created_at), "kind": values["kind"][n], "source": values["source"][n],
                     "talk": values["talk"][n] or "", "cw": p.content_warning or "", "text": text})
    return _gzip(json.dumps(rows, ensure_ascii=False, separators=(",", ":")).encode())


def _lists(docs: list[Item]) -> dict[str, tuple[int, bytes]]:
    """Each word's post numbers, delta-encoded varints (each number minus the one before,
    minus one: most are under 128, one byte), with how many there are."""
    numbers: dict[str, list[int]] = {}
    for n, it in enumerate(docs):
        p = it.post
        for w in word_set(" ".join((p.text, p.content_warning or "", p.author.name or ""))):
            found = numbers.get(w)
            if found is None:
                numbers[w] = [n]
            else:
                found.append(n)
    return {w: (len(ns), _encode(ns)) for w, ns in numbers.items()}


def _encode(numbers: list[int]) -> bytes:
    deltas = [b - a - 1 for a, b in zip([-1, *numbers], numbers)]
    if max(deltas) < 0x80:
        return bytes(deltas)
    buf = bytearray()
    for d in deltas:
        _varint(buf, d)
    return bytes(buf)


def _buckets(lists: dict[str, tuple[int, bytes]]) -> tuple[int, list[tuple[str, bytes]], dict[str, list[int]]]:
    """(bucket count, [(path, gzip bytes)], common words): a power of two, about
    BUCKET_BYTES of lists each; each common word as [bucket, n, posts].

    A bucket file: for each word, its length and UTF-8 bytes, its post count, then either 0
    and the list inline (length, bytes) or 1 and n: the list is in `<bucket>-<n>.bin`.
    """
    total = sum(len(data) for _, data in lists.values())
    buckets = 1
    while buckets < 8192 and buckets * BUCKET_BYTES < total:
        buckets *= 2
    grouped: dict[int, list[str]] = {}
    for w in lists:
        grouped.setdefault(fnv1a(w) % buckets, []).append(w)
    out = []
    common: dict[str, list[int]] = {}
    for b in range(buckets):
        buf = bytearray()
        own = 0
        names = sorted(grouped.get(b, []))
        _varint(buf, len(names))
        for w in names:
            raw = w.encode("utf-8")
            count, data = lists[w]
            _varint(buf, len(raw))
            buf += raw
            _varint(buf, count)
            if len(data) > OWN_FILE:
                own += 1
                _varint(buf, 1)
                _varint(buf, own)
                common[w] = [b, own, count]
                out.append((f"{FOLDER}/t/{b}-{own}.bin", _gzip(bytes(data))))
            else:
                _varint(buf, 0)
                _varint(buf, len(data))
                buf += data
        out.append((f"{FOLDER}/t/{b}.bin", _gzip(bytes(buf))))
    return buckets, out, common


def _common_ok(common: object) -> bool:
    """The common words as a manifest kept them (it is read back from disk: checked)."""
    return isinstance(common, dict) and all(
        isinstance(v, list) and len(v) == 3 and all(type(n) is int for n in v) for v in common.values())


def _varint(buf: bytearray, n: int) -> None:
    while n >= 0x80:
        buf.append((n & 0x7F) | 0x80)
        n >>= 7
    buf.append(n)


def _gzip(data: bytes) -> bytes:
    return gzip.compress(data, compresslevel=6, mtime=0)


def remove_pagefind(out) -> None:
    """Digests built before this index searched with Pagefind, in `pagefind/<shard>/`
    folders: removed once every folder there is one of Pagefind's (nothing else of the user's)."""
    folder = out / "pagefind"
    if not folder.is_dir() or folder.is_symlink():
        return
    children = list(folder.iterdir())
    if all(c.is_dir() and not c.is_symlink() and (c / "pagefind-entry.json").is_file() for c in children):
        shutil.rmtree(folder, ignore_errors=True)
