"""Stored Bluesky posts looked at again through the public AppView, no login.

Jetstream gives neither counts nor the moderation labels Bluesky's labeller adds later, nor
the view of a quoted post. `recheck` asks `app.bsky.feed.getPosts` (25 URIs a request) and
yields, per request, the posts whose PostView changed (counts, labels, a quote now shown),
and as deleted the posts the AppView no longer gives or that consent now keeps out. A rate
limit (429) ends the round: what was refreshed so far is kept, the rest waits for the next.
"""

from __future__ import annotations

from typing import Iterator

from backchannel.collectors.base import Batch
from backchannel.collectors.bluesky.appview import PER_REQUEST, AppView, AppViewError
from backchannel.collectors.bluesky.normalize import BadPost, normalize, parse_post_uri
from backchannel.models import Post


def recheck(appview: AppView, posts: list[Post], allow_adult: bool) -> Iterator[Batch]:
    mine = [p for p in posts if p.source == "bluesky" and p.uri and parse_post_uri(p.uri)]
    for i in range(0, len(mine), PER_REQUEST):
        chunk = mine[i:i + PER_REQUEST]
        try:
            views = appview.get_posts([p.uri for p in chunk])
        except AppViewError as exc:
            yield Batch(errors=[f"{exc}; counts refresh stopped for this round"])
            if exc.retry_after is not None:
                return
            continue
        yield changed(chunk, {v.get("uri"): v for v in views}, allow_adult)


def changed(chunk: list[Post], found: dict, allow_adult: bool) -> Batch:
    """What the fresh views say about the stored posts of `chunk`."""
    batch = Batch()
    for old in chunk:
        view = found.get(old.uri)
        if view is None:  # deleted, or its author left, blocked us or was taken down
            batch.deleted.append(old.id)
            continue
        try:
            new = normalize(view, allow_adult)
        except BadPost as exc:
            batch.warnings.append(f"refresh skipped {exc}")
            continue
        if new is None:  # opted out or labelled since: take it out
            batch.deleted.append(old.id)
        elif new.to_dict(derived=False) != old.to_dict(derived=False):
            batch.posts.append(new)
    return batch
