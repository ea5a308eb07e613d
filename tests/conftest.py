"""What most tests start from, named for what it is.

- `make_config(**sections)` / `config`: a validated Config whose file is tmp_path/backchannel.toml
  and whose data dir is tmp_path/data. A module can override `config` (e.g. with a
  `[moderation]` section) and `archive` / `writer` follow it.
- `archive`: the config's SQLite archive, open. `writer`: the library's Writer over the config's
  archive and Whoosh index, behind the one-writer lock (use it *or* `archive`, not both).
- `store`: a PipelineStore, a collector's rounds stored as the pipeline stores them, in memory.
- `loopback_server` (one per session, like httpx's test server) and `serve(app)`: point that
  server at an app for one `with` block, with a fresh request log.
- `pagefind(site, shards=None)`: what in-browser search finds in a built site.

Helpers that tests import (mastodon_server, bluesky_server, factories, pipeline_store) live in
this folder, which is on sys.path.
"""

from __future__ import annotations

import gzip
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterable, Iterator

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from backchannel.archive import Archive  # noqa: E402
from backchannel.config import Config, parse  # noqa: E402
from backchannel.demo.loopback import App, Loopback, Response  # noqa: E402
from backchannel.index import Index  # noqa: E402
from backchannel.lock import WriterLock  # noqa: E402
from backchannel.pipeline import Writer  # noqa: E402
from pipeline_store import PipelineStore  # noqa: E402

EVENT = {"name": "PyCon Example 2026", "hashtags": ["pyconex"], "timezone": "UTC"}


@pytest.fixture
def make_config(tmp_path):
    """`make_config(moderation={"mode": "approve"})`: a Config from TOML-shaped sections."""
    def make(**sections) -> Config:
        return parse({"event": dict(EVENT), **sections}, tmp_path / "backchannel.toml", tmp_path / "data")
    return make


@pytest.fixture
def config(make_config) -> Config:
    return make_config()


@pytest.fixture
def archive(config) -> Iterator[Archive]:
    with Archive.in_dir(config.data_dir) as archive:
        yield archive


@pytest.fixture
def writer(config) -> Iterator[Writer]:
    lock = WriterLock(config.data_dir).acquire()
    writer = Writer(config, Archive.in_dir(config.data_dir), Index.in_dir(config.data_dir))
    yield writer
    writer.close()
    lock.release()


@pytest.fixture
def store() -> PipelineStore:
    """A fresh pipeline store; a test that needs a second one (another process) makes it."""
    return PipelineStore()


def _not_found(req) -> Response:
    return Response(404, b"no app is being served")


@pytest.fixture(scope="session")
def loopback_server() -> Iterator[Loopback]:
    with Loopback(_not_found) as server:
        yield server


@pytest.fixture
def serve(loopback_server):
    """`with serve(app) as server:` points the session's server at `app`, with a fresh log."""
    @contextmanager
    def use(app: App) -> Iterator[Loopback]:
        loopback_server.app = app
        loopback_server.requests = []
        try:
            yield loopback_server
        finally:
            loopback_server.app = _not_found
    return use


class PagefindIndex:
    """A built site's Pagefind fragments: gzip, a signature, then a JSON object per page.

    `shards` are the bundle folders relative to the site (a build's `report.search.shards`);
    without them, every bundle under site/pagefind/.
    """

    def __init__(self, site: Path, shards: Iterable[str] | None = None):
        folders = [site / s for s in shards] if shards is not None else sorted(site.glob("pagefind/*"))
        self.raw = [gzip.decompress(f.read_bytes()) for folder in folders
                    for f in sorted((folder / "fragment").glob("*.pf_fragment"))]

    @property
    def fragments(self) -> list[dict]:
        return [json.loads(data[data.index(b"{"):]) for data in self.raw]

    @property
    def urls(self) -> list[str]:
        return [f["url"] for f in self.fragments]

    @property
    def post_ids(self) -> set[str]:
        """The posts search finds, by id (their permalink's file name)."""
        return {url.rsplit("/", 1)[1].removesuffix(".html") for url in self.urls}

    @property
    def text(self) -> str:
        """Everything in the fragments, as text: what a search could match."""
        return "".join(data.decode("utf-8", "replace") for data in self.raw)


@pytest.fixture
def pagefind():
    """`pagefind(site).post_ids`: what in-browser search finds in a built site."""
    return PagefindIndex
