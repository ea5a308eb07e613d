"""Each long command on a real terminal (a pty) shows progress; on a pipe it shows none.

The commands run as real subprocesses. `on_terminal` gives them a pseudo-terminal of 120×40
as standard output and error, the way a person's terminal is; `on_pipes` gives them pipes,
the way a script, a service or `| less` does.
"""

import fcntl
import json
import os
import pty
import select
import shutil
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path

import pytest
from rich.filesize import decimal

from factories import many_posts, write_jsonl
from test_run import GrowingFeed, start_run, wait_for_posts, write_config
from backchannel.demo.loopback import Loopback

pytestmark = pytest.mark.slow


def _env(**extra) -> dict:
    # Whatever the machine running the tests says about its own terminal does not apply here.
    env = {k: v for k, v in os.environ.items()
           if k not in ("NO_COLOR", "FORCE_COLOR", "COLUMNS", "LINES") and not k.startswith("TTY_")}
    env.update(TERM="xterm-256color", **extra)
    return env


def on_terminal(*args, cwd=None, timeout=120, **env) -> tuple[int, str]:
    """Run `backchannel ARGS` with a pty as its terminal; (exit code, everything it showed)."""
    master, slave = pty.openpty()
    fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 40, 120, 0, 0))
    proc = subprocess.Popen([sys.executable, "-m", "backchannel", *args], cwd=cwd, env=_env(**env),
                            stdin=slave, stdout=slave, stderr=slave, close_fds=True)
    os.close(slave)
    chunks = []
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            ready, _, _ = select.select([master], [], [], 0.5)
            if ready:
                try:
                    data = os.read(master, 65536)
                except OSError:  # EIO: the child closed the terminal
                    break
                if not data:
                    break
                chunks.append(data)
            elif proc.poll() is not None:
                break
        else:
            proc.kill()
            raise AssertionError(f"backchannel {' '.join(args)} ran longer than {timeout}s")
    finally:
        os.close(master)
    return proc.wait(timeout=30), b"".join(chunks).decode("utf-8", "replace")


def on_pipes(*args, cwd=None, **env) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "backchannel", *args], cwd=cwd, env=_env(**env),
                          capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)


def _write_event(folder):
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "backchannel.toml").write_text('[event]\nname = "Terminal Event"\nhashtags = ["pyconex"]\n'
                                             'timezone = "Europe/Berlin"\n')
    write_jsonl(folder / "posts.jsonl", many_posts(800))
    return folder


@pytest.fixture
def event(tmp_path):
    """An event folder with 800 posts to import."""
    return _write_event(tmp_path / "event")


@pytest.fixture(scope="module")
def _imported(tmp_path_factory):
    folder = _write_event(tmp_path_factory.mktemp("imported") / "event")
    assert on_pipes("import", "posts.jsonl", cwd=folder).returncode == 0
    return folder


@pytest.fixture
def imported(_imported, tmp_path):
    """The same event with its posts imported (a copy per test)."""
    return Path(shutil.copytree(_imported, tmp_path / "event"))


def test_import_shows_bytes_lines_rate_and_time_on_a_terminal_only(event):
    code, screen = on_terminal("import", "posts.jsonl", cwd=event)
    assert code == 0, screen
    size = (event / "posts.jsonl").stat().st_size
    assert "━" in screen  # the bar
    assert f"{decimal(size)}/{decimal(size)}" in screen  # bytes read of the file's size, at the end
    assert "800 lines, 800 stored" in screen and "/s" in screen  # lines and the rate
    assert "0:00:" in screen  # time left, then time taken
    assert "Imported 800 new posts" in screen

    piped = on_pipes("import", "posts.jsonl", "--data-dir", str(event / "again"), cwd=event)
    assert piped.returncode == 0
    assert piped.stderr == "" and piped.stdout == "Imported 800 new posts, 0 updated.\n"


def test_reindex_and_build_show_each_stage_on_a_terminal_only(imported):
    event = imported
    code, screen = on_terminal("reindex", cwd=event)
    assert code == 0, screen
    assert "index posts" in screen and "800/800 posts" in screen and "merge" in screen
    piped = on_pipes("reindex", cwd=event)
    assert (piped.stdout, piped.stderr) == ("Indexed 800 posts.\n", "")

    code, screen = on_terminal("build", cwd=event)
    assert code == 0, screen
    for stage in ("load", "group", "render posts", "render pages", "search index"):
        assert stage in screen
    assert "800/800 posts" in screen and "800/800 pages" in screen
    days = len(list((event / "output" / "days").glob("*/index.html")))
    assert f"{days}/{days} shards" in screen
    assert "Built the digest of 800 posts" in screen

    piped = on_pipes("build", "--no-search", cwd=event)
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout.startswith("Built the digest of 800 posts") and len(piped.stdout.splitlines()) == 1


def test_json_and_quiet_show_no_progress_even_on_a_terminal(imported):
    event = imported
    code, screen = on_terminal("build", "--no-search", "--json", cwd=event)
    assert code == 0
    assert "render posts" not in screen and "\x1b[" not in screen
    assert json.loads(screen.strip().splitlines()[-1])["posts"] == 800
    code, screen = on_terminal("reindex", "--quiet", cwd=event)
    assert code == 0 and screen.strip() == ""


def test_collect_shows_pages_and_new_posts_per_source_while_it_backfills(tmp_path):
    with Loopback(GrowingFeed(step=40)) as server:
        config = write_config(tmp_path, f"""
[sources.rss]
feeds = [{{ url = "{server.url}/feed.xml", all = true }}]
""")
        code, screen = on_terminal("collect", "--once", "--config", str(config))
        assert code == 0, screen
        assert "rss" in screen and "1 pages" in screen and "40 new" in screen and "━" in screen
        piped = on_pipes("collect", "--once", "--config", str(config))
        code, quiet = on_terminal("collect", "--once", "--quiet", "--config", str(config))
    assert piped.returncode == 0 and piped.stderr == ""
    assert piped.stdout == "rss: 40 new, 0 updated, 0 deleted; seen 80, kept 80 (1 requests)\n"  # 40 stored before
    assert code == 0 and quiet.strip() == ""


def test_colour_only_on_a_terminal_and_never_with_no_color(imported):
    event = imported
    highlight = "\x1b[1;33m"
    code, screen = on_terminal("search", "vector", "--limit", "3", cwd=event)
    assert code == 0 and highlight in screen
    assert on_terminal("search", "vector", "--limit", "3", "--no-color", cwd=event)[1].count("\x1b[") == 0
    assert on_terminal("search", "vector", "--limit", "3", cwd=event, NO_COLOR="1")[1].count("\x1b[") == 0
    assert "\x1b[" not in on_pipes("search", "vector", "--limit", "3", cwd=event).stdout
    # the progress bars keep their shape without colour
    code, screen = on_terminal("reindex", cwd=event, NO_COLOR="1")
    assert "800/800 posts" in screen and "\x1b[3" not in screen and "\x1b[9" not in screen


# -- run and status ----------------------------------------------------------------------


@pytest.fixture
def live_feed(tmp_path):
    with Loopback(GrowingFeed()) as server:
        yield write_config(tmp_path, f"""
[sources.rss]
feeds = [{{ url = "{server.url}/feed.xml", all = true }}]
interval = 1
""")


def test_status_answers_beside_a_running_run_and_says_when_it_has_stopped(live_feed):
    config = live_feed
    proc = start_run(config)
    try:
        wait_for_posts(config, 6)
        time.sleep(2.5)  # one more write of the status file
        shown = on_pipes("status", "--config", str(config))
        assert shown.returncode == 0, shown.stderr
        assert f"pid {proc.pid}" in shown.stdout and "\x1b[" not in shown.stdout
        rss = next(line for line in shown.stdout.splitlines() if line.startswith("rss"))
        assert ("waiting" in rss or "polling" in rss) and "s ago" in rss
        assert "digest off (--no-digest)" in shown.stdout and "rss: 3 new" in shown.stdout

        line = on_pipes("status", "--json", "--config", str(config)).stdout
        assert len(line.splitlines()) == 1
        record = json.loads(line)
        assert record["active"] is True and record["pid"] == proc.pid and record["state"] == "running"
        source = record["run"]["sources"][0]
        assert source["name"] == "rss" and source["total_new"] >= 6 and source["extra"] == {}
        assert record["run"]["archive_total"] >= 6

        code, screen = on_terminal("status", "--config", str(config))
        assert code == 0 and "\x1b[" in screen and "new (all)" in screen
    finally:
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    stopped = on_pipes("status", "--config", str(config))
    assert stopped.returncode == 1 and stopped.stdout == ""
    assert f"no `run` is active: the last one (pid {proc.pid}) stopped at" in stopped.stderr
    record = json.loads(on_pipes("status", "--json", "--config", str(config)).stdout)
    assert record["active"] is False and record["state"] == "stopped"


def test_status_after_kill_9_says_the_run_is_gone(live_feed):
    config = live_feed
    proc = start_run(config)
    wait_for_posts(config, 3)
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=10)
    shown = on_pipes("status", "--config", str(config))
    assert shown.returncode == 1
    assert f"(pid {proc.pid}) is gone without stopping" in shown.stderr


def test_status_watch_follows_the_run_until_it_stops(live_feed):
    config = live_feed
    proc = subprocess.Popen([sys.executable, "-m", "backchannel", "run", "--config", str(config), "--no-digest",
                             "--stop-after", "6"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_posts(config, 1)
        watched = on_pipes("status", "--watch", "--json", "--config", str(config))
    finally:
        proc.wait(timeout=30)
    records = [json.loads(line) for line in watched.stdout.splitlines()]
    assert watched.returncode == 1  # it ended because the run did
    assert len(records) >= 2 and records[0]["active"] and not records[-1]["active"]
    totals = [r["run"]["sources"][0]["total_new"] for r in records if r["active"]]
    assert totals == sorted(totals)


def test_run_on_a_terminal_keeps_a_live_table(live_feed):
    code, screen = on_terminal("run", "--no-digest", "--stop-after", "4", "--config", str(live_feed))
    assert code == 0, screen
    assert "backchannel run — Ctrl-C stops" in screen and "new (all)" in screen
    assert "rss: 3 new" in screen and "stopped; everything fetched so far is stored" in screen
    assert "\x1b[" in screen  # drawn in place, with colour
