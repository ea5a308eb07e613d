"""In-browser search: Pagefind's bundled CLI run over the built post pages, in shards.

Pagefind has no incremental mode, and re-indexing every page costs about half a
millisecond of CPU per page here, far too much for a refresh every minute. So the index is
split: each finished day is one shard (`posts/<day>/`), and the day still going on (the
build's "now", in the event's time zone) is indexed per hour (`posts/<day>/<hour>/`), so a
refresh re-indexes only the hours whose posts changed (their text, author, kind, talk or
language; not their like counts). When the day is over, its hours are merged into one
shard on the next build. The search page loads the first shard and merges the others
(Pagefind's `mergeIndex`).

A rebuilt shard goes to a new folder (`pagefind/<name>-<signature>/`); the previous folder
is kept for one more build so a browser that loaded the old list mid-refresh still finds
its files.
"""

from __future__ import annotations

import hashlib
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from backchannel.digest.model import Item
from backchannel.progress import NO_PROGRESS, Progress

BUNDLES = "pagefind"
TIMEOUT = 900  # seconds for one shard; 40,000 pages take about 30 s here
PARALLEL = 2


@dataclass
class SearchReport:
    shards: list[str] = field(default_factory=list)  # bundle folders, relative to the site root
    indexed: list[str] = field(default_factory=list)  # days whose shard was rebuilt
    seconds: float = 0.0
    error: str | None = None


@dataclass(frozen=True)
class Shard:
    name: str  # "2026-09-01" (a whole day) or "2026-09-02-14h" (an hour of the day going on)
    glob: str  # the pages it indexes, relative to the site root
    signature: str  # a hash of everything it indexes


def plan_shards(items: list[Item], site_signature: str, today: str) -> list[Shard]:
    """Whole days before `today`; `today` (and any later day) hour by hour.

    Only posts that may be searched count: their pages carry `data-pagefind-body`, so
    Pagefind leaves the other pages of a shard out, and a shard with none is not made.
    """
    groups: dict[tuple[str, str | None], list[str]] = {}
    for it in items:
        if not it.post.searchable:  # its author did not opt in to full-text search
            continue
        groups.setdefault((it.day, it.hour if it.day >= today else None), []).append(it.sfp)
    shards = []
    for (day, hour), sfps in sorted(groups.items(), key=lambda kv: (kv[0][0], kv[0][1] or "")):
        signature = hashlib.blake2b("|".join([site_signature, *sfps]).encode(), digest_size=6).hexdigest()
        if hour is None:
            shards.append(Shard(day, f"posts/{day}/**/*.html", signature))
        else:
            shards.append(Shard(f"{day}-{hour}h", f"posts/{day}/{hour}/*.html", signature))
    return shards


class Indexer:
    """Runs Pagefind for the shards that changed, up to PARALLEL at a time, in the background.

    The build hands over each day as soon as its post pages are written (`ready(day)`), so
    Pagefind indexes one day while Python renders the next: on two cores a full build
    takes about as long as the slower of the two instead of their sum.
    """

    def __init__(self, out: Path, shards: list[Shard], state: dict, progress: Progress = NO_PROGRESS):
        self.out = out
        self.progress = progress
        self.shards = shards
        self.state = state
        self.report = SearchReport()
        self.new_state: dict[str, dict] = {}
        self.waiting: dict[str, list[tuple[Shard, str]]] = {}  # day → shards to index once ready
        self.queue: list[tuple[Shard, str]] = []
        self.running: list[tuple[Shard, str, subprocess.Popen, Any, float]] = []
        self.failed: list[tuple[str, str]] = []
        self.started = time.perf_counter()
        for shard in shards:
            folder = f"{BUNDLES}/{shard.name}-{shard.signature}"
            old = state.get(shard.name, {})
            keep = [d for d in [old.get("dir"), *old.get("previous", [])] if d and d != folder][:1]
            self.new_state[shard.name] = {"dir": folder, "previous": keep}
            if not (out / folder / "pagefind-entry.json").exists():
                self.waiting.setdefault(shard.name[:10], []).append((shard, folder))
        progress.stage("search index", sum(len(w) for w in self.waiting.values()), "shards")

    def ready(self, day: str) -> None:
        """The pages of `day` are final: its shards may be indexed now."""
        self.queue += self.waiting.pop(day, [])
        self._pump()

    def finish(self) -> tuple[SearchReport, dict]:
        """Index what is left, wait for every run; returns the report and the state to keep."""
        for day in list(self.waiting):
            self.ready(day)
        while self.queue or self.running:
            self._reap(block=True)
            self._pump()
        report, new_state = self.report, self.new_state
        for name, message in self.failed:
            report.error = message
            old = self.state.get(name)
            if old and (self.out / old["dir"] / "pagefind-entry.json").exists():
                new_state[name] = old  # keep serving the last good shard
            else:
                new_state.pop(name)
        report.shards = [new_state[s.name]["dir"] + "/" for s in self.shards if s.name in new_state]
        _remove_unused(self.out, new_state)
        report.seconds = time.perf_counter() - self.started
        return report, new_state

    def abort(self) -> None:
        """Stop every Pagefind run and forget the queue."""
        self.queue.clear()
        self.waiting.clear()
        for shard, folder, proc, errors, _ in self.running:
            proc.kill()
            proc.wait()
            errors.close()
            shutil.rmtree(self.out / folder, ignore_errors=True)
        self.running.clear()

    def _pump(self) -> None:
        self._reap(block=False)
        while self.queue and len(self.running) < PARALLEL:
            shard, folder = self.queue.pop(0)
            shutil.rmtree(self.out / folder, ignore_errors=True)
            errors = tempfile.TemporaryFile()  # not a pipe: nobody reads it while Pagefind runs
            self.running.append((shard, folder, _start(self.out, shard.glob, folder, errors), errors,
                                 time.monotonic()))

    def _reap(self, block: bool) -> None:
        for entry in list(self.running):
            shard, folder, proc, errors, began = entry
            if block and entry is self.running[0]:
                try:
                    proc.wait(timeout=max(1, TIMEOUT - (time.monotonic() - began)))
                except subprocess.TimeoutExpired:
                    proc.kill()
                    proc.wait()
            elif proc.poll() is None:
                continue
            self.running.remove(entry)
            errors.seek(0)
            err = errors.read().decode("utf-8", "replace")
            errors.close()
            if proc.returncode != 0 or not (self.out / folder / "pagefind-entry.json").exists():
                tail = " ".join(err.split()[-40:]) or f"exit code {proc.returncode}"
                self.failed.append((shard.name, f"search index {shard.name}: Pagefind failed: {tail}"))
                shutil.rmtree(self.out / folder, ignore_errors=True)
            else:
                self.report.indexed.append(shard.name)
            self.progress.advance("search index")


def _start(out: Path, glob: str, folder: str, errors) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "pagefind", "--site", str(out), "--glob", glob,
           "--output-subdir", folder, "--force-language", "en", "--quiet"]
    return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errors, stdin=subprocess.DEVNULL)


def _remove_unused(out: Path, state: dict[str, dict]) -> None:
    wanted = {Path(d).name for s in state.values() for d in [s["dir"], *s.get("previous", [])]}
    bundles = out / BUNDLES
    if not bundles.is_dir():
        return
    for child in bundles.iterdir():
        if child.is_dir() and child.name not in wanted:
            shutil.rmtree(child, ignore_errors=True)
