"""Rank the top takeaways, with near-duplicates merged into one item.

    for entry in rank_takeaways(posts, limit=20):
        print(entry.score, entry.item.text, [p.id for p in entry.members], entry.links)

A post's value combines the classifier's confidence (`post.score`), its substance (how much
it says, whether it links to something) and its engagement (likes, reposts, replies,
quotes). Before ranking, posts that say the same thing become one item:

- **cross-posts**: the same person on Mastodon and Bluesky. Handles differ between networks,
  so "same person" means the same display name (normalised) or the same handle stem
  (`ada@example.social` ~ `ada.bsky.social`), with similar text (Jaccard ≥ 0.5 of word
  3-grams, or one text ≥ 80 % inside the other, as when Bluesky's 300 characters cut it);
- **echoes and quotes**: a text that is ≥ 80 % inside another (a blog entry repeating a post,
  a quote post carrying the quoted text), when the shorter has at least 5 word 3-grams, so
  "Great talk!" from fifty people stays fifty posts;
- **links**: a post that links to another collected post (a quote post, a share).

An item keeps every member post (so the digest can credit every author), the union of
their links in order, and their summed engagement; its representative is the member with
the best content (confidence and substance): the full text of a cross-post, not its cut copy.
The item's score is 0.5 × the best confidence + 0.25 × the best substance + 0.25 × the
summed engagement (log-scaled, 1000 weighted interactions = 1).

Fast and small for 100,000 posts: shingles are CRC-32 hashes in arrays, candidate pairs
come from a bottom-k sketch of each post (see `_candidate_pairs`) and are then checked
exactly. Only the first 800 words of a long text are compared.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata
import zlib
from array import array
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import Callable, Generic, Iterable, Sequence, TypeVar

from backchannel.models import Post
from backchannel.sanitize import html_links, url_key
from backchannel.words import is_cjk, tokens

SHINGLE = 3  # words per shingle
CJK_SHINGLE = 5  # character pairs per shingle in Chinese/Japanese text
DF_CAP = 64  # shingles in more posts than this are boilerplate ("thanks for a great"), not evidence
PROBES = 10  # shingles (the smallest hashes) each post looks up candidates with
MAX_WORDS = 800  # echoes deeper into a long blog entry than this (≈ 5,000 characters) are not looked for
MIN_SHINGLES = 5  # a text must be at least this long to be merged with another author's
SAME_AUTHOR_JACCARD = 0.5
CONTAINED = 0.8
W_CONFIDENCE, W_SUBSTANCE, W_ENGAGEMENT = 0.5, 0.25, 0.25
MAX_CHARS = 8 * MAX_WORDS  # read no further than that
_TABLE = (1 << 22) - 1  # probe-frequency table: 4M counters, 16 MB


T = TypeVar("T")


@dataclass
class Ranked(Generic[T]):
    """One entry of a ranking: the post shown (`item`), the near-duplicates merged into it
    (`similar`, credited as "also said by"), every member's links and the entry's score.

    `rank` ranks Posts, or anything a `key` function maps to its Post (the digest ranks its
    `Item`s, so an entry holds the Items to show)."""

    item: T
    similar: tuple[T, ...] = ()
    links: list[str] = field(default_factory=list)  # every member's links, first seen first
    score: float = 0.0

    @property
    def members(self) -> tuple[T, ...]:
        """The representative first, then the merged posts by time."""
        return (self.item, *self.similar)


def rank_takeaways(posts: Iterable[Post], limit: int | None = None) -> list[Ranked[Post]]:
    """The posts classified `takeaway`, near-duplicates merged, best first."""
    return rank([p for p in posts if p.kind == "takeaway" and not p.is_repost], limit)


def rank(entries: Sequence[T], limit: int | None = None, *,
         key: Callable[[T], Post] | None = None) -> list[Ranked[T]]:
    """Merge near-duplicates among `entries` and rank them, best first.

    `entries` are Posts, or records `key` maps to their Post (as `sorted(key=...)` does)."""
    entries = list(entries)
    posts: list[Post] = [key(e) for e in entries] if key else entries  # type: ignore[misc]
    shingles, rich = [], []
    for p in posts:  # one pass over the words; they are not kept (memory)
        sh, distinct = _text_features(p.text or "")
        shingles.append(sh)
        rich.append(_substance(distinct, p))
    merged = [_merged(posts, group, rich) for group in merge_groups(posts, shingles)]
    merged.sort(key=lambda m: (-m[1], posts[m[0][0]].created_at, posts[m[0][0]].id))
    ranked = [Ranked(entries[order[0]], tuple(entries[k] for k in order[1:]),
                     list(dict.fromkeys(url for k in order for url in posts[k].links)), score)
              for order, score in _spread(merged, posts)]
    return ranked[:limit] if limit is not None else ranked


PER_AUTHOR = 2  # items one person may hold in a top list before others get a turn


def _spread(merged: list[tuple[list[int], float]], posts: Sequence[Post]) -> list[tuple[list[int], float]]:
    """The ranking with no author holding more than PER_AUTHOR places ahead of the others:
    a prolific, popular poster should not fill the front page. Their further entries follow."""
    head, rest, seen = [], [], Counter()
    for entry in merged:
        author = posts[entry[0][0]].author
        who = (author.handle or author.name or "").lower()
        seen[who] += 1
        (head if seen[who] <= PER_AUTHOR else rest).append(entry)
    return head + rest


# --- merging ------------------------------------------------------------------------------

def merge_groups(posts: Sequence[Post], shingles: Sequence[array] | None = None) -> list[list[int]]:
    """Indices of `posts` grouped by the merge rules above (each group in input order)."""
    if shingles is None:
        shingles = [_shingles(tokens(p.text[:MAX_CHARS]) if p.text else []) for p in posts]
    parent = list(range(len(posts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    def union(i: int, j: int) -> None:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)

    for i, j in sorted(_candidate_pairs(shingles)):
        if same_takeaway(posts[i], posts[j], set(shingles[i]), set(shingles[j])):
            union(i, j)
    for i, j in link_pairs(posts):
        union(i, j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(posts)):
        groups[find(i)].append(i)
    return list(groups.values())


def _shingles(words: list[str]) -> array:
    """Hashes (CRC-32, so runs repeat exactly) of a text's word 3-grams, as a compact array.

    Chinese/Japanese text arrives as overlapping character pairs; 3 pairs are only 4
    characters ("しました"), common everywhere, so such text uses 5 pairs (6 characters).
    """
    words = words[:MAX_WORDS]
    width = CJK_SHINGLE if sum(map(is_cjk, words)) * 2 > len(words) else SHINGLE
    if len(words) < width:
        return array("I", [zlib.crc32(" ".join(words).encode())] if words else [])
    grams = zip(*(words[k:] for k in range(width)))
    return array("I", {zlib.crc32(" ".join(g).encode()) for g in grams})


def _candidate_pairs(shingles: Sequence[array]) -> set[tuple[int, int]]:
    """Pairs where one post has at least 40 % of its probe shingles in the other.

    A post's probes are its PROBES smallest shingle hashes (a bottom-k MinHash sketch): when
    post A lies mostly inside B, A's probes are mostly in B too, whatever B's length. Only
    probe shingles get postings, and a probe found in more than DF_CAP posts is boilerplate
    and skipped, so the work per post is bounded whatever the texts.
    """
    probes = [array("I", sorted(sh)[:PROBES]) for sh in shingles]
    wanted: set[int] = set()
    for chosen in probes:
        wanted.update(chosen)
    # How many posts hold each probe, in a fixed table (a collision only makes a probe look
    # commoner); most probes are unique to their post and need no postings at all.
    # The table grows with the probes, up to _TABLE: a few hundred posts (a talk's takeaways,
    # grouped into key points) need kilobytes, not 16 MB.
    mask = min(_TABLE, (1 << max(8, (4 * len(wanted)).bit_length())) - 1)
    df = array("I", bytes(4 * (mask + 1)))
    for sh in shingles:
        for h in wanted.intersection(sh):
            df[h & mask] += 1
    wanted = {h for h in wanted if 1 < df[h & mask] <= DF_CAP}
    del df
    postings: dict[int, list[int]] = defaultdict(list)
    for i, sh in enumerate(shingles):
        for h in wanted.intersection(sh):
            postings[h].append(i)
    pairs: set[tuple[int, int]] = set()
    for i, chosen in enumerate(probes):
        counts: Counter[int] = Counter()
        for h in chosen:
            if h in postings:
                counts.update(postings[h])
        need = max(1, math.ceil(0.4 * len(chosen)))
        pairs.update((min(i, j), max(i, j)) for j, c in counts.items() if c >= need and j != i)
    return pairs


def same_takeaway(a: Post, b: Post, sa: set[int], sb: set[int]) -> bool:
    inter = len(sa & sb)
    if not inter:
        return False
    small = min(len(sa), len(sb))
    contained = inter / small
    if same_person(a, b):
        return contained >= CONTAINED or inter / (len(sa) + len(sb) - inter) >= SAME_AUTHOR_JACCARD
    return small >= MIN_SHINGLES and contained >= CONTAINED


def same_person(a: Post, b: Post) -> bool:
    """The same author, across networks: same display name or same handle stem."""
    if a.author.handle and a.author.handle.lower() == b.author.handle.lower():
        return True
    na, nb = _name_key(a.author.name), _name_key(b.author.name)
    if na and na == nb and len(na) >= 3:
        return True
    ha, hb = _handle_stem(a.author.handle), _handle_stem(b.author.handle)
    return bool(ha) and ha == hb and len(ha) >= 3


def _name_key(name: str) -> str:
    """"Ada Lovelace 🦋", "ada lovelace (she/her)" → "adalovelace"."""
    name = re.sub(r"\([^)]*\)|\[[^]]*\]", " ", name or "")
    folded = unicodedata.normalize("NFKC", name).casefold()
    return "".join(c for c in folded if c.isalnum())


def _handle_stem(handle: str) -> str:
    """`ada@example.social` → `ada`; `ada.bsky.social` → `ada`; a custom domain `ada.dev` → `ada`."""
    handle = (handle or "").lower().lstrip("@")
    stem = handle.split("@")[0] if "@" in handle else handle.split(".")[0]
    return re.sub(r"[^a-z0-9]", "", stem)


def link_pairs(posts: Sequence[Post]) -> list[tuple[int, int]]:
    """(i, j) where post i links to post j (quote posts, shares of a collected post)."""
    by_url: dict[str, int] = {}
    for j, p in enumerate(posts):
        for url in (p.url, p.uri):
            if url and url.startswith("http"):
                by_url.setdefault(url_key(url), j)
    pairs = []
    for i, p in enumerate(posts):
        hrefs = html_links(p.html)
        for url in {url_key(u) for u in p.links + hrefs}:
            j = by_url.get(url)
            if j is not None and j != i:
                pairs.append((i, j))
    return pairs



# --- scoring ------------------------------------------------------------------------------

@functools.lru_cache(maxsize=200_000)
def _text_features(text: str) -> tuple[array, int]:
    """A text's shingles and its number of distinct words, remembered: the digest ranks the
    same posts for the front page, every talk, every day and the recap."""
    words = tokens(text[:MAX_CHARS]) if text else []
    return _shingles(words), len(set(words))


def substance(post: Post, words: list[str] | None = None) -> float:
    """0..1 from how much the post says (distinct words) and whether it points somewhere."""
    words = tokens(post.text or "") if words is None else words
    return _substance(len(set(words)), post)


def _substance(distinct: int, post: Post) -> float:
    length = min(1.0, math.log1p(distinct) / math.log1p(60))
    return min(1.0, 0.85 * length + 0.15 * min(len(post.links), 2) / 2)


def raw_engagement(post: Post) -> float:
    """Interactions, weighted by effort: a quote or repost says more than a like."""
    m = post.metrics
    return m.likes + 2 * m.reposts + 1.5 * m.replies + 3 * m.quotes


def _scale(engagement: float) -> float:
    return min(1.0, math.log1p(max(engagement, 0.0)) / math.log1p(1000))


def _confidence(post: Post) -> float:
    return min(max(post.score, 0.0), 1.0) if post.score is not None else 0.5  # unclassified: neutral


def _merged(posts: Sequence[Post], group: list[int], rich: list[float]) -> tuple[list[int], float]:
    """A group of merged posts, its representative first, and the group's score: the best
    content represents it; engagement adds up.

    The representative is chosen on confidence and substance (the full text of a cross-post,
    not its truncated copy), engagement breaking ties, then the earliest; the others follow
    by time.
    """
    def content(k: int) -> tuple:
        p = posts[k]
        return (round(W_CONFIDENCE * _confidence(p) + W_SUBSTANCE * rich[k], 4), raw_engagement(p),
                -p.created_at.timestamp())

    best = max(group, key=content)
    order = [best] + sorted((k for k in group if k != best), key=lambda k: (posts[k].created_at, posts[k].id))
    total = sum(raw_engagement(posts[k]) for k in group)
    score = (W_CONFIDENCE * max(_confidence(posts[k]) for k in group) + W_SUBSTANCE * max(rich[k] for k in group)
             + W_ENGAGEMENT * _scale(total))
    return order, round(score, 4)
