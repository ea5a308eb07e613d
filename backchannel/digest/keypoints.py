"""Key points: the distinct points a set of takeaways makes, each with the people behind it.

    for point in key_points(talk_takeaways):
        print(point.support, point.item.text, [p.id for p in point.members])

Takeaways that make the same point become one `Point`, in two steps:

1. **Near-duplicates** are merged first, by the ranking's rule (`ranking.same_takeaway` and
   `ranking.link_pairs`, the one implementation of it): cross-posts of one person, echoes
   and quotes, posts linking to another.
2. **Paraphrases** are then grouped by average-linkage clustering on the similarity of what
   the posts say. A post is described by weighted features: its content words and names
   (folded, cut to 4 letters so "infiltration", "infiltración" and "infiltração" meet), its
   numbers read the way each language writes them ("1.200" in Dutch is 1,200, "1,5" in
   French is 1.5; a number keeps its unit: "30%" is not "30 minutes") and the links it
   carries. Weights are inverse document frequencies within the set, so
   the talk's own subject ("cover crops" in a cover-crop talk) counts for little and a rare
   shared number, name or link counts for much: this is how posts in different languages
   meet. Two groups join while their average cosine similarity is at least `THRESHOLD`.

A point's **support** is the number of distinct people who made it (one person's cross-posts
count once); its representative (the "clearest post") is the member closest to the others,
favouring complete, mid-length wording over a fragment or a long blog paragraph. Points
are ordered by support, then by substance (the representative's content and the points'
summed engagement).

Offline and dependency-free: plain dictionaries; candidate pairs come from an inverted index
of each post's rarest features, so a set of n posts costs about n × (posts sharing a rare
feature), not n².
"""

from __future__ import annotations

import heapq
import math
import re
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Callable, Generic, Sequence, TypeVar

from backchannel.models import Post
from backchannel.digest.ranking import (_confidence, _handle_stem, _name_key, _substance, _text_features, link_pairs, raw_engagement,
                      same_takeaway)
from backchannel.words import STOP, fold, is_cjk, tokens

THRESHOLD = 0.05  # average cosine similarity at which two groups are one point
PREFIX = 4  # letters of a word kept, so inflections and cognates meet
PROBES = 6  # features (the rarest) each post finds its candidate partners with
MAX_POSTING = 30  # posts holding a feature that a post looks at (bounds the cost per post)
NEIGHBOURS = 12  # partners each post keeps for the clustering
NEAR_DUPLICATE_HINT = 0.3  # pairs at least this similar are checked for being near-duplicates
MIN_SIMILARITY = 0.02  # weaker pairs count as unrelated (keeps the clustering small)
W_WORD, W_NUMBER, W_LINK = 1.0, 1.5, 1.5  # the weight of each kind of feature, before IDF
MAX_KNOWN = 200_000  # words (and texts' word counts) remembered
MAX_CHARS = 1000  # of a long post (a blog recap), read no further: its gist comes first

_NUMBER = re.compile(r"(?<![\w.,])(\d{1,3}(?:[.,\u202f\u00a0 ]\d{3})+|\d+(?:[.,]\d+)?)\s*(%|‰|[^\W\d_]+)?")
_URL = re.compile(r"https?://[^\s<>\"')\]]+", re.I)
_DIGIT = re.compile(r"\d")
_MORE_STOP = frozenset("""
said says she her his him he its one two first last every also only really very much many
talk slide slides point points key takeaway takeaways idea ideas lesson lessons
dit het ze zij hij wel geen heel nog elle il ils elles ont mais tres tout tous sehr sie er
auch ein kein muy pero ella ele ela muito mais isso esta este esto
""".split())
_UNITS = {"percent": "%", "procent": "%", "prozent": "%", "por": "%", "pour": "%", "pct": "%"}
_WORD_NUMBERS = {"half": "50%", "third": "33%", "quarter": "25%", "helft": "50%", "moitie": "50%",
                 "mitad": "50%", "metade": "50%", "halfte": "50%", "tiers": "33%", "tercio": "33%",
                 "terco": "33%", "drittel": "33%", "derde": "33%"}


T = TypeVar("T")


@dataclass(frozen=True)
class Point(Generic[T]):
    """One distinct point: its clearest post (`item`) and every post that makes it.

    `key_points` groups Posts, or anything a `key` function maps to its Post (the digest
    groups its `Item`s, so a point holds the Items to show)."""

    item: T  # the clearest wording
    members: tuple[T, ...] = ()  # the clearest first, then by time
    support: int = 0  # distinct people who made the point
    score: float = 0.0

    @property
    def similar(self) -> tuple[T, ...]:
        """The other posts making the point ("also made by")."""
        return self.members[1:]


Groups = list[tuple[list[int], dict[int, float]]]


def key_points(entries: Sequence[T], limit: int | None = None, context: str = "",
               groups: Groups | None = None, *, key: Callable[[T], Post] | None = None) -> list[Point[T]]:
    """Group `entries` (takeaways) into points, most supported and substantial first.

    `entries` are Posts, or records `key` maps to their Post (as `sorted(key=...)` does).
    `context` is text every post may name without making a point by it: the talk's title
    and speakers. `groups` is `group_points(posts, context)` worked out before (a build
    keeps it while the posts' texts stay the same); likes may have changed since, so the
    clearest post and the order are worked out again."""
    entries = list(entries)
    if not entries:
        return []
    posts: list[Post] = [key(e) for e in entries] if key else entries  # type: ignore[misc]
    if groups is None:
        groups = group_points(posts, context)
    found = [_point(posts, g, sims) for g, sims in groups]
    found.sort(key=lambda f: (-f[1], -f[2], posts[f[0][0]].created_at, posts[f[0][0]].id))
    points = [Point(entries[order[0]], tuple(entries[k] for k in order), support, score)
              for order, support, score in found]
    return points[:limit] if limit is not None else points


def group_points(posts: Sequence[Post], context: str = "") -> Groups:
    """Indices of `posts` that make the same point, each group with every member's average
    similarity to the others (its centrality)."""
    vectors = _vectors(posts, set(features(context)) if context else set())
    sims = _pair_similarities(vectors)
    clusters = _average_linkage(_near_duplicates(posts, sims), sims)
    owner = {i: c for c, members in enumerate(clusters) for i in members}
    total = [0.0] * len(posts)
    for (i, j), s in sims.items():
        if owner[i] == owner[j]:
            total[i] += s
            total[j] += s
    out = []
    for members in clusters:
        members = sorted(members)
        out.append((members, {i: total[i] / max(1, len(members) - 1) for i in members}))
    return out


# --- features -------------------------------------------------------------------------------

def features(text: str, links: Sequence[str] = ()) -> dict[str, float]:
    """What a post says, as weighted features (before IDF): words, numbers, links."""
    text = text[:MAX_CHARS]
    found: dict[str, float] = {}
    linked = "://" in text
    for url in list(links) + (_URL.findall(text) if linked else []):
        found["l:" + _url_key(url)] = W_LINK
    if _DIGIT.search(text):
        for number in numbers(text):
            found["n:" + number] = W_NUMBER
    words = tokens(_URL.sub(" ", text) if linked else text)
    for w in dict.fromkeys(words):
        got = _WORDS.get(w)
        found.update(_word(w) if got is None else got)
    if len(_DISTINCT) > MAX_KNOWN:
        _DISTINCT.clear()
    _DISTINCT[text] = len(set(words))
    return found


_WORDS: dict[str, tuple[tuple[str, float], ...]] = {}  # a word's features, read once
_DISTINCT: dict[str, int] = {}  # a text's number of distinct words, as `features` last read it


def _word(w: str) -> tuple[tuple[str, float], ...]:
    """A word's features: its first PREFIX letters (CJK pairs whole), and the share a word
    like "half" stands for."""
    if len(_WORDS) > MAX_KNOWN:
        _WORDS.clear()
    if w in STOP or w in _MORE_STOP or w.isdigit():
        got: tuple[tuple[str, float], ...] = ()
    elif not w.isascii() and is_cjk(w):
        got = (("w:" + w, W_WORD),)
    elif len(w) <= 2:
        got = ()
    elif w in _WORD_NUMBERS:
        got = (("w:" + w[:PREFIX], W_WORD), ("n:" + _WORD_NUMBERS[w], W_NUMBER))
    else:
        got = (("w:" + w[:PREFIX], W_WORD),)
    _WORDS[w] = got
    return got


def distinct_words(text: str) -> int:
    """How many distinct words the first MAX_CHARS of `text` has (what the point's substance
    counts), remembered from reading its features."""
    text = text[:MAX_CHARS]
    found = _DISTINCT.get(text)
    return len(set(tokens(text))) if found is None else found


def numbers(text: str) -> list[str]:
    """Numbers with their unit, written one way: "1.200 flags" and "1,200 flags" → "1200flag",
    "30 %" → "30%", "1,5" → "1.5"."""
    out = []
    for m in _NUMBER.finditer(fold(text)):
        raw, unit = m.group(1), (m.group(2) or "")
        digits = re.sub(r"[.,\u202f\u00a0 ]", "", raw) if re.fullmatch(
            r"\d{1,3}(?:[.,\u202f\u00a0 ]\d{3})+", raw) else raw.replace(",", ".")
        unit = _UNITS.get(unit, unit)
        if unit and unit not in "%‰":
            unit = "" if unit in STOP or len(unit) < 2 else unit[:4]
        out.append(digits.rstrip(".") + unit)
    return out


def _url_key(url: str) -> str:
    return url.split("://", 1)[-1].split("#")[0].split("?")[0].rstrip("/.,;").lower()


def _vectors(posts: Sequence[Post], ignore: set[str]) -> list[dict[str, float]]:
    raw = [features(p.text or "", p.links) for p in posts]
    df: Counter[str] = Counter()
    for f in raw:
        df.update(f.keys())
    n = len(posts)
    idf = {k: math.log((n + 1) / c) for k, c in df.items() if k not in ignore}
    vectors = []
    for f in raw:
        v = {k: w * idf[k] for k, w in f.items() if k in idf}
        norm = math.sqrt(sum([x * x for x in v.values()])) or 1.0
        # What only this post says counts in its length, but can match nothing: left out.
        vectors.append({k: x / norm for k, x in v.items() if df[k] > 1})
    return vectors


def _pair_similarities(vectors: list[dict[str, float]]) -> dict[tuple[int, int], float]:
    """Cosine similarity between each post and its NEIGHBOURS likeliest partners.

    A post looks for partners through its PROBES rarest features (a point's posts share at
    least one rare word, number or link), among the first MAX_POSTING posts holding each;
    the partners scoring best on those features are compared in full. The clustering needs no more than the nearest partners,
    and a large set would otherwise carry millions of weak pairs.
    """
    postings: dict[str, list[tuple[int, float]]] = defaultdict(list)
    for i, v in enumerate(vectors):
        for k, x in v.items():
            postings[k].append((i, x))
    cap = MAX_POSTING
    df = {k: len(held) for k, held in postings.items()}
    sims: dict[tuple[int, int], float] = {}
    for i, v in enumerate(vectors):
        partial: dict[int, float] = defaultdict(float)
        probes = sorted(v, key=df.__getitem__)[:PROBES] if len(v) > PROBES else v
        for k in probes:
            x = v[k]
            for j, y in postings[k][:cap]:
                partial[j] += x * y
        partial.pop(i, None)
        # (sorted()[:n] is what heapq.nlargest does, in C)
        best = sorted(partial, key=partial.__getitem__, reverse=True)[:NEIGHBOURS] if len(partial) > NEIGHBOURS \
            else partial
        for j in best:
            pair = (i, j) if i < j else (j, i)
            if pair not in sims:
                w = vectors[j]
                s = sum([v[k] * w[k] for k in v.keys() & w.keys()])
                if s >= MIN_SIMILARITY:
                    sims[pair] = s
    return sims


def _near_duplicates(posts: Sequence[Post], sims: dict[tuple[int, int], float]) -> list[list[int]]:
    """Groups of posts the ranking would merge (`ranking.same_takeaway`: cross-posts, echoes,
    quotes; `ranking.link_pairs`: a post linking to another), looked for among the pairs
    that share features: they are always one point."""
    parent = list(range(len(posts)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    pairs = list(link_pairs(posts))
    for (i, j), s in sims.items():
        if s >= NEAR_DUPLICATE_HINT:
            a, b = set(_text_features(posts[i].text or "")[0]), set(_text_features(posts[j].text or "")[0])
            if same_takeaway(posts[i], posts[j], a, b):
                pairs.append((i, j))
    for i, j in pairs:
        a, b = find(i), find(j)
        if a != b:
            parent[max(a, b)] = min(a, b)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(len(posts)):
        groups[find(i)].append(i)
    return list(groups.values())


# --- clustering -----------------------------------------------------------------------------

def _average_linkage(seeds: list[list[int]], sims: dict[tuple[int, int], float]) -> list[list[int]]:
    """Join the two groups of highest average similarity while it is ≥ THRESHOLD.

    The heap holds, for every pair of groups at THRESHOLD or above, an entry at least as high
    as their average: when a group grows, its averages with the groups that added nothing
    to it only fall, so their entries stay and are lowered when they come up (a lazy
    decrease); only the pairs whose sum grew are entered again. A popped entry that is still
    exact is the highest pair, as in the textbook algorithm, at a fraction of the work when
    one group grows large."""
    owner = {i: g for g, seed in enumerate(seeds) for i in seed}
    members = {g: list(seed) for g, seed in enumerate(seeds)}
    size = [len(seed) for seed in seeds]
    between: dict[int, dict[int, float]] = defaultdict(dict)  # summed similarity between groups
    for (i, j), s in sims.items():
        a, b = owner[i], owner[j]
        if a != b:
            between[a][b] = between[a].get(b, 0.0) + s
            between[b][a] = between[b].get(a, 0.0) + s
    heap = []
    for a, row in between.items():
        for b, total in row.items():
            if a < b and total / (size[a] * size[b]) >= THRESHOLD:
                heap.append((-total / (size[a] * size[b]), a, b))
    heapq.heapify(heap)
    while heap:
        neg, a, b = heapq.heappop(heap)
        if -neg < THRESHOLD:
            break
        if a not in members or b not in members or b not in between[a]:
            continue
        current = between[a][b] / (size[a] * size[b])
        if current < -neg - 1e-12:  # fallen since it was entered: enter it again as it is now
            if current >= THRESHOLD:
                heapq.heappush(heap, (-current, a, b))
            continue
        if current > -neg + 1e-12:
            continue  # risen since: its newer entry is the one to take
        if len(between[a]) < len(between[b]):
            a, b = b, a  # the group with more neighbours takes the other in: less to move
        members[a] += members.pop(b)
        size[a] += size[b]
        row_a, row_b = between[a], between.pop(b)
        del row_a[b]
        row_b.pop(a, None)
        for c, total in row_b.items():
            row_a[c] = row_a.get(c, 0.0) + total
            row_c = between[c]
            del row_c[b]
            row_c[a] = row_a[c]
            average = row_a[c] / (size[a] * size[c])
            if average >= THRESHOLD:
                heapq.heappush(heap, (-average, min(a, c), max(a, c)))
    return list(members.values())


# --- the point --------------------------------------------------------------------------------

def _point(posts: Sequence[Post], group: list[int], central: dict[int, float]) -> tuple[list[int], int, float]:
    """A group's members (indices into `posts`), the clearest first, then by time; how many
    people made the point; and its score."""
    rich = {k: _substance(distinct_words(posts[k].text or ""), posts[k]) for k in group}

    def clarity(k: int) -> tuple:
        p = posts[k]
        length = len(p.text or "")
        fit = 1.0 if 60 <= length <= 320 else 0.6 if length < 60 else max(0.3, 320 / length)
        return (round(central[k] + 0.3 * fit + 0.2 * _confidence(p) + 0.1 * rich[k], 4),
                raw_engagement(p), -p.created_at.timestamp())

    best = max(group, key=clarity)
    order = [best] + sorted((k for k in group if k != best), key=lambda k: (posts[k].created_at, posts[k].id))
    engagement = sum(raw_engagement(posts[k]) for k in group)
    score = (0.5 * _confidence(posts[best]) + 0.3 * rich[best]
             + 0.2 * min(1.0, math.log1p(engagement) / math.log1p(1000)))
    return order, people([posts[k] for k in group]), round(score, 4)


def people(posts: Sequence[Post]) -> int:
    """How many people wrote `posts`: one person's posts on two networks count once (the
    same handle, display name or handle stem, as `ranking.same_person` tells)."""
    seen: set[str] = set()
    count = 0
    for p in posts:
        a = p.author
        keys = {"h:" + a.handle.lower()} if a.handle else set()
        name, stem = _name_key(a.name), _handle_stem(a.handle)
        if len(name) >= 3:
            keys.add("n:" + name)
        if len(stem) >= 3:
            keys.add("s:" + stem)
        if not keys & seen:
            count += 1
        seen |= keys
    return count
