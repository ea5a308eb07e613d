"""What choosing the due threads costs a round (`backchannel.answers.due`), printed as markdown.

    python benchmarks/answers_bench.py 20000     # an archive of 20,000 posts

The archive holds N synthetic Mastodon posts, 1 in 10 classified `question`, and three
stored answers for every second question; half the questions were read a minute ago (not
due), half never. `due()` runs before every round's thread reads, on the collector's thread.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from backchannel import answers
from backchannel.archive import Archive
from backchannel.models import Author, Post, format_time


def fill(archive: Archive, n: int) -> None:
    now = datetime.now(timezone.utc)
    posts, links, cursors = [], {}, {}
    for i in range(n):
        kind = "question" if i % 10 == 0 else "other"
        posts.append(Post(id=f"mastodon-{i:08d}", source="mastodon", created_at=now - timedelta(seconds=n - i),
                          text=f"post {i}" + ("?" if kind == "question" else ""), kind=kind,
                          author=Author("", f"User {i % 997}")))  # (no handle: the archive skips its per-author consent pass)
        if kind == "question" and i % 20 == 0:
            for j in range(1, 4):
                links[f"mastodon-{i + j:08d}"] = (f"mastodon-{i:08d}", f"mastodon-{i:08d}")
            cursors[answers.thread_key(f"mastodon-{i:08d}")] = {"checked": format_time(now - timedelta(minutes=1)),
                                                                 "replies": 3}
    for start in range(0, n, 5000):
        archive.store(posts[start:start + 5000])
    archive.store(answers=links, cursors=cursors, source="mastodon")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("posts", type=int, nargs="?", default=20000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, Archive.in_dir(Path(tmp)) as archive:
        fill(archive, args.posts)
        times, found = [], 0
        for _ in range(7):
            started = time.perf_counter()
            found = len(answers.due(archive, "mastodon"))
            times.append(time.perf_counter() - started)
        print("| posts | questions | due (capped at 20) | due() median |")
        print("|---:|---:|---:|---:|")
        print(f"| {args.posts:,} | {args.posts // 10:,} | {found} | {statistics.median(times) * 1000:.0f} ms |")


if __name__ == "__main__":
    main()
