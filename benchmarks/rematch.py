"""Cost of a programme change: every stored post matched again, the talks table replaced,
the index caught up with the posts that moved. One markdown table.

    python benchmarks/rematch.py            # 20,000 posts, 200 talks
    python benchmarks/rematch.py 100000

The archive is filled with the posts of `talk_matching.py` (matched with the programme as
read); then one talk moves to another slot and `Programme.store` runs, as `run`, `build`,
`collect` and `reindex` do when they see the change.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from datetime import datetime, timedelta
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
    n = ap.parse_args().posts
    data, talks = talk_matching.programme()
    tz = ZoneInfo("Europe/Berlin")
    schedule = parse_schedule(data, "schedule.json", tz)
    posts = talk_matching.posts(n, talks)
    matcher = Matcher(schedule.talks, tz)
    for post in posts:
        post.talk, post.talk_reason = matcher.match(post)
    cfg = SimpleNamespace(event=SimpleNamespace(tz=tz, schedule="schedule.json"))
    with tempfile.TemporaryDirectory() as tmp:
        archive, index = Archive.in_dir(tmp), Index.in_dir(tmp)
        for start in range(0, len(posts), 2000):
            archive.store(posts[start:start + 2000])
        index.catch_up(archive)
        Programme(cfg, schedule, None).store(archive, index)  # the programme as read: the baseline
        doc = json.loads(data)
        day = doc["schedule"]["conference"]["days"][0]
        room, events = next(iter(day["rooms"].items()))
        moved_to = datetime.fromisoformat(events[0]["date"]) + timedelta(hours=7)  # to the evening
        events[0].update(date=moved_to.isoformat(), start=f"{moved_to:%H:%M}")
        changed = parse_schedule(json.dumps(doc).encode(), "schedule.json", tz)
        began, cpu = time.perf_counter(), time.process_time()
        moved = Programme(cfg, changed, None).store(archive, index)
        wall, cpu = time.perf_counter() - began, time.process_time() - cpu
        index.close()
        archive.close()
    print("| posts | talks | moved | wall s | CPU s | posts/s (CPU) |")
    print("|---|---|---|---|---|---|")
    print(f"| {n:,} | {len(schedule.talks)} | {moved:,} | {wall:.1f} | {cpu:.1f} | {n / cpu:,.0f} |")


if __name__ == "__main__":
    main()
