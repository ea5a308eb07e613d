"""Ingest throughput: the whole `backchannel import` path against raw Whoosh `add_document`.

    python benchmarks/ingest.py 20000

Every row indexes the same posts with the same schema in the same run, one after the
other, so the ratios are meaningful on a noisy machine. Rows: raw Whoosh with ready-made
documents; our archive + index (the Writer, no classification); the whole import of the
synthetic event's posts.jsonl (parse, sanitise, kind, score, talk against its programme,
archive, index) with the index written in a child process, as `import` does, and in this
one. Prints one table.

Wall-clock seconds on a loaded machine say as much about the scheduler as about the code
(an import's two processes get twice the CPU share of one). So the table also gives each
row's CPU seconds, here and in the child, and "vs raw, CPU": raw Whoosh's CPU seconds over
the busier process's: what the wall-clock ratio tends to on two free cores when there are
many batches (the first batch's preparation and the last one's indexing do not overlap).
"""

from __future__ import annotations

import argparse
import json
import resource
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backchannel.validate import post_from_dict  # noqa: E402
from backchannel.archive import Archive  # noqa: E402
from backchannel.config import Config  # noqa: E402
from backchannel.index import Index, document, schema  # noqa: E402
from backchannel.models import Post  # noqa: E402
from backchannel.pipeline import Writer  # noqa: E402
from synth import posts as synth_posts, write_event  # noqa: E402

BATCH = 2000


def raw_whoosh(posts: list[Post], folder: Path) -> "Clock":
    from whoosh import index as whoosh_index

    ix = whoosh_index.create_in(str(folder), schema())
    docs = [document(p) for p in posts]  # the baseline gets its documents ready-made
    clock = Clock()
    for start in range(0, len(docs), BATCH):
        w = ix.writer(limitmb=256)
        for d in docs[start:start + BATCH]:
            w.add_document(**d)
        w.commit()
    return clock.stop()


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
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        write_event(base / "event", args.count)
        runs = {
            "raw Whoosh add_document": raw_whoosh(posts, _mk(base / "raw")),
            "archive + index": ours(posts, _mk(base / "ours")),
            "whole import, index process": whole_import(base, args.count, index_process=True),
            "whole import, one process": whole_import(base, args.count, index_process=False),
        }
    raw = runs["raw Whoosh add_document"]
    print(f"ingest of {args.count} posts, batches of {BATCH}")
    print(f"{'what':<29} {'seconds':>8} {'posts/s':>8} {'vs raw':>7} {'CPU here':>9} {'CPU child':>10}"
          f" {'vs raw, CPU':>12}")
    for name, run in runs.items():
        busier = max(run.cpu, run.child)
        print(f"{name:<29} {run.wall:>8.2f} {args.count / run.wall:>8.0f} {raw.wall / run.wall:>6.0%}"
              f" {run.cpu:>9.2f} {run.child:>10.2f} {raw.cpu / busier:>11.0%}")
    print(json.dumps({k: round(args.count / r.wall) for k, r in runs.items()}), file=sys.stderr)


def _mk(p: Path) -> Path:
    p.mkdir(parents=True)
    return p


if __name__ == "__main__":
    main()
