"""Sources, kinds and secret variables are declared once, in `backchannel/names.py`.

A second literal list of them would drift (a new kind missing from one page, a renamed
variable still read somewhere): these tests read every module of the package and fail on a
copy, naming the file and line.
"""

import ast
import re
from pathlib import Path

import pytest

from backchannel import names

ROOT = Path(__file__).resolve().parents[1]
MODULES = sorted(p for folder in ("backchannel", "collectors") for p in (ROOT / folder).rglob("*.py")
                 if p != ROOT / "backchannel" / "names.py")
SETS = {"source names": set(names.SOURCES), "kinds": set(names.KINDS)}
TEMPLATES = sorted((ROOT / "site_templates").rglob("*.html"))


def is_table(node: ast.AST) -> bool:
    """A dict of plain values (labels, titles): a copy when its keys are a declared set.
    A dict that maps each kind to code (how it is ranked) is behaviour, not a declaration."""
    return isinstance(node, ast.Dict) and all(isinstance(v, ast.Constant) for v in node.values)


def copies(source: str) -> list[tuple[int, str]]:
    """(line, what) for each literal that repeats a declared set or a secret's name."""
    found = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, (ast.Tuple, ast.List, ast.Set)) or is_table(node):
            items = node.keys if isinstance(node, ast.Dict) else node.elts
            strings = {n.value for n in items if isinstance(n, ast.Constant) and isinstance(n.value, str)}
            found += [(node.lineno, what) for what, declared in SETS.items()
                      if len(strings) >= 2 and strings <= declared]
        elif isinstance(node, ast.Constant) and node.value in names.SECRET_VARS:
            found.append((node.lineno, f"the variable {node.value}"))
    return found


@pytest.mark.parametrize("path", MODULES, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_module_repeats_what_names_declares(path):
    found = copies(path.read_text("utf-8"))
    assert not found, "; ".join(f"{path.relative_to(ROOT)}:{line}: a copy of {what} "
                                "(import it from backchannel.names)" for line, what in found)


@pytest.mark.parametrize("text, expected", [
    ('ORDER = ("takeaway", "question", "other")', "kinds"),
    ('LABELS = {"mastodon": "Mastodon", "bluesky": "Bluesky"}', "source names"),
    ('token = env["BACKCHANNEL_MASTODON_TOKEN"]', "the variable BACKCHANNEL_MASTODON_TOKEN"),
])
def test_a_copy_is_caught(text, expected):
    assert [what for _, what in copies(text)] == [expected]


@pytest.mark.parametrize("text", [
    'if post.kind == "takeaway" and post.source in ("mastodon",): pass',
    'WORDS = ("mastodon", "fediverse", "bluesky", "handle")',  # words that happen to be names
    'rules = {"takeaway": rank(items), "question": open_first(items)}',
])
def test_a_name_used_as_a_value_is_not_a_copy(text):
    assert copies(text) == []


def listed_in_template(text: str) -> list[str]:
    """Two declared names quoted one after the other (`("takeaway", "question", …)`)."""
    found = []
    for what, declared in SETS.items():
        name = "|".join(sorted(declared))
        found += [what for _ in re.finditer(rf"""["']({name})["']\s*,\s*["']({name})["']""", text)]
    return found


@pytest.mark.parametrize("path", TEMPLATES, ids=lambda p: p.name)
def test_no_template_lists_the_kinds_or_sources(path):
    """Templates loop over `kind_titles` (names.KIND_TITLES) instead of their own list."""
    assert listed_in_template(path.read_text("utf-8")) == []


def test_a_template_list_is_caught():
    assert listed_in_template('{% for k in ("takeaway", "question") %}') == ["kinds"]
