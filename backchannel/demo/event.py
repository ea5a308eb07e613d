"""The sample event's payloads, as shipped in `backchannel/demo/data/`.

The files are rendered by `scripts/make_demo_data.py` from the hand-written posts in
`scripts/demo_event/`; `event.json` says which file is which. They are read the same way
from a wheel and from a checkout (importlib.resources first, the source tree second).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any


def read_bytes(name: str) -> bytes:
    """A data file's bytes, e.g. `read_bytes("feeds/news.xml")`."""
    try:
        return resources.files("backchannel.demo").joinpath("data", *name.split("/")).read_bytes()
    except (FileNotFoundError, ModuleNotFoundError, OSError):
        return (Path(__file__).parent / "data" / name).read_bytes()


def read_json(name: str) -> Any:
    return json.loads(read_bytes(name).decode("utf-8"))


@dataclass(frozen=True)
class MastodonPayload:
    domain: str  # the server's real-world name (its local accounts have no @domain in `acct`)
    title: str
    statuses: tuple[dict, ...]  # as its API shows them, newest first, boosts included


@dataclass(frozen=True)
class FeedPayload:
    path: str  # where the demo serves it, e.g. /werkbank/atom.xml
    title: str
    all: bool  # the config marks it `all = true` (every entry in the window is about the event)
    content_type: str
    body: bytes


@dataclass(frozen=True)
class SampleEvent:
    """Everything the demo serves and configures."""

    manifest: dict
    mastodon: tuple[MastodonPayload, ...]
    bluesky: dict  # {"accounts": [...], "posts": [PostView, ...]}
    feeds: tuple[FeedPayload, ...]

    @property
    def event(self) -> dict:
        return self.manifest["event"]

    @property
    def login(self) -> dict:
        """The Bluesky handle and app password the demo server accepts (not a secret)."""
        return self.manifest["bluesky"]["login"]

    @property
    def deletions(self) -> dict[str, list[str]]:
        """Post URIs whose authors delete them after the first poll, per network."""
        return self.manifest["delete_after_first_poll"]

    @property
    def search(self) -> dict:
        return self.manifest["search"]

    def schedule_bytes(self) -> bytes:
        return read_bytes(self.manifest["schedule"])


@lru_cache(maxsize=1)
def load() -> SampleEvent:
    """The sample event (read once per process)."""
    manifest = read_json("event.json")
    mastodon = tuple(MastodonPayload(m["domain"], m["title"], tuple(read_json(m["file"])))
                     for m in manifest["mastodon"])
    feeds = tuple(FeedPayload(f["path"], f["title"], f["all"], f["content_type"], read_bytes(f["file"]))
                  for f in manifest["feeds"])
    return SampleEvent(manifest, mastodon, read_json(manifest["bluesky"]["file"]), feeds)
