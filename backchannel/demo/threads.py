"""Threads as the demo's services answer them: Mastodon's status context, Bluesky's post thread.

Both follow what the real servers send a reader, so the collectors read answers to
questions from the demo exactly as at a real event:

- `mastodon_context`: `GET /api/v1/statuses/:id/context` as Mastodon 4.3 answers a
  logged-out reader (`Api::V1::Statuses::ContextsController`, `Status::ThreadingConcern`):
  `ancestors` root first (the nearest 40), `descendants` in thread order (depth first, each
  level by id; at most 60, 20 levels deep; then the author's own replies to themselves moved
  to the top), only statuses a logged-out reader may see (public and unlisted; private and
  direct ones are left out, and asking for one is a 404 like an unknown id). Boosts are
  not part of threads. A deleted status is gone: a 404, and the chain above its replies
  stops there. (mastodon-mock 0.6.1 answers differently: breadth first, no limits, and
  private replies included for a logged-out reader.)
- `bluesky_thread`: `app.bsky.feed.getPostThread` as the AppView answers it: a
  `threadViewPost` with `post`, `replies` (down to `depth` levels; newest first, as the
  AppView's reference code orders them; the apps sort them again) and
  `parent` (up to `parentHeight` levels); a parent that was deleted is a `notFoundPost`;
  a reply that was deleted is gone, with the replies below it. An unknown or deleted post
  is `None` here (the AppView's `400 NotFound`).
"""

from __future__ import annotations

from typing import Iterable

ANCESTORS_LIMIT = 40  # what Mastodon sends a logged-out reader
DESCENDANTS_LIMIT = 60
DESCENDANTS_DEPTH = 20
SHOWN = ("public", "unlisted")  # what Mastodon's StatusPolicy shows a logged-out reader

THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"
NOT_FOUND = "app.bsky.feed.defs#notFoundPost"
DEPTH_DEFAULT = 6  # the lexicon's defaults for getPostThread
PARENT_HEIGHT_DEFAULT = 80


def mastodon_context(statuses: Iterable[dict], status_id: str) -> dict | None:
    """`{"ancestors": [...], "descendants": [...]}` of the status, or None (a 404)."""
    by_id = {s["id"]: s for s in statuses if s.get("reblog") is None}
    status = by_id.get(status_id)
    if status is None or status.get("visibility") not in SHOWN:
        return None
    ancestors = []
    parent = by_id.get(status.get("in_reply_to_id"))
    while parent is not None and len(ancestors) < ANCESTORS_LIMIT:
        ancestors.append(parent)
        parent = by_id.get(parent.get("in_reply_to_id"))
    children: dict[str, list[dict]] = {}
    for s in by_id.values():
        if s.get("in_reply_to_id"):
            children.setdefault(s["in_reply_to_id"], []).append(s)
    descendants: list[dict] = []
    stack = [(c, 1) for c in sorted(children.get(status_id, []), key=_snowflake, reverse=True)]
    while stack and len(descendants) < DESCENDANTS_LIMIT:  # depth first, each level oldest id first
        s, depth = stack.pop()
        descendants.append(s)
        if depth < DESCENDANTS_DEPTH:
            stack += [(c, depth + 1) for c in sorted(children.get(s["id"], []), key=_snowflake, reverse=True)]
    shown = [s for s in descendants if s.get("visibility") in SHOWN]
    return {"ancestors": [s for s in reversed(ancestors) if s.get("visibility") in SHOWN],
            "descendants": _self_replies_first(shown)}


def _snowflake(status: dict) -> int:
    return int(status["id"])


def _self_replies_first(statuses: list[dict]) -> list[dict]:
    """Mastodon's `promote_by!`: replies an author made to themselves move up, in order, to
    where the first other reply stood."""
    def own(s: dict) -> bool:
        return s.get("in_reply_to_account_id") == s["account"]["id"]

    first_other = next((i for i, s in enumerate(statuses) if not own(s)), None)
    if first_other is None:
        return statuses
    head, tail = statuses[:first_other], statuses[first_other:]
    return head + [s for s in tail if own(s)] + [s for s in tail if not own(s)]


def bluesky_thread(posts: dict[str, dict], uri: str, depth: int = DEPTH_DEFAULT,
                   parent_height: int = PARENT_HEIGHT_DEFAULT) -> dict | None:
    """The `thread` of getPostThread for the PostView at `uri`; None when there is none."""
    view = posts.get(uri)
    if view is None:
        return None
    children: dict[str, list[dict]] = {}
    for v in posts.values():
        parent = _reply(v, "parent")
        if parent:
            children.setdefault(parent, []).append(v)
    for replies in children.values():
        replies.sort(key=lambda v: (v["record"]["createdAt"], v["uri"]), reverse=True)

    def down(v: dict, levels: int) -> dict:
        node = {"$type": THREAD_VIEW, "post": v}
        if levels > 0:
            node["replies"] = [down(c, levels - 1) for c in children.get(v["uri"], [])]
        return node

    thread = down(view, depth)
    node, above, height = thread, _reply(view, "parent"), 0
    while above and height < parent_height:
        found = posts.get(above)
        if found is None:
            node["parent"] = {"$type": NOT_FOUND, "uri": above, "notFound": True}
            break
        node["parent"] = {"$type": THREAD_VIEW, "post": found}
        node, above, height = node["parent"], _reply(found, "parent"), height + 1
    return thread


def _reply(view: dict, which: str) -> str | None:
    reply = view.get("record", {}).get("reply") or {}
    ref = reply.get(which) or {}
    return ref.get("uri")
