"""Bluesky live through Jetstream: a real websocket client against a loopback Jetstream.

`jetstream_server.JetstreamServer` speaks Jetstream's messages over a real websocket on
127.0.0.1; `bluesky_server.BlueskyServer` plays the public AppView (getProfiles, getPosts,
and search with a login for gaps). Batches go into a real archive, as `run` stores them:
posts, tombstones and then the cursor, in one transaction.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from backchannel import config as configmod
from backchannel.collectors.registry import live
from backchannel.archive import Archive
from backchannel.collectors.bluesky.collector import BlueskyCollector
from backchannel.collectors.bluesky.live import CURSOR, GAPS, NO_PROFILE, JetstreamCollector
from backchannel.models import make_id
from bluesky_server import BlueskyServer, images_embed, make_post, tag_facet, xrpc_error
from jetstream_server import JetstreamServer

HANDLE = "searcher.test"
PASSWORD = "abcd-efgh-ijkl-mnop"


# --- helpers ----------------------------------------------------------------------------------

def record(text: str, tag: str | None = "#PyCon", **extra) -> dict:
    """An app.bsky.feed.post record as its author's client writes it."""
    rec = {"$type": "app.bsky.feed.post", "text": text, "langs": ["en"],
           "createdAt": datetime.now(timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")}
    if tag and tag in text:
        rec["facets"] = [tag_facet(text, tag)]
    rec.update(extra)
    return rec


def make_config(tmp_path: Path, jetstream: list[str], appview: str, start=None, end=None, **bluesky):
    event = {"name": "PyCon Test", "hashtags": ["pycon"]}
    if start:
        event["start"] = start.isoformat()
    if end:
        event["end"] = end.isoformat()
    raw = {"event": event, "sources": {"bluesky": {"service": appview, "appview": appview,
                                                   "jetstream": jetstream, "timeout": 5, **bluesky}}}
    return configmod.parse(raw, tmp_path / "backchannel.toml")


def make_collector(tmp_path, jetstream, appview, env=None, **kw) -> JetstreamCollector:
    c = JetstreamCollector(make_config(tmp_path, jetstream, appview, **kw), tmp_path / "data", env or {})
    c.flush_every = c.stream.tick = 0.05
    c.stream.backoff.first, c.stream.backoff.cap = 0.05, 0.2
    c.lookup_backoff.first = 0.05
    return c


class Stored:
    """Plays `run`'s writer: each batch into a real archive, then remembers what it said."""

    def __init__(self, tmp_path: Path):
        self.archive = Archive(tmp_path / "data" / "archive.db")
        self.errors: list[str] = []
        self.warnings: list[str] = []
        self.skipped: dict[str, int] = {}
        self.batches = 0
        self.requests = 0

    def take(self, batch) -> None:
        deleted = list(batch.deleted) + self.archive.author_posts("bluesky", batch.forget)
        self.archive.store(batch.posts, deleted, json.loads(json.dumps(batch.cursors)), "bluesky")
        self.errors += batch.errors
        self.warnings += batch.warnings
        self.requests += batch.requests
        for reason, n in batch.skipped.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + n
        self.batches += 1

    def run(self, collector, until, timeout=15.0):
        """Feed `collect()` batches in until `until(self)` holds; the stream is then closed."""
        collector.stored = lambda since=None, raw=True: self.archive.posts(source="bluesky", since=since, raw=raw)
        stream = collector.collect(self.archive.cursors("bluesky"))
        deadline = time.monotonic() + timeout
        try:
            for batch in stream:
                self.take(batch)
                if until(self):
                    return
                if time.monotonic() > deadline:
                    raise AssertionError(f"timed out; errors: {self.errors}")
        finally:
            stream.close()

    def texts(self) -> list[str]:
        return sorted(p.text for p in self.archive.posts())

    @property
    def cursor(self) -> int | None:
        return (self.archive.cursors("bluesky").get(CURSOR) or {}).get("time_us")


@pytest.fixture
def appview():
    srv = BlueskyServer()
    with srv:
        yield srv


@pytest.fixture
def jetstream():
    with JetstreamServer() as srv:
        yield srv


@pytest.fixture
def stored(tmp_path):
    s = Stored(tmp_path)
    yield s
    s.archive.close()


def connected(collector):
    return lambda s: collector.stream.connected is not None


# --- posts ------------------------------------------------------------------------------------

def test_tagged_posts_are_normalised_like_search_results_and_the_rest_is_ignored(tmp_path, appview,
                                                                                 jetstream, stored):
    ada = appview.account("ada.example.com", "Ada")
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    img_record, _ = images_embed("a slide", did=ada.did)
    jetstream.create(ada.did, "3kfacet00001", record("Great keynote #PyCon", embed=img_record))
    jetstream.create(ada.did, "3ktags000001", record("Tagged only in the record", tag=None, tags=["PYCON"]))
    jetstream.create(ada.did, "3kother00001", record("Lunch #food", tag="#food"))
    jetstream.create(ada.did, "3klike000001", {"$type": "app.bsky.feed.like"}, collection="app.bsky.feed.like")
    jetstream.identity("did:plc:someoneelse", "someone.example.com")
    stored.run(c, lambda s: s.archive.count() >= 2 and c.events >= 4)
    time.sleep(0.3)
    stored.run(c, lambda s: True)
    posts = {p.uri.rsplit("/", 1)[-1]: p for p in stored.archive.posts()}
    assert sorted(posts) == ["3kfacet00001", "3ktags000001"]
    keynote = posts["3kfacet00001"]
    assert keynote.author.handle == "ada.example.com" and keynote.author.name == "Ada"
    assert keynote.url == f"https://bsky.app/profile/{ada.did}/post/3kfacet00001"
    assert 'href="https://bsky.app/hashtag/pycon"' in keynote.html
    assert keynote.media[0].url.startswith(f"https://cdn.bsky.app/img/feed_fullsize/plain/{ada.did}/")
    assert keynote.media[0].alt == "a slide"
    assert keynote.lang == "en" and "pycon" in posts["3ktags000001"].tags
    assert appview.calls("app.bsky.actor.getProfiles") == 1  # one author, asked once, then cached


def test_a_post_waits_for_its_authors_labels_and_opted_out_or_gone_authors_leave_no_post(
        tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com", "Ada")
    quiet = appview.account("quiet.example.com", labels=["!no-unauthenticated"])
    gone = appview.account("gone.example.com")
    gone.active = False
    adult = appview.account("adult.example.com")
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    appview.inject("app.bsky.actor.getProfiles", xrpc_error(503, "Unavailable", "down"), times=2)
    first = jetstream.create(ada.did, "3kwait000001", record("Waiting #PyCon"))
    jetstream.create(quiet.did, "3kquiet00001", record("Logged-in only #PyCon"))
    jetstream.create(gone.did, "3kgone000001", record("Gone #PyCon"))
    jetstream.create(adult.did, "3kadult00001", record("Spicy #PyCon", labels={
        "$type": "com.atproto.label.defs#selfLabels", "values": [{"val": "porn"}]}))
    # While the AppView fails, nothing is published and the cursor stays below the waiting posts.
    stored.run(c, lambda s: len(s.errors) >= 1)
    assert stored.archive.count() == 0
    assert "getProfiles" in stored.errors[0] and "wait for their authors' profiles" in stored.errors[0]
    assert stored.cursor is not None and stored.cursor < first
    stored.run(c, lambda s: s.archive.count() >= 1 and sum(s.skipped.values()) >= 3)
    assert stored.texts() == ["Waiting #PyCon"]
    assert stored.skipped == {"opted out (!no-unauthenticated)": 1, NO_PROFILE: 1, "labelled adult": 1}
    assert stored.cursor >= first


def test_deletions_become_tombstones_and_a_deleted_account_takes_its_posts_out(tmp_path, appview,
                                                                             jetstream, stored):
    ada = appview.account("ada.example.com")
    bob = appview.account("bob.example.com")
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    for rkey in ("3kada0000001", "3kada0000002"):
        jetstream.create(ada.did, rkey, record(f"Ada {rkey} #PyCon"))
    jetstream.create(bob.did, "3kbob0000001", record("Bob one #PyCon"))
    jetstream.create(bob.did, "3kbob0000002", record("Bob two #PyCon"))
    stored.run(c, lambda s: s.archive.count() == 4)
    jetstream.delete(ada.did, "3kada0000001")
    jetstream.delete(ada.did, "3knotours001")  # a post we never stored: no tombstone for it
    jetstream.create(bob.did, "3kbob0000002", record("Bob two, no tag now"), update=True)
    jetstream.account(ada.did, active=False, status="throttled")  # not the author's choice: kept
    stored.run(c, lambda s: s.archive.count() == 2)
    assert stored.texts() == ["Ada 3kada0000002 #PyCon", "Bob one #PyCon"]
    assert stored.archive.is_tombstoned(make_id("bluesky", f"at://{ada.did}/app.bsky.feed.post/3kada0000001"))
    assert not stored.archive.is_tombstoned(make_id("bluesky", f"at://{ada.did}/app.bsky.feed.post/3knotours001"))
    jetstream.account(ada.did, active=False, status="deleted")
    stored.run(c, lambda s: s.archive.count() == 1)
    assert stored.texts() == ["Bob one #PyCon"]
    # A replayed create of a deleted post is refused by its tombstone.
    jetstream.create(ada.did, "3kada0000001", record("Ada 3kada0000001 #PyCon"))
    jetstream.create(bob.did, "3kbob0000003", record("Bob three #PyCon"))
    stored.run(c, lambda s: s.archive.count() == 2)
    assert stored.texts() == ["Bob one #PyCon", "Bob three #PyCon"]


def test_an_edit_replaces_the_stored_text(tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    jetstream.create(ada.did, "3kedit000001", record("Frist #PyCon"))
    stored.run(c, lambda s: s.texts() == ["Frist #PyCon"])
    jetstream.create(ada.did, "3kedit000001", record("First #PyCon"), update=True)
    stored.run(c, lambda s: s.texts() == ["First #PyCon"])


# --- the connection ---------------------------------------------------------------------------

def test_a_dropped_connection_reconnects_and_replays_from_the_cursor_without_doubles(
        tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    for i in range(5):
        jetstream.create(ada.did, f"3kdrop{i:06d}", record(f"Before {i} #PyCon"))

    def cut_then_more(s):
        if s.archive.count() == 5 and len(jetstream.connections) == 2:
            jetstream.drop()  # while this connection reads
            for i in range(5, 10):
                jetstream.create(ada.did, f"3kdrop{i:06d}", record(f"After {i} #PyCon"))
        return s.archive.count() == 10

    stored.run(c, cut_then_more)
    assert len(jetstream.connections) >= 3
    resumed = int(jetstream.connections[-1]["cursor"][0])
    assert resumed <= stored.cursor  # asked for a replay from where it was (rewound a little)
    assert any("connection dropped" in e for e in stored.errors)
    assert len({p.id for p in stored.archive.posts()}) == 10


def test_duplicate_deliveries_are_stored_once(tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    jetstream.duplicate = True
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    for i in range(3):
        jetstream.create(ada.did, f"3kdup{i:07d}", record(f"Twice {i} #PyCon"))
    stored.run(c, lambda s: c.events >= 6)
    stored.run(c, lambda s: True)
    assert stored.texts() == ["Twice 0 #PyCon", "Twice 1 #PyCon", "Twice 2 #PyCon"]


def test_an_unreachable_or_refusing_instance_moves_on_to_the_next(tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    jetstream.refuse(1)
    c = make_collector(tmp_path, ["ws://127.0.0.1:9", jetstream.url], appview.url)
    stored.run(c, lambda s: c.stream.connected is not None)
    assert any("cannot connect" in e and "127.0.0.1:9" in e for e in stored.errors)
    assert any("HTTP 503" in e for e in stored.errors)
    jetstream.create(ada.did, "3knext000001", record("Made it #PyCon"))
    stored.run(c, lambda s: s.archive.count() == 1)
    assert c.extra["jetstream"] == jetstream.url.removeprefix("ws://")
    assert float(c.extra["jetstream lag"].removesuffix(" s")) < 60


def test_a_burst_of_untagged_posts_does_not_hide_the_tagged_ones(tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    noise = record("just posting", tag=None)
    for i in range(5000):
        if i % 1000 == 500:
            jetstream.create(ada.did, f"3kburst{i:05d}", record(f"Tagged {i} #PyCon"))
        jetstream.create(f"did:plc:noise{i % 97:05d}", f"3knoise{i:05d}", noise)
    stored.run(c, lambda s: c.events >= 5005, timeout=60)
    stored.run(c, lambda s: s.archive.count() == 5)
    assert stored.archive.count() == 5
    assert appview.calls("app.bsky.actor.getProfiles") <= 5  # only the tagged posts' author is looked up


def test_malformed_messages_are_skipped_and_counted(tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    jetstream.add_raw("{not json")
    jetstream.add_raw(json.dumps({"did": ada.did, "time_us": "soon", "kind": "commit"}))
    jetstream.add_raw(json.dumps({"did": "did:plc:x", "time_us": 1, "kind": "commit", "commit": {
        "operation": "create", "collection": "app.bsky.feed.post", "rkey": "../../x", "record": {}}}))
    jetstream.add_raw("[" * 100_000 + "]" * 100_000)  # deeper than the JSON parser recurses
    jetstream.create(ada.did, "3kodd0000001", record("Odd #PyCon", embed={"$type": "app.bsky.embed.images",
                                                                            "images": [{"image": ["not", "a", "blob"]}]}))
    jetstream.create(ada.did, "3kfine000001", record("Still here #PyCon"))
    stored.run(c, lambda s: s.archive.count() == 2)
    assert stored.skipped.get("malformed") == 4
    assert all("Traceback" not in w for w in stored.warnings)


# --- gaps and counts --------------------------------------------------------------------------

def test_a_gap_longer_than_the_replay_window_is_filled_by_search(tmp_path, appview, jetstream, stored):
    appview.account(HANDLE, "Searcher", password=PASSWORD)
    ada = appview.account("ada.example.com")
    now = datetime.now(timezone.utc)
    appview.add(make_post(ada, "Written while we were away #PyCon", now - timedelta(hours=3),
                          facets=[tag_facet("Written while we were away #PyCon", "#PyCon")]))
    old = int((now - timedelta(hours=5)).timestamp() * 1_000_000)
    stored.archive.store(cursors={CURSOR: {"time_us": old}}, source="bluesky")
    env = {"BACKCHANNEL_BLUESKY_HANDLE": HANDLE, "BACKCHANNEL_BLUESKY_APP_PASSWORD": PASSWORD}
    c = make_collector(tmp_path, [jetstream.url], appview.url, env=env, replay_hours=1,
                       start=now - timedelta(days=1), end=now + timedelta(days=1))
    stored.run(c, lambda s: s.archive.count() == 1 and c.stream.connected is not None)
    assert stored.texts() == ["Written while we were away #PyCon"]
    assert stored.archive.cursors("bluesky")[GAPS] == []
    assert "cursor" in jetstream.connections[-1]  # then live, from when the gap ended
    assert any("filled the gap" in w for w in stored.warnings)


def test_without_a_login_a_gap_is_reported_and_kept_for_later(tmp_path, appview, jetstream, stored):
    now = datetime.now(timezone.utc)
    c = make_collector(tmp_path, [jetstream.url], appview.url, start=now - timedelta(hours=2),
                       end=now + timedelta(hours=2), replay_hours=1)
    stored.run(c, connected(c))
    assert any("refuses this without a login" in e for e in stored.errors)
    assert any("is not filled yet" in e for e in stored.errors)
    gaps = stored.archive.cursors("bluesky")[GAPS]
    assert len(gaps) == 1 and gaps[0][0].startswith((now - timedelta(hours=2)).strftime("%Y-%m-%dT%H"))


def test_a_first_run_after_the_event_began_replays_from_its_start(tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    now = datetime.now(timezone.utc)
    ten_minutes_ago = int((now - timedelta(minutes=10)).timestamp() * 1_000_000)
    hour_ago = int((now - timedelta(hours=1)).timestamp() * 1_000_000)
    for n in range(6):  # the network never stops posting: the replay begins where it was asked to
        jetstream.create(f"did:plc:other{n:05d}", f"3knoise{n:05d}", record("elsewhere", tag=None),
                         at_us=hour_ago + n * 10 * 60 * 1_000_000 - 2_000_000)
    jetstream.create(ada.did, "3kearly00001", record("Before we started #PyCon"), at_us=ten_minutes_ago)
    c = make_collector(tmp_path, [jetstream.url], appview.url, start=now - timedelta(hours=1),
                       end=now + timedelta(hours=1))
    stored.run(c, lambda s: s.archive.count() == 1)
    asked = int(jetstream.connections[0]["cursor"][0])
    assert asked <= int((now - timedelta(hours=1)).timestamp() * 1_000_000)
    assert stored.archive.cursors("bluesky")[GAPS] == []


def test_a_gap_is_filled_through_the_public_appview_when_it_answers_without_a_login(
        tmp_path, appview, jetstream, stored):
    appview.public_search = True
    ada = appview.account("ada.example.com")
    now = datetime.now(timezone.utc)
    for i in range(5):
        text = f"Early {i} #PyCon"
        appview.add(make_post(ada, text, now - timedelta(minutes=50 - i), facets=[tag_facet(text, "#PyCon")]))
    c = make_collector(tmp_path, [jetstream.url], appview.url, start=now - timedelta(hours=1),
                       end=now + timedelta(hours=1), replay_hours=0.5)
    stored.run(c, lambda s: s.archive.count() == 5 and c.stream.connected is not None)
    assert stored.archive.cursors("bluesky")[GAPS] == []
    assert appview.calls("com.atproto.server.createSession") == 0


def test_search_without_a_login_pages_by_time_not_by_cursor(tmp_path, appview):
    appview.public_search = True
    ada = appview.account("ada.example.com")
    start = datetime(2026, 9, 1, tzinfo=timezone.utc)
    for i in range(250):
        text = f"Post {i} #PyCon"
        appview.add(make_post(ada, text, start + timedelta(minutes=i), facets=[tag_facet(text, "#PyCon")]))
    cfg = make_config(tmp_path, [], appview.url, start=start, end=start + timedelta(days=1))
    searcher = BlueskyCollector(cfg, tmp_path / "data", {})
    texts, errors = [], []
    for batch in searcher.collect({}):
        texts += [p.text for p in batch.posts]
        errors += batch.errors
    assert not errors and len(texts) == len(set(texts)) == 250
    searches = [r for r in appview.requests if r.path.endswith("searchPosts")]
    assert len(searches) >= 3 and not any("cursor" in r.query for r in searches)
    assert appview.calls("com.atproto.server.createSession") == 0


def test_search_without_a_login_where_the_appview_refuses_says_what_to_set(tmp_path, appview):
    cfg = make_config(tmp_path, [], appview.url)
    batches = list(BlueskyCollector(cfg, tmp_path / "data", {}).collect({}))
    [error] = [e for b in batches for e in b.errors]
    assert "refuses this without a login" in error and "BACKCHANNEL_BLUESKY_HANDLE" in error


def test_a_clamped_replay_is_noticed_as_a_gap(tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    now_us = int(time.time() * 1_000_000)
    jetstream.create(ada.did, "3kclamp00001", record("After the window #PyCon"))
    stored.archive.store(cursors={CURSOR: {"time_us": now_us - 600 * 1_000_000}}, source="bluesky")
    jetstream.window_us = 60 * 1_000_000  # the instance keeps a minute; we ask for ten
    now = datetime.now(timezone.utc)
    c = make_collector(tmp_path, [jetstream.url], appview.url, start=now - timedelta(days=1),
                       end=now + timedelta(days=1))
    stored.run(c, lambda s: s.archive.count() == 1 and len(s.archive.cursors("bluesky").get(GAPS) or []) == 1)
    since, until = stored.archive.cursors("bluesky")[GAPS][0]
    assert since < until  # recorded (and tried with search: no login here, so it stays)


def test_counts_are_refreshed_from_the_appview(tmp_path, appview, jetstream, stored):
    ada = appview.account("ada.example.com")
    c = make_collector(tmp_path, [jetstream.url], appview.url)
    stored.run(c, connected(c))
    text = "Counted #PyCon"
    rec = record(text)
    jetstream.create(ada.did, "3kcount00001", rec)
    stored.run(c, lambda s: s.archive.count() == 1)
    view = make_post(ada, text, rec["createdAt"], facets=rec["facets"], rkey="3kcount00001",
                     counts={"likes": 42, "reposts": 7})
    appview.add(view)
    c.refresh_every = 0.0
    c._next_refresh = 0.0
    stored.run(c, lambda s: s.archive.get(make_id("bluesky", view["uri"])).metrics.likes == 42)
    assert appview.calls("app.bsky.feed.getPosts") >= 1
    assert all(not r.headers.get("authorization") for r in appview.requests)  # no login for any of it


# --- in `run` ---------------------------------------------------------------------------------

def test_run_reads_jetstream_survives_kill_9_and_shows_its_lag(tmp_path, appview, jetstream):
    ada = appview.account("ada.example.com")
    config = tmp_path / "backchannel.toml"
    config.write_text(f"""
[event]
name = "Live"
hashtags = ["pycon"]

[sources.bluesky]
jetstream = ["{jetstream.url}"]
appview = "{appview.url}"
""")

    def start():
        return subprocess.Popen([sys.executable, "-m", "backchannel", "run", "--no-digest", "--config", str(config)],
                                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def stored_texts():
        path = tmp_path / ".backchannel" / "archive.db"
        if not path.exists():
            return []
        with Archive(path, readonly=True) as archive:
            return [p.text for p in archive.posts()]

    def wait(n, timeout=30):
        deadline = time.monotonic() + timeout
        while len(stored_texts()) < n:
            assert time.monotonic() < deadline, f"only {len(stored_texts())} of {n} posts stored"
            time.sleep(0.2)

    def shown_extra(timeout=15):
        """The Bluesky row's extra figures in `backchannel status --json`, once they are there."""
        deadline = time.monotonic() + timeout
        while True:
            out = subprocess.run([sys.executable, "-m", "backchannel", "status", "--json", "--config", str(config)],
                                 capture_output=True, text=True).stdout
            run = json.loads(out.splitlines()[-1]).get("run") or {}
            extra = next((s["extra"] for s in run.get("sources", []) if s["name"] == "bluesky"), {})
            if extra or time.monotonic() > deadline:
                return extra
            time.sleep(0.5)

    proc = start()
    try:
        deadline = time.monotonic() + 30
        while not jetstream.connections:
            assert time.monotonic() < deadline and proc.poll() is None, proc.stderr.read() if proc.poll() else ""
            time.sleep(0.1)
        for i in range(10):
            jetstream.create(ada.did, f"3krun{i:07d}", record(f"Live {i} #PyCon"))
        wait(10)
        assert "jetstream lag" in shown_extra(), "run's status shows how far behind the stream is"
        proc.send_signal(signal.SIGKILL)
        proc.wait(10)
        for i in range(10, 20):  # written while nothing reads the stream
            jetstream.create(ada.did, f"3krun{i:07d}", record(f"Live {i} #PyCon"))
        proc = start()
        wait(20)
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    texts = stored_texts()
    assert sorted(texts) == sorted(f"Live {i} #PyCon" for i in range(20))  # nothing lost, nothing twice
    assert "cursor" in jetstream.connections[-1]
    assert "Traceback" not in err


def test_collect_once_still_searches(tmp_path, appview):
    cfg = make_config(tmp_path, ["ws://127.0.0.1:9"], appview.url)
    searcher = BlueskyCollector(cfg, tmp_path / "data", {})
    assert isinstance(live(searcher), JetstreamCollector)
    off = make_config(tmp_path, [], appview.url)
    polling = BlueskyCollector(off, tmp_path / "data", {})
    assert live(polling) is polling
