"""The index's write settings (issue 20): posting blocks stored uncompressed and a stemmer
cached in C. An index an earlier version wrote (zlib-compressed blocks, Whoosh's own stem
cache pickled in its schema) takes new posts without a rebuild, and search finds old and new
alike, before and after Whoosh merges the two kinds of segment."""

from __future__ import annotations

import copy

from whoosh import index as whoosh_index
from whoosh.analysis import LowercaseFilter, RegexTokenizer, StemFilter, StopFilter
from whoosh.fields import TEXT

from backchannel.archive import Archive
from backchannel.index import CODEC, TOKENS, Index, document, schema
from backchannel.search import search
from factories import make_post

TEXTS = ["Searching vectors quickly", "vector search in production", "Searched the vector index",
         "vector search without a GPU"]


def earlier_schema():
    old = copy.deepcopy(schema())  # schema() is shared: change a copy
    old.remove("text")
    old.add("text", TEXT(analyzer=RegexTokenizer(TOKENS) | LowercaseFilter() | StopFilter(minsize=1)
                         | StemFilter(cachesize=50000), stored=True))
    old["text"].multitoken_query = "phrase"
    return old


def test_an_index_written_before_takes_new_posts_and_finds_both(tmp_path):
    posts = [make_post(n, text) for n, text in enumerate(TEXTS, 1)]
    archive = Archive.in_dir(tmp_path)
    archive.store(posts)
    index = Index.in_dir(tmp_path)
    index.path.mkdir(parents=True)
    ix = whoosh_index.create_in(str(index.path), earlier_schema())
    with ix.writer() as writer:  # Whoosh's default codec: zlib-compressed posting blocks
        for post in posts[:2]:
            writer.add_document(**document(post))
    ix.close()
    assert not index.outdated  # same fields: no rebuild needed

    index.write(added=posts[2:])
    before, now = index.open()._segments()
    assert (before.codec()._compression, now.codec()._compression) == (3, CODEC._compression) == (3, 0)

    def found(query):
        return sorted(h.post.id for h in search(index, archive, query).hits)

    everything = sorted(p.id for p in posts)
    assert found("search") == everything  # stems agree: searching, searched, search
    assert found('"vector search"') == sorted([posts[1].id, posts[3].id])
    index.open().optimize()  # one segment from a compressed and an uncompressed one
    assert len(index.open()._segments()) == 1
    assert found("search") == everything
    assert found('"vector search"') == sorted([posts[1].id, posts[3].id])
    index.close()
    archive.close()

