"""What the pipeline derives for each post before it is stored: its kind, score and talk."""

from __future__ import annotations

from backchannel.classify.classifier import classify_post
from backchannel.config import Config
from backchannel.models import Post
from backchannel.talks.programme import Talk
from backchannel.talks.matcher import Matcher


def make_enricher(cfg: Config, talks: list[Talk] | None = None):
    """A function that fills kind, score, talk and talk_reason on posts, in place; its `match`
    is the matcher's choice for one classified post (None without talks). The matcher is
    built when first needed: a writer that stores nothing (`place`, `reindex`) never pays for it."""
    made: list[Matcher] = []

    def match(post: Post) -> tuple[str | None, str | None]:
        if not made:
            made.append(Matcher(talks, cfg.event.tz))
        return made[0].match(post)

    def enrich(posts: list[Post]) -> None:
        for post in posts:
            post.kind, post.score = classify_post(post)
            if talks:  # after the kind: a post with no pointer may attach by timing alone
                post.talk, post.talk_reason = match(post)

    enrich.match = match if talks else None
    return enrich
