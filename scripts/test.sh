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

# npm packages and the venv are installed once per lock file (pyproject.toml for the venv) into
# a cache outside the checkout: a new machine installs everything, later runs reuse it.
CACHE=${BACKCHANNEL_TEST_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/backchannel-tests}
npm_install() {  # npm_install FOLDER: FOLDER/node_modules as its package-lock.json pins it
    local dir=$1 target
    target="$CACHE/npm-$(basename "$dir")-$(sha256sum "$dir/package-lock.json" | cut -c1-16)"
    if [ ! -f "$target/.installed" ]; then
        rm -rf "$target" && mkdir -p "$target"
        cp "$dir/package.json" "$dir/package-lock.json" "$target/"
        npm ci --prefix "$target" --no-audit --no-fund --loglevel=error
        touch "$target/.installed"
    fi
    rm -rf "$dir/node_modules"
    ln -s "$target/node_modules" "$dir/node_modules"
}
npm_install tests/axe

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
npm_install tests/atproto

VENV=${VENV:-$CACHE/venv-$(cat pyproject.toml | sha256sum | cut -c1-16)}
if [ ! -f "$VENV/.installed" ]; then
    rm -rf "$VENV"
    python3 -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check ".[test]"
    touch "$VENV/.installed"
fi
# This checkout's own package, always (its dependencies are the venv's).
"$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --no-deps --force-reinstall .
# -rs: every skipped test is listed with its reason (a skip must never hide a missing install).
exec "$VENV/bin/python" -m pytest -p no:cacheprovider -rs "$@"
