"""Moderation: hide, unhide, pin, unpin and the log, kept in the archive; a hidden post stays
in the archive but leaves the wall, the digest, its feeds and search, `search` and `export`."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from backchannel import moderation
from backchannel.validate import post_from_dict
from backchannel.archive import Archive
from backchannel.cli.main import cli
from backchannel.config import parse
from backchannel.digest import build
from backchannel.errors import ConfigError, InputError
from factories import write_jsonl
from fixtures.digest import event

TROLL = "mastodon-c8ff357c3d437e03290c"  # Grace's shout-out: the fixture post we hide
TROLL_URL = "https://fosstodon.example/@grace/110002"
TROLL_WORDS = "registration queue moving in under five minutes"
TAKEAWAY = "mastodon-6461ed1ffcfb68672300"
TAKEAWAY_WORDS = "surprisingly far with SQLite"


@pytest.fixture
def site(tmp_path):
    """The fixture event with a config file, an archive and its search index, and a digest."""
    toml = tmp_path / "backchannel.toml"
    toml.write_text('[event]\nname = "PyCon Example 2026"\nhashtags = ["pyconex"]\n'
                    'timezone = "Europe/Berlin"\nstart = 2026-09-01\nend = 2026-09-02\n'
                    '[digest]\noutput = "site"\n', "utf-8")
    write_jsonl(tmp_path / "event.jsonl", event.records())
    assert invoke(tmp_path, "import", str(tmp_path / "event.jsonl")).exit_code == 0
    assert invoke(tmp_path, "build", "--no-search").exit_code == 0
    return tmp_path


def invoke(root, *args):
    return CliRunner().invoke(cli, [args[0], "--config", str(root / "backchannel.toml"), *args[1:]])


def built(root, path):
    return (root / "site" / path).read_text("utf-8")


def test_actions_are_kept_in_the_archive_and_replayed_after_a_restart(tmp_path):
    with Archive.in_dir(tmp_path) as archive:
        archive.store([post_from_dict(r) for r in event.records()[:3]])
        moderation.record(archive, TROLL, "hide", "spam", by="mod")
        moderation.record(archive, TROLL, "pin", by="mod")
        moderation.record(archive, TROLL, "unpin", by="mod")
    with Archive.in_dir(tmp_path) as archive:  # a new process: the log is still there
        s = moderation.state(archive)
        assert set(s.hidden) == {TROLL} and s.hidden[TROLL].reason == "spam" and s.hidden[TROLL].by == "mod"
        assert not s.pinned and s.version == 3
        moderation.record(archive, TROLL, "unhide")
        assert not moderation.state(archive).hidden
        assert [a.action for a in moderation.actions(archive)] == ["hide", "pin", "unpin", "unhide"]
        assert archive.get(TROLL) is not None  # hiding never removed the post


def test_a_post_is_found_by_id_source_url_digest_page_or_wall_link(site):
    with Archive.in_dir(site / ".backchannel") as archive:
        archive.store([post_from_dict({**event.records()[0], "id": "odd id/with:chars",
                                       "url": "https://example.social/@odd/1"})])
        resolve = lambda ref: moderation.resolve(archive, ref)  # noqa: E731
        assert resolve(TROLL) == TROLL
        assert resolve(TROLL_URL) == TROLL
        assert resolve(TROLL_URL + "/") == TROLL
        assert resolve(f"https://digest.example/pyconex/posts/2026-09-01/09/{TROLL}.html") == TROLL
        assert resolve(f"http://127.0.0.1:8000/wall/#post-{TROLL}") == TROLL
        from backchannel.digest.model import file_name
        odd = file_name("odd id/with:chars")
        assert odd.startswith("x-")
        assert resolve(f"http://127.0.0.1:8000/posts/2026-09-01/08/{odd}.html") == "odd id/with:chars"
        with pytest.raises(InputError, match="no post with the URL"):
            resolve("https://example.social/@nobody/404")
        with pytest.raises(InputError, match="no post with the id 'nope'"):
            resolve("nope")


def test_hide_removes_a_post_everywhere_and_unhide_brings_it_back(site):
    everywhere = ("posts.jsonl", "wall/posts.json", "days/2026-09-01/index.html", "kinds/shoutout/index.html")
    assert all(TROLL_WORDS in built(site, path) for path in everywhere)
    takeaway_pages = ("feed.xml", "recap.md", "index.html", "kinds/takeaway/index.html")
    assert all(TAKEAWAY_WORDS in built(site, path) for path in takeaway_pages)

    result = invoke(site, "hide", TROLL_URL, "--reason", "off topic", "--by", "moderator-1")
    assert result.exit_code == 0, result.output
    assert f"Hidden {TROLL}" in result.output
    # The open wall learns it from moderation.json at once, before any rebuild.
    assert json.loads(built(site, "wall/moderation.json"))["hidden"] == [TROLL]
    assert invoke(site, "hide", TAKEAWAY, "--reason", "wrong talk").exit_code == 0

    assert invoke(site, "build", "--no-search").exit_code == 0
    assert not list((site / "site" / "posts").rglob(f"{TROLL}.html"))
    for path in everywhere + takeaway_pages + ("people/index.html", "search/index.html"):
        for words, post_id in ((TROLL_WORDS, TROLL), (TAKEAWAY_WORDS, TAKEAWAY)):
            assert words not in built(site, path), path
            assert post_id not in built(site, path), path

    search = invoke(site, "search", "registration queue")
    assert search.exit_code == 1 and "0 matches" in search.output
    search = invoke(site, "search", "registration queue", "--include-hidden", "--json")
    assert [json.loads(line)["id"] for line in search.output.splitlines() if line.startswith("{")] == [TROLL]

    exported = [json.loads(line)["id"] for line in invoke(site, "export").output.splitlines()]
    assert TROLL not in exported and TAKEAWAY not in exported and len(exported) == 31
    assert TROLL in invoke(site, "export", "--include-hidden").output
    log = [json.loads(line) for line in invoke(site, "export", "--moderation").output.splitlines()]
    assert [(a["post_id"], a["action"], a["reason"], a["by"]) for a in log][0] == \
        (TROLL, "hide", "off topic", "moderator-1")
    assert "n,post_id,action,reason,at,by" in invoke(site, "export", "--moderation", "--format", "csv").output

    listing = invoke(site, "moderation")
    assert "hidden" in listing.output and TROLL in listing.output and "off topic" in listing.output
    assert "moderator-1" in listing.output

    assert invoke(site, "unhide", TROLL, TAKEAWAY).exit_code == 0
    assert json.loads(built(site, "wall/moderation.json"))["hidden"] == []
    assert invoke(site, "build", "--no-search").exit_code == 0
    assert TROLL_WORDS in built(site, "posts.jsonl")
    assert invoke(site, "search", "registration queue").exit_code == 0
    assert "Nothing is hidden" in invoke(site, "moderation").output
    assert [a["action"] for a in map(json.loads, invoke(site, "moderation", "--log", "--json").output.splitlines())] \
        == ["hide", "hide", "unhide", "unhide"]


def test_pin_puts_a_post_in_the_walls_spotlight(site):
    assert invoke(site, "pin", TAKEAWAY, "--reason", "keynote").exit_code == 0
    pinned = json.loads(built(site, "wall/moderation.json"))["pinned"]
    assert [(p["id"], p["label"]) for p in pinned] == [(TAKEAWAY, "Pinned")]
    assert "pinned" in invoke(site, "moderation").output
    again = invoke(site, "pin", TAKEAWAY)
    assert again.exit_code == 0 and "already pinned" in again.output
    assert invoke(site, "unpin", TAKEAWAY).exit_code == 0
    assert json.loads(built(site, "wall/moderation.json"))["pinned"] == []


def test_unknown_posts_are_reported_and_the_others_still_hidden(site):
    result = invoke(site, "hide", "no-such-post", TROLL)
    assert result.exit_code == 1
    assert "no post with the id 'no-such-post'" in result.output
    assert TROLL in json.loads(built(site, "wall/moderation.json"))["hidden"]
    assert invoke(site, "hide", "no-such-post").exit_code == 2
    assert invoke(site, "hide").exit_code == 2  # POST is required


def test_text_from_a_post_cannot_drive_the_terminal(site):
    record = {**event.records()[0], "id": "mastodon-escape", "url": "https://example.social/@x/9",
              "text": "\x1b]0;owned\x07\x1b[2Jcleared \u202eevil", "author": {"handle": "x\x1b[31m@example.social",
                                                                              "name": "\x1b[5mBlink"}}
    write_jsonl(site / "more.jsonl", [record])
    assert invoke(site, "import", str(site / "more.jsonl")).exit_code == 0
    for result in (invoke(site, "hide", "mastodon-escape"), invoke(site, "moderation")):
        assert "\x1b" not in result.output and "\u202e" not in result.output and "\x07" not in result.output
        assert "cleared" in result.output


def test_a_newer_moderation_state_is_never_replaced_by_an_older_one(site):
    cfg = event.config(site)
    cfg.digest.output = site / "site"
    with Archive.in_dir(site / ".backchannel") as archive:
        moderation.record(archive, TROLL, "hide")
        from backchannel import wall
        when = wall.local_time(cfg)
        assert wall.write_moderation(cfg.digest.output, archive, cfg, when)
        target = cfg.digest.output / "wall" / "moderation.json"
        newer = json.loads(target.read_text())
        newer["version"] += 5  # as if another process wrote after more actions
        target.write_text(json.dumps(newer))
        assert not wall.write_moderation(cfg.digest.output, archive, cfg, when)
        assert json.loads(target.read_text())["version"] == newer["version"]


def test_hidden_posts_leave_the_digest_built_in_process(tmp_path):
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    with event.fill(cfg, event.records()) as archive:
        moderation.record(archive, TROLL, "hide", "spam")
        report = build(cfg, now=event.NOW, search=False)
    assert report.posts == 32
    assert TROLL not in (cfg.digest.output / "posts.jsonl").read_text()


def test_wall_and_moderation_config_are_checked(tmp_path):
    base = {"event": {"name": "E", "hashtags": ["e"]}}
    cfg = parse({**base, "wall": {"poll": 5, "show_replies": True}, "moderation": {"mode": "approve"}},
                tmp_path / "b.toml")
    assert cfg.wall.poll == 5 and cfg.wall.show_replies and not cfg.wall.show_reposts
    assert cfg.moderation.mode == "approve" and cfg.moderation.hold_links == 3
    for section, value, message in [
        ("wall", {"poll": 0}, r"\[wall\] poll: must be greater than 0"),
        ("wall", {"show_replies": "yes"}, r"\[wall\] show_replies: must be true or false"),
        ("wall", {"colour": "red"}, r"\[wall\] colour: unknown key"),
        ("moderation", {"mode": "pre"}, r"\[moderation\] mode: must be \"post\" or \"approve\""),
        ("moderation", {"hold_links": -1}, r"\[moderation\] hold_links: must be 0 \(off\) or more"),
    ]:
        with pytest.raises(ConfigError, match=message):
            parse({**base, section: value}, tmp_path / "b.toml")


@pytest.mark.slow
def test_a_hidden_post_leaves_the_in_browser_search(tmp_path, searched):
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    with event.fill(cfg, event.records()) as archive:
        report = build(cfg, now=event.NOW)
        assert TROLL_WORDS in searched(cfg.digest.output).text
        moderation.record(archive, TROLL, "hide", "spam")
        report = build(cfg, now=event.NOW)
    assert report.search.error is None
    assert TROLL_WORDS not in searched(cfg.digest.output).text
    assert "Badge picked up" in searched(cfg.digest.output).text


def test_the_wall_leaves_out_replies_boosts_warned_and_sensitive_posts_unless_configured(tmp_path):
    records = event.records()[:3]
    records += [{**records[0], "id": "mastodon-reply", "reply_to": records[1]["id"]},
                {**records[0], "id": "mastodon-boost", "is_repost": True},
                {**records[0], "id": "mastodon-cw", "content_warning": "spiders"},
                {**records[0], "id": "mastodon-nsfw", "sensitive": True}]
    cfg = event.config(tmp_path)

    def on_wall():
        with event.fill(cfg, records):
            build(cfg, now=event.NOW, search=False)
        data = json.loads((cfg.digest.output / "wall" / "posts.json").read_text())
        return {p["id"] for p in data["posts"]}

    assert on_wall() == {r["id"] for r in records[:3]}
    cfg.wall.show_replies = cfg.wall.show_reposts = True
    cfg.wall.show_content_warnings = cfg.wall.show_sensitive = True
    assert on_wall() == {r["id"] for r in records}
    cfg.wall.posts = 2
    assert len(on_wall()) == 2
