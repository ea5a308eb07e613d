"""In-browser search on a built digest: time to first results and bytes per query, in Chromium.

    python benchmarks/digest.py 100000          # builds benchmarks/out/digest-100000/output
    python benchmarks/browser_search.py 100000

Serves the digest on 127.0.0.1, opens its search page in Debian's Chromium (Playwright),
and for each query types it and waits until results are shown. Bytes are what the browser
fetched for that query (Pagefind's index chunks and fragments), after the page had loaded.
Prints one table.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
OUT = Path(os.environ.get("BACKCHANNEL_BENCH_OUT", HERE / "out"))  # where built events are kept
QUERIES = ["latency", "vector index", "kubernetes", "security", "rollback", "database query",
           "python", "privacy encryption", "benchmark", "onboarding"]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]


def main() -> None:
    from backchannel.serve import make_server

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, nargs="?", default=100000)
    args = ap.parse_args()
    site = OUT / f"digest-{args.count}" / "output"
    if not (site / "search").is_dir():
        sys.exit(f"{site}: no digest; run `python benchmarks/digest.py {args.count}` first")
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rows = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)
        page = browser.new_page()
        fetched = []
        page.on("requestfinished", lambda r: fetched.append(r.sizes()["responseBodySize"]))
        t = time.perf_counter()
        page.goto(base + "/search/index.html")
        page.wait_for_selector("#search-app[data-ready='true']")
        first_load = (time.perf_counter() - t, sum(fetched))
        for query in QUERIES:
            page.fill("#q", "")
            page.wait_for_timeout(300)
            fetched.clear()
            t = time.perf_counter()
            page.fill("#q", query)
            page.wait_for_function("() => document.getElementById('status').textContent.includes('found')")
            page.wait_for_selector("#results .r-title")
            elapsed = time.perf_counter() - t
            page.wait_for_timeout(500)  # let the rest of the page of results arrive, for the bytes
            rows.append((query, elapsed, sum(fetched), page.text_content("#status")))
        browser.close()
    server.shutdown()
    print(f"in-browser search on the digest of {args.count} posts (Chromium, 127.0.0.1)")
    print(f"search page load: {first_load[0] * 1000:.0f} ms, {first_load[1] / 1024:.0f} KB")
    print(f"{'query':<22} {'first results':>14} {'KB':>7}  status")
    for query, secs, size, status in rows:
        print(f"{query:<22} {secs * 1000:>11.0f} ms {size / 1024:>7.0f}  {status.strip()[:40]}")
    times = [r[1] for r in rows]
    sizes = [r[2] for r in rows]
    print(f"{'median / worst':<22} {statistics.median(times) * 1000:>6.0f}/{max(times) * 1000:.0f} ms "
          f"{statistics.median(sizes) / 1024:>4.0f}/{max(sizes) / 1024:.0f} KB")


if __name__ == "__main__":
    main()
