"""The Bluesky collector: the real atproto client against an XRPC server on 127.0.0.1.

`bluesky_server.BlueskyServer` speaks createSession/refreshSession/searchPosts/getPosts with
PostView JSON as the lexicons define it; nothing in atproto is patched. `PipelineStore`
plays the pipeline: it keeps each batch's posts and then its cursors, like the archive does.
"""

from __future__ import annotations

import json
import os
import re
import stat
import time
from datetime import datetime, timedelta, timezone
from html.parser import HTMLParser
from pathlib import Path

import pytest
from atproto import models
from atproto_client.models.utils import get_or_create

from backchannel import config as configmod
from backchannel.errors import SourceError
from backchannel.models import make_id
from pipeline_store import PipelineStore
from bluesky_server import (
    BlueskyServer, external_embed, images_embed, link_facet, make_post, mention_facet, quote_embed,
    rate_limited, record_with_media, tag_facet, xrpc_error,
)
from backchannel.collectors.bluesky.collector import BlueskyCollector
from backchannel.collectors.bluesky.login import SESSION_FILE
from backchannel.collectors.retry import Clock, Retry
from backchannel.demo.loopback import Loopback, Response

HANDLE = "collector.test"
PASSWORD = "abcd-efgh-ijkl-mnop"
START = datetime(2026, 9, 1, tzinfo=timezone.utc)
END = datetime(2026, 9, 4, tzinfo=timezone.utc)
SEARCH = "app.bsky.feed.searchPosts"
CREATE = "com.atproto.server.createSession"
REFRESH = "com.atproto.server.refreshSession"


# --- helpers ----------------------------------------------------------------------------------

def make_config(url: str, tmp_path: Path, tags=("pycon",), allow_adult=False, timeout=5.0, start=START, end=END):
    event = {"name": "PyCon Test", "hashtags": list(tags)}
    if start:
        event["start"] = start.isoformat()
    if end:
        event["end"] = end.isoformat()
    raw = {"event": event,
           "sources": {"bluesky": {"service": url, "timeout": timeout, "allow_adult": allow_adult}}}
    return configmod.parse(raw, tmp_path / "backchannel.toml")


def make_collector(server_url: str, tmp_path: Path, password: str = PASSWORD, clock: Clock | None = None,
                   **kw) -> BlueskyCollector:
    cfg = make_config(server_url, tmp_path, **kw)
    env = {"BACKCHANNEL_BLUESKY_HANDLE": HANDLE, "BACKCHANNEL_BLUESKY_APP_PASSWORD": password}
    retry = Retry(retries=2, backoff=0.01, max_backoff=0.05, max_wait=5.0)
    return BlueskyCollector(cfg, tmp_path / "data", env, retry=retry, clock=clock)


class WatchedClock(Clock):
    """Real time, with every wait the collector makes written down."""

    def __init__(self):
        self.waits: list[float] = []
        self.at: list[float] = []  # when each wait began (epoch seconds)

    def sleep(self, seconds: float) -> None:
        self.waits.append(seconds)
        self.at.append(time.time())
        super().sleep(seconds)


@pytest.fixture
def server():
    srv = BlueskyServer()
    srv.account(HANDLE, "Collector", password=PASSWORD)
    with srv:
        yield srv


@pytest.fixture
def alice(server):
    return server.account("alice.bsky.social", "Alice ✨")


def at(minutes: float) -> datetime:
    return START + timedelta(minutes=minutes)


def tagged(author, i: int, tag: str = "pycon", **kw) -> dict:
    text = f"Post number {i} from the hallway #{tag}"
    return make_post(author, text, at(i), facets=[tag_facet(text, f"#{tag}")], **kw)


def anchors(html: str) -> list[tuple[str, str]]:
    """(href, text) of every link, as a reader's browser would see them."""
    found: list[tuple[str, str]] = []

    class P(HTMLParser):
        href = None

        def handle_starttag(self, tag, attrs):
            if tag == "a":
                self.href, self.text = dict(attrs).get("href"), ""

        def handle_data(self, data):
            if self.href is not None:
                self.text += data

        def handle_endtag(self, tag):
            if tag == "a" and self.href is not None:
                found.append((self.href, self.text))
                self.href = None

    P().feed(html)
    return found


def searches(server) -> list:
    return [r for r in server.requests if r.path == f"/xrpc/{SEARCH}"]


# --- the lexicon shapes of the test peer --------------------------------------------------------

def test_server_payloads_follow_the_lexicon(server, alice):
    """Every view the peer serves parses with atproto's own models, strictly."""
    parent = tagged(alice, 1)
    text = "Quote with a card #pycon"
    views = [parent,
             make_post(alice, "Reply #pycon", at(2), reply_to=parent, embed=images_embed("a cat")),
             make_post(alice, "Card #pycon", at(3), embed=external_embed("https://example.com", "Ex")),
             make_post(alice, text, at(4), embed=quote_embed(parent), self_labels=["nudity"])]
    for view in views:
        model = get_or_create(view, models.AppBskyFeedDefs.PostView, strict=True)
        record = get_or_create(view["record"], models.AppBskyFeedPost.Record, strict=True)
        assert model.uri == view["uri"] and record.text == view["record"]["text"]


# --- pagination, runs and cursors ----------------------------------------------------------

def test_backfill_pages_then_later_runs_catch_up_each_post_once(server, alice, tmp_path, store):
    wanted = [tagged(alice, i) for i in range(1, 251)]  # three pages of 100
    noise = [
        make_post(alice, "Too early #pycon", START - timedelta(hours=2)),
        make_post(alice, "Too late #pycon", END + timedelta(hours=1)),
        make_post(alice, "I miss pycon so much", at(30)),  # the word, not the tag
        make_post(alice, "Next year! #pycon2027", at(40), facets=[tag_facet("Next year! #pycon2027", "#pycon2027")]),
    ]
    server.add(*wanted, *noise)
    collector = make_collector(server.url, tmp_path)

    batches = store.round(collector).batches
    assert not store.errors
    assert sorted(store.ids_yielded) == sorted(make_id("bluesky", v["uri"]) for v in wanted)
    assert len(store.ids_yielded) == len(set(store.ids_yielded)) == 250
    assert len(batches) == 3  # a batch (with its cursor) per page
    first = searches(server)[0]
    assert first.arg("q") == "#pycon" and first.arg("sort") == "latest" and first.arg("limit") == "100"
    assert first.arg("since").startswith("2026-09-01T00:00:00") and first.arg("until").startswith("2026-09-04")
    assert [r.arg("cursor") for r in searches(server)] == [None, "100", "200"]

    # Second run: 30 new posts, one request (the newest stored post is where it stops).
    newer = [tagged(alice, i) for i in range(300, 330)]
    server.add(*newer)
    before = len(server.requests)
    store.round(collector)
    assert sorted(store.ids_yielded[250:]) == sorted(make_id("bluesky", v["uri"]) for v in newer)
    assert len(server.requests) - before == 1
    assert searches(server)[-1].arg("since").startswith("2026-09-01T04:10:00")  # at(250), the newest stored

    # Third run, nothing new: exactly one request, nothing yielded, no login.
    before = len(server.requests)
    batches = store.round(collector).batches
    assert len(server.requests) - before == 1 and sum(b.requests for b in batches) == 1
    assert len(store.ids_yielded) == 280 and server.calls(CREATE) == 1


def test_page_budget_leaves_a_walk_that_the_next_run_finishes(server, alice, tmp_path, store):
    server.add(*[tagged(alice, i) for i in range(1, 251)])
    collector = make_collector(server.url, tmp_path)
    collector.max_pages = 1
    store.round(collector)
    assert len(store.ids_yielded) == 100 and "walk" in store.cursors["tag:pycon"]
    server.add(*[tagged(alice, i) for i in range(400, 405)])  # arrives while we backfill
    store.round(collector)
    store.round(collector)
    assert "walk" not in store.cursors["tag:pycon"]
    store.round(collector)
    store.round(collector)
    assert len(store.ids_yielded) == len(set(store.ids_yielded)) == 255


def test_several_hashtags_and_tags_in_any_place_or_case(server, alice, tmp_path, store):
    t1 = "Loved the keynote #PyCon"
    t2 = "Sprint day! #PYCON #Sprints"
    t3 = "Posted from a client without facets: #Pycon."
    views = [
        make_post(alice, t1, at(1), facets=[tag_facet(t1, "#PyCon")]),
        make_post(alice, t2, at(2), facets=[tag_facet(t2, "#PYCON"), tag_facet(t2, "#Sprints")]),
        make_post(alice, "Only in record.tags, not the text", at(3), tags=["PyCon", "Talks"]),
        make_post(alice, t3, at(4)),
        make_post(alice, "Sprints only #sprints", at(5), facets=[tag_facet("Sprints only #sprints", "#sprints")]),
        make_post(alice, "pycon without a hash", at(6)),
        make_post(alice, "#pyconline is another event", at(7), tags=["pyconline"]),
    ]
    server.add(*views)
    store.round(make_collector(server.url, tmp_path, tags=("pycon", "sprints")))
    got = {p.text.split("\n")[0]: p for p in store.posts.values()}
    assert set(got) == {t1, t2, "Only in record.tags, not the text", t3, "Sprints only #sprints"}
    assert len(store.ids_yielded) == 5  # the post with both tags comes once
    assert got[t2].tags == ["pycon", "sprints"]
    assert got["Only in record.tags, not the text"].tags == ["pycon", "talks"]
    assert got[t3].tags == ["pycon"]


# --- the session ----------------------------------------------------------------------------

def test_one_login_across_many_polls_and_two_collectors(server, alice, tmp_path):
    server.add(tagged(alice, 1))
    old = os.umask(0)  # even a permissive umask must not widen the file's mode
    try:
        first = make_collector(server.url, tmp_path)
        for _ in range(5):
            PipelineStore().round(first)
    finally:
        os.umask(old)
    path = tmp_path / "data" / SESSION_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert PASSWORD not in path.read_text()
    second = make_collector(server.url, tmp_path)
    for _ in range(3):
        store = PipelineStore()
        store.round(second)
        assert len(store.posts) == 1 and not store.errors
    assert server.calls(CREATE) == 1 and server.calls(REFRESH) == 0
    assert server.calls(SEARCH) == 8


def test_a_session_file_readable_by_others_is_rewritten_privately(server, alice, tmp_path):
    PipelineStore().round(make_collector(server.url, tmp_path))
    path = tmp_path / "data" / SESSION_FILE
    path.chmod(0o644)
    PipelineStore().round(make_collector(server.url, tmp_path))
    assert stat.S_IMODE(path.stat().st_mode) == 0o600 and server.calls(CREATE) == 1


def test_access_token_near_expiry_is_refreshed_by_the_client(server, alice, tmp_path):
    server.add(tagged(alice, 1))
    server.access_ttl = 60  # the client refreshes 15 minutes before expiry
    PipelineStore().round(make_collector(server.url, tmp_path))
    assert server.calls(CREATE) == 1 and server.calls(REFRESH) == 1
    saved = json.loads((tmp_path / "data" / SESSION_FILE).read_text())["session"]
    server.access_ttl = 7200
    store = PipelineStore()
    store.round(make_collector(server.url, tmp_path))  # the refreshed session was saved and works
    assert len(store.posts) == 1 and server.calls(CREATE) == 1 and server.calls(REFRESH) == 2
    assert saved != json.loads((tmp_path / "data" / SESSION_FILE).read_text())["session"]


def test_token_expired_on_the_server_refreshes_and_goes_on(server, alice, tmp_path):
    server.add(tagged(alice, 1))
    collector = make_collector(server.url, tmp_path)
    PipelineStore().round(collector)
    server.expire_access_tokens()  # the server says ExpiredToken though the client thinks it is fine
    server.add(tagged(alice, 2))
    store = PipelineStore()
    batches = store.round(collector).batches
    assert len(store.posts) == 2 and not store.errors
    assert server.calls(REFRESH) == 1 and server.calls(CREATE) == 1
    assert sum(b.requests for b in batches) == 3  # search, refresh, search again


def test_revoked_refresh_token_logs_in_again(server, alice, tmp_path):
    server.add(tagged(alice, 1))
    collector = make_collector(server.url, tmp_path)
    PipelineStore().round(collector)
    server.expire_access_tokens()
    server.refresh.clear()
    store = PipelineStore()
    store.round(collector)
    assert len(store.posts) == 1 and not store.errors
    assert server.calls(CREATE) == 2


def test_wrong_password_is_one_clear_source_error(server, tmp_path):
    collector = make_collector(server.url, tmp_path, password="wrong-pass-word-1234")
    with pytest.raises(SourceError) as info:
        PipelineStore().round(collector)
    message = str(info.value)
    assert "\n" not in message and "wrong-pass-word-1234" not in message
    assert "collector.test" in message and "BACKCHANNEL_BLUESKY_APP_PASSWORD" in message
    assert "wrong handle or app password" in message
    assert not (tmp_path / "data" / SESSION_FILE).exists()


def test_missing_credentials_name_the_variables(server, tmp_path):
    """Without a login, search asks the public AppView; one that refuses says what to set."""
    raw = {"event": {"name": "PyCon Test", "hashtags": ["pycon"]},
           "sources": {"bluesky": {"service": server.url, "appview": server.url, "timeout": 5}}}
    cfg = configmod.parse(raw, tmp_path / "backchannel.toml")
    store = PipelineStore()
    store.round(BlueskyCollector(cfg, tmp_path / "data", {}))
    [error] = store.errors
    assert re.search("BACKCHANNEL_BLUESKY_HANDLE.*BACKCHANNEL_BLUESKY_APP_PASSWORD", error)
    assert server.calls(CREATE) == 0 and server.calls(SEARCH) == 1


def test_login_faults_are_reported_not_raised(server, tmp_path):
    server.inject(CREATE, xrpc_error(500, "InternalServerError", "Internal Server Error"))
    store = PipelineStore()
    store.round(make_collector(server.url, tmp_path))
    assert len(store.errors) == 1 and "login" in store.errors[0] and "HTTP 500" in store.errors[0]
    server.inject(CREATE, rate_limited(300, limit=30))
    store = PipelineStore()
    store.round(make_collector(server.url, tmp_path))
    assert "rate limited" in store.errors[0] and "30 per 5 minutes" in store.errors[0]


def test_client_follows_the_pds_named_in_the_did_document(server, alice, tmp_path):
    """createSession at the entryway; everything after at the PDS from the DID document."""
    server.add(tagged(alice, 1))
    with Loopback(server.handle) as pds:
        server.pds_url = pds.url
        PipelineStore().round(make_collector(server.url, tmp_path))
        store = PipelineStore()
        store.round(make_collector(server.url, tmp_path))  # the stored session remembers the PDS
        assert len(store.posts) == 1
        assert [r.path for r in server.requests] == [f"/xrpc/{CREATE}"]
        assert [r.path for r in pds.requests] == [f"/xrpc/{SEARCH}"] * 2


# --- normalising ----------------------------------------------------------------------------

def test_facets_use_utf8_byte_offsets(server, alice, tmp_path, store):
    bob = server.account("bob.example.org", "Bob")
    text = ("Café ☕ avec @bob.example.org — slides 👉 example.com/slides #PyCon "
            "日本語のトーク #東京 🎉 ñandú")
    facets = [mention_facet(text, "@bob.example.org", bob.did),
              link_facet(text, "example.com/slides", "https://example.com/slides?a=1&b=2"),
              tag_facet(text, "#PyCon"), tag_facet(text, "#東京")]
    server.add(make_post(alice, text, at(1), facets=facets, langs=["fr", "ja"]))
    store.round(make_collector(server.url, tmp_path))
    (post,) = store.posts.values()
    assert anchors(post.html) == [
        (f"https://bsky.app/profile/{bob.did}", "@bob.example.org"),
        ("https://example.com/slides?a=1&b=2", "example.com/slides"),
        ("https://bsky.app/hashtag/pycon", "#PyCon"),
        ("https://bsky.app/hashtag/%E6%9D%B1%E4%BA%AC", "#東京"),
    ]
    assert post.text == text and post.tags == ["pycon", "東京"] and post.lang == "fr"
    assert post.links == ["https://example.com/slides?a=1&b=2"]


def test_facet_offsets_written_by_hand(server, alice, tmp_path, store):
    # "é 🎉 #pycon": é is 2 bytes, 🎉 is 4, so '#' starts at byte 8 and the tag ends at 14.
    view = make_post(alice, "é 🎉 #pycon ok", at(1), facets=[
        {"index": {"byteStart": 8, "byteEnd": 14},
         "features": [{"$type": "app.bsky.richtext.facet#tag", "tag": "pycon"}]},
        {"index": {"byteStart": 1, "byteEnd": 3},  # starts inside 'é': ignored
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://bad.example"}]},
        {"index": {"byteStart": 12, "byteEnd": 99},  # past the end: ignored
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://bad.example"}]},
        {"index": {"byteStart": 9, "byteEnd": 17},  # overlaps the tag: ignored
         "features": [{"$type": "app.bsky.richtext.facet#link", "uri": "https://bad.example"}]},
    ])
    server.add(view)
    store.round(make_collector(server.url, tmp_path))
    (post,) = store.posts.values()
    assert anchors(post.html) == [("https://bsky.app/hashtag/pycon", "#pycon")]
    assert post.text == "é 🎉 #pycon ok" and post.links == []


def test_embeds_reply_counts_and_identity(server, alice, tmp_path, store):
    carol = server.account("carol.test", "Carol")
    parent = tagged(carol, 1)
    quoted = make_post(carol, "Slides are up, all of them", at(2), embed=images_embed("Carol's chart"))
    server.add(
        parent,
        make_post(alice, "Photos from the keynote #pycon", at(10), embed=images_embed("Speaker on stage", ""),
                  counts={"likes": 7, "reposts": 2, "replies": 1, "quotes": 3}),
        make_post(alice, "Read this #pycon", at(11),
                  embed=external_embed("https://blog.example/recap", "Recap of day 1", "What we learned")),
        make_post(alice, "So true #pycon", at(12), embed=quote_embed(quoted)),
        make_post(alice, "Agreed! #pycon", at(13), reply_to=parent),
        make_post(alice, "Me at the slides desk #pycon", at(14),
                  embed=record_with_media(quote_embed(quoted), images_embed("Me, smiling"))),
    )
    store.round(make_collector(server.url, tmp_path))
    by_text = {p.text.split("\n")[0]: p for p in store.posts.values()}

    photos = by_text["Photos from the keynote #pycon"]
    assert [(m.type, m.alt) for m in photos.media] == [("image", "Speaker on stage"), ("image", "")]
    assert photos.media[0].url.startswith("https://cdn.bsky.app/img/feed_fullsize/")
    assert photos.media[0].preview_url.startswith("https://cdn.bsky.app/img/feed_thumbnail/")
    assert (photos.metrics.likes, photos.metrics.reposts, photos.metrics.replies, photos.metrics.quotes) == (7, 2, 1, 3)
    did, rkey = photos.uri[len("at://"):].split("/app.bsky.feed.post/")
    assert photos.url == f"https://bsky.app/profile/{did}/post/{rkey}"
    assert photos.id == make_id("bluesky", photos.uri) and photos.source == "bluesky"
    assert (photos.author.handle, photos.author.name) == ("alice.bsky.social", "Alice ✨")
    assert photos.author.url == f"https://bsky.app/profile/{alice.did}"
    # A PostView's author (ProfileViewBasic) has no description: no profile links to keep.
    assert photos.author.links == [] and "description" not in photos.raw["author"]
    assert photos.raw["uri"] == photos.uri and json.dumps(photos.raw)

    card = by_text["Read this #pycon"]
    assert card.links == ["https://blog.example/recap"]
    assert ("https://blog.example/recap", "Recap of day 1") in anchors(card.html)
    assert "What we learned" in card.text

    quote = by_text["So true #pycon"]
    assert "<blockquote>" in quote.html and "Slides are up, all of them" in quote.html
    qdid, qrkey = quoted["uri"][len("at://"):].split("/app.bsky.feed.post/")
    assert (f"https://bsky.app/profile/{qdid}/post/{qrkey}", "Carol") in anchors(quote.html)
    assert quote.media == []  # the quoted post's picture is Carol's, not this post's
    both = by_text["Me at the slides desk #pycon"]
    assert [m.alt for m in both.media] == ["Me, smiling"] and "Slides are up" in both.html

    reply = by_text["Agreed! #pycon"]
    assert reply.reply_to == by_text[parent["record"]["text"]].url  # the parent's web URL
    assert by_text[parent["record"]["text"]].reply_to is None


def test_created_at_is_the_earlier_of_created_and_indexed(server, alice, tmp_path, store):
    liar = make_post(alice, "From the future #pycon", at(500), indexed_at=at(20))
    honest = make_post(alice, "Indexed late #pycon", at(30), indexed_at=at(90))
    server.add(liar, honest)
    store.round(make_collector(server.url, tmp_path))
    times = {p.text: p.created_at for p in store.posts.values()}
    assert times == {"From the future #pycon": at(20), "Indexed late #pycon": at(30)}
    assert all(t.tzinfo is not None and t.utcoffset() == timedelta(0) for t in times.values())


def test_hostile_text_names_and_urls_are_made_safe(server, tmp_path, store):
    eve = server.account("eve.test", '<script>alert("x")</script>Eve\u0000 <b>Evil</b>')
    text = '<img src=x onerror=alert(1)> click me javascript:alert(1) #pycon'
    facets = [link_facet(text, "click me", "javascript:alert(1)"), tag_facet(text, "#pycon")]
    images = images_embed("<script>alert(2)</script>alt")
    images[1]["images"][0]["fullsize"] = "javascript:alert(3)"
    images[1]["images"][0]["thumb"] = "data:image/png;base64,AAAA"
    server.add(make_post(eve, text, at(1), facets=facets, embed=images),
               make_post(eve, "card #pycon", at(2), embed=external_embed("data:text/html,<script>", "Bad card")))
    store.round(make_collector(server.url, tmp_path))
    assert len(store.posts) == 2
    for post in store.posts.values():
        assert "<script" not in post.html and "onerror" not in post.html.replace("&lt;img src=x onerror", "")
        assert all(href.startswith("https://") for href, _ in anchors(post.html))
        assert post.author.name == "Eve Evil"  # the script is dropped with its content
        assert not post.media and all(link.startswith("https://") for link in post.links)
    first = next(p for p in store.posts.values() if "click me" in p.text)
    assert "&lt;img src=x onerror=alert(1)&gt;" in first.html  # shown as text, never as a tag


# --- consent --------------------------------------------------------------------------------

def test_opted_out_authors_and_adult_labels(server, alice, tmp_path):
    shy = server.account("shy.test", "Shy", labels=["!no-unauthenticated"])
    server.add(
        tagged(shy, 1),
        tagged(alice, 2, self_labels=["porn"]),
        tagged(alice, 3, self_labels=["graphic-media"]),
        make_post(alice, "Quoting #pycon", at(4), embed=quote_embed(tagged(shy, 5))),
        tagged(alice, 6),
    )
    store = PipelineStore()
    store.round(make_collector(server.url, tmp_path))
    assert sorted(p.text.split("\n")[0] for p in store.posts.values()) == [
        "Post number 6 from the hallway #pycon", "Quoting #pycon"]
    assert store.skipped == {"opted out (!no-unauthenticated)": 1, "labelled adult": 2}
    quote = next(p for p in store.posts.values() if p.text.startswith("Quoting"))
    assert "Quoted post (not shown)" in quote.html and "Post number 5" not in quote.html
    assert not any(p.author.handle == "shy.test" for p in store.posts.values())

    allowed = PipelineStore()
    allowed.round(make_collector(server.url, tmp_path / "adult", allow_adult=True))
    adult = {p.text.split(" from")[0]: p for p in allowed.posts.values() if p.sensitive}
    assert set(adult) == {"Post number 2", "Post number 3"}
    assert adult["Post number 2"].content_warning == "Labelled by the author: adult content"
    assert adult["Post number 3"].content_warning == "Labelled by the author: graphic media"
    assert not any(p.author.handle == "shy.test" for p in allowed.posts.values())


# --- faults ---------------------------------------------------------------------------------

@pytest.fixture
def page_of_250(server, alice):
    views = [tagged(alice, i) for i in range(1, 251)]
    server.add(*views)
    return {make_id("bluesky", v["uri"]) for v in views}


def test_server_errors_retry_then_skip_the_round_keeping_earlier_pages(server, page_of_250, tmp_path, store):
    collector = make_collector(server.url, tmp_path)
    server.inject(SEARCH, xrpc_error(500, "InternalServerError", "Internal Server Error"), after=1, times=3)
    store.round(collector)
    assert len(store.posts) == 100  # page 1 was kept
    assert len(store.errors) == 1
    assert "#pycon (page 2)" in store.errors[0] and "HTTP 500" in store.errors[0]
    assert "gave up after 3 tries, skipped this round" in store.errors[0] and server.url in store.errors[0]
    store.round(collector)  # the next round picks up where it stopped
    assert set(store.posts) == page_of_250 and len(store.ids_yielded) == 250


def test_a_passing_5xx_or_502_is_retried_without_a_report(server, page_of_250, tmp_path, store):
    server.inject(SEARCH, xrpc_error(503, "NotEnoughResources", "busy"), after=1)
    server.inject(SEARCH, xrpc_error(502, "UpstreamFailure", "upstream failed"), after=1)
    store.round(make_collector(server.url, tmp_path))
    assert not store.errors and set(store.posts) == page_of_250
    assert server.calls(SEARCH) == 5


def test_rate_limit_waits_for_reset_within_the_bound(server, page_of_250, tmp_path, store):
    server.inject(SEARCH, rate_limited(2), after=1)
    began = time.monotonic()
    store.round(make_collector(server.url, tmp_path))
    assert time.monotonic() - began >= 0.9  # it waited for ratelimit-reset
    assert not store.errors and set(store.posts) == page_of_250


def test_every_wait_is_the_clocks(server, page_of_250, tmp_path, store):
    """The backoff after a 503 and the wait for a 429's ratelimit-reset go through the clock given."""
    server.inject(SEARCH, xrpc_error(503, "NotEnoughResources", "busy"), after=1)
    limited = rate_limited(2)
    reset = int(limited.headers["ratelimit-reset"])
    server.inject(SEARCH, limited, after=1)
    clock = WatchedClock()
    store.round(make_collector(server.url, tmp_path, clock=clock))
    assert not store.errors and set(store.posts) == page_of_250
    assert clock.waits[0] == 0.01 and len(clock.waits) == 2
    # until the reset the server sent, from when the collector began to wait (however busy the machine)
    assert abs(clock.waits[1] - max(reset - clock.at[1], 0.0)) < 0.25


def test_rate_limit_beyond_the_bound_skips_the_round_at_once(server, page_of_250, tmp_path, store):
    server.inject(SEARCH, rate_limited(3600), after=1)
    began = time.monotonic()
    store.round(make_collector(server.url, tmp_path))
    assert time.monotonic() - began < 3
    assert len(store.posts) == 100 and len(store.errors) == 1
    assert "rate limited (HTTP 429) until" in store.errors[0] and "skipped this round" in store.errors[0]
    store.round(make_collector(server.url, tmp_path))
    assert set(store.posts) == page_of_250


def test_bad_request_names_the_problem_and_other_tags_go_on(server, alice, tmp_path, store):
    server.add(tagged(alice, 1, tag="sprints"))
    server.inject(SEARCH, xrpc_error(400, "InvalidRequest", "Error: q is too long"))
    store.round(make_collector(server.url, tmp_path, tags=("pycon", "sprints")))
    assert len(store.errors) == 1
    assert "search for #pycon (page 1): the service rejected the request: HTTP 400 (InvalidRequest: Error: q is too long)" in store.errors[0]
    assert len(store.posts) == 1  # #sprints was still collected


def test_forbidden_search_says_so_and_stops_the_round(server, alice, tmp_path, store):
    server.add(tagged(alice, 1, tag="sprints"))
    server.search_enabled = False
    store.round(make_collector(server.url, tmp_path, tags=("pycon", "sprints")))
    assert len(store.errors) == 1 and server.calls(SEARCH) == 1
    assert "HTTP 403" in store.errors[0] and "refuses search" in store.errors[0]


def test_rejected_token_after_renewal_says_check_the_login(server, alice, tmp_path, store):
    server.add(tagged(alice, 1))
    server.inject(SEARCH, xrpc_error(401, "InvalidToken", "Token could not be verified"), times=2)
    store.round(make_collector(server.url, tmp_path))
    assert server.calls(REFRESH) == 1 and len(store.errors) == 1
    assert "HTTP 401" in store.errors[0] and "BACKCHANNEL_BLUESKY_HANDLE" in store.errors[0]


def test_timeouts_retry_then_report(server, page_of_250, tmp_path, store):
    collector = make_collector(server.url, tmp_path, timeout=0.3)
    server.inject(SEARCH, Response.json({"posts": []}, delay=1.0), after=1, times=3)
    store.round(collector)
    assert len(store.posts) == 100 and len(store.errors) == 1
    assert "no answer within 0.3 s (timeout)" in store.errors[0]
    store.round(collector)
    assert set(store.posts) == page_of_250 and len(store.ids_yielded) == 250


def test_network_errors_are_reported(server, alice, tmp_path):
    server.add(tagged(alice, 1))
    PipelineStore().round(make_collector(server.url, tmp_path))
    server.__exit__()  # the service goes away; the stored session still points at it
    store = PipelineStore()
    store.round(make_collector(server.url, tmp_path))
    assert len(store.errors) == 1 and "network error" in store.errors[0]
    assert "gave up after 3 tries" in store.errors[0]


def test_malformed_posts_are_skipped_with_a_warning(server, alice, tmp_path, store):
    good = tagged(alice, 1)
    no_uri = tagged(alice, 2)
    no_uri.pop("uri")
    bad_time = tagged(alice, 3)
    bad_time["record"]["createdAt"] = "yesterday"
    bad_time["indexedAt"] = "soon"
    no_author = tagged(alice, 4)
    no_author["author"] = "somebody"
    server.add(good, bad_time, no_author)
    server.posts["broken"] = no_uri
    store.round(make_collector(server.url, tmp_path))
    assert list(store.posts) == [make_id("bluesky", good["uri"])] and not store.errors
    assert len(store.warnings) == 3 and all(w.startswith("Bluesky http://127.0.0.1") for w in store.warnings)
    assert any("neither a valid createdAt nor indexedAt" in w for w in store.warnings)
    assert any(f"post {no_author['uri']} has no author" in w for w in store.warnings)


def test_an_answer_that_is_not_json_is_an_error(server, alice, tmp_path, store):
    server.add(tagged(alice, 1))
    server.inject(SEARCH, Response(200, "<html>maintenance</html>", {"Content-Type": "text/html"}))
    store.round(make_collector(server.url, tmp_path))
    assert store.errors == [f"Bluesky {server.url}: search for #pycon (page 1): the answer is not a JSON object"]


def test_secrets_never_appear_in_reports(server, alice, tmp_path, store):
    server.add(tagged(alice, 1))
    server.inject(SEARCH, xrpc_error(400, "InvalidRequest", f"echo {PASSWORD}"))
    collector = make_collector(server.url, tmp_path)
    store.round(collector)
    session = json.loads((tmp_path / "data" / SESSION_FILE).read_text())["session"]
    tokens = session.split(":::")[2:4]
    blob = json.dumps([store.errors, store.warnings, [p.to_dict() for p in store.posts.values()],
                       [p.raw for p in store.posts.values()]])
    assert "***" in store.errors[0]
    for secret in [PASSWORD, *tokens]:
        assert secret not in blob


# --- re-checking ----------------------------------------------------------------------------

def test_recheck_finds_deletions_changes_and_withdrawn_consent(server, alice, tmp_path, store):
    bob = server.account("bob.test", "Bob")
    views = [tagged(alice, i) for i in range(1, 29)] + [tagged(bob, 40)]
    server.add(*views)
    collector = make_collector(server.url, tmp_path)
    store.round(collector)
    assert len(store.posts) == 29
    server.delete(views[0]["uri"])
    views[1]["likeCount"] = 42
    bob.labels.append("!no-unauthenticated")
    server.add(*[{**v, "author": bob.view()} for v in views if v["author"]["did"] == bob.did])
    before = server.calls("app.bsky.feed.getPosts")
    batches = list(collector.recheck(list(store.posts.values())))
    assert server.calls("app.bsky.feed.getPosts") - before == 2  # 25 + 4
    deleted = [d for b in batches for d in b.deleted]
    changed = [p for b in batches for p in b.posts]
    assert sorted(deleted) == sorted([make_id("bluesky", views[0]["uri"]), make_id("bluesky", views[-1]["uri"])])
    assert [(p.uri, p.metrics.likes) for p in changed] == [(views[1]["uri"], 42)]
    assert not any(b.errors for b in batches)


def test_recheck_failure_deletes_nothing(server, alice, tmp_path, store):
    server.add(tagged(alice, 1))
    collector = make_collector(server.url, tmp_path)
    store.round(collector)
    server.inject("app.bsky.feed.getPosts", xrpc_error(500, "InternalServerError", "boom"), times=3)
    batches = list(collector.recheck(list(store.posts.values())))
    assert not any(b.deleted for b in batches) and any("re-checking 1 posts" in e for b in batches for e in b.errors)
