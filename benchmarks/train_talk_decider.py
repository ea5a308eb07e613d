"""Train the talk matcher's learned decision (`benchmarks/talk_decide.py`) on the labelled sets.

    python benchmarks/train_talk_decider.py                  # all sets in tests/data/talks → benchmarks/talk_decider.json
    python benchmarks/train_talk_decider.py --out model.json --sets dev heldout

Every post of every set, in every programme format, goes through the matcher; the best few
candidates become examples (features from `talk_decide.features`, 1 for the labelled talk, 0 for
the others). A logistic regression with an L2 penalty is fitted by Newton's method in pure
Python: the same data give the same weights, to the digits written. Takes a few seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import talk_accuracy  # noqa: E402
from talk_decide import FEATURES, MODEL_FILE, TOP, features  # noqa: E402
from backchannel.talks.matcher import Matcher  # noqa: E402
from backchannel.talks.programme import load_schedule  # noqa: E402

SETS = ROOT / "tests" / "data" / "talks"
OUT = ROOT / "benchmarks" / MODEL_FILE
L2 = 100.0  # penalty on the (scaled) weights: the best of 0.1 to 3,000 in the leave-one-out table
DIGITS = 4  # weights are written rounded: the same on every machine


def set_names(folder: Path = SETS) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if (p / "labels.jsonl").exists())


def examples(folder: Path) -> list[tuple[str, list[dict[int, float]], int | None]]:
    """Per programme format and post: (format's file name, candidate rows, the labelled talk's
    position among them: None when labelled no talk, -1 when it is not among them). Earlier
    posts are attached by the rules, as `match` does."""
    posts, labels = talk_accuracy.load_set(folder)
    alias = talk_accuracy.aliases(folder)
    out = []
    for path in talk_accuracy.programmes(folder):
        schedule = load_schedule(path, strict=False)
        matcher = Matcher(schedule.talks, schedule.timezone or "UTC")
        for post in posts:
            label = labels.get(post.id)
            if label is None:
                continue
            want = alias.get(label.get("talk"), label.get("talk")) if label.get("talk") else None
            ranked = matcher.candidates(post)
            ids = [alias.get(c.talk.id, c.talk.id) for c in ranked[:TOP]]
            out.append((path.name, features(ranked, post), ids.index(want) if want in ids else -1 if want else None))
            matcher.match(post)  # remembers the post's talk for replies to it
    return out


def fit(data: list[tuple[str, list[dict[int, float]], int | None]], l2: float = L2, rounds: int = 30) -> dict:
    """Logistic regression over every candidate row; the weights as {feature name: weight}."""
    rows = [(row, 1.0 if i == label else 0.0) for _, group, label in data for i, row in enumerate(group)]
    n = len(FEATURES)
    # Scale each feature to unit spread (no centring: rows stay sparse); the bias is feature n.
    square = [0.0] * n
    for row, _ in rows:
        for j, v in row.items():
            square[j] += v * v
    scale = [math.sqrt(s / len(rows)) or 1.0 for s in square]
    xs = [([*sorted(row), n], [*(row[j] / scale[j] for j in sorted(row)), 1.0], y) for row, y in rows]
    w = [0.0] * (n + 1)
    for _ in range(rounds):
        grad = [l2 * wj for wj in w[:n]] + [0.0]
        hess = [[0.0] * (n + 1) for _ in range(n + 1)]
        for j in range(n):
            hess[j][j] = l2
        for idx, vals, y in xs:
            z = sum(w[j] * v for j, v in zip(idx, vals))
            p = 1.0 / (1.0 + math.exp(-max(-60.0, min(60.0, z))))
            g, h = p - y, p * (1.0 - p)
            for a, va in zip(idx, vals):
                grad[a] += g * va
                row_h = hess[a]
                for b, vb in zip(idx, vals):
                    row_h[b] += h * va * vb
        step = _solve(hess, grad)
        w = [wj - sj for wj, sj in zip(w, step)]
        if max(map(abs, step)) < 1e-9:
            break
    weights = {FEATURES[j]: round(w[j] / scale[j], DIGITS) for j in range(n) if round(w[j] / scale[j], DIGITS)}
    return {"weights": weights, "bias": round(w[n], DIGITS)}


def _solve(a: list[list[float]], b: list[float]) -> list[float]:
    """x with a·x = b (Gaussian elimination with partial pivoting; `a` is changed)."""
    n = len(b)
    m = [row[:] + [b[i]] for i, row in enumerate(a)]
    for col in range(n):
        pivot = max(range(col, n), key=lambda r: abs(m[r][col]))
        m[col], m[pivot] = m[pivot], m[col]
        for r in range(col + 1, n):
            f = m[r][col] / m[col][col]
            if f:
                for c in range(col, n + 1):
                    m[r][c] -= f * m[col][c]
    x = [0.0] * n
    for r in range(n - 1, -1, -1):
        x[r] = (m[r][n] - sum(m[r][c] * x[c] for c in range(r + 1, n))) / m[r][r]
    return x


def train(names: list[str], folder: Path = SETS, l2: float = L2) -> dict:
    data = [ex for name in names for ex in examples(folder / name)]
    model = fit(data, l2)
    return {"about": "backchannel's learned talk decision: see benchmarks/talk_decide.py and "
                     "benchmarks/train_talk_decider.py", "trained_on": names, "l2": l2, "threshold": 0.5, **model}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sets", nargs="+", help="set names under tests/data/talks (default: all)")
    parser.add_argument("--out", type=Path, default=OUT, help=f"where to write the model (default: {OUT})")
    args = parser.parse_args()
    names = args.sets or set_names()
    missing = [n for n in names if not (SETS / n / "labels.jsonl").exists()]
    if missing:
        parser.error(f"no labelled set {', '.join(missing)} in {SETS}")
    model = train(names)
    args.out.write_text(json.dumps(model, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"{args.out}: {len(model['weights'])} weights, trained on {', '.join(names)}")


if __name__ == "__main__":
    main()
