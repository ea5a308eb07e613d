"""Peak memory of `backchannel import` on large twarc2 files: constant whatever the size.

    python benchmarks/import_memory.py 50 200      # two files, of 50 MB and 200 MB

Writes twarc2 JSONL as `twarc2 search` saves it (one API response of 100 tweets a line,
with `includes`: authors, retweeted originals, media; context annotations, entities and
public metrics on every tweet; 30% retweets), then runs the whole `backchannel import`
command on each file (archive + classify + talks + index) and samples its resident memory
ten times a second. Prints one table: file size, tweets, posts stored, time, peak RSS over
the whole run and over its first and last thirds (flat memory: the same).
The files are kept under benchmarks/out/ and reused.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import shutil
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
OUT = Path(os.environ.get("BACKCHANNEL_BENCH_OUT", HERE / "out"))
sys.path.insert(0, str(HERE))

from synth import LANGS, _words  # noqa: E402

EPOCH_MS = 1288834974657
START = datetime(2019, 9, 14, 7, 0, tzinfo=timezone.utc)
ANNOTATIONS = [{"domain": {"id": "66", "name": "Interests and Hobbies Category", "description": "A grouping of interests and hobbies entities"},
                "entity": {"id": "848920371311001600", "name": "Technology", "description": "Technology and computing"}},
               {"domain": {"id": "131", "name": "Unified Twitter Taxonomy", "description": "A taxonomy of user interests."},
                "entity": {"id": "1031279397541961728", "name": "Python", "description": "Python programming language"}}]


def snowflake(when: datetime, seq: int) -> str:
    return str(((int(when.timestamp() * 1000) - EPOCH_MS) << 22) + (seq % 4096))


def tweet(rng: random.Random, n: int, author: dict, when: datetime) -> dict:
    lang = rng.choice(LANGS)
    body = _words(rng, lang, rng.randint(6, 40))[:230]
    text = f"{body} #PyConEx"
    tid = snowflake(when, n)
    return {
        "id": tid, "text": text, "author_id": author["id"], "conversation_id": tid, "lang": lang,
        "created_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"), "source": "Twitter Web App",
        "possibly_sensitive": False, "reply_settings": "everyone", "edit_history_tweet_ids": [tid],
        "public_metrics": {"retweet_count": rng.randint(0, 40), "reply_count": rng.randint(0, 5),
                           "like_count": rng.randint(0, 200), "quote_count": rng.randint(0, 3)},
        "entities": {"hashtags": [{"start": len(body) + 1, "end": len(text), "tag": "PyConEx"}],
                     "annotations": [{"start": 0, "end": 5, "probability": 0.61, "type": "Other", "normalized_text": body[:5]}]},
        "context_annotations": ANNOTATIONS[: rng.randint(1, 2)],
    }


def user(i: int) -> dict:
    return {"id": str(10_000_000 + i), "username": f"attendee{i}", "name": f"Attendee {i}", "protected": False,
            "verified": False, "created_at": "2012-03-01T10:00:00.000Z", "location": "Berlin", "url": "",
            "description": "Developer, speaker, coffee. Views my own.",
            "profile_image_url": f"https://pbs.twimg.com/profile_images/{i}/a_normal.jpg",
            "public_metrics": {"followers_count": 100 + i, "following_count": 80, "tweet_count": 4000, "listed_count": 3}}


def generate(path: Path, megabytes: int, seed: int = 1) -> int:
    """Write twarc2 responses until the file holds `megabytes` MB; returns the tweets in `data`."""
    rng = random.Random(seed)
    users = [user(i) for i in range(3000)]
    n = written = 0
    target = megabytes * 2**20
    with path.open("w", encoding="utf-8") as fh:
        while fh.tell() < target:
            data, originals, authors, media = [], [], {}, []
            for _ in range(100):
                n += 1
                when = START + timedelta(seconds=rng.randint(0, 2 * 24 * 3600))
                author = rng.choice(users)
                authors[author["id"]] = author
                t = tweet(rng, n, author, when)
                if rng.random() < 0.3:  # a retweet: the original rides in includes.tweets
                    n += 1
                    original_author = rng.choice(users)
                    authors[original_author["id"]] = original_author
                    original = tweet(rng, n, original_author, when - timedelta(minutes=rng.randint(1, 600)))
                    originals.append(original)
                    t["referenced_tweets"] = [{"type": "retweeted", "id": original["id"]}]
                    t["text"] = f"RT @{original_author['username']}: {original['text']}"[:140]
                elif rng.random() < 0.15:
                    key = f"3_{t['id']}"
                    t["attachments"] = {"media_keys": [key]}
                    media.append({"media_key": key, "type": "photo", "url": f"https://pbs.twimg.com/media/{key}.jpg",
                                  "alt_text": "A slide from the talk", "width": 1600, "height": 900})
                data.append(t)
                written += 1
            line = {"data": data, "includes": {"users": list(authors.values()), "tweets": originals, "media": media},
                    "meta": {"newest_id": data[0]["id"], "oldest_id": data[-1]["id"], "result_count": len(data)},
                    "__twarc": {"url": "https://api.twitter.com/2/tweets/search/all?query=%23pyconex", "version": "2.14.0",
                                "retrieved_at": "2023-01-20T10:00:00+00:00"}}
            fh.write(json.dumps(line) + "\n")
    return written


def measure(path: Path, work: Path) -> dict:
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    exe = Path(sys.executable).with_name("backchannel")
    t = time.perf_counter()
    proc = subprocess.Popen([str(exe), "import", str(path), "--data-dir", str(work / "data")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    ps = psutil.Process(proc.pid)
    samples = []
    while proc.poll() is None:
        try:
            samples.append(ps.memory_info().rss / 2**20)
        except psutil.NoSuchProcess:
            break
        time.sleep(0.1)
    out, err = proc.communicate()
    seconds = time.perf_counter() - t
    stored = int(out.split("Imported ", 1)[1].split(" ", 1)[0]) if "Imported " in out else -1
    third = max(1, len(samples) // 3)
    return {"seconds": seconds, "peak": max(samples, default=0), "first": max(samples[:third], default=0),
            "last": max(samples[-third:], default=0), "stored": stored, "code": proc.returncode, "err": err[-500:]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("sizes", type=int, nargs="*", default=[50, 200], help="file sizes in MB")
    args = ap.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    rows = []
    for mb in args.sizes:
        path = OUT / f"twarc2-{mb}mb.jsonl"
        tweets = generate(path, mb) if not path.exists() else sum(len(json.loads(l)["data"]) for l in path.open())
        r = measure(path, OUT / f"import-{mb}mb")
        if r["code"] != 0:
            print(r["err"], file=sys.stderr)
        rows.append((path.stat().st_size / 2**20, tweets, r))
    print("`backchannel import` of twarc2 JSONL (whole command: archive + classify + talks + index)")
    print(f"{'file':>8} {'tweets':>8} {'posts':>8} {'seconds':>8} {'MB/s':>6} {'peak RSS':>9} "
          f"{'1st third':>10} {'last third':>11}  exit code")
    for size, tweets, r in rows:
        print(f"{size:>6.0f}MB {tweets:>8} {r['stored']:>8} {r['seconds']:>8.1f} {size / r['seconds']:>6.2f} "
              f"{r['peak']:>7.0f}MB {r['first']:>8.0f}MB {r['last']:>9.0f}MB  {r['code']}")


if __name__ == "__main__":
    main()
