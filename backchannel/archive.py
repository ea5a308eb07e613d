"""The archive: one SQLite file (WAL) that is the system of record.

Tables (plain, documented in the README; `sqlite3` and Datasette open them as they are):

- `posts`: one row per post, the Post fields as columns (lists as JSON text), the raw
  payload as the source sent it, and what the pipeline derived (kind, score, talk).
- `tombstones`: ids of posts deleted at the source; a tombstoned id is never stored again.
- `cursors`: each collector's bookmarks, `(source, key) → JSON value`.
- `moderation`: every moderation action (hide, unhide, pin, unpin, approve, hold, place,
  unplace), in order; the current state of a post is its actions replayed
  (`backchannel.moderation`). A `place` keeps the talk's id in `talk` (NULL: on no talk).
- `talks`: the programme the posts were last matched with (id, code, title, room, venue,
  start, end, speakers, url); replaced whole when the programme changes (`backchannel.talks.live`).
- `answers`: replies fetched because they answer a stored question (`backchannel.answers`):
  reply id → question id and parent id. The reply itself is a row of `posts` like any post.
- `meta`: the archive's own counters (`seq`), and `talks_hash`: which programme that was.

Every write that changes a post or a tombstone takes the next `seq` number, so readers (the
search index, the digest) can ask "what changed since N" and catch up after a crash.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator

from backchannel.errors import BackchannelError, InputError
from backchannel.models import Author, Media, Metrics, Post, format_time, parse_time
from backchannel.validate import problems

SCHEMA = """
CREATE TABLE IF NOT EXISTS posts (
    id TEXT PRIMARY KEY,
    source TEXT NOT NULL,
    uri TEXT,
    url TEXT,
    author_handle TEXT NOT NULL DEFAULT '',
    author_name TEXT NOT NULL DEFAULT '',
    author_url TEXT,
    author_links TEXT,                 -- JSON list of the author's own links (see Author.links)
    created_at TEXT NOT NULL,          -- ISO 8601 UTC, '2026-09-01T10:15:00Z'
    edited_at TEXT,
    text TEXT NOT NULL,
    html TEXT NOT NULL DEFAULT '',     -- sanitised at collection
    lang TEXT,
    tags TEXT NOT NULL DEFAULT '[]',   -- JSON list, lowercase, no '#'
    links TEXT NOT NULL DEFAULT '[]',  -- JSON list of URLs
    media TEXT NOT NULL DEFAULT '[]',  -- JSON list of {type, url, preview_url, alt}
    reply_to TEXT,
    is_repost INTEGER NOT NULL DEFAULT 0,
    likes INTEGER NOT NULL DEFAULT 0,
    reposts INTEGER NOT NULL DEFAULT 0,
    replies INTEGER NOT NULL DEFAULT 0,
    quotes INTEGER NOT NULL DEFAULT 0,
    sensitive INTEGER NOT NULL DEFAULT 0,
    content_warning TEXT,
    kind TEXT,
    score REAL,
    talk TEXT,
    talk_reason TEXT,
    indexable INTEGER,                 -- consent facts as the source stated them: 1, 0 or NULL
    discoverable INTEGER,
    raw TEXT,                          -- the payload as the source sent it (JSON)
    hash TEXT NOT NULL,                -- of the normalised post, to skip unchanged upserts
    first_seen TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS posts_created ON posts (created_at);
CREATE INDEX IF NOT EXISTS posts_seq ON posts (seq);
CREATE INDEX IF NOT EXISTS posts_source ON posts (source, created_at);
CREATE INDEX IF NOT EXISTS posts_author ON posts (source, author_handle);  -- consent follows the author
CREATE TABLE IF NOT EXISTS tombstones (
    id TEXT PRIMARY KEY,
    source TEXT,
    deleted_at TEXT NOT NULL,
    reason TEXT,
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS tombstones_seq ON tombstones (seq);
CREATE TABLE IF NOT EXISTS cursors (
    source TEXT NOT NULL,
    key TEXT NOT NULL,
    value TEXT NOT NULL,               -- JSON
    updated_at TEXT NOT NULL,
    PRIMARY KEY (source, key)
);
CREATE TABLE IF NOT EXISTS moderation (
    n INTEGER PRIMARY KEY AUTOINCREMENT,
    post_id TEXT NOT NULL,
    action TEXT NOT NULL,              -- hide, unhide, pin, unpin, approve, hold, place, unplace
    reason TEXT NOT NULL DEFAULT '',
    at TEXT NOT NULL,                  -- ISO 8601 UTC
    by TEXT NOT NULL DEFAULT '',       -- who: a login name, or "backchannel" for automatic holds
    talk TEXT                          -- place: the talk's id (what posts.talk holds); NULL: no talk
);
CREATE INDEX IF NOT EXISTS moderation_post ON moderation (post_id, n);
CREATE TABLE IF NOT EXISTS talks (
    id TEXT PRIMARY KEY,               -- pretalx/frab guid, iCalendar UID (what posts.talk holds)
    code TEXT,                         -- pretalx code (PERF01) or frab id (101)
    title TEXT NOT NULL,
    room TEXT,
    venue TEXT,                        -- what an iCalendar LOCATION says after the room, if anything
    start TEXT NOT NULL,               -- ISO 8601 UTC
    "end" TEXT NOT NULL,
    speakers TEXT NOT NULL DEFAULT '[]',  -- JSON list of names
    url TEXT
);
CREATE TABLE IF NOT EXISTS answers (
    id TEXT PRIMARY KEY,               -- the reply (a row of posts)
    question TEXT NOT NULL,            -- the question it answers (a row of posts)
    parent TEXT,                       -- the post it replies to (the question, or a reply under it)
    seq INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS answers_question ON answers (question);
CREATE TABLE IF NOT EXISTS meta (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);
INSERT OR IGNORE INTO meta (key, value) VALUES ('seq', '0'), ('schema', '1');
"""

COLUMNS = (
    "id", "source", "uri", "url", "author_handle", "author_name", "author_url", "author_links",
    "created_at", "edited_at", "text", "html", "lang", "tags", "links", "media", "reply_to", "is_repost",
    "likes", "reposts", "replies", "quotes", "sensitive", "content_warning", "kind", "score",
    "talk", "talk_reason", "indexable", "discoverable", "raw", "hash", "first_seen", "updated_at", "seq",
)
_SELECT = "SELECT " + ", ".join(COLUMNS) + " FROM posts"


@dataclass
class StoreResult:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: int = 0
    refused: int = 0  # tombstoned ids that came back
    deleted: list[str] = field(default_factory=list)
    rejected: list[str] = field(default_factory=list)  # "id: field 'x' problem": a later stage would fail
    linked: list[str] = field(default_factory=list)  # replies newly linked to their question as answers

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.deleted or self.linked)

    def merge(self, other: "StoreResult") -> None:
        self.added += other.added
        self.updated += other.updated
        self.unchanged += other.unchanged
        self.refused += other.refused
        self.deleted += other.deleted
        self.rejected += other.rejected
        self.linked += other.linked


@dataclass
class Changes:
    """What changed after a given seq: posts to (re)index and ids to drop."""

    posts: list[Post]
    deleted: list[str]
    seq: int


class Archive:
    """The SQLite archive at `path`. One writer process at a time (see `backchannel.lock`)."""

    def __init__(self, path: str | Path, readonly: bool = False):
        """Open (or create) the archive; `readonly=True` never writes, not even in a read-only folder."""
        self.path = Path(path)
        self.readonly = readonly
        try:
            self.db = self._open_readonly() if readonly else self._open()
        except sqlite3.Error as exc:
            raise BackchannelError(f"{self.path}: cannot open the archive: {exc}") from None

    def _open(self) -> sqlite3.Connection:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise BackchannelError(f"{self.path.parent}: cannot create the data dir: {exc.strerror}") from None
        db = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.executescript(SCHEMA)
        _migrate(db)
        return db

    def _open_readonly(self) -> sqlite3.Connection:
        if not self.path.is_file():
            raise no_archive(self.path.parent)
        uri = self.path.resolve().as_uri()
        db = sqlite3.connect(f"{uri}?mode=ro", uri=True, timeout=30, isolation_level=None)
        try:
            db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        except sqlite3.OperationalError:
            # A WAL archive in a folder we cannot write (no -shm file can be made): nothing can
            # be writing it either, so read it as an immutable file.
            db.close()
            db = sqlite3.connect(f"{uri}?immutable=1", uri=True, isolation_level=None)
            db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()
        if not _has_columns(db):
            db.close()
            raise BackchannelError(f"{self.path}: the archive was made by an earlier version; run "
                                   "`backchannel reindex` once (with write access) to bring it up to date")
        return db

    @classmethod
    def in_dir(cls, data_dir: str | Path, readonly: bool = False) -> "Archive":
        return cls(Path(data_dir) / "archive.db", readonly=readonly)

    def close(self) -> None:
        self.db.close()

    def __enter__(self) -> "Archive":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- writing ---------------------------------------------------------------------------

    def store(self, posts: Iterable[Post] = (), deleted: Iterable[str] = (),
              cursors: dict[str, Any] | None = None, source: str | None = None,
              reason: str = "deleted at source",
              answers: dict[str, tuple[str, str | None]] | None = None) -> StoreResult:
        """Upsert posts, tombstone ids, link answers, then save cursors — all in one transaction.

        An upsert of an unchanged post changes nothing; a changed one (edit, new counts)
        replaces the row; a tombstoned id is refused. `answers` (reply id → (question id,
        parent id)) links stored replies to their question; a reply that was not stored
        (refused, rejected) gets no link. Cursors are saved only if everything before them
        was stored, so a cursor never runs ahead of the data.
        """
        result = StoreResult()
        now = format_time(datetime.now().astimezone())
        with self._transaction():
            seq = self._next_seq()
            self._upsert(list(posts), seq, now, result)
            for post_id in deleted:
                if self._tombstone(post_id, source, reason, seq, now):
                    result.deleted.append(post_id)
            for reply, (question, parent) in (answers or {}).items():
                self._link(reply, question, parent, seq, result)
            for key, value in (cursors or {}).items():
                if source is None:
                    raise ValueError("cursors need a source")
                self.db.execute(
                    "INSERT INTO cursors (source, key, value, updated_at) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (source, key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at",
                    (source, key, json.dumps(value), now))
            if not result.changed:
                self._set_seq(seq - 1)
        return result

    def _upsert(self, posts: list[Post], seq: int, now: str, result: StoreResult) -> None:
        """Insert new posts and replace changed ones: a few statements per batch, not per post."""
        checked = []
        for post in posts:
            found = problems(post)
            if found:  # the entry points check first; this keeps anything they missed out of the record
                result.rejected.append(f"{str(post.id)[:120]!r}: {'; '.join(found)}")
            else:
                checked.append(post)
        ids = [p.id for p in checked]
        tombstoned = {r[0] for r in self._rows_for("SELECT id FROM tombstones WHERE id IN", ids)}
        stored = {r[0]: (r[1], r[2]) for r in self._rows_for("SELECT id, hash, first_seen FROM posts WHERE id IN", ids)}
        rows, rehashed, newest = [], [], {}
        for post in checked:
            if post.id in tombstoned:
                result.refused += 1
                continue
            new, old = fingerprint(post), stored.get(post.id)
            if old and _same(old[0], new, post):
                result.unchanged += 1
                if old[0] != new:
                    rehashed.append((new, post.id))
                continue
            row = _row(post, new)
            row.update(first_seen=old[1] if old else now, updated_at=now, seq=seq)
            rows.append([row[c] for c in COLUMNS])
            stored[post.id] = (new, row["first_seen"])  # a second copy in this batch compares with this one
            (result.updated if old else result.added).append(post.id)
            if post.author.handle:
                newest[(post.source, post.author.handle)] = (post.id, row["indexable"], row["discoverable"])
        self.db.executemany(f"INSERT OR REPLACE INTO posts ({', '.join(COLUMNS)}) "
                            f"VALUES ({', '.join('?' for _ in COLUMNS)})", rows)
        self.db.executemany("UPDATE posts SET hash = ? WHERE id = ?", rehashed)
        self._follow_consent(newest, seq)

    def _follow_consent(self, newest: dict[tuple[str, str], tuple[str, int | None, int | None]], seq: int) -> None:
        """The author's newest consent facts hold for all their posts (an opt-in or opt-out
        seen on one post applies to the others at the next build). `newest`: (source,
        handle) → the batch's last stored post of that author and its two flags."""
        self.db.executemany(
            "UPDATE posts SET indexable = ?, discoverable = ?, seq = ? "
            "WHERE source = ? AND author_handle = ? AND id != ? AND (indexable IS NOT ? OR discoverable IS NOT ?)",
            [(indexable, discoverable, seq, source, handle, post_id, indexable, discoverable)
             for (source, handle), (post_id, indexable, discoverable) in newest.items()])

    def _rows_for(self, select: str, ids: list[str], chunk: int = 500) -> Iterator[tuple]:
        """`select` ("… WHERE id IN") for `ids`, a chunk at a time (SQLite caps the ?s per statement)."""
        for start in range(0, len(ids), chunk):
            part = ids[start:start + chunk]
            yield from self.db.execute(f"{select} ({','.join('?' * len(part))})", part)

    def _link(self, reply: str, question: str, parent: str | None, seq: int, result: StoreResult) -> None:
        if not self.db.execute("SELECT 1 FROM posts WHERE id = ?", (reply,)).fetchone():
            return
        old = self.db.execute("SELECT question, parent FROM answers WHERE id = ?", (reply,)).fetchone()
        if old == (question, parent):
            return
        self.db.execute("INSERT OR REPLACE INTO answers (id, question, parent, seq) VALUES (?, ?, ?, ?)",
                        (reply, question, parent, seq))
        result.linked.append(reply)

    def answer_links(self) -> dict[str, tuple[str, str | None]]:
        """Every stored reply that answers a question: reply id → (question id, parent id)."""
        try:
            rows = self.db.execute("SELECT id, question, parent FROM answers")
            return {r[0]: (r[1], r[2]) for r in rows}
        except sqlite3.OperationalError:  # a read-only archive made before answers existed
            return {}

    def author_posts(self, source: str, handles: Iterable[str]) -> list[str]:
        """Ids of the stored posts of these authors (of one source)."""
        ids: list[str] = []
        for handle in set(handles):
            ids += [r[0] for r in self.db.execute(
                "SELECT id FROM posts WHERE source = ? AND author_handle = ?", (source, handle))]
        return ids

    def _tombstone(self, post_id: str, source: str | None, reason: str, seq: int, now: str) -> bool:
        found = self.db.execute("DELETE FROM posts WHERE id = ?", (post_id,)).rowcount
        self.db.execute("DELETE FROM answers WHERE id = ?", (post_id,))
        known = self.db.execute("SELECT 1 FROM tombstones WHERE id = ?", (post_id,)).fetchone()
        if not known:
            self.db.execute("INSERT INTO tombstones (id, source, deleted_at, reason, seq) VALUES (?, ?, ?, ?, ?)",
                            (post_id, source, now, reason, seq))
        return bool(found or not known)

    def set_derived(self, items: Iterable[tuple[str, str | None, float | None, str | None, str | None]]) -> int:
        """Save (id, kind, score, talk, talk_reason) for posts; bumps their seq."""
        with self._transaction():
            seq = self._next_seq()
            n = 0
            for post_id, kind, score, talk, reason in items:
                n += self.db.execute(
                    "UPDATE posts SET kind = ?, score = ?, talk = ?, talk_reason = ?, seq = ? "
                    "WHERE id = ? AND (kind IS NOT ? OR score IS NOT ? OR talk IS NOT ? OR talk_reason IS NOT ?)",
                    (kind, score, talk, reason, seq, post_id, kind, score, talk, reason)).rowcount
            if not n:
                self._set_seq(seq - 1)
        return n

    def replace_talks(self, rows: Iterable[dict[str, Any]], fingerprint: str) -> None:
        """Replace the `talks` table with the programme's talks and remember which one it is."""
        with self._transaction():
            self.db.execute("DELETE FROM talks")
            self.db.executemany(
                'INSERT OR REPLACE INTO talks (id, code, title, room, venue, start, "end", speakers, url) '
                "VALUES (:id, :code, :title, :room, :venue, :start, :end, :speakers, :url)", list(rows))
            self.db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('talks_hash', ?)", (fingerprint,))

    def talk_rows(self) -> list[dict[str, Any]]:
        """The stored programme, by start, with each talk's number of posts."""
        if not self.db.execute("SELECT 1 FROM sqlite_master WHERE name = 'talks'").fetchone():
            return []  # an archive from before the talks table, opened read-only
        counts = dict(self.db.execute("SELECT talk, count(*) FROM posts WHERE talk IS NOT NULL GROUP BY talk"))
        # An archive opened read-only may predate the venue column: its talks have none.
        venue = "venue" if _columns(self.db, "talks") >= {"venue"} else "NULL"
        cols = ("id", "code", "title", "room", "venue", "start", "end", "speakers", "url")
        rows = [dict(zip(cols, r)) for r in self.db.execute(
            f'SELECT id, code, title, room, {venue}, start, "end", speakers, url FROM talks ORDER BY start, room, title')]
        for row in rows:
            row["speakers"] = json.loads(row["speakers"])
            row["posts"] = counts.get(row["id"], 0)
        return rows

    def columns(self, table: str) -> set[str]:
        """The columns `table` has (an archive opened read-only may predate some)."""
        return _columns(self.db, table)

    def meta(self, key: str) -> str | None:
        row = self.db.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return row[0] if row else None

    # -- reading ---------------------------------------------------------------------------

    def get(self, post_id: str) -> Post | None:
        row = self.db.execute(_SELECT + " WHERE id = ?", (post_id,)).fetchone()
        return _post(row) if row else None

    def get_many(self, ids: Iterable[str]) -> dict[str, Post]:
        return {row[0]: _post(row) for row in self._rows_for(_SELECT + " WHERE id IN", list(ids))}

    def posts(self, source: str | None = None, since: datetime | None = None,
              until: datetime | None = None, order: str = "created_at", raw: bool = True) -> Iterator[Post]:
        """All posts (optionally of one source / in a time range), oldest first.

        `raw=False` leaves `Post.raw` empty: much faster for readers that never show it (the digest).
        """
        where, args = [], []
        if source:
            where.append("source = ?")
            args.append(source)
        if since:
            where.append("created_at >= ?")
            args.append(format_time(since))
        if until:
            where.append("created_at < ?")
            args.append(format_time(until))
        select = _SELECT if raw else _SELECT.replace(", raw,", ", NULL,")
        sql = select + (" WHERE " + " AND ".join(where) if where else "") + f" ORDER BY {order}, id"
        for row in self.db.execute(sql, args):
            yield _post(row)

    def posts_of_kind(self, kind: str, source: str | None = None, raw: bool = True) -> Iterator[Post]:
        """The posts classified `kind` (optionally of one source), oldest first; `raw=False`
        leaves `Post.raw` empty."""
        select = _SELECT if raw else _SELECT.replace(", raw,", ", NULL,")
        sql = select + " WHERE kind = ?" + (" AND source = ?" if source else "") + " ORDER BY created_at, id"
        for row in self.db.execute(sql, (kind, source) if source else (kind,)):
            yield _post(row)

    def changes_since(self, seq: int) -> Changes:
        posts = [_post(r) for r in self.db.execute(_SELECT + " WHERE seq > ? ORDER BY seq", (seq,))]
        deleted = [r[0] for r in self.db.execute("SELECT id FROM tombstones WHERE seq > ?", (seq,))]
        return Changes(posts, deleted, self.seq)

    def changed(self, posts: list[Post]) -> list[Post]:
        """The posts a `store` would add or replace (new, or different from the stored copy)."""
        stored = dict(self._rows_for("SELECT id, hash FROM posts WHERE id IN", [p.id for p in posts]))
        return [p for p in posts if p.id not in stored or not _same(stored[p.id], fingerprint(p), p)]

    def is_tombstoned(self, post_id: str) -> bool:
        return self.db.execute("SELECT 1 FROM tombstones WHERE id = ?", (post_id,)).fetchone() is not None

    def cursors(self, source: str) -> dict[str, Any]:
        rows = self.db.execute("SELECT key, value FROM cursors WHERE source = ?", (source,))
        return {key: json.loads(value) for key, value in rows}

    def sources(self) -> list[str]:
        """The sources the archive holds posts from."""
        return [row[0] for row in self.db.execute("SELECT DISTINCT source FROM posts ORDER BY source")]

    def count(self) -> int:
        return self.db.execute("SELECT count(*) FROM posts").fetchone()[0]

    @property
    def seq(self) -> int:
        return int(self.db.execute("SELECT value FROM meta WHERE key = 'seq'").fetchone()[0])

    # -- internals -------------------------------------------------------------------------

    def _next_seq(self) -> int:
        seq = self.seq + 1
        self._set_seq(seq)
        return seq

    def _set_seq(self, seq: int) -> None:
        self.db.execute("UPDATE meta SET value = ? WHERE key = 'seq'", (str(seq),))

    def _transaction(self) -> "_Tx":
        return _Tx(self.db)


class _Tx:
    def __init__(self, db: sqlite3.Connection):
        self.db = db

    def __enter__(self) -> None:
        self.db.execute("BEGIN IMMEDIATE")

    def __exit__(self, exc_type: object, *rest: object) -> None:
        if not exc_type:
            self.db.execute("COMMIT")
            return
        try:
            self.db.execute("ROLLBACK")
        except sqlite3.OperationalError:
            pass  # SQLite already rolled back (a full disk, an I/O error): the first error is the one to tell


def fingerprint(post: Post) -> str:
    """What `store` compares to tell an unchanged post: the Post fields, not what was derived
    (nor `uri` and `raw`). Hashed from the fields in a fixed order: several times cheaper
    than the Post as a JSONL object, which the first archives hashed (`_legacy_hash`)."""
    a, m = post.author, post.metrics
    fields = [post.id, post.source, post.url, a.handle or "", a.name or "", a.url, format_time(post.created_at),
              post.text, post.html or "", post.lang, post.tags, post.links,
              [[x.type, x.url, x.preview_url, x.alt] for x in post.media], post.reply_to, post.is_repost,
              m.likes, m.reposts, m.replies, m.quotes, post.sensitive, post.content_warning,
              format_time(post.edited_at), post.indexable, post.discoverable]
    if a.links:  # added later: only where there are any, so older posts keep their fingerprint
        fields.append(a.links)
    return FINGERPRINT + hashlib.blake2b(json.dumps(fields).encode(), digest_size=16).hexdigest()


FINGERPRINT = "2:"  # marks fingerprints from `fingerprint`; hashes without it are `_legacy_hash`es


def _same(stored: str, new: str, post: Post) -> bool:
    """Whether the stored hash is of this post as it is now (an archive may hold legacy hashes)."""
    return stored == new or (not stored.startswith(FINGERPRINT) and stored == _legacy_hash(post))


def _legacy_hash(post: Post) -> str:
    data = post.to_dict(derived=False)
    return hashlib.blake2b(json.dumps(data, sort_keys=True).encode(), digest_size=16).hexdigest()


def _row(post: Post, digest: str) -> dict[str, Any]:
    return {
        "id": post.id, "source": post.source, "uri": post.uri, "url": post.url,
        "author_handle": post.author.handle or "", "author_name": post.author.name or "",
        "author_url": post.author.url, "author_links": json.dumps(post.author.links) if post.author.links else None,
        "created_at": format_time(post.created_at), "edited_at": format_time(post.edited_at),
        "text": post.text, "html": post.html or "", "lang": post.lang,
        "tags": json.dumps(post.tags), "links": json.dumps(post.links),
        "media": json.dumps([{"type": m.type, "url": m.url, "preview_url": m.preview_url, "alt": m.alt}
                             for m in post.media]),
        "reply_to": post.reply_to,
        "is_repost": int(post.is_repost), "likes": post.metrics.likes, "reposts": post.metrics.reposts,
        "replies": post.metrics.replies, "quotes": post.metrics.quotes,
        "sensitive": int(post.sensitive), "content_warning": post.content_warning,
        "kind": post.kind, "score": post.score, "talk": post.talk,
        "talk_reason": post.talk_reason,
        "indexable": _flag(post.indexable), "discoverable": _flag(post.discoverable),
        "raw": json.dumps(post.raw, default=str) if post.raw is not None else None,
        "hash": digest,
    }


def _post(row: tuple) -> Post:
    r = dict(zip(COLUMNS, row))
    return Post(
        id=r["id"], source=r["source"], uri=r["uri"], url=r["url"],
        author=Author(r["author_handle"], r["author_name"], r["author_url"],
                      json.loads(r["author_links"]) if r["author_links"] else []),
        created_at=parse_time(r["created_at"]),
        edited_at=parse_time(r["edited_at"]) if r["edited_at"] else None,
        text=r["text"], html=r["html"], lang=r["lang"],
        tags=json.loads(r["tags"]), links=json.loads(r["links"]),
        media=[Media(**m) for m in json.loads(r["media"])],
        reply_to=r["reply_to"], is_repost=bool(r["is_repost"]),
        metrics=Metrics(r["likes"], r["reposts"], r["replies"], r["quotes"]),
        sensitive=bool(r["sensitive"]), content_warning=r["content_warning"],
        kind=r["kind"], score=r["score"], talk=r["talk"], talk_reason=r["talk_reason"],
        indexable=None if r["indexable"] is None else bool(r["indexable"]),
        discoverable=None if r["discoverable"] is None else bool(r["discoverable"]),
        raw=json.loads(r["raw"]) if r["raw"] else None,
    )


NEW_COLUMNS = ("indexable", "discoverable", "talk", "talk_reason", "author_links")  # added or renamed after the first release
RENAMED = {"session": "talk", "session_reason": "talk_reason"}  # "talk" is the word for a programme item


def no_archive(data_dir: Path) -> InputError:
    """What a command that only reads says in a folder without an archive."""
    return InputError(f"{data_dir}: no archive here yet (run `backchannel collect` or "
                      "`backchannel import` first, or pass --data-dir)")


def _columns(db: sqlite3.Connection, table: str) -> set[str]:
    return {row[1] for row in db.execute(f"PRAGMA table_info({table})")}


def _has_columns(db: sqlite3.Connection) -> bool:
    return _columns(db, "posts") >= set(NEW_COLUMNS)


def _migrate(db: sqlite3.Connection) -> None:
    """Add the columns later versions introduced to an archive made by an earlier one."""
    have = _columns(db, "posts")
    for old, new in RENAMED.items():
        if old in have and new not in have:
            db.execute(f"ALTER TABLE posts RENAME COLUMN {old} TO {new}")
            have.add(new)
    for name in NEW_COLUMNS:
        if name not in have:
            db.execute(f"ALTER TABLE posts ADD COLUMN {name} {'TEXT' if name.startswith(('talk', 'author')) else 'INTEGER'}")
    if "venue" not in _columns(db, "talks"):
        db.execute("ALTER TABLE talks ADD COLUMN venue TEXT")
    if "talk" not in _columns(db, "moderation"):
        db.execute("ALTER TABLE moderation ADD COLUMN talk TEXT")


def _flag(value: bool | None) -> int | None:
    return None if value is None else int(value)
