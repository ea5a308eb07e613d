"""In-browser search on a built digest: time to first results and bytes per query, in Chromium.

    python benchmarks/browser_search.py 100000            # uses benchmarks/out/digest-100000/output
    python benchmarks/browser_search.py 100000 --prepare  # or builds benchmarks/out/search-100000/output

`--event DIR` builds (timed) and measures the digest of an event folder made before;
`--prepare` stores the synthetic posts (classified and matched to talks as the pipeline does,
but without the Whoosh index, which the digest does not read) and times `digest.build`.

Serves the digest on 127.0.0.1 and opens its search page in Debian's Chromium (Playwright).
Each query runs in a fresh browser context (nothing cached): the page loads, then the query is
typed and timed until its first result is shown ("first results", from typing, the 50 ms
pause before searching included; "in page": from the search starting, measured by the page). Bytes are what the browser fetched
for that query (word lists and result files), after the page had loaded; the page load itself
(the filter and rank columns) is reported once. Then one filter is ticked after the commonest
word, timed the same way. Prints one table, with p50 / p95 / worst.

The query set: the commonest words of the synthetic event (glue words in most English posts),
two-word queries of common words, topic words (each in about 1 % of posts), other languages
and a rare word.
"""

from __future__ import annotations

import argparse
import math
import os
import statistics
import sys
import threading
import time
from pathlib import Path

from playwright.sync_api import sync_playwright

HERE = Path(__file__).resolve().parent
OUT = Path(os.environ.get("BACKCHANNEL_BENCH_OUT", HERE / "out"))  # where built events are kept
QUERIES = ["the", "and", "is", "great", "learned",  # the commonest words
           "the and", "really great", "key lesson", "vector index", "database query", "privacy encryption",
           "latency", "kubernetes", "security", "rollback", "python", "benchmark", "onboarding",
           "Sicherheit", "sécurité", "検索"]
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--no-first-run", "--disable-sync"]
FOUND = "() => { const s = document.getElementById('status').textContent; return s.includes('found'); }"


def rare_word() -> str:
    sys.path.insert(0, str(HERE))
    from synth import vocabulary
    return vocabulary("en")[0][3000]


def prepare(count: int) -> Path:
    """A synthetic event of `count` posts in an archive, and its digest built (timed)."""
    import shutil

    sys.path.insert(0, str(HERE))
    from synth import posts as synth_posts, write_event
    from backchannel.archive import Archive
    from backchannel.config import load
    from backchannel.enrich import make_enricher
    from backchannel.talks.live import Programme
    from backchannel.validate import post_from_dict

    folder = OUT / f"search-{count}"
    shutil.rmtree(folder, ignore_errors=True)
    write_event(folder, 0)
    cfg = load(folder / "backchannel.toml")
    enrich = make_enricher(cfg, Programme.open(cfg).talks)
    records = sorted(synth_posts(count), key=lambda r: r["created_at"])
    with Archive.in_dir(cfg.data_dir) as archive:
        for start in range(0, len(records), 5000):
            batch = [post_from_dict(r) for r in records[start:start + 5000]]
            enrich(batch)
            archive.store(batch)
    return built(folder)


def built(folder: Path) -> Path:
    """The digest of the event in `folder` built, timed; returns its output folder."""
    from backchannel.config import load
    from backchannel.digest import build

    cfg = load(folder / "backchannel.toml")
    t = time.perf_counter()
    report = build(cfg, full=True)
    count = report.posts
    print(f"digest of {count} posts built in {time.perf_counter() - t:.1f} s "
          f"(search index {report.search.seconds:.1f} s: {report.search.posts} searchable posts, "
          f"{report.search.words} words, {report.search.files} files); {report.files} files in all")
    return cfg.digest.output


def main() -> None:
    from backchannel.serve import make_server

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, nargs="?", default=100000)
    ap.add_argument("--prepare", action="store_true", help="store a synthetic event and build its digest first")
    ap.add_argument("--event", type=Path, help="an event folder (backchannel.toml, archive) to build and measure")
    ap.add_argument("--queries", type=int, default=len(QUERIES) + 1, help="run only the first N queries (smoke runs)")
    args = ap.parse_args()
    if args.event:
        site = built(args.event)
    else:
        site = prepare(args.count) if args.prepare else OUT / f"digest-{args.count}" / "output"
    if not (site / "search" / "i").is_dir():
        sys.exit(f"{site}: no digest with a search index; run `python benchmarks/digest.py {args.count}` first")
    server = make_server(site, 0)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}"
    rows, loads = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)

        def fresh_page():
            context = browser.new_context()
            page = context.new_page()
            fetched: list[int] = []
            page.on("requestfinished", lambda r: fetched.append(r.sizes()["responseBodySize"]))
            t = time.perf_counter()
            page.goto(base + "/search/index.html")
            page.wait_for_selector("#search-app[data-ready='true']")
            loads.append((time.perf_counter() - t, sum(fetched)))
            fetched.clear()
            return context, page, fetched

        def timed(page, fetched, action) -> tuple[float, int, str, float | None]:
            fetched.clear()
            page.evaluate("performance.clearMeasures()")
            t = time.perf_counter()
            action()
            page.wait_for_function(FOUND)
            elapsed = time.perf_counter() - t
            inside = page.evaluate("(performance.getEntriesByName('first results').pop() || {}).duration")
            page.wait_for_timeout(200)  # anything still arriving counts in the bytes
            return elapsed, sum(fetched), page.text_content("#status").strip(), inside

        for query in (QUERIES + [rare_word()])[:args.queries]:
            context, page, fetched = fresh_page()
            rows.append((query, *timed(page, fetched, lambda: page.fill("#q", query))))
            if query == QUERIES[0]:
                box = page.locator("#filters input[name='kind']").nth(1)
                label = box.get_attribute("value")
                before = page.text_content("#status")
                rows.append((f"{query} + kind {label}", *timed(page, fetched, lambda: (
                    page.evaluate("document.getElementById('status').textContent = ''"), box.check()))))
                assert page.text_content("#status") != before
            context.close()
        browser.close()
    server.shutdown()
    print(f"in-browser search on the digest of {args.count} posts (Chromium, 127.0.0.1, cold cache per query)")
    print(f"search page load: median {statistics.median(x[0] for x in loads) * 1000:.0f} ms, "
          f"{statistics.median(x[1] for x in loads) / 1024:.0f} KB")
    print(f"{'query':<24} {'first results':>14} {'in page':>8} {'KB':>6}  status")
    for query, secs, size, status, inside in rows:
        page_ms = f"{inside:.0f}" if inside is not None else "-"
        print(f"{query:<24} {secs * 1000:>11.0f} ms {page_ms:>8} {size / 1024:>6.0f}  {status[:40]}")
    times = sorted(r[1] for r in rows)
    sizes = sorted(r[2] for r in rows)
    p95 = times[max(0, math.ceil(0.95 * len(times)) - 1)]
    print(f"{'p50 / p95 / worst':<24} {statistics.median(times) * 1000:.0f} / {p95 * 1000:.0f} / "
          f"{times[-1] * 1000:.0f} ms; KB median {statistics.median(sizes) / 1024:.0f}, worst {sizes[-1] / 1024:.0f}")


if __name__ == "__main__":
    main()
