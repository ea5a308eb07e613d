"""feedparser's own test suite, ~2,100 feeds, through the whole RSS collector over HTTP.

Every file is served from 127.0.0.1 with the HTTP headers its `Header:` lines ask for (as
feedparser's own test server does), every feed is configured with `all = true` and no event
window so each entry becomes a Post, and then:

- the collector finishes without an exception (and without its "internal error" fallback);
- no Post's HTML holds a script, an event handler, a style, or a `javascript:`, `data:` or
  `vbscript:` URL, checked with html.parser on what a browser would parse;
- every URL a Post carries is plain http(s).

The corpus lives next to the repository (`../shared/corpora/feedparser`, where CI clones it).
"""

from __future__ import annotations

import io
import json
import re
import time
from pathlib import Path

import feedparser
import pytest

from backchannel import config as config_mod
from backchannel.collectors.rss.collector import RssCollector
from backchannel.demo.loopback import Request, Response
from test_rss import hostile_markup, unsafe_urls

CORPUS = Path(__file__).parents[2] / "shared" / "corpora" / "feedparser"
_HEADER = re.compile(rb"^Header:\s*([A-Za-z-]+):[ \t]*(.*?)\s*$", re.M)

pytestmark = pytest.mark.skipif(
    not CORPUS.is_dir(), reason=f"feedparser corpus not found at {CORPUS} (clone `shared/` next to the repo)")


def corpus_files() -> list[Path]:
    return sorted(p for p in CORPUS.rglob("*.xml") if p.is_file())


def declared_headers(data: bytes) -> dict[str, str]:
    """The `Header: Name: value` lines of the file's leading comment."""
    comment = data[: data.find(b"-->")] if b"-->" in data else b""
    headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in _HEADER.findall(comment)}
    if not any(k.lower() == "content-type" for k in headers):
        headers["Content-Type"] = "application/xml"
    return headers


def corpus_app(files: dict[str, Path]):
    def app(req: Request) -> Response:
        path = files.get(req.path)
        if path is None:
            return Response(404)
        data = path.read_bytes()
        return Response(200, data, declared_headers(data))
    return app


@pytest.mark.slow  # about 5 s here
def test_every_corpus_feed_goes_through_the_collector_and_nothing_runnable_survives(tmp_path, serve):
    files = {"/" + p.relative_to(CORPUS).as_posix(): p for p in corpus_files()}
    assert len(files) > 2000, f"expected the full corpus in {CORPUS}"
    started = time.monotonic()
    with serve(corpus_app(files)) as server:
        feeds = [{"url": server.url + path, "all": True} for path in files]
        raw = {"event": {"name": "Corpus", "hashtags": ["corpus"]},  # no window: everything counts
               "sources": {"rss": {"feeds": feeds, "timeout": 10}}}
        cfg = config_mod.parse(raw, tmp_path / "backchannel.toml")
        batches = list(RssCollector(cfg, tmp_path, {}).collect({}))
    elapsed = time.monotonic() - started

    errors = [e for b in batches for e in b.errors]
    assert not [e for e in errors if "internal error" in e], "the collector hit a bug on a corpus feed"
    assert len(batches) == len(files) and sum(b.requests for b in batches) == len(files)
    posts = [p for b in batches for p in b.posts]
    problems = []
    for post in posts:
        found = hostile_markup(post.html) + [f"url {u!r}" for u in unsafe_urls(post)]
        if found:
            problems.append((post.raw["feed"], found))
        json.dumps(post.raw)
        json.dumps(post.to_dict())
    assert problems == []

    # Nothing was lost on the way: every file in which feedparser finds entries gave posts.
    with_posts = {post.raw["feed"].removeprefix(server.url) for post in posts}
    with_entries = [path for path, p in files.items() if parse(p.read_bytes()).entries]
    assert len(with_entries) > 500
    assert [path for path in with_entries if path not in with_posts] == []
    print(f"\n{len(files)} feeds, {len(posts)} posts, {len(errors)} feeds reported, {elapsed:.1f} s")


def test_the_corpus_really_carries_what_the_check_looks_for():
    """Guard for the guard: unsanitised, the corpus entries are full of what the check flags."""
    scripts = handlers = 0
    for path in corpus_files():
        parsed = parse(path.read_bytes(), sanitize_html=False)
        bodies = [c.get("value", "") for e in parsed.entries for c in e.get("content", [])]
        bodies += [e.get("summary", "") for e in parsed.entries]
        found = [f for b in bodies for f in hostile_markup(b)]
        scripts += "<script>" in found
        handlers += any(re.search(r" on\w+=$", f) for f in found)
    assert scripts >= 10 and handlers >= 100, (scripts, handlers)


def parse(data: bytes, sanitize_html: bool = True):
    headers = {k.lower(): v for k, v in declared_headers(data).items()}
    headers["content-location"] = "http://127.0.0.1/feed.xml"
    return feedparser.parse(io.BytesIO(data), response_headers=headers, sanitize_html=sanitize_html)
