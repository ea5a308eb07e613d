"""One full build of the fixture event, compared file by file with the expected output
(Pelican's output-diff test). After a deliberate change to the pages, regenerate with

    BACKCHANNEL_REGEN=1 python -m pytest tests/test_digest_output.py

and review the diff of tests/fixtures/digest/expected/ like any other change.
"""

from __future__ import annotations

import difflib
import os
import re
import shutil
from pathlib import Path

from backchannel.digest import build
from fixtures.digest import event

EXPECTED = Path(__file__).parent / "fixtures" / "digest" / "expected"
# What may change without the pages changing: the cache-busting tag of the CSS/JS and the version.
VOLATILE = [(re.compile(r"\?v=[0-9a-f]{8}"), "?v=ASSETS"),
            (re.compile(r'content="backchannel [^"]+"'), 'content="backchannel VERSION"')]


def normalised(path: Path) -> str:
    text = path.read_text("utf-8")
    for pattern, replacement in VOLATILE:
        text = pattern.sub(replacement, text)
    return text


def produced(site: Path) -> dict[str, Path]:
    """The built files that are ours to compare: pages, feed, recap, JSONL (not static assets)."""
    return {p.relative_to(site).as_posix(): p for p in sorted(site.rglob("*"))
            if p.is_file() and not p.name.startswith(".") and p.relative_to(site).parts[0] != "static"}


def test_the_fixture_event_builds_exactly_the_expected_pages(tmp_path):
    cfg = event.config(tmp_path, digest={"base_url": "https://digest.example/pycon/"}, schedule=event.SCHEDULE)
    event.fill(cfg, event.records()).close()
    build(cfg, now=event.NOW, search=False)  # as `backchannel build --no-search` does: talks, ranking and all
    files = produced(cfg.digest.output)
    if os.environ.get("BACKCHANNEL_REGEN"):
        shutil.rmtree(EXPECTED, ignore_errors=True)
        for rel, path in files.items():
            (EXPECTED / rel).parent.mkdir(parents=True, exist_ok=True)
            (EXPECTED / rel).write_text(normalised(path), "utf-8")
    expected = {p.relative_to(EXPECTED).as_posix() for p in EXPECTED.rglob("*") if p.is_file()}
    assert sorted(files) == sorted(expected)
    for rel, path in files.items():
        want, got = (EXPECTED / rel).read_text("utf-8"), normalised(path)
        if want != got:
            diff = "".join(difflib.unified_diff(want.splitlines(True), got.splitlines(True),
                                                f"expected/{rel}", f"built/{rel}", n=2))
            raise AssertionError(f"{rel} differs from the expected page:\n{diff[:4000]}")
