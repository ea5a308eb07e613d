"""Does a change to the talk matcher change any result? Save every post's talk and reason, then check.

    python benchmarks/talk_equality.py save /tmp/before.jsonl     # with the old matcher
    python benchmarks/talk_equality.py check /tmp/before.jsonl    # with the new one: lists differences

Covers every set in tests/data/talks (each programme format, the posts classified first as
in `talk_accuracy.py`) and the posts of `talk_matching.py` against its 200-talk programme
(10,000 by default, `--posts N`). For each post it keeps the talk, the reason (the
explanation `--explain` and post pages show) and every candidate's id and score, in the
order `Matcher.candidates` gives them. `check` exits 1 when anything differs.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import talk_accuracy  # noqa: E402
import talk_matching  # noqa: E402

from backchannel.talks.matcher import Matcher  # noqa: E402
from backchannel.talks.programme import load_schedule, parse_schedule  # noqa: E402

SETS = Path(__file__).resolve().parent.parent / "tests" / "data" / "talks"


def results(count: int):
    """(where, post id, talk, reason, candidates) for every post of every set and the benchmark."""
    for folder in sorted(p for p in SETS.iterdir() if (p / "posts.jsonl").exists()):
        posts, _ = talk_accuracy.load_set(folder)
        for path in talk_accuracy.programmes(folder):
            schedule = load_schedule(path, strict=False)
            matcher = Matcher(schedule.talks, schedule.timezone or "UTC")
            for post in posts:
                yield (f"{folder.name}/{path.name}", post.id, *_one(matcher, post))
    data, talks = talk_matching.programme()
    schedule = parse_schedule(data, "bench.json", "UTC")
    matcher = Matcher(schedule.talks, "UTC")
    for post in talk_matching.posts(count, talks):
        yield ("bench", post.id, *_one(matcher, post))


def _one(matcher: Matcher, post) -> tuple:
    cands = [[c.talk.id, c.score] for c in matcher.candidates(post)]
    talk, reason = matcher.match(post)  # after `candidates`: `match` remembers attachments for replies
    return talk, reason, cands


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("action", choices=("save", "check"))
    parser.add_argument("file", type=Path)
    parser.add_argument("--posts", type=int, default=10000, help="benchmark posts (default 10,000)")
    args = parser.parse_args()
    rows = [list(r) for r in results(args.posts)]
    if args.action == "save":
        with args.file.open("w", encoding="utf-8") as fh:
            for row in rows:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        print(f"saved {len(rows)} results to {args.file}")
        return
    before = [json.loads(line) for line in args.file.open(encoding="utf-8")]
    if len(before) != len(rows):
        print(f"{args.file} has {len(before)} results, this run {len(rows)}: run both with the same --posts")
        sys.exit(1)
    fields = ("talk", "reason", "candidates")
    diffs = 0
    for old, new in zip(before, rows):
        for i, name in enumerate(fields, start=2):
            if old[i] != new[i]:
                diffs += 1
                if diffs <= 20:
                    print(f"{new[0]} {new[1]}: {name} was {old[i]!r}\n    now {new[i]!r}")
                break
    matched = sum(1 for r in rows if r[2])
    print(f"{len(rows)} results ({matched} attached), {diffs} differ")
    sys.exit(1 if diffs else 0)


if __name__ == "__main__":
    main()
