"""Answers: the replies to questions, read from each question's thread over loopback servers.

Each test runs rounds of `collect_round` (what `backchannel collect --once` runs) with the
real writer, archive and index; the enricher marks a post with a `?` as a question, so the
tests say which posts are questions without depending on the classifier's judgement.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timedelta, timezone

import pytest

from backchannel import answers
from backchannel import config as configuration
from backchannel.archive import Archive
from backchannel.collectors.bluesky.collector import BlueskyCollector
from backchannel.collectors.mastodon.collector import MastodonCollector
from backchannel.collectors.retry import Retry
from backchannel.index import Index
from backchannel.models import Author, Post, format_time, make_id
from backchannel.pipeline import Writer, collect_round
from bluesky_server import BlueskyServer, make_post, rate_limited, tag_facet, xrpc_error
from mastodon_server import FakeMastodon, Person, error, too_many

HANDLE, PASSWORD = "collector.bsky.social", "app-pass-1234"
FAST = Retry(retries=2, backoff=0.01, max_backoff=0.02, max_wait=2.0)  # a 429 of up to 2 s is waited out


def ago(minutes: float) -> datetime:
    return datetime.now(timezone.utc) - timedelta(minutes=minutes)


def by_question_mark(posts):
    for p in posts:
        p.kind, p.score = ("question", 0.9) if "?" in p.text else ("other", 0.5)


def make_writer(tmp_path, sources: dict, strict: bool = False) -> Writer:
    cfg = configuration.parse({"event": {"name": "PyCon", "hashtags": ["pycon"], "start": ago(24 * 60).isoformat()},
                               "sources": sources, "consent": {"strict": strict}}, tmp_path / "backchannel.toml")
    return Writer(cfg, Archive.in_dir(tmp_path), Index.in_dir(tmp_path), by_question_mark)


def contexts(server: FakeMastodon) -> int:
    return sum(1 for r in server.requests if r.path.endswith("/context"))


def mid(status: dict) -> str:
    return make_id("mastodon", status["uri"])


def make_due(writer: Writer, source: str, *questions: str) -> None:
    """Move the questions' last thread read back a day, as if time had passed."""
    writer.archive.store(cursors={answers.thread_key(q): {"checked": format_time(ago(24 * 60)), "replies": 0}
                                  for q in questions}, source=source)


@pytest.fixture
def a():
    with FakeMastodon() as server:
        yield server


@pytest.fixture
def site(tmp_path, a):
    cfg = configuration.parse({"event": {"name": "PyCon", "hashtags": ["pycon"], "start": ago(24 * 60).isoformat()},
                               "sources": {"mastodon": {"instances": [a.url], "timeout": 2}}},
                              tmp_path / "backchannel.toml")
    writer = Writer(cfg, Archive.in_dir(tmp_path), Index.in_dir(tmp_path), by_question_mark)
    yield writer, MastodonCollector(cfg, tmp_path, {}, retry=FAST)
    writer.close()


def one_round(writer, collector, **kw):
    (report,) = collect_round(writer, [collector], **kw)
    return report


# -- Mastodon --------------------------------------------------------------------------------


def test_replies_are_stored_and_linked_to_their_question_however_deep(site, a):
    writer, collector = site
    alice, bob, carol, dave = (Person(n, a) for n in ("alice", "bob", "carol", "dave"))
    q = a.publish(alice, "How does the vector index handle deletes? #pycon", tags=["pycon"], created_at=ago(30))
    r1 = a.reply(bob, q, "It marks them and compacts later")  # replies rarely carry the hashtag
    r2 = a.reply(carol, r1, "Compaction runs nightly")
    r3 = a.reply(bob, r2, "Only on segments over 1 GB")
    own = a.reply(alice, q, "Thanks both")
    a.publish(dave, "Great talk #pycon", tags=["pycon"], created_at=ago(20))

    report = one_round(writer, collector)

    assert report.errors == [] and report.added == 2 + 4 and report.answers == 4
    assert writer.archive.answer_links() == {
        mid(r1): (mid(q), mid(q)), mid(r2): (mid(q), mid(r1)), mid(r3): (mid(q), mid(r2)), mid(own): (mid(q), mid(q))}
    assert writer.archive.get(mid(r3)).text == "Only on segments over 1 GB"
    assert contexts(a) == 1  # only the question's thread: "Great talk" asks nothing

    before = len(a.requests)
    again = one_round(writer, collector)
    assert (again.added, again.answers, again.requests) == (0, 0, 1)  # not due yet: one tag read, no thread
    assert len(a.requests) - before == 1


def test_a_question_without_replies_costs_one_request_and_is_read_again_later(site, a):
    writer, collector = site
    q = a.publish(Person("alice", a), "Where are the slides? #pycon", tags=["pycon"], created_at=ago(10))
    first = one_round(writer, collector)
    assert (first.added, first.answers, contexts(a)) == (1, 0, 1)
    assert writer.archive.answer_links() == {}
    one_round(writer, collector)
    assert contexts(a) == 1  # read 10 minutes after it was asked: next read 10 minutes later

    reply = a.reply(Person("bob", a), q, "Linked from the schedule page https://example.org/slides")
    make_due(writer, "mastodon", mid(q))
    later = one_round(writer, collector)
    assert (later.answers, contexts(a)) == (1, 2)
    assert writer.archive.answer_links() == {mid(reply): (mid(q), mid(q))}


def test_schedule_thins_out_and_ends(site):
    q = make_post_at(ago(0))
    assert answers.next_check(q, None) == q.created_at  # never read: now
    checked = q.created_at + timedelta(minutes=1)
    assert answers.next_check(q, checked) == checked + answers.FIRST_WAIT
    checked = q.created_at + timedelta(hours=1)
    assert answers.next_check(q, checked) == checked + timedelta(hours=1)  # the wait doubles the age
    checked = q.created_at + timedelta(days=2)
    assert answers.next_check(q, checked) == checked + answers.LONGEST_WAIT
    assert answers.next_check(q, q.created_at + timedelta(days=4)) is None  # final


def make_post_at(when: datetime):
    return Post(id="mastodon-q", source="mastodon", created_at=when, text="Why?", kind="question")


def test_replies_follow_the_same_consent_rules(site, a):
    writer, collector = site
    alice, bob = Person("alice", a), Person("bob", a)
    nobot = Person("nobot", a, note="<p>Please no bots #nobot</p>")
    quiet = Person("quiet", a, noindex=True)
    # Stored before its author wrote #nobot in the bio: it must go once a reply shows the opt-out.
    earlier = Post(id="mastodon-earlier", source="mastodon", created_at=ago(50), text="Arrived #pycon",
                   author=Author(f"nobot@{a.domain}", "Nobot"))
    writer.store([earlier])
    q = a.publish(alice, "Is the workshop recorded? #pycon", tags=["pycon"], created_at=ago(40))
    ok = a.reply(bob, q, "Yes, all of them")
    a.reply(bob, q, "(unlisted) the room was full", visibility="unlisted")
    a.reply(bob, q, "(private) I asked", visibility="private")  # not even listed
    opted = a.reply(nobot, q, "Recordings go up next week")
    below = a.reply(bob, opted, "Thanks for the date")  # a public reply under an opted-out one
    a.reply(quiet, q, "I heard the same")

    report = one_round(writer, collector)

    assert report.skipped == {"not public": 1, "opted out (#nobot)": 1, "opted out (noindex)": 1}
    assert set(writer.archive.answer_links()) == {mid(ok), mid(below)}
    assert writer.archive.answer_links()[mid(below)] == (mid(q), None)  # its parent was left out
    assert writer.archive.get(mid(opted)) is None and writer.archive.get("mastodon-earlier") is None


def test_deleted_replies_and_questions_leave_the_archive_and_the_index(site, a):
    writer, collector = site
    alice, bob = Person("alice", a), Person("bob", a)
    q = a.publish(alice, "Which database was that? #pycon", tags=["pycon"], created_at=ago(60))
    r1 = a.reply(bob, q, "SQLite with WAL")
    r2 = a.reply(alice, r1, "Great, thanks")
    one_round(writer, collector)
    assert len(writer.archive.answer_links()) == 2

    a.delete(r1["uri"])  # r2 hangs below it: Mastodon no longer lists it under the question
    make_due(writer, "mastodon", mid(q))
    report = one_round(writer, collector)
    assert report.deleted == 2 and writer.archive.answer_links() == {}
    assert writer.archive.is_tombstoned(mid(r1)) and writer.archive.is_tombstoned(mid(r2))

    r3 = a.reply(bob, q, "Postgres, I think")
    make_due(writer, "mastodon", mid(q))
    one_round(writer, collector)
    assert set(writer.archive.answer_links()) == {mid(r3)}
    a.delete(q["uri"])
    make_due(writer, "mastodon", mid(q))
    gone = one_round(writer, collector)
    assert gone.deleted == 2 and writer.archive.get(mid(q)) is None and writer.archive.get(mid(r3)) is None


def test_a_thread_cut_at_mastodons_limit_deletes_nothing_it_did_not_show(site, a):
    writer, collector = site
    alice, bob = Person("alice", a), Person("bob", a)
    q = a.publish(alice, "What did you all think? #pycon", tags=["pycon"], created_at=ago(200))
    replies = [a.reply(bob, q, f"Thought number {i}", created_at=ago(190 - i)) for i in range(61)]
    first = one_round(writer, collector)
    assert first.answers == 60  # a logged-out reader sees 60
    a.delete(replies[0]["uri"])
    make_due(writer, "mastodon", mid(q))
    second = one_round(writer, collector)
    # the thread still came back full (60): what it left out may just be past the cut
    assert (second.deleted, second.answers) == (0, 1)
    assert writer.archive.get(mid(replies[0])) is not None and writer.archive.get(mid(replies[60])) is not None


def test_replies_are_rechecked_with_the_other_posts(site, a):
    writer, collector = site
    alice, bob = Person("alice", a), Person("bob", a)
    q = a.publish(alice, "Any good books on parsing? #pycon", tags=["pycon"], created_at=ago(60))
    r1 = a.reply(bob, q, "Crafting Interpreters")
    r2 = a.reply(bob, q, "The dragon book")
    one_round(writer, collector)
    a.edit(r1["uri"], "Crafting Interpreters, free online")
    a.delete(r2["uri"])
    report = one_round(writer, collector, recheck_hours=24)  # the thread is not due; the re-check is
    assert (report.updated, report.deleted) == (1, 1)
    assert writer.archive.get(mid(r1)).text == "Crafting Interpreters, free online"
    assert set(writer.archive.answer_links()) == {mid(r1)}


def test_a_short_429_is_waited_out_a_long_one_skips_the_threads_till_next_round(site, a):
    writer, collector = site
    alice, bob = Person("alice", a), Person("bob", a)
    q1 = a.publish(alice, "Is there a sprint? #pycon", tags=["pycon"], created_at=ago(50))
    q2 = a.publish(alice, "Who hosts it? #pycon", tags=["pycon"], created_at=ago(49))
    a.reply(bob, q1, "Sunday")
    a.reply(bob, q2, "The core devs")
    is_thread = lambda req: req.path.endswith("/context")  # noqa: E731
    a.fail("/api/v1/statuses/", too_many(0.3), when=is_thread)
    started = time.monotonic()
    first = one_round(writer, collector)
    assert first.errors == [] and first.answers == 2 and contexts(a) == 3  # the 429'd read, tried again
    assert time.monotonic() - started >= 0.2  # after the wait the server asked for

    make_due(writer, "mastodon", mid(q1), mid(q2))
    a.fail("/api/v1/statuses/", too_many(3600), when=is_thread)
    second = one_round(writer, collector)
    assert len(second.errors) == 1 and "rate limited (429)" in second.errors[0]
    assert contexts(a) == 3 + 1  # (two reads and a retry before) one 429, then the server is left alone
    due = [p.id for p, _ in answers.due(writer.archive, "mastodon")]
    assert due == [mid(q1), mid(q2)]  # neither read: both due again next round


def test_threads_per_round_are_bounded(site, a):
    writer, collector = site
    alice = Person("alice", a)
    for i in range(5):
        a.publish(alice, f"Question {i}? #pycon", tags=["pycon"], created_at=ago(30 - i))
    collector.threads_per_round = 3  # (20 by default)
    one_round(writer, collector)
    assert contexts(a) == 3
    one_round(writer, collector)
    assert contexts(a) == 5  # the two left over, before anything is read again


def test_a_server_without_threads_is_said_once_and_deletes_nothing(site, a):
    writer, collector = site
    alice = Person("alice", a)
    q1 = a.publish(alice, "Is the venue step-free? #pycon", tags=["pycon"], created_at=ago(30))
    a.publish(alice, "Is there a quiet room? #pycon", tags=["pycon"], created_at=ago(29))
    a.fail("/api/v1/statuses/", error(404), error(404), when=lambda req: req.path.endswith("/context"))
    report = one_round(writer, collector)
    assert report.errors == [] and report.deleted == 0 and writer.archive.get(mid(q1)) is not None
    assert [w for w in report.warnings if "does not serve threads" in w] and contexts(a) == 1


# -- mastodon-mock: an independent implementation of the API ---------------------------------


def test_against_mastodon_mock(tmp_path):
    """mastodon-mock (PyPI) implements `/api/v1/statuses/:id/context` on its own terms."""
    testing = pytest.importorskip("mastodon_mock.testing")
    from mastodon_mock.config import SeedAccount, SeedConfig

    names = ("alice", "bob", "carol", "dave")
    seed = SeedConfig(accounts=[SeedAccount(username=n, display_name=n.title(), access_token=f"{n}_token")
                                for n in names])
    with testing.MockServer(seed=seed) as mock:
        alice, bob, carol, dave = (mock.client(n) for n in names)
        dave.account_update_credentials(note="Leave me out #nobackchannel")
        q = alice.status_post("How do I join the sprint? #PyCon")
        alone = alice.status_post("Is lunch included? #PyCon")
        r1 = bob.status_post("Sign up at the desk", in_reply_to_id=q["id"])
        r2 = carol.status_post("And bring a laptop", in_reply_to_id=r1["id"])
        r3 = bob.status_post("Chargers too", in_reply_to_id=r2["id"])
        bob.status_post("(private) see you there", in_reply_to_id=q["id"], visibility="private")
        dave.status_post("I can help", in_reply_to_id=q["id"])

        cfg = configuration.parse({"event": {"name": "PyCon", "hashtags": ["pycon"]},
                                   "sources": {"mastodon": {"instances": [mock.base_url], "timeout": 5}}},
                                  tmp_path / "backchannel.toml")
        writer = Writer(cfg, Archive.in_dir(tmp_path), Index.in_dir(tmp_path), by_question_mark)
        try:
            report = one_round(writer, MastodonCollector(cfg, tmp_path, {}))
            links = writer.archive.answer_links()
            texts = {writer.archive.get(i).text: v for i, v in links.items()}
        finally:
            writer.close()
    qid = make_id("mastodon", q["uri"])
    assert report.errors == [] and report.answers == 3
    assert report.skipped == {"not public": 1, "opted out (#nobackchannel)": 1}
    assert texts == {"Sign up at the desk": (qid, qid),
                     "And bring a laptop": (qid, make_id("mastodon", r1["uri"])),
                     "Chargers too": (qid, make_id("mastodon", r2["uri"]))}
    assert make_id("mastodon", alone["uri"]) not in {v[0] for v in links.values()}
    assert r3["in_reply_to_id"] == r2["id"]


# -- Bluesky ---------------------------------------------------------------------------------


@pytest.fixture
def bsky():
    server = BlueskyServer()
    server.account(HANDLE, "Collector", password=PASSWORD)
    with server:
        yield server


@pytest.fixture
def bsite(tmp_path, bsky):
    cfg = configuration.parse({"event": {"name": "PyCon", "hashtags": ["pycon"], "start": ago(24 * 60).isoformat()},
                               "sources": {"bluesky": {"service": bsky.url, "timeout": 5}}},
                              tmp_path / "backchannel.toml")
    writer = Writer(cfg, Archive.in_dir(tmp_path), Index.in_dir(tmp_path), by_question_mark)
    collector = BlueskyCollector(cfg, tmp_path, {"BACKCHANNEL_BLUESKY_HANDLE": HANDLE,
                                                 "BACKCHANNEL_BLUESKY_APP_PASSWORD": PASSWORD}, retry=FAST)
    yield writer, collector
    writer.close()


def question(server, author, text: str, minutes: float) -> dict:
    view = make_post(author, text, ago(minutes), facets=[tag_facet(text, "#pycon")])
    server.add(view)
    return view


def bid(view: dict) -> str:
    return make_id("bluesky", view["uri"])


def threads(server) -> int:
    return server.calls("app.bsky.feed.getPostThread")


def test_bluesky_thread_deep_deleted_blocked_and_opted_out(bsite, bsky):
    writer, collector = bsite
    alice, bob, carol = (bsky.account(f"{n}.bsky.social", n.title()) for n in ("alice", "bob", "carol"))
    shy = bsky.account("shy.bsky.social", "Shy", labels=["!no-unauthenticated"])
    troll = bsky.account("troll.bsky.social", "Troll")
    bsky.blocked.add(troll.did)
    q = question(bsky, alice, "Does the API paginate? #pycon", 30)
    lone = question(bsky, alice, "Anyone at the booth? #pycon", 25)
    r1 = bsky.reply(bob, q, "Yes, with cursors")
    r2 = bsky.reply(carol, r1, "Up to 100 a page")
    r3 = bsky.reply(bob, r2, "And the cursor may stop early")
    gone = bsky.reply(carol, q, "I forget")
    below_gone = bsky.reply(bob, gone, "It does")
    bsky.delete(gone["uri"])  # deleted, with a reply below it: a notFoundPost in the thread
    bsky.reply(shy, q, "Shy answer")
    bsky.reply(troll, q, "Spam")

    report = one_round(writer, collector)

    assert report.errors == [] and threads(bsky) == 2  # the lone question costs its one request
    assert report.skipped.get("opted out (!no-unauthenticated)") == 1
    assert writer.archive.answer_links() == {bid(r1): (bid(q), bid(q)), bid(r2): (bid(q), bid(r1)),
                                             bid(r3): (bid(q), bid(r2))}
    assert writer.archive.get(bid(below_gone)) is None
    assert not any(v[0] == bid(lone) for v in writer.archive.answer_links().values())

    bsky.delete(r3["uri"])
    make_due(writer, "bluesky", bid(q))
    again = one_round(writer, collector)
    assert again.deleted == 1 and set(writer.archive.answer_links()) == {bid(r1), bid(r2)}

    bsky.delete(q["uri"])
    make_due(writer, "bluesky", bid(q))
    last = one_round(writer, collector)
    assert last.deleted == 3 and writer.archive.get(bid(q)) is None and writer.archive.answer_links() == {}


def test_bluesky_service_without_threads_is_said_once(bsite, bsky):
    writer, collector = bsite
    alice = bsky.account("alice.bsky.social", "Alice")
    question(bsky, alice, "Is the venue step-free? #pycon", 20)
    question(bsky, alice, "Is there a quiet room? #pycon", 19)
    bsky.inject("app.bsky.feed.getPostThread", xrpc_error(501, "MethodNotImplemented", "Method Not Implemented"),
                times=5)
    report = one_round(writer, collector)
    assert report.errors == [] and threads(bsky) == 1 and report.added == 2
    assert len([w for w in report.warnings if "does not offer app.bsky.feed.getPostThread" in w]) == 1


def test_bluesky_rate_limit_retry_after_and_reset(bsite, bsky):
    writer, collector = bsite
    alice, bob = bsky.account("alice.bsky.social", "Alice"), bsky.account("bob.bsky.social", "Bob")
    q = question(bsky, alice, "Where is room B? #pycon", 20)
    bsky.reply(bob, q, "Second floor")
    # A 429 with only Retry-After (no ratelimit-reset): waited out, then read.
    bsky.inject("app.bsky.feed.getPostThread",
                xrpc_error(429, "RateLimitExceeded", "Rate Limit Exceeded", {"Retry-After": "0.2"}))
    first = one_round(writer, collector)
    assert first.errors == [] and first.answers == 1 and threads(bsky) == 2

    make_due(writer, "bluesky", bid(q))
    bsky.inject("app.bsky.feed.getPostThread", rate_limited(3600))
    second = one_round(writer, collector)
    assert len(second.errors) == 1 and "429" in second.errors[0] and threads(bsky) == 3
    assert [p.id for p, _ in answers.due(writer.archive, "bluesky")] == [bid(q)]  # still due


# -- the whole command -----------------------------------------------------------------------


def test_collect_once_reads_the_answers_and_build_shows_them(tmp_path, a):
    """`backchannel collect --once --json`, then `backchannel build`, with the real classifier."""
    from click.testing import CliRunner

    from backchannel.cli.main import cli
    from fixtures.digest.event import read

    alice, bob = Person("alice", a, display_name="Alice"), Person("bob", a, display_name="Bob")
    q = a.publish(alice, "Does anyone know where the slides for the keynote are? #pycon", tags=["pycon"],
                  created_at=ago(30))
    a.reply(bob, q, "They are on the speaker's site https://example.org/slides", favourites_count=3)
    config = tmp_path / "backchannel.toml"
    config.write_text(f'[event]\nname = "PyCon"\nhashtags = ["pycon"]\nstart = "{ago(24 * 60).isoformat()}"\n\n'
                      f'[sources.mastodon]\ninstances = ["{a.url}"]\ntimeout = 2\n\n'
                      f'[digest]\noutput = "{tmp_path / "site"}"\n')
    runner = CliRunner()
    result = runner.invoke(cli, ["collect", "--once", "--config", str(config), "--json"])
    assert result.exit_code == 0, result.output
    report = json.loads(result.output.splitlines()[0])
    assert (report["added"], report["answers"], report["errors"]) == (2, 1, [])

    result = runner.invoke(cli, ["build", "--config", str(config), "--no-search", "--quiet"])
    assert result.exit_code == 0, result.output
    page = read(tmp_path / "site", "kinds/question/index.html")
    assert "Best answer" in page.visible_text and "speaker's site" in page.visible_text
    assert "Open questions" not in [h.text for h in page.find("h3")]
