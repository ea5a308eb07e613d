"""Speed of attaching posts to talks, against a 200-talk programme; one markdown table.

    python benchmarks/talk_matching.py            # 20,000 posts
    python benchmarks/talk_matching.py 100000
    python benchmarks/talk_matching.py 10000 --against /tmp/old --rounds 3   # old vs new, same run

The programme is five days of eight slots in five rooms, each talk with a title, an
abstract of 60–150 words from the synthetic vocabulary, one or two speakers with handles,
and a hashtag in the abstract's prose for a third of them. Posts are `synth.posts` spread
over the same five days, plus a share that mention speakers, hashtags and title words.
Runs `Matcher.match` in one process (the writer's path); parsing the programme and building
the matcher are timed apart. The rate is per second of this process's CPU time, so other
work on a shared machine does not count against it (the wall-clock rate is shown too).

`--against DIR` compares this checkout's matcher with the one in DIR (another checkout, e.g.
`git archive main | tar -x -C /tmp/old`) on the same posts: each round matches them once
with each matcher, alternating, each in a fresh process, and the table gives every run's CPU
time and the ratio of the medians (the machine's load drifts less between neighbouring runs).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import synth  # noqa: E402

from backchannel.validate import post_from_dict
from backchannel.models import Post  # noqa: E402
from backchannel.talks.programme import parse_schedule  # noqa: E402
from backchannel.talks.matcher import Matcher  # noqa: E402

START = datetime(2026, 9, 1, 7, 0, tzinfo=timezone.utc)
TARGET = 5000  # posts/s (issue 15)


def programme(seed: int = 1, days: int = 5, slots: int = 8, rooms: int = 5) -> tuple[bytes, list[dict]]:
    """A frab/pretalx schedule.json of days × slots × rooms talks, and the talks as dicts."""
    rng = random.Random(seed)
    talks, by_day = [], {}
    for day in range(days):
        for slot in range(slots):
            begin = START + timedelta(days=day, minutes=slot * 60)
            for room in range(rooms):
                n = len(talks)
                topic = synth.TOPICS["en"]
                title = f"{topic[n % len(topic)].title()} and {topic[(n * 7 + 3) % len(topic)]}: {synth._words(rng, 'en', 3)}"
                tag = f"talk{n}" if n % 3 == 0 else None
                abstract = synth._words(rng, "en", rng.randint(60, 150)) + (f" Follow along with #{tag}." if tag else "")
                people = [{"public_name": f"Speaker {n} {p}", "biography": f"Find me at @sp{n}x{p}@example.social"}
                          for p in range(rng.randint(1, 2))]
                talk = {"guid": f"talk-{n:03d}", "title": title, "date": begin.isoformat(),
                        "start": begin.strftime("%H:%M"), "duration": "00:45", "room": f"Room {room + 1}",
                        "abstract": abstract, "persons": people, "type": "Talk"}
                talks.append(talk)
                date = begin.date().isoformat()
                by_day.setdefault(date, {"index": len(by_day) + 1, "date": date, "rooms": {}})
                by_day[date]["rooms"].setdefault(talk["room"], []).append(talk)
    doc = {"schedule": {"conference": {"title": "Bench", "time_zone_name": "UTC", "days": list(by_day.values())}}}
    return json.dumps(doc).encode(), talks


def posts(count: int, talks: list[dict], seed: int = 2) -> list[Post]:
    """`synth.posts` spread over the programme's days; a quarter point at a talk."""
    rng = random.Random(seed)
    out = []
    for i, record in enumerate(synth.posts(count, seed=seed, start=START)):
        talk = rng.choice(talks)
        begin = datetime.fromisoformat(talk["date"])
        record["created_at"] = (begin + timedelta(minutes=rng.randint(-30, 90))).strftime("%Y-%m-%dT%H:%M:%SZ")
        hint = rng.random()
        if hint < 0.08:
            record["text"] += f" @sp{talks.index(talk)}x0@example.social"
        elif hint < 0.16:
            record["text"] += " " + talk["title"]
        elif hint < 0.25:
            record["text"] += f" {talk['persons'][0]['public_name']}"
        out.append(post_from_dict(record))
    return out


_CHILD = """
import sys, time
sys.path.insert(0, sys.argv[1])  # the matcher of that checkout, imported before the benchmark's own
from backchannel.talks.programme import parse_schedule
from backchannel.talks.matcher import Matcher
import backchannel.validate
sys.path.insert(0, sys.argv[2] + '/benchmarks')
import talk_matching as tm
assert Matcher.__module__ and sys.modules['backchannel'].__path__[0].startswith(sys.argv[1])
data, talks = tm.programme()
matcher = Matcher(parse_schedule(data, 'bench.json', 'UTC').talks, 'UTC')
batch = tm.posts(int(sys.argv[3]), talks)
cpu = time.process_time()
attached = sum(1 for p in batch if matcher.match(p)[0])
print(time.process_time() - cpu, attached)
"""


def compare(count: int, other: Path, rounds: int) -> None:
    """CPU seconds of matching `count` posts with this checkout's matcher and `other`'s, alternating."""
    here = Path(__file__).resolve().parent.parent
    times: dict[str, list[float]] = {"this": [], "other": []}
    load = os.getloadavg()[0]
    for _ in range(rounds):
        for name, root in (("other", other.resolve()), ("this", here)):
            out = subprocess.run([sys.executable, "-c", _CHILD, str(root), str(here), str(count)],
                                 env={**os.environ, "BACKCHANNEL_BENCH_OTHER_CHECKOUT": "1"},
                                 capture_output=True, text=True, check=True).stdout.split()
            times[name].append(float(out[0]))
    load = f"{load:.1f}–{os.getloadavg()[0]:.1f}"
    print(f"talk matching: {count} posts against 200 talks, {rounds} alternating rounds, load {load}")
    print()
    print("| matcher | CPU seconds per run | median rate |")
    print("|---|---|---|")
    for name, label in (("other", str(other)), ("this", "this checkout")):
        runs = ", ".join(f"{t:.2f}" for t in times[name])
        print(f"| {label} | {runs} | {count / statistics.median(times[name]):,.0f} posts/s |")
    ratio = statistics.median(times["other"]) / statistics.median(times["this"])
    print(f"\nthis checkout is {ratio:.2f}× as fast (median CPU time of {other} / this)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("count", type=int, nargs="?", default=20000)
    parser.add_argument("--against", type=Path, metavar="DIR", help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=3, help="alternating runs each, with --against")
    args = parser.parse_args()
    if args.against:
        compare(args.count, args.against, args.rounds)
        return
    data, talks = programme()
    started = time.perf_counter()
    schedule = parse_schedule(data, "bench.json", "UTC")
    parsed = time.perf_counter() - started
    started = time.perf_counter()
    matcher = Matcher(schedule.talks, "UTC")
    built = time.perf_counter() - started
    batch = posts(args.count, talks)
    started, cpu = time.perf_counter(), time.process_time()
    attached = sum(1 for p in batch if matcher.match(p)[0])
    took, cpu = time.perf_counter() - started, time.process_time() - cpu
    rate = len(batch) / cpu
    print(f"talk matching: {len(batch)} posts against {len(schedule.talks)} talks")
    print()
    print("| step | time | rate | target | met? |")
    print("|---|---|---|---|---|")
    print(f"| read the programme (JSON) | {parsed * 1000:.0f} ms | | | |")
    print(f"| build the matcher | {built * 1000:.0f} ms | | | |")
    print(f"| match every post | {took:.2f} s ({cpu:.2f} s CPU) | {rate:,.0f} posts/s of CPU time "
          f"({len(batch) / took:,.0f} wall) | ≥ {TARGET:,} posts/s | {'yes' if rate >= TARGET else 'no'} |")
    print(f"\n{attached} of {len(batch)} posts attached to a talk")


if __name__ == "__main__":
    main()
