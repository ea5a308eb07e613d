"""Answers: the replies to the questions people asked, fetched from the thread of each question.

People answer a question in replies, and replies rarely carry the event's hashtag, so the
tag timelines never show them. For every stored post classified `question` whose source has
threads (Mastodon: `GET /api/v1/statuses/:id/context` on the server the question was read
from; Bluesky: `app.bsky.feed.getPostThread`), the collector's `replies()` reads the thread
and hands over its public replies like any post, with the same consent rules (not public,
opted out: left out and counted; an author who opted out leaves no trace). Each reply is
linked to its question in the archive's `answers` table.

When: a question's thread is read in the first round after the question is stored, then
again on a schedule that thins out as the question ages (the wait doubles: 2 minutes, 4,
8, ... at most 12 hours) and stops once a check found the question older than
`FOLLOW_FOR` (3 days). At most `PER_ROUND` threads per source and round, oldest check
first, so a busy event never spends a server's rate limit on threads (Mastodon allows 300
requests per 5 minutes). When a re-check (`--recheck`) shows a question has more replies
than we know of, its thread is read again whatever the schedule says.

The schedule lives in the source's cursors: `thread:{question id}` → `{"checked": iso,
"replies": n}` (when the thread was last read, and the question's reply count then).
"""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any, Iterator, Mapping

from backchannel.archive import Archive
from backchannel.models import Post, format_time, parse_time

PER_ROUND = 20  # threads read per source and round (a collector's `threads_per_round` overrides it)
FIRST_WAIT = timedelta(minutes=2)  # the shortest wait between two reads of one thread
LONGEST_WAIT = timedelta(hours=12)
FOLLOW_FOR = timedelta(days=3)  # a thread read when its question was older than this is final
KEY = "thread:"


def thread_key(question_id: str) -> str:
    return KEY + question_id


def next_check(question: Post, checked: datetime | None) -> datetime | None:
    """When the question's thread is due again: now if never read, None once final."""
    if checked is None:
        return question.created_at
    age = checked - question.created_at
    if age > FOLLOW_FOR:
        return None
    return checked + min(max(age, FIRST_WAIT), LONGEST_WAIT)


def due(archive: Archive, source: str, now: datetime | None = None,
        limit: int = PER_ROUND) -> list[tuple[Post, set[str]]]:
    """The questions of `source` whose thread is due, with the ids of their stored answers,
    the longest unread first.

    A question whose reply count grew since its thread was last read (a re-check refreshed
    it) is due at once, even when its schedule has ended.
    """
    now = now or datetime.now(timezone.utc)
    cursors = archive.cursors(source)
    links = archive.answer_links()
    known: dict[str, set[str]] = {}
    for reply, (question, _) in links.items():
        known.setdefault(question, set()).add(reply)
    waiting: list[tuple[datetime, Post]] = []
    for post in archive.posts_of_kind("question", source, raw=False):
        if post.id in links:
            continue  # a reply that asks again belongs to its question's thread
        state = cursors.get(thread_key(post.id))
        checked = _checked(state)
        when = next_check(post, checked)
        if checked is not None and post.metrics.replies > _replies(state):
            when = checked
        if when is not None and when <= now:
            waiting.append((checked or datetime.min.replace(tzinfo=timezone.utc), post))
    waiting.sort(key=lambda pair: (pair[0], pair[1].created_at, pair[1].id))
    chosen = archive.get_many(post.id for _, post in waiting[:limit])  # with the raw payload (its server id)
    return [(chosen[post.id], known.get(post.id, set())) for _, post in waiting[:limit] if post.id in chosen]


def replies_round(collector: Any, archive: Archive, now: datetime | None = None) -> Iterator[Any]:
    """The Batches of one round of thread reads for `collector` (nothing if it has no threads).

    Each Batch's `threads` become cursors here, so a thread's schedule moves on in the same
    transaction that stores its replies.
    """
    replies = getattr(collector, "replies", None)
    if replies is None:
        return
    now = now or datetime.now(timezone.utc)
    threads = due(archive, collector.name, now, getattr(collector, "threads_per_round", PER_ROUND))
    if not threads:
        return
    counts = {post.id: post.metrics.replies for post, _ in threads}
    for batch in replies(threads):
        for question_id in batch.threads:
            batch.cursors[thread_key(question_id)] = {"checked": format_time(now),
                                                      "replies": counts.get(question_id, 0)}
        yield batch


def _checked(value: Any) -> datetime | None:
    if isinstance(value, Mapping) and isinstance(value.get("checked"), str):
        try:
            return parse_time(value["checked"])
        except ValueError:
            return None
    return None


def _replies(value: Any) -> int:
    n = value.get("replies") if isinstance(value, Mapping) else None
    return n if isinstance(n, int) and not isinstance(n, bool) else 0
