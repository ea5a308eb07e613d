"""Untrusted text on a terminal (issue 13, class 4): what `search`, `stats`, `--explain` and
`import` print from posts, files and sources holds no escape sequence, on a TTY and off it."""

from __future__ import annotations

import json
import os
import pty
import re
import select
import subprocess
import sys

import pytest

from hostile import ROOT, cli_run, good, write_lines

# What an attacker puts in a post: a window title (OSC), a screen clear (CSI), a carriage return
# that overwrites the line, a C1 CSI, a bell, a backspace, a bidi override that reverses text.
ATTACKS = {
    "title": "\x1b]0;owned\x07",
    "clear": "\x1b[2J\x1b[H",
    "overwrite": "everything is fine\rEVIL",
    "c1": "\x9b31m",
    "bell": "\x07\x07",
    "backspace": "abc\x08\x08\x08XYZ",
    "bidi": "\u202egnp.exe",
    "hyperlink": "\x1b]8;;https://evil.example/\x1b\\click\x1b]8;;\x1b\\",
}
SGR = re.compile(r"\x1b\[[0-9;]*m")  # our own colours, on a terminal only


def hostile_posts(tmp_path, attack: str) -> None:
    rec = good(1, text=f"zebra {attack} crossing", content_warning=f"cw {attack}", talk="talk-1",
               talk_reason=f"why {attack}", author={"handle": f"ada{attack}@example.social", "name": f"Ada {attack}"})
    result = cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [rec, good(2)])))
    assert result.exit_code == 0, result.output


def assert_inert(text: str, on_tty: bool = False) -> None:
    if on_tty:
        text = SGR.sub("", text.replace("\r\n", "\n"))  # the terminal driver writes \r\n for \n
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", text), repr(text)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_search_and_explain_print_no_control_characters_off_a_tty(tmp_path, name):
    hostile_posts(tmp_path, ATTACKS[name])
    result = cli_run(tmp_path, "search", "zebra", "--explain")
    assert result.exit_code == 0, result.output
    assert_inert(result.output)
    assert "zebra" in result.output and "why" in result.output and "cw" in result.output


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_search_json_escapes_what_a_terminal_would_act_on(tmp_path, name):
    hostile_posts(tmp_path, ATTACKS[name])
    result = cli_run(tmp_path, "search", "zebra", "--json")
    assert_inert(result.stdout)
    hit = json.loads(result.stdout.splitlines()[0])
    assert hit["id"] == "import-good1" and hit["talk_reason"].startswith("why")


def test_stats_prints_source_names_inert(tmp_path):
    recs = [good(1, source="evil\u202e"), good(2, source="mast\u2066odon")]
    result = cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", recs)))
    assert result.exit_code == 0, result.output
    out = cli_run(tmp_path, "stats").output
    assert_inert(out)
    assert "evil" in out and "mastodon" in out


def test_import_problems_print_inert(tmp_path):
    lines = [good(1, created_at="\x1b]0;owned\x07"), good(2, tags=["\x1b[2J"] * 3, kind="\x1b[31mred"),
             '{"id": "\x1b[2J' + "\u202e", good(3)]
    result = cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", lines)))
    assert result.exit_code == 1
    assert_inert(result.output)
    assert "in.jsonl:1: field 'created_at'" in result.output and "in.jsonl:3: not valid JSON" in result.output


def run_on_a_tty(*args) -> str:
    """Run `python -m backchannel ARGS` with its output on a pseudo-terminal; what it printed."""
    master, slave = pty.openpty()
    env = {**os.environ, "PYTHONPATH": str(ROOT), "TERM": "xterm"}
    proc = subprocess.Popen([sys.executable, "-m", "backchannel", *map(str, args)], stdout=slave, stderr=slave,
                            stdin=subprocess.DEVNULL, env=env)
    os.close(slave)
    chunks = []
    try:
        while True:
            ready, _, _ = select.select([master], [], [], 60)
            if not ready:
                break
            try:
                chunk = os.read(master, 65536)
            except OSError:  # EIO: the child closed its end
                break
            if not chunk:
                break
            chunks.append(chunk)
    finally:
        os.close(master)
        proc.wait(timeout=60)
    return b"".join(chunks).decode("utf-8", "replace")


@pytest.mark.parametrize("name", ["title", "clear", "overwrite", "hyperlink", "bidi"])
def test_search_on_a_tty_keeps_only_its_own_colours(tmp_path, name):
    hostile_posts(tmp_path, ATTACKS[name])
    out = run_on_a_tty("search", "zebra", "--explain", "--data-dir", tmp_path / "data")
    assert "\x1b[1;33m" in out  # a terminal: the matched word is highlighted
    assert_inert(out, on_tty=True)
    assert "Traceback" not in out and "zebra" in out


def test_stats_on_a_tty(tmp_path):
    cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [good(1, source="x\u202ey")])))
    out = run_on_a_tty("stats", "--data-dir", tmp_path / "data")
    assert_inert(out, on_tty=True)
    assert "xy" in out


@pytest.mark.parametrize("live", [False, True])
def test_run_log_lines_and_status_print_inert(live):
    import io

    from backchannel.run import RunStatus
    from backchannel.run_display import Display

    out = io.StringIO()
    display = Display(out, live=live)
    display.update(RunStatus())
    for attack in ATTACKS.values():
        display.log(f"rss: warning: https://blog.example/feed: {attack}")
    text = out.getvalue().replace("\x1b[H\x1b[J", "")  # the live view's own redraw
    assert_inert(text)
    assert "warning: https://blog.example/feed" in text


def test_classify_output_and_error_messages_print_inert(tmp_path):
    from hostile import run

    lines = [json.dumps({"id": f"a{attack}", "text": "Key takeaway: test more"}, ensure_ascii=False)
             for attack in ATTACKS.values()]
    result = cli_run(tmp_path, "classify", input="\n".join(lines) + "\n")
    assert result.exit_code == 0
    assert_inert(result.output)
    assert [json.loads(x)["id"] for x in result.stdout.split("\n") if x] == [f"a{a}" for a in ATTACKS.values()]
    missing = run("stats", "--config", tmp_path / "evil\x1b]0;owned\x07.toml")
    assert missing.returncode == 2 and b"evil" in missing.stderr
    assert_inert(missing.stderr.decode())
