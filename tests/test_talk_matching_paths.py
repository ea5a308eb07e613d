"""The talk matcher's fast paths give what the plain algorithm gives.

Matching was made faster without changing any result (`benchmarks/talk_equality.py` checks
every post of every labelled set and the speed benchmark). These tests keep the shortcuts
honest against the general code they stand in for: words of ASCII and accented text
(`tokens`), the BM25 ranking of talks (`TalkWords.score`) against a direct sum over each
talk's word weights, names that many speakers share a word of ("Maria ... Fernandes"), the
stems of a post's words in one regex pass (`stems`), the cognate key without a regex template,
the tests that skip whole scans (no other script before U+0370 for `name_keys`, no profile URL
without what its patterns need for `find_handles`), and what the matcher remembers between
posts (cognates, first names) against a fresh matcher.
"""

import re
from datetime import datetime, timedelta, timezone

from hypothesis import given, settings, strategies as st

from backchannel.models import Author, Post
from backchannel.talks.distinct_words import TalkWords
from backchannel.talks.matcher import Matcher, _cognate_key
from backchannel.talks.programme import Talk
from backchannel.talks.reading import _BSKY_URL, _FEDI_URL, _PROFILE_PART
from backchannel.talks.scripts import _RUNS
from backchannel.words import _WORD, fold, split_hashtags, split_words, stem, stems, tokens

_URL = re.compile(r"https?://\S+", re.I)
_MENTION = re.compile(r"(?<![\w/])@[\w.-]+(?:@[\w.-]+)?")


def reference_tokens(text: str) -> list[str]:
    """`tokens` without its shortcuts: every word through the general loop."""
    return split_words(_WORD.findall(fold(split_hashtags(_MENTION.sub(" ", _URL.sub(" ", text))))))


ASCII = st.text(st.characters(min_codepoint=0, max_codepoint=127), max_size=60)
MIXED = st.text(st.sampled_from(list("abcXYZ09_ '’#@:/.-\t\x1céüßçİıΣσЖж½ﬁ①Å\u0301検索エン토크에서")),
                max_size=40)


@settings(max_examples=300, deadline=None)
@given(st.one_of(ASCII, MIXED))
def test_tokens_equal_the_general_loop(text):
    assert tokens(text) == reference_tokens(text)


def test_tokens_of_every_ascii_punctuation_and_control_character():
    text = "".join(chr(c) for c in range(128)) + " Vector_Search 2026 it's l'archive #SmallWeb"
    assert tokens(text) == reference_tokens(text)
    assert tokens("re:Invent — the k8s/WASM talk, 10:45!") == ["re", "invent", "the", "k8s", "wasm", "talk", "10", "45"]


T0 = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)


def talk(n: int, title: str, abstract: str = "", speakers: list[str] | None = None) -> Talk:
    start = T0 + timedelta(hours=n)
    return Talk(id=f"t{n}", title=title, start=start, end=start + timedelta(minutes=45), room=f"Room {n % 3}",
                speakers=speakers or [], abstract=abstract)


TITLES = ["Vector search at scale", "Small web publishing", "Feature flags in practice", "Kelp forest sensors",
          "Search relevance for archives", "Flags, toggles and rollouts", "Sensors on a budget",
          "Publishing scientific data", "Archives of the small web", "Rollouts without fear"]


def reference_score(index: TalkWords, post_words: set[str], least: float, top: int = 5) -> dict[str, float]:
    """Each talk's summed word weights, word by word in order; the best `top` (ties: first found)
    scoring at least `least`."""
    totals: dict[str, float] = {}
    for w in sorted(post_words):
        for tid, worth in index.worth.items():
            if w in worth:
                totals[tid] = totals.get(tid, 0.0) + worth[w]
    ranked = sorted(totals.items(), key=lambda item: item[1], reverse=True)[:top]
    return {tid: total for tid, total in ranked if total >= least}


def test_score_ranks_as_the_direct_sum():
    talks = [talk(i, t, f"{t.lower()} with kelp, archives, rollouts and vectors") for i, t in enumerate(TITLES)]
    index = TalkWords(talks)
    vocabulary = sorted({w for worth in index.worth.values() for w in worth})
    assert len(vocabulary) > 10
    for i in range(len(vocabulary)):
        post_words = set(vocabulary[i:i + 1 + i % 7]) | {"unrelated"}
        got = index.score(post_words, least=0.5)
        assert {tid: s for tid, (s, _, _) in got.items()} == reference_score(index, post_words, 0.5)
        for tid, (_, matched, in_title) in got.items():
            worth = index.worth[tid]
            assert matched == sorted(sorted(post_words & worth.keys()), key=worth.__getitem__, reverse=True)
            assert in_title == (set(matched) <= index.titles[tid])


def test_names_that_many_speakers_share_a_word_of():
    # Twelve speakers share "Fernandes" (the longest word of each name, so one list holds them all).
    firsts = ["Ana", "Rui", "Eva", "Ines", "Joao", "Luis", "Rita", "Tiago", "Sara", "Nuno", "Vera", "Hugo"]
    talks = [talk(i, f"Talk number {i}", speakers=[f"{first} Fernandes"]) for i, first in enumerate(firsts)]
    matcher = Matcher(talks, "UTC")
    when = T0 - timedelta(days=1)

    def names(text: str) -> dict[str, list[str]]:
        p = Post(id=text, source="mastodon", text=text, created_at=when, author=Author("kim@example.net", "Kim"))
        return {c.talk.id: [e.detail for e in c.evidence if e.kind == "name"] for c in matcher.candidates(p)
                if any(e.kind == "name" for e in c.evidence)}

    assert names("Looking forward to Vera Fernandes tomorrow") == {"t10": ["Vera Fernandes"]}
    # (the day before: a post names the talks' day, or they are no candidates yet)
    assert names("Hugo Fernandes and Ana Fernandes tomorrow, both!") == {"t0": ["Ana Fernandes"],
                                                                         "t11": ["Hugo Fernandes"]}
    assert names("the Fernandes family") == {}


@settings(max_examples=200, deadline=None)
@given(st.one_of(ASCII, MIXED, st.lists(st.sampled_from(["bus", "buses", "class", "classes", "talks", "s", "ss",
                                                           "kelps", "sss", "ssss", "naïves", "検索s"]),
                                        max_size=8).map(" ".join)))
def test_stems_of_joined_words_equal_stem_of_each(text):
    toks = tokens(text)
    assert stems(" " + " ".join(toks) + " ") == [stem(t) for t in toks]


def reference_cognate_key(word: str) -> str:
    """`_cognate_key` as first written: every replacement on the whole word."""
    if not (word.isalpha() and word.isascii()):
        return ""
    word = word.replace("ph", "f").replace("th", "t").replace("y", "i").replace("k", "c")
    return re.sub(r"(.)\1", r"\1", word)[:6]


@settings(max_examples=250, deadline=None)
@given(st.lists(st.sampled_from(["a", "b", "c", "k", "kk", "y", "yy", "ph", "th", "t", "h", "p", "ss", "e", "ee",
                                 "é", "1"]), max_size=14).map("".join))
def test_cognate_key_equals_the_plain_replacements(word):
    assert _cognate_key(word) == reference_cognate_key(word)


@settings(max_examples=200, deadline=None)
@given(st.text(st.sampled_from(list("abcé ñüßİıſΑαЖжアイー한국\u036f\u0370\u03ff\u0400")), max_size=30))
def test_text_below_greek_has_no_run_of_another_script(text):
    # `name_keys` skips a text whose characters all come before U+0370: none of its runs can be there.
    if text and max(text) < "\u0370":
        assert _RUNS.search(text) is None


@settings(max_examples=250, deadline=None)
@given(st.lists(st.sampled_from(["https://", "http://", "host.example", "bsky.app", "BSKY.APP", "/profile/",
                                 "/PROFİLE/", "/profıle/", "/users/", "/uſers/", "/USERS/", "/@", "/", "@", "ada",
                                 "ada.bsky.social", "."]), max_size=8).map("".join))
def test_profile_patterns_need_what_find_handles_looks_for(value):
    # `find_handles` runs the profile-URL patterns only where `_PROFILE_PART` finds something.
    if _FEDI_URL.search(value) or _BSKY_URL.search(value):
        assert "://" in value and _PROFILE_PART.search(value)


def test_remembered_cognates_and_first_names_give_what_a_fresh_matcher_gives():
    # The matcher remembers which words have a cognate among the talks' words and which have none;
    # a post's candidates must not depend on what it saw before.
    talks = [talk(0, "Accessibility audits", "accessibility of every station, electricity and signage"),
             talk(1, "Electric buses", "electrification of depots", speakers=["Jorge Ramírez"]),
             talk(2, "Kelp forest sensors", "underwater sensors", speakers=["Ana Souza"])]
    texts = ["Auditoría de accesibilidad estación por estación", "los autobuses eléctricos de Jorge",
             "accessibility and electricity", "Ana: los sensores submarinos", "accesibilidad otra vez, Jorge",
             "nothing about any talk"]
    when = T0 + timedelta(minutes=20)

    def post(text: str) -> Post:
        return Post(id=text, source="mastodon", text=text, created_at=when, author=Author("kim@example.net", "Kim"))

    def seen(matcher: Matcher, text: str) -> list:
        return [(c.talk.id, c.score, [(e.kind, e.weight, e.detail) for e in c.evidence])
                for c in matcher.candidates(post(text))]

    warm = Matcher(talks, "UTC")
    for _ in range(2):
        for text in texts:
            assert seen(warm, text) == seen(Matcher(talks, "UTC"), text)
    assert any(kind in ("title", "words") for _, _, ev in seen(warm, texts[0]) for kind, _, _ in ev)  # a cognate
