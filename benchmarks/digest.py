"""Digest build times: a full build, a rebuild with nothing new, and a refresh after 100 new posts.

    python benchmarks/digest.py 20000
    python benchmarks/digest.py 100000

The posts go through the real pipeline first (classifier, talk matching with the synthetic
schedule, archive) — that part is not timed. Then `digest.build(config)` runs as `backchannel build`
does (talks, ranking, the search index and all). Prints one table; the refresh row also says how many files it
rewrote out of how many.
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import sys
import time
from datetime import timedelta
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = Path(os.environ.get("BACKCHANNEL_BENCH_OUT", HERE / "out"))  # where built events are kept
sys.path.insert(0, str(HERE))

from backchannel.validate import post_from_dict
from backchannel.config import load  # noqa: E402
from backchannel.digest import build  # noqa: E402
from backchannel.enrich import make_enricher  # noqa: E402
from backchannel.talks.live import Programme  # noqa: E402
from backchannel.index import Index  # noqa: E402
from backchannel.archive import Archive  # noqa: E402
from backchannel.models import parse_time  # noqa: E402
from backchannel.pipeline import Writer  # noqa: E402
from synth import posts as synth_posts, write_event  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, nargs="?", default=20000)
    args = ap.parse_args()
    folder = OUT / f"digest-{args.count}"
    shutil.rmtree(folder, ignore_errors=True)
    write_event(folder, 0)
    cfg = load(folder / "backchannel.toml")
    talks = Programme.open(cfg).talks
    records = sorted(synth_posts(args.count + 100), key=lambda r: r["created_at"])
    old, new = records[:-100], records[-100:]
    writer = Writer(cfg, Archive.in_dir(cfg.data_dir), Index.in_dir(cfg.data_dir), make_enricher(cfg, talks))
    for start in range(0, len(old), 5000):
        writer.store([post_from_dict(r) for r in old[start:start + 5000]])
    rows = []

    def timed(label: str, now) -> None:
        t = time.perf_counter()
        report = build(cfg, now=now)
        rows.append((label, time.perf_counter() - t, report))

    now = parse_time(old[-1]["created_at"]) + timedelta(minutes=1)
    timed("full build", now)
    timed("rebuild, nothing new", now)
    writer.store([post_from_dict(r) for r in new])
    timed("refresh, +100 posts", parse_time(new[-1]["created_at"]) + timedelta(minutes=1))
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    writer.close()
    print(f"digest of {args.count} posts ({len(talks)} talks); peak memory of this process {peak:.0f} MB")
    print(f"{'what':<22} {'seconds':>8} {'search s':>9} {'written':>8} {'files':>8}")
    for label, secs, r in rows:
        search = r.search.seconds if r.search else 0.0
        print(f"{label:<22} {secs:>8.2f} {search:>9.2f} {r.written:>8} {r.files:>8}  "
              f"search index: {r.search.posts if r.search else 0} posts, {r.search.words if r.search else 0} words")


if __name__ == "__main__":
    main()
