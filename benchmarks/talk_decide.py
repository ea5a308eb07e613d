"""A learned decision over the matcher's candidates: which talk, or none.

The matcher (`matcher.Matcher`) gathers evidence per talk and decides by hand-set rules
(a threshold, a margin, the two-talks and roundup rules). This module describes each of the
best few candidates by generic figures only — the summed weight of each kind of evidence,
its score, rank and gap to the others, how many talks were running, whether the post is a
reply, a repost or a question, how long it is — never words, talk ids or languages, and a
logistic model (weights in `talk_decider.json`, trained by `benchmarks/train_talk_decider.py`)
gives each the probability that it is the post's talk. The most likely one is attached when
that probability is at least one half; otherwise the post belongs to no talk.

    decider = Decider.load()
    pick, probability = decider.choose(matcher.candidates(post), post)

A benchmark, not part of the package: it did not beat the rules on programmes no one had
tuned on (README, Talks). Pure Python, and not cheap: about a fifth of what gathering the evidence costs against a
200-talk programme (`python benchmarks/talk_decider.py --speed 10000`), which is one reason
`Matcher.match` does not use it (README, Talks).
"""

from __future__ import annotations

import json
import math
from pathlib import Path

from backchannel.models import Post
from backchannel.talks.matcher import (_CHOICE, _ORDER, DOMINANT, MARGIN, MAX_REMEMBERED, NOW_KINDS, STRONG_KINDS,
                                       THRESHOLD, Candidate, Matcher, _by_its_speaker, _full_title, _is_list,
                                       _running_and_louder)

TOP = 3  # candidates weighed, best first by the matcher's score
MODEL_FILE = "talk_decider.json"
LENGTHS = (80, 280)  # characters: a post shorter than the first is short, than the second medium

# Every feature's name. Per candidate: the summed weight of each kind of evidence (`ev:hashtag`, ...);
# its score, what the post says of it, its timing; its gap to the next and to the best; what the
# post says of the others; its rank; the rules' own marks (above the threshold, the margin,
# dominant); the tie-breaking tests of the rules against the best other candidate. Per post: how
# many candidates and running talks, a choice or a list in it, reply, repost, question, length.
FEATURES = tuple([f"ev:{k}" for k in _ORDER] + [
    "score", "says", "timing", "log_score", "log_says", "gap_next", "gap_best", "says_other",
    "rank0", "rank1", "rank2", "above", "margin", "dominant", "referenced", "strong", "louder", "by_speaker",
    "full_title", "candidates", "running", "choice", "list", "reply", "repost", "question", "short", "medium",
    "long"])
_INDEX = {name: i for i, name in enumerate(FEATURES)}
_EV = {k: _INDEX[f"ev:{k}"] for k in _ORDER}


def features(ranked: list[Candidate], post: Post) -> list[dict[int, float]]:
    """The features of the best `TOP` candidates, each a sparse {feature index: value}."""
    said = _text_features(post.text or "")
    return [{**row, **said} for row in _rows(ranked, post)]


def _text_features(text: str) -> dict[int, float]:
    """What only a search of the whole text tells (the same for every candidate of the post)."""
    found = {}
    if _CHOICE.search(text):
        found[_INDEX["choice"]] = 1.0
    if _is_list(text):
        found[_INDEX["list"]] = 1.0
    return found


TEXT_FEATURES = (_INDEX["choice"], _INDEX["list"])


def _rows(ranked: list[Candidate], post: Post) -> list[dict[int, float]]:
    """`features` but for `_text_features`."""
    top = ranked[:TOP]
    text = post.text or ""
    running = sum(1 for c in ranked if any(e.kind in NOW_KINDS for e in c.evidence))
    common: dict[int, float] = {_INDEX["candidates"]: float(min(len(ranked), 6)), _INDEX["running"]: float(running)}
    if post.reply_to:
        common[_INDEX["reply"]] = 1.0
    if post.is_repost:
        common[_INDEX["repost"]] = 1.0
    if post.kind == "question" or "?" in text:
        common[_INDEX["question"]] = 1.0
    size = len(text)
    common[_INDEX["short" if size < LENGTHS[0] else "medium" if size < LENGTHS[1] else "long"]] = 1.0
    scores = [c.score for c in top]
    says = [c.says() for c in top]
    out = []
    for i, cand in enumerate(top):
        row = dict(common)
        for e in cand.evidence:
            j = _EV[e.kind]
            row[j] = row.get(j, 0.0) + e.weight
        others = [c for k, c in enumerate(top) if k != i]
        other = others[0] if others else None
        nxt = scores[i + 1] if i + 1 < len(scores) else 0.0
        row[_INDEX["score"]] = scores[i]
        row[_INDEX["says"]] = says[i]
        row[_INDEX["timing"]] = scores[i] - says[i]
        row[_INDEX["gap_next"]] = scores[i] - nxt
        row[_INDEX["gap_best"]] = scores[0] - scores[i]
        row[_INDEX["log_score"]] = math.log1p(max(scores[i], 0.0))
        row[_INDEX["log_says"]] = math.log1p(max(says[i], 0.0))
        if scores[i] >= THRESHOLD:
            row[_INDEX["above"]] = 1.0
        if scores[i] - nxt >= MARGIN:
            row[_INDEX["margin"]] = 1.0
        if scores[i] >= DOMINANT * max(nxt, 0.0) and i == 0:
            row[_INDEX["dominant"]] = 1.0
        row[_INDEX["says_other"]] = max((s for k, s in enumerate(says) if k != i), default=0.0)
        row[_INDEX[f"rank{i}"]] = 1.0
        if cand.referenced:
            row[_INDEX["referenced"]] = 1.0
        if any(e.kind in STRONG_KINDS for e in cand.evidence):
            row[_INDEX["strong"]] = 1.0
        if other is not None:
            if _running_and_louder(cand, other):
                row[_INDEX["louder"]] = 1.0
            if _by_its_speaker(cand, other):
                row[_INDEX["by_speaker"]] = 1.0
            if _full_title(cand, other):
                row[_INDEX["full_title"]] = 1.0
        out.append({k: v for k, v in row.items() if v})
    return out


class Decider:
    """A logistic model over the candidates' features (`features`)."""

    def __init__(self, weights: dict[str, float], bias: float, threshold: float = 0.5):
        unknown = sorted(set(weights) - set(FEATURES))
        if unknown:
            raise ValueError(f"talk decider: unknown features {', '.join(unknown)}")
        self.weights = [weights.get(name, 0.0) for name in FEATURES]
        self.bias, self.threshold = bias, threshold

    @classmethod
    def load(cls, path: Path | None = None) -> "Decider":
        """The model `train_talk_decider.py` wrote next to this file, or the one at `path`."""
        data = _model(path)
        return cls(data["weights"], data["bias"], data.get("threshold", 0.5))

    @staticmethod
    def trained_on(path: Path | None = None) -> list[str]:
        """The labelled sets the model was trained on."""
        return list(_model(path).get("trained_on", []))

    def probability(self, row: dict[int, float]) -> float:
        return _sigmoid(self._z(row))

    def _z(self, row: dict[int, float]) -> float:
        weights = self.weights
        return self.bias + sum([weights[i] * v for i, v in row.items()])

    def choose(self, ranked: list[Candidate], post: Post) -> tuple[int | None, float]:
        """The position in `ranked` of the post's talk (None: no talk) and its probability (when
        None, at most this)."""
        if not ranked:
            return None, 0.0
        zs = [self._z(row) for row in _rows(ranked, post)]
        best = max(range(len(zs)), key=lambda i: (zs[i], -i))
        # The text's own features move every candidate alike: searched for only when they could
        # lift the best one over the threshold (most posts are clearly about no talk).
        rise = sum(max(0.0, self.weights[i]) for i in TEXT_FEATURES)
        if _sigmoid(zs[best] + rise) < self.threshold:
            return None, _sigmoid(zs[best] + rise)
        z = zs[best] + sum(self.weights[i] * v for i, v in _text_features(post.text or "").items())
        return (best if _sigmoid(z) >= self.threshold else None), _sigmoid(z)


def _sigmoid(z: float) -> float:
    return 1.0 / (1.0 + math.exp(-z)) if z > -60 else 0.0


def _model(path: Path | None) -> dict:
    return json.loads((path or Path(__file__).with_name(MODEL_FILE)).read_text(encoding="utf-8"))


def decide(matcher: Matcher, decider: Decider, post: Post) -> tuple[str | None, str | None]:
    """`Matcher.match` with the learned decision instead of the hand-set rules: the talk's id and
    why (the evidence sentence and "decision 0.83"), or (None, None)."""
    ranked = matcher.candidates(post)
    pick, probability = decider.choose(ranked, post)
    if pick is None:
        return None, None
    cand = ranked[pick]
    if post.url:  # replies to it will be about the same talk
        if len(matcher.attached) >= MAX_REMEMBERED:
            matcher.attached.clear()
        matcher.attached[post.url] = cand.talk.id
    return cand.talk.id, f"{cand.reason()} (decision {probability:.2f})"
