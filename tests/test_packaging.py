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
    expected = {"backchannel/cli.py", "backchannel/starter.toml", "collectors/base.py",
                "backchannel/classifier_data/model.json", "backchannel/demo/data/schedule.json",
                "backchannel/demo/data/mastodon-a.json", "backchannel/demo/data/bluesky.json",
                "site_templates/__init__.py"}
    assert expected <= names
    shipped = {p.relative_to(ROOT).as_posix() for p in (ROOT / "site_templates").rglob("*")
               if p.is_file() and "__pycache__" not in p.parts}
    assert shipped <= names, shipped - names
    assert any(n.endswith("entry_points.txt") for n in names)
    assert not any(n.startswith(("tests/", "output/", "benchmarks/")) for n in names)
