"""Keyword search over the Whoosh index: query parsing, filters, sorting, highlights.

`search()` returns `Hit`s (the post from the archive, its relevance and a highlighted
excerpt); the CLI only formats them.
"""

from __future__ import annotations

import heapq
import re
import sys
from array import array
from dataclasses import dataclass, field, replace
from typing import Iterable, Sequence
from datetime import date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from whoosh import highlight, qparser, query as Q

from backchannel.archive import Archive
from backchannel.errors import InputError
from backchannel.index import Index, schema, seconds
from backchannel.checks import archive_path, kinds, sources
from backchannel.models import Post
from backchannel.talks.names import label, talk_ids
from backchannel.validate import RANGE, in_range

SORTS = ("relevance", "newest", "popular")
FIELDS = {"text", "name", "author", "source", "tags", "tag", "lang", "kind", "talk", "created", "likes"}
_FIELD_REF = re.compile(r'(?:^|[\s(])[+-]?([A-Za-z_]+):(?!//)')


@dataclass
class Filters:
    source: list[str] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    tag: list[str] = field(default_factory=list)
    kind: list[str] = field(default_factory=list)
    talk: list[str] = field(default_factory=list)
    lang: list[str] = field(default_factory=list)
    since: datetime | None = None  # aware
    until: datetime | None = None  # aware, exclusive


@dataclass
class Hit:
    post: Post
    relevance: float
    excerpt: str  # the text with matched words wrapped in MARK_START / MARK_END
    terms: list[str]
    talk: str = ""  # the post's talk as organisers name it: "PERF01 'Fast Python'" ('' for none)


@dataclass
class Results:
    hits: list[Hit]
    total: int  # how many matched in all (the hits are the first `limit`)


_CREATED = f"created: takes a date such as 20260901 or 2026-09-01T14:30 (UTC), from {RANGE}"
MARK_START, MARK_END = "\x02", "\x03"  # replaced by colour, brackets or <mark> on output
_MARKED = re.compile(MARK_START + "(.*?)" + MARK_END)


def parse_moment(value: str, tz: ZoneInfo, end: bool = False) -> datetime:
    """A date or date-time the user typed, in the event's time zone.

    `2026-09-01` is the whole day: as `--since` its start, as `--until` its end.
    """
    text = value.strip()
    try:
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", text):
            day = date.fromisoformat(text) + timedelta(days=1 if end else 0)
            moment = datetime.combine(day, time(0), tzinfo=tz)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
            moment = moment if moment.tzinfo else moment.replace(tzinfo=tz)
        ok = in_range(moment)
    except ValueError:
        raise InputError(f"not a date or date-time: {value!r} (use 2026-09-01 or 2026-09-01T14:30)") from None
    except OverflowError:
        ok = False
    if not ok:
        raise InputError(f"{'--until' if end else '--since'}: {value!r} is out of range (dates from {RANGE})")
    return moment


def build_query(text: str, filters: Filters):
    """The Whoosh query for the user's text and filters; InputError says what is wrong."""
    s = schema()
    check_syntax(text)
    parser = qparser.QueryParser("text", s, group=qparser.AndGroup)
    parser.add_plugin(qparser.GtLtPlugin())
    parser.add_plugin(qparser.FieldAliasPlugin({"tags": ["tag"]}))
    parts = []
    if text.strip():
        try:
            parsed = parser.parse(text)
        except (ValueError, TypeError, OverflowError) as exc:
            raise InputError(f"bad query {text!r}: {_CREATED if 'created:' in text else exc}") from None
        if parsed is Q.NullQuery or isinstance(parsed, type(Q.NullQuery)):
            raise InputError(f"bad query {text!r}: " + (_CREATED if "created:" in text else
                             "nothing left to search for (only operators or very common words)"))
        parts.append(parsed)
    parts += _filter_queries(filters)
    if not parts:
        raise InputError("give a query, or at least one filter such as --tag or --since")
    return parts[0] if len(parts) == 1 else Q.And(parts)


def check_syntax(text: str) -> None:
    if text.count('"') % 2:
        raise InputError(f'bad query {text!r}: a phrase is not closed (odd number of ")')
    depth = 0
    for ch in re.sub(r'"[^"]*"', "", text):
        depth += {"(": 1, ")": -1}.get(ch, 0)
        if depth < 0:
            raise InputError(f"bad query {text!r}: ')' without '('")
    if depth:
        raise InputError(f"bad query {text!r}: '(' is not closed")
    for name in _FIELD_REF.findall(re.sub(r'"[^"]*"', "", text)):
        if name.lower() not in FIELDS:
            known = ", ".join(sorted(FIELDS - {"text", "tags"}))
            raise InputError(f"bad query {text!r}: unknown field '{name}:' (fields: {known})")


def _filter_queries(f: Filters) -> list:
    out = []

    def any_of(fieldname: str, values: list[str]) -> None:
        if values:
            terms = [Q.Term(fieldname, v) for v in values]
            out.append(terms[0] if len(terms) == 1 else Q.Or(terms))

    kinds(f.kind)
    any_of("source", [s.lower() for s in f.source])
    any_of("author", [a.lstrip("@").lower() for a in f.author])
    any_of("tags", [t.lstrip("#").lower() for t in f.tag])
    any_of("kind", f.kind)
    any_of("talk", f.talk)
    any_of("lang", [lang.lower() for lang in f.lang])
    if f.since or f.until:
        if f.since and f.until and f.until <= f.since:
            raise InputError("--until must be after --since")
        start = seconds(f.since) if f.since else None
        end = seconds(f.until) - 1 if f.until else None
        out.append(schema()["created"].parse_range("created", start, end, False, False))
    return out


class _Marker(highlight.Formatter):
    between = " … "

    def format_token(self, text, token, replace=False):
        return MARK_START + highlight.get_text(text, token, replace) + MARK_END


def search(index: Index, archive: Archive, text: str, filters: Filters | None = None,
           sort: str = "relevance", limit: int = 20, exclude: Iterable[str] = ()) -> Results:
    """Run a query; hits come back in order with their posts read from the archive.

    `exclude`: ids left out of the results and the count (posts a moderator hid).
    """
    if sort not in SORTS:
        raise InputError(f"--sort: one of {', '.join(SORTS)}")
    if limit < 1:
        raise InputError("--limit must be at least 1")
    talks = {row["id"]: row for row in archive.talk_rows()}
    if filters and filters.talk:  # a code, id or title words → the ids posts carry
        filters = replace(filters, talk=talk_ids(filters.talk, list(talks.values())))
    q = build_query(text, filters or Filters())
    if not index.exists:
        return Results([], 0)
    words = {t for f, t in q.iter_all_terms() if f == "text"}
    left_out = [Q.Term("id", post_id) for post_id in exclude]
    if left_out:
        q = Q.AndNot(q, Q.Or(left_out))
    with index.searcher() as searcher:
        if sort == "relevance":
            # optimize=False: score every match once, which also counts them (no second pass).
            results = searcher.search(q, limit=limit, optimize=False)
            ranked, total = [(hit.docnum, hit.score) for hit in results], len(results)
        else:
            ranked, total = _top_by_column(searcher, q, SORT_KEYS[sort], limit)
        found = [(searcher.stored_fields(doc), score) for doc, score in ranked]
    posts = archive.get_many(fields["id"] for fields, _ in found)
    hits = []
    for fields, score in found:
        post = posts.get(fields["id"])
        if post is None:  # deleted since the index was written; the next writer drops it
            continue
        excerpt = _highlight(fields.get("text", ""), words) or _head(post.text)
        terms = sorted({w.lower() for w in _MARKED.findall(excerpt)})
        talk = label(talks[post.talk]) if post.talk in talks else (post.talk or "")
        hits.append(Hit(post, float(score), excerpt, terms, talk))
    return Results(hits, total)


def search_archive(data_dir: Path, text: str, filters: Filters, sort: str = "relevance", limit: int = 20,
                   include_hidden: bool = False) -> tuple[Results, str | None]:
    """`backchannel search`: run a query on the archive and index of `data_dir` (which must
    exist); posts a moderator hid are left out unless `include_hidden`. Returns the results
    and a note when the index was behind the archive."""
    from backchannel.moderation import state

    path = archive_path(data_dir)
    with Archive(path, readonly=True) as archive:
        filters = replace(filters, source=sources(filters.source, archive))
        index = Index.in_dir(data_dir)
        try:
            note = index.catch_up_for_reading(archive, data_dir)
            hidden = () if include_hidden else state(archive).hidden
            return search(index, archive, text, filters, sort, limit, exclude=hidden), note
        finally:
            index.close()


SORT_KEYS = {"newest": ("created",), "popular": ("popularity", "created")}


def _top_by_column(searcher, q, columns: tuple[str, ...], limit: int) -> tuple[list, int]:
    """The `limit` matches with the largest column values, newest first among equals.

    Whoosh's own `sortedby` looks each match's key up through several layers of Python;
    reading the columns once and picking with a heap is several times faster.
    """
    docs = list(searcher.docs_for_query(q))
    values = [_column(searcher.reader(), name) for name in columns]
    key = (lambda d: values[0][d]) if len(values) == 1 else (lambda d: tuple(v[d] for v in values))
    return [(d, 0.0) for d in heapq.nlargest(limit, docs, key=key)], len(docs)


def _column(reader, name: str) -> Sequence[int]:
    """A numeric column's values for every document, in docnum order (order-preserving ints).

    Read as one block of bytes per segment where the column is the fixed-width kind we
    write (Whoosh 2.7's NumericColumn); otherwise value by value through the public API.
    """
    values = array("Q")
    for sub, offset in reader.leaf_readers():
        raw = sub.column_reader(name, translate=False)
        try:
            block = raw._dbfile.get(raw._basepos, raw._count * raw._fixedlen)
            part = array(raw._typecode, block)
            if sys.byteorder == "little":
                part.byteswap()  # Whoosh writes big-endian
            part.extend([raw._default] * (sub.doc_count_all() - len(part)))
        except AttributeError:
            part = array("Q", (raw[d] for d in range(sub.doc_count_all())))
        values.extend(part if part.typecode == "Q" else array("Q", part))
    return values


def _highlight(text: str, words: set) -> str:
    if not text or not words:
        return ""
    return highlight.highlight(text, frozenset(words), schema()["text"].analyzer,
                               highlight.ContextFragmenter(maxchars=320, surround=80), _Marker(), top=2)


def _head(text: str, limit: int = 320) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[:limit].rsplit(" ", 1)[0] + " …"
