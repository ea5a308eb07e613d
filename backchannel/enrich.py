"""What the pipeline derives for each post before it is stored: its kind and score."""

from __future__ import annotations

from dataclasses import asdict

from .config import Config
from .models import Post


def make_enricher(cfg: Config):
    """A function that fills `kind` and `score` on a list of posts, in place."""
    try:  # TODO(lead): drop the guard once backchannel.classify has landed
        from .classify import classify_text
    except ImportError:
        return None

    def enrich(posts: list[Post]) -> None:
        for post in posts:
            post.kind, post.score = classify_text(post.text, post.lang, post.source, asdict(post.metrics))

    return enrich
