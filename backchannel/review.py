"""`backchannel review`: the queue of posts waiting for a moderator, one key per decision.

Waiting are the posts held for review (spam shapes, blocklist words) and, in approve mode,
every post the wall could show that nobody approved yet; newest first, since the wall shows
the newest. Every decision is written to the moderation log at once (a lost connection
loses nothing) and reaches an open wall on its next poll.
"""

from __future__ import annotations

import contextlib
import os
import sys
import termios
import tty
from typing import Callable, Iterator

from backchannel.archive import Archive
from backchannel.blocklist import Blocker
from backchannel.config import Config
from backchannel.digest.pages import source_label
from backchannel.moderation import State, record, state, terminal_text
from backchannel.wall import refresh_moderation, shows

KEYS = "a approve · h hide · s skip · q quit"


def waiting(archive: Archive, config: Config, mod: State, skipped: set[str]) -> Iterator[tuple[str, str]]:
    """(post id, why it waits) of every post in the queue, newest first."""
    approve = config.moderation.mode == "approve"
    blocker = Blocker(config.blocklist, hold_words=approve)
    for post in archive.posts(order="created_at DESC", raw=False):
        pid = post.id
        if pid in skipped or pid in mod.hidden:
            continue
        if pid in mod.held:
            yield pid, mod.held[pid].reason or "held"
        elif approve and pid not in mod.approved and pid not in mod.pinned \
                and shows(post, config.wall) and not blocker.blocks(post):
            yield pid, "approve mode: new posts wait for approval before the wall"


def queue_length(archive: Archive, config: Config) -> int:
    """How many posts wait in the review queue now."""
    return sum(1 for _ in waiting(archive, config, state(archive), set()))


def still_waiting(mod: State, post_id: str) -> bool:
    return post_id not in mod.hidden and (post_id in mod.held or post_id not in mod.approved)


class Review:
    """The interactive loop; `read_key` returns one character, `echo` prints a line."""

    def __init__(self, archive: Archive, config: Config, read_key: Callable[[], str],
                 echo: Callable[[str], None], by: str | None = None):
        self.archive = archive
        self.config = config
        self.read_key = read_key
        self.echo = echo
        self.by = by
        self.skipped: set[str] = set()
        self.done = {"approve": 0, "hide": 0, "skip": 0}
        self._typed = ""

    def run(self) -> dict[str, int]:
        """Until the queue is empty (new posts that arrived meanwhile included) or `q`."""
        quit = False
        try:
            while not quit:
                queue = list(waiting(self.archive, self.config, state(self.archive), self.skipped))
                if not queue:
                    break
                for i, (post_id, why) in enumerate(queue):
                    if not still_waiting(state(self.archive), post_id):
                        continue  # another moderator got there first
                    if not self.decide(post_id, why, len(queue) - i):
                        quit = True
                        break
        except KeyboardInterrupt:  # Ctrl-C while a post is being shown, not only at the key
            quit = True
        d = self.done
        self.echo(f"Reviewed: {d['approve']} approved, {d['hide']} hidden, {d['skip']} skipped."
                  + ("" if quit else " Nothing else is waiting."))
        return d

    def decide(self, post_id: str, why: str, left: int) -> bool:
        """Show one post and act on one key; False when the moderator quits."""
        post = self.archive.get(post_id)
        if post is None:
            self.skipped.add(post_id)
            return True
        a = post.author
        self.echo("")
        self.echo(f"── {left} waiting ──")
        self.echo(f"{terminal_text(a.name, 60) or '(no name)'}  {terminal_text(a.handle, 80)}  "
                  f"· {source_label(post.source)} · {post.created_at:%Y-%m-%d %H:%M} UTC")
        if post.content_warning:
            self.echo(f"CW: {terminal_text(post.content_warning, 200)}")
        self.echo(terminal_text(post.text, 1000))
        if post.url:
            self.echo(terminal_text(post.url, 200))
        self.echo(f"Held because: {terminal_text(why, 300)}")
        self.echo(f"[{KEYS}] ")
        while True:
            try:
                key = self._next_key()
            except (KeyboardInterrupt, EOFError):  # Ctrl-C, Ctrl-D
                return False
            if key == "a":
                record(self.archive, post_id, "approve", "approved in review", self.by)
                self._after("approve", "approved")
                return True
            if key == "h":
                record(self.archive, post_id, "hide", "hidden in review", self.by)
                self._after("hide", "hidden")
                return True
            if key in ("s", " "):
                self.skipped.add(post_id)
                self.done["skip"] += 1
                self.echo("→ skipped")
                return True
            if key == "q":
                return False

    def _next_key(self) -> str:
        """One key; keys typed ahead are kept for the next posts, escape sequences (arrows,
        function keys) dropped whole."""
        while not self._typed:
            typed = self.read_key() or ""
            self._typed = "" if typed.startswith("\x1b") else typed
        key, self._typed = self._typed[0].lower(), self._typed[1:]
        return key

    def _after(self, action: str, word: str) -> None:
        self.done[action] += 1
        refresh_moderation(self.config, self.archive)
        self.echo(f"→ {word}")


@contextlib.contextmanager
def terminal_keys() -> Iterator[Callable[[], str]]:
    """Keys from the terminal on standard input, unbuffered (cbreak) for the whole session, so
    keys typed ahead are never flushed away; the terminal is restored on the way out."""
    fd = sys.stdin.fileno()
    saved = termios.tcgetattr(fd)
    tty.setcbreak(fd, termios.TCSANOW)
    try:
        yield lambda: os.read(fd, 64).decode("utf-8", "replace")
    finally:
        termios.tcsetattr(fd, termios.TCSADRAIN, saved)
