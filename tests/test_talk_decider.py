"""The learned decision over the matcher's candidates (`backchannel/talks/decide.py`).

It is measured against the hand-set rules leave-one-programme-out by
`benchmarks/talk_decider.py` (README, Talks); `Matcher.match` does not use it. Here: the
shipped weights are what the training script makes of the labelled sets, and a decision
attaches what clearly names one talk, leaves alone what names two or nothing, and says why.
"""

import importlib.util
import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest

from backchannel.models import Author, Post
from backchannel.talks.decide import FEATURES, MODEL_FILE, Decider, decide, features
from backchannel.talks.matcher import Matcher
from backchannel.talks.programme import Talk

ROOT = Path(__file__).resolve().parents[1]
T0 = datetime(2026, 5, 4, 8, 0, tzinfo=timezone.utc)


def _talk(tid: str, hours: float, room: str, title: str, abstract: str, speaker: str, handle: str) -> Talk:
    start = T0 + timedelta(hours=hours)
    return Talk(id=tid, title=title, start=start, end=start + timedelta(minutes=45), room=room, speakers=[speaker],
                speaker_handles=[handle], abstract=abstract, hashtag=tid)


TALKS = [
    _talk("pgrepl", 2, "Hall A", "Postgres replication in practice",
          "Logical decoding, failover with Patroni, and the WAL archive nobody tested.", "Ines Moreau",
          "ines@db.example"),
    _talk("tokens", 2, "Hall B", "Design tokens for teams",
          "How design tokens drift between Figma files and component code.", "Tomasz Wolski",
          "twolski@social.example"),
    _talk("rustfw", 5, "Hall A", "Rust for embedded firmware",
          "Interrupt latency, no_std crates and probe-rs debugging on a microcontroller.", "Kai Lindgren",
          "kai@fosstodon.example"),
]


def post(minutes: int, text: str, **kw) -> Post:
    return Post(id=f"p{minutes}{len(text)}", source="mastodon", text=text, created_at=T0 + timedelta(minutes=minutes),
                author=Author("kim@example.net", "Kim"), url=kw.pop("url", None), **kw)


@pytest.fixture(scope="module")
def decider():
    return Decider.load()


@pytest.fixture
def matcher():
    return Matcher(TALKS, "Europe/Berlin")


def test_the_training_script_reproduces_the_shipped_weights():
    spec = importlib.util.spec_from_file_location("train_talk_decider", ROOT / "scripts" / "train_talk_decider.py")
    trainer = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(trainer)
    shipped = json.loads((ROOT / "backchannel" / "talks" / MODEL_FILE).read_text(encoding="utf-8"))
    assert shipped["trained_on"] == trainer.set_names() == ["dev", "heldout", "heldout2", "heldout3", "heldout4",
                                                            "heldout5"]
    # After a change to the evidence, run `python scripts/train_talk_decider.py` and commit the JSON.
    assert trainer.train(trainer.set_names()) == shipped


def test_a_post_naming_one_talk_is_attached_and_says_why(matcher, decider):
    p = post(140, "Patroni failover demo worked the first time #pgrepl", tags=["pgrepl"],
             url="https://example.net/@kim/1")
    talk, reason = decide(matcher, decider, p)
    assert talk == "pgrepl"
    assert reason.startswith("uses #pgrepl, the hashtag of 'Postgres replication in practice'")
    probability = float(reason.rsplit("decision ", 1)[1].rstrip(")"))
    assert 0.5 <= probability <= 1.0
    # A reply to it is about the same talk: the decision remembers what it attached, as `match` does.
    reply = post(150, "Same here, first try", reply_to="https://example.net/@kim/1")
    assert decide(matcher, decider, reply)[0] == "pgrepl"


def test_posts_naming_nothing_or_two_talks_stay_unattached(matcher, decider):
    assert decide(matcher, decider, post(600, "Lunch was great, coffee less so")) == (None, None)
    both = post(130, "Torn between #pgrepl and #tokens, can't decide", tags=["pgrepl", "tokens"])
    assert len(matcher.candidates(both)) == 2
    assert decide(matcher, decider, both) == (None, None)


def test_features_are_generic_and_sparse(matcher):
    p = post(140, "Patroni failover demo worked the first time, impressive?")
    rows = features(matcher.candidates(p), p)
    assert rows and all(set(row) <= set(range(len(FEATURES))) and all(row.values()) for row in rows)
    assert rows[0][FEATURES.index("rank0")] == 1.0 and rows[0][FEATURES.index("question")] == 1.0
    # `choose` searches the text only when that could change the answer: the same answer.
    decider = Decider.load()
    for q in (p, post(140, "Patroni failover or design tokens? can't decide"), post(125, "ok, here we go")):
        rows = features(matcher.candidates(q), q)
        probs = [decider.probability(row) for row in rows]
        best = max(range(len(probs)), key=lambda i: (probs[i], -i))
        pick, probability = decider.choose(matcher.candidates(q), q)
        assert pick == (best if probs[best] >= 0.5 else None)
        assert probability == probs[best] if pick is not None else probability >= probs[best]
    # Nothing in a feature's name comes from a set: evidence kinds, scores, ranks, the post's shape.
    assert all(name.startswith("ev:") or name.isidentifier() for name in FEATURES)


def test_a_model_with_an_unknown_feature_is_refused(tmp_path):
    path = tmp_path / "model.json"
    path.write_text(json.dumps({"weights": {"ev:hashtag": 1.0, "word:keynote": 2.0}, "bias": -1.0}))
    with pytest.raises(ValueError, match="unknown features word:keynote"):
        Decider.load(path)
