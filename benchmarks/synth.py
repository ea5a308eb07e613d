"""Synthetic conference events of N posts, for benchmarks.

    python benchmarks/synth.py 100000 -o /tmp/event     # posts.jsonl + schedule.json + backchannel.toml

Realistic in the ways that cost time: post lengths per service (Mastodon up to 500
characters, Bluesky 300, a few blog recaps of up to 1,500 words), a Zipf vocabulary, several languages, a few
hundred authors of whom a few post a lot, hashtags, links, and a time profile with peaks
during talk slots over two days and quiet nights. Deterministic for a given seed.
"""

from __future__ import annotations

import argparse
import json
import random
from datetime import datetime, timedelta, timezone
from pathlib import Path


def _measuring_this_checkout() -> None:
    """Benchmarks import `backchannel` from the Python that runs them: it must be this
    checkout's code (`pip install -e .` or `pip install .` after the last change, or
    PYTHONPATH=<checkout>), or the figures are another version's. A stale install in a venv
    once measured the search page of the day before."""
    import os

    import backchannel

    if os.environ.get("BACKCHANNEL_BENCH_OTHER_CHECKOUT"):  # talk_matching.py --against: on purpose
        return
    here = Path(__file__).resolve().parent.parent
    installed = Path(backchannel.__file__).resolve().parent
    if installed == here / "backchannel":
        return
    folders = {"backchannel": installed, "collectors": installed / "collectors",
               "site_templates": installed / "site_templates"}
    for name, target in folders.items():
        for path in sorted((here / name).rglob("*")):
            if path.is_file() and "__pycache__" not in path.parts and path.suffix not in (".pyc",):
                twin = target / path.relative_to(here / name)
                if not twin.is_file() or twin.read_bytes() != path.read_bytes():
                    raise SystemExit(
                        f"benchmarks: `backchannel` is imported from {installed}, whose {twin.name} differs from "
                        f"this checkout's {path.relative_to(here)}; run `pip install -e {here}` (or `pip install "
                        f"{here}` again) in this Python, or set PYTHONPATH={here}")


_measuring_this_checkout()

TOPICS = {
    "en": ("vector index search latency cache kubernetes python rust database query planner "
           "accessibility testing onboarding mentoring pricing customers invoices security threat "
           "model phishing patients clinical trial dosage classroom feedback grading curriculum "
           "pipeline dashboard metrics observability tracing sampling embeddings retrieval ranking "
           "deployment rollback incident postmortem budget hiring community open source license "
           "privacy consent encryption backups migration schema benchmark throughput memory").split(),
    "de": ("Suche Index Datenbank Sicherheit Patienten Unterricht Rückmeldung Kunden Rechnungen "
           "Bereitstellung Überwachung Messwerte Speicher Leistung Vortrag Folien Erkenntnis").split(),
    "es": ("búsqueda índice base datos seguridad pacientes clase evaluación clientes facturas "
           "despliegue monitoreo métricas memoria rendimiento charla diapositivas aprendizaje").split(),
    "fr": ("recherche index base données sécurité patients classe évaluation clients factures "
           "déploiement surveillance métriques mémoire performance conférence diapositives").split(),
    "ja": ["検索", "索引", "データベース", "安全", "患者", "授業", "顧客", "請求書", "監視", "性能", "講演", "資料"],
}
GLUE = {
    "en": "the a is of to and in that it for with as on we this really great key lesson learned".split(),
    "de": "der die das ist und zu mit für wir nicht sehr gut".split(),
    "es": "el la es de y que en para con muy buena".split(),
    "fr": "le la est de et que dans pour avec très bien".split(),
    "ja": ["は", "の", "が", "を", "に", "と", "です", "ました"],
}
LANGS = ["en"] * 14 + ["de", "de", "es", "fr", "ja"]
OPENERS = ["Key takeaway:", "TIL", "Great talk by", "Question:", "Slides:", "Thanks to", "", "", "", ""]
# Shares and lengths as the services allow them: Mastodon posts up to 500 characters (about
# 70 words), Bluesky up to 300 (about 45), blog recaps a few hundred to 1,500 words but a small
# share of an event's posts (the demo event has 2%; we take 3%).
SOURCES = ["mastodon"] * 62 + ["bluesky"] * 35 + ["rss"] * 3
WORDS = {"mastodon": (8, 70), "bluesky": (6, 45), "rss": (150, 1500)}


def schedule(start: datetime, days: int = 2, tracks: int = 2) -> list[dict]:
    talks = []
    for day in range(days):
        for slot in range(8):
            begin = start + timedelta(days=day, minutes=slot * 60)
            for track in range(tracks):
                n = len(talks)
                talks.append({"guid": f"talk-{n:03d}", "title": f"Talk {n}: {TOPICS['en'][n % 40]} at scale",
                              "start": begin, "end": begin + timedelta(minutes=45),
                              "room": f"Hall {'AB'[track % 2]}{track // 2 or ''}", "speaker": f"speaker{n}"})
    return talks


def posts(count: int, seed: int = 1, start: datetime | None = None) -> list[dict]:
    rng = random.Random(seed)
    start = start or datetime(2026, 9, 1, 7, 0, tzinfo=timezone.utc)
    talks = schedule(start)
    authors = [(f"user{i}", rng.choice(["example.social", "fosstodon.example", "bsky.example", "blog.example"]))
               for i in range(600)]
    weights = [1 / (i + 1) ** 0.8 for i in range(len(authors))]
    out = []
    for i in range(count):
        lang = rng.choice(LANGS)
        source = rng.choice(SOURCES)
        talk = rng.choice(talks)
        # 80% of posts fall in a talk slot, the rest anywhere in the two days (fewer at night).
        if rng.random() < 0.8:
            created = talk["start"] + timedelta(seconds=rng.randint(0, 55 * 60))
        else:
            created = start + timedelta(seconds=rng.randint(-6 * 3600, 2 * 24 * 3600))
        user, server = rng.choices(authors, weights)[0]
        words = _words(rng, lang, rng.randint(*WORDS[source]))
        tags = ["pyconex"] + rng.sample(["ai", "security", "data", "teaching", "keynote", "python"], rng.randint(0, 2))
        links = [f"https://{rng.choice(['github.com', 'speakerdeck.com', 'youtu.be', 'arxiv.org', 'blog.example'])}/{user}/{i}"] \
            if rng.random() < 0.25 else []
        opener = rng.choice(OPENERS)
        text = " ".join(filter(None, [opener, words, *links, *("#" + t for t in tags)]))
        out.append({
            "id": f"{source}-bench{i:07d}",
            "source": source,
            "url": f"https://{server}/@{user}/{i}",
            "author": {"handle": f"{user}@{server}", "name": user.title(), "url": f"https://{server}/@{user}"},
            "created_at": created.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "text": text,
            "lang": lang,
            "tags": tags,
            "links": links,
            "metrics": {"likes": int(rng.paretovariate(1.5)) - 1, "reposts": int(rng.paretovariate(2.5)) - 1,
                        "replies": rng.randint(0, 3), "quotes": 0},
        })
    return out


_SYLLABLES = ("ka re to mi sa lo ven dor tri pla qua ster ion ment ber gan fel rox dil "
              "mar tek sol vin cor pen lux nor zel tas").split()
_VOCAB: dict[str, tuple[list[str], list[float]]] = {}


def vocabulary(lang: str) -> tuple[list[str], list[float]]:
    """A Zipf-distributed vocabulary: glue words first, the topic words among the common
    ones, then thousands of rarer made-up words, so a topic word is in ~1% of posts."""
    if lang not in _VOCAB:
        rng = random.Random(lang)
        rare = sorted({"".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4)))
                       for _ in range(12000)})
        rng.shuffle(rare)
        words = GLUE[lang] + rare[:40] + TOPICS[lang] + rare[40:]
        _VOCAB[lang] = (words, [1 / (rank + 1) ** 1.05 for rank in range(len(words))])
    return _VOCAB[lang]


def _words(rng: random.Random, lang: str, n: int) -> str:
    words, weights = vocabulary(lang)
    joiner = "" if lang == "ja" else " "
    return joiner.join(rng.choices(words, weights, k=n))


def schedule_json(start: datetime) -> str:
    """The talks of `schedule()` as a pretalx/frab schedule.json."""
    days: dict[str, dict] = {}
    for t in schedule(start):
        date = t["start"].date().isoformat()
        day = days.setdefault(date, {"index": len(days) + 1, "date": date, "rooms": {}})
        day["rooms"].setdefault(t["room"], []).append({
            "guid": t["guid"], "title": t["title"], "date": t["start"].isoformat(),
            "start": t["start"].strftime("%H:%M"), "duration": "00:45", "room": t["room"],
            "persons": [{"public_name": t["speaker"]}]})
    return json.dumps({"schedule": {"conference": {"title": "PyCon Example", "time_zone_name": "UTC",
                                                    "days": list(days.values())}}})


CONFIG = """[event]
name = "PyCon Example"
hashtags = ["pyconex"]
timezone = "Europe/Berlin"
start = 2026-09-01
end = 2026-09-02
schedule = "schedule.json"
"""


def write_event(folder: Path, count: int, seed: int = 1) -> Path:
    """posts.jsonl, schedule.json and backchannel.toml of a synthetic event in `folder`."""
    folder.mkdir(parents=True, exist_ok=True)
    with (folder / "posts.jsonl").open("w", encoding="utf-8") as fh:
        for record in posts(count, seed):
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")
    (folder / "schedule.json").write_text(schedule_json(datetime(2026, 9, 1, 7, 0, tzinfo=timezone.utc)))
    (folder / "backchannel.toml").write_text(CONFIG)
    return folder


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("count", type=int)
    ap.add_argument("-o", "--out", type=Path, default=Path("benchmarks/out/event"))
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    print(write_event(args.out, args.count, args.seed))


if __name__ == "__main__":
    main()
