"""How long the People page's grouping takes: `digest.people.people()` over synthetic posts.

    python benchmarks/people_bench.py 100000
    python benchmarks/people_bench.py 100000 --distinct-names

The posts come from `synth.posts` (600 authors on three networks, texts of 8–60 words); each
becomes a digest Item as `digest.model.load` makes it. Prints the time of `load` (for scale)
and of `people` (accounts, evidence joins, cross-post check, speakers, page paths).

By default every author has the same display name on every network and posts all day: the
worst case for the cross-post check (nearly every post has a same-name post on another
network within ten minutes, so nearly every post's words are read). `--distinct-names` gives
each network's accounts their own names: the check then reads no post's words.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from backchannel.config import parse  # noqa: E402
from backchannel.digest.model import group, load  # noqa: E402
from backchannel.digest.people import people  # noqa: E402
from backchannel.validate import post_from_dict  # noqa: E402
from synth import posts as synth_posts  # noqa: E402


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    count = int(args[0]) if args else 20000
    cfg = parse({"event": {"name": "Bench", "hashtags": ["pyconex"], "timezone": "Europe/Berlin"}},
                Path("backchannel.toml"), Path(".bench-data"))
    records = synth_posts(count)
    if "--distinct-names" in sys.argv:
        for r in records:
            r["author"]["name"] += f" ({r['source']})"
    posts = [post_from_dict(r) for r in records]
    started = time.perf_counter()
    items = load(cfg, posts, [])
    loaded = time.perf_counter() - started
    started = time.perf_counter()
    found = people(items)
    grouped = time.perf_counter() - started
    started = time.perf_counter()
    group(items, [], cfg)
    whole = time.perf_counter() - started
    print(f"{count:,} posts: load {loaded:.2f} s, people {grouped:.2f} s ({len(found):,} people), "
          f"whole group() {whole:.2f} s")


if __name__ == "__main__":
    main()
