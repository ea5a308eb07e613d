"""Helpers for the hostile-input tests: run the real command line, read what a user would see."""

from __future__ import annotations

import json
import re
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from backchannel.cli.main import cli

ROOT = Path(__file__).resolve().parent.parent


def good(n: int, **extra) -> dict:
    """A valid Post JSONL object; `extra` replaces or adds fields."""
    rec = {"id": f"import-good{n}", "source": "import", "created_at": f"2026-09-01T{8 + n % 10:02d}:{n % 60:02d}:00Z",
           "text": f"Good post number {n} about zebra crossings", "url": f"https://example.social/@ada/{n}",
           "author": {"handle": "ada@example.social", "name": "Ada"}}
    rec.update(extra)
    return rec


def line(rec) -> str:
    return rec if isinstance(rec, str) else json.dumps(rec, ensure_ascii=False)


def write_lines(path: Path, records) -> Path:
    with open(path, "w", encoding="utf-8", errors="surrogatepass") as fh:
        for rec in records:
            fh.write(line(rec) + "\n")
    return path


def cli_run(tmp_path: Path, *args, input=None):
    """`backchannel ARGS --data-dir tmp/data` through click's runner (stderr kept apart)."""
    return CliRunner().invoke(cli, [*args, "--data-dir", str(tmp_path / "data")], input=input)


def run(*args, cwd=None, env=None, input=None, timeout=120) -> subprocess.CompletedProcess:
    """`python -m backchannel ARGS` in a child process, as an operator would run it."""
    full_env = {**os.environ, "PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "backchannel", *map(str, args)], cwd=cwd, env=full_env,
                          input=input, capture_output=True, timeout=timeout)


def assert_clean(result) -> None:
    """No traceback and no Python exception name anywhere in what was printed."""
    if not isinstance(result, subprocess.CompletedProcess):  # the runner catches what would be a traceback
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    text = _all_output(result)
    assert "Traceback" not in text, text[-3000:]
    assert not re.search(r"[A-Za-z](Error|Exception)\b", text), text[-3000:]  # "Error: …" from click is fine


def _all_output(result) -> str:
    if isinstance(result, subprocess.CompletedProcess):
        return (result.stdout + result.stderr).decode("utf-8", "replace")
    return result.output  # stdout and stderr as they interleaved


def search_ids(tmp_path: Path, query: str = "", *args) -> list[str]:
    result = cli_run(tmp_path, "search", query, "--json", "--limit", "100000", *args)
    assert result.exit_code in (0, 1), result.output
    return [json.loads(x)["id"] for x in result.stdout.splitlines() if x.strip()]
