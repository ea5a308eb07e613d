"""The Mastodon collector: the real Mastodon.py against Mastodon servers on 127.0.0.1.

`mastodon_server.FakeMastodon` speaks the API with realistic Status JSON; `PipelineStore`
does with the batches what the pipeline does (posts, then cursors, JSON round-tripped), so
each test reads as a few rounds of `backchannel collect --once`.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
import requests

from backchannel import config as configuration
from backchannel.models import make_id
from backchannel.collectors.mastodon.collector import TOKEN_VAR, MastodonCollector
from backchannel.collectors.mastodon.client import parse_tokens
from backchannel.collectors.retry import Clock, Retry
from backchannel.demo.loopback import Response
from pipeline_store import PipelineStore
from mastodon_server import FakeMastodon, Person, bad_json, error, hashtag_html, link_html, render, slow, too_many

START = datetime(2026, 9, 1, 9, 0, tzinfo=timezone.utc)


class WatchedClock(Clock):
    """Real time, with every wait the collector makes written down."""

    def __init__(self):
        self.waits: list[float] = []

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        super().sleep(seconds)


def make_collector(tmp_path: Path, servers, tags=("pycon",), start=START, env=None, timeout=2.0, strict=False,
                   retries=2):
    event = {"name": "PyCon Test", "hashtags": list(tags)}
    if start:
        event["start"] = start.isoformat()
    cfg = configuration.parse({"event": event, "sources": {"mastodon": {
        "instances": [getattr(s, "url", s) for s in servers], "timeout": timeout}},
        "consent": {"strict": strict}}, tmp_path / "backchannel.toml")
    retry = Retry(retries=retries, backoff=0.01, max_backoff=0.02, max_wait=2.0)
    return MastodonCollector(cfg, tmp_path, env or {}, retry=retry, clock=WatchedClock())


@pytest.fixture
def a():
    with FakeMastodon() as server:
        yield server


@pytest.fixture
def b():
    with FakeMastodon() as server:
        yield server


@pytest.fixture
def c():
    with FakeMastodon() as server:
        yield server


def minutes(n: float) -> datetime:
    return START + timedelta(minutes=n)


def series(server: FakeMastodon, person: Person, count: int, first: datetime, tag: str = "pycon",
           step: timedelta = timedelta(minutes=1)) -> list[dict]:
    return [server.publish(person, f"Note {i} from the talk #{tag}", tags=[tag], created_at=first + i * step)
            for i in range(count)]


# -- the done criterion ----------------------------------------------------------------------

def test_three_servers_sharing_posts_store_each_public_post_once(tmp_path, a, b, c, store):
    alice, bob, carol = Person("alice", a), Person("bob", b), Person("carol", c)
    dave = Person("dave", a, noindex=True)
    shared = [a.publish(alice, f"Takeaway {i} #pycon", tags=["pycon"], created_at=minutes(i)) for i in range(3)]
    for status in shared:
        b.receive(status, a)
        c.receive(status, a)
    for i in range(2):
        a.receive(b.publish(bob, f"Question {i} #PyCon", tags=["PyCon"], created_at=minutes(10 + i)), b)
    only_c = c.publish(carol, "Slides are up #pycon", tags=["pycon"], created_at=minutes(20))
    b.receive(a.publish(dave, "Please do not index me #pycon", tags=["pycon"], created_at=minutes(30)), a)
    a.publish(alice, "Before the event #pycon", tags=["pycon"], created_at=minutes(-60))

    store.round(make_collector(tmp_path, [a, b, c]))

    expected = {s["uri"] for s in shared} | {only_c["uri"]} | {
        s["uri"] for s in b.statuses.values() if s["account"]["username"] == "bob"}
    assert {p.uri for p in store.posts.values()} == expected
    assert len(store.yielded) == len(expected) == 6  # every shared post yielded once, not once per server
    assert store.errors == [] and store.warnings == []
    handles = {p.author.handle for p in store.posts.values()}
    assert handles == {f"alice@{a.domain}", f"bob@{b.domain}", f"carol@{c.domain}"}
    assert all(p.id == make_id("mastodon", p.uri) and p.source == "mastodon" for p in store.posts.values())
    assert all(p.created_at >= START and p.created_at.tzinfo is not None for p in store.posts.values())


def test_first_run_backfills_to_the_event_start_and_stops(tmp_path, a, store):
    alice = Person("alice", a)
    statuses = series(a, alice, 100, minutes(-45))  # 45 before the start, 55 from it on
    collector = make_collector(tmp_path, [a])

    store.round(collector)

    assert sorted(p.uri for p in store.posts.values()) == sorted(s["uri"] for s in statuses[45:])
    pages = a.timeline_requests()
    assert [r.arg("max_id") for r in pages] == [None, statuses[-40]["id"]]  # page 2 crosses the start: stop
    assert all(r.arg("limit") == "40" for r in pages)
    # the first round asks once for the account domain, then a batch (and cursor) per page
    assert [len(b.posts) for b in store.batches] == [0, 40, 15]
    assert store.batches[0].cursors == {f"{a.url}|#instance": {"domain": a.domain}}
    assert store.cursors[f"{a.url}|pycon"] == {"newest": statuses[-1]["id"], "older_than": None}
    assert store.batches[1].cursors[f"{a.url}|pycon"]["older_than"] == statuses[-40]["id"]


def test_without_a_start_the_backfill_reads_to_the_end(tmp_path, a, store):
    statuses = series(a, Person("alice", a), 90, minutes(0))
    store.round(make_collector(tmp_path, [a], start=None))
    assert len(store.posts) == 90
    assert len(a.timeline_requests()) == 4  # 40 + 40 + 10 + the empty page that ends it
    assert store.cursors[f"{a.url}|pycon"]["newest"] == statuses[-1]["id"]


def test_catch_up_follows_min_id_until_a_page_is_empty(tmp_path, a, store):
    alice = Person("alice", a)
    series(a, alice, 5, minutes(0))
    collector = make_collector(tmp_path, [a])
    store.round(collector)
    newest = store.cursors[f"{a.url}|pycon"]["newest"]
    new = series(a, alice, 90, minutes(10))
    before = len(a.requests)

    store.round(collector)

    pages = a.requests[before:]
    assert [r.arg("min_id") for r in pages] == [newest, new[39]["id"], new[79]["id"], new[89]["id"]]
    assert [len(b.posts) for b in store.batches if b.posts] == [40, 40, 10]
    assert len(store.posts) == 95
    assert store.cursors[f"{a.url}|pycon"] == {"newest": new[-1]["id"], "older_than": None}
    # each page's batch carries the cursor of that page, never one ahead of its posts
    for batch in (b for b in store.batches if b.posts):
        assert batch.cursors[f"{a.url}|pycon"]["newest"] == max((p.raw["id"] for p in batch.posts), key=int)


# -- polling cost ----------------------------------------------------------------------------

def test_quiet_round_costs_one_request_per_server_and_hashtag(tmp_path):
    with FakeMastodon(supports_any=False) as a, FakeMastodon(supports_any=False) as b, \
            FakeMastodon(supports_any=False, unknown_tag="empty") as c:
        for server in (a, b, c):
            person = Person("p", server)
            series(server, person, 3, minutes(0), tag="pycon")
            series(server, person, 2, minutes(5), tag="pyconsprints")
        collector = make_collector(tmp_path, [a, b, c], tags=("pycon", "pyconsprints", "pyconparty"))
        store = PipelineStore().round(collector)
        assert len(store.posts) == 15
        marks = [len(s.requests) for s in (a, b, c)]

        store.round(collector)

        for server, mark in zip((a, b, c), marks):
            quiet = server.requests[mark:]
            assert sorted(r.path for r in quiet) == sorted(
                f"/api/v1/timelines/tag/{t}" for t in ("pycon", "pyconsprints", "pyconparty"))
            assert all("any[]" not in r.query for r in quiet)
        assert store.requests == 9 and store.yielded == [] and store.errors == []
        # /api/v2/instance (the account domain) was asked once per server, in the first round,
        # and never again: Mastodon.py's hidden check before every timeline call is not made
        assert [sum("instance" in r.path for r in s.requests[:m]) for s, m in zip((a, b, c), marks)] == [1, 1, 1]


def test_a_server_that_honours_any_is_polled_with_one_request(tmp_path, a, b, store):
    for server in (a, b):
        person = Person("p", server)
        series(server, person, 3, minutes(0), tag="pycon")
        series(server, person, 2, minutes(5), tag="pyconsprints")
    collector = make_collector(tmp_path, [a, b], tags=("pycon", "pyconsprints"))
    store.round(collector)  # backfill, then one request shows any[] works
    assert store.cursors[a.url] == {"any": True, "tries": 0}
    marks = [len(a.requests), len(b.requests)]

    store.round(collector)
    for server, mark in zip((a, b), marks):
        quiet = server.requests[mark:]
        assert len(quiet) == 1
        assert quiet[0].path == "/api/v1/timelines/tag/pycon" and quiet[0].query["any[]"] == ["pyconsprints"]

    fresh = [a.publish(Person("q", a), "New #pyconsprints", tags=["pyconsprints"], created_at=minutes(60)),
             a.publish(Person("q", a), "New #pycon", tags=["pycon"], created_at=minutes(61))]
    store.round(collector)
    assert {s["uri"] for s in fresh} <= {p.uri for p in store.posts.values()}
    assert len(store.posts) == 12


def test_a_server_that_ignores_any_loses_nothing(tmp_path):
    with FakeMastodon(supports_any=False, version="4.3.2") as a:  # claims Mastodon, drops any[]
        person = Person("p", a)
        series(a, person, 3, minutes(0), tag="pycon")
        series(a, person, 3, minutes(5), tag="pyconsprints")
        collector = make_collector(tmp_path, [a], tags=("pycon", "pyconsprints"))
        store = PipelineStore().round(collector)
        for n in range(3):  # each round with news tries once more to see any[] at work
            series(a, person, 2, minutes(20 + 10 * n), tag="pyconsprints")
            store.round(collector)
        assert store.cursors[a.url] == {"any": False, "tries": 3}
        assert len(store.posts) == 12
        mark = len(a.requests)
        late = a.publish(person, "Late #pyconsprints", tags=["pyconsprints"], created_at=minutes(90))
        store.round(collector)
        assert late["uri"] in {p.uri for p in store.posts.values()}
        assert all("any[]" not in r.query for r in a.requests[mark:])


# -- what is a post, and whose -----------------------------------------------------------------

def test_a_boost_counts_as_its_original(tmp_path):
    with FakeMastodon() as a, FakeMastodon() as b:
        alice, bob = Person("alice", a), Person("bob", b)
        eve = Person("eve", b, note="<p>#NoBackchannel please</p>")
        original = b.receive(a.publish(alice, "Great keynote #pycon", tags=["pycon"], created_at=minutes(5),
                                       reblogs_count=7), a)
        b.boost(bob, original)
        b.boost(bob, b.receive(a.publish(alice, "Only seen boosted #pycon", tags=["pycon"],
                                         created_at=minutes(6)), a))
        b.boost(bob, b.publish(eve, "Opted out #pycon", tags=["pycon"], created_at=minutes(7)))
        with FakeMastodon() as c:
            store = PipelineStore().round(make_collector(tmp_path, [b, c]))
    assert sorted(p.text for p in store.yielded) == ["Great keynote #pycon", "Only seen boosted #pycon"]
    post = store.posts[make_id("mastodon", original["uri"])]
    assert post.author.handle == f"alice@{a.domain}" and not post.is_repost
    assert post.metrics.reposts == 7 and post.raw["uri"] == original["uri"]


def test_only_public_posts_are_kept(tmp_path):
    with FakeMastodon(public_only=False) as a:  # a server that lists more than it should
        alice = Person("alice", a)
        kept = a.publish(alice, "Public #pycon", tags=["pycon"], created_at=minutes(1))
        for i, visibility in enumerate(("unlisted", "private", "direct", "limited")):
            a.publish(alice, f"{visibility} #pycon", tags=["pycon"], created_at=minutes(2 + i), visibility=visibility)
        store = PipelineStore().round(make_collector(tmp_path, [a]))
    assert [p.uri for p in store.posts.values()] == [kept["uri"]]


def test_accounts_that_opted_out_stay_out(tmp_path, a, store):
    field = lambda name, value: {"name": name, "value": value, "verified_at": None}  # noqa: E731
    people = {
        "noindex": Person("n", a, noindex=True),
        "#nobot in bio": Person("bot1", a, note=f"<p>Loves Python. {hashtag_html(a, 'nobot')}</p>"),
        "#NoIndex in a field": Person("f", a, fields=[field("Pronouns", "they/them"),
                                                      field("Bots", "<p>#NoIndex please</p>")]),
        "#nobot as a field name": Person("g", a, fields=[field("#nobot", "thanks")]),
        "#NOBACKCHANNEL plain": Person("nb", a, note="<p>Please: #NOBACKCHANNEL</p>"),
        "#nobackchannel linked": Person("nb2", a, note=f"<p>{hashtag_html(a, 'nobackchannel')}</p>"),
    }
    welcome = {
        "plain": Person("ok", a),  # indexable: false, discoverable: false, as Mastodon's defaults
        "opted in": Person("in", a, indexable=True, discoverable=True),
        "says nobot without #": Person("ok2", a, note="<p>I am nobot's friend, #nobots fan</p>"),
        "indexable unknown": Person("ok3", a, indexable=None, noindex=None),  # Takahe, Misskey omit them
    }
    for label, person in {**people, **welcome}.items():
        a.publish(person, f"{label} #pycon", tags=["pycon"], created_at=minutes(len(label)))
    store.round(make_collector(tmp_path, [a]))
    assert sorted(p.text.removesuffix(" #pycon") for p in store.posts.values()) == sorted(welcome)
    assert store.skipped == {"opted out (noindex)": 1, "opted out (#nobot)": 2, "opted out (#noindex)": 1,
                             "opted out (#nobackchannel)": 2}
    gone = {f"{person.username}@{a.domain}" for person in people.values()}
    assert not gone & {p.author.handle for p in store.posts.values()}  # not even the raw payload is kept
    facts = {p.text.removesuffix(" #pycon"): (p.indexable, p.discoverable, p.searchable, p.named)
             for p in store.posts.values()}
    assert facts == {"plain": (False, False, False, False), "opted in": (True, True, True, True),
                     "says nobot without #": (False, False, False, False),
                     "indexable unknown": (None, False, False, False)}


def test_strict_consent_collects_only_accounts_that_opted_in_to_search(tmp_path, a, store):
    a.publish(Person("in", a, indexable=True), "Opted in #pycon", tags=["pycon"], created_at=minutes(1))
    a.publish(Person("out", a), "Default #pycon", tags=["pycon"], created_at=minutes(2))
    a.publish(Person("quiet", a, indexable=None), "Unknown #pycon", tags=["pycon"], created_at=minutes(3))
    store.round(make_collector(tmp_path, [a], strict=True))
    assert [p.text for p in store.posts.values()] == ["Opted in #pycon"]
    assert store.skipped == {"not opted in to search ([consent] strict)": 2}


def test_quote_posts_drop_the_inline_quote_and_link_the_quoted_post(tmp_path, a):
    """Mastodon 4.4+ prepends `<p class="quote-inline">RE: …</p>` for old clients."""
    alice, bob = Person("alice", a), Person("bob", a)
    quoted = a.publish(alice, "Vectors are just arrays #pycon", tags=["pycon"], created_at=minutes(1))
    inline = f'<p class="quote-inline">RE: <a href="{quoted["url"]}">{quoted["url"]}</a></p>'
    for n, state in enumerate(("accepted", "revoked")):
        a.publish(bob, created_at=minutes(2 + n), tags=["pycon"], quotes_count=0,
                  content=f"{inline}<p>So true ({state}) #pycon</p>",
                  quote={"state": state, "quoted_status": quoted if state == "accepted" else None})
    a.statuses[quoted["id"]]["quotes_count"] = 1
    posts = {p.text: p for p in PipelineStore().round(make_collector(tmp_path, [a])).posts.values()}
    accepted, revoked = posts["So true (accepted) #pycon"], posts["So true (revoked) #pycon"]
    assert "RE:" not in accepted.html and "quote-inline" not in accepted.html
    assert accepted.links == [quoted["url"]] and revoked.links == []
    assert posts["Vectors are just arrays #pycon"].metrics.quotes == 1


def test_content_warning_and_sensitive_flag_are_kept(tmp_path, a):
    a.publish(Person("alice", a), "Spoilers about the closing talk #pycon", tags=["pycon"], created_at=minutes(1),
              spoiler_text="Talk spoilers", sensitive=True, media_attachments=[{
                  "id": "77", "type": "image", "url": f"{a.url}/media/1.png", "preview_url": f"{a.url}/media/1s.png",
                  "remote_url": None, "description": "A slide with a graph of latency", "blurhash": None,
                  "meta": {}}])
    post = next(iter(PipelineStore().round(make_collector(tmp_path, [a])).posts.values()))
    assert post.sensitive is True and post.content_warning == "Talk spoilers"
    assert post.media[0].url == f"{a.url}/media/1.png" and post.media[0].alt == "A slide with a graph of latency"
    assert post.media[0].type == "image" and post.media[0].preview_url == f"{a.url}/media/1s.png"


def test_normalised_fields(tmp_path, a, b, store):
    alice, bob = Person("alice", a, display_name="Alice Example"), Person("bob", b)
    status = a.publish(alice, created_at=minutes(3), tags=["PyCon", "Python"], mentions=[bob], language="de",
                       content=render(a, "Thanks @bob for #PyCon slides https://slides.example/talk #Python", [bob]),
                       in_reply_to_id="1234", favourites_count=4, reblogs_count=2, replies_count=1,
                       card={"url": "https://blog.example/recap", "title": "Recap"})
    store.round(make_collector(tmp_path, [a]))
    post = store.posts[make_id("mastodon", status["uri"])]
    assert post.text == f"Thanks @bob@{b.domain} for #PyCon slides https://slides.example/talk #Python"
    assert post.tags == ["pycon", "python"]
    assert post.links == ["https://slides.example/talk", "https://blog.example/recap"]  # not mentions/tags
    assert post.url == status["url"] and post.uri == status["uri"]
    assert post.author.name == "Alice Example" and post.author.url == f"{a.url}/@alice"
    assert post.lang == "de" and post.reply_to == f"{a.url}/api/v1/statuses/1234"
    assert (post.metrics.likes, post.metrics.reposts, post.metrics.replies) == (4, 2, 1)
    assert post.created_at == minutes(3) and post.created_at.utcoffset() == timedelta(0)
    assert 'href="https://slides.example/talk"' in post.html and 'rel="nofollow noopener ugc"' in post.html
    raw = dict(post.raw)
    assert raw.pop("_backchannel") == {"server": a.url}
    assert raw == a.find(status["uri"])  # the status exactly as the server sent it


# -- handles: the server's account domain ------------------------------------------------------

def test_only_profile_links_the_server_verified_are_kept(tmp_path, a, store):
    """`Author.links` are the fields with `verified_at` (the linked page links back with
    rel="me"): an unverified field is anyone's claim, and a link that is not http(s) is no link."""
    verified = "2026-08-01T10:00:00.000+00:00"
    fields = [
        {"name": "Blog", "value": '<a href="https://alice.example/" rel="nofollow noopener me" target="_blank">'
                                  '<span class="invisible">https://</span><span class="">alice.example/</span></a>',
         "verified_at": verified},
        {"name": "Bluesky", "value": link_html("https://bsky.app/profile/alice.example"), "verified_at": None},
        {"name": "Plain", "value": "https://plain.example/about", "verified_at": verified},  # text, not HTML
        {"name": "Evil", "value": '<a href="javascript:alert(1)">x</a>', "verified_at": verified},
        {"name": "Pronouns", "value": "she/her", "verified_at": None},
    ]
    a.publish(Person("alice", a, fields=fields), "Hello #pycon", tags=["pycon"], created_at=minutes(1))
    a.publish(Person("bob", a), "Hi #pycon", tags=["pycon"], created_at=minutes(2))
    posts = {p.author.handle.split("@")[0]: p for p in store.round(make_collector(tmp_path, [a])).posts.values()}
    assert posts["alice"].author.links == ["https://alice.example/", "https://plain.example/about"]
    assert posts["bob"].author.links == []
    assert posts["alice"].to_dict()["author"]["links"] == ["https://alice.example/", "https://plain.example/about"]
    assert "links" not in posts["bob"].to_dict()["author"]  # absent when there are none, as before


def test_local_handles_take_the_servers_account_domain(tmp_path):
    """API and URLs on one host, handles on another (Mastodon's LOCAL_DOMAIN ≠ WEB_DOMAIN; the demo)."""
    with FakeMastodon(account_domain="pycon.example") as a, FakeMastodon() as b:
        alice, bob, carol = Person("alice", a), Person("bob", a), Person("carol", b)
        status = a.publish(alice, "Thanks @bob #pycon", tags=["pycon"], mentions=[bob], created_at=minutes(1))
        b.receive(status, a)
        b.publish(carol, "Hi @alice #pycon", tags=["pycon"], mentions=[alice], created_at=minutes(2))
        collector = make_collector(tmp_path, [a, b])
        store = PipelineStore().round(collector)

        post = store.posts[make_id("mastodon", status["uri"])]
        assert post.author.handle == "alice@pycon.example"  # as b (and every other server) writes it
        assert post.text == "Thanks @bob@pycon.example #pycon"
        assert {p.author.handle for p in store.posts.values()} == {"alice@pycon.example", f"carol@{b.domain}"}
        assert any(p.text == "Hi @alice@pycon.example #pycon" for p in store.posts.values())
        assert store.cursors[f"{a.url}|#instance"] == {"domain": "pycon.example"}
        assert store.cursors[f"{b.url}|#instance"] == {"domain": b.domain}

        # asked once per server: later rounds (and a new process, from the cursors) never ask again
        marks = [len(a.requests), len(b.requests)]
        store.round(collector)
        store.round(make_collector(tmp_path, [a, b]))
        assert [r.path for r in a.requests[marks[0]:]] == ["/api/v1/timelines/tag/pycon"] * 2
        assert [r.path for r in b.requests[marks[1]:]] == ["/api/v1/timelines/tag/pycon"] * 2
        assert store.requests == 2 and store.yielded == []


@pytest.mark.parametrize("answers, reason", [
    ((error(404, "Record not found"),) * 2, "HTTP 404"),  # with and without the trailing slash
    ((Response.json({"domain": "<b>evil</b> example", "title": "x"}),), "no valid 'domain' in it"),
    ((bad_json(),), "the server sent invalid JSON"),
])
def test_without_an_account_domain_handles_fall_back_to_the_profile_host(tmp_path, a, answers, reason, store):
    a.fail("/api/v2/instance", *answers)
    moved = a.publish(Person("alice", a), "Hi #pycon", tags=["pycon"], created_at=minutes(1))
    moved["account"] = {**moved["account"], "url": "https://social.pycon.example/@alice"}
    plain = a.publish(Person("bob", a), "Hello #pycon", tags=["pycon"], created_at=minutes(2))
    plain["account"] = {**plain["account"], "url": None}
    collector = make_collector(tmp_path, [a])
    store.round(collector)
    assert sorted(p.author.handle for p in store.posts.values()) == ["alice@social.pycon.example", f"bob@{a.domain}"]
    assert store.warnings == [f"{a.domain}: /api/v2/instance gave no account domain ({reason}); "
                              "handles of its local accounts use the host of their profile URL"]
    assert store.cursors[f"{a.url}|#instance"] == {"domain": None} and store.errors == []
    store.round(collector)  # the answer was final: not asked again, not warned again
    assert sum("instance" in r.path for r in a.requests) == len(answers) and store.warnings == []


def test_instance_without_the_trailing_slash_is_tried_too(tmp_path, a, store):
    """Takahe answers /api/v2/instance but 404 for /api/v2/instance/ (Mastodon.py's spelling)."""
    a.fail("/api/v2/instance/", error(404, "Not found"))
    a.publish(Person("alice", a), "Hi #pycon", tags=["pycon"], created_at=minutes(1))
    store.round(make_collector(tmp_path, [a]))
    assert [p.author.handle for p in store.posts.values()] == [f"alice@{a.handle_domain}"]
    assert [r.path for r in a.requests if "instance" in r.path] == ["/api/v2/instance/", "/api/v2/instance"]
    assert store.warnings == [] and store.errors == []


def test_hashtag_feed_settings_are_explained(tmp_path, a, store):
    """Mastodon 4.5 says in /api/v2/instance who may read hashtag feeds."""
    instance = {"domain": a.handle_domain, "configuration": {"timelines_access": {
        "live_feeds": {"local": "public", "remote": "public"},
        "hashtag_feeds": {"local": "authenticated", "remote": "disabled"}}}}
    a.fail("/api/v2/instance", Response.json(instance))
    a.fail("/api/v1/timelines/tag/", error(401, "This API requires an authenticated user"))
    store.round(make_collector(tmp_path, [a]))
    assert any("only posts of its own accounts come through" in w and "hashtag_feeds.remote = disabled" in w
               for w in store.warnings)
    assert any("hashtag_feeds.local = authenticated" in w and "BACKCHANNEL_MASTODON_TOKEN" in w
               for w in store.warnings)
    assert len(store.errors) == 1 and "requires an access token for #pycon" in store.errors[0]
    assert "hashtag_feeds is 'authenticated' for local posts" in store.errors[0]


def test_an_unanswered_instance_call_skips_the_server_and_is_asked_again(tmp_path, a, b, store):
    for server in (a, b):
        series(server, Person("p", server), 2, minutes(0))
    a.fail("/api/v2/instance", *[error(503)] * 3)
    collector = make_collector(tmp_path, [a, b])
    store.round(collector)
    assert len(store.posts) == 2 and len(store.errors) == 1
    assert a.domain in store.errors[0] and "503" in store.errors[0] and "/api/v2/instance" in store.errors[0]
    assert a.timeline_requests() == [] and f"{a.url}|#instance" not in store.cursors
    store.round(collector)
    assert len(store.posts) == 4 and store.errors == []
    assert store.cursors[f"{a.url}|#instance"] == {"domain": a.domain}


# -- one post, several servers -------------------------------------------------------------------

def test_a_post_is_the_same_whichever_server_it_came_through(tmp_path):
    with FakeMastodon(account_domain="pycon.example") as a, FakeMastodon() as b:
        alice, bob = Person("alice", a, display_name="Alice"), Person("bob", a)
        first = a.publish(alice, "Keynote notes #pycon", tags=["pycon"], created_at=minutes(1), media_attachments=[
            {"id": "7", "type": "image", "url": f"{a.url}/media/1.png", "preview_url": f"{a.url}/media/1s.png",
             "remote_url": None, "description": "A slide", "blurhash": None, "meta": {}}])
        thread = a.publish(alice, "More from @bob #pycon", tags=["pycon"], mentions=[bob], created_at=minutes(2),
                           in_reply_to_id=first["id"], in_reply_to_account_id=first["account"]["id"])
        answer = a.publish(bob, "@alice agreed #pycon", tags=["pycon"], mentions=[alice], created_at=minutes(3),
                           in_reply_to_id=first["id"], in_reply_to_account_id=first["account"]["id"])
        for status in (first, thread, answer):
            b.receive(status, a)  # b's copies: its own ids, cached media, the parent by b's id
        via_a = PipelineStore().round(make_collector(tmp_path, [a])).posts
        via_b = PipelineStore().round(make_collector(tmp_path, [b])).posts
    ids = [make_id("mastodon", s["uri"]) for s in (first, thread, answer)]
    assert via_a[ids[0]].to_dict() == via_b[ids[0]].to_dict()  # handles, media at their origin, all of it
    assert via_a[ids[0]].media[0].url == f"{a.url}/media/1.png"
    # a reply names its parent by the parent's own URL where the copy shows it ...
    assert via_a[ids[1]].reply_to == via_a[ids[2]].reply_to == first["url"] == via_a[ids[0]].url
    # ... else by the id of the server read (stable, but that server's), which is why its copy is preferred
    assert via_b[ids[1]].reply_to == f"{b.url}/api/v1/statuses/{b.find(first['uri'])['id']}"
    mine, theirs = via_a[ids[1]].to_dict(), via_b[ids[1]].to_dict()
    assert {k for k in mine if mine[k] != theirs[k]} == {"reply_to"}
    assert mine["text"] == "More from @bob@pycon.example #pycon"


def test_the_own_servers_copy_is_handed_over_whatever_the_order(tmp_path, a, b, c, store):
    status = a.publish(Person("alice", a), "Great keynote #pycon", tags=["pycon"], created_at=minutes(1),
                       favourites_count=9, reblogs_count=4)
    for server in (b, c):
        server.receive(status, a).update(favourites_count=1, reblogs_count=0)  # what reached each server
    store.round(make_collector(tmp_path, [b, c, a]))
    assert len(store.yielded) == 1  # one Post, handed over once: nothing for the archive to update
    post = store.yielded[0]
    assert post.raw["_backchannel"] == {"server": a.url} and post.raw["id"] == status["id"]
    assert (post.metrics.likes, post.metrics.reposts) == (9, 4)  # the author's server's counts


def test_a_post_seen_later_on_another_server_is_not_handed_over_again(tmp_path, a, b, store):
    status = a.publish(Person("alice", a), "Slides #pycon", tags=["pycon"], created_at=minutes(1), favourites_count=3)
    b.publish(Person("bob", b), "Hello #pycon", tags=["pycon"], created_at=minutes(0))
    collector = make_collector(tmp_path, [a, b])
    store.round(collector)
    stored = store.posts[make_id("mastodon", status["uri"])]

    copy = b.receive(status, a)  # it reaches b late, with b's own counts
    copy["favourites_count"] = 8
    store.round(collector)
    assert store.cursors[f"{b.url}|pycon"]["newest"] == copy["id"]  # b's copy was read ...
    assert store.yielded == [] and store.errors == []  # ... and not handed over: nothing to update

    assert store.posts[stored.id] == stored

    a.edit(status["uri"], "Slides are up #pycon")  # an edit is handed over, whichever server shows it
    b.delete(status["uri"])
    b.receive(a.find(status["uri"]), a)
    store.round(collector)
    assert [(p.id, p.text) for p in store.yielded] == [(stored.id, "Slides are up #pycon")]


def test_the_own_servers_copy_takes_the_place_of_another_once(tmp_path, a, b, store):
    status = a.publish(Person("alice", a), "Lunch talk #pycon", tags=["pycon"], created_at=minutes(1),
                       favourites_count=9)
    b.receive(status, a)["favourites_count"] = 1
    a.fail("/api/v1/timelines/", *[error(502)] * 3)
    collector = make_collector(tmp_path, [a, b])
    store.round(collector)
    assert [p.metrics.likes for p in store.yielded] == [1] and len(store.errors) == 1  # a was down: b's copy
    store.round(collector)
    assert [(p.raw["_backchannel"]["server"], p.metrics.likes) for p in store.yielded] == [(a.url, 9)]
    store.round(collector)
    assert store.yielded == [] and store.errors == []


def test_copies_of_a_post_its_own_server_refuses_stay_out(tmp_path, a, b, c, store):
    alice = Person("alice", a)
    early = a.publish(alice, "Hello #pycon", tags=["pycon"], created_at=minutes(1))
    late = a.publish(alice, "Bye #pycon", tags=["pycon"], created_at=minutes(2))
    b.receive(early, a)
    c.publish(Person("carol", c), "Hi #pycon", tags=["pycon"], created_at=minutes(3))
    for status in a.statuses.values():
        status["account"]["noindex"] = True  # alice opted out; b's copy does not know yet
    collector = make_collector(tmp_path, [b, c, a])
    store.round(collector)
    assert [p.text for p in store.posts.values()] == ["Hi #pycon"]
    c.receive(late, a)  # a stale copy reaching another server later stays out too
    store.round(collector)
    assert store.yielded == []


# -- edits and deletions ---------------------------------------------------------------------

def test_recheck_replaces_edits_and_tombstones_deleted_posts(tmp_path, a, b, store):
    alice = Person("alice", a)
    kept, edited, gone = (a.publish(alice, f"{word} #pycon", tags=["pycon"], created_at=minutes(i))
                          for i, word in enumerate(("Kept", "Typo", "Oops")))
    b.publish(Person("bob", b), "Elsewhere #pycon", tags=["pycon"], created_at=minutes(5))
    collector = make_collector(tmp_path, [a, b])
    store.round(collector)
    a.edit(edited["uri"], "Fixed #pycon")
    a.delete(gone["uri"])

    store.take(collector.recheck(list(store.posts.values())))

    assert store.deleted == {make_id("mastodon", gone["uri"])}
    fixed = store.posts[make_id("mastodon", edited["uri"])]
    assert fixed.text == "Fixed #pycon" and fixed.edited_at is not None
    assert store.posts[make_id("mastodon", kept["uri"])].edited_at is None
    assert len(store.posts) == 3 and store.errors == []
    rechecks = [r.path for s in (a, b) for r in s.requests if r.path.startswith("/api/v1/statuses/")]
    assert len(rechecks) == 4  # one request per post, each on the server it came from


def test_recheck_takes_down_posts_made_private_or_opted_out(tmp_path, a, store):
    alice = Person("alice", a)
    status = a.publish(alice, "Hello #pycon", tags=["pycon"], created_at=minutes(1))
    collector = make_collector(tmp_path, [a])
    store.round(collector)
    status["account"]["noindex"] = True  # alice opted out since
    store.take(collector.recheck(list(store.posts.values())))
    assert store.deleted == {make_id("mastodon", status["uri"])}


def test_recheck_reads_a_post_a_server_answers_with_its_boost(tmp_path, a, store):
    """snac answers a boosted post's id with the boost wrapping it: the post is inside."""
    alice, bob = Person("alice", a), Person("bob", a)
    status = a.publish(alice, "Typo #pycon", tags=["pycon"], created_at=minutes(1))
    collector = make_collector(tmp_path, [a])
    store.round(collector)
    fixed = {**status, "content": "<p>Fixed #pycon</p>", "edited_at": "2026-09-01T12:00:00.000Z"}
    wrapper = {**a.publish(bob, "", created_at=minutes(2), visibility="public"), "reblog": fixed, "content": ""}
    wrapper["uri"] = wrapper["uri"] + "/activity"
    a.fail("/api/v1/statuses/", Response.json(wrapper))
    store.take(collector.recheck(list(store.posts.values())))
    assert [p.text for p in store.posts.values()] == ["Fixed #pycon"]
    assert store.warnings == [] and store.deleted == set()


def test_recheck_names_the_request_that_needs_a_token(tmp_path, a, store):
    """snac needs a token for GET /api/v1/statuses/:id even for public posts."""
    status = a.publish(Person("alice", a), "Hello #pycon", tags=["pycon"], created_at=minutes(1))
    collector = make_collector(tmp_path, [a])
    store.round(collector)
    a.fail("/api/v1/statuses/", error(401, "Unauthorized"))
    store.take(collector.recheck(list(store.posts.values())))
    assert len(store.errors) == 1 and store.deleted == set()
    assert f"requires an access token for re-checking status {status['id']}" in store.errors[0]
    assert "hashtag timelines" not in store.errors[0]


def test_recheck_of_a_failing_server_deletes_nothing(tmp_path, a, store):
    series(a, Person("alice", a), 3, minutes(0))
    collector = make_collector(tmp_path, [a])
    store.round(collector)
    a.fail("/api/v1/statuses/", *[error(502)] * 3)
    store.take(collector.recheck(list(store.posts.values())))
    assert store.deleted == set() and len(store.posts) == 3
    assert len(store.errors) == 1 and a.domain in store.errors[0] and "502" in store.errors[0]


# -- faults ----------------------------------------------------------------------------------

def test_401_names_the_token_variable_and_the_others_go_on(tmp_path, a, c):
    with FakeMastodon(token="s3cret-token") as b:
        for server in (a, b, c):
            series(server, Person("p", server), 2, minutes(0))
        store = PipelineStore().round(make_collector(tmp_path, [a, b, c]))
        assert len(store.posts) == 4
        assert len(store.errors) == 1
        assert TOKEN_VAR in store.errors[0] and b.domain in store.errors[0] and "401" in store.errors[0]

        env = {TOKEN_VAR: f"{b.domain}=s3cret-token"}
        store = PipelineStore().round(make_collector(tmp_path, [a, b, c], env=env))
        assert len(store.posts) == 6 and store.errors == []
        # a token belongs to one server: the others never see it, and nothing we keep holds it
        assert all("authorization" not in r.headers for s in (a, c) for r in s.requests)
        assert {r.headers.get("authorization") for r in b.requests[-2:]} == {"Bearer s3cret-token"}
        kept = json.dumps([p.to_dict() for p in store.posts.values()] + [p.raw for p in store.posts.values()])
        assert "s3cret" not in kept + " ".join(store.errors + store.warnings)

        store = PipelineStore().round(make_collector(tmp_path, [b, a], env={TOKEN_VAR: "wrong"}))
        assert len(store.errors) == 1 and f"refused the token in {TOKEN_VAR}" in store.errors[0]
        assert "wrong" not in store.errors[0]


def test_a_token_is_only_ever_sent_to_its_own_server():
    servers = ["https://one.example", "https://two.example:8443"]
    assert parse_tokens("abc", servers) == ({"https://one.example": "abc"}, [])  # bare: the first server
    tokens, warnings = parse_tokens("two.example:8443=t2, https://three.example=t3", servers)
    assert tokens == {"https://two.example:8443": "t2"}
    assert warnings == [f"{TOKEN_VAR} names three.example, which is not in [sources.mastodon] instances; "
                        "its token is not used"]
    assert parse_tokens("a b", servers)[0] == {} and parse_tokens("", servers) == ({}, [])


@pytest.mark.parametrize("answer", ["404", "empty"])
def test_an_unknown_tag_is_just_empty(tmp_path, answer):
    with FakeMastodon(unknown_tag=answer) as a:
        series(a, Person("p", a), 2, minutes(0), tag="pycon")
        store = PipelineStore().round(make_collector(tmp_path, [a], tags=("pycon", "nosuchtag")))
        assert len(store.posts) == 2 and store.errors == [] and store.warnings == []
        assert store.cursors[f"{a.url}|nosuchtag"] == {"newest": None, "older_than": None}


def test_429_waits_for_the_reset_then_goes_on(tmp_path, a, store):
    series(a, Person("p", a), 3, minutes(0))
    a.fail("/api/v1/timelines/", too_many(0.4))
    collector = make_collector(tmp_path, [a])
    began = time.monotonic()
    store.round(collector)
    assert len(store.posts) == 3 and store.errors == []
    assert len(collector.clock.waits) == 1 and 0.3 < collector.clock.waits[0] <= 0.4  # as X-RateLimit-Reset said
    assert time.monotonic() - began >= 0.3


def test_429_beyond_the_bound_skips_the_server_this_round(tmp_path, a, b, store):
    for server in (a, b):
        series(server, Person("p", server), 2, minutes(0))
    a.fail("/api/v1/timelines/", too_many(3600))
    began = time.monotonic()
    store.round(make_collector(tmp_path, [a, b]))
    assert time.monotonic() - began < 2
    assert len(store.posts) == 2 and len(store.errors) == 1
    assert a.domain in store.errors[0] and "rate limited" in store.errors[0]


def test_5xx_is_retried_with_backoff(tmp_path, a, store):
    series(a, Person("p", a), 3, minutes(0))
    a.fail("/api/v1/timelines/", error(503), error(502))
    collector = make_collector(tmp_path, [a])
    store.round(collector)
    assert len(store.posts) == 3 and store.errors == []
    assert collector.clock.waits == [0.01, 0.02]
    # the first round asks for the account domain once; then 3 tries of page 1 and the empty page that ends it
    assert store.requests == len(a.requests) == 5


def test_a_failing_server_is_skipped_and_reported_while_others_go_on(tmp_path, a, b, c, store):
    for server in (a, b, c):
        series(server, Person("p", server), 2, minutes(0))
    b.fail("/api/v1/timelines/", *[error(500)] * 3)
    store.round(make_collector(tmp_path, [a, b, c], tags=("pycon", "pyconsprints")))
    assert len(store.posts) == 4
    assert len(store.errors) == 1 and b.domain in store.errors[0] and "500" in store.errors[0]
    assert len(b.timeline_requests()) == 3  # three tries, then nothing more from b this round (not even the 2nd tag)


def test_a_slow_server_times_out_is_retried_then_skipped(tmp_path, a, b, store):
    for server in (a, b):
        series(server, Person("p", server), 2, minutes(0))
    a.fail("/api/v1/timelines/", *[slow(1.5)] * 3)
    began = time.monotonic()
    store.round(make_collector(tmp_path, [a, b], timeout=0.2))
    assert time.monotonic() - began < 1.5
    assert len(store.posts) == 2 and len(store.errors) == 1
    assert a.domain in store.errors[0] and "no answer within 0.2 s" in store.errors[0]


def test_a_hanging_server_does_not_hold_up_the_others(tmp_path):
    """Servers are read at the same time; batches still come in config order, none is lost."""
    with FakeMastodon() as dead, FakeMastodon(delay=0.3) as far, FakeMastodon(delay=0.3) as flaky:
        for server in (dead, far, flaky):
            series(server, Person("p", server), 3, minutes(0))
        dead.fail("/api/", slow(5))  # accepts the connection, never answers in time
        flaky.fail("/api/v1/timelines/", error(500), when=lambda r: r.arg("max_id") is not None)
        # retries=0: one timeout per dead request, to compare with
        collector = make_collector(tmp_path, [dead, far, flaky], timeout=1.0, retries=0)
        began = time.monotonic()
        store = PipelineStore().round(collector)
        took = time.monotonic() - began
    # each healthy server needs three answers of 0.3 s: one after the other, this round took 2.2 s
    assert 1.0 <= took < 1.6
    assert [e.split(": ")[0] for e in store.errors] == [dead.domain, flaky.domain]
    assert "no answer within 1 s" in store.errors[0]
    assert len(store.posts) == 6  # far's, and flaky's first page fetched before its failure
    assert store.cursors[f"{flaky.url}|pycon"]["older_than"] is not None  # its backfill resumes next round
    order = [b.posts[0].raw["_backchannel"]["server"] for b in store.batches if b.posts]
    assert order == [far.url, flaky.url]
    assert store.batches[0].errors and dead.domain in store.batches[0].errors[0]  # the config's order


def test_posts_fetched_before_a_failure_are_kept_and_the_backfill_resumes(tmp_path, a, store):
    statuses = series(a, Person("p", a), 100, minutes(0))
    a.fail("/api/v1/timelines/", *[error(503)] * 3, when=lambda r: r.arg("max_id") is not None)
    collector = make_collector(tmp_path, [a])
    store.round(collector)
    assert len(store.posts) == 40 and len(store.errors) == 1
    assert store.cursors[f"{a.url}|pycon"] == {"newest": statuses[-1]["id"], "older_than": statuses[-40]["id"]}

    store.round(collector)

    assert len(store.posts) == 100 and store.errors == []
    assert store.cursors[f"{a.url}|pycon"] == {"newest": statuses[-1]["id"], "older_than": None}


def test_a_malformed_status_is_skipped_with_a_warning_and_the_page_kept(tmp_path):
    with FakeMastodon(public_only=False) as a:  # it lists what it has, broken or not
        store, broken, good = collect_broken_statuses(tmp_path, a)
    assert sorted(p.uri for p in store.posts.values()) == sorted(s["uri"] for s in good)
    assert len(store.warnings) == len(broken) and store.errors == []
    assert all(w.startswith(f"{a.domain}: #pycon: skipped status ") for w in store.warnings)
    assert any("'created_at' is not a timestamp" in w for w in store.warnings)


def collect_broken_statuses(tmp_path, a):
    alice = Person("alice", a)
    good = [a.publish(alice, f"Good {i} #pycon", tags=["pycon"], created_at=minutes(i)) for i in range(2)]
    broken = {"no uri": {"uri": None}, "bad time": {"created_at": "yesterday"}, "no account": {"account": None},
              "no content": {"content": None}, "no visibility": {"visibility": None},
              "bad acct": {"account": {**a.account(alice), "acct": "<b>x y</b>"}}}
    for i, (label, damage) in enumerate(broken.items()):
        status = a.publish(alice, f"{label} #pycon", tags=["pycon"], created_at=minutes(10 + i))
        status.update(damage)
    return PipelineStore().round(make_collector(tmp_path, [a])), broken, good


def test_an_invalid_json_page_is_reported_and_retried_next_round(tmp_path, a, b, store):
    for server in (a, b):
        series(server, Person("p", server), 2, minutes(0))
    a.fail("/api/v1/timelines/", bad_json())
    collector = make_collector(tmp_path, [a, b])
    store.round(collector)
    assert len(store.posts) == 2 and len(store.errors) == 1
    assert a.domain in store.errors[0] and "invalid JSON" in store.errors[0] and "#pycon" in store.errors[0]
    assert f"{a.url}|pycon" not in store.cursors
    store.round(collector)
    assert len(store.posts) == 4 and store.errors == []


# -- hostile input ---------------------------------------------------------------------------

def test_hostile_html_and_urls_never_survive(tmp_path, a):
    eve = Person("eve", a, display_name='<img src=x onerror="alert(1)">Eve<script>alert(2)</script>')
    a.publish(eve, created_at=minutes(1), tags=["pycon", "<script>x</script>"],
              spoiler_text="<b onmouseover=alert(3)>cw</b>",
              url="javascript:alert(4)", content=(
                  '<p onclick="alert(5)">Hi <script>alert(6)</script><a href="javascript:alert(7)">x</a>'
                  '<img src=x onerror=alert(8)><a href="https://ok.example/" onmouseover="alert(9)">ok</a>'
                  '<svg><a xlink:href="javascript:alert(10)">y</a></svg><iframe src="https://evil.example"></iframe>'
                  '<a href="data:text/html,<script>alert(11)</script>">d</a> #pycon</p>'),
              media_attachments=[{"id": "1", "type": "image", "url": "javascript:alert(12)",
                                  "preview_url": "javascript:alert(13)", "remote_url": None,
                                  "description": "<script>alert(14)</script>alt"}],
              card={"url": "javascript:alert(15)"})
    a.statuses[next(iter(a.statuses))]["account"]["url"] = "javascript:alert(16)"
    post = next(iter(PipelineStore().round(make_collector(tmp_path, [a])).posts.values()))
    visible = json.dumps(post.to_dict())
    for bad in ("<script", "onerror", "onclick", "onmouseover", "javascript:", "data:text", "<iframe", "<svg", "<img"):
        assert bad not in visible.lower(), bad
    assert post.links == ["https://ok.example/"] and post.url == post.uri and post.tags == ["pycon"]
    assert post.author.url is None and post.author.name == "Eve" and post.media == []
    assert post.content_warning == "cw"
    elements = parse_elements(post.html)  # what a browser would build from it
    assert {tag for tag, _ in elements} <= {"p", "a", "span"}
    assert all(not name.startswith("on") for _, attrs in elements for name, _ in attrs)
    assert [v for _, attrs in elements for n, v in attrs if n == "href"] == ["https://ok.example/"]


def parse_elements(fragment: str) -> list[tuple[str, list[tuple[str, str]]]]:
    found = []

    class Parser(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.append((tag, attrs))

    Parser().feed(fragment)
    return found


# -- a second, independent implementation of the API -----------------------------------------

def test_against_mastodon_mock(tmp_path):
    """mastodon-mock (PyPI) is an independent Mastodon API server; read as it serves, no proxy.

    Like Mastodon, it sends `indexable: false` for every account that has not opted in: the
    posts are public under the hashtag all the same, so every one of them is collected.
    """
    from click.testing import CliRunner

    from backchannel.archive import Archive
    from backchannel.cli.main import cli

    testing = pytest.importorskip("mastodon_mock.testing")
    from mastodon_mock.config import SeedAccount, SeedConfig

    names = ("alice", "bob", "carol", "dave")
    seed = SeedConfig(accounts=[SeedAccount(username=n, display_name=n.title(), access_token=f"{n}_token")
                                for n in names])
    with testing.MockServer(seed=seed) as mock:
        alice, bob, carol, dave = (mock.client(n) for n in names)
        carol.account_update_credentials(discoverable=True)
        # mastodon-mock never verifies a profile link (it sends `verified_at: null`): a claim only.
        alice.account_update_credentials(fields=[("Web", "https://alice.example/")])
        dave.account_update_credentials(note="Please leave me out: #NoBackchannel")
        notes = [alice.status_post(f"Talk note {i} #PyCon https://example.org/{i}") for i in range(45)]
        public = 45
        bob.status_post("Thanks @alice for the sprint #pyconsprints #pycon")
        for i in range(10):
            bob.status_post(f"Sprint log {i} #pyconsprints")
        bob.status_post("Agreed, see you at the sprint #pycon", in_reply_to_id=notes[3]["id"])
        public += 12
        quote = carol.status_post("This one stuck with me #pycon", quoted_status_id=notes[0]["id"])
        for i in range(5):
            carol.status_post(f"Hallway track {i} #pycon")
        public += 6
        for visibility in ("unlisted", "private", "direct"):
            bob.status_post(f"{visibility} #pycon", visibility=visibility)
        bob.status_reblog(notes[1]["id"])  # a boost is not a post of its own
        bob.status_post("Lunch was good, no tag")  # off-tag
        for i in range(2):
            dave.status_post(f"Opted out {i} #pycon")

        config = tmp_path / "backchannel.toml"
        config.write_text('[event]\nname = "PyCon"\nhashtags = ["pycon", "pyconsprints"]\n\n'
                          f'[sources.mastodon]\ninstances = ["{mock.base_url}"]\ntimeout = 5\n')
        runner = CliRunner()
        result = runner.invoke(cli, ["collect", "--once", "--config", str(config), "--json"])
        assert result.exit_code == 0, result.output
        report = json.loads(result.output.splitlines()[0])
        assert report["added"] == public == 63 and report["errors"] == []
        assert report["skipped"] == {"opted out (#nobackchannel)": 2}
        with Archive.in_dir(tmp_path / ".backchannel") as archive:
            posts = {p.text: p for p in archive.posts()}
        assert len(posts) == 63 and not any(t.startswith(("unlisted", "private", "direct", "Lunch", "Opted"))
                                            for t in posts)
        domain = requests.get(f"{mock.base_url}/api/v2/instance", timeout=5).json()["domain"]
        thanks = next(p for t, p in posts.items() if t.startswith("Thanks"))
        assert thanks.tags == ["pyconsprints", "pycon"] and thanks.author.handle == f"bob@{domain}"
        assert thanks.text.startswith(f"Thanks @alice@{domain} ")
        assert {p.links[0] for t, p in posts.items() if t.startswith("Talk note")} == \
            {f"https://example.org/{i}" for i in range(45)}
        quoted = posts["This one stuck with me #pycon"]
        assert quoted.links == [notes[0]["url"]] and quote["quote"]["state"] == "accepted"
        # Shown, but searchable only with `indexable: true` (nobody here); named only if discoverable.
        assert not any(p.searchable for p in posts.values())
        assert {p.author.handle for p in posts.values() if p.named} == {f"carol@{domain}"}
        served = next(p for t, p in posts.items() if t.startswith("Talk note")).raw["account"]["fields"]
        assert [(f["name"], f["verified_at"]) for f in served] == [("Web", None)]
        assert all(p.author.links == [] for p in posts.values())  # unverified links are not kept

        result = runner.invoke(cli, ["collect", "--once", "--config", str(config), "--json"])
        again = json.loads(result.output.splitlines()[0])
        assert (again["added"], again["updated"], again["requests"]) == (0, 0, 2)  # one per hashtag


# -- the whole command -----------------------------------------------------------------------

def test_collect_once_end_to_end_with_the_archive(tmp_path):
    """`backchannel collect --once` twice over three servers, then `--recheck` after a deletion."""
    from click.testing import CliRunner

    from backchannel.cli.main import cli

    with FakeMastodon(supports_any=False) as a, FakeMastodon(supports_any=False) as b, \
            FakeMastodon(supports_any=False) as c:
        alice, bob, nobot = Person("alice", a), Person("bob", b), Person("nobot", c, note="<p>#nobot</p>")
        shared = a.publish(alice, "Shared #pycon", tags=["pycon"], created_at=minutes(1))
        b.receive(shared, a), c.receive(shared, a)
        sprint = b.publish(bob, "Sprint room 3 #pyconsprints #pycon", tags=["pyconsprints", "pycon"],
                           created_at=minutes(2))
        c.receive(sprint, b)
        c.publish(nobot, "Not for bots #pycon", tags=["pycon"], created_at=minutes(3))
        config = tmp_path / "backchannel.toml"
        config.write_text(f'[event]\nname = "PyCon"\nhashtags = ["pycon", "pyconsprints"]\n'
                          f'start = "{START.isoformat()}"\n\n[sources.mastodon]\n'
                          f'instances = ["{a.url}", "{b.url}", "{c.url}"]\ntimeout = 2\n')
        runner = CliRunner()

        def collect(*extra: str) -> dict:
            result = runner.invoke(cli, ["collect", "--once", "--config", str(config), "--json", *extra])
            assert result.exit_code == 0, result.output
            return json.loads(result.output.splitlines()[0])

        first = collect()
        assert (first["added"], first["errors"], first["warnings"]) == (2, [], [])
        marks = [len(s.requests) for s in (a, b, c)]
        second = collect()
        assert (second["added"], second["updated"], second["requests"]) == (0, 0, 6)
        assert [len(s.requests) - m for s, m in zip((a, b, c), marks)] == [2, 2, 2]  # per server × hashtag

        b.delete(sprint["uri"])
        third = collect("--recheck", "100000")
        assert third["deleted"] == 1 and third["errors"] == []
