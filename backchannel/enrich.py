"""What the pipeline derives for each post before it is stored: its kind and score."""

from __future__ import annotations

from .classify import classify_post
from .config import Config
from .models import Post


def make_enricher(cfg: Config):
    """A function that fills `kind` and `score` on a list of posts, in place."""

    def enrich(posts: list[Post]) -> None:
        for post in posts:
            post.kind, post.score = classify_post(post)

    return enrich
