"""The Whoosh search index: derived from the archive, rebuildable at any time.

The index keeps only what search needs: the post id, the text (stored, for highlights) and
the fields people filter and sort by. Everything shown in results is read back from the
archive by id. `indexed_seq` (a file beside the index) records the archive `seq` the index
has caught up to, so a crash between the archive's commit and the index's loses nothing:
the next writer indexes whatever changed since.
"""

from __future__ import annotations

import shutil
import functools
import re
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Iterable

from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.codec.whoosh3 import W3Codec
from whoosh.columns import NumericColumn
from whoosh.fields import COLUMN, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.lang import porter
from whoosh.writing import LockError

from backchannel.archive import Archive
from backchannel.errors import BackchannelError, LockedError
from backchannel.models import Post
from backchannel.progress import NO_PROGRESS, Progress
from backchannel.validate import EARLIEST, LATEST

# Whoosh's posting pool for a batch. A commit also merges small segments, and a merge pours
# their postings into this pool: with 256 MB, importing a large archive grew to 350 MB RSS
# as the segments grew. Past the limit the pool spills sorted runs to disk, so a small pool
# keeps memory flat at a small cost in merge speed (a batch of 2,000 posts needs a few MB).
POOL_MB = 32

# Posting blocks written as they are, not zlib-compressed (Whoosh's default, level 3): a tenth
# of the index writer's CPU for an index about a quarter larger. Readers read either kind, so
# segments written before this mix with new ones.
CODEC = W3Codec(compression=0)

# Words of letters/digits; CJK characters one by one (Japanese has no spaces), so a search
# for 東京 is the phrase 東 京.
TOKENS = r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af\uff66-\uff9f]|\w+(?:\.?\w+)*"


class Moment(NUMERIC):
    """A point in time as whole seconds since 1970 (UTC), for sorting and time ranges.

    Whoosh's DATETIME counts microseconds, so a three-hour range expands to thousands of
    index terms; in seconds with 4-bit tiers it is a few dozen. The query parser still reads
    dates and date-times (UTC): `created:20260901`, `created:>20260901T1400`,
    `created:[2026-09-01 TO 2026-09-02]`.
    """

    def __init__(self):
        super().__init__(numtype=int, bits=32, signed=False, sortable=True, shift_step=4)

    def parse_query(self, fieldname, qstring, boost=1.0):
        start, end = _period(qstring)
        return super().parse_range(fieldname, start, end - 1, False, False, boost)

    def parse_range(self, fieldname, start, end, startexcl, endexcl, boost=1.0):
        low = high = None
        if start is not None:
            first, after = _period(start)
            low = after if startexcl else first
        if end is not None:
            first, after = _period(end)
            high = (first if endexcl else after) - 1
        return super().parse_range(fieldname, low, high, False, False, boost)


def seconds(moment: datetime) -> int:
    return int(moment.astimezone(timezone.utc).timestamp())


_PERIODS = ((r"(\d{4})-?(\d{2})-?(\d{2})", timedelta(days=1)),
            (r"(\d{4})-?(\d{2})-?(\d{2})[T ]?(\d{2}):?(\d{2})", timedelta(minutes=1)),
            (r"(\d{4})-?(\d{2})-?(\d{2})[T ]?(\d{2}):?(\d{2}):?(\d{2})", timedelta(seconds=1)))


def _period(text: str) -> tuple[int, int]:
    """The seconds a typed date or date-time covers: [start, end)."""
    if isinstance(text, (int, float)):
        return int(text), int(text) + 1
    for pattern, length in _PERIODS:
        m = re.fullmatch(pattern, str(text).strip())
        if m:
            start = datetime(*map(int, m.groups()), tzinfo=timezone.utc)
            if not (EARLIEST <= start <= LATEST - length):  # the index holds 1970 to 2105
                raise ValueError(f"date out of range: {text!r}")
            return seconds(start), seconds(start + length)
    raise ValueError(f"not a date: {text!r}")


@functools.lru_cache(maxsize=50000)
def stem(word: str) -> str:
    """Porter's stem of a word, remembered. StemFilter's own cache is Python code run for
    every token; this one is the standard library's, in C. The index stores its schema with
    a reference to this function (`backchannel.index.stem`): keep the name."""
    return porter.stem(word)


def analyzer():
    return RegexTokenizer(TOKENS) | LowercaseFilter() | StopFilter(minsize=1) | StemFilter(stem, cachesize=None)


@functools.cache
def schema() -> Schema:
    """The index's fields (one shared, read-only instance)."""
    s = Schema(
        id=ID(stored=True, unique=True),
        text=TEXT(analyzer=analyzer(), stored=True),
        name=TEXT(),  # the author's display name
        author=KEYWORD(lowercase=True, scorable=False),  # full handle and its local part
        source=ID(),
        tags=KEYWORD(commas=True, lowercase=True, scorable=False),
        lang=ID(),
        kind=ID(),
        talk=ID(),
        created=Moment(),
        # `likes:>10` works in queries: one term per value (shift_step=0) instead of eight,
        # counts being small numbers. The other counts are only sorted by, so they are
        # columns, not indexed: indexing spends its time on the text.
        likes=NUMERIC(sortable=True, shift_step=0),
        reposts=COLUMN(NumericColumn("I")),
        replies=COLUMN(NumericColumn("I")),
        popularity=COLUMN(NumericColumn("I")),
    )
    s["text"].multitoken_query = "phrase"
    return s


def popularity(post: Post) -> int:
    m = post.metrics
    return m.likes + 2 * m.reposts + 2 * m.quotes + m.replies


def document(post: Post) -> dict:
    handle = (post.author.handle or "").lstrip("@").lower()
    authors = {handle, handle.split("@")[0]} - {""}
    return {
        "id": post.id,
        "text": post.text,
        "name": post.author.name or "",
        "author": " ".join(sorted(authors)),
        "source": post.source,
        "tags": ",".join(post.tags),
        "lang": (post.lang or "").lower().split("-")[0] or "und",
        "kind": post.kind or "other",
        "talk": post.talk or "none",
        "created": seconds(post.created_at),
        "likes": post.metrics.likes,
        "reposts": post.metrics.reposts,
        "replies": post.metrics.replies,
        "popularity": popularity(post),
    }


class Index:
    """The Whoosh index in `<data dir>/index/`.

    Segments are written as separate files, not Whoosh's compound file: a compound segment
    is read by copying each part into memory whenever a searcher opens, which at 100,000
    posts cost more than the search itself.
    """

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self._ix = None

    @classmethod
    def in_dir(cls, data_dir: str | Path) -> "Index":
        return cls(Path(data_dir) / "index")

    @property
    def exists(self) -> bool:
        return self.path.is_dir() and whoosh_index.exists_in(str(self.path))

    def open(self):
        if self._ix is None:
            if not self.exists:
                self.path.mkdir(parents=True, exist_ok=True)
                self._ix = whoosh_index.create_in(str(self.path), schema())
                self.indexed_seq = 0
            else:
                if self.outdated:
                    raise BackchannelError(f"{self.path}: the search index was made by an earlier version; "
                                           "run `backchannel reindex` once to bring it up to date")
                self._ix = whoosh_index.open_dir(str(self.path))
        return self._ix

    @property
    def indexed_seq(self) -> int:
        marker = self.path / "indexed_seq"
        try:
            return int(marker.read_text().strip())
        except (OSError, ValueError):
            return 0

    @indexed_seq.setter
    def indexed_seq(self, seq: int) -> None:
        marker = self.path / "indexed_seq"
        tmp = marker.with_suffix(".tmp")
        tmp.write_text(str(seq))
        tmp.replace(marker)

    def write(self, added: Iterable[Post] = (), updated: Iterable[Post] = (),
              deleted: Iterable[str] = (), seq: int | None = None) -> int:
        """Add new posts, replace changed ones, drop deleted ids; one commit. Returns a count."""
        return self.write_documents([document(p) for p in added], [document(p) for p in updated], deleted, seq)

    def write_documents(self, added: Iterable[dict] = (), updated: Iterable[dict] = (),
                        deleted: Iterable[str] = (), seq: int | None = None) -> int:
        """`write` of ready-made `document()`s (what the index process receives).

        New posts use `add_document` (no lookup of an old copy), which is what keeps ingest
        close to raw Whoosh speed.
        """
        ix = self.open()
        try:
            writer = ix.writer(limitmb=POOL_MB, timeout=5.0, compound=False, codec=CODEC)
        except LockError:
            raise LockedError(f"{self.path}: the search index is locked by another backchannel process") from None
        n = 0
        try:
            for post_id in deleted:
                writer.delete_by_term("id", post_id)
                n += 1
            for doc in updated:
                writer.update_document(**doc)
                n += 1
            for doc in added:
                writer.add_document(**doc)
                n += 1
        except BaseException:
            writer.cancel()
            raise
        writer.commit()
        if seq is not None:
            self.indexed_seq = seq
        return n

    @property
    def outdated(self) -> bool:
        """Made by an earlier version whose fields differ (before `session` became `talk`)."""
        if self._ix is not None or not self.exists:
            return False
        return set(whoosh_index.open_dir(str(self.path)).schema.names()) != set(schema().names())

    def catch_up(self, archive: Archive) -> int:
        """Index whatever the archive changed since this index last caught up (everything,
        into a fresh index, when an earlier version made this one)."""
        if self.outdated:
            return self.rebuild(archive)
        since = self.indexed_seq if self.exists else 0
        if self.exists and since >= archive.seq:
            return 0
        changes = archive.changes_since(since)
        return self.write(updated=changes.posts, deleted=changes.deleted, seq=changes.seq)

    def rebuild(self, archive: Archive, progress: Progress = NO_PROGRESS, every: int = 500) -> int:
        """Throw the index away and index every post in the archive again.

        Reports two stages to `progress`: "index posts" (of the archive's count) and
        "merge" (Whoosh's final optimise, of unknown length).
        """
        self.close()
        if self.path.exists():
            shutil.rmtree(self.path)
        ix = self.open()
        seq = archive.seq
        total = 0
        progress.stage("index posts", archive.count(), "posts")
        writer = ix.writer(limitmb=256, compound=False, codec=CODEC)
        try:
            for post in archive.posts(order="seq", raw=False):
                writer.add_document(**document(post))
                total += 1
                if total % every == 0:
                    progress.advance("index posts", every)
        except BaseException:
            writer.cancel()
            raise
        progress.advance("index posts", total % every)
        progress.stage("merge", None, "")
        writer.commit(optimize=True)
        progress.update("merge", done=1, total=1)
        self.indexed_seq = seq
        return total

    def behind(self, archive: Archive) -> int:
        """How many archive changes (`seq` steps) this index has not seen; 0 when current."""
        if not self.exists:
            return archive.seq if archive.count() else 0
        return max(archive.seq - self.indexed_seq, 0)

    def catch_up_for_reading(self, archive: Archive, data_dir: str | Path) -> str | None:
        """Before a search: index what a crashed writer left unindexed; a note when we can't.

        A writer killed between the archive's commit and the index's (`kill -9` of `import`
        or `reindex`) leaves the index behind until the next writer. A reader takes the
        writer lock for a moment and catches up; if another writer holds it, or the data dir
        is read-only, the results may be incomplete and the note says so.
        """
        from backchannel.lock import WriterLock

        behind = self.behind(archive)
        if not behind:
            return None
        incomplete = f"the search index is {behind} change{'s' if behind != 1 else ''} behind the archive"
        try:
            lock = WriterLock(data_dir).acquire()
        except LockedError:
            return f"{incomplete} (a writer is busy with it); results may be incomplete"
        except (OSError, BackchannelError):  # a read-only data dir
            return f"{incomplete} and {data_dir} is not writable; results may be " \
                   "incomplete (run `backchannel reindex` where it is writable)"
        try:
            try:
                self.catch_up(archive)
            except (whoosh_index.IndexError, OSError, EOFError, ValueError, KeyError):
                self.rebuild(archive)  # left half-written by a killed `reindex`: start again
        except OSError as exc:
            return f"{incomplete}; catching up failed ({exc.strerror}); results may be incomplete"
        finally:
            lock.release()
        return None

    def searcher(self):
        return self.open().searcher()

    def close(self) -> None:
        if self._ix is not None:
            self._ix.close()
            self._ix = None

