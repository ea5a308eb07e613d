"""What kind of post is this? takeaway, question, resource, shoutout or other.

    >>> classify_text("Slides from my talk are up: https://speakerdeck.com/ana/k8s")
    ('resource', 1.0)
    >>> classify_text("Wo ist Raum B?", lang="de")[0]
    'other'

The classifier is a small linear model (`classify/data/model.json`, trained by
`python -m backchannel.classify.train`) over structural features, multilingual cue groups
and words; see `classify_features`. It runs offline on what the package ships, needs
nothing beyond the standard library, and handles English, German, Spanish, French,
Portuguese, Dutch and Japanese (other languages fall back to structure and English cues).

The score is a calibrated probability that the kind is right, in 0..1: among posts scored
about 0.9, about 90% are right. The model's own probability for the kind it chose is mapped
through a monotone table fitted (isotonic regression) on cross-validated predictions of
the training data, so ranking by score is unchanged and a low score means "not sure".
A post is called a takeaway only when that score is at least `TAKEAWAY_MIN_SCORE`;
otherwise it gets its next most likely kind, with that kind's calibrated probability.

JSONL contract (`backchannel classify`): each input object needs `id` (string or integer)
and `text` (string); `lang` (string), `source` (string) and `metrics` (object of whole
numbers ≥ 0) are optional. Each output is `{"id", "kind", "score"}`, one per input, in
order. Metrics are validated but do not change the kind: engagement says how popular a
post is, not what it is (the ranking uses it). Use `classify_lines` to keep going past
bad lines; `classify_records` raises `ValueError` on the first bad record.
"""

from __future__ import annotations

import json
from bisect import bisect_right
from functools import lru_cache
from importlib import resources
from math import exp
from pathlib import Path
from typing import Any, Iterable, Iterator

from backchannel.classify.features import extract
from backchannel.models import KINDS, Post

MODEL_FILE = "model.json"
# A takeaway is what readers see first (the digest's "top takeaways"), so the classifier
# says "takeaway" only when its calibrated score is at least this; otherwise the post gets
# its next most likely kind, scored by that kind's own (calibrated) probability. Chosen on
# set B (tests/data/kinds_setB.md) and checked on the development set; README, "Post kinds".
TAKEAWAY_MIN_SCORE = 0.8
Model = tuple[dict[str, list[float]], list[float], list[list[float]]]


@lru_cache(maxsize=1)
def load_model() -> Model:
    """The shipped weights, per-kind offsets and calibration table (read once)."""
    try:
        ref = resources.files("backchannel.classify").joinpath("data", MODEL_FILE)
        raw = ref.read_text(encoding="utf-8")
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        raw = (Path(__file__).parent / "data" / MODEL_FILE).read_text(encoding="utf-8")
    model = json.loads(raw)
    if tuple(model["kinds"]) != KINDS or len(model["offsets"]) != len(KINDS):
        raise RuntimeError(f"classifier model has kinds {model['kinds']}, expected {KINDS}")
    identity = [[0.0, 0.0], [1.0, 1.0]]  # a model trained before calibration existed
    return model["weights"], model["offsets"], model.get("calibration") or identity


def calibrate(prob: float, table: list[list[float]]) -> float:
    """Map the model's probability through the (x, y) knots, linearly between them."""
    i = bisect_right(table, [prob, 2.0])
    if i == 0:
        return table[0][1]
    if i == len(table):
        return table[-1][1]
    (x0, y0), (x1, y1) = table[i - 1], table[i]
    return y0 + (y1 - y0) * (prob - x0) / (x1 - x0) if x1 > x0 else y1


def classify_text(text: str, lang: str | None = None, source: str | None = None,
                  metrics: dict | None = None) -> tuple[str, float]:
    """The kind of one post and the model's confidence in it (0..1).

    `lang` is a hint (ISO code such as "de" or "pt-BR"); without it the language is
    guessed. `source` is "mastodon", "bluesky", "rss"... (a blog recap leans towards
    takeaway or resource). `metrics` is accepted for symmetry with the Post record and
    does not affect the kind.
    """
    weights, offsets, table = load_model()
    get = weights.get
    s0, s1, s2, s3, s4 = offsets  # unrolled over the five kinds: this loop is the hot path
    for name, value in extract(text, lang, source).items():
        w = get(name)
        if w is not None:
            s0 += w[0] * value
            s1 += w[1] * value
            s2 += w[2] * value
            s3 += w[3] * value
            s4 += w[4] * value
    scores = (s0, s1, s2, s3, s4)
    top = max(scores)
    exps = [exp(s - top) for s in scores]
    total = sum(exps)
    best = exps.index(1.0)
    score = calibrate(1.0 / total, table)
    if best == 0 and score < TAKEAWAY_MIN_SCORE:  # KINDS[0] is "takeaway"
        exps[0] = -1.0
        second = max(exps)
        best = exps.index(second)
        score = calibrate(second / total, table)
    return KINDS[best], round(score, 4)


def classify_post(post: Post) -> tuple[str, float]:
    """`classify_text` for a `Post` (what the pipeline calls before storing kind/score)."""
    return classify_text(post.text, post.lang, post.source)


def check_record(record: Any) -> None:
    """Raise ValueError naming what is wrong with one classify input record."""
    if not isinstance(record, dict):
        raise ValueError("expected a JSON object with 'id' and 'text'")
    if "id" not in record or record["id"] is None:
        raise ValueError("missing field 'id'")
    rid = record["id"]
    if isinstance(rid, bool) or not isinstance(rid, (str, int)):
        raise ValueError("field 'id' must be a string or an integer")
    if isinstance(rid, str) and not rid.strip():
        raise ValueError("field 'id' is empty")
    if "text" not in record or record["text"] is None:
        raise ValueError(f"record {rid!r}: missing field 'text'")
    if not isinstance(record["text"], str):
        raise ValueError(f"record {rid!r}: field 'text' must be a string")
    for name in ("lang", "source"):
        if record.get(name) is not None and not isinstance(record[name], str):
            raise ValueError(f"record {rid!r}: field '{name}' must be a string")
    metrics = record.get("metrics")
    if metrics is not None:
        if not isinstance(metrics, dict):
            raise ValueError(f"record {rid!r}: field 'metrics' must be an object")
        for key, value in metrics.items():
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise ValueError(
                    f"record {rid!r}: field 'metrics.{key}' must be a whole number ≥ 0")


def classify_record(record: dict) -> dict:
    """`{"id", "kind", "score"}` for one input record; ValueError if the record is invalid."""
    check_record(record)
    kind, score = classify_text(record["text"], record.get("lang"), record.get("source"),
                                record.get("metrics"))
    return {"id": record["id"], "kind": kind, "score": score}


def classify_records(records: Iterable[dict]) -> Iterator[dict]:
    """Classify records lazily, in order. Raises ValueError on the first invalid one."""
    for record in records:
        yield classify_record(record)


def classify_lines(lines: Iterable[str]) -> Iterator[tuple[int, dict | None, str | None]]:
    """Classify JSONL lines, keeping going past bad ones.

    Yields `(line_no, result, None)` for a good line and `(line_no, None, message)` for a
    bad one (not JSON, not an object, missing or mistyped fields), numbering lines from 1.
    Blank lines are skipped silently. The CLI writes results to stdout and reports
    messages as "line N: message" on stderr, exiting 1 if any line was bad.
    """
    for line_no, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as exc:
            yield line_no, None, f"not valid JSON ({exc.msg} at column {exc.colno})"
            continue
        except RecursionError:
            yield line_no, None, "nested too deeply"
            continue
        try:
            yield line_no, classify_record(record), None
        except ValueError as exc:
            yield line_no, None, str(exc)
