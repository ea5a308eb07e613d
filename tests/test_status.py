"""What `run` shows: the live table on a terminal, plain lines elsewhere."""

import io
from datetime import datetime, timedelta, timezone

from backchannel.live import RunStatus, SourceStatus
from backchannel.status import Display, render

NOW = datetime(2026, 9, 1, 10, 0, tzinfo=timezone.utc)


def status() -> RunStatus:
    s = RunStatus(started=NOW - timedelta(hours=1, minutes=5), archive_total=1234)
    s.sources["mastodon"] = SourceStatus("mastodon", 60, polls=12, last_poll=NOW - timedelta(seconds=20),
                                         next_poll=NOW + timedelta(seconds=40), last_new=3, total_new=87,
                                         requests=24)
    s.sources["rss"] = SourceStatus("rss", 300, polls=1, errors=2, last_error="rss https://blog.example/feed: 503",
                                    polling=True)
    s.digest_builds, s.last_digest = 4, NOW - timedelta(seconds=30)
    return s


def test_the_table_shows_each_source_and_the_totals():
    lines = render(status(), NOW)
    mastodon = next(line for line in lines if line.startswith("mastodon"))
    assert "waiting" in mastodon and "20s ago" in mastodon and "in 40s" in mastodon
    assert mastodon.split()[-4:] == ["3", "87", "24", "0"]  # new (last poll), new (all), requests, errors
    assert any(line.startswith("rss") and "polling" in line for line in lines)
    assert "  last error: rss https://blog.example/feed: 503" in lines
    assert lines[-1].startswith("archive: 1234 posts, 87 new since start · digest built 4×")
    assert "up 1h05m" in lines[-1]


def test_a_terminal_gets_the_redrawn_table_and_a_pipe_gets_log_lines():
    tty, pipe = io.StringIO(), io.StringIO()
    live, plain = Display(tty, live=True), Display(pipe, live=False)
    for display in (live, plain):
        display.update(status())
        display.log("mastodon: 3 new, 0 updated, 0 deleted")
    assert "\x1b[H\x1b[J" in tty.getvalue() and "mastodon" in tty.getvalue()
    assert "\x1b[" not in pipe.getvalue()
    assert pipe.getvalue().strip().endswith("mastodon: 3 new, 0 updated, 0 deleted")


def test_quiet_keeps_only_errors_and_the_log_file_keeps_everything():
    pipe, log = io.StringIO(), io.StringIO()
    display = Display(pipe, live=False, quiet=True, log_file=log)
    display.log("rss: 2 new, 0 updated, 0 deleted")
    display.log("rss: error: https://blog.example/feed: 503")
    assert "2 new" not in pipe.getvalue() and "error" in pipe.getvalue()
    assert "2 new" in log.getvalue() and "error" in log.getvalue()
