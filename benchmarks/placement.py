"""What `backchannel place` and `unplace` cost from a terminal, beside `hide` (the same kind
of command): each run as a new process against an archive of N posts and a 200-talk
programme, nothing else writing, so the command applies the placement itself (opens the
writer, moves the post, updates its search document). One markdown table.

    python benchmarks/placement.py          # 20,000 posts
    python benchmarks/placement.py 5000
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import talk_matching  # noqa: E402

from backchannel.archive import Archive  # noqa: E402
from backchannel.index import Index  # noqa: E402
from backchannel.talks.live import Programme  # noqa: E402
from backchannel.talks.matcher import Matcher  # noqa: E402
from backchannel.talks.programme import parse_schedule  # noqa: E402


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("posts", nargs="?", type=int, default=20_000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    data, talks = talk_matching.programme()
    tz = ZoneInfo("Europe/Berlin")
    schedule = parse_schedule(data, "schedule.json", tz)
    posts = talk_matching.posts(args.posts, talks)
    matcher = Matcher(schedule.talks, tz)
    for post in posts:
        post.talk, post.talk_reason = matcher.match(post)
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / "schedule.json").write_bytes(data)
        (root / "backchannel.toml").write_text('[event]\nname = "Bench"\nhashtags = ["bench"]\n'
                                               'timezone = "Europe/Berlin"\nschedule = "schedule.json"\n')
        data_dir = root / ".backchannel"
        archive, index = Archive.in_dir(data_dir), Index.in_dir(data_dir)
        for start in range(0, len(posts), 2000):
            archive.store(posts[start:start + 2000])
        index.catch_up(archive)
        cfg = SimpleNamespace(event=SimpleNamespace(tz=tz, schedule="schedule.json"))
        Programme(cfg, schedule, None).store(archive, index)  # matched with this programme already
        index.close()
        archive.close()
        post, code = posts[len(posts) // 2].id, talks[3]["guid"]
        commands = {"place POST --talk CODE": ["place", post, "--talk", code],
                    "unplace POST": ["unplace", post],
                    "hide POST": ["hide", post], "unhide POST": ["unhide", post]}
        seconds: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(args.rounds):
            for name, argv in commands.items():  # taking turns: the machine's load hits each alike
                began = time.perf_counter()
                subprocess.run([sys.executable, "-m", "backchannel", *argv, "--config", str(root / "backchannel.toml")],
                               check=True, capture_output=True)
                seconds[name].append(time.perf_counter() - began)
    print(f"`backchannel place` beside `hide`: {args.posts:,} posts, {len(talks)} talks, "
          f"{args.rounds} rounds, each a new process")
    print()
    print("| command | median s | min s | max s |")
    print("|---|---|---|---|")
    for name, values in seconds.items():
        print(f"| `{name}` | {statistics.median(values):.2f} | {min(values):.2f} | {max(values):.2f} |")


if __name__ == "__main__":
    main()
