"""The RSS/Atom collector, against feeds served over 127.0.0.1.

Each test runs the real collector (httpx + feedparser) against a small web server that
behaves like a real one: ETag / Last-Modified with 304 answers, redirects, gzip, slow and
broken answers. Fixture feeds live in tests/fixtures/rss/.
"""

from __future__ import annotations

import gzip
import html
import json
import socket
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime
from html.parser import HTMLParser
from pathlib import Path
from typing import Callable

import pytest

from backchannel import config as config_mod
from backchannel.errors import SourceError
from backchannel.models import parse_time
from backchannel.collectors.base import Batch
from backchannel.collectors.rss.opml import OpmlError, read_opml
from backchannel.collectors.rss.collector import RssCollector
from backchannel.collectors.retry import Clock
from backchannel.demo.loopback import Request, Response
from pipeline_store import PipelineStore

FIXTURES = Path(__file__).parent / "fixtures" / "rss"
IN_EVENT = datetime(2026, 5, 15, 12, 0, tzinfo=timezone.utc)
BEFORE_EVENT = datetime(2026, 3, 1, tzinfo=timezone.utc)
RSS = "application/rss+xml; charset=utf-8"
ATOM = "application/atom+xml"


# ---------------------------------------------------------------- helpers

def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


class Site:
    """A well-behaved web server for feeds: validators, 304, gzip; it logs every answer."""

    def __init__(self) -> None:
        self.pages: dict[str, dict] = {}
        self.sent: list[tuple[str, int, int]] = []  # (path, status, body bytes sent)

    def add(self, path: str, body: bytes | str, content_type: str = RSS, *, etag: str | None = None,
            last_modified: str | None = None, gzipped: bool = False) -> None:
        data = body.encode() if isinstance(body, str) else body
        self.pages[path] = dict(body=data, type=content_type, etag=etag, lm=last_modified, gz=gzipped)

    def __call__(self, req: Request) -> Response:
        page = self.pages.get(req.path)
        if page is None:
            return self.log(req, Response(404, b"not here", {"Content-Type": "text/plain"}))
        headers = {"Content-Type": page["type"]}
        if page["etag"]:
            headers["ETag"] = page["etag"]
        if page["lm"]:
            headers["Last-Modified"] = page["lm"]
        inm, ims = req.headers.get("if-none-match"), req.headers.get("if-modified-since")
        if (page["etag"] and inm == page["etag"]) or (not inm and page["lm"] and ims == page["lm"]):
            return self.log(req, Response(304, b"", headers))
        body = page["body"]
        if page["gz"] and "gzip" in req.headers.get("accept-encoding", ""):
            body = gzip.compress(body)
            headers["Content-Encoding"] = "gzip"
        return self.log(req, Response(200, body, headers))

    def log(self, req: Request, resp: Response) -> Response:
        self.sent.append((req.path, resp.status, len(resp.body)))
        return resp


def make_config(tmp_path: Path, feeds: list, **rss):
    raw = {
        "event": {"name": "PyCon US 2026", "hashtags": ["pycon2026", "pyconus"],
                  "keywords": ["PyCon US"], "start": "2026-05-13", "end": "2026-05-21"},
        "sources": {"rss": {"feeds": feeds, **rss}},
    }
    return config_mod.parse(raw, tmp_path / "backchannel.toml")


class StoppedClock(Clock):
    """A clock that stands at one moment: inside the event, or before it."""

    def __init__(self, at: datetime):
        self.at = at

    def now(self) -> datetime:
        return self.at


def collect(cfg, cursors: dict | None = None, clock: datetime = IN_EVENT) -> tuple[list[Batch], dict]:
    """Run one collect round; return its batches and the cursors as the pipeline would store them."""
    store = PipelineStore(cursors).round(RssCollector(cfg, cfg.data_dir, {}, clock=StoppedClock(clock)))
    return store.batches, store.cursors


def posts_of(batches: list[Batch]) -> list:
    return [p for b in batches for p in b.posts]


def messages(batches: list[Batch], kind: str) -> list[str]:
    return [m for b in batches for m in getattr(b, kind)]


class Markup(HTMLParser):
    """Everything in an HTML fragment a browser could run, as a list of findings."""

    RUNNABLE = {"script", "iframe", "object", "embed", "form", "svg", "math", "style", "base",
                "meta", "link", "frame", "frameset", "applet", "input", "button", "img"}

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag in self.RUNNABLE:
            self.found.append(f"<{tag}>")
        for name, value in attrs:
            if name.startswith("on") or name == "style":
                self.found.append(f"{tag} {name}=")
            if value and bad_scheme(value):
                self.found.append(f"{tag} {name}={value[:40]!r}")

    handle_startendtag = handle_starttag


def bad_scheme(value: str) -> bool:
    """Would a browser read this attribute value as a javascript:/data:/vbscript: URL?"""
    squeezed = "".join(ch for ch in html.unescape(value) if ch > " ").lower()
    return squeezed.startswith(("javascript:", "data:", "vbscript:"))


def hostile_markup(fragment: str) -> list[str]:
    """Scripts, handlers, styles and dangerous URLs left in `fragment` (empty when safe)."""
    parser = Markup()
    parser.feed(fragment)
    parser.close()
    return parser.found


def unsafe_urls(post) -> list[str]:
    """Post URLs that are not plain absolute http(s) URLs."""
    urls = [post.url, post.author.url, *post.links, *(m.url for m in post.media)]
    return [u for u in urls if u is not None and not u.startswith(("http://", "https://"))]


def dead_port() -> int:
    """A port on 127.0.0.1 where nothing listens (connections are refused)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- the mix

def mixed_app(site: Site) -> Callable[[Request], Response]:
    huge = fixture("blog.rss").replace(b"</channel>", b"<!--" + b"x" * 80_000 + b"--></channel>")
    bomb = gzip.compress(fixture("blog.rss").replace(b"</channel>", b" " * 3_000_000 + b"</channel>"))
    extra = {
        "/slow.xml": Response(200, fixture("blog.rss"), {"Content-Type": RSS}, delay=1.5),
        "/error.xml": Response(500, b"Internal Server Error", {"Content-Type": "text/plain"}),
        "/page.html": Response(200, b"<!doctype html><html><body><h1>Our blog</h1></body></html>",
                               {"Content-Type": "text/html"}),
        "/huge.xml": Response(200, huge, {"Content-Type": RSS}),
        "/bomb.xml": Response(200, bomb, {"Content-Type": RSS, "Content-Encoding": "gzip"}),
    }

    def app(req: Request) -> Response:
        return site.log(req, extra[req.path]) if req.path in extra else site(req)
    return app


def test_mix_of_good_slow_failing_and_hostile_feeds_keeps_exactly_the_matching_entries(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"), etag='"b1"')
    site.add("/recaps.atom", fixture("recaps.atom"), ATOM)
    site.add("/hostile.rss", fixture("hostile.rss"))
    site.add("/broken.rss", fixture("broken.rss"))
    down = f"http://127.0.0.1:{dead_port()}/feed.xml"
    with serve(mixed_app(site)) as server:
        u = server.url
        feeds = [f"{u}/blog/feed.xml", {"url": f"{u}/recaps.atom", "all": True}, f"{u}/hostile.rss",
                 f"{u}/broken.rss", f"{u}/slow.xml", down, f"{u}/error.xml", f"{u}/missing.xml",
                 f"{u}/page.html", f"{u}/huge.xml", f"{u}/bomb.xml"]
        cfg = make_config(tmp_path, feeds, timeout=0.5, max_bytes=50_000)
        batches, cursors = collect(cfg)

    kept = {(p.raw["feed"].removeprefix(u), p.uri) for p in posts_of(batches)}
    assert kept == {
        ("/blog/feed.xml", "1"), ("/blog/feed.xml", "2"), ("/blog/feed.xml", "3"),
        ("/blog/feed.xml", "7"),  # undated, first seen during the event
        ("/recaps.atom", "tag:pycon.example.org,2026:recap-1"),
        ("/recaps.atom", "https://pycon.example.org/recaps/day-2"),
        ("/hostile.rss", "evil-1"), ("/hostile.rss", "evil-2"),
        ("/broken.rss", "https://broken.example/workshop"),
    }
    assert len(batches) == len(feeds)  # one batch per feed, none lost to another's failure
    blog = next(b for b in batches if f"{u}/blog/feed.xml" in b.cursors)
    assert sum(blog.skipped.values()) == fixture("blog.rss").count(b"<item>") - 4  # every entry counted
    assert set(cursors) == {f if isinstance(f, str) else f["url"] for f in feeds}
    errors = messages(batches, "errors")
    expected = {f"{u}/slow.xml": "timed out", down: "connection failed",
                f"{u}/error.xml": "server error (HTTP 500)", f"{u}/missing.xml": "not found (HTTP 404)",
                f"{u}/page.html": "not an RSS/Atom feed", f"{u}/huge.xml": "larger than max_bytes",
                f"{u}/bomb.xml": "larger than max_bytes"}
    assert len(errors) == len(expected)
    for url, why in expected.items():
        assert any(e.startswith(f"rss {url}: ") and why in e for e in errors), (url, errors)
    warnings = messages(batches, "warnings")
    assert len(warnings) == 1 and warnings[0].startswith(f"rss {u}/broken.rss: broken feed")


def test_hostile_feed_leaves_nothing_runnable(tmp_path, serve):
    site = Site()
    site.add("/hostile.rss", fixture("hostile.rss"))
    with serve(site) as server:
        batches, _ = collect(make_config(tmp_path, [f"{server.url}/hostile.rss"]))
    posts = {p.uri: p for p in posts_of(batches)}
    evil, relative = posts["evil-1"], posts["evil-2"]
    for post in posts.values():
        assert hostile_markup(post.html) == []
        assert unsafe_urls(post) == []
        json.dumps(post.raw)
    assert evil.url is None  # the entry's javascript: link is gone, not rewritten
    assert evil.media == []
    assert "https://ok.example/" in evil.links
    assert 'rel="nofollow noopener ugc"' in evil.html
    assert "alert" not in evil.author.name and "victim@example.org" not in evil.author.name
    assert evil.author.name == "Mallory"
    assert evil.author.url is None  # the feed's home page is a javascript: URL
    assert relative.url == "http://evil.example/protocol-relative"
    # "javascript&colon;..." is no scheme at all: it resolves to a harmless path on the feed's host
    assert relative.links == [f"{server.url}/javascript:alert(1)", f"{server.url}/local"]


def test_the_checker_sees_what_feedparser_lets_through():
    """Guard for the guard: feedparser's own output of the hostile fixture fails our checks."""
    import io

    import feedparser
    parsed = feedparser.parse(io.BytesIO(fixture("hostile.rss")),
                              response_headers={"content-location": "http://feeds.example/h.rss"})
    entry = parsed.entries[0]
    found = hostile_markup(entry.content[0].value)
    assert any("javascript" in f for f in found) and any("data:" in f for f in found)
    assert "<form>" in found and "<img>" in found
    assert bad_scheme(entry.link)


# ---------------------------------------------------------------- politeness

def test_second_run_with_unchanged_feeds_downloads_no_bodies(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"), etag='W/"blog-v1"')
    site.add("/recaps.atom", fixture("recaps.atom"), ATOM, last_modified="Wed, 20 May 2026 18:00:00 GMT")
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/blog/feed.xml",
                                     {"url": f"{server.url}/recaps.atom", "all": True}])
        first, cursors = collect(cfg)
        assert len(posts_of(first)) == 6 and all(s == 200 for _, s, _ in site.sent)
        site.sent.clear()
        second, cursors_after = collect(cfg, cursors)
        requests = server.requests[-2:]
    assert sorted(site.sent) == [("/blog/feed.xml", 304, 0), ("/recaps.atom", 304, 0)]
    assert {r.path: r.headers.get("if-none-match") for r in requests}["/blog/feed.xml"] == 'W/"blog-v1"'
    assert {r.path: r.headers.get("if-modified-since") for r in requests}["/recaps.atom"] \
        == "Wed, 20 May 2026 18:00:00 GMT"
    assert posts_of(second) == [] and messages(second, "errors") == []
    assert sum(b.requests for b in second) == 2
    assert cursors_after == cursors


def test_a_server_that_ignores_conditional_get_costs_a_download_but_no_reparse(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"))  # no validators at all
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/blog/feed.xml"])
        first, cursors = collect(cfg)
        second, _ = collect(cfg, cursors)
    assert len(posts_of(first)) == 4 and posts_of(second) == []
    assert [s for _, s, _ in site.sent] == [200, 200]


def test_a_changed_event_filter_looks_at_unchanged_feeds_again(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"), etag='"v1"')
    with serve(site) as server:
        feed = f"{server.url}/blog/feed.xml"
        _, cursors = collect(make_config(tmp_path, [feed]))
        batches, _ = collect(make_config(tmp_path, [{"url": feed, "all": True}]), cursors)
    assert [s for _, s, _ in site.sent] == [200, 200]  # not 304: the old verdicts no longer hold
    assert "4" in {p.uri for p in posts_of(batches)}  # the gardening post, now that all = true


def test_permanent_redirect_is_remembered_and_a_temporary_one_is_not(tmp_path, serve):
    site = Site()
    site.add("/new/feed.xml", fixture("blog.rss"), etag='"n1"')

    def app(req: Request) -> Response:
        moves = {"/old.xml": (301, "/middle.xml"), "/middle.xml": (308, "/new/feed.xml"),
                 "/temp.xml": (302, "/new/feed.xml")}
        if req.path in moves:
            code, target = moves[req.path]
            return site.log(req, Response(code, b"", {"Location": target}))
        return site(req)

    with serve(app) as server:
        cfg = make_config(tmp_path, [f"{server.url}/old.xml", f"{server.url}/temp.xml"], )
        first, cursors = collect(cfg)
        paths_first = server.paths()
        second, _ = collect(cfg, cursors)
        paths_second = server.paths()[len(paths_first):]
    assert sorted(paths_first) == sorted(["/old.xml", "/middle.xml", "/new/feed.xml",
                                          "/temp.xml", "/new/feed.xml"])
    assert cursors[f"{server.url}/old.xml"]["url"] == f"{server.url}/new/feed.xml"
    assert "url" not in cursors[f"{server.url}/temp.xml"]
    # the permanent chain is skipped; the temporary redirect is asked again
    assert sorted(paths_second) == ["/new/feed.xml", "/new/feed.xml", "/temp.xml"]
    assert any("moved permanently" in w and "/old.xml" in w for w in messages(first, "warnings"))
    # relative links resolve against where the feed really lives, after the redirects
    day_one = next(p for p in posts_of(first) if p.uri == "1")
    assert day_one.url == f"{server.url}/new/posts/day-one.html"
    # both configured feeds deliver the same entries, under ids scoped by feed
    assert len({p.id for p in posts_of(first)}) == 8


def test_a_remembered_redirect_that_breaks_falls_back_to_the_configured_url(tmp_path, serve):
    site = Site()
    site.add("/feed.xml", fixture("blog.rss"))
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/feed.xml"])
        key = f"{server.url}/feed.xml"
        batches, cursors = collect(cfg, {key: {"url": f"{server.url}/gone.xml"}})
        assert "tried again next time" in messages(batches, "errors")[0]
        again, _ = collect(cfg, cursors)
    assert server.paths() == ["/gone.xml", "/feed.xml"] and len(posts_of(again)) == 4


def test_gzip_is_asked_for_and_read(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"), gzipped=True)
    with serve(site) as server:
        batches, _ = collect(make_config(tmp_path, [f"{server.url}/blog/feed.xml"]))
        accept = server.requests[0].headers["accept-encoding"]
    assert "gzip" in accept and "br" not in accept
    assert site.sent[0][2] < len(fixture("blog.rss"))  # it really went compressed
    assert len(posts_of(batches)) == 4 and messages(batches, "errors") == []


def test_size_cap_counts_decompressed_bytes_and_stops_streaming(tmp_path, serve):
    big = fixture("blog.rss").replace(b"</channel>", b"<!--" + b"y" * 200_000 + b"--></channel>")
    site = Site()
    site.add("/gz.xml", big, gzipped=True)  # ~1 KB on the wire, 200 KB unpacked
    site.add("/fits.xml", fixture("blog.rss"))
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/gz.xml", f"{server.url}/fits.xml"], max_bytes=100_000)
        batches, _ = collect(cfg)
    assert [n for path, _, n in site.sent if path == "/gz.xml"][0] < 2_000  # small on the wire
    assert [e.split(": ", 1)[1] for e in messages(batches, "errors")] == \
        ["larger than max_bytes (100,000 bytes); skipped"]
    assert len(posts_of(batches)) == 4


def test_a_failing_round_keeps_the_cursor_so_nothing_is_fetched_twice(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"), etag='"v1"')
    failing = {"on": False}

    def app(req: Request) -> Response:
        return Response(503, b"maintenance") if failing["on"] else site(req)

    with serve(app) as server:
        cfg = make_config(tmp_path, [f"{server.url}/blog/feed.xml"])
        _, cursors = collect(cfg)
        failing["on"] = True
        broken, after_failure = collect(cfg, cursors)
        failing["on"] = False
        recovered, _ = collect(cfg, after_failure)
    assert "server error (HTTP 503)" in messages(broken, "errors")[0]
    assert after_failure == cursors  # validators, first-seen times: all still there
    assert site.sent[-1] == ("/blog/feed.xml", 304, 0) and posts_of(recovered) == []


def test_retry_after_is_respected_on_the_next_round(tmp_path, serve):
    def app(req: Request) -> Response:
        return Response(429, b"slow down", {"Retry-After": "120"})

    with serve(app) as server:
        cfg = make_config(tmp_path, [f"{server.url}/feed.xml"])
        first, cursors = collect(cfg)
        second, _ = collect(cfg, cursors)
    assert "rate limited (HTTP 429)" in messages(first, "errors")[0]
    assert len(server.requests) == 1 and sum(b.requests for b in second) == 0
    assert "as the server asked" in messages(second, "warnings")[0]


def test_a_retry_after_date_is_read_against_the_servers_clock(tmp_path, serve):
    """Our clock stands months before the server's: `Date` tells how far off the wait ends."""
    def app(req: Request) -> Response:
        later = datetime.now(timezone.utc) + timedelta(minutes=10)
        return Response(503, b"maintenance", {"Retry-After": format_datetime(later, usegmt=True)})

    with serve(app) as server:
        cfg = make_config(tmp_path, [f"{server.url}/feed.xml"])
        first, cursors = collect(cfg, clock=IN_EVENT)
        second, _ = collect(cfg, cursors, clock=IN_EVENT + timedelta(minutes=5))
        third, _ = collect(cfg, cursors, clock=IN_EVENT + timedelta(minutes=11))
    waited = parse_time(cursors[f"{server.url}/feed.xml"]["not_before"]) - IN_EVENT
    assert timedelta(minutes=9) < waited <= timedelta(minutes=10)
    assert "as the server asked" in messages(second, "warnings")[0]
    assert len(server.requests) == 2 and "server error (HTTP 503)" in messages(third, "errors")[0]


# ---------------------------------------------------------------- entries

def test_entries_become_clean_posts(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"))
    site.add("/recaps.atom", fixture("recaps.atom"), ATOM)
    with serve(site) as server:
        u = server.url
        cfg = make_config(tmp_path, [f"{u}/blog/feed.xml", {"url": f"{u}/recaps.atom", "all": True}])
        batches, _ = collect(cfg)
    posts = {(p.raw["feed"].removeprefix(u), p.uri): p for p in posts_of(batches)}
    day_one = posts[("/blog/feed.xml", "1")]
    assert day_one.source == "rss" and day_one.id.startswith("rss-")
    assert day_one.url == f"{u}/blog/posts/day-one.html"
    assert day_one.created_at == datetime(2026, 5, 14, 16, 30, tzinfo=timezone.utc)
    assert day_one.author.name == "Ada Lovelace" and day_one.author.handle == "127.0.0.1"
    assert day_one.text.startswith("My #PyCon2026 day one\n\nThe keynote was great")
    assert day_one.html.startswith("<h3>My #PyCon2026 day one</h3><p>")
    assert day_one.links == [f"{u}/talks/keynote", f"{u}/blog/slides/day1.pdf",  # against the feed
                             "https://docs.python.org/3/"]
    assert day_one.tags == ["pycon2026", "testing"] and day_one.lang == "en-gb"
    assert "<img" not in day_one.html  # images travel in Post.media, not in the body
    sprints = posts[("/blog/feed.xml", "3")]
    assert sprints.tags == ["pyconus", "sprints"]  # matched through its category alone
    recap = posts[("/recaps.atom", "tag:pycon.example.org,2026:recap-1")]
    assert recap.author.name == "Programme committee" and "pc@" not in json.dumps(recap.to_dict())
    assert recap.text.startswith("Day one recap\n\nThank you")
    # The Atom author's <uri> is the author's own link (one person with that account); an
    # entry without one points at the feed's site and carries no links.
    assert recap.author.url == "https://social.example/@pycon" and recap.author.links == [recap.author.url]
    assert day_one.author.links == [] and day_one.author.url == f"{u}/"
    plain = posts[("/recaps.atom", "https://pycon.example.org/recaps/day-2")]
    assert "&lt;b&gt;angle brackets&lt;/b&gt;" in plain.html  # text stays text
    assert plain.author.name == "Official conference recaps"  # no author: the feed's title
    for post in posts.values():
        assert json.loads(json.dumps(post.raw)) == post.raw
        assert json.loads(json.dumps(post.to_dict()))["id"] == post.id
        assert post.raw["feed"] in (f"{u}/blog/feed.xml", f"{u}/recaps.atom")


def test_an_updated_entry_replaces_the_stored_one(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"), etag='"v1"')
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/blog/feed.xml"])
        first, cursors = collect(cfg)
        edited = fixture("blog.rss").replace(b"The <a href=\"/talks/keynote\">keynote</a> was great",
                                             b"The keynote was <em>amazing</em>")
        site.add("/blog/feed.xml", edited, etag='"v2"')
        second, _ = collect(cfg, cursors)
    before = {p.uri: p for p in posts_of(first)}
    after = {p.uri: p for p in posts_of(second)}
    assert after["1"].id == before["1"].id  # same identity → the archive replaces it
    assert "amazing" in after["1"].text and "amazing" not in before["1"].text
    assert after["7"].created_at == before["7"].created_at == IN_EVENT  # first-seen time kept


def test_undated_entries_count_only_when_first_seen_during_the_event(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"))
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/blog/feed.xml"])
        early, cursors = collect(cfg, clock=BEFORE_EVENT)
        site.add("/blog/feed.xml", fixture("blog.rss") + b"\n")  # any change: parsed again
        later, _ = collect(cfg, cursors, clock=IN_EVENT)
    assert "7" not in {p.uri for p in posts_of(early)}
    assert "7" not in {p.uri for p in posts_of(later)}  # still first seen before the event


def test_identity_falls_back_from_id_to_link_to_a_hash_and_is_scoped_by_feed(tmp_path, serve):
    no_ids = """<?xml version="1.0"?><rss version="2.0"><channel><title>T</title>
      <item><title>A #pycon2026</title><guid isPermaLink="false">1</guid>
            <pubDate>Thu, 14 May 2026 10:00:00 GMT</pubDate></item>
      <item><title>B #pycon2026</title><link>https://x.example/b</link></item>
      <item><title>C #pycon2026</title><pubDate>Thu, 14 May 2026 11:00:00 GMT</pubDate></item>
      <item><description>no title, no date, #pycon2026</description></item>
    </channel></rss>"""
    site = Site()
    site.add("/one.xml", no_ids)
    site.add("/two.xml", no_ids)
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/one.xml", f"{server.url}/two.xml"])
        first, cursors = collect(cfg)
        site.add("/one.xml", no_ids + " ")
        again, _ = collect(cfg, cursors)
    one = [p for p in posts_of(first) if p.raw["feed"].endswith("/one.xml")]
    two = [p for p in posts_of(first) if p.raw["feed"].endswith("/two.xml")]
    assert [p.uri for p in one][:2] == ["1", "https://x.example/b"]
    assert all(p.uri.startswith("sha256:") for p in one[2:]) and len({p.uri for p in one}) == 4
    assert [p.uri for p in one] == [p.uri for p in two]
    assert not {p.id for p in one} & {p.id for p in two}  # "1" in two feeds: two posts
    assert [p.id for p in posts_of(again)] == [p.id for p in one]  # stable across runs


def test_stored_cursors_that_make_no_sense_are_ignored(tmp_path, serve):
    site = Site()
    site.add("/feed.xml", fixture("blog.rss"))
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/feed.xml"])
        key = f"{server.url}/feed.xml"
        for junk in ("garbage", 42, {"url": "javascript:alert(1)", "etag": 5, "seen": {"x": "never"},
                                     "not_before": "soon"}):
            batches, _ = collect(cfg, {key: junk})
            assert len(posts_of(batches)) == 4 and messages(batches, "errors") == []
    assert server.paths() == ["/feed.xml"] * 3


def test_recheck_yields_nothing_for_blogs(tmp_path):
    cfg = make_config(tmp_path, ["https://blog.example/feed.xml"])
    assert list(RssCollector(cfg, tmp_path, {}).recheck([])) == []


# ---------------------------------------------------------------- OPML

def opml_copy(tmp_path: Path, name: str, base: str) -> str:
    path = tmp_path / name
    path.write_text((FIXTURES / name).read_text().replace("{base}", base))
    return str(path)


def test_feeds_from_opml_join_the_configured_ones(tmp_path, serve):
    site = Site()
    site.add("/blog/feed.xml", fixture("blog.rss"))
    site.add("/recaps.atom", fixture("recaps.atom"), ATOM)
    with serve(site) as server:
        opml = opml_copy(tmp_path, "planet.opml", server.url)
        recaps = f"{server.url}/recaps.atom"
        cfg = make_config(tmp_path, [{"url": recaps, "all": True}, recaps], opml=opml)  # listed twice
        batches, cursors = collect(cfg)
    assert set(cursors) == {f"{server.url}/recaps.atom", f"{server.url}/blog/feed.xml"}
    assert len(posts_of(batches)) == 4 + 2  # recaps kept whole: the config's all = true wins
    warnings = messages(batches, "warnings")
    assert len(warnings) == 1 and "no usable http(s) feed URL" in warnings[0] and opml in warnings[0]
    assert "<b>" not in warnings[0]


@pytest.mark.parametrize("name", ["bomb.opml", "external.opml"])
def test_opml_entities_are_refused_not_expanded(name):
    with pytest.raises(OpmlError, match="declares XML entities"):
        read_opml(FIXTURES / name)


def test_a_broken_opml_is_reported_and_the_other_feeds_go_on(tmp_path, serve):
    site = Site()
    site.add("/feed.xml", fixture("blog.rss"))
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/feed.xml"], opml=str(FIXTURES / "bomb.opml"))
        batches, _ = collect(cfg)
    assert "bomb.opml" in messages(batches, "errors")[0] and len(posts_of(batches)) == 4


def test_opml_alone_and_unreadable_is_a_source_error(tmp_path):
    cfg = make_config(tmp_path, [], opml="missing.opml")
    with pytest.raises(SourceError, match="missing.opml: cannot read"):
        list(RssCollector(cfg, tmp_path, {}).collect({}))


def test_an_rss_file_is_not_an_opml_file():
    with pytest.raises(OpmlError, match="not an OPML file"):
        read_opml(FIXTURES / "blog.rss")


def test_a_broken_feed_keeps_its_validators_and_is_reported_every_round(tmp_path, serve):
    """A feed with nothing readable is not downloaded in full again while it stays the same."""
    site = Site()
    site.add("/feed.xml", "<html><body>Not a feed</body></html>", "application/rss+xml", etag='"broken-1"')
    with serve(site) as server:
        cfg = make_config(tmp_path, [f"{server.url}/feed.xml"])
        first, cursors = collect(cfg)
        second, cursors = collect(cfg, cursors)
        site.add("/feed.xml", fixture("blog.rss"), etag='"fixed-2"')
        third, cursors = collect(cfg, cursors)
    assert "not an RSS/Atom feed" in messages(first, "errors")[0]
    assert [status for _, status, _ in site.sent] == [200, 304, 200]
    assert messages(second, "errors") == [f"rss {server.url}/feed.xml: unchanged, still broken: not an RSS/Atom feed"]
    assert messages(third, "errors") == [] and posts_of(third)
    assert "broken" not in cursors[f"{server.url}/feed.xml"]
