"""In-browser search on a built digest: time to first results and bytes per query, in Chromium.

    python benchmarks/browser_search.py 100000            # uses benchmarks/out/digest-100000/output
    python benchmarks/browser_search.py 100000 --prepare  # or builds benchmarks/out/search-100000/output

`--event DIR` builds (timed) and measures the digest of an event folder made before
(`--queries 0`: only builds); `--site DIR` measures a digest built before as it is, and given
twice or more compares them in one run: the sites take turns on each query, so a busy
machine slows them alike (`--rounds N` repeats the query set). `--prepare` stores the
synthetic posts (classified and matched to talks as the pipeline does, but without the
Whoosh index, which the digest does not read) and times `digest.build`; its event stays in
benchmarks/out/search-N for `--event` or `--site benchmarks/out/search-N/output` later.

Serves the digest on 127.0.0.1 and opens its search page in Debian's Chromium (Playwright).
Each query runs in a fresh browser context (nothing cached): the page loads, then the query is
typed and timed until its first result is shown ("first results", from typing, as this
process sees it: Playwright's typing and its noticing the result included). The page marks
each stage (static/search.js): "typed" is from the input event to the first result in the
page's own clock, "in page" from the search starting; wait, lists, rank, file and draw
split that up (see the table's legend). Bytes are what the browser fetched
for that query (word lists and result files, the whole first page of results), after the page had loaded; the page load itself
(the filter and rank columns) is reported once. Then one filter is ticked after the commonest
word, timed the same way. Prints one table per site, with p50 / p95 / worst.

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
DONE = "() => document.getElementById('results').getAttribute('aria-busy') !== 'true'"


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
    from backchannel.talks.live import Programme, fingerprint, talk_rows
    from backchannel.validate import post_from_dict

    folder = OUT / f"search-{count}"
    shutil.rmtree(folder, ignore_errors=True)
    write_event(folder, 0)
    cfg = load(folder / "backchannel.toml")
    talks = Programme.open(cfg).talks
    enrich = make_enricher(cfg, talks)
    records = sorted(synth_posts(count), key=lambda r: r["created_at"])
    with Archive.in_dir(cfg.data_dir) as archive:
        for start in range(0, len(records), 5000):
            batch = [post_from_dict(r) for r in records[start:start + 5000]]
            enrich(batch)
            archive.store(batch)
        # As `import` and `run` do: the programme the posts were matched with is recorded,
        # or the first build would match every post again and index them all (timed).
        archive.replace_talks(talk_rows(talks), fingerprint(talks))
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


STAGES = (("input", "search"), ("search", "lists"), ("lists", "ranked"), ("ranked", "row"), ("row", "shown"))
MARKS = """() => { const at = (name) => (performance.getEntriesByName(name).pop() || {}).startTime;
  const shown = performance.getEntriesByName('first results').pop();
  return { input: at('input'), search: at('search'), lists: at('lists'), ranked: at('ranked'), row: at('row'),
           shown: shown ? shown.startTime + shown.duration : undefined }; }"""


def body_size(request) -> int:
    try:
        return request.sizes()["responseBodySize"]
    except Exception:  # the context closed before Playwright asked: not this query's
        return 0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int, nargs="?", default=100000)
    ap.add_argument("--prepare", action="store_true", help="store a synthetic event and build its digest first")
    ap.add_argument("--event", type=Path, help="an event folder (backchannel.toml, archive) to build and measure")
    ap.add_argument("--site", type=Path, action="append",
                    help="a built digest's output folder, measured as it is (no build); given twice or more, "
                         "the sites take turns on each query (before/after in one run)")
    ap.add_argument("--rounds", type=int, default=1, help="run the query set this many times")
    ap.add_argument("--queries", type=int, default=len(QUERIES) + 1,
                    help="run only the first N queries (smoke runs); 0: only build")
    args = ap.parse_args()
    if args.site:
        sites = args.site
    elif args.event:
        sites = [built(args.event)]
    else:
        sites = [prepare(args.count) if args.prepare else OUT / f"digest-{args.count}" / "output"]
    for site in sites:
        if not (site / "search" / "i").is_dir():
            sys.exit(f"{site}: no digest with a search index; run `python benchmarks/digest.py {args.count}` "
                     f"or `python benchmarks/browser_search.py {args.count} --prepare` first")
    if args.queries < 1:
        return  # built only
    print(f"in-browser search on the digest of {args.count} posts (Chromium, 127.0.0.1, cold cache per query); "
          f"load average {os.getloadavg()[0]:.1f}")
    results = measure(sites, (QUERIES + [rare_word()])[:args.queries], args.rounds)
    for site, (rows, loads) in zip(sites, results):
        report(site, rows, loads, len(sites) > 1)
    if len(sites) > 1:
        base = summary(results[0][0])
        for site, (rows, _) in zip(sites[1:], results[1:]):
            other = summary(rows)
            print(f"{site} against {sites[0]}: p50 x{other[0] / base[0]:.2f}, p95 x{other[1] / base[1]:.2f}")
    print(f"load average at the end {os.getloadavg()[0]:.1f}")


def measure(sites: list[Path], queries: list[str], rounds: int) -> list[tuple[list, list]]:
    """Each query (and the filter after the first) on each site in turn, a fresh browser
    context each time; per site ([(query, seconds, bytes, status, stages)], [(load s, bytes)])."""
    from backchannel.serve import make_server

    servers = [make_server(site, 0) for site in sites]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    bases = [f"http://127.0.0.1:{server.server_address[1]}" for server in servers]
    out = [([], []) for _ in sites]
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=ARGS)

        def fresh_page(base, loads):
            context = browser.new_context()
            page = context.new_page()
            fetched: list[tuple[str, int]] = []
            page.on("requestfinished", lambda r: fetched.append((r.url, body_size(r))))
            t = time.perf_counter()
            page.goto(base + "/search/index.html")
            page.wait_for_selector("#search-app[data-ready='true']")
            loads.append((time.perf_counter() - t, sum(size for _, size in fetched)))
            fetched.clear()
            return context, page, fetched

        def timed(page, fetched: list[tuple[str, int]], action) -> tuple[float, int, str, dict]:
            fetched.clear()
            page.evaluate("performance.clearMeasures(); performance.clearMarks()")
            t = time.perf_counter()
            action()
            page.wait_for_function(FOUND)
            elapsed = time.perf_counter() - t
            marks = page.evaluate(MARKS)
            page.wait_for_function(DONE)  # every result of the page shown: all its files count in the bytes
            page.wait_for_timeout(100)
            # a query's files: word lists and result files (a page-load file reported late is not one)
            size = sum(size for url, size in fetched if "/search/i/t/" in url or "/search/i/d/" in url)
            return elapsed, size, page.text_content("#status").strip(), marks

        turn = 0
        for _ in range(rounds):
            for query in queries:
                turn += 1
                order = list(range(len(sites)))
                if turn % 2:
                    order.reverse()  # neither site always goes first
                for i in order:
                    rows, loads = out[i]
                    context, page, fetched = fresh_page(bases[i], loads)
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
    for server in servers:
        server.shutdown()
    return out


def summary(rows) -> tuple[float, float, float]:
    times = sorted(r[1] for r in rows)
    return statistics.median(times), times[max(0, math.ceil(0.95 * len(times)) - 1)], times[-1]


def report(site: Path, rows, loads, named: bool) -> None:
    if named:
        print(f"\n{site}")
    print(f"search page load: median {statistics.median(x[0] for x in loads) * 1000:.0f} ms, "
          f"{statistics.median(x[1] for x in loads) / 1024:.0f} KB")
    print("in the page, ms: typed = input event to first result shown; in page = search start to first result; "
          "stages: wait = input event to search start, lists = word lists loaded, "
          "rank = intersected, filtered, counted, ranked; file = first result's file; draw = shown")
    print(f"{'query':<24} {'first results':>14} {'typed':>6} {'in page':>8} {'wait':>5} {'lists':>5} {'rank':>5} "
          f"{'file':>5} {'draw':>5} {'KB':>6}  status")
    for query, secs, size, status, marks in rows:
        inside = marks["shown"] - marks["search"] if marks.get("shown") and marks.get("search") else None
        stages = []
        for a, b in STAGES:
            ok = marks.get(a) is not None and marks.get(b) is not None
            stages.append(f"{marks[b] - marks[a]:>5.0f}" if ok else f"{'-':>5}")
        page_ms = f"{inside:.0f}" if inside is not None else "-"
        typed = f"{marks['shown'] - marks['input']:.0f}" if marks.get("shown") and marks.get("input") else "-"
        print(f"{query:<24} {secs * 1000:>11.0f} ms {typed:>6} {page_ms:>8} {' '.join(stages)} {size / 1024:>6.0f}  {status[:40]}")
    p50, p95, worst = summary(rows)
    sizes = sorted(r[2] for r in rows)
    typed = [(r[4]["shown"] - r[4]["input"]) / 1000 for r in rows if r[4].get("shown") and r[4].get("input")]
    t50, t95, tworst = summary([(None, t) for t in typed]) if typed else (0, 0, 0)
    print(f"{'p50 / p95 / worst':<24} {p50 * 1000:.0f} / {p95 * 1000:.0f} / {worst * 1000:.0f} ms from typing "
          f"(typed, in the page: {t50 * 1000:.0f} / {t95 * 1000:.0f} / {tworst * 1000:.0f} ms); "
          f"KB median {statistics.median(sizes) / 1024:.0f}, worst {sizes[-1] / 1024:.0f}")


if __name__ == "__main__":
    main()
