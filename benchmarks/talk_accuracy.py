"""How often posts land on the right talk (or rightly on none), per programme format.

    python benchmarks/talk_accuracy.py tests/data/talks/dev
    python benchmarks/talk_accuracy.py tests/data/talks/dev --errors     # list every miss
    python benchmarks/talk_accuracy.py tests/data/talks/dev --json       # one JSON object

A set directory holds one programme in several formats (`*.json` pretalx/frab, `*.xml`
frab, `*.ics` iCalendar), `posts.jsonl` (Post JSONL), `labels.jsonl` (one object per post:
`id` and `talk`, the talk's id or null; any other key such as `case` is shown in the
breakdown) and `talks.csv`, whose rows give each talk's id in every format (a header row,
then one row per talk; any column may be the one the labels use). Posts go through the
classifier first, as in the pipeline (a post's kind matters for timing alone).

Accuracy counts a post right when it got the labelled talk, or no talk when the label is
null. The breakdown splits the errors: `missed` (a talk was labelled, none attached),
`wrong` (another talk attached), `spurious` (attached though the label says none).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from collections import Counter, defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from backchannel.validate import post_from_dict
from backchannel.classify.classifier import classify_post  # noqa: E402
from backchannel.models import Post  # noqa: E402
from backchannel.talks.programme import load_schedule  # noqa: E402
from backchannel.talks.matcher import Matcher  # noqa: E402

FORMATS = {".json": "pretalx/frab JSON", ".xml": "frab XML", ".ics": "iCalendar"}
DATA_FILES = {"posts.jsonl", "labels.jsonl", "talks.csv"}


def programmes(folder: Path) -> list[Path]:
    """The programme files of a set, one per format, in a stable order."""
    found = [p for p in sorted(folder.iterdir()) if p.suffix in FORMATS and p.name not in DATA_FILES
             and not p.name.startswith(".")]
    return sorted(found, key=lambda p: list(FORMATS).index(p.suffix))


def aliases(folder: Path) -> dict[str, str]:
    """Any id a talk has in any format → its row's first id (the one results are shown by)."""
    out: dict[str, str] = {}
    path = folder / "talks.csv"
    if not path.exists():
        return out
    with path.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.reader(fh))
    for row in rows[1:]:
        ids = [cell.strip() for cell in row if cell.strip()]
        for cell in ids:
            out.setdefault(cell, ids[0])
    return out


def load_set(folder: Path) -> tuple[list[Post], dict[str, dict]]:
    posts = [post_from_dict(json.loads(line)) for line in (folder / "posts.jsonl").open(encoding="utf-8")
             if line.strip()]
    labels = {}
    for line in (folder / "labels.jsonl").open(encoding="utf-8"):
        if line.strip():
            row = json.loads(line)
            labels[row["id"]] = row
    for post in posts:
        post.kind, post.score = classify_post(post)
    return posts, labels


def labelled(posts: list[Post], labels: dict[str, dict], alias: dict[str, str]):
    """(post, its label, the labelled talk by its row's first id, or None) for each labelled post."""
    for post in posts:
        label = labels.get(post.id)
        if label is None:
            continue
        want = label.get("talk")
        yield post, label, (alias.get(want, want) if want else None)


def evaluate(folder: Path, tz: str | None = None) -> dict:
    """Accuracy and the confusion breakdown for every programme format in `folder`."""
    posts, labels = load_set(folder)
    alias = aliases(folder)
    results = {}
    for path in programmes(folder):
        schedule = load_schedule(path, tz=tz, strict=False)
        matcher = Matcher(schedule.talks, tz or schedule.timezone or "UTC")
        counts: Counter = Counter()
        by_case: dict[str, Counter] = defaultdict(Counter)
        errors = []
        for post, label, want in labelled(posts, labels, alias):
            got, reason = matcher.match(post)
            got = alias.get(got, got) if got else None
            outcome = ("rightly none" if not got and not want else "right talk" if got == want else "wrong" if want and got else "missed" if want
                       else "spurious")
            counts[outcome] += 1
            case = str(label.get("case") or label.get("cases") or "-")
            by_case[case][outcome in ("right talk", "rightly none")] += 1
            if outcome not in ("right talk", "rightly none"):
                errors.append({"id": post.id, "outcome": outcome, "want": want, "got": got, "reason": reason,
                               "case": case, "kind": post.kind, "text": post.text[:160],
                               "at": post.created_at.astimezone(matcher.tz).strftime("%a %H:%M")})
        total = sum(counts.values())
        right = counts["right talk"] + counts["rightly none"]
        results[path.name] = {"format": FORMATS[path.suffix], "talks": len(schedule.talks), "posts": total,
                              "accuracy": round(right / total, 4) if total else 0.0, "counts": dict(counts),
                              "cases": {c: [v[True], v[True] + v[False]] for c, v in sorted(by_case.items())},
                              "errors": errors}
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--tz", help="the event's time zone (default: the one each programme declares)")
    parser.add_argument("--errors", action="store_true", help="list every post matched wrongly")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    results = evaluate(args.folder, args.tz)
    if args.json:
        print(json.dumps({k: {x: y for x, y in v.items() if x != "errors" or args.errors}
                          for k, v in results.items()}))
        return
    print(f"talk matching accuracy on {args.folder}")
    print()
    print("| programme | format | talks | posts | accuracy | right talk | rightly none | missed | wrong | spurious |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, r in results.items():
        c = r["counts"]
        print(f"| {name} | {r['format']} | {r['talks']} | {r['posts']} | {r['accuracy']:.1%} | "
              + " | ".join(str(c.get(k, 0)) for k in ("right talk", "rightly none", "missed", "wrong", "spurious"))
              + " |")
    cases = sorted({c for r in results.values() for c in r["cases"]})
    if cases != ["-"]:
        print()
        print("| case | " + " | ".join(results) + " |")
        print("|---|" + "---|" * len(results))
        for case in cases:
            cells = [f"{r['cases'][case][0]}/{r['cases'][case][1]}" if case in r["cases"] else "" for r in results.values()]
            print(f"| {case} | " + " | ".join(cells) + " |")
    if args.errors:
        for name, r in results.items():
            print(f"\n## errors with {name}")
            for e in r["errors"]:
                print(f"- [{e['outcome']}, {e['case']}, {e['kind']}, {e['at']}] want {e['want']} got {e['got']}: "
                      f"{e['text']!r}\n    {e['reason']}")


if __name__ == "__main__":
    main()
