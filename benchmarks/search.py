"""Search latency on a large archive: in process (p50/p95) and the whole `backchannel search` command.

    python benchmarks/search.py 100000            # builds (or reuses) benchmarks/out/search-100000

The archive is built once per size through the normal writer and kept under
benchmarks/out/ so repeated runs measure only search. Prints one table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = Path(os.environ.get("BACKCHANNEL_BENCH_OUT", HERE / "out"))  # where built events are kept
sys.path.insert(0, str(HERE))

from backchannel.validate import post_from_dict
from backchannel.archive import Archive  # noqa: E402
from backchannel.config import Config  # noqa: E402
from backchannel.index import Index  # noqa: E402
from backchannel.pipeline import Writer  # noqa: E402
from backchannel.search import Filters, search  # noqa: E402
from synth import posts as synth_posts  # noqa: E402

QUERIES = [
    ("one word", "latency", {}),
    ("two words", "vector index", {}),
    ("phrase", '"query planner"', {}),
    ("OR + NOT", "(security OR privacy) NOT phishing", {}),
    ("field in query", "tag:security encryption", {}),
    ("filters", "database", {"source": ["mastodon"], "tag": ["data"]}),
    ("date range", "monitoring", {"since": "2026-09-01T09:00", "until": "2026-09-01T12:00"}),
    ("sort newest", "kubernetes", {"sort": "newest"}),
    ("sort popular", "python", {"sort": "popular"}),
    ("rare word", "rollback", {}),
]


def build(folder: Path, count: int) -> None:
    if (folder / "archive.db").exists():
        return
    folder.mkdir(parents=True, exist_ok=True)
    t = time.perf_counter()
    writer = Writer(Config(path=None, data_dir=folder), Archive.in_dir(folder), Index.in_dir(folder))
    records = synth_posts(count)
    for start in range(0, count, 5000):
        writer.store([post_from_dict(r) for r in records[start:start + 5000]])
    writer.index.rebuild(writer.archive)  # one optimised segment, as `reindex` leaves it
    writer.close()
    print(f"(built {count} posts in {time.perf_counter() - t:.0f} s)", file=sys.stderr)


def in_process(folder: Path, rounds: int) -> dict[str, list[float]]:
    from zoneinfo import ZoneInfo

    from backchannel.search import parse_moment

    tz = ZoneInfo("Europe/Berlin")
    archive, index = Archive.in_dir(folder), Index.in_dir(folder)
    times: dict[str, list[float]] = {name: [] for name, _, _ in QUERIES}
    for _ in range(rounds):
        for name, text, opts in QUERIES:
            f = Filters(source=opts.get("source", []), tag=opts.get("tag", []),
                        since=parse_moment(opts["since"], tz) if "since" in opts else None,
                        until=parse_moment(opts["until"], tz) if "until" in opts else None)
            t = time.perf_counter()
            search(index, archive, text, f, sort=opts.get("sort", "relevance"), limit=20)
            times[name].append(time.perf_counter() - t)
    return times


def whole_command(folder: Path, rounds: int) -> list[float]:
    exe = Path(sys.executable).with_name("backchannel")
    times = []
    for _ in range(rounds):
        t = time.perf_counter()
        subprocess.run([str(exe), "search", "vector index", "--data-dir", str(folder)],
                       capture_output=True, check=True)
        times.append(time.perf_counter() - t)
    return times


def pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] if len(values) > 1 else values[0]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, nargs="?", default=100000)
    ap.add_argument("--rounds", type=int, default=20)
    args = ap.parse_args()
    folder = OUT / f"search-{args.count}"
    build(folder, args.count)
    times = in_process(folder, args.rounds)
    every = [t for ts in times.values() for t in ts]
    print(f"search on {args.count} posts, {args.rounds} rounds; milliseconds")
    print(f"{'query':<18} {'p50':>7} {'p95':>7}")
    for name, ts in times.items():
        print(f"{name:<18} {pct(ts, 50) * 1000:>7.1f} {pct(ts, 95) * 1000:>7.1f}")
    print(f"{'all, in process':<18} {pct(every, 50) * 1000:>7.1f} {pct(every, 95) * 1000:>7.1f}")
    cmd = whole_command(folder, max(5, args.rounds // 2))
    print(f"{'whole command':<18} {pct(cmd, 50) * 1000:>7.1f} {pct(cmd, 95) * 1000:>7.1f}")


if __name__ == "__main__":
    main()
