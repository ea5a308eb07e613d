"""Ingest throughput: archive + index (our Writer) against raw Whoosh `add_document`.

    python benchmarks/ingest.py 20000

Every row indexes the same posts with the same schema in the same run, one after the
other, so the ratios are meaningful on a noisy machine. The last two rows are the whole
`backchannel import` path from a JSONL file (parse, sanitise, kind, score, talk against the
synthetic event's programme, archive, index), with the index written in a child process
(as `import` does) and in this one. Prints one table.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backchannel.validate import post_from_dict
from backchannel.archive import Archive  # noqa: E402
from backchannel.config import Config  # noqa: E402
from backchannel.index import Index, document, schema  # noqa: E402
from backchannel.models import Post  # noqa: E402
from backchannel.pipeline import Writer  # noqa: E402
from synth import posts as synth_posts, write_event  # noqa: E402

BATCH = 2000


def raw_whoosh(posts: list[Post], folder: Path) -> float:
    from whoosh import index as whoosh_index

    ix = whoosh_index.create_in(str(folder), schema())
    docs = [document(p) for p in posts]  # the baseline gets its documents ready-made
    t = time.perf_counter()
    for start in range(0, len(docs), BATCH):
        w = ix.writer(limitmb=256)
        for d in docs[start:start + BATCH]:
            w.add_document(**d)
        w.commit()
    return time.perf_counter() - t


def ours(posts: list[Post], folder: Path, enrich: bool) -> float:
    from backchannel.enrich import make_enricher

    cfg = Config(path=None, data_dir=folder)
    writer = Writer(cfg, Archive.in_dir(folder), Index.in_dir(folder), make_enricher(cfg) if enrich else None)
    t = time.perf_counter()
    for start in range(0, len(posts), BATCH):
        writer.store(posts[start:start + BATCH])
    elapsed = time.perf_counter() - t
    writer.close()
    return elapsed


def whole_import(folder: Path, count: int, index_process: bool) -> float:
    """`backchannel import` of the synthetic event's posts.jsonl (its programme configured)."""
    from backchannel.config import load
    from backchannel.importer import import_file
    from backchannel.pipeline import open_writer

    event = folder / "event"
    if not event.exists():
        write_event(event, count)
    cfg = load(event / "backchannel.toml", data_dir=folder / f"data-{index_process}")
    t = time.perf_counter()
    with open_writer(cfg, index_process=index_process) as writer, open(event / "posts.jsonl", "rb") as fh:
        report = import_file(fh, writer)
    elapsed = time.perf_counter() - t  # the writer's close waits for the last batch's index commit
    assert report.added == count and not report.bad, report
    return elapsed


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, nargs="?", default=20000)
    args = ap.parse_args()
    posts = [post_from_dict(r) for r in synth_posts(args.count)]
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        runs = {
            "raw Whoosh add_document": raw_whoosh(posts, _mk(base / "raw")),
            "archive + index": ours(posts, _mk(base / "ours"), enrich=False),
            "archive + index + classify": ours(posts, _mk(base / "ours-classify"), enrich=True),
            "whole import, index process": whole_import(base, args.count, index_process=True),
            "whole import, one process": whole_import(base, args.count, index_process=False),
        }
    baseline = runs["raw Whoosh add_document"]
    print(f"ingest of {args.count} posts, batches of {BATCH}")
    print(f"{'what':<31} {'seconds':>8} {'posts/s':>9} {'vs raw':>7}")
    for name, secs in runs.items():
        print(f"{name:<31} {secs:>8.2f} {args.count / secs:>9.0f} {baseline / secs:>6.0%}")
    print(json.dumps({k: round(args.count / v) for k, v in runs.items()}), file=sys.stderr)


def _mk(p: Path) -> Path:
    p.mkdir(parents=True)
    return p


if __name__ == "__main__":
    main()
