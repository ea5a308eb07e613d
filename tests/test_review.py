"""`backchannel review` driven through a real pseudo-terminal, one key per post."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import subprocess
import sys
import termios
import time
from datetime import timedelta

import pytest

from backchannel import moderation
from backchannel.archive import Archive
from factories import START, write_jsonl

PROMPT = "[a approve · h hide · s skip · q quit]"


def record(n: int, text: str, **extra) -> dict:
    return {"id": f"mastodon-r{n}", "source": "mastodon", "url": f"https://example.social/@u{n}/{n}",
            "author": {"handle": f"u{n}@example.social", "name": f"User {n}"},
            "created_at": (START + timedelta(minutes=n)).strftime("%Y-%m-%dT%H:%M:%SZ"), "text": text, **extra}


@pytest.fixture
def queue(tmp_path):
    """Approve mode; four posts imported (through the writer, which holds the spammy one)."""
    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "E"\nhashtags = ["pyconex"]\n[blocklist]\nwords = ["giveaway"]\n'
                      '[moderation]\nmode = "approve"\n', "utf-8")
    write_jsonl(tmp_path / "posts.jsonl", [
        record(1, "First: a calm takeaway about boring tech #pyconex"),
        record(2, "Second: \x1b]0;pwned\x07\x1b[2J terminal tricks \u202eevil #pyconex"),
        record(3, "Third: crypto giveaway, click here #pyconex"),
        record(4, "Fourth: a reply", reply_to="mastodon-r1"),  # never on the wall: not in the queue
    ])
    done = subprocess.run([sys.executable, "-m", "backchannel", "import", str(tmp_path / "posts.jsonl"),
                           "--config", str(config)], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return config


def _own_terminal() -> None:
    """In the child: a session of its own with the pty as its controlling terminal, as a
    login shell has (so Ctrl-C sends SIGINT, as over ssh)."""
    os.setsid()
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class Terminal:
    """A command on a pseudo-terminal: read what it shows, type keys."""

    def __init__(self, args: list[str]):
        self.master, slave = pty.openpty()
        self.proc = subprocess.Popen(args, stdin=slave, stdout=slave, stderr=slave, preexec_fn=_own_terminal)
        os.close(slave)
        self.seen = ""

    def expect(self, text: str, timeout: float = 20) -> str:
        deadline = time.monotonic() + timeout
        while text not in self.seen:
            left = deadline - time.monotonic()
            assert left > 0, f"{text!r} never appeared; the screen shows:\n{self.seen}"
            if select.select([self.master], [], [], left)[0]:
                try:
                    self.seen += os.read(self.master, 4096).decode("utf-8", "replace")
                except OSError:  # the command exited
                    break
        assert text in self.seen, f"{text!r} never appeared; the screen shows:\n{self.seen}"
        start = self.seen.index(text) + len(text)
        shown, self.seen = self.seen[:start], self.seen[start:]
        return shown

    def type(self, key: str) -> None:
        os.write(self.master, key.encode())

    def close(self) -> int:
        code = self.proc.wait(timeout=20)
        os.close(self.master)
        return code


def test_review_approves_hides_and_skips_with_one_key_each(queue):
    term = Terminal([sys.executable, "-m", "backchannel", "review", "--config", str(queue), "--by", "ana"])
    screen = term.expect(PROMPT)  # newest first: the held spam
    assert "3 waiting" in screen and "User 3" in screen and "u3@example.social" in screen
    assert "Mastodon" in screen and "crypto giveaway" in screen
    assert "Held because: matches the blocklist word 'giveaway'" in screen
    term.type("x")  # not a key of the queue: nothing happens
    term.type("h")
    screen = term.expect(PROMPT)
    assert "→ hidden" in screen and "terminal tricks" in screen and "2 waiting" in screen
    assert "\x1b]0" not in screen and "\x1b[2J" not in screen and "\u202e" not in screen
    assert "Held because: approve mode" in screen
    term.type("s")
    screen = term.expect(PROMPT)
    assert "→ skipped" in screen and "calm takeaway" in screen
    term.type("a")
    screen = term.expect("Nothing else is waiting.")
    assert "→ approved" in screen and "Reviewed: 1 approved, 1 hidden, 1 skipped." in screen
    assert term.close() == 0

    with Archive(queue.parent / ".backchannel" / "archive.db") as archive:
        s = moderation.state(archive)
        assert set(s.hidden) == {"mastodon-r3"} and s.hidden["mastodon-r3"].by == "ana"
        assert s.approved == {"mastodon-r1"} and not s.held
    # The skipped post is still waiting the next time.
    again = Terminal([sys.executable, "-m", "backchannel", "review", "--config", str(queue)])
    screen = again.expect(PROMPT)
    assert "1 waiting" in screen and "terminal tricks" in screen
    again.type("q")
    assert "Reviewed: 0 approved, 0 hidden, 0 skipped." in again.expect("skipped.")
    assert again.close() == 0


def test_review_needs_a_terminal(queue):
    done = subprocess.run([sys.executable, "-m", "backchannel", "review", "--config", str(queue)],
                          stdin=subprocess.DEVNULL, capture_output=True, text=True)
    assert done.returncode == 2 and "review needs a terminal" in done.stderr
    listed = subprocess.run([sys.executable, "-m", "backchannel", "moderation", "--json", "--config", str(queue)],
                            capture_output=True, text=True)
    held = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [(h["status"], h["post_id"], h["by"]) for h in held] == [("held", "mastodon-r3", "backchannel")]


def test_ctrl_c_leaves_the_queue_cleanly(queue):
    term = Terminal([sys.executable, "-m", "backchannel", "review", "--config", str(queue)])
    term.expect(PROMPT)
    term.type("\x03")
    assert "Reviewed: 0 approved" in term.expect("skipped.")
    assert term.close() == 0
