"""Jetstream posts checked against the atproto reference stack (`@atproto/dev-env`).

A real PDS and the real Bluesky AppView (with the PostgreSQL and Redis they need) run on
127.0.0.1 (`tests/atproto/network.js`). Accounts and posts are made through the PDS; the
records it stored are sent through the loopback Jetstream as Jetstream would send them. The
collector then asks the real AppView, without a login, for the authors' profiles and labels
(`getProfiles`) and for counts (`getPosts`).

`scripts/test.sh` installs what this needs (apt: postgresql, redis-server; npm ci in
tests/atproto). Without it the test is skipped and says so.
"""

from __future__ import annotations

import glob
import json
import os
import selectors
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from jetstream_server import JetstreamServer
from test_jetstream import Stored, connected, make_collector

HERE = Path(__file__).parent / "atproto"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _tools() -> dict[str, str]:
    found = {"node": shutil.which("node"), "redis-server": shutil.which("redis-server"),
             "initdb": shutil.which("initdb") or next(iter(sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))), None)}
    missing = [name for name, path in found.items() if not path]
    if not (HERE / "node_modules" / "@atproto" / "dev-env").is_dir():
        missing.append("tests/atproto/node_modules (npm ci --prefix tests/atproto)")
    if missing:
        pytest.skip("the atproto reference stack is not installed (scripts/test.sh installs it): " + ", ".join(missing))
    return found


def _as_postgres(cmd: list[str]) -> list[str]:
    """PostgreSQL refuses to run as root: run it as the `postgres` user then."""
    return ["runuser", "-u", "postgres", "--", *cmd] if os.geteuid() == 0 else cmd


@pytest.fixture(scope="module")
def network():
    tools = _tools()
    pg_bin = Path(tools["initdb"]).parent
    # Not under pytest's tmp folder: that one is private to our user, and PostgreSQL may run as another.
    folder = Path(tempfile.mkdtemp(prefix="backchannel-atproto-"))
    data = folder / "pg"
    if os.geteuid() == 0:
        shutil.chown(folder, "postgres")
    pg_port, redis_port = _free_port(), _free_port()
    subprocess.run(_as_postgres([str(pg_bin / "initdb"), "-D", str(data), "-U", "pg", "--auth=trust", "-E", "UTF8"]),
                   check=True, capture_output=True)
    subprocess.run(_as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-l", str(folder / "pg.log"), "-w", "-o",
                                 f"-p {pg_port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off", "start"]),
                   check=True, capture_output=True)
    redis = subprocess.Popen([tools["redis-server"], "--port", str(redis_port), "--bind", "127.0.0.1",
                              "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
    env = dict(os.environ, DB_POSTGRES_URL=f"postgresql://pg@127.0.0.1:{pg_port}/postgres",
               REDIS_HOST=f"127.0.0.1:{redis_port}", LOG_ENABLED="false")
    node = subprocess.Popen([tools["node"], str(HERE / "network.js")], cwd=HERE, env=env, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        yield _first_line(node, timeout=180)
    finally:
        node.stdin.close()
        try:
            node.wait(30)
        except subprocess.TimeoutExpired:
            node.kill()
        redis.terminate()
        redis.wait(10)
        subprocess.run(_as_postgres([str(pg_bin / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
                       capture_output=True)
        shutil.rmtree(folder, ignore_errors=True)


def _first_line(proc: subprocess.Popen, timeout: float) -> dict:
    sel = selectors.DefaultSelector()
    sel.register(proc.stdout, selectors.EVENT_READ)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if sel.select(1.0):
            line = proc.stdout.readline()
            if line.startswith("{"):
                return json.loads(line)
            if not line and proc.poll() is not None:
                break
    proc.kill()
    raise AssertionError("the atproto network did not start: " + proc.stderr.read()[-2000:])


def test_profiles_labels_and_counts_come_from_the_reference_appview(network, tmp_path):
    with JetstreamServer() as jetstream:
        c = make_collector(tmp_path, [jetstream.url], network["appview"])
        stored = Stored(tmp_path)
        try:
            stored.run(c, connected(c))
            for post in network["posts"]:
                jetstream.create(post["did"], post["rkey"], post["record"], cid=post["cid"])
            stored.run(c, lambda s: s.archive.count() + sum(s.skipped.values()) >= 3, timeout=30)
            [kept] = list(stored.archive.posts())
            assert kept.uri == network["liked"]
            assert (kept.author.handle, kept.author.name) == ("ada.test", "Ada Lovelace")
            assert stored.skipped == {"opted out (!no-unauthenticated)": 1, "labelled adult": 1}
            # Counts: the like the fan gave arrives with the refresh from the AppView's getPosts.
            c._next_refresh = 0.0
            stored.run(c, lambda s: s.archive.get(kept.id).metrics.likes == 1, timeout=30)
            assert not stored.errors, stored.errors
        finally:
            stored.archive.close()
