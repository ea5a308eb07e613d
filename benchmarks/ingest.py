"""Ingest throughput: the whole `backchannel import` path against raw Whoosh `add_document`.

    python benchmarks/ingest.py 20000

Every row indexes the same posts in the same run, one after the other, so the ratios are
meaningful on a noisy machine. Rows:
- raw Whoosh as on 24 November 2026: that day's schema (Whoosh's own stem cache), Whoosh's
  defaults (zlib-compressed posting blocks, one compound file) and a 256 MB pool; this is
  the baseline the ratios are taken against ("vs raw"), as it was then;
- raw Whoosh with today's schema and the writer settings the import uses (uncompressed
  blocks, separate files, the 32 MB pool); "vs raw now" compares with it;
- our archive + index (the Writer, no classification);
- the whole import of the synthetic event's posts.jsonl (parse, sanitise, kind, score,
  talk against its programme, archive, index) with the index written in a child process,
  as `import` does, and in this one.
Every row gets documents or posts ready-made; the raw rows do no archive work at all.

Wall-clock seconds on a loaded machine say as much about the scheduler as about the code
(an import's two processes get twice the CPU share of one). So the table also gives each
row's CPU per post, here and in the child, and "vs raw, CPU": the old raw row's CPU over
the busier process's: what the wall-clock ratio tends to on two free cores when there are
many batches (the first batch's preparation and the last one's indexing do not overlap).
Under it: the load average, and what the CPU per post allows on two free cores against
the 1,500 posts/s target (1.33 ms of CPU per post for both processes together).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backchannel.validate import post_from_dict  # noqa: E402
from backchannel.archive import Archive  # noqa: E402
from backchannel.config import Config  # noqa: E402
from backchannel.index import CODEC, POOL_MB, TOKENS, Index, document, schema  # noqa: E402
from backchannel.models import Post  # noqa: E402
from backchannel.pipeline import Writer  # noqa: E402
from synth import posts as synth_posts, write_event  # noqa: E402

BATCH = 2000


def raw_whoosh(posts: list[Post], folder: Path, settings: str) -> "Clock":
    from whoosh import index as whoosh_index

    docs = [document(p) for p in posts]  # the baseline gets its documents ready-made
    if settings == "24 November":
        fields, options = schema_of_24_november(), {"limitmb": 256}
        for d in docs:
            d["session"] = d.pop("talk")
    else:
        fields, options = schema(), {"limitmb": POOL_MB, "compound": False, "codec": CODEC}
    ix = whoosh_index.create_in(str(folder), fields)
    clock = Clock()
    for start in range(0, len(docs), BATCH):
        w = ix.writer(**options)
        for d in docs[start:start + BATCH]:
            w.add_document(**d)
        w.commit()
    return clock.stop()


def schema_of_24_november():
    """Today's fields as they were then: `talk` was `session`; Whoosh's own stem cache."""
    from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
    from whoosh.fields import ID, TEXT

    old = copy.deepcopy(schema())
    old.remove("talk")
    old.add("session", ID())
    old.remove("text")
    old.add("text", TEXT(analyzer=RegexTokenizer(TOKENS) | LowercaseFilter() | StopFilter(minsize=1)
                         | StemFilter(cachesize=50000), stored=True))
    old["text"].multitoken_query = "phrase"
    return old


def ours(posts: list[Post], folder: Path) -> "Clock":
    cfg = Config(path=None, data_dir=folder)
    writer = Writer(cfg, Archive.in_dir(folder), Index.in_dir(folder))
    clock = Clock()
    for start in range(0, len(posts), BATCH):
        writer.store(posts[start:start + BATCH])
    clock.stop()
    writer.close()
    return clock


def whole_import(folder: Path, count: int, index_process: bool) -> "Clock":
    """`backchannel import` of the synthetic event's posts.jsonl (its programme configured)."""
    from backchannel.config import load
    from backchannel.importer import import_file
    from backchannel.pipeline import open_writer

    event = folder / "event"
    cfg = load(event / "backchannel.toml", data_dir=folder / f"data-{index_process}")
    clock = Clock()
    with open_writer(cfg, index_process=index_process) as writer, open(event / "posts.jsonl", "rb") as fh:
        report = import_file(fh, writer)
    clock.stop()  # after the writer's close, which waits for the last batch's index commit
    assert report.added == count and not report.bad, report
    return clock


class Clock:
    """Wall and CPU seconds from now to `stop()`: CPU of this process and of the children
    that ended in between (the index process ends when the import's writer closes)."""

    def __init__(self):
        self.wall, self.cpu, self.child = time.perf_counter(), time.process_time(), _children_cpu()

    def stop(self) -> "Clock":
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        self.child = _children_cpu() - self.child
        return self


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, nargs="?", default=20000)
    args = ap.parse_args()
    posts = [post_from_dict(r) for r in synth_posts(args.count)]
    load_before = os.getloadavg()[0]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        write_event(base / "event", args.count)
        runs = {
            "raw Whoosh, as on 24 November": raw_whoosh(posts, _mk(base / "raw-old"), "24 November"),
            "raw Whoosh, import's settings": raw_whoosh(posts, _mk(base / "raw-now"), "now"),
            "archive + index": ours(posts, _mk(base / "ours")),
            "whole import, index process": whole_import(base, args.count, index_process=True),
            "whole import, one process": whole_import(base, args.count, index_process=False),
        }
    load_after = os.getloadavg()[0]
    raw, raw_now = runs["raw Whoosh, as on 24 November"], runs["raw Whoosh, import's settings"]
    n = args.count
    print(f"ingest of {n} posts, batches of {BATCH}; load average {load_before:.1f} before, {load_after:.1f} after")
    print(f"{'what':<30} {'seconds':>8} {'posts/s':>8} {'vs raw':>7} {'vs raw now':>11}"
          f" {'CPU ms/post here':>17} {'child':>6} {'vs raw, CPU':>12}")
    for name, run in runs.items():
        busier = max(run.cpu, run.child)
        print(f"{name:<30} {run.wall:>8.2f} {n / run.wall:>8.0f} {raw.wall / run.wall:>6.0%}"
              f" {raw_now.wall / run.wall:>10.0%} {1000 * run.cpu / n:>17.2f} {1000 * run.child / n:>6.2f} {raw.cpu / busier:>11.0%}")
    imp = runs["whole import, index process"]
    both = 1000 * (imp.cpu + imp.child) / n
    print(f"1,500 posts/s on 2 cores allows 1.33 ms of CPU per post; the whole import used {both:.2f}"
          f" (parent {1000 * imp.cpu / n:.2f} + index process {1000 * imp.child / n:.2f}): two free cores"
          f" give at most {n / max(imp.cpu, imp.child):.0f} posts/s with this split"
          f" ({2000 / both:.0f} if it were even)")
    print(json.dumps({k: round(n / r.wall) for k, r in runs.items()}), file=sys.stderr)


def _mk(p: Path) -> Path:
    p.mkdir(parents=True)
    return p


if __name__ == "__main__":
    main()
