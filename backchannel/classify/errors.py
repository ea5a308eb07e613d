"""Where the post classifier goes wrong: confusion by kind and language, and why.

    python -m backchannel.classify.errors                 # cross-validated training data
    python -m backchannel.classify.errors --eval tests/data/classify_dev.jsonl

Without `--eval` every training post is scored by a model that never saw its language
(`classify_train.cross_val_scores`); with `--eval` the shipped model scores the given
labelled file. Prints the confusion matrix (gold rows, predicted columns), per-language
macro-F1 with takeaway precision and recall, the features that pushed posts into the
wrong kind most (summed over errors: weight for the wrong kind minus weight for the
right one), and with `--show` the misclassified posts themselves.
"""

from __future__ import annotations

import argparse
from collections import Counter
from pathlib import Path

from backchannel.classify import train
from backchannel.classify.classifier import classify_text, load_model
from backchannel.classify.features import extract
from backchannel.models import KINDS


def confusion(gold: list[int], pred: list[int]) -> str:
    """A gold × predicted count table as text."""
    counts = Counter(zip(gold, pred))
    lines = ["gold \\ predicted " + " ".join(f"{k[:8]:>8}" for k in KINDS)]
    for g, kind in enumerate(KINDS):
        lines.append(f"{kind:16} " + " ".join(f"{counts[(g, p)]:8}" for p in range(len(KINDS))))
    return "\n".join(lines)


def by_language(rows: list[dict], gold: list[int], pred: list[int]) -> str:
    """Macro-F1 and takeaway precision/recall per language, one line each."""
    lines = []
    for lang in sorted({r.get("lang") or "?" for r in rows}):
        idx = [i for i, r in enumerate(rows) if (r.get("lang") or "?") == lang]
        table = train.report([gold[i] for i in idx], [pred[i] for i in idx])
        take = table["takeaway"]
        lines.append(f"{lang:4} n {len(idx):4}  macro-F1 {table['macro']['f1']:.2f}  "
                     f"takeaway P {take['precision']:.2f} R {take['recall']:.2f}")
    return "\n".join(lines)


def blame(rows: list[dict], gold: list[int], pred: list[int],
          weights: list[dict[str, list[float]]], top: int = 25) -> list[tuple[str, str, float]]:
    """Features that pushed errors into the wrong kind: (gold→pred, feature, total push)."""
    push: Counter = Counter()
    for row, g, p, w in zip(rows, gold, pred, weights):
        if g == p:
            continue
        for name, value in extract(row["text"], row.get("lang"), row.get("source")).items():
            if name in w:
                push[(f"{KINDS[g]}→{KINDS[p]}", name)] += (w[name][p] - w[name][g]) * value
    return [(pair, name, v) for (pair, name), v in push.most_common(top)]


def markdown(rows: list[dict], gold: list[int], pred: list[int], probs: list[float]) -> str:
    """README tables: per kind, per language, and score reliability."""
    table = train.report(gold, pred)
    out = ["| kind | precision | recall | F1 | posts |", "|---|---:|---:|---:|---:|"]
    for kind in KINDS:
        r = table[kind]
        out.append(f"| {kind} | {r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.2f} "
                   f"| {int(r['support'])} |")
    out += [f"| **macro** | | | **{table['macro']['f1']:.2f}** | {len(rows)} |", "",
            "| language | macro-F1 | takeaway precision | takeaway recall | posts |",
            "|---|---:|---:|---:|---:|"]
    for lang in sorted({r.get("lang") or "?" for r in rows}):
        idx = [i for i, r in enumerate(rows) if (r.get("lang") or "?") == lang]
        t = train.report([gold[i] for i in idx], [pred[i] for i in idx])
        out.append(f"| {lang} | {t['macro']['f1']:.2f} | {t['takeaway']['precision']:.2f} "
                   f"| {t['takeaway']['recall']:.2f} | {len(idx)} |")
    out += ["", "| score | posts | mean score | share right |", "|---|---:|---:|---:|"]
    for span, n, mean, right in train.reliability(probs, [g == p for g, p in zip(gold, pred)]):
        out.append(f"| {span} | {n} | {mean:.2f} | {right:.2f} |")
    return "\n".join(out)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", action="append", type=Path,
                        help="training JSONL (repeatable); default: the shipped training files")
    parser.add_argument("--eval", type=Path, help="score this labelled file with the shipped model")
    parser.add_argument("--epochs", type=int, default=25)
    parser.add_argument("--show", action="store_true", help="print the misclassified posts")
    parser.add_argument("--markdown", action="store_true",
                        help="with --eval: only print the README tables (kinds, languages, "
                             "score reliability)")
    args = parser.parse_args(argv)
    if args.markdown and args.eval:
        rows = train.load_corpus([args.eval])
        results = [classify_text(r["text"], r.get("lang"), r.get("source")) for r in rows]
        print(markdown(rows, [KINDS.index(r["kind"]) for r in rows],
                       [KINDS.index(k) for k, _ in results], [p for _, p in results]))
        return
    if args.eval:
        rows = train.load_corpus([args.eval])
        model_weights, _, _ = load_model()
        scores = [train.scores_for(model_weights, extract(r["text"], r.get("lang"),
                                                          r.get("source")).items()) for r in rows]
        weights = [model_weights] * len(rows)
        # the shipped decision, takeaway threshold included (the scores only explain it)
        decided = [(KINDS.index(k), p) for k, p in
                   (classify_text(r["text"], r.get("lang"), r.get("source")) for r in rows)]
    else:
        rows = train.load_corpus(args.data or train.TRAIN_FILES)
        weights = []
        scores = train.cross_val_scores(rows, folds=weights, epochs=args.epochs)
        decided = [train.decide(s, [0.0] * len(KINDS)) for s in scores]
    gold = [KINDS.index(r["kind"]) for r in rows]
    pred = [k for k, _ in decided]
    train._print_table("by kind", train.report(gold, pred))
    print(confusion(gold, pred))
    print(by_language(rows, gold, pred))
    print("features behind the errors (push towards the wrong kind):")
    for pair, name, value in blame(rows, gold, pred, weights):
        print(f"  {pair:20} {name:32} {value:6.2f}")
    if args.show:
        for row, g, (p, prob) in zip(rows, gold, decided):
            if g != p:
                print(f"[{row.get('lang')} {KINDS[g]}→{KINDS[p]} {prob:.2f}] {row['text'][:220]!r}")


if __name__ == "__main__":
    main()
