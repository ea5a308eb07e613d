#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run them.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=${VENV:-.venv}
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check ".[test]"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
