"""What the renderers share: the parsed post (`Item`), people lookup, seeded randomness."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any

from people import PEOPLE


@dataclass
class Item:
    """One line of posts_day*.txt: a post as written, on one or two networks."""

    n: int  # position in the files: a stable seed
    author: str
    nets: str  # "m", "b" or "mb"
    lang: str
    kind: str  # as written: t q r s o
    text: str
    section: str
    day: int
    opts: dict[str, Any]
    when: dict[str, datetime] = field(default_factory=dict)  # per network ("m", "b"), aware UTC
    parent: "Item | None" = None
    quoted: "Item | None" = None
    servers: set[str] = field(default_factory=set)  # the Mastodon servers that show it
    line: str = ""
    window: tuple = ()  # the section: (day, "HH:MM", "HH:MM", name)

    @property
    def label(self) -> str | None:
        return self.opts.get("id")

    @property
    def boosters(self) -> list[str]:
        return [b for b in self.opts.get("boost", "").split(",") if b]

    @property
    def images(self) -> list[str]:
        return [self.opts[k] for k in ("img", "img2") if self.opts.get(k)]

    def likes(self, r: random.Random) -> int:
        low, high = {"t": (4, 45), "r": (10, 70), "s": (3, 30), "q": (1, 9), "o": (0, 12)}[self.kind]
        boost = 1.6 if self.section in ("k1", "k2", "cl") else 1.0
        return int(r.randrange(low, high) * boost)


def person(key: str, missing_ok: bool = False) -> dict | None:
    if key not in PEOPLE:
        if missing_ok:
            return None
        raise KeyError(f"unknown person {key!r}")
    return PEOPLE[key]


def rng(item: Item, *salt: object) -> random.Random:
    """Randomness that depends only on the post and the purpose: the output is reproducible."""
    return random.Random("|".join(map(str, (item.n, item.text, *salt))))


def iso_ms(dt: datetime) -> str:
    """`2026-09-10T09:41:07.123Z`, as both Mastodon and Bluesky write timestamps."""
    dt = dt.astimezone(timezone.utc)
    return dt.strftime("%Y-%m-%dT%H:%M:%S.") + f"{dt.microsecond // 1000:03d}Z"
