"""A collector run through the pipeline's steps, kept in memory: what a collector test checks.

    store = PipelineStore()
    store.round(collector)                       # one `collect --once` round
    assert store.errors == [] and len(store.posts) == 40
    store.round(collector)                       # the next round starts from the stored cursors
    store.take(collector.recheck(list(store.posts.values())))

Per batch it does what `pipeline.apply_batch` does, in the same order: store the posts, then
the tombstones (and every post of an author who opted out), then the cursors, JSON
round-tripped as the archive keeps them. `posts`, `deleted`, `cursors` and `ids_yielded` hold
everything so far; `batches` and the report properties (`yielded`, `errors`, `warnings`,
`skipped`, `requests`) are the last round's, as `SourceReport` is.
"""

from __future__ import annotations

import json
from typing import Iterable

from backchannel.collectors.base import Batch
from backchannel.models import Post


class PipelineStore:
    def __init__(self, cursors: dict | None = None) -> None:
        self.posts: dict[str, Post] = {}
        self.deleted: set[str] = set()
        self.cursors: dict = dict(cursors or {})
        self.ids_yielded: list[str] = []  # every post id handed over, in order, over all rounds
        self.batches: list[Batch] = []

    def round(self, collector) -> "PipelineStore":
        """Poll `collector` once, from the cursors stored so far."""
        return self.take(collector.collect(dict(self.cursors)))

    def take(self, batches: Iterable[Batch]) -> "PipelineStore":
        """Store these batches (a round's, or a re-check's) one by one, as they arrive."""
        self.batches = []
        for batch in batches:
            self.batches.append(batch)
            forget = set(batch.forget)  # the stored posts of authors who opted out, as before this batch
            gone = list(batch.deleted) + [i for i, p in self.posts.items() if p.author.handle in forget]
            for post in batch.posts:
                self.posts[post.id] = post
                self.ids_yielded.append(post.id)
            for post_id in gone:
                self.deleted.add(post_id)
                self.posts.pop(post_id, None)
            self.cursors.update(json.loads(json.dumps(batch.cursors)))  # the archive keeps JSON
        return self

    @property
    def yielded(self) -> list[Post]:
        return [p for b in self.batches for p in b.posts]

    @property
    def errors(self) -> list[str]:
        return [e for b in self.batches for e in b.errors]

    @property
    def warnings(self) -> list[str]:
        return [w for b in self.batches for w in b.warnings]

    @property
    def skipped(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for b in self.batches:
            for reason, n in b.skipped.items():
                counts[reason] = counts.get(reason, 0) + n
        return counts

    @property
    def requests(self) -> int:
        return sum(b.requests for b in self.batches)
