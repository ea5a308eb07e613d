"""Peak memory of `backchannel run` on a large event, while new posts keep arriving.

    python benchmarks/memory.py 100000 --seconds 180

Uses (or builds) the archive of `benchmarks/search.py` for N posts, copies it, points `run`
at a feed on 127.0.0.1 that gains 20 entries on every fetch (polled every 2 s), with the
digest refreshed every 20 s, and samples the process's resident memory twice a second.
Prints one table: RSS at start, peak, and at the end, with posts and digest refreshes.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import psutil

HERE = Path(__file__).resolve().parent
OUT = Path(os.environ.get("BACKCHANNEL_BENCH_OUT", HERE / "out"))  # where built events are kept
sys.path.insert(0, str(HERE))

from search import build  # noqa: E402


class Feed:
    def __init__(self, step: int = 20):
        self.step, self.count, self.lock = step, 0, threading.Lock()

    def body(self) -> bytes:
        with self.lock:
            self.count += self.step
            n = self.count
        now = datetime.now(timezone.utc)
        # Only the newest 200 entries, like a real feed; older ones were stored earlier.
        items = "".join(
            f"<item><title>Recap {i}</title><guid isPermaLink='false'>r{i}</guid>"
            f"<link>https://blog.example/r{i}</link><pubDate>{format_datetime(now - timedelta(seconds=n - i))}</pubDate>"
            f"<description>What we learned in session {i}: latency budgets and vector index tuning #pyconex</description></item>"
            for i in range(max(0, n - 200), n))
        return f"<?xml version='1.0'?><rss version='2.0'><channel><title>Live</title>{items}</channel></rss>".encode()


def serve(feed: Feed) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *a):
            pass

        def do_GET(self):
            body = feed.body()
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, nargs="?", default=100000)
    ap.add_argument("--seconds", type=float, default=180)
    ap.add_argument("--no-digest", action="store_true")
    args = ap.parse_args()
    source = OUT / f"search-{args.count}"
    build(source, args.count)
    work = OUT / f"memory-{args.count}"
    shutil.rmtree(work, ignore_errors=True)
    shutil.copytree(source, work / "data")
    feed = Feed()
    server = serve(feed)
    today = datetime.now(timezone.utc).date()
    config = work / "backchannel.toml"
    config.write_text(f"""[event]
name = "PyCon Example"
hashtags = ["pyconex"]
timezone = "Europe/Berlin"
start = {today - timedelta(days=3)}
end = {today + timedelta(days=1)}

[sources.rss]
feeds = [{{ url = "http://127.0.0.1:{server.server_address[1]}/feed.xml", all = true }}]
interval = 2

[digest]
output = "output"
refresh = 20
""")
    exe = Path(sys.executable).with_name("backchannel")
    cmd = [str(exe), "run", "--config", str(config), "--data-dir", str(work / "data"),
           "--stop-after", str(args.seconds), "--log-file", str(work / "run.log")]
    if args.no_digest:
        cmd.append("--no-digest")
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    ps = psutil.Process(proc.pid)
    samples = []
    while proc.poll() is None:
        try:
            samples.append((time.monotonic(), ps.memory_info().rss))
        except psutil.NoSuchProcess:
            break
        time.sleep(0.5)
    server.shutdown()
    log = (work / "run.log").read_text()
    mb = [rss / 2**20 for _, rss in samples]
    third = max(1, len(mb) // 3)
    print(f"`backchannel run` on {args.count} posts for {args.seconds:.0f} s"
          f"{' (no digest)' if args.no_digest else ''}; exit code {proc.returncode}")
    print(f"{'RSS at 5 s':>12} {'peak':>8} {'end':>8} {'1st third':>10} {'last third':>11} {'new posts':>10} {'digests':>8}")
    digests = log.count("digest: Built")
    print(f"{mb[min(10, len(mb) - 1)]:>10.0f}MB {max(mb):>6.0f}MB {mb[-1]:>6.0f}MB {max(mb[:third]):>8.0f}MB "
          f"{max(mb[-third:]):>9.0f}MB {feed.count:>10} {digests:>8}")


if __name__ == "__main__":
    main()
