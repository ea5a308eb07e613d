"""The replies to questions, from `GET /api/v1/statuses/:id/context` (see `backchannel.answers`).

The thread is read on the server the question was collected from (its id there is in the
question's raw payload), with the same client, retries and rate-limit waits as the tag
timelines. Every descendant is a reply somewhere under the question, however deep; each
goes through the same normalisation and consent rules as a tag-timeline post.

Logged-out, Mastodon sends at most 60 descendants (40 ancestors, 20 levels); a thread that
came back shorter than that is complete, so a stored answer missing from it was deleted,
made private or hidden by its server, and leaves the archive.
"""

from __future__ import annotations

from typing import Any, Iterable, Iterator

from backchannel.models import Post

from backchannel.collectors.base import Batch
from backchannel.collectors.mastodon.client import RequestFailed, Server, ServerDown
from backchannel.collectors.mastodon.normalize import Malformed, normalize, opted_out, skip_reason, status_id

DESCENDANTS_LIMIT = 60  # what Mastodon sends a logged-out reader (4,096 with a token)


def read_threads(owner: Any, threads: Iterable[tuple[Post, set[str]]],
                 provenance: Any) -> Iterator[Batch]:
    """One Batch per question: its public replies, linked to it (`Batch.answers`).

    `owner` is the MastodonCollector (its servers, consent settings and skip bookkeeping);
    `provenance(post)` gives the configured server and the status id a post was read with.
    """
    by_base = {s.base: s for s in owner.servers}
    down: set[str] = set()
    for question, known in threads:
        base, sid = provenance(question)
        server = by_base.get(base)
        if server is None or not sid:
            yield Batch(threads=[question.id], warnings=[
                f"question {question.id} came from a server that is not configured (or was not recorded); "
                "its replies are not read"])
            continue
        if base in down or base in owner.no_threads:
            continue
        try:
            context = server.context(sid)
            # A 404 means the question is gone, or a server that does not serve threads:
            # only the status itself tells them apart.
            missing = context is None and server.status(sid) is None
        except ServerDown as exc:
            down.add(base)
            yield Batch(errors=[f"{exc} (replies to questions)"], requests=server.take_requests())
            continue
        except RequestFailed as exc:
            yield Batch(warnings=[str(exc)], requests=server.take_requests())
            continue
        if context is None and not missing:  # the status is there, its thread is not: no threads here
            owner.no_threads.add(base)
            yield Batch(warnings=[f"{server.name}: the server does not serve threads (404 for "
                                  "/api/v1/statuses/:id/context of a status it has); answers to questions "
                                  "are not read there"], requests=server.take_requests())
            continue
        batch = Batch(threads=[question.id])
        if missing:  # the question is gone: so is what only came with it
            batch.deleted += [question.id, *sorted(known)]
        else:
            _thread(owner, server, question, known, context["descendants"], batch)
        batch.requests = server.take_requests()
        yield batch


def _thread(owner: Any, server: Server, question: Post, known: set[str],
            descendants: list, batch: Batch) -> None:
    ids = {_sid(question.raw.get("id") if isinstance(question.raw, dict) else None): question.id}
    posts: list[tuple[dict, Post]] = []
    for status in descendants:
        if not isinstance(status, dict):
            batch.skip("malformed")
            continue
        try:
            post = normalize(status, server.base, server.domain)
        except Malformed as exc:
            batch.warnings.append(f"{server.name}: replies to {question.id}: skipped status {status_id(status)}: {exc}")
            batch.skip("malformed")
            continue
        ids[_sid(status.get("id"))] = post.id
        posts.append((status, post))
    seen: set[str] = set()
    for status, post in posts:
        reason = skip_reason(status, owner.strict)
        if reason:
            if post.uri not in owner.skipped_uris:
                owner.skipped_uris.add(post.uri)
                batch.skip(reason)
            if opted_out(reason):
                batch.forget.append(post.author.handle)
            continue
        parent = ids.get(_sid(status.get("in_reply_to_id")))
        seen.add(post.id)
        batch.posts.append(post)
        # The parent as stored: the question or a kept reply (Mastodon lists parents first).
        batch.answers[post.id] = (question.id, parent if parent == question.id or parent in seen else None)
    if len(descendants) < DESCENDANTS_LIMIT:
        batch.deleted += sorted(known - seen)


def _sid(value: Any) -> str | None:
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value if isinstance(value, str) and value else None
