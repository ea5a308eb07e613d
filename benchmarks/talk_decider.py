"""Does a learned decision over the matcher's candidates beat its hand-set rules on a programme
it was not trained on? Leave one programme out: train on the other sets, score this one.

    python benchmarks/talk_decider.py                       # leave-one-out over tests/data/talks
    python benchmarks/talk_decider.py --l2 1 --json
    python benchmarks/talk_decider.py --score path/to/set   # a new set: rules vs the shipped model

For each labelled set: the rules (`Matcher.match`, as shipped) and the learned decision
(`talk_decide.decide`, trained by `benchmarks/train_talk_decider.py` on the other sets) on the same
posts, in every programme format it comes in. `only rules` and `only learned` count the posts
one of them gets right and the other not; `reachable` is the share of posts a decision over
the best `talk_decide.TOP` candidates could get right at all (the labelled talk is among them, or
the label is none). With `--score`, a set outside tests/data/talks is scored by the rules and
by the shipped model (trained on every set there). Also: what the decision costs next to
gathering the evidence.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import talk_accuracy  # noqa: E402
from talk_decide import Decider, decide  # noqa: E402
from backchannel.talks.matcher import Matcher  # noqa: E402
from backchannel.talks.programme import load_schedule  # noqa: E402


def _trainer():
    spec = importlib.util.spec_from_file_location("train_talk_decider", ROOT / "benchmarks" / "train_talk_decider.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def outcomes(folder: Path, decider: Decider | None) -> dict[str, list[bool]]:
    """Per programme file, whether each labelled post got its talk (or rightly none): by the rules
    when `decider` is None, else by the learned decision."""
    posts, labels = talk_accuracy.load_set(folder)
    alias = talk_accuracy.aliases(folder)
    out = {}
    for path in talk_accuracy.programmes(folder):
        schedule = load_schedule(path, strict=False)
        matcher = Matcher(schedule.talks, schedule.timezone or "UTC")
        right = out[path.name] = []
        for post in posts:
            label = labels.get(post.id)
            if label is None:
                continue
            want = alias.get(label.get("talk"), label.get("talk")) if label.get("talk") else None
            got, _ = matcher.match(post) if decider is None else decide(matcher, decider, post)
            right.append((alias.get(got, got) if got else None) == want)
    return out


def compare(name: str, folder: Path, decider: Decider, reachable: dict[str, float] | None = None) -> list[dict]:
    rules, learned = outcomes(folder, None), outcomes(folder, decider)
    rows = []
    for file in rules:
        r, lr = rules[file], learned[file]
        rows.append({"set": name, "programme": file, "posts": len(r), "rules": sum(r) / len(r),
                     "learned": sum(lr) / len(lr), "only_rules": sum(a and not b for a, b in zip(r, lr)),
                     "only_learned": sum(b and not a for a, b in zip(r, lr)),
                     "reachable": (reachable or {}).get(file)})
    return rows


def cost(folder: Path, decider: Decider, repeat: int = 5) -> tuple[float, float]:
    """Seconds per post gathering evidence (`candidates`) and deciding (`choose`), on one set."""
    posts, _ = talk_accuracy.load_set(folder)
    schedule = load_schedule(talk_accuracy.programmes(folder)[0], strict=False)
    matcher = Matcher(schedule.talks, schedule.timezone or "UTC")
    ranked = [matcher.candidates(p) for p in posts]
    t0 = time.perf_counter()
    for _ in range(repeat):
        for p in posts:
            matcher.candidates(p)
    t1 = time.perf_counter()
    for _ in range(repeat):
        for p, r in zip(posts, ranked):
            decider.choose(r, p)
    t2 = time.perf_counter()
    return (t1 - t0) / (repeat * len(posts)), (t2 - t1) / (repeat * len(posts))


def speed(count: int, decider: Decider) -> tuple[int, float, float]:
    """CPU seconds to gather the evidence for `count` posts against talk_matching's 200-talk
    programme (`Matcher.candidates`, the bulk of `match`), and to decide over it (`choose`)."""
    import talk_matching
    from backchannel.talks.programme import parse_schedule
    data, talks = talk_matching.programme()
    schedule = parse_schedule(data, "bench.json", "UTC")
    matcher = Matcher(schedule.talks, "UTC")
    batch = talk_matching.posts(count, talks)
    cpu = time.process_time()
    ranked = [matcher.candidates(p) for p in batch]
    evidence = time.process_time() - cpu
    cpu = time.process_time()
    for p, r in zip(batch, ranked):
        decider.choose(r, p)
    return len(schedule.talks), evidence, time.process_time() - cpu


def leave_one_out(trainer, l2: float) -> list[dict]:
    names = trainer.set_names()
    data = {name: trainer.examples(trainer.SETS / name) for name in names}
    rows = []
    for name in names:
        model = trainer.fit([ex for other in names if other != name for ex in data[other]], l2)
        reachable = {}
        for file in dict.fromkeys(e[0] for e in data[name]):
            ex = [e for e in data[name] if e[0] == file]
            reachable[file] = sum(1 for *_, label in ex if label != -1) / len(ex)
        rows += compare(name, trainer.SETS / name, Decider(model["weights"], model["bias"]), reachable)
    return rows


def print_table(rows: list[dict], title: str) -> None:
    print(title + "\n")
    print("| set | programme | posts | rules | learned | difference | only rules | only learned | reachable |")
    print("|---|---|---|---|---|---|---|---|---|")
    for r in rows:
        reach = f"{r['reachable']:.1%}" if r["reachable"] is not None else ""
        print(f"| {r['set']} | {r['programme']} | {r['posts']} | {r['rules']:.1%} | {r['learned']:.1%} | "
              f"{100 * (r['learned'] - r['rules']):+.1f} | {r['only_rules']} | {r['only_learned']} | {reach} |")
    rules = sum(r["rules"] for r in rows) / len(rows)
    learned = sum(r["learned"] for r in rows) / len(rows)
    print(f"| **mean** | | | {rules:.1%} | {learned:.1%} | {100 * (learned - rules):+.1f} | "
          f"{sum(r['only_rules'] for r in rows)} | {sum(r['only_learned'] for r in rows)} | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--l2", type=float, help="the training penalty (default: the script's)")
    parser.add_argument("--score", type=Path, metavar="SET", help="score this set with the rules and the shipped model")
    parser.add_argument("--speed", type=int, metavar="POSTS",
                        help="only time the shipped model against talk_matching's programme with this many posts")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args()
    if args.speed:
        talks, evidence, deciding = speed(args.speed, Decider.load())
        print(f"{args.speed} posts, {talks} talks: gathering evidence {evidence:.2f} s CPU "
              f"({args.speed / evidence:,.0f} posts/s), deciding {deciding:.2f} s CPU "
              f"({deciding / evidence:.1%} of it)")
        return
    trainer = _trainer()
    l2 = trainer.L2 if args.l2 is None else args.l2
    if args.score:
        if not (args.score / "labels.jsonl").exists():
            parser.error(f"{args.score}: no labels.jsonl (a set holds posts.jsonl, labels.jsonl and programmes)")
        decider = Decider.load()
        rows = compare(args.score.name, args.score, decider)
        trained = Decider.trained_on()
        title = f"{args.score}: rules vs the shipped learned decision (trained on {', '.join(trained)})"
        if args.score.name in trained and args.score.resolve().parent == trainer.SETS.resolve():
            title += f"; {args.score.name} is one of them: these figures are not a held-out score"
    else:
        rows = leave_one_out(trainer, l2)
        decider = Decider(**trainer.fit([ex for n in trainer.set_names() for ex in trainer.examples(trainer.SETS / n)],
                                        l2))
        title = f"leave one programme out (L2 {l2}): rules vs learned decision, per held-out set and format"
    evidence, deciding = cost(trainer.SETS / "dev", decider)
    if args.json:
        print(json.dumps({"l2": l2, "rows": rows, "evidence_s_per_post": evidence, "decision_s_per_post": deciding}))
        return
    print_table(rows, title)
    per_set: dict[str, list[float]] = {}
    for r in rows:
        per_set.setdefault(r["set"], []).append(r["learned"] - r["rules"])
    worst = min(per_set, key=lambda s: sum(per_set[s]) / len(per_set[s]))
    print(f"\nworst set for the learned decision: {worst}, "
          f"{100 * sum(per_set[worst]) / len(per_set[worst]):+.1f} points")
    print(f"cost on dev: gathering evidence {evidence * 1e6:.0f} µs/post, deciding {deciding * 1e6:.1f} µs/post "
          f"({deciding / evidence:.0%} of it)")


if __name__ == "__main__":
    main()
