"""Placements: the organisers put a post on the right talk (or on none), and the matcher
never takes it off again.

    backchannel place POST... --talk PERF01 --reason "asks about the keynote's slides"
    backchannel place POST... --none        # about no talk: the day only
    backchannel unplace POST...             # the matcher's choice again

Design. A placement is one `place` row of the archive's moderation log (post id, talk id or
NULL for none, reason, who, when) and `unplace` ends it, like hide/unhide: it holds ids only,
never text from the post. Every reader of a post's talk — `talks` counts, `search --talk`
(the Whoosh index's talk field), `--explain`, the digest, the wall, exports — reads
`posts.talk` and `posts.talk_reason`, so those two columns always hold the *winning* talk:
the placement where there is one, else the matcher's choice. Three places write them, and
each lets the organisers win:

- the writer, matching new and edited posts (`Writer.store` lays `overlay` over the matcher);
- `talks.live.rematch`, matching every post again when the programme changes;
- `apply`, which brings the posts named in the log up to date with it: a new placement is
  copied in, an ended one (or one naming a talk the programme no longer has) gets the
  matcher's choice recomputed with today's programme. It bumps the posts' `seq`, so the
  search index catches up like after any change, and `reindex` rebuilds from the same columns.

Only the one writer changes `posts`: `place` applies at once when it can take the writer
lock; beside `backchannel run` (which holds it) it only writes the log, and `run`'s writer
notices the log's new version within a second (`Writer.refresh_placements`), applies it and
refreshes the digest. A placement whose talk the current programme lacks is ignored (the
matcher decides) and kept, so it returns if the talk does; the programme notes count them.
A post deleted at the source or opted out leaves the posts table; its placement then names
an id only, and applies to nothing.
"""

from __future__ import annotations

from typing import Callable, Iterable

from backchannel.archive import Archive
from backchannel.models import Post
from backchannel.moderation import Action, state

ON_TALK = "placed on this talk by the organisers"
ON_NONE = "placed on no talk by the organisers"

Match = Callable[[Post], tuple[str | None, str | None]]


def reason(a: Action) -> str:
    """What `talk_reason` says for a placed post. It is public (post pages, `posts.jsonl`), so it
    names neither the organiser nor their reason: the moderation log keeps those."""
    return ON_TALK if a.talk else ON_NONE


def is_placed(talk_reason: str | None) -> bool:
    """Whether a stored `talk_reason` is a placement's (not the matcher's)."""
    return bool(talk_reason) and talk_reason.startswith((ON_TALK, ON_NONE))


def placements(archive: Archive) -> dict[str, Action]:
    """Post id → its current `place` action."""
    return state(archive).placed


def winner(a: Action | None, talk_ids: set[str]) -> tuple[str | None, str] | None:
    """(talk, reason) a placement gives, or None when there is none or its talk is gone."""
    if a is None or (a.talk is not None and a.talk not in talk_ids):
        return None
    return a.talk, reason(a)


def overlay(posts: Iterable[Post], placed: dict[str, Action], talk_ids: set[str]) -> None:
    """Put placed posts on their placed talk, in place (after the matcher has run)."""
    if not placed:
        return
    for post in posts:
        won = winner(placed.get(post.id), talk_ids)
        if won:
            post.talk, post.talk_reason = won


def missing(placed: dict[str, Action], talk_ids: set[str]) -> int:
    """How many placements name a talk these talks do not have."""
    return sum(1 for a in placed.values() if a.talk is not None and a.talk not in talk_ids)


def talk_ids(archive: Archive) -> set[str]:
    """The ids of the talks the posts are matched with (the archive's `talks` table)."""
    return {row[0] for row in archive.db.execute("SELECT id FROM talks")}


def _stale(archive: Archive, placed: dict[str, Action] | None = None
           ) -> Iterable[tuple[Post, tuple[str | None, str] | None]]:
    """The posts the log ever placed whose talk is not what the log says now, each with the
    placement's (talk, reason), or None where the matcher is to choose again. `placed`: the
    log's current placements, when the caller has just read them."""
    ever = [row[0] for row in archive.db.execute(
        "SELECT DISTINCT post_id FROM moderation WHERE action IN ('place', 'unplace')")]
    if not ever:
        return
    placed, ids = placements(archive) if placed is None else placed, talk_ids(archive)
    for post in archive.get_many(ever).values():  # deleted or opted-out posts are not there
        want = winner(placed.get(post.id), ids)
        if want is None and is_placed(post.talk_reason):
            yield post, None
        elif want is not None and want != (post.talk, post.talk_reason):
            yield post, want


def pending(archive: Archive) -> bool:
    """Whether the log places posts differently from how they are stored (read-only)."""
    return any(True for _ in _stale(archive))


def apply(archive: Archive, match: Match | None, placed: dict[str, Action] | None = None) -> list[str]:
    """Bring every post the log ever placed up to date with the log; the ids of those changed.

    `match` is the matcher's choice for a post (None without a programme: no talk); `placed`
    the log's current placements, if the caller has them."""
    changed = []
    for post, want in list(_stale(archive, placed)):
        want = want or (match(post) if match else (None, None))
        if want != (post.talk, post.talk_reason):
            changed.append((post.id, post.kind, post.score, *want))
    archive.set_derived(changed)
    return [row[0] for row in changed]
