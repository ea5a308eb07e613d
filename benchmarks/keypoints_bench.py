"""Throughput of key-point grouping (takeaways → points), printed as one markdown table.

    python benchmarks/keypoints_bench.py 20000      # 20,000 takeaways, best of 3 rounds
    python benchmarks/keypoints_bench.py 100000

The takeaways are the synthetic event's posts (`synth.py`: a Zipf vocabulary, several
languages, links, blog recaps), grouped the way the digest groups them: per talk (32 talks
over two days, so several hundred takeaways a talk at 20,000), and the posts outside any
talk per day. A second row groups a few very large sets (5,000 takeaways each), the worst
case of an event without a schedule. One process, one core, as `backchannel build` uses.
Times are CPU seconds, the best of `--rounds` (on a shared machine wall time measures the
neighbours, and CPU time still varies by a fifth: compare within one run).
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backchannel.validate import post_from_dict
from backchannel.digest.keypoints import key_points  # noqa: E402
from backchannel.models import Post  # noqa: E402
from synth import posts as synth_posts, schedule  # noqa: E402


def sets_by_talk(posts: list[Post]) -> list[tuple[str, list[Post]]]:
    """Takeaways per talk (by time slot and track), the rest per day."""
    talks = schedule(posts[0].created_at.replace(hour=7, minute=0, second=0))
    groups: dict[str, list[Post]] = defaultdict(list)
    for i, p in enumerate(posts):
        slot = [t for t in talks if t["start"] <= p.created_at <= t["end"]]
        key = slot[i % len(slot)]["title"] if slot else p.created_at.date().isoformat()
        groups[key].append(p)
    return sorted(groups.items())


def timed(sets: list[tuple[str, list[Post]]]) -> tuple[float, int]:
    """CPU seconds (the machine is shared: wall time measures the neighbours) and points found."""
    start = time.process_time()
    points = sum(len(key_points(group, context=title)) for title, group in sets)
    return time.process_time() - start, points


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("count", type=int, nargs="?", default=20_000)
    parser.add_argument("--rounds", type=int, default=3, help="time each grouping this often, keep the best")
    args = parser.parse_args()
    posts = sorted((post_from_dict(d) for d in synth_posts(args.count)), key=lambda p: p.created_at)
    key_points(posts[:200])  # what a process does once (imports, compiled patterns) before the clock
    rows = []
    for label, sets in (("per talk, the rest per day", sets_by_talk(posts)),
                        ("sets of 5,000 (no schedule)",
                         [("", posts[i:i + 5000]) for i in range(0, len(posts), 5000)])):
        seconds, points = min(timed(sets) for _ in range(max(1, args.rounds)))
        rows.append((label, len(sets), points, seconds, len(posts) / seconds))
    print(f"\n### Key points: {len(posts):,} takeaways grouped\n")
    print("| grouping | sets | points | CPU seconds | takeaways/s |")
    print("|---|---:|---:|---:|---:|")
    for label, n, points, seconds, rate in rows:
        print(f"| {label} | {n:,} | {points:,} | {seconds:.2f} | {rate:,.0f} |")


if __name__ == "__main__":
    main()
