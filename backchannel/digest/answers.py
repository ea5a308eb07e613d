"""Questions and their answers, as the digest shows them (the replies come from `backchannel.answers`).

`split()` takes the replies fetched as answers out of the digest's lists: a reply that does
not carry one of the event's hashtags was not posted to the event, so it appears only under
its question (a reply that does carry one stays a post of its own too). `answered()` picks
each question's best answer: a reply by one of the talk's speakers (from the programme: their
handles when it gives them, else the same display name), else the most liked reply, the earliest on a tie. The
asker's own replies (a follow-up, a thank-you) are not answers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable, Mapping

# The items are `backchannel.digest.model.Item`s and the talks the programme's `Talk`s (the
# speakers' names and `speaker_handles`); model imports this module, so they are named here
# only in words (no import cycle, not even for type checkers).
Item = Talk = Any


@dataclass(frozen=True)
class Answered:
    """A question that has answers: the best one first, and whether a speaker gave it."""

    question: Item
    answers: tuple[Item, ...]  # best first
    by_speaker: bool

    @property
    def best(self) -> Item:
        return self.answers[0]


def split(items: list[Item], links: Mapping[str, tuple[str, str | None]],
          hashtags: Iterable[str]) -> tuple[list[Item], dict[str, list[Item]]]:
    """(the items the digest lists, the published replies of each question id)."""
    if not links:
        return items, {}
    tags = {t.lower() for t in hashtags}
    kept: list[Item] = []
    replies: dict[str, list[Item]] = {}
    for it in items:
        link = links.get(it.post.id)
        if link is None:
            kept.append(it)
            continue
        replies.setdefault(link[0], []).append(it)
        if tags & set(it.post.tags):
            kept.append(it)
    return kept, replies


def answered(questions: Iterable[Item], replies: Mapping[str, list[Item]]) -> dict[str, Answered]:
    """The questions that have at least one answer, by question id."""
    found: dict[str, Answered] = {}
    for q in questions:
        asker = _who(q)
        others = [r for r in replies.get(q.post.id, ()) if _who(r) != asker]
        if not others:
            continue
        speakers = [r for r in others if is_speaker(r, q.talk)]
        rest = [r for r in others if r not in speakers]
        ranked = sorted(speakers, key=_order) + sorted(rest, key=_order)
        found[q.post.id] = Answered(q, tuple(ranked), bool(speakers))
    return found


def is_speaker(item: Item, talk: Talk | None) -> bool:
    """Whether the post's author is one of the talk's speakers: by handle when the programme
    gives the speakers' handles (anyone can take a display name), else by display name."""
    if talk is None:
        return False
    author = item.post.author
    handles = {str(h).lower().lstrip("@") for h in getattr(talk, "speaker_handles", ()) or ()}
    if handles:
        return (author.handle or "").lower().lstrip("@") in handles
    name = (author.name or "").casefold().strip()
    return bool(name) and name in {s.casefold() for s in talk.speakers}


def _who(item: Item) -> tuple[str, str]:
    return item.post.source, (item.post.author.handle or item.post.author.name).lower()


def _order(item: Item) -> tuple:
    return (-item.post.metrics.likes, item.post.created_at, item.post.id)
