"""Throughput of the post classifier, printed as one markdown table.

    python benchmarks/classify_bench.py            # 20,000 posts
    python benchmarks/classify_bench.py --posts 100000

Posts are built from the development and training corpora, each one varied (numbers,
mentions, hashtags, links, word order) so the run does not replay a few hundred strings.
Runs in one process on one core, which is what `backchannel classify` uses.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from pathlib import Path

from backchannel.classify import classifier as classify
from backchannel.classify.classifier import classify_lines, classify_records, classify_text

ROOT = Path(__file__).resolve().parent.parent
CORPORA = [ROOT / "tests" / "data" / "classify_dev.jsonl",
           ROOT / "backchannel" / "classify" / "data" / "train.jsonl"]


def make_posts(n: int, seed: int = 1) -> list[dict]:
    """`n` varied posts with id, text, lang and source."""
    rng = random.Random(seed)
    base = [json.loads(line) for path in CORPORA for line in path.open(encoding="utf-8")]
    posts = []
    for i in range(n):
        row = rng.choice(base)
        words = row["text"].split(" ")
        if len(words) > 6 and rng.random() < 0.5:  # swap two words: new strings, same style
            a, b = rng.randrange(len(words)), rng.randrange(len(words))
            words[a], words[b] = words[b], words[a]
        extra = rng.choice(["", f" #conf{rng.randint(1, 99)}", f" @user{rng.randint(1, 9999)}",
                            f" https://example.org/p/{rng.randint(1, 10**6)}", f" {i}"])
        posts.append({"id": f"bench-{i}", "text": " ".join(words) + extra,
                      "lang": row["lang"] if rng.random() < 0.7 else None,
                      "source": row["source"]})
    return posts


def timed(fn) -> float:
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--posts", type=int, default=20_000)
    args = parser.parse_args()
    posts = make_posts(args.posts)
    lines = [json.dumps(p, ensure_ascii=False) + "\n" for p in posts]
    rows = []
    classify.load_model.cache_clear()
    rows.append(("load model (once per process)", 1, timed(classify.load_model)))
    rows.append(("classify_text", len(posts), timed(
        lambda: [classify_text(p["text"], p["lang"], p["source"]) for p in posts])))
    rows.append(("classify_text, no lang hint", len(posts), timed(
        lambda: [classify_text(p["text"]) for p in posts])))
    rows.append(("classify_records (dicts)", len(posts), timed(
        lambda: list(classify_records(posts)))))
    rows.append(("classify_lines (JSONL in, dicts out)", len(lines), timed(
        lambda: list(classify_lines(lines)))))
    print("| what | posts | seconds | posts/s |")
    print("|---|---:|---:|---:|")
    for what, n, seconds in rows:
        rate = f"{n / seconds:,.0f}" if n > 1 else "—"
        print(f"| {what} | {n:,} | {seconds:.3f} | {rate} |")


if __name__ == "__main__":
    main()
