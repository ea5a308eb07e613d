"""Can `run` keep up with Bluesky's Jetstream? CPU used by the reader at a paced rate.

    python benchmarks/jetstream_bench.py                 # 2,000 events/s for 30 s, then flat out
    python benchmarks/jetstream_bench.py --rate 2000 --seconds 60

A loopback Jetstream (tests/jetstream_server.py) runs in a child process, so its CPU is not
counted, and sends realistic post events (text of 40–300 characters, facets, langs, a
fifth with an image or a link card, replies) at `--rate` events per second; one in
`--tagged-every` carries the event hashtag (their author is looked up on a loopback
AppView, in this process). This process reads them exactly as `run` does
(`JetstreamCollector`) and stores every batch — tagged posts, deletions and the cursor — in a
real SQLite archive. Printed: events read per second, and this process's CPU time as a
share of one core (target: under 50 % at 2,000 events/s). A second pass sends the same
number of events unpaced, to show the ceiling.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import random
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

WORDS = ("the talk about vector search was great and I learned how indexes trade memory for "
         "speed while the speaker showed benchmarks on real data sets with python rust and sql").split()


def make_events(n: int, tagged_every: int, seed: int = 7) -> list[tuple[str, str, dict]]:
    """(did, rkey, record) for `n` posts; one in `tagged_every` carries #benchconf."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        words = rng.sample(WORDS, rng.randint(8, 25))
        text = " ".join(words)
        record: dict = {"$type": "app.bsky.feed.post", "text": text, "langs": [rng.choice(["en", "de", "ja"])],
                        "createdAt": "2026-12-03T12:00:00.000Z"}
        if i % tagged_every == tagged_every // 2:
            record["text"] = text + " #BenchConf"
            start = len(text.encode()) + 1
            record["facets"] = [{"index": {"byteStart": start, "byteEnd": start + 10},
                                 "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "BenchConf"}]}]
        elif rng.random() < 0.3:
            record["facets"] = [{"index": {"byteStart": 0, "byteEnd": 3},
                                 "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": rng.choice(WORDS)}]}]
        roll = rng.random()
        if roll < 0.1:
            record["embed"] = {"$type": "app.bsky.embed.images", "images": [{"alt": "a slide", "image": {
                "$type": "blob", "ref": {"$link": "bafkreih" + "a" * 52}, "mimeType": "image/jpeg", "size": 91234}}]}
        elif roll < 0.2:
            record["embed"] = {"$type": "app.bsky.embed.external", "external": {
                "uri": f"https://example.org/{i}", "title": "An article", "description": "What it is about"}}
        if rng.random() < 0.3:
            parent = {"uri": f"at://did:plc:{i:024d}/app.bsky.feed.post/3kparent{i:05d}", "cid": "bafyrei" + "b" * 52}
            record["reply"] = {"root": parent, "parent": parent}
        did = "did:plc:bench" + ("author" if "facets" in record and record["text"].endswith("#BenchConf")
                                 else f"{i % 5000:019d}")
        out.append((did, f"3kbench{i:06d}", record))
    return out


def serve(events, rate, ready, stop) -> None:
    """The child process: a paced loopback Jetstream holding `events`."""
    from jetstream_server import JetstreamServer

    with JetstreamServer() as server:
        server.rate = rate
        first = int(time.time() * 1_000_000) - 10_000_000
        for n, (did, rkey, record) in enumerate(events):
            server.create(did, rkey, record, at_us=first + n)
        ready.put(server.url)
        stop.wait()


def measure(events, rate, appview_url) -> dict:
    from backchannel import config as configmod
    from backchannel.archive import Archive
    from backchannel.collectors.bluesky.live import CURSOR, JetstreamCollector

    ctx = multiprocessing.get_context("spawn")
    ready, stop = ctx.Queue(), ctx.Event()
    child = ctx.Process(target=serve, args=(events, rate, ready, stop), daemon=True)
    child.start()
    url = ready.get(timeout=120)
    with tempfile.TemporaryDirectory() as tmp:
        raw = {"event": {"name": "Bench", "hashtags": ["benchconf"]},
               "sources": {"bluesky": {"jetstream": [url], "appview": appview_url}}}
        cfg = configmod.parse(raw, Path(tmp) / "backchannel.toml")
        archive = Archive(Path(tmp) / "data" / "archive.db")
        collector = JetstreamCollector(cfg, Path(tmp) / "data", {})
        collector.stored = lambda since=None, raw=True: archive.posts(source="bluesky", since=since, raw=raw)
        # Replay everything from before the first event.
        cursors = {CURSOR: {"time_us": int(time.time() * 1_000_000) - 60_000_000}}
        wall0, cpu0, stored = time.perf_counter(), time.process_time(), 0  # connecting included
        stream = collector.collect(cursors)
        for batch in stream:
            stored += len(archive.store(batch.posts, batch.deleted, batch.cursors, "bluesky").added)
            if collector.events >= len(events):
                break
        wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
        stream.close()
        archive.close()
    stop.set()
    child.join(10)
    n = collector.events
    return {"events": n, "wall": wall, "cpu": cpu, "rate": n / wall, "core": cpu / wall, "stored": stored,
            "us_per_event": cpu / n * 1e6}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=2000.0, help="events per second (default 2000)")
    parser.add_argument("--seconds", type=float, default=30.0, help="length of the paced run (default 30)")
    parser.add_argument("--tagged-every", type=int, default=1000, help="one tagged post in N (default 1000)")
    args = parser.parse_args()
    from bluesky_server import Account, BlueskyServer

    appview = BlueskyServer()
    appview.accounts["did:plc:benchauthor"] = Account("did:plc:benchauthor", "author.bench")  # looked up once
    events = make_events(int(args.rate * args.seconds), args.tagged_every)
    size = sum(len(json.dumps(r)) for _, _, r in events) / len(events)
    with appview:
        paced = measure(events, args.rate, appview.url)
        flat = measure(events, None, appview.url)
    print(f"Jetstream reader, {len(events):,} post events (records of {size:.0f} bytes on average), "
          f"one in {args.tagged_every} tagged; {time.strftime('%d %B %Y')}\n")
    print("| pass | events/s read | CPU (share of one core) | CPU per event | tagged posts stored |")
    print("|---|---|---|---|---|")
    for name, r in ((f"paced at {args.rate:,.0f}/s", paced), ("unpaced (ceiling)", flat)):
        print(f"| {name} | {r['rate']:,.0f} | {r['core']:.0%} | {r['us_per_event']:.0f} µs | {r['stored']} |")


if __name__ == "__main__":
    main()
