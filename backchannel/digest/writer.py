"""Writing the digest's files: atomically, and only the ones whose bytes changed.

Every file is written to a temporary name next to it and renamed into place, so a reader
(`backchannel serve`, a static host syncing the folder) never sees half a page. A manifest
(`.backchannel-digest.json` in the output folder) remembers, per file, the key of what it
was rendered from, the hash of its bytes, and its size and mtime:

- same key and the file untouched since → not even rendered (`fresh`);
- rendered to the same bytes → not rewritten;
- produced last time but not this time (a deleted post) → removed.

Files the manifest does not list (a README the user keeps in `output/`) are never touched.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

from backchannel.errors import BackchannelError, LockedError

MANIFEST = ".backchannel-digest.json"
LOCK = ".backchannel-digest.lock"
FORMAT = 1


@dataclass
class WriteStats:
    written: int = 0  # new or changed bytes
    unchanged: int = 0  # rendered, same bytes: left alone
    skipped: int = 0  # same inputs as last time: not rendered at all
    removed: int = 0
    written_paths: list[str] = field(default_factory=list)

    @property
    def files(self) -> int:
        return self.written + self.unchanged + self.skipped


class SiteWriter:
    """Writes files under `root`, tracking them in the manifest; call `finish()` at the end.

    `signature` names everything that shapes every page (templates, config, talks): when it
    differs from the last build's, no page counts as fresh and all are rendered again.
    """

    def __init__(self, root: Path, signature: str, full: bool = False):
        self.root = Path(root)
        try:
            self.root.mkdir(parents=True, exist_ok=True)
            self._lock = _lock(self.root)
        except OSError as exc:
            raise BackchannelError(f"{self.root}: cannot write the digest here: {exc.strerror}") from None
        self._base = str(self.root)
        remove_temporary(self.root)
        self.signature = signature
        try:
            self._manifest = (self.root / MANIFEST).read_bytes()
        except OSError:
            self._manifest = b""
        old = {} if full else _read_manifest(self._manifest, self.root)
        self.old: dict[str, list] = old.get("files", {})
        self.same_inputs = old.get("signature") == signature and old.get("format") == FORMAT
        self.extra: dict = old.get("extra", {})
        self.new: dict[str, list] = {}
        self.stats = WriteStats()

    def fresh(self, path: str, key: str | None) -> bool:
        """True (and the file is kept) when `path` was built from `key` and is still intact."""
        entry = self.old.get(path)
        if key is None or not self.same_inputs or not entry or entry[0] != key:
            return False
        try:
            st = os.stat(os.path.join(self._base, path))  # plain strings: 20,000 stats per refresh
        except OSError:
            return False
        if st.st_size != entry[2] or st.st_mtime_ns != entry[3]:
            return False
        self.new[path] = entry
        self.stats.skipped += 1
        return True

    def page(self, path: str, key: str | None, render: Callable[[], str | bytes]) -> None:
        """Write `render()` to `path` unless the file is fresh for `key`."""
        if not self.fresh(path, key):
            self.write(path, render(), key)

    def write(self, path: str, data: str | bytes, key: str | None = None) -> bool:
        """Write `data` to `path` (relative to the root) if its bytes changed; True if written."""
        blob = data.encode("utf-8") if isinstance(data, str) else data
        digest = hashlib.blake2b(blob, digest_size=12).hexdigest()
        target = os.path.join(self._base, path)
        entry = self.old.get(path)
        if entry and entry[1] == digest:
            try:
                st = os.stat(target)
                if st.st_size == entry[2] and st.st_mtime_ns == entry[3]:
                    self.new[path] = [key, digest, st.st_size, st.st_mtime_ns]
                    self.stats.unchanged += 1
                    return False
            except OSError:
                pass
        st = atomic_write(target, blob)
        self.new[path] = [key, digest, st.st_size, st.st_mtime_ns]
        self.stats.written += 1
        self.stats.written_paths.append(path)
        return True

    def stream(self, path: str, key: str | None, chunks: Callable[[], Iterable[bytes]]) -> None:
        """Like `page`, for a big file made in pieces (posts.jsonl): never whole in memory."""
        if self.fresh(path, key):
            return
        target = os.path.join(self._base, path)
        folder, name = os.path.split(target)
        tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
        os.makedirs(folder, exist_ok=True)
        h = hashlib.blake2b(digest_size=12)
        try:
            with open(tmp, "wb") as fh:
                for chunk in chunks():
                    h.update(chunk)
                    fh.write(chunk)
                fh.flush()
                st = os.fstat(fh.fileno())
        except BaseException:
            _unlink(tmp)
            raise
        digest = h.hexdigest()
        entry = self.old.get(path)
        try:
            old = os.stat(target)
            same = entry and entry[1] == digest and old.st_size == entry[2] and old.st_mtime_ns == entry[3]
        except OSError:
            same = False
        if same:
            os.unlink(tmp)
            self.new[path] = [key, digest, old.st_size, old.st_mtime_ns]
            self.stats.unchanged += 1
            return
        os.replace(tmp, target)
        self.new[path] = [key, digest, st.st_size, st.st_mtime_ns]
        self.stats.written += 1
        self.stats.written_paths.append(path)

    def keep(self, path: str) -> None:
        """Keep a file produced earlier without rewriting it (its entry carries over)."""
        if path in self.old:
            self.new[path] = self.old[path]

    def remove_stale(self, prefix: str = "") -> None:
        """Remove files (under `prefix`) the last build made and this one has not: deleted posts."""
        for path in sorted(p for p in self.old.keys() - self.new.keys() if p.startswith(prefix)):
            try:
                (self.root / path).unlink()
                self.stats.removed += 1
            except FileNotFoundError:
                pass
            _prune_dirs(self.root, Path(path).parent)
            del self.old[path]

    def finish(self) -> WriteStats:
        """Remove stale files and save the manifest; the build is complete."""
        self.remove_stale()
        data = {"format": FORMAT, "signature": self.signature, "files": self.new, "extra": self.extra}
        blob = json.dumps(data, separators=(",", ":")).encode()
        if blob != self._manifest:
            atomic_write(self.root / MANIFEST, blob)
        self.close()
        return self.stats

    def close(self) -> None:
        if self._lock:
            self._lock.close()  # closing the file releases the flock
            self._lock = None


def atomic_write(target: Path | str, blob: bytes) -> os.stat_result:
    """Write then rename: readers see the old file or the new one, never a partial one."""
    target = str(target)
    folder, name = os.path.split(target)
    tmp = os.path.join(folder, f".{name}.{os.getpid()}.tmp")
    try:
        fh = open(tmp, "wb")
    except FileNotFoundError:  # a new folder; cheaper than asking for every file
        os.makedirs(folder, exist_ok=True)
        fh = open(tmp, "wb")
    try:
        with fh:
            fh.write(blob)
            fh.flush()
            st = os.fstat(fh.fileno())  # the rename keeps size and mtime
        os.replace(tmp, target)
    except BaseException:  # a full disk, an interrupt: leave no temporary file behind
        _unlink(tmp)
        raise
    return st


def _unlink(path: str) -> None:
    try:
        os.unlink(path)
    except OSError:
        pass


_TMP = re.compile(r"\..+\.\d+\.tmp")


def remove_temporary(root: Path) -> int:
    """Tidy the output before a build (the build lock is held); returns how many files went.

    Removes temporary files a killed build or a full disk left (`.name.PID.tmp`), and every
    symbolic link: the build never makes one, and writing through a linked folder (or
    pruning one) would reach outside the output. Only the link goes, never what it points to.
    """
    n = 0
    stack = [str(root)]
    while stack:
        folder = stack.pop()
        try:
            entries = list(os.scandir(folder))
        except OSError:
            continue
        for entry in entries:
            if entry.is_symlink():
                _unlink(entry.path)
                n += 1
            elif entry.is_dir(follow_symlinks=False):
                stack.append(entry.path)
            elif entry.name.endswith(".tmp") and _TMP.fullmatch(entry.name):
                _unlink(entry.path)
                n += 1
    return n


def _read_manifest(blob: bytes, root: Path) -> dict:
    """The last build's manifest, keeping only entries that name files inside `root`.

    The manifest is a file in the output folder, so anyone who can write there can edit it:
    an entry like `../../x` would otherwise have `remove_stale` delete a file outside the
    output. Entries that are absolute, contain `..`, or resolve outside are dropped.
    """
    try:
        data = json.loads(blob)
    except (ValueError, RecursionError):
        return {}  # no manifest, or a broken one: everything is rendered and compared again
    if not isinstance(data, dict) or not isinstance(data.get("files"), dict):
        return {}
    check = Inside(root)
    files = {path: entry for path, entry in data["files"].items() if _entry_ok(entry) and check(path)}
    extra = data.get("extra") if isinstance(data.get("extra"), dict) else {}
    if "search" in extra and not _search_ok(extra["search"]):
        extra["search"] = {}  # the word lists are written again
    return {**data, "files": files, "extra": extra}


class Inside:
    """`Inside(root)(path)`: True when `path` is a plain relative path that stays inside `root`,
    symlinks resolved (each folder once: a manifest lists 100,000 files in a few hundred)."""

    def __init__(self, root: Path):
        self.root = os.path.realpath(root)
        self.folders: dict[str, bool] = {}

    def __call__(self, path: object) -> bool:
        if not isinstance(path, str) or not path or "\0" in path or "\\" in path or path.startswith("/"):
            return False
        parts = path.split("/")
        if any(p in ("", ".", "..") for p in parts):
            return False
        folder = "/".join(parts[:-1])
        ok = self.folders.get(folder)
        if ok is None:
            real = os.path.realpath(os.path.join(self.root, folder))
            ok = self.folders[folder] = real == self.root or real.startswith(self.root.rstrip(os.sep) + os.sep)
        # the file itself may be a symlink: removing one only removes the link, which is inside
        return ok


def _entry_ok(entry: object) -> bool:
    return (isinstance(entry, list) and len(entry) == 4 and (entry[0] is None or isinstance(entry[0], str))
            and isinstance(entry[1], str) and all(isinstance(n, int) and not isinstance(n, bool) for n in entry[2:]))


def _search_ok(state: object) -> bool:
    """The search index's state: its key, and the files it wrote (plain strings; `fresh`
    only trusts the ones the manifest's checked entries also list)."""
    return (isinstance(state, dict) and isinstance(state.get("key"), str)
            and isinstance(state.get("files"), list) and all(isinstance(f, str) for f in state["files"])
            and all(isinstance(state.get(k), int) for k in ("buckets", "words")))


def _lock(root: Path):
    fh = open(root / LOCK, "a+")
    try:
        fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        fh.close()
        raise LockedError(f"{root}: another backchannel process is building the digest here; "
                          "wait for it to finish") from None
    return fh


def _prune_dirs(root: Path, folder: Path) -> None:
    """Remove folders emptied by removals, up to (not including) the root."""
    while folder.parts:
        try:
            (root / folder).rmdir()
        except OSError:
            return
        folder = folder.parent
