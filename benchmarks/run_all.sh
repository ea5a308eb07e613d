#!/usr/bin/env bash
# Every benchmark, at conference scale, one table each. Takes about 25 minutes on 2 cores.
#   bash benchmarks/run_all.sh            # 100,000 posts (20,000 for ingest and refresh)
#   bash benchmarks/run_all.sh --smoke    # tiny sizes: checks the scripts run (CI does this)
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ "${1:-}" = "--smoke" ]; then
    BIG=2000; MID=1000; SECONDS_RUN=8; IMPORT_MB="1 2"; JETSTREAM_SECONDS=2
else
    BIG=100000; MID=20000; SECONDS_RUN=180; IMPORT_MB="50 200"; JETSTREAM_SECONDS=30
fi
echo "# $(date -u +%Y-%m-%dT%H:%MZ) on $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB, Python $($PY -c 'import platform; print(platform.python_version())')"
$PY benchmarks/ingest.py "$MID"
$PY benchmarks/classify_bench.py --posts "$MID"
$PY benchmarks/talk_matching.py "$MID"
$PY benchmarks/keypoints_bench.py "$MID"
$PY benchmarks/search.py "$BIG" --rounds 20
$PY benchmarks/digest.py "$MID"
$PY benchmarks/digest.py "$BIG"
$PY benchmarks/browser_search.py "$BIG"
$PY benchmarks/memory.py "$BIG" --seconds "$SECONDS_RUN"
$PY benchmarks/import_memory.py $IMPORT_MB
$PY benchmarks/jetstream_bench.py --seconds "$JETSTREAM_SECONDS"
