"""What `run` shows and `backchannel status` prints: one view of the same plain data."""

import io
import json
import os
import subprocess
import sys
from datetime import datetime, timedelta, timezone

from rich.console import Console

from backchannel import status_file as statusfile
from backchannel.run import RunStatus, SourceStatus
from backchannel.run_display import Display, safe, view

NOW = datetime(2026, 9, 1, 10, 0, tzinfo=timezone.utc)


def status() -> RunStatus:
    s = RunStatus(started=NOW - timedelta(hours=1, minutes=5), archive_total=1234)
    s.sources["mastodon"] = SourceStatus("mastodon", 60, polls=12, last_poll=NOW - timedelta(seconds=20),
                                         next_poll=NOW + timedelta(seconds=40), last_new=3, total_new=87,
                                         requests=24)
    s.sources["rss"] = SourceStatus("rss", 300, polls=1, errors=2, last_error="rss https://blog.example/feed: 503",
                                    polling=True)
    s.digest_builds, s.last_digest, s.digest_seconds = 4, NOW - timedelta(seconds=30), 12.34
    return s


def shown(data: dict, width: int = 120) -> list[str]:
    out = io.StringIO()
    Console(file=out, width=width, color_system=None).print(view(data, NOW))
    return [line.rstrip() for line in out.getvalue().splitlines()]


def test_the_table_shows_each_source_and_the_totals():
    lines = shown(status().as_dict())
    mastodon = next(line for line in lines if line.startswith("mastodon"))
    assert "waiting" in mastodon and "20s ago" in mastodon and "in 40s" in mastodon
    assert mastodon.split()[-4:] == ["3", "87", "24", "0"]  # new (last poll), new (all), requests, errors
    assert any(line.startswith("rss") and "polling" in line for line in lines)
    assert "rss: last error: rss https://blog.example/feed: 503" in lines
    summary = next(line for line in lines if line.startswith("archive:"))
    assert summary.startswith("archive: 1234 posts, 87 new since start · digest built 4× (last 30s ago, took 12.3 s)")
    assert "up 1h05m" in summary


def test_what_a_source_left_out_is_counted_by_reason():
    s = status()
    s.sources["mastodon"].skipped = {"not public": 3, "opted out (#nobot)": 1}
    assert "mastodon: left out since start: 3 not public, 1 opted out (#nobot)" in shown(s.as_dict())


def test_a_refresh_going_on_and_digest_off_are_said():
    s = status()
    s.digest_building = NOW - timedelta(seconds=7)
    assert any("digest refreshing (for 7s), last took 12.3 s" in line for line in shown(s.as_dict()))
    s.digest = False
    assert any("digest off (--no-digest)" in line for line in shown(s.as_dict()))


def test_features_add_figures_through_the_extra_hooks():
    """Jetstream lag (per source) and the moderation queue (run-wide) arrive through `extra`."""
    s = status()
    s.sources["bluesky"] = SourceStatus("bluesky", 30, polls=2, extra={"jetstream lag": "1.4 s"})
    s.extra["moderation queue"] = 4
    data = json.loads(json.dumps(s.as_dict()))  # what the status file carries
    lines = shown(data)
    assert "jetstream lag" in lines[0]
    assert next(line for line in lines if line.startswith("bluesky")).endswith("1.4 s")
    assert next(line for line in lines if line.startswith("mastodon")).endswith("—")
    assert "moderation queue: 4" in lines


def test_hostile_text_from_a_source_cannot_drive_the_terminal():
    s = status()
    s.sources["rss"].last_error = "feed says \x1b]0;owned\x07\x1b[2J hi"
    out = io.StringIO()
    Console(file=out, width=200, force_terminal=True).print(view(s.as_dict(), NOW))
    assert "\x1b]0;" not in out.getvalue() and "\x1b[2J" not in out.getvalue()
    assert "\\x1b]0;owned\\x07\\x1b[2J hi" in out.getvalue()
    assert safe("a\nb\tc") == "a b c"


def test_a_terminal_gets_the_live_table_and_a_pipe_gets_log_lines():
    tty, pipe = io.StringIO(), io.StringIO()
    live = Display(tty, live=True, console=Console(file=tty, force_terminal=True, width=120))
    plain = Display(pipe, live=False)
    for display in (live, plain):
        with display:
            display.update(status())
            display.log("mastodon: 3 new, 0 updated, 0 deleted")
    assert "\x1b[" in tty.getvalue() and "new (all)" in tty.getvalue() and "mastodon: 3 new" in tty.getvalue()
    assert "\x1b[" not in pipe.getvalue() and "new (all)" not in pipe.getvalue()
    assert pipe.getvalue().strip().endswith("mastodon: 3 new, 0 updated, 0 deleted")


def test_quiet_keeps_only_errors_and_the_log_file_keeps_everything():
    pipe, log = io.StringIO(), io.StringIO()
    display = Display(pipe, live=False, quiet=True, log_file=log)
    display.log("rss: 2 new, 0 updated, 0 deleted")
    display.log("rss: error: https://blog.example/feed: 503")
    assert "2 new" not in pipe.getvalue() and "error" in pipe.getvalue()
    assert "2 new" in log.getvalue() and "error" in log.getvalue()


def test_the_snapshot_carries_the_last_log_lines():
    display = Display(io.StringIO(), live=False)
    assert display.snapshot() is None
    display.update(status())
    for n in range(12):
        display.log(f"line {n}")
    snap = display.snapshot()
    assert [line.split(" ", 1)[1] for line in snap["recent"]] == [f"line {n}" for n in range(4, 12)]
    assert snap["archive_total"] == 1234


# -- the status file -------------------------------------------------------------------------


def test_the_status_file_is_replaced_whole_and_says_when_the_run_stopped(tmp_path):
    snap = status().as_dict()
    with statusfile.StatusWriter(tmp_path, lambda: snap, every=0.05):
        data, inactive = statusfile.read(tmp_path)
        assert inactive is None and data["state"] == "running" and data["pid"] == os.getpid()
        assert data["run"]["archive_total"] == 1234
    assert [p.name for p in tmp_path.iterdir()] == ["run-status.json"]  # no temporary file left
    data, inactive = statusfile.read(tmp_path)
    assert data["state"] == "stopped" and "stopped at" in inactive


def test_no_file_a_dead_pid_or_a_stale_file_means_no_run(tmp_path):
    assert "does not exist" in statusfile.read(tmp_path)[1]
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    path = statusfile.path_in(tmp_path)
    record = {"state": "running", "pid": child.pid, "host": statusfile.socket.gethostname(),
              "written": datetime.now(timezone.utc).isoformat(), "every": 2.0, "run": None}
    statusfile.write(path, record)
    assert "is gone without stopping" in statusfile.read(tmp_path)[1]
    record.update(pid=os.getpid(), written=(datetime.now(timezone.utc) - timedelta(seconds=60)).isoformat())
    statusfile.write(path, record)
    assert "the status file is 60 s old" in statusfile.read(tmp_path)[1]
    record.update(written=datetime.now(timezone.utc).isoformat())
    statusfile.write(path, record)
    assert statusfile.read(tmp_path)[1] is None
    path.write_text("{not json")
    assert "unreadable" in statusfile.read(tmp_path)[1]
