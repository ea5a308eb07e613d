"""How to type `backchannel` in a hint we print, so that copying it works.

Installed in a virtualenv, `backchannel` is on PATH only while the venv is activated: a hint
that says `backchannel serve` then fails with "command not found". `program()` names the
command as this shell can run it: `backchannel` when that is the one on PATH, else the path
of the script next to this Python (`.venv/bin/backchannel`), else `python -m backchannel`.
"""

from __future__ import annotations

import os
import shlex
import shutil
import sys
from pathlib import Path


def program() -> str:
    script = Path(sys.executable).parent / "backchannel"
    found = shutil.which("backchannel")
    if script.is_file():
        if found and Path(found).resolve() == script.resolve():
            return "backchannel"
        return shlex.quote(_short(script))
    if found:
        return "backchannel"
    return f"{shlex.quote(_short(Path(sys.executable)))} -m backchannel"


def _short(path: Path) -> str:
    """The path relative to the current folder when it lies below it (`.venv/bin/backchannel`)."""
    try:
        return os.path.relpath(path) if Path(path).resolve().is_relative_to(Path.cwd().resolve()) else str(path)
    except ValueError:
        return str(path)
