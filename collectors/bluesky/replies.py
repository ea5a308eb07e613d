"""The replies to questions, from `app.bsky.feed.getPostThread` (see `backchannel.answers`).

One request per question (`depth` = `DEPTH` levels of replies, no parents). Each reply in
the tree, however deep, goes through the same normalisation and consent rules as a searched
post: an author labelled `!no-unauthenticated` is left out (and their stored posts go), as
are posts labelled for logged-in viewers or adults. Deleted and blocked replies come back
as `notFoundPost` / `blockedPost` nodes and are skipped; a stored answer missing from a
thread that did not reach `DEPTH` leaves the archive. A question the service no longer
has (`NotFound`) is deleted, with the answers that came with it.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from atproto import models

from backchannel.models import Post

from backchannel.collectors.base import Batch
from backchannel.collectors.bluesky.normalize import BadPost, left_out_reason, normalize, post_identity

GET_THREAD = "app.bsky.feed.getPostThread"
DEPTH = 100  # levels of replies asked for (the lexicon allows up to 1,000)
THREAD_VIEW = "app.bsky.feed.defs#threadViewPost"


def read_threads(owner: Any, threads: Iterable[tuple[Post, set[str]]], fail: type) -> Iterator[Batch]:
    """One Batch per question: its public replies, linked to it (`Batch.answers`).

    `owner` is the BlueskyCollector (its XRPC calls, batches and settings); `fail` the
    exception its calls raise for a failed request.
    """
    if getattr(owner, "no_threads", False):
        return
    for question, known in threads:
        if not question.uri:
            continue
        params = models.AppBskyFeedGetPostThread.Params(uri=question.uri, depth=DEPTH, parent_height=0)
        try:
            data = owner._call(GET_THREAD, params, f"reading the replies to {question.uri}")
        except fail as exc:
            if exc.status == 400 and exc.error == "NotFound":  # the question is gone: so is what came with it
                yield owner._batch(deleted=[question.id, *sorted(known)], threads=[question.id])
                continue
            if exc.status == 501 or (exc.status == 404 and exc.error in ("", "MethodNotImplemented")):
                owner.no_threads = True  # a service without threads: say so once, ask no more
                yield owner._batch(warnings=[owner._where(f"the service does not offer {GET_THREAD} "
                                                          f"(HTTP {exc.status}); answers to questions are not read")])
                return
            yield owner._batch(errors=[f"{exc} (replies to questions)"])
            if exc.fatal or exc.status == 429:
                return
            continue
        batch = owner._batch(threads=[question.id])  # (counts the request just made)
        root = data.get("thread")
        if not isinstance(root, dict) or root.get("$type", THREAD_VIEW) != THREAD_VIEW:
            batch.deleted += [question.id, *sorted(known)]  # a notFoundPost or blockedPost root
        else:
            _walk(owner, question, known, root, batch)
        yield batch


def _walk(owner: Any, question: Post, known: set[str], root: dict, batch: Batch) -> None:
    seen: set[str] = set()
    truncated = False
    stack: list[tuple[dict, str, int]] = [(child, question.id, 1) for child in _children(root)]
    while stack:
        node, parent, depth = stack.pop(0)
        if not isinstance(node, dict) or node.get("$type", THREAD_VIEW) != THREAD_VIEW \
                or node.get("notFound") or node.get("blocked"):
            continue  # deleted (notFoundPost) or blocked (blockedPost): nothing to keep
        view = node.get("post")
        try:
            uri, _ = post_identity(view)
            post = normalize(view, owner.source.allow_adult)
        except BadPost as exc:
            batch.warnings.append(owner._where(f"replies to {question.uri}: skipped {exc}"))
            batch.skip("malformed")
            continue
        children = _children(node)
        if depth >= DEPTH and isinstance(view.get("replyCount"), int) and view["replyCount"] > len(children):
            truncated = True
        if post is None:
            reason = left_out_reason(view)
            batch.skip(reason)
            if reason.startswith("opted out"):
                author = view.get("author") if isinstance(view.get("author"), dict) else {}
                batch.forget.append(str(author.get("handle") or author.get("did") or ""))
            continue  # the replies below it are still answers to the question
        seen.add(post.id)
        batch.posts.append(post)
        batch.answers[post.id] = (question.id, parent)
        stack += [(child, post.id, depth + 1) for child in children]
    if not truncated:
        batch.deleted += sorted(known - seen)


def _children(node: dict) -> list:
    replies = node.get("replies")
    return replies if isinstance(replies, list) else []
