"""`place` and `unplace`: the organisers put a post on the right talk (or on none), and their
choice wins in `talks`, `search`, exports and the digest, through new programmes, `reindex`
and a `run` holding the writer lock. Real CLI, archive, Whoosh index and digest build."""

from __future__ import annotations

import json
import shutil
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner

from backchannel import moderation
from backchannel.archive import Archive
from backchannel.cli.main import cli
from backchannel.config import load
from backchannel.enrich import make_enricher
from backchannel.index import Index
from backchannel.lock import WriterLock
from backchannel.pipeline import Writer
from backchannel.run import Runner
from backchannel.talks.live import Programme

SCHEDULE = Path(__file__).parent / "fixtures" / "schedules" / "democon.json"
VECTOR = "6f1c2a9e-0d4b-5b8e-9c1a-000000000002"
THREATS = "6f1c2a9e-0d4b-5b8e-9c1a-000000000003"
POSTS = [
    {"id": "vec", "source": "mastodon", "created_at": "2026-09-01T08:20:00Z", "url": "https://demo.example/@a/1",
     "author": {"handle": "a@demo.example", "name": "Ada"},
     "text": "Lesson: shard your vector index by tenant, not by time #vecscale #democon"},
    {"id": "dinner", "source": "mastodon", "created_at": "2026-09-01T18:00:00Z", "url": "https://demo.example/@b/2",
     "author": {"handle": "b@demo.example", "name": "Bo"},
     "text": "Still thinking about which crown jewels we protect first, over dinner #democon"},
    {"id": "other", "source": "mastodon", "created_at": "2026-09-01T18:05:00Z", "url": "https://demo.example/@c/3",
     "author": {"handle": "c@demo.example", "name": "Cy"},
     "text": "Dinner was lovely, see you tomorrow #democon"},
]
PLACED = "placed on this talk by the organisers"  # who and why stay in the moderation log


@pytest.fixture(scope="module")
def prepared(tmp_path_factory):
    """A config with the DemoCon programme, the posts imported (archive and index), a digest."""
    root = tmp_path_factory.mktemp("placed")
    shutil.copy(SCHEDULE, root / "schedule.json")
    (root / "backchannel.toml").write_text(
        '[event]\nname = "DemoCon"\nhashtags = ["democon"]\ntimezone = "Europe/Berlin"\n'
        'schedule = "schedule.json"\nstart = 2026-09-01\nend = 2026-09-02\n[digest]\noutput = "site"\n')
    data = "".join(json.dumps(p) + "\n" for p in POSTS)
    assert CliRunner().invoke(cli, ["import", "-", "--config", str(root / "backchannel.toml")], input=data).exit_code == 0
    return root


@pytest.fixture
def site(prepared, tmp_path):
    root = tmp_path / "event"
    shutil.copytree(prepared, root)
    return root


def invoke(root, *args):
    return CliRunner().invoke(cli, [args[0], "--config", str(root / "backchannel.toml"), *args[1:]])


def exported(root) -> dict[str, dict]:
    result = invoke(root, "export")
    assert result.exit_code == 0, result.output
    return {p["id"]: p for p in map(json.loads, result.stdout.splitlines())}


def on_talk(root, talk) -> list[str]:
    result = invoke(root, "search", "--talk", talk, "--json")
    return [json.loads(line)["id"] for line in result.stdout.splitlines()]


def test_a_placed_post_is_on_its_talk_everywhere_with_the_reason(site):
    assert exported(site)["dinner"]["talk"] is None  # the matcher: hours after the talk, no pointer
    result = invoke(site, "place", "https://demo.example/@b/2", "--talk", "threat modelling",
                    "--reason", "asked in the hallway after the talk", "--by", "ana")
    assert result.exit_code == 0, result.output
    assert "Placed dinner (Bo:" in result.stdout and "THR003 'Threat modelling for small businesses'" in result.stdout
    post = exported(site)["dinner"]
    assert (post["talk"], post["talk_reason"]) == (THREATS, PLACED)
    assert on_talk(site, "THR003") == ["dinner"]  # the search index caught up
    counts = {t["code"]: t["posts"] for t in map(json.loads, invoke(site, "talks", "--json").stdout.splitlines())}
    assert counts["THR003"] == 1
    explained = invoke(site, "search", "crown jewels", "--explain").stdout
    assert f"talk: THR003 'Threat modelling for small businesses' · why: {PLACED}" in explained
    again = invoke(site, "place", "dinner", "--talk", "THR003")
    assert again.exit_code == 0 and "dinner: already placed on THR003" in again.stdout

    listed = invoke(site, "moderation").stdout
    assert listed.startswith("placed ") and "dinner" in listed and "by ana — on THR003 'Threat modelling for small businesses' — asked in the hallway" in listed
    log = [json.loads(line) for line in invoke(site, "export", "--moderation").stdout.splitlines()]
    assert [(a["action"], a["post_id"], a["talk"]) for a in log] == [("place", "dinner", THREATS)]
    table = invoke(site, "export", "--moderation", "--format", "csv").stdout.splitlines()
    assert table[0] == "n,post_id,action,reason,at,by,talk" and table[1].endswith(f",ana,{THREATS}")

    assert invoke(site, "build", "--no-search").exit_code == 0
    talk_page = (site / "site" / "talks" / THREATS / "index.html").read_text("utf-8")
    assert "Threat modelling for small businesses" in talk_page and "crown jewels" in talk_page
    page = next((site / "site" / "posts").glob("*/*/dinner.html")).read_text("utf-8")
    assert "Listed under the talk" in page and f"Why: {PLACED}" in page


def test_none_takes_a_post_off_its_talk_and_unplace_gives_the_matchers_choice_back(site):
    assert exported(site)["vec"]["talk"] == VECTOR
    result = invoke(site, "place", "vec", "--none", "--json", "--by", "ana")
    assert result.exit_code == 0, result.output
    done = json.loads(result.stdout)
    assert done["changed"] and done["placed"] is None and done["talk"] is None
    post = exported(site)["vec"]
    assert (post["talk"], post["talk_reason"]) == (None, "placed on no talk by the organisers")
    assert on_talk(site, "VEC002") == []

    result = invoke(site, "unplace", "vec")
    assert result.exit_code == 0, result.output
    assert "the matcher puts it on VEC002 'Vector search at scale'" in result.stdout
    post = exported(site)["vec"]
    assert post["talk"] == VECTOR and "vecscale" in post["talk_reason"]
    assert on_talk(site, "VEC002") == ["vec"]
    assert invoke(site, "unplace", "vec").stdout.strip() == "vec: not placed"
    assert [a["action"] for a in map(json.loads, invoke(site, "moderation", "--log", "--json").stdout.splitlines())] \
        == ["place", "unplace"]


def test_a_placement_survives_a_new_programme_and_reindex_and_waits_while_its_talk_is_gone(site):
    assert invoke(site, "place", "dinner", "--talk", "THR003", "--by", "ana",
                  "--reason", "asked in the hallway after the talk").exit_code == 0
    schedule = json.loads(SCHEDULE.read_text("utf-8"))
    text = json.dumps(schedule).replace("Opening keynote", "Opening talk")  # another talk changes
    (site / "schedule.json").write_text(text, "utf-8")
    result = invoke(site, "reindex")  # the writer opens: the programme changed, every post matched again
    assert result.exit_code == 0, result.output
    with Archive.in_dir(site / ".backchannel", readonly=True) as archive:  # the new programme is stored
        assert any(t["title"].startswith("Opening talk") for t in archive.talk_rows())
    assert exported(site)["dinner"]["talk_reason"] == PLACED and on_talk(site, "THR003") == ["dinner"]

    # The talk leaves the programme: the matcher decides, one note says so, the placement waits.
    gone = json.loads(text)
    for day in gone["schedule"]["conference"]["days"]:
        for room, talks in day["rooms"].items():
            day["rooms"][room] = [t for t in talks if t["guid"] != THREATS]
    (site / "schedule.json").write_text(json.dumps(gone), "utf-8")
    result = invoke(site, "reindex")
    assert result.exit_code == 0, result.output
    assert "1 post placed on a talk this programme no longer has" in result.stderr
    assert (exported(site)["dinner"]["talk"], exported(site)["dinner"]["talk_reason"]) == (None, None)
    assert "placed " in invoke(site, "moderation").stdout  # kept

    (site / "schedule.json").write_text(text, "utf-8")  # it comes back, and so does the placement
    assert invoke(site, "reindex").exit_code == 0
    assert exported(site)["dinner"]["talk_reason"] == PLACED and on_talk(site, "THR003") == ["dinner"]


def test_unknown_or_ambiguous_talks_and_unknown_posts_are_clear_errors(site):
    result = invoke(site, "place", "dinner", "--talk", "small")  # two titles have the word
    assert result.exit_code == 2 and "fits 2 talks" in result.output and "KEY001" in result.output \
        and "THR003" in result.output
    result = invoke(site, "place", "dinner", "--talk", "knitting")
    assert result.exit_code == 2 and "no talk has this code, id or these title words" in result.output
    result = invoke(site, "place", "dinner")
    assert result.exit_code == 2 and "--talk TALK or --none" in result.output
    result = invoke(site, "place", "no-such-post", "--talk", "THR003")
    assert result.exit_code == 2 and "no post with the id 'no-such-post'" in result.output
    result = invoke(site, "place", "no-such-post", "dinner", "--talk", "THR003")
    assert result.exit_code == 1 and exported(site)["dinner"]["talk"] == THREATS
    for bad in (result, invoke(site, "place", "dinner", "--talk", "small")):
        assert "Traceback" not in bad.output
    assert moderation.ACTIONS[-2:] == ("place", "unplace")


def test_beside_a_running_writer_the_log_waits_for_it_and_a_deleted_post_leaves_no_trace(site):
    cfg = load(site / "backchannel.toml")
    lock = WriterLock(cfg.data_dir).acquire()  # what `run` holds
    try:
        result = invoke(site, "place", "dinner", "--talk", "THR003", "--by", "ana",
                        "--reason", "asked in the hallway after the talk")
        assert result.exit_code == 0, result.output
        assert "Recorded; another process is writing the archive" in result.stderr
        assert exported(site)["dinner"]["talk"] is None  # not applied yet: only `run` writes posts
        # `run`'s writer: what its loop does every second, then a batch with the post edited.
        writer = Writer(cfg, Archive.in_dir(cfg.data_dir), Index.in_dir(cfg.data_dir),
                        enrich=make_enricher(cfg, Programme.open(cfg).talks))
        try:
            logs: list[str] = []
            runner = Runner(writer, [], {}, 60, lambda: None, log=logs.append)
            runner._placed()  # what `run` does every second, before it refreshes the digest
            assert runner._dirty and logs == ["placements: 1 post put on the talk the organisers chose"]
            assert writer.refresh_placements() == 0  # nothing new in the log since
            assert on_talk(site, "THR003") == ["dinner"]
            edited = writer.archive.get("dinner")
            edited.text += " (edited)"
            writer.store([edited])
            assert writer.archive.get("dinner").talk_reason == PLACED  # the matcher did not take it back
            writer.store(deleted=["dinner"])  # deleted at the source
            assert writer.refresh_placements() == 0
        finally:
            writer.close()
    finally:
        lock.release()
    assert "dinner" not in exported(site) and on_talk(site, "THR003") == []
    listed = invoke(site, "moderation").stdout
    assert "(no longer in the archive)" in listed and "crown jewels" not in listed


def test_a_placement_recorded_beside_another_writer_is_applied_by_the_next_build(site):
    cfg = load(site / "backchannel.toml")
    with WriterLock(cfg.data_dir):  # e.g. a `collect` that ends before its next batch
        assert invoke(site, "place", "dinner", "--talk", "THR003").exit_code == 0
    assert exported(site)["dinner"]["talk"] is None
    assert invoke(site, "build", "--no-search").exit_code == 0
    assert exported(site)["dinner"]["talk"] == THREATS and on_talk(site, "THR003") == ["dinner"]
    assert "Listed under the talk" in next((site / "site" / "posts").glob("*/*/dinner.html")).read_text("utf-8")


def test_an_archive_from_before_placements_is_read_and_migrated(site):
    path = site / ".backchannel" / "archive.db"
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE moderation; CREATE TABLE moderation (n INTEGER PRIMARY KEY AUTOINCREMENT, "
                     "post_id TEXT NOT NULL, action TEXT NOT NULL, reason TEXT NOT NULL DEFAULT '', "
                     "at TEXT NOT NULL, by TEXT NOT NULL DEFAULT '')")  # as archives were before placements
    db.execute("INSERT INTO moderation (post_id, action, reason, at, by) VALUES ('vec', 'hide', '', "
               "'2026-09-01T10:00:00Z', 'mod')")
    db.commit()
    db.close()
    with Archive(path, readonly=True) as archive:
        assert [(a.action, a.talk) for a in moderation.actions(archive)] == [("hide", None)]
    assert invoke(site, "place", "dinner", "--talk", "THR003").exit_code == 0  # opens it writable: migrated
    with Archive(path, readonly=True) as archive:
        assert [(a.action, a.talk) for a in moderation.actions(archive)] == [("hide", None), ("place", THREATS)]
