"""The one writer: a lock per data dir, and the blocklist applied before anything is stored."""

import pytest

from backchannel.archive import Archive
from backchannel.config import Blocklist, Config
from backchannel.errors import InputError, LockedError
from backchannel.index import Index
from backchannel.lock import WriterLock
from backchannel.models import Author
from backchannel.pipeline import Writer, open_writer
from factories import make_post


def test_a_second_writer_is_refused_with_a_clear_message(tmp_path):
    with WriterLock(tmp_path):
        with pytest.raises(LockedError) as err:
            WriterLock(tmp_path).acquire()
    assert "already in use" in err.value.message and str(tmp_path) in err.value.message
    WriterLock(tmp_path).acquire().release()  # free again once the first one is done


def test_blocklist_keeps_accounts_instances_and_words_out(tmp_path):
    cfg = Config(path=None, data_dir=tmp_path,
                 blocklist=Blocklist(accounts=["spam@bad.example"], instances=["evil.example"],
                                     words=["crypto giveaway"]))
    writer = Writer(cfg, Archive.in_dir(tmp_path), Index.in_dir(tmp_path))
    posts = [
        make_post(1, author="spam@bad.example"),
        make_post(2, author="eve@mx.evil.example"),
        make_post(3, text="Free CRYPTO giveaway now!!"),
        make_post(4, text="cryptography talk was great"),
        make_post(5, author_obj=Author("mallory", "Mallory", "https://evil.example/@mallory")),
    ]
    result, blocked = writer.store(posts)
    assert blocked == 3 + 1
    assert [writer.archive.get(i).text for i in result.added] == ["cryptography talk was great"]


def test_only_new_or_changed_posts_are_classified_and_matched_again(tmp_path):
    seen = []

    def enrich(posts):
        seen.append([p.id for p in posts])
        for p in posts:
            p.kind, p.score = "takeaway", 0.9

    writer = Writer(Config(path=None, data_dir=tmp_path), Archive.in_dir(tmp_path), Index.in_dir(tmp_path), enrich)
    first, second = make_post(1, text="one"), make_post(2, text="two")
    writer.store([first, second])
    writer.store([make_post(1, text="one"), make_post(2, text="two, edited")])
    assert seen == [[first.id, second.id], [second.id]]
    assert writer.archive.get(first.id).kind == "takeaway"  # kept from the first time


def test_open_writer_holds_the_lock_and_lets_go_whatever_happens_inside(tmp_path):
    cfg = Config(path=None, data_dir=tmp_path / "data")
    with open_writer(cfg) as writer:
        writer.store([make_post(1)])
        with pytest.raises(LockedError):
            WriterLock(cfg.data_dir).acquire()  # `run` and `collect` can't write beside it
    with pytest.raises(RuntimeError):
        with open_writer(cfg) as writer:
            raise RuntimeError("a bug half-way through a batch")
    with open_writer(cfg) as writer:  # free again, and what was stored is there
        assert writer.archive.count() == 1 and writer.index.behind(writer.archive) == 0


def test_open_writer_can_refuse_to_make_an_archive(tmp_path):
    cfg = Config(path=None, data_dir=tmp_path / "nothing-here")
    with pytest.raises(InputError) as err:
        with open_writer(cfg, create=False):
            pass
    assert err.value.message.startswith(f"{cfg.data_dir}: no archive here yet")
    assert not cfg.data_dir.exists()
