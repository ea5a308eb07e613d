#!/usr/bin/env bash
# Install everything the tests need on a fresh machine, then run them.
# Usage: bash scripts/test.sh [pytest args]
set -euo pipefail
cd "$(dirname "$0")/.."

# The browser tests drive Debian's Chromium through Playwright (no browser download).
if [ ! -x /usr/bin/chromium ]; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The accessibility tests inject axe-core into those pages: from the npm registry, pinned by
# tests/axe/package-lock.json, installed here so that no test downloads anything.
if ! command -v npm >/dev/null; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq npm >/dev/null
fi
npm ci --prefix tests/axe --no-audit --no-fund --loglevel=error

# The Jetstream tests check profiles, labels and counts against the atproto reference stack
# (@atproto/dev-env, pinned by tests/atproto/package-lock.json); its AppView needs PostgreSQL
# and Redis, which run on 127.0.0.1 only while that test runs.
NEED=()
command -v redis-server >/dev/null || NEED+=(redis-server)
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || command -v initdb >/dev/null || NEED+=(postgresql)
if [ ${#NEED[@]} -gt 0 ]; then
    SUDO=$([ "$(id -u)" -eq 0 ] || echo sudo)
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -qq
    $SUDO apt-get install -y -qq "${NEED[@]}" >/dev/null
fi
npm ci --prefix tests/atproto --no-audit --no-fund --loglevel=error

VENV=${VENV:-.venv}
python3 -m venv "$VENV"
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check ".[test]"
exec "$VENV/bin/python" -m pytest -p no:cacheprovider "$@"
