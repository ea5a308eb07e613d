"""The post classifier: quality on labelled sets it was not trained on, and the JSONL contract.

The development set (tests/data/classify_dev.jsonl) was written separately from the
training corpus (backchannel/classify/data/train.jsonl): other events, other wording.
Sets B and C (tests/data/kinds_set[BC]*.jsonl, see kinds_setB.md, kinds_setC.md) were each
written by someone who saw only the kind definitions; neither is trained on. Set B was used
to choose the takeaway threshold (a tuning set); set C is held out, only measured here.
The quality tests fail when the figures in the README drop (with a small margin).
"""

import doctest
import json
from datetime import datetime, timezone
from pathlib import Path

import pytest

from backchannel.classify import classifier as classify, train as classify_train
from backchannel.classify.classifier import classify_lines, classify_post, classify_records, classify_text
from backchannel.classify.features import extract, guess_lang
from backchannel.models import KINDS, Post

DEV = Path(__file__).parent / "data" / "classify_dev.jsonl"
TRAIN = Path(classify_train.__file__).parent / "data" / "train.jsonl"
TRAIN_DEMO = TRAIN.with_name("train_demo.jsonl")
TRAIN_FILES = [TRAIN, TRAIN_DEMO, TRAIN.with_name("train_setA.jsonl")]
SET_B = DEV.with_name("kinds_setB.jsonl")
SET_B_OTHER = DEV.with_name("kinds_setB_other_languages.jsonl")
SET_C = DEV.with_name("kinds_setC.jsonl")
SET_C_OTHER = DEV.with_name("kinds_setC_other_languages.jsonl")
LANGS = {"en", "de", "es", "fr", "pt", "nl", "ja"}
# Measured on set B with the shipped model and the takeaway threshold (README, "Post kinds"),
# minus a small margin: takeaway P 0.97 R 0.92, macro-F1 0.93, lowest kind F1 0.89 (other),
# lowest language 0.88 (fr), Italian/Polish/Korean/Swedish 0.78, calibration error 0.058.
# Set B was used to choose TAKEAWAY_MIN_SCORE, so these are tuned figures; set C is held out.
SET_B_FLOOR = {"takeaway_precision": 0.95, "takeaway_recall": 0.90, "macro": 0.91,
               "kind_f1": 0.87, "lang_macro": 0.86, "other_languages_macro": 0.76, "ece": 0.07,
               "confident_precision": 0.96, "confident_recall": 0.80}
# Set C is held out: copied in and scored once, after the model and the threshold were final.
# Measured: takeaway P 0.99 R 0.89, macro-F1 0.91, lowest kind F1 0.87 (other), lowest
# language 0.84 (ja), Italian/Polish/Korean 0.79, calibration error 0.032, takeaways scored
# >= 0.9: 96 posts, precision 1.00, recall 0.76. Floors a little below (0.82 per language
# is the target itself).
SET_C_FLOOR = {"takeaway_precision": 0.96, "takeaway_recall": 0.86, "macro": 0.89,
               "kind_f1": 0.84, "lang_macro": 0.82, "other_languages_macro": 0.76, "ece": 0.06,
               "confident_precision": 0.96, "confident_recall": 0.72}
HELD_OUT = {"B": (SET_B, SET_B_OTHER, {"it", "pl", "ko", "sv"}, SET_B_FLOOR),
            "C": (SET_C, SET_C_OTHER, {"it", "pl", "ko"}, SET_C_FLOOR)}


def load(path):
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def scores(gold, pred):
    """Per-kind precision/recall/F1 and macro-F1, computed here independently of the code."""
    table = {}
    for kind in KINDS:
        tp = sum(g == kind and p == kind for g, p in zip(gold, pred))
        fp = sum(g != kind and p == kind for g, p in zip(gold, pred))
        fn = sum(g == kind and p != kind for g, p in zip(gold, pred))
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        table[kind] = (precision, recall, f1)
    macro = sum(row[2] for row in table.values()) / len(KINDS)
    return table, macro


def render(table, macro):
    lines = ["kind       P     R     F1"]
    lines += [f"{k:9} {p:.2f}  {r:.2f}  {f:.2f}" for k, (p, r, f) in table.items()]
    return "\n".join(lines + [f"macro-F1  {macro:.2f}"])


@pytest.fixture(scope="module")
def dev():
    return load(DEV)


def test_dev_set_is_large_varied_and_separate_from_training(dev):
    assert len(dev) >= 300
    assert {r["lang"] for r in dev} >= LANGS
    for lang in LANGS:  # every language has every kind
        assert {r["kind"] for r in dev if r["lang"] == lang} == set(KINDS), lang
    assert {r["source"] for r in dev} >= {"mastodon", "bluesky", "rss"}
    assert len({r["id"] for r in dev}) == len(dev)
    train_texts = {r["text"] for path in TRAIN_FILES for r in load(path)}
    assert len(train_texts) >= 1900
    assert not [r["id"] for r in dev if r["text"] in train_texts]


def test_the_demo_training_data_is_what_the_demo_posts_say():
    import importlib.util

    script = Path(__file__).resolve().parents[1] / "scripts" / "demo_training_data.py"
    spec = importlib.util.spec_from_file_location("demo_training_data", script)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    expected = [r for day in (1, 2) for r in module.labelled(script.parent / "demo_event" / f"posts_day{day}.txt", day)]
    assert load(TRAIN_DEMO) == expected and len(expected) > 400


def test_dev_set_meets_the_targets(dev):
    pred = [classify_text(r["text"], r.get("lang"), r.get("source"))[0] for r in dev]
    table, macro = scores([r["kind"] for r in dev], pred)
    report = render(table, macro)
    print(report)
    precision, recall, _ = table["takeaway"]
    assert precision >= 0.85, report
    assert recall >= 0.65, report  # measured 0.68: this writer's takeaways are scored lower
    assert macro >= 0.75, report


@pytest.fixture(scope="module")
def set_b():
    rows = load(SET_B)
    return rows, [classify_text(r["text"], r.get("lang"), r.get("source")) for r in rows]


@pytest.fixture(scope="module", params=sorted(HELD_OUT))
def held_out(request, set_b):
    """(rows, results, floor) for set B (tuning) and set C (held out)."""
    path, _, _, floor = HELD_OUT[request.param]
    if request.param == "B":
        return (*set_b, floor)
    rows = load(path)
    return rows, [classify_text(r["text"], r.get("lang"), r.get("source")) for r in rows], floor


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_held_out_set_is_balanced_and_not_in_the_training_data(name):
    path, other_path, other_langs, _ = HELD_OUT[name]
    rows, other = load(path), load(other_path)
    assert len(rows) == 420 and len(other) == 40 * len(other_langs)
    assert {r["lang"]: 60 for r in rows} == {lang: sum(r["lang"] == lang for r in rows)
                                             for lang in LANGS}
    assert {r["lang"] for r in other} == other_langs
    train_texts = {r["text"] for path in TRAIN_FILES for r in load(path)}
    assert not [r["id"] for r in rows + other if r["text"] in train_texts]


def test_set_c_shares_no_post_with_set_b():
    b_texts = {r["text"] for path in (SET_B, SET_B_OTHER) for r in load(path)}
    assert not [r["id"] for path in (SET_C, SET_C_OTHER) for r in load(path) if r["text"] in b_texts]


def test_held_out_set_meets_the_targets(held_out):
    """The README's figures on sets B and C, each with a small margin below what was measured."""
    rows, results, floor = held_out
    gold, pred = [r["kind"] for r in rows], [k for k, _ in results]
    table, macro = scores(gold, pred)
    report = render(table, macro)
    print(report)
    precision, recall, _ = table["takeaway"]
    assert precision >= floor["takeaway_precision"], report
    assert recall >= floor["takeaway_recall"], report
    assert macro >= floor["macro"], report
    for kind in KINDS:
        assert table[kind][2] >= floor["kind_f1"], (kind, report)
    for lang in sorted(LANGS):
        idx = [i for i, r in enumerate(rows) if r["lang"] == lang]
        _, lang_macro = scores([gold[i] for i in idx], [pred[i] for i in idx])
        assert lang_macro >= floor["lang_macro"], (lang, lang_macro)


def test_takeaways_scored_0_9_or_more_are_right(held_out):
    """What the digest's "top takeaways" draws on: the confident takeaways are trustworthy.

    Measured: set B 105 posts, precision 1.00, recall 0.83 of all takeaways; set C 96
    posts, precision 1.00, recall 0.76.
    """
    rows, results, floor = held_out
    confident = [r["kind"] for r, (k, p) in zip(rows, results) if k == "takeaway" and p >= 0.9]
    takeaways = sum(r["kind"] == "takeaway" for r in rows)
    assert confident.count("takeaway") / len(confident) >= floor["confident_precision"]
    assert confident.count("takeaway") / takeaways >= floor["confident_recall"]


@pytest.mark.parametrize("name", sorted(HELD_OUT))
def test_languages_we_do_not_claim_stay_usable(name):
    _, path, _, floor = HELD_OUT[name]
    rows = load(path)
    pred = [classify_text(r["text"], r.get("lang"), r.get("source"))[0] for r in rows]
    table, macro = scores([r["kind"] for r in rows], pred)
    print(render(table, macro))
    assert macro >= floor["other_languages_macro"]


def test_scores_are_calibrated_on_the_held_out_set(held_out):
    """Among posts scored about p, about p are right: per bin of ≥ 30 posts, and overall."""
    rows, results, floor = held_out
    right = [k == r["kind"] for (k, _), r in zip(results, rows)]
    probs = [p for _, p in results]
    bins = classify_train.reliability(probs, right)
    assert sum(n for _, n, _, _ in bins) == len(rows)
    for span, n, mean, share in bins:
        if n >= 30:
            assert abs(mean - share) <= 0.10, (span, n, mean, share)
    # expected calibration error: the post-weighted gap between score and share right
    ece = sum(n * abs(mean - share) for _, n, mean, share in bins) / len(rows)
    assert ece <= floor["ece"], bins
    high = [ok for ok, p in zip(right, probs) if p >= 0.9]
    assert len(high) >= 150 and sum(high) / len(high) >= 0.9


def test_isotonic_calibration_is_monotone_and_pools_violators():
    points = [(0.5, 0.0)] * 30 + [(0.6, 1.0)] * 30 + [(0.7, 0.0)] * 30 + [(0.9, 1.0)] * 40
    knots = classify_train.isotonic(points)
    ys = [y for _, y in knots]
    assert ys == sorted(ys) and knots[0] == [0.5, 0.0] and knots[-1] == [0.9, 1.0]
    assert [0.65, 0.5] in knots  # 0.6 (all right) and 0.7 (all wrong) pooled into one step
    assert classify.calibrate(0.2, knots) == 0.0 and classify.calibrate(0.99, knots) == 1.0
    assert classify.calibrate(0.775, knots) == pytest.approx(0.75)
    small = classify_train.isotonic([(0.5, 1.0)] * 5 + [(0.9, 0.0)] * 5)
    assert small == [[0.7, 0.5]]  # too few posts for a step of their own


def test_shipped_calibration_is_monotone_so_ranking_by_score_is_kept():
    _, _, table = classify.load_model()
    xs, ys = [x for x, _ in table], [y for _, y in table]
    assert len(table) >= 5 and xs == sorted(xs) and ys == sorted(ys)
    assert 0.0 <= ys[0] and ys[-1] <= 1.0


def test_language_hint_is_optional(dev):
    """Without `lang` the classifier guesses the language and stays nearly as good."""
    pred = [classify_text(r["text"])[0] for r in dev]
    _, macro = scores([r["kind"] for r in dev], pred)
    assert macro >= 0.85
    guessed = [guess_lang(r["text"]) for r in dev]
    assert sum(g == r["lang"] for g, r in zip(guessed, dev)) / len(dev) >= 0.85


@pytest.mark.parametrize("lang,text,kind", [
    ("en", "Main lesson from the fraud talk: most chargebacks came from three merchants, "
           "so they now review those accounts weekly instead of every transaction.", "takeaway"),
    ("en", "How do you teach statistics to nurses who are scared of maths? Any advice?",
     "question"),
    ("de", "Hier sind die Folien von heute: https://speakerdeck.com/jana/sicherheit", "resource"),
    ("de", "Vielen Dank an alle Helferinnen und Helfer, ihr wart großartig! 🙏", "shoutout"),
    ("es", "¿Dónde está el guardarropa? Llevo la maleta a cuestas 😅", "other"),
    ("es", "Aprendí que en las clínicas pequeñas la mitad de los incidentes empieza con un "
           "correo falso. Formar a recepción reduce el riesgo a la mitad.", "takeaway"),
    ("fr", "Quelqu'un a des conseils pour fixer ses tarifs quand on débute en freelance ?",
     "question"),
    ("pt", "Obrigada à organização e aos voluntários, evento impecável! 👏", "shoutout"),
    ("nl", "De opname van de keynote staat online: https://www.youtube.com/watch?v=x1", "resource"),
    ("ja", "受付はどこですか？入口が分かりません", "other"),
    ("ja", "登壇資料を公開しました：https://speakerdeck.com/aoi/data-quality", "resource"),
])
def test_multilingual_samples(lang, text, kind):
    assert classify_text(text, lang=lang)[0] == kind
    assert classify_text(text)[0] == kind  # and without the hint


def test_score_is_a_probability_and_metrics_do_not_change_the_kind():
    text = "Great talk by @ana on cash flow, thank you!"
    kind, score = classify_text(text, source="mastodon")
    assert kind == "shoutout" and 0.5 < score <= 1.0
    metrics = {"likes": 900, "reposts": 40, "replies": 3, "quotes": 1}
    assert classify_text(text, source="mastodon", metrics=metrics) == (kind, score)
    for text in ("", "   ", "🎉", "https://example.org", "#event @someone"):
        kind, score = classify_text(text)
        assert kind in KINDS and 0.0 <= score <= 1.0


def test_docstring_examples_hold():
    assert doctest.testmod(classify).failed == 0


def test_classify_post_uses_text_language_and_source():
    text = ("Ce que je retiens de la journée : les sauvegardes doivent être testées chaque "
            "mois, sinon elles échouent le jour où on en a besoin.")
    when = datetime(2026, 9, 1, tzinfo=timezone.utc)
    post = Post(id="rss-1", source="rss", created_at=when, lang="fr", text=text)
    assert classify_post(post) == classify_text(post.text, "fr", "rss")
    assert classify_post(post)[0] == "takeaway"


def test_classify_records_keeps_order_ids_and_one_output_per_input(dev):
    records = [{"id": r["id"], "text": r["text"]} for r in dev[:50]]
    records.append({"id": 17, "text": "Slides: https://slides.com/x/y", "lang": None,
                    "source": "rss", "metrics": {"likes": 2}})
    out = list(classify_records(records))
    assert [o["id"] for o in out] == [r["id"] for r in records]
    for o in out:
        assert set(o) == {"id", "kind", "score"}
        assert o["kind"] in KINDS and 0.0 <= o["score"] <= 1.0
        json.dumps(o)  # serialisable as a JSONL line
    assert out[-1] == {"id": 17, **dict(zip(("kind", "score"),
                                            classify_text("Slides: https://slides.com/x/y",
                                                          source="rss")))}


@pytest.mark.parametrize("record,message", [
    ({"text": "hi"}, "missing field 'id'"),
    ({"id": "a"}, "record 'a': missing field 'text'"),
    ({"id": "a", "text": None}, "record 'a': missing field 'text'"),
    ({"id": "a", "text": 3}, "field 'text' must be a string"),
    ({"id": True, "text": "hi"}, "field 'id' must be a string or an integer"),
    ({"id": ["x"], "text": "hi"}, "field 'id' must be a string or an integer"),
    ({"id": " ", "text": "hi"}, "field 'id' is empty"),
    ({"id": "a", "text": "hi", "lang": 5}, "field 'lang' must be a string"),
    ({"id": "a", "text": "hi", "metrics": [1]}, "field 'metrics' must be an object"),
    ({"id": "a", "text": "hi", "metrics": {"likes": -1}}, "'metrics.likes' must be a whole"),
    (["id", "text"], "expected a JSON object"),
])
def test_classify_records_names_the_problem(record, message):
    good = {"id": "ok", "text": "Thanks to the volunteers!"}
    results = classify_records([good, record])
    assert next(results)["id"] == "ok"  # lazily: the good record before the bad one
    with pytest.raises(ValueError, match=message.replace("(", r"\(")):
        next(results)


def test_classify_lines_reports_bad_lines_and_keeps_the_good_ones():
    lines = [
        json.dumps({"id": "p1", "text": "Slides are up: https://speakerdeck.com/a/b"}) + "\n",
        '{"id": "p2", "text": "unterminated\n',
        "[1, 2]\n",
        json.dumps({"id": "p4"}) + "\n",
        "\n",
        json.dumps({"id": "p6", "text": "Where is room B?", "lang": "en"}) + "\n",
    ]
    out = list(classify_lines(lines))
    assert [(n, err is None) for n, _, err in out] == [
        (1, True), (2, False), (3, False), (4, False), (6, True)]
    assert out[0][1] == {"id": "p1", "kind": "resource", "score": out[0][1]["score"]}
    assert out[1][2].startswith("not valid JSON")
    assert out[2][2] == "expected a JSON object with 'id' and 'text'"
    assert out[3][2] == "record 'p4': missing field 'text'"
    assert out[4][1]["id"] == "p6" and out[4][1]["kind"] == "other"


def test_runs_on_2000_posts(dev):
    """Throughput is measured by benchmarks/classify_bench.py; here: it handles the volume."""
    records = [{"id": f"{i}", "text": dev[i % len(dev)]["text"]} for i in range(2000)]
    out = list(classify_records(records))
    assert len(out) == 2000 and out[-1]["id"] == "1999"


@pytest.mark.timeout(20)
def test_hostile_input_stays_linear():
    """Pathological strings (regex traps, huge posts) classify without hanging."""
    for text in ("@a" * 20000 + "!", "#a " * 20000 + "x", "a" * 200000, "?" * 50000,
                 "https://" + "a" * 50000, "how " * 20000, "\u200b" * 10000):
        assert classify_text(text)[0] in KINDS


def test_training_pipeline_learns_a_usable_model(dev):
    """A quick retrain (few epochs) from the shipped corpus already separates the kinds."""
    rows = classify_train.load_corpus([TRAIN])  # one writer only: the quick test stays quick
    weights = classify_train.fit(classify_train.featurize(rows), epochs=3)
    pred = [KINDS[classify_train.decide(
        classify_train.scores_for(weights, extract(r["text"], r["lang"], r["source"]).items()),
        [0.0] * len(KINDS))[0]] for r in dev]
    _, macro = scores([r["kind"] for r in dev], pred)
    assert macro >= 0.75


def test_training_corpus_rejects_unlabelled_lines(tmp_path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"text": "hi", "kind": "takeaway"}\n{"text": "x", "kind": "rant"}\n')
    with pytest.raises(ValueError, match="bad.jsonl:2"):
        classify_train.load_corpus([bad])


def test_a_takeaway_needs_the_minimum_score_else_it_gets_its_next_kind(set_b, monkeypatch):
    """Unsure takeaways fall back to their next most likely kind, with that kind's score."""
    rows, results = set_b
    takeaways = [p for k, p in results if k == "takeaway"]
    assert takeaways and min(takeaways) >= classify.TAKEAWAY_MIN_SCORE
    monkeypatch.setattr(classify, "TAKEAWAY_MIN_SCORE", 0.0)  # the model's plain argmax
    plain = [classify_text(r["text"], r.get("lang"), r.get("source")) for r in rows]
    changed = [(p, q) for p, q in zip(plain, results) if p != q]
    assert len(changed) >= 10  # measured: 19 of 420
    for (plain_kind, plain_score), (kind, score) in changed:
        assert plain_kind == "takeaway" and plain_score < 0.8
        assert kind != "takeaway" and score <= 0.5
    gold_of_changed = [r["kind"] for r, p, q in zip(rows, plain, results) if p != q]
    assert gold_of_changed.count("takeaway") < len(changed) / 2  # mostly not takeaways
