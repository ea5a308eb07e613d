"""The wall (`output/wall/`): the venue-screen view, built with the digest.

The page (`wall/index.html`, with `static/wall.js` and `static/wall.css`) has no posts in
it; its script polls two small JSON files next to it, every `[wall] poll` seconds:

- `posts.json`, written by every build: the newest posts the wall may show, and the
  spotlight (top takeaways, open questions, and answered questions with their best answer);
- `moderation.json`, written by every build *and* by every moderation command: the ids of
  hidden posts and the pinned posts. A hide therefore reaches an open wall on its next poll,
  without waiting for a rebuild. It is not in the build's manifest, and a writer never
  replaces it with an older moderation state (`write_moderation`).

Both hold plain text only: the page inserts it with `textContent`, so nothing in a post
becomes markup or script, and the page's CSP allows no script but its own.
"""

from __future__ import annotations

import fcntl
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from backchannel.archive import Archive
from backchannel.config import Config, Wall
from backchannel.digest.model import Grouped, Item, file_name, load
from backchannel.names import KIND_LABELS
from backchannel.digest.pages import source_label
from backchannel.digest.writer import atomic_write
from backchannel.digest.answers import Answered
from backchannel import moderation
from backchannel.errors import InputError
from backchannel.models import Post
from backchannel.moderation import Action, State, state as moderation_state, version as moderation_version

_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f]")
TEXT = 280  # characters of a post on the wall: a blog recap must not fill the screen
SPOTLIGHT = 12  # top takeaways and open questions in the rotation
FOLDER = "wall"


def shows(p: Post, wall: Wall) -> bool:
    """The wall's own filters: by default no replies, boosts, content-warned or sensitive posts."""
    return not ((p.reply_to and not wall.show_replies) or (p.is_repost and not wall.show_reposts)
                or (p.content_warning and not wall.show_content_warnings)
                or (p.sensitive and not wall.show_sensitive))


def post_json(item: Item, when: Callable) -> dict:
    p = item.post
    name = plain(p.author.name or p.author.handle, 100) or "Someone"
    handle = plain(p.author.handle, 100)
    text = plain(p.text)
    if len(text) > TEXT:
        text = text[:TEXT].rsplit(" ", 1)[0] + " …"
    return {
        "id": p.id, "anchor": "post-" + file_name(p.id), "name": name,
        "handle": handle if handle != name else "", "source": source_label(p.source), "text": text,
        "time": when(p.created_at, "time"), "iso": p.created_at.isoformat().replace("+00:00", "Z"),
        "kind": KIND_LABELS[item.kind] if item.kind != "other" else "",
        "talk": item.talk.title if item.talk else "", "link": "../" + item.path,
    }


def spot_json(entry: Item | Answered, when: Callable) -> dict:
    """A spotlight entry: a post, or an answered question with its best answer (plain text)."""
    if not isinstance(entry, Answered):
        return post_json(entry, when)
    best = post_json(entry.best, when)
    return {**post_json(entry.question, when),
            "answer": {"id": best["id"], "name": best["name"], "text": best["text"], "speaker": entry.by_speaker}}


def posts_json(g: Grouped, mod: State, config: Config, when: Callable) -> bytes:
    """What every build writes to `wall/posts.json`: newest posts first, then the spotlight."""
    mode = config.moderation.mode
    ok = [it for it in g.items if shows(it.post, config.wall) and mod.on_wall(it.post.id, mode)]
    newest = sorted(ok, key=lambda it: (it.post.created_at, it.post.id), reverse=True)[:config.wall.posts]
    allowed = {id(it) for it in ok}
    takeaways = [r.item for r in g.top_takeaways if id(r.item) in allowed][:SPOTLIGHT]
    questions = [it for it in g.open_questions if id(it) in allowed][:SPOTLIGHT // 2]
    answered = [a for a in g.questions()[0] if id(a.question) in allowed
                and mod.on_wall(a.best.post.id, mode)][:SPOTLIGHT // 2]
    spotlight = []
    for i in range(max(len(takeaways), len(questions), len(answered))):  # take turns, takeaways first
        for label, group in (("Top takeaway", takeaways), ("Open question", questions),
                             ("Answered question", answered)):
            if i < len(group):
                spotlight.append({"label": label, **spot_json(group[i], when)})
    data = {"event": config.event.name, "hashtags": config.event.hashtags,
            "posts": [post_json(it, when) for it in newest], "spotlight": spotlight}
    return _dump(data)


def moderation_json(archive: Archive, config: Config, when: Callable) -> tuple[int, bytes]:
    """(version, bytes) of `wall/moderation.json`: hidden ids and pinned posts, as of now."""
    mod = moderation_state(archive)
    pinned = []
    if mod.pinned:
        posts = archive.get_many(mod.pinned)
        items = load(config, (posts[i] for i in sorted(posts, key=lambda i: mod.pinned[i].n)), [], mod)
        pinned = [{"label": "Pinned", **post_json(it, when)} for it in items]
    return mod.version, _dump({"version": mod.version, "hidden": sorted(mod.hidden), "pinned": pinned})


def write_moderation(output: Path, archive: Archive, config: Config, when: Callable) -> bool:
    """Write `wall/moderation.json` unless it already holds a newer moderation state.

    Two writers may race (a build that read the log before a hide, and the `hide` command):
    a lock and the version inside the file keep the newest. True if the file was written.
    """
    folder = Path(output) / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".moderation.lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        version, blob = moderation_json(archive, config, when)
        target = folder / "moderation.json"
        try:
            old = target.read_bytes()
            if old == blob or json.loads(old).get("version", 0) > version:
                return False
        except (OSError, ValueError, AttributeError):
            pass
        atomic_write(target, blob)
    return True


def local_time(config: Config) -> Callable:
    """`when(dt, "time")` → "14:05" in the event's time zone (as the digest's pages show it)."""
    tz = config.event.tz
    return lambda dt, style="time": dt.astimezone(tz).strftime("%H:%M")


def refresh_moderation(config: Config, archive: Archive) -> bool:
    """After a moderation command: bring an open wall up to date at once, if there is one."""
    output = Path(config.digest.output)
    if not (output / FOLDER / "index.html").is_file():
        return False
    return write_moderation(output, archive, config, local_time(config))


def plain(value: str | None, limit: int | None = None) -> str:
    """Plain text on one line, without control characters. Never parsed as HTML: the wall
    shows a post's text as the characters it is, and inserts it as text."""
    text = " ".join(_CONTROL.sub("", value or "").split())
    return text[:limit] if limit else text


def _dump(data: dict) -> bytes:
    return (json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n").encode("utf-8")



class ModerationWatch:
    """For `run`: how many moderation actions arrived since the last call; brings the wall's
    moderation.json up to date when there were any (the command that acted did too, unless
    it ran elsewhere)."""

    def __init__(self, config: Config, archive: Archive):
        self.config = config
        self.archive = archive
        self.seen = moderation_version(archive)

    def __call__(self) -> int:
        now = moderation_version(self.archive)
        if now == self.seen:
            return 0
        new, self.seen = now - self.seen, now
        refresh_moderation(self.config, self.archive)
        return new


@dataclass
class Outcome:
    """What a moderation command did to one post it was given."""

    ref: str  # as the moderator gave it: an id, a URL, a page
    post: Post | None = None
    done: Action | None = None  # None: the post was already in that state (or `error`)
    error: str | None = None


def moderate_all(config: Config, refs: list[str], action: str, reason: str = "", by: str | None = None,
                 talk: str | None = None) -> tuple[list[Outcome], bool]:
    """`hide`, `unhide`, `pin`, `unpin`, `place` (on `talk`, an id; None: no talk), `unplace`:
    `action` on each post `refs` name, in the archive of
    `config` (which must exist). A ref that names no post is an outcome with an `error`; the
    others still happen. Returns the outcomes in order, and whether an open wall was brought
    up to date at once."""
    from backchannel.checks import archive_path

    outcomes = []
    with Archive(archive_path(config.data_dir)) as archive:
        for ref in refs:
            try:
                post, done = moderation.moderate(archive, ref, action, reason, by, talk)
            except InputError as exc:
                outcomes.append(Outcome(ref, error=exc.format_message()))
                continue
            outcomes.append(Outcome(ref, post, done))
        wall = refresh_moderation(config, archive) if any(o.done for o in outcomes) else False
    return outcomes, wall
