"""Pre-moderation (`[moderation] mode = "approve"`): new posts wait for a moderator before
the wall; posts with spam shapes or blocklist words wait before the digest too."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

import pytest

from backchannel import moderation
from backchannel.archive import Archive
from backchannel.digest import build
from backchannel.index import Index
from backchannel.models import Author
from backchannel.pipeline import Writer
from factories import START, make_post

NOW = datetime.now(timezone.utc)


def sections(mode="approve") -> dict:
    return {"digest": {"output": "site"},
            "blocklist": {"words": ["crypto giveaway"], "accounts": ["spam@bad.example"]},
            "moderation": {"mode": mode, "hold_account_days": 7, "hold_mentions": 4, "hold_links": 3}}


@pytest.fixture
def config(make_config):
    """Approve mode: the `writer` fixture writes with it."""
    return make_config(**sections())


def posts():
    young = {"account": {"created_at": (NOW - timedelta(days=2)).isoformat()}}
    old = {"account": {"created_at": (NOW - timedelta(days=900)).isoformat()}}
    return [
        make_post(1, text="Great keynote on boring technology #pyconex", raw=old),
        make_post(2, text="Free CRYPTO giveaway, click now #pyconex"),
        make_post(3, text="New here! Loved the talk #pyconex", raw=young),
        make_post(4, text="@a@x.example @b@x.example @c@y.example @d@z.example look #pyconex"),
        make_post(5, text="links", links=["https://a.example/", "https://b.example/", "https://c.example/"]),
        make_post(6, author="spam@bad.example", text="blocked account stays out"),
    ]


def test_spam_shapes_and_blocklist_words_are_held_with_their_reasons(writer):
    result, blocked = writer.store(posts())
    assert blocked == 1 and len(result.added) == 5  # the word match is kept, to be reviewed
    held = moderation.state(writer.archive).held
    ids = [p.id for p in posts()]
    assert set(held) == set(ids[1:5])
    assert held[ids[1]].reason == "matches the blocklist word 'CRYPTO giveaway'"
    assert held[ids[2]].reason == "account created 2 days ago"
    assert held[ids[3]].reason == "mentions 4 accounts"
    assert held[ids[4]].reason == "3 links"
    assert all(a.by == moderation.AUTOMATIC for a in held.values())
    writer.store(posts())  # seen again: nothing held twice
    assert len(moderation.actions(writer.archive)) == 4


def test_the_wall_waits_for_approval_and_held_posts_wait_for_the_digest(config, writer):
    writer.store(posts())
    ids = [p.id for p in posts()]
    archive = writer.archive

    def wall_and_digest():
        build(config, search=False, now=START)
        wall = [p["id"] for p in json.loads((config.digest.output / "wall" / "posts.json").read_text())["posts"]]
        digest = [json.loads(line)["id"] for line in (config.digest.output / "posts.jsonl").read_text().splitlines()]
        return wall, digest

    wall, digest = wall_and_digest()
    assert wall == [] and digest == [ids[0]]  # nobody approved anything yet
    moderation.record(archive, ids[0], "approve")
    moderation.record(archive, ids[1], "approve")  # a false positive: the word was fine here
    wall, digest = wall_and_digest()
    assert wall == [ids[1], ids[0]] and digest == [ids[0], ids[1]]
    moderation.record(archive, ids[0], "hide", "changed our mind")
    assert wall_and_digest() == ([ids[1]], [ids[1]])


def test_without_approve_mode_nothing_is_held_and_words_block_as_before(make_config):
    cfg = make_config(**sections(mode="post"))
    writer = Writer(cfg, Archive.in_dir(cfg.data_dir), Index.in_dir(cfg.data_dir))
    result, blocked = writer.store(posts())
    assert blocked == 2 and len(result.added) == 4
    assert moderation.state(writer.archive).held == {}
    build(cfg, search=False, now=START)
    wall = json.loads((cfg.digest.output / "wall" / "posts.json").read_text())["posts"]
    assert len(wall) == 4
    writer.close()


def test_account_age_is_read_from_each_source_and_unknown_is_not_held(config):
    cfg = config.moderation
    young = (NOW - timedelta(days=1)).isoformat()
    sky = make_post(1, source="bluesky", raw={"author": {"createdAt": young}},
                    author_obj=Author("new.bsky.social", "New", None))
    assert moderation.hold_reasons(sky, cfg, None) == ["account created 1 day ago"]
    assert moderation.hold_reasons(make_post(2, raw={"account": {"created_at": "not a date"}}), cfg, None) == []
    assert moderation.hold_reasons(make_post(3, source="rss"), cfg, None) == []


def test_the_review_queue_length_reaches_run_status(config, writer):
    """Approve mode: `run` and `status` show how many posts wait for `backchannel review`."""
    from backchannel.run import Runner
    from backchannel.review import queue_length

    writer.store(posts())
    waiting = queue_length(writer.archive, config)
    assert waiting == 5  # four held, and the one plain post waiting for approval before the wall
    moderation.record(writer.archive, posts()[0].id, "approve")
    runner = Runner(writer, [], {}, 60, lambda: None, log=lambda line: None,
                    review_queue=lambda: queue_length(writer.archive, config))
    runner._build()
    assert runner.status.extra == {"review queue": 4}
    assert runner.status.as_dict()["extra"] == {"review queue": 4}
