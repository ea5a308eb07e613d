"""`import` indexes in a child process (issue 20): the index ends up exactly what the archive
holds, errors in the child reach the command, and `kill -9` of an import loses nothing and
leaves nothing running."""

from __future__ import annotations

import multiprocessing
import time

import pytest
from whoosh import index as whoosh_index

from backchannel.archive import Archive
from backchannel.config import Config
from backchannel.errors import LockedError
from backchannel.importer import import_into
from backchannel.index import Index
from backchannel.lock import WriterLock
from backchannel.pipeline import open_writer
from backchannel.validate import post_from_dict
from hostile import assert_clean, good, run, write_lines
from test_hostile_crash import hit_count, kill_when, posts, total

pytestmark = pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="needs fork")


def indexed_ids(data) -> set[str]:
    with Index.in_dir(data).searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields()}


def test_an_import_of_several_batches_indexes_every_post_once(tmp_path):
    data = tmp_path / "data"
    # Two batches, the second updating a post of the first while the child may still index it.
    records = posts(0, 2500) + [good(7, id="import-p7", text="zebra crossing, edited")]
    path = write_lines(tmp_path / "a.jsonl", records)
    with open(path, "rb") as fh:
        report = import_into(Config(path=None, data_dir=data), fh)
    assert (report.added, report.updated) == (2500, 1)
    with Archive.in_dir(data, readonly=True) as archive:
        ids, seq = {p.id for p in archive.posts()}, archive.seq
    assert indexed_ids(data) == ids and len(ids) == 2500
    assert Index.in_dir(data).indexed_seq == seq
    with Index.in_dir(data).searcher() as searcher:
        assert searcher.document(id="import-p7")["text"] == "zebra crossing, edited"


def test_the_index_is_written_by_a_child_process_while_the_parent_goes_on(tmp_path):
    cfg = Config(path=None, data_dir=tmp_path / "data")
    with open_writer(cfg, index_process=True) as writer:
        writer.store([post_from_dict(r) for r in posts(0, 300)])
        children = [p.name for p in multiprocessing.active_children()]
        assert "backchannel-index" in children
        writer.store([post_from_dict(r) for r in posts(300, 300)])
    assert not [p for p in multiprocessing.active_children() if p.name == "backchannel-index"]
    assert len(indexed_ids(tmp_path / "data")) == 600


def test_an_error_in_the_index_process_stops_the_import_and_the_archive_keeps_the_batch(tmp_path):
    data = tmp_path / "data"
    cfg = Config(path=None, data_dir=data)
    with open_writer(cfg):
        pass  # an empty archive and index
    held = whoosh_index.open_dir(str(data / "index")).writer()  # someone else holds Whoosh's lock
    try:
        with pytest.raises(LockedError, match="search index is locked"):
            with open(write_lines(tmp_path / "a.jsonl", posts(0, 50)), "rb") as fh:
                import_into(cfg, fh)
    finally:
        held.cancel()
    assert total(data) == 50  # archived before indexing; the next writer catches the index up
    found, err = hit_count(tmp_path)
    assert found == 50, err


def test_kill_9_of_an_import_takes_its_index_process_down_too_and_loses_nothing(tmp_path):
    data = tmp_path / "data"
    path = write_lines(tmp_path / "big.jsonl", posts(0, 6500))
    kill_when(["import", path], data, lambda: total(data) >= 4000)  # two batches in, one indexing
    deadline = time.monotonic() + 5
    while True:  # the child died with its parent: the writer lock is free at once
        try:
            WriterLock(data).acquire().release()
            break
        except LockedError:
            assert time.monotonic() < deadline, "the index process outlived the killed import"
            time.sleep(0.05)
    stored = total(data)
    found, err = hit_count(tmp_path)
    assert found == stored and "incomplete" not in err, err
    again = run("import", path, "--data-dir", data, timeout=300)
    assert_clean(again)
    assert again.returncode == 0 and hit_count(tmp_path)[0] == 6500
