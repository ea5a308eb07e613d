"""Talk matching stays as accurate as measured, in every programme format.

The sets in tests/data/talks/ were written by someone other than whoever tunes the matcher
(programmes, posts and labels; see README, Talks). The matcher was tuned on `dev`;
`heldout` was run once after that tuning, then (its score reported) used for error
analysis too, and so were `heldout2` and `heldout3` after their one run; `heldout4` was run
once, after the matcher of issue 15's fourth round was final, then used for error analysis in the
fifth; `heldout5` was run once, after the fifth round's matcher was final, then used for error analysis in
the sixth; `heldout6` and `heldout7` were written blind, scored once, then used in the seventh. Each floor is the
measured accuracy less a small margin (about two posts in a hundred), so a change that
costs accuracy fails here.
"""

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SETS = ROOT / "tests" / "data" / "talks"
# set → lowest accepted accuracy, per format (measured: see README, Talks)
# heldout2 (Tidewater 2026, another field and languages) was scored once at 81.6 % JSON, 81.0 % XML,
# 81.6 % iCalendar, then used for error analysis: 92.6 / 92.1 / 92.6 % since.
# heldout3 (Ciudad Móvil 2026, urban mobility; es, en, ja, nl, de) was copied in and scored once, after
# the matcher was final: 80.5 % JSON, 80.0 % XML, 82.5 % iCalendar (82.0 / 81.5 / 83.0 % after fixing
# general causes it showed: rooms with their venue, rooms people go to, cold rooms).
# The fourth round (other scripts, days named, quotes, choices, cognates) used all four for error analysis:
# dev 93.3 %, heldout 89.2 %, heldout2 94.2 % in every format, heldout3 90.5 / 90.0 / 91.5 %.
# heldout4 (Champs Ouverts 2026, agriculture; fr, en, zh, it, pt, de) was copied in and scored once, after that
# round's matcher was final: 83.9 % in every format; the fifth round used it for error analysis: 87.4 %.
# heldout5 (Klangraum 2026, music technology; en, de, ja, sv, es, fr, pl) was copied in and scored once, after
# the fifth round's matcher was final: 85.0 % in every format. The sixth round used all six for error analysis:
# dev 95.9 %, heldout 90.2 %, heldout2 95.8 %, heldout3 92.0 / 91.5 / 93.0 %, heldout4 90.0 %, heldout5 91.0 %.
# heldout6 (Werkbank 2026, design and maker education; nl, en, de, ko, es, it, tr; pretalx) and heldout7 (Pulso
# 2026, public health; es, en, pt, ja, fr, de; frab, 4 rooms, UTC-3) were written blind and scored once: with the
# fifth round's matcher 82.5 / 81.5 / 82.5 % and 89.8 / 89.8 / 89.3 %, with the sixth's 84.0 / 83.5 / 83.0 % and
# 89.3 / 89.3 / 88.8 %. The seventh round used all eight for error analysis (a kind named in a post about
# being there; a tag used for an occasion ahead after the talk's day): heldout2 96.3 %, heldout6 84.5 / 84.0 /
# 83.5 %, heldout7 91.4 / 91.4 / 90.9 %, the others unchanged.
# heldout8 (Nordlys 2026, Arctic research; en, nb, fi, zh, fr, de, ja; pretalx) and heldout9 (Kōdō 2026, robotics,
# Osaka; ja, en, ko, zh, de, es; frab) were written blind during the seventh round and scored once with the sixth
# round's matcher (81.2 %, 78.8 %) and once with the seventh's, the final one: 82.2 % and 78.8 % in every format.
# heldout10 (Kaleido 2026, design systems and accessibility, Lisbon; pt, en, es, fr, it; pretalx) and heldout11
# (Mimir 2026, libraries and archives, Warsaw; en, pl, de, cs, uk, fr; frab) were written blind after the seventh
# round was final and scored once with the same final matcher: 89.3 % in every format, and 85.0 / 83.5 / 85.0 %.
FLOORS = {"dev": 0.92, "heldout": 0.88, "heldout2": 0.94, "heldout3": 0.89, "heldout4": 0.88, "heldout5": 0.89,
          "heldout6": 0.82, "heldout7": 0.89, "heldout8": 0.80, "heldout9": 0.76, "heldout10": 0.87,
          "heldout11": 0.82}
MAX_GAP = 0.03  # no format more than 3 points behind another


def _accuracy_script():
    spec = importlib.util.spec_from_file_location("talk_accuracy", ROOT / "benchmarks" / "talk_accuracy.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def evaluate():
    return _accuracy_script().evaluate


@pytest.mark.parametrize("name", sorted(FLOORS))
def test_accuracy_in_every_format_stays_at_what_was_measured(evaluate, name):
    results = evaluate(SETS / name)
    assert {r["format"] for r in results.values()} == {"pretalx/frab JSON", "frab XML", "iCalendar"}
    accuracy = {r["format"]: r["accuracy"] for r in results.values()}
    assert all(a >= FLOORS[name] for a in accuracy.values()), accuracy
    assert max(accuracy.values()) - min(accuracy.values()) <= MAX_GAP, accuracy
    for r in results.values():
        assert r["posts"] == sum(r["counts"].values()) and r["posts"] >= 150


def test_matches_and_reasons_are_the_same_in_every_process():
    # Sets iterate in a different order per process (string hashing is seeded): the matcher
    # must not depend on it, or a rebuilt digest would differ from the last one.
    script = ("import json, sys; sys.path.insert(0, 'benchmarks'); from pathlib import Path; "
              "import talk_accuracy as ta; from backchannel.talks.programme import load_schedule; "
              "from backchannel.talks.matcher import Matcher; folder = Path('tests/data/talks/dev'); "
              "posts, _ = ta.load_set(folder); s = load_schedule(folder / 'programme.ics'); "
              "m = Matcher(s.talks, s.timezone); print(json.dumps([m.match(p) for p in posts]))")
    runs = [subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONHASHSEED": seed}) for seed in ("1", "2")]
    assert all(r.returncode == 0 for r in runs), runs[0].stderr[-2000:]
    assert runs[0].stdout == runs[1].stdout and len(json.loads(runs[0].stdout)) == 193
