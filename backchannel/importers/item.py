"""What a reader yields: one record of the file (see `backchannel.importers`).

Its own module so the readers and the package that picks among them never import each other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any


@dataclass
class Item:
    position: int  # 1-based: line number, array item or CAR block (see Format.unit)
    post: dict | None = None  # a Post JSONL object
    raw: Any = None  # the record as the file had it (kept in the archive)
    uri: str | None = None  # the post's identity at its source
    skip: str | None = None  # why it was left out on purpose
    problem: str | None = None  # what is wrong with it
