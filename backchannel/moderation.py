"""Moderation during the event: hide, pin and (in approve mode) hold posts, reversibly.

Every action is one row of the archive's `moderation` table (post id, action, reason, when,
by whom), never an edit of the post: a hidden post stays in the archive, and `unhide` brings
it back. A post's current state is its actions replayed in order (`state()`).

What each state means:

- hidden: left out of the wall, the digest (pages, feed, recap, posts.jsonl, in-browser
  search), `search` and `export` (unless asked to include hidden posts);
- pinned: always on the wall's spotlight;
- held (approve mode): an automatic hold from the writer (spam shapes, blocklist words);
  kept out of the wall and the digest until a moderator approves it;
- approved (approve mode): may appear on the wall;
- placed: on the talk the organisers chose (or on none), whatever the matcher says
  (`backchannel.placement`); `unplace` gives the matcher's choice back.

Moderation commands write only this table, in their own short transaction, so they work
while `backchannel run` collects; `run` notices a new action within a second.
"""

from __future__ import annotations

import getpass
import os
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from urllib.parse import unquote, urlsplit

from backchannel.archive import Archive
from backchannel.config import Moderation as Settings
from backchannel.errors import InputError
from backchannel.models import Post, format_time, parse_time
from backchannel import sanitize

ACTIONS = ("hide", "unhide", "pin", "unpin", "approve", "hold", "place", "unplace")
AUTOMATIC = "backchannel"  # the `by` of holds the writer makes
_PERMALINK = re.compile(r"/posts/\d{4}-\d{2}-\d{2}/\d{2}/([^/]+)\.html$")
_MENTION = re.compile(r"(?<![\w@/])@[A-Za-z0-9_][\w.-]*(?:@[\w.-]+)?")


@dataclass(frozen=True)
class Action:
    n: int
    post_id: str
    action: str
    reason: str
    at: str  # ISO 8601 UTC
    by: str
    talk: str | None = None  # place: the talk's id (None: on no talk)

    def as_dict(self) -> dict:
        return {"n": self.n, "post_id": self.post_id, "action": self.action, "reason": self.reason,
                "at": self.at, "by": self.by, "talk": self.talk}


@dataclass
class State:
    """Every post's current moderation state; `version` is the number of the last action."""

    hidden: dict[str, Action] = field(default_factory=dict)
    pinned: dict[str, Action] = field(default_factory=dict)
    held: dict[str, Action] = field(default_factory=dict)
    approved: set[str] = field(default_factory=set)
    placed: dict[str, Action] = field(default_factory=dict)  # post id → its `place` (talk or none)
    version: int = 0

    def published(self, post_id: str) -> bool:
        """May appear in the digest: neither hidden nor held for review."""
        return post_id not in self.hidden and post_id not in self.held

    def on_wall(self, post_id: str, mode: str) -> bool:
        """May appear on the wall: published, and in approve mode approved (or pinned)."""
        if not self.published(post_id):
            return False
        return mode != "approve" or post_id in self.approved or post_id in self.pinned


def record(archive: Archive, post_id: str, action: str, reason: str = "", by: str | None = None,
           when: datetime | None = None, talk: str | None = None) -> Action:
    """Append one action to the archive's moderation log and return it (`talk`: a place's talk id)."""
    if action not in ACTIONS:
        raise ValueError(f"unknown moderation action {action!r}")
    at = format_time(when or datetime.now(timezone.utc))
    by = who() if by is None else by
    talk = talk if action == "place" else None
    # One statement: atomic on its own (the archive's connection autocommits).
    cur = archive.db.execute("INSERT INTO moderation (post_id, action, reason, at, by, talk) VALUES (?, ?, ?, ?, ?, ?)",
                             (post_id, action, reason, at, by, talk))
    return Action(cur.lastrowid, post_id, action, reason, at, by, talk)


def actions(archive: Archive, since: int = 0) -> list[Action]:
    """The moderation log after action number `since`, oldest first."""
    talk = "talk" if "talk" in archive.columns("moderation") else "NULL"  # read-only, from before placements
    rows = archive.db.execute(f"SELECT n, post_id, action, reason, at, by, {talk} FROM moderation "
                              "WHERE n > ? ORDER BY n", (since,))
    return [Action(*row) for row in rows]


def version(archive: Archive) -> int:
    """The number of the last action: cheap enough to ask every second."""
    return archive.db.execute("SELECT coalesce(max(n), 0) FROM moderation").fetchone()[0]


def state(archive: Archive) -> State:
    """Replay the log into every post's current state."""
    s = State()
    for a in actions(archive):
        s.version = a.n
        if a.action == "hide":  # a decision: the post no longer waits for review
            s.hidden[a.post_id] = a
            s.held.pop(a.post_id, None)
        elif a.action == "unhide":
            s.hidden.pop(a.post_id, None)
        elif a.action == "pin":
            s.pinned[a.post_id] = a
        elif a.action == "unpin":
            s.pinned.pop(a.post_id, None)
        elif a.action == "approve":
            s.approved.add(a.post_id)
            s.held.pop(a.post_id, None)
        elif a.action == "hold" and a.post_id not in s.approved:
            s.held[a.post_id] = a
        elif a.action == "place":
            s.placed[a.post_id] = a
        elif a.action == "unplace":
            s.placed.pop(a.post_id, None)
    return s


def who() -> str:
    """The moderator's login name (over ssh too), for the log."""
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return os.environ.get("USER", "")


# -- finding the post ------------------------------------------------------------------------


def resolve(archive: Archive, ref: str) -> str:
    """The id of the post `ref` names: its id, its URL at the source (or its URI), or its
    page in the digest or on the wall. InputError when the archive has no such post."""
    ref = ref.strip()
    if not ref:
        raise InputError("give a post's id or URL")
    if archive.db.execute("SELECT 1 FROM posts WHERE id = ?", (ref,)).fetchone():
        return ref
    found = _by_column(archive, "url", ref) or _by_column(archive, "uri", ref)
    if found:
        return found
    name = _name_in_url(ref)
    if name:
        found = _by_file_name(archive, name)
        if found:
            return found
    what = "URL" if "://" in ref else "id"
    raise InputError(f"no post with the {what} {ref!r} in the archive "
                     "(give the post's id, its URL at the source, or its page in the digest or on the wall)")


def _by_column(archive: Archive, column: str, value: str) -> str | None:
    for candidate in dict.fromkeys([value, value.rstrip("/"), value.rstrip("/") + "/"]):
        row = archive.db.execute(f"SELECT id FROM posts WHERE {column} = ? LIMIT 1", (candidate,)).fetchone()
        if row:
            return row[0]
    return None


def _name_in_url(ref: str) -> str | None:
    """The post's file name in a digest permalink (…/posts/<day>/<hour>/<name>.html) or a
    wall link (…/wall/#post-<name>)."""
    parts = urlsplit(ref)
    if parts.fragment.startswith("post-"):
        return unquote(parts.fragment[5:])
    m = _PERMALINK.search(unquote(parts.path))
    return m.group(1) if m else None


def _by_file_name(archive: Archive, name: str) -> str | None:
    from backchannel.digest.model import file_name

    if archive.db.execute("SELECT 1 FROM posts WHERE id = ?", (name,)).fetchone():
        return name
    if not name.startswith("x-"):
        return None
    for (post_id,) in archive.db.execute("SELECT id FROM posts"):  # ids that needed a hashed name
        if file_name(post_id) == name:
            return post_id
    return None


# -- approve mode: why a post is held ----------------------------------------------------------


def hold_reasons(post: Post, settings: Settings, words: re.Pattern | None,
                 now: datetime | None = None) -> list[str]:
    """Why approve mode holds `post` for a moderator: spam shapes and blocklist words."""
    reasons = []
    if words:
        m = words.search(" ".join([post.text, post.author.name or "", post.content_warning or ""]))
        if m:
            reasons.append(f"matches the blocklist word {m.group(0)!r}")
    if settings.hold_account_days:
        created = account_created(post)
        if created:
            age = ((now or datetime.now(timezone.utc)) - created).days
            if age < settings.hold_account_days:
                reasons.append(f"account created {max(age, 0)} day{'s' if age != 1 else ''} ago")
    if settings.hold_mentions:
        n = len({m.lower() for m in _MENTION.findall(post.text)})
        if n >= settings.hold_mentions:
            reasons.append(f"mentions {n} accounts")
    if settings.hold_links:
        n = len(set(post.links))
        if n >= settings.hold_links:
            reasons.append(f"{n} links")
    return reasons


def account_created(post: Post) -> datetime | None:
    """When the author's account was made, where the source says (Mastodon, Bluesky)."""
    raw = post.raw if isinstance(post.raw, dict) else {}
    account = raw.get("account") if post.source == "mastodon" else raw.get("author")
    value = account.get("created_at" if post.source == "mastodon" else "createdAt") \
        if isinstance(account, dict) else None
    try:
        return parse_time(value) if value else None
    except ValueError:
        return None


def terminal_text(value: str | None, limit: int | None = None) -> str:
    """A post's text made safe to print: no escape sequences, no bidi tricks, one line."""
    return sanitize.terminal_line(value, limit)


# -- what the commands call --------------------------------------------------------------------

def moderate(archive: Archive, ref: str, action: str, reason: str = "", by: str | None = None,
             talk: str | None = None) -> tuple[Post, Action | None]:
    """Apply `action` to the post `ref` names (`talk`: where a `place` puts it, None for no
    talk); (the post, the new action or None when the post was already in that state)."""
    post_id = resolve(archive, ref)
    current = state(archive)
    placed = current.placed.get(post_id)
    already = {
        "hide": post_id in current.hidden, "unhide": post_id not in current.hidden,
        "pin": post_id in current.pinned, "unpin": post_id not in current.pinned,
        "approve": post_id in current.approved and post_id not in current.held,
        "place": placed is not None and placed.talk == talk, "unplace": placed is None,
    }.get(action, False)
    post = archive.get(post_id)
    return post, None if already else record(archive, post_id, action, reason, by, talk=talk)


def listing(config, log: bool = False) -> list[tuple[str, Action, Post | None]]:
    """`backchannel moderation`: (status, action, its post or None) for what is hidden, pinned,
    held or placed now; with `log`, every action ever taken, oldest first (status '')."""
    from backchannel.checks import archive_path

    with Archive(archive_path(config.data_dir)) as archive:
        if log:
            rows = [("", a) for a in actions(archive)]
        else:
            s = state(archive)
            rows = [("hidden", a) for a in s.hidden.values()] + [("pinned", a) for a in s.pinned.values()] \
                + [("held", a) for a in s.held.values()] + [("placed", a) for a in s.placed.values()]
        posts = archive.get_many({a.post_id for _, a in rows})
    return [(status, a, posts.get(a.post_id)) for status, a in rows]
