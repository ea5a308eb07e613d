"""The archive: idempotent upserts, edits, tombstones, cursors, and crash-safe index catch-up."""

import sqlite3
from datetime import timedelta

import pytest

from backchannel.archive import Archive
from backchannel.config import Config
from backchannel.index import Index
from backchannel.models import Metrics
from backchannel.pipeline import Writer
from backchannel.search import search
from factories import START, make_post


def test_upsert_is_idempotent(archive):
    posts = [make_post(1), make_post(2)]
    first = archive.store(posts)
    again = archive.store([make_post(1), make_post(2)])
    assert len(first.added) == 2
    assert again.added == [] and again.updated == [] and again.unchanged == 2
    assert archive.count() == 2


def test_an_edit_replaces_the_text(archive):
    archive.store([make_post(1, text="first words")])
    edited = make_post(1, text="better words", edited_at=START + timedelta(hours=1))
    result = archive.store([edited])
    assert result.updated == [edited.id]
    stored = archive.get(edited.id)
    assert stored.text == "better words" and stored.edited_at == edited.edited_at


def test_new_counts_update_the_row_but_keep_first_seen(archive):
    post = make_post(1)
    archive.store([post])
    seen = archive.db.execute("SELECT first_seen FROM posts").fetchone()[0]
    post.metrics = Metrics(likes=9)
    assert archive.store([post]).updated == [post.id]
    assert archive.get(post.id).metrics.likes == 9
    assert archive.db.execute("SELECT first_seen FROM posts").fetchone()[0] == seen


def test_tombstone_removes_and_keeps_out(archive):
    post = make_post(1)
    archive.store([post])
    assert archive.store(deleted=[post.id], source="mastodon").deleted == [post.id]
    assert archive.get(post.id) is None
    assert archive.store([make_post(1)]).refused == 1
    assert archive.count() == 0


def test_cursors_saved_with_their_posts(archive):
    archive.store([make_post(1)], cursors={"https://a.example|pycon": "110"}, source="mastodon")
    assert archive.cursors("mastodon") == {"https://a.example|pycon": "110"}
    assert archive.cursors("bluesky") == {}


def test_a_failed_batch_stores_neither_posts_nor_cursor(archive):
    def interrupted():
        yield make_post(1)
        raise KeyboardInterrupt  # Ctrl-C half-way through the batch

    with pytest.raises(KeyboardInterrupt):
        archive.store(interrupted(), cursors={"k": "2"}, source="mastodon")
    assert archive.count() == 0 and archive.cursors("mastodon") == {}


def test_a_post_later_stages_would_choke_on_is_refused_by_name_and_the_rest_kept(archive):
    bad = make_post(2)
    bad.text = None
    late = make_post(3)
    late.created_at = late.created_at.replace(year=2200)
    result = archive.store([make_post(1), bad, late], cursors={"k": "2"}, source="mastodon")
    assert len(result.added) == 1 and archive.cursors("mastodon") == {"k": "2"}
    assert "field 'text' must be a string" in result.rejected[0]
    assert "'created_at': year 2200 is out of range" in result.rejected[1]


def test_two_copies_of_a_post_in_one_batch_store_the_second(archive):
    first, edited = make_post(1, text="first words"), make_post(1, text="second words")
    result = archive.store([first, edited, make_post(1, text="second words")])
    assert (result.added, result.updated, result.unchanged) == ([first.id], [first.id], 1)
    assert archive.get(first.id).text == "second words" and archive.count() == 1


def test_an_authors_newest_consent_holds_for_all_their_posts_also_within_one_batch(archive):
    archive.store([make_post(1), make_post(2, author="bo@example.social")])
    archive.store([make_post(3, indexable=True, discoverable=True), make_post(4, indexable=True, discoverable=False),
                   make_post(5, author="bo@example.social", indexable=False)])
    flags = {who: set() for who in ("ada@example.social", "bo@example.social")}
    for who, indexable, discoverable in archive.db.execute(
            "SELECT author_handle, indexable, discoverable FROM posts"):
        flags[who].add((indexable, discoverable))
    # The batch's last post of each author wins, on their earlier posts and earlier in the batch.
    assert flags == {"ada@example.social": {(1, 0)}, "bo@example.social": {(0, None)}}


def test_a_batch_reads_the_archive_in_a_few_statements_not_per_post(archive):
    """Per-post lookups made imports slow (issue 20): a batch reads with `id IN (…)`, and
    following an author's consent uses the (source, author_handle) index, not a scan."""
    archive.store([make_post(n) for n in range(600)])
    statements: list[str] = []
    archive.db.set_trace_callback(statements.append)
    result = archive.store([make_post(n, text="edited") for n in range(300, 900)])
    archive.db.set_trace_callback(None)
    assert (len(result.updated), len(result.added)) == (300, 300)
    assert len([s for s in statements if s.startswith("SELECT")]) <= 8
    plan = " ".join(r[3] for r in archive.db.execute(
        "EXPLAIN QUERY PLAN UPDATE posts SET indexable = 1 WHERE source = 'mastodon' AND author_handle = 'x'"))
    assert "posts_author" in plan, plan


def test_posts_hashed_by_an_earlier_version_are_unchanged_when_seen_again(archive):
    """The first archives hashed the Post JSONL object; a post stored then is still 'unchanged'
    (not reported as an update of every post after an upgrade), and gets the new hash."""
    import hashlib
    import json

    post = make_post(1)
    archive.store([post])
    legacy = hashlib.blake2b(json.dumps(post.to_dict(derived=False), sort_keys=True).encode(),
                             digest_size=16).hexdigest()
    archive.db.execute("UPDATE posts SET hash = ?", (legacy,))
    seq = archive.seq
    assert archive.changed([make_post(1)]) == []
    assert archive.store([make_post(1)]).unchanged == 1 and archive.seq == seq
    assert archive.db.execute("SELECT hash FROM posts").fetchone()[0] != legacy
    assert archive.store([make_post(1, text="edited")]).updated == [post.id]


def test_plain_tables_open_in_sqlite3(archive):
    archive.store([make_post(1, tags=["ai"])])
    db = sqlite3.connect(archive.path)
    row = db.execute("SELECT source, author_handle, tags, created_at FROM posts").fetchone()
    assert row == ("mastodon", "ada@example.social", '["ai"]', "2026-09-01T07:01:00Z")
    tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    assert {"posts", "tombstones", "cursors", "meta"} <= tables
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_index_catches_up_after_a_crash_between_archive_and_index(tmp_path):
    cfg = Config(path=None, data_dir=tmp_path)
    archive, index = Archive.in_dir(tmp_path), Index.in_dir(tmp_path)
    writer = Writer(cfg, archive, index)
    writer.store([make_post(1, text="kept before the crash")])
    # The archive commits, then the process dies before the index does:
    archive.store([make_post(2, text="stored but never indexed")])
    index.close()
    writer2 = Writer(cfg, Archive.in_dir(tmp_path), Index.in_dir(tmp_path))
    hits = search(writer2.index, writer2.archive, "indexed").hits
    assert [h.post.text for h in hits] == ["stored but never indexed"]


def test_deleted_posts_leave_the_index(writer):
    post = make_post(1, text="soon to be deleted")
    writer.store([post])
    assert search(writer.index, writer.archive, "deleted").hits
    writer.store(deleted=[post.id], source="mastodon")
    assert search(writer.index, writer.archive, "deleted").total == 0


def test_an_archive_from_before_author_links_gains_the_column_and_keeps_its_posts(tmp_path):
    archive = Archive.in_dir(tmp_path)
    archive.store([make_post(1, "old #old", id="m-1")])
    archive.close()
    db = sqlite3.connect(tmp_path / "archive.db")
    db.execute("ALTER TABLE posts DROP COLUMN author_links")  # as a release before it made it
    db.commit()
    db.close()
    with Archive.in_dir(tmp_path) as again:
        assert next(again.posts()).author.links == []
        linked = make_post(2, "new #old", id="m-2")
        linked.author.links = ["https://ada.example/"]
        again.store([linked])
        assert again.get("m-2").author.links == ["https://ada.example/"]
        assert again.get("m-1").author.links == []


def test_an_archive_and_index_from_before_the_talk_rename_are_brought_up_to_date(tmp_path):
    """`session`/`session_reason` became `talk`/`talk_reason` before 1.0: the archive renames
    its columns on open, and the next writer (or a search that may take the lock) rebuilds an
    old index from the archive."""
    import sqlite3

    from click.testing import CliRunner

    from backchannel.cli import cli
    from backchannel.index import Index

    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "Old"\nhashtags = ["old"]\n')
    data = tmp_path / ".backchannel"
    archive = Archive.in_dir(data)
    archive.store([make_post(1, "old #old", id="m-1", talk="t-1", talk_reason="title words")])
    archive.close()
    db = sqlite3.connect(data / "archive.db")
    db.execute("ALTER TABLE posts RENAME COLUMN talk TO session")
    db.execute("ALTER TABLE posts RENAME COLUMN talk_reason TO session_reason")
    db.commit()
    db.close()
    from whoosh import index as whoosh_index
    from whoosh.fields import ID
    old = Index.in_dir(data).path
    old.mkdir(parents=True)
    import copy

    from backchannel.index import schema as current
    schema = copy.deepcopy(current())  # schema() is shared: change a copy
    schema.remove("talk")
    schema.add("session", ID())
    whoosh_index.create_in(str(old), schema).close()

    again = Archive.in_dir(data)
    assert next(again.posts()).talk == "t-1" and next(again.posts()).talk_reason == "title words"
    again.close()
    runner = CliRunner()
    found = runner.invoke(cli, ["search", "old", "--talk", "t-1", "--json", "--config", str(config)])
    assert found.exit_code == 0 and '"m-1"' in found.output  # the first writer rebuilt the index
    assert not Index.in_dir(data).outdated
