"""The benchmarks still run: `benchmarks/run_all.sh --smoke` at tiny sizes (not a measurement)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


@pytest.mark.slow
@pytest.mark.browser
@pytest.mark.timeout(660)  # the run below may take its whole 600 s on a busy machine
def test_every_benchmark_runs_and_prints_its_table(tmp_path):
    env = {**os.environ, "PYTHON": sys.executable, "BACKCHANNEL_BENCH_OUT": str(tmp_path)}
    result = subprocess.run(["bash", str(ROOT / "benchmarks" / "run_all.sh"), "--smoke"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr[-2000:]
    for heading in ("ingest of 1000 posts", "| classify_text |", "talk matching: 1000 posts against 200 talks",
                    "Key points: 1,000 takeaways grouped", "search on 2000 posts", "digest of 2000 posts",
                    "in-browser search on the digest of 2000 posts", "`backchannel run` on 2000 posts",
                    "`backchannel import` of twarc2 JSONL", "Jetstream reader, 4,000 post events"):
        assert heading in result.stdout, heading
    assert "exit code 0" in result.stdout
