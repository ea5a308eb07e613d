"""The in-browser search index's files, read back as static/search.js reads them."""

from __future__ import annotations

import gzip
import json

from backchannel.digest.search_index import FOLDER, _buckets, _lists, fnv1a, words, write_index
from backchannel.validate import post_from_dict
from backchannel.digest import build
from backchannel.digest.model import Item, file_name
from backchannel.digest.writer import SiteWriter
from factories import make_post
from fixtures.digest import event


def test_words_are_what_the_browser_splits_a_query_into():
    assert words("Vector INDEXES, vectors; the café’s wifi") == ["vector", "indexe", "vector", "the", "café", "s", "wifi"]
    assert words("東京で検索 2026") == ["東", "京", "で", "検", "索", "2026"]
    assert words("ｆｕｌｌｗｉｄｔｈ ﬁle") == ["fullwidth", "file"]  # NFKC
    assert words("class glass bus") == ["class", "glass", "bus"]  # "ss" and short words stay
    assert words("a_b x " + "y" * 61) == ["a", "b", "x"]  # too long to be a word: not indexed


def read_varints(data: bytes, pos: int = 0, end: int | None = None) -> list[int]:
    out, value, shift = [], 0, 0
    for byte in data[pos:end]:
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            out.append(value)
            value, shift = 0, 0
    return out


def read_bucket(data: bytes, own: dict[int, bytes]) -> dict[str, list[int]]:
    """Each word of a bucket file and its post numbers (the format search.js reads)."""
    pos = 0

    def num() -> int:
        nonlocal pos
        value, shift = 0, 0
        while True:
            byte = data[pos]
            pos += 1
            value |= (byte & 0x7F) << shift
            shift += 7
            if byte < 0x80:
                return value

    found = {}
    for _ in range(num()):
        length = num()
        word = data[pos:pos + length].decode()
        pos += length
        count = num()
        if num() == 1:
            deltas = read_varints(own[num()])
        else:
            size = num()
            deltas = read_varints(data, pos, pos + size)
            pos += size
        numbers, prev = [], -1
        for d in deltas:
            prev += d + 1
            numbers.append(prev)
        assert len(numbers) == count
        found[word] = numbers
    return found


def test_each_word_lists_exactly_the_posts_that_contain_it(tmp_path):
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    records = event.records()
    event.fill(cfg, records).close()
    report = build(cfg, now=event.NOW)
    folder = cfg.digest.output / FOLDER
    rows = [row for n in range(0, report.search.posts, 16)
            for row in json.loads(gzip.decompress((folder / "d" / f"{n // 16}.bin").read_bytes()))]
    assert len(rows) == report.search.posts == sum(post_from_dict(r).searchable for r in records)
    by_url = {row["url"]: n for n, row in enumerate(rows)}
    files = sorted((folder / "t").glob("*.bin"))
    index: dict[str, list[int]] = {}
    for f in files:
        if "-" in f.stem:
            continue
        b = int(f.stem)
        own = {int(g.stem.split("-")[1]): gzip.decompress(g.read_bytes()) for g in folder.glob(f"t/{b}-*.bin")}
        for word, numbers in read_bucket(gzip.decompress(f.read_bytes()), own).items():
            assert fnv1a(word) % report.search.buckets == b
            index[word] = numbers
    expected: dict[str, list[int]] = {}
    for r in records:
        post = post_from_dict(r)
        if post.searchable:
            n = by_url[next(url for url in by_url if url.endswith(f"/{file_name(post.id)}.html"))]
            for word in set(words(" ".join((post.text, post.content_warning or "", post.author.name or "")))):
                expected.setdefault(word, []).append(n)
    assert index == {word: sorted(ns) for word, ns in expected.items()}
    assert index["nurse"] and index["fts5"]


def test_common_words_get_files_of_their_own():
    lists = _lists_of({"common": 3000, "rare": 3})
    count, blobs, common = _buckets(lists)
    names = [path for path, _ in blobs]
    assert any("-" in p.rsplit("/", 1)[1] for p in names)  # common's own file
    b, n, posts = common["common"]  # listed for the search page, which fetches it straight away
    assert f"{FOLDER}/t/{b}-{n}.bin" in names and posts == 3000 and "rare" not in common
    assert len([p for p in names if "-" not in p.rsplit("/", 1)[1]]) == count


def _lists_of(sizes: dict[str, int]) -> dict[str, bytearray]:
    class Doc:  # just what _lists reads
        def __init__(self, text):
            self.post = type("P", (), {"text": text, "content_warning": None,
                                        "author": type("A", (), {"name": None})()})()
    docs = [Doc(" ".join(w for w, n in sizes.items() if i < n)) for i in range(max(sizes.values()))]
    return _lists(docs)


def test_the_common_words_outlast_a_build_that_leaves_the_word_lists_alone(tmp_path):
    """The search page lists the common words (their lists are fetched straight away); a
    build that finds the word lists unchanged takes that list from the manifest."""
    posts = [make_post(n, text=f"common words {'rare' if n == 1 else 'filler'}", source="rss")
             for n in range(1, 1101)]
    items = [Item(post=p, kind="other", day="2026-09-01", hour="09", local=p.created_at,
                  path=f"posts/{p.id}.html", talk=None, talk_path=None, fp="", sfp=p.text) for p in posts]
    assert all(p.searchable for p in posts)

    def index():
        writer = SiteWriter(tmp_path, "site")
        report = write_index(writer, items, lambda when, style=None: "Tue 1 Sep", str, lambda lang: None)
        written = [p for p in writer.stats.written_paths if "/t/" in p]
        writer.finish()
        return report, written

    first, written = index()
    b, n, posts_with = first.common["common"]
    assert posts_with == 1100 and f"{FOLDER}/t/{b}-{n}.bin" in written
    assert "rare" not in first.common
    again, written = index()
    assert written == [] and again.common == first.common
