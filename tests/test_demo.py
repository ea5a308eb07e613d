"""`backchannel demo`: the sample event, served on 127.0.0.1, collected by the real collectors.

The demo runs twice (module fixture): the first run must store the whole event the way a
real event would be stored (consent, deletions, dedup, sanitising), the second nothing.
Expectations are computed from the shipped payloads, not hard-coded.
"""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from atproto import Client, models
from click.testing import CliRunner
from mastodon import Mastodon

from backchannel.archive import Archive
from backchannel.cli.main import cli
from backchannel.cli.demo import demo
from backchannel.demo.event import load, read_json
from backchannel.demo.server import DemoServer
from backchannel.models import make_id

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = re.compile(r"<script|onerror|onload|javascript:|<iframe", re.I)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The demo run twice in the same folder: (first output, second output, folder)."""
    folder = tmp_path_factory.mktemp("demo") / "kettlecode"
    runner = CliRunner()
    first = runner.invoke(demo, ["--dir", str(folder)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(demo, ["--dir", str(folder)])
    assert second.exit_code == 0, second.output
    return first.output, second.output, folder


@pytest.fixture(scope="module")
def archive(runs):
    with Archive.in_dir(runs[2] / ".backchannel") as arc:
        yield arc


def statuses(server: int) -> list[dict]:
    return read_json(load().manifest["mastodon"][server]["file"])


def originals() -> dict[str, dict]:
    """Every original status either Mastodon server shows, by uri (boost wrappers unwrapped)."""
    out = {}
    for server in (0, 1):
        for s in statuses(server):
            s = s["reblog"] or s
            out.setdefault(s["uri"], s)
    return out


def tagged(status: dict) -> bool:
    return bool({t["name"] for t in status["tags"]} & set(load().event["hashtags"]))


def test_the_demo_stores_the_whole_sample_event(runs, archive):
    first, _, folder = runs
    by_source = {s: sum(1 for _ in archive.posts(source=s)) for s in ("mastodon", "bluesky", "rss")}
    assert sum(by_source.values()) >= 400 and all(by_source.values()), by_source
    config = (folder / "backchannel.toml").read_text()
    servers = {p.raw["_backchannel"]["server"] for p in archive.posts(source="mastodon")}
    assert len(servers) == 2 and all(s in config for s in servers)  # both Mastodon servers answered
    assert f"{by_source['mastodon']} posts stored" in first and "error" not in first


def test_mastodon_dedupes_servers_drops_boosts_and_respects_consent(archive):
    shown = originals()
    shared = {s["uri"] for s in statuses(0)} & {s["uri"] for s in statuses(1)}
    boosts = [s for server in (0, 1) for s in statuses(server) if s["reblog"]]
    assert shared and boosts  # the payloads do have what this test is about
    gone = set(load().deletions["mastodon"])
    expected = {uri for uri, s in shown.items() if tagged(s) and not s["account"].get("noindex")
                and "nobackchannel" not in s["account"]["note"].lower()
                and s["account"]["acct"] != "kettle_airdrop@coins.spam.example" and uri not in gone}
    stored = [p for p in archive.posts(source="mastodon")]
    assert {p.uri for p in stored} == expected  # each shared status once, no boost, no opt-out
    assert len(stored) == len(expected)
    assert not any(p.is_repost or p.uri.endswith("/activity") for p in stored)


def test_the_demo_shows_the_consent_rules_at_work(runs, archive, pagefind):
    """Most accounts never opted in (as on real servers): shown, but searchable and named only
    when they opted in; one asked to be left out with #nobackchannel and is nowhere."""
    accounts = {s["account"]["acct"]: s["account"] for s in originals().values() if tagged(s)}
    flags = [a.get("indexable") for a in accounts.values()]
    assert flags.count(False) > len(flags) / 2 and None in flags and True in flags
    mastodon = list(archive.posts(source="mastodon"))
    assert {p.author.handle.partition("@")[0] for p in mastodon} >= {"wim", "jonas", "lotte"}  # in, absent, default
    site = runs[2] / "output"
    pages = {p.read_text(errors="replace") for p in site.rglob("*.html")}
    everything = "".join(pages)
    assert "Ruth Meyer" not in everything and "ruth@" not in everything
    indexed = pagefind(site).post_ids
    searchable = {p.id for p in archive.posts() if p.searchable}
    assert indexed == searchable
    assert {p.id for p in mastodon if p.indexable is not True}.isdisjoint(indexed)
    assert any(p.source == "bluesky" for p in archive.posts() if p.id in indexed)
    people = (site / "people" / "index.html").read_text()
    named = {p.author.name for p in archive.posts() if p.named}
    unnamed = {p.author.name for p in archive.posts() if not p.named} - named
    assert "Wim Janssen" in people and "Maya" in people and "Lotte Kramer" not in people
    assert unnamed and not any(f">{name}<" in people for name in unnamed if "<" not in name)


def test_opted_out_accounts_stay_out(archive):
    quiet = [s for s in originals().values() if s["account"].get("noindex") and tagged(s)]
    penguin = [v for v in load().bluesky["posts"] if any(
        label["val"] == "!no-unauthenticated" for label in v["author"]["labels"])]
    assert quiet and penguin
    handles = {p.author.handle for p in archive.posts()}
    assert "quietfox@toot.lab.example" not in handles
    assert "privatepenguin.bsky.social" not in handles
    assert not any(archive.get(make_id("bluesky", v["uri"])) for v in penguin)


def test_posts_deleted_at_the_source_are_gone(runs, archive):
    gone = load().deletions
    assert len(gone["mastodon"]) == 1 and len(gone["bluesky"]) == 1
    assert set(gone["mastodon"]) <= set(originals())
    assert set(gone["bluesky"]) <= {v["uri"] for v in load().bluesky["posts"]}
    for source, uris in gone.items():
        for uri in uris:
            assert archive.get(make_id(source, uri)) is None
            assert archive.is_tombstoned(make_id(source, uri))  # seen, then removed by the re-check
    assert "1 deleted at the source" in runs[0]


def test_hostile_markup_is_neutralised(archive):
    payloads = json.dumps(load().bluesky) + json.dumps(statuses(0) + statuses(1)) + \
        "".join(f.body.decode() for f in load().feeds)
    assert len(HOSTILE.findall(payloads)) >= 10  # scripts, handlers, javascript: links, iframes
    for post in archive.posts():
        d = post.to_dict()
        urls = [u for u in (d["url"], d["author"]["url"], *d["links"], *(m["url"] for m in d["media"])) if u]
        assert not HOSTILE.search(d["html"]), (post.id, d["html"])
        assert all(u.startswith(("http://", "https://")) and not HOSTILE.search(u) for u in urls), urls
        assert "<" not in d["author"]["name"], d["author"]["name"]


def test_search_finds_a_takeaway(runs):
    config = runs[2] / "backchannel.toml"
    query = load().search
    found = CliRunner().invoke(cli, ["search", "--config", str(config), query["query"],
                                     "--kind", query["kind"], "--json"])
    assert found.exit_code == 0, found.output
    hits = [json.loads(line) for line in found.output.splitlines() if line.startswith("{")]
    assert hits and all(h["kind"] == "takeaway" for h in hits)
    assert any("restore" in h["text"].lower() and "#kettlecode" in h["text"].lower() for h in hits)
    assert query["query"] in runs[0]  # the demo tells the user this search


def test_a_second_run_adds_nothing(runs, archive):
    _, second, _ = runs
    for source in ("mastodon", "bluesky", "rss"):
        assert re.search(rf"{source}\s+\d+ posts stored \(0 new, 0 updated[;,]", second), second


def test_the_digest_is_built(runs):
    first, _, folder = runs
    front = folder / "output" / "index.html"
    assert front.is_file() and "Kettle &amp; Code 2026" in front.read_text()
    assert str(front) in first


def test_the_demo_servers_page_like_the_real_services():
    """Mastodon.py follows Link headers and the atproto client follows cursors to the end."""
    event = load()
    with DemoServer(event) as server:
        api = Mastodon(api_base_url=server.urls["mastodon-a"], version_check_mode="none")
        page = api.timeline_hashtag("kettlecode", limit=40)
        seen = []
        while page:
            seen += [str(s.id) for s in page]
            page = api.fetch_next(page)
        want = [s["id"] for s in statuses(0) if "kettlecode" in {t["name"] for t in (s["reblog"] or s)["tags"]}]
        assert seen == want and len(seen) > 80  # several pages, newest first, nothing skipped

        client = Client(base_url=server.urls["bluesky"])
        client.login(event.login["handle"], event.login["password"])
        uris, cursor = [], None
        while True:
            res = client.app.bsky.feed.search_posts(
                models.AppBskyFeedSearchPosts.Params(q="#kettlecode", limit=25, cursor=cursor))
            uris += [p.uri for p in res.posts]
            cursor = res.cursor
            if not cursor:
                break
        assert len(uris) == len(set(uris)) == len(event.bluesky["posts"]) > 100


def test_the_demo_never_overwrites_a_real_config(tmp_path):
    mine = tmp_path / "backchannel.toml"
    mine.write_text('[event]\nname = "PyCon"\nhashtags = ["pycon"]\n')
    result = CliRunner().invoke(demo, ["--dir", str(tmp_path)])
    assert result.exit_code == 2 and "not written by `backchannel demo`" in result.output
    assert mine.read_text().startswith("[event]")


def test_the_shipped_payloads_match_their_source():
    """The data files are rendered from scripts/demo_event/ and nobody edited them by hand."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts" / "make_demo_data.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
