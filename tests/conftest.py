"""What most tests start from, named for what it is.

- `make_config(**sections)` / `config`: a validated Config whose file is tmp_path/backchannel.toml
  and whose data dir is tmp_path/data. A module can override `config` (e.g. with a
  `[moderation]` section) and `archive` / `writer` follow it.
- `archive`: the config's SQLite archive, open. `writer`: the library's Writer over the config's
  archive and Whoosh index, behind the one-writer lock (use it *or* `archive`, not both).
- `store`: a PipelineStore, a collector's rounds stored as the pipeline stores them, in memory.
- `loopback_server` (one per session, like httpx's test server) and `serve(app)`: point that
  server at an app for one `with` block, with a fresh request log.
- `searched(site)`: what in-browser search finds in a built site (its index files), and
  `.filters()`: each indexed post's filter values (kind, source, day, talk, language).

Helpers that tests import (mastodon_server, bluesky_server, factories, pipeline_store) live in
this folder, which is on sys.path.
"""

from __future__ import annotations

import gzip
import json
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from backchannel.archive import Archive  # noqa: E402
from backchannel.config import Config, parse  # noqa: E402
from backchannel.demo.loopback import App, Loopback, Response  # noqa: E402
from backchannel.index import Index  # noqa: E402
from backchannel.lock import WriterLock  # noqa: E402
from backchannel.pipeline import Writer  # noqa: E402
from fixtures.digest.event import Page  # noqa: E402
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


class SearchFiles:
    """A built site's in-browser search index (`search/i/`, see digest/search_index.py):
    its result files (gzip JSON, a row per post) and its word lists (gzip)."""

    def __init__(self, site: Path):
        self.site = Path(site)
        self.folder = folder = self.site / "search" / "i"
        self.rows = [row for f in sorted((folder / "d").glob("*.bin"), key=lambda f: int(f.stem))
                     for row in json.loads(gzip.decompress(f.read_bytes()))]
        self.lists = b"".join(gzip.decompress(f.read_bytes()) for f in sorted((folder / "t").glob("*.bin")))

    @property
    def urls(self) -> list[str]:
        return [row["url"] for row in self.rows]

    @property
    def post_ids(self) -> set[str]:
        """The posts search finds, by id (their permalink's file name)."""
        return {url.rsplit("/", 1)[1].removesuffix(".html") for url in self.urls}

    @property
    def text(self) -> str:
        """Everything the index holds, as text: what a search could match or show."""
        return json.dumps(self.rows, ensure_ascii=False) + self.lists.decode("utf-8", "replace")

    def filters(self) -> dict[str, dict[str, str]]:
        """Each indexed post's filter values, by its url, read as static/search.js reads them:
        `cols.bin` holds a column of codes (one per post) for each filter the search page
        offers (its `data-index`), then the rank column; the page's checkbox with that
        `data-code` names the value, 0 means none."""
        page = Page((self.site / "search" / "index.html").read_text("utf-8"))
        meta = json.loads(page.one(id="search-app").attrs["data-index"])
        named = {(box.attrs["name"], int(box.attrs["data-code"])): box.attrs["value"]
                 for box in page.find("input", type="checkbox")}
        cols = gzip.decompress((self.folder / "cols.bin").read_bytes())
        n, pos = meta["posts"], 0
        found: list[dict[str, str]] = [{} for _ in range(n)]
        for facet in meta["facets"]:
            name, width = facet["name"], facet["width"]
            for i in range(n):
                code = int.from_bytes(cols[pos + width * i:pos + width * (i + 1)], "little")
                if code:
                    found[i][name] = named[(name, code)]
            pos += width * n
        assert len(cols) == pos + n == pos + len(self.rows)  # the rank column ends the file
        return dict(zip(self.urls, found))


@pytest.fixture
def searched():
    """`searched(site).post_ids`: what in-browser search finds in a built site."""
    return SearchFiles
