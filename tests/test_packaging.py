"""A non-editable install must ship the collectors and the site templates, not just the core."""

import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
def test_wheel_contains_every_package_and_its_data(tmp_path):
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation",
                    "-q", "-w", str(tmp_path), str(ROOT)], check=True)
    wheel = next(tmp_path.glob("backchannel-*.whl"))
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {"backchannel/cli/main.py", "backchannel/config_keys.py", "backchannel/collectors/base.py",
                "backchannel/classify/data/model.json", "backchannel/demo/data/schedule.json",
                "backchannel/demo/data/mastodon-a.json", "backchannel/demo/data/bluesky.json",
                "backchannel/site_templates/__init__.py"}
    assert expected <= names
    shipped = {"backchannel/" + p.relative_to(ROOT).as_posix()
               for p in (ROOT / "site_templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts}
    assert shipped <= names, shipped - names
    # The wheel claims one import name: a generic top-level `collectors` would clash with
    # the PyPI distribution of that name.
    top = {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")}
    assert top == {"backchannel"}, top
    # Every module of the checkout is in the wheel (pyproject lists the packages by hand).
    modules = {("backchannel/" if folder != "backchannel" else "") + p.relative_to(ROOT).as_posix()
               for folder in ("backchannel", "collectors", "site_templates")
               for p in (ROOT / folder).rglob("*.py") if "__pycache__" not in p.parts}
    assert modules <= names, modules - names
    assert any(n.endswith("entry_points.txt") for n in names)
    assert not any(n.startswith(("tests/", "output/", "benchmarks/")) for n in names)
