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
from atproto_client.exceptions import BadRequestError
from click.testing import CliRunner
from mastodon import Mastodon, MastodonNotFoundError

from backchannel.archive import Archive
from backchannel.cli.main import cli
from backchannel.cli.demo import demo
from backchannel.demo.event import load, read_json
from backchannel.demo.server import DemoServer
from backchannel.models import make_id
from fixtures.digest.event import read

ROOT = Path(__file__).resolve().parents[1]
HOSTILE = re.compile(r"<script|onerror|onload|javascript:|<iframe", re.I)


@pytest.fixture(scope="module")
def runs(tmp_path_factory):
    """The demo run twice in the same folder: (first output, second output, folder)."""
    folder = tmp_path_factory.mktemp("demo") / "kettlecode"
    runner = CliRunner()  # through the command group, as a user runs it (it prints the library's notes)
    first = runner.invoke(cli, ["demo", "--dir", str(folder)])
    assert first.exit_code == 0, first.output
    second = runner.invoke(cli, ["demo", "--dir", str(folder)])
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


def thread_roots() -> dict[str, str]:
    """Every reply either Mastodon server shows → the uri of the first status of its thread."""
    out = {}
    for server in (0, 1):
        by_id = {s["id"]: s for s in statuses(server) if not s["reblog"]}
        for s in by_id.values():
            root = s
            while root["in_reply_to_id"] in by_id:
                root = by_id[root["in_reply_to_id"]]
            if root is not s:
                out[s["uri"]] = root["uri"]
    return out


def by_text(posts: list[dict], words: str) -> dict:
    """The one payload post (Mastodon status or Bluesky PostView) whose text has `words`."""
    found = [p for p in posts if words in (p.get("content") or p.get("record", {}).get("text", ""))]
    assert len(found) == 1, (words, len(found))
    return found[0]


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
    roots = thread_roots()
    stored = [p for p in archive.posts(source="mastodon")]
    questions = {p.uri for p in stored if p.kind == "question"}
    # Under the hashtags, or (read from a question's thread) a public reply under a question.
    expected = {uri for uri, s in shown.items() if (tagged(s) or roots.get(uri) in questions)
                and s["visibility"] == "public" and not s["account"].get("noindex")
                and "nobackchannel" not in s["account"]["note"].lower()
                and s["account"]["acct"] != "kettle_airdrop@coins.spam.example" and uri not in gone}
    assert {p.uri for p in stored} == expected  # each shared status once, no boost, no opt-out
    assert len(stored) == len(expected)
    assert not any(p.is_repost or p.uri.endswith("/activity") for p in stored)
    untagged = {p.id for p in stored if not tagged(shown[p.uri])}
    assert len(untagged) >= 10 and untagged <= set(archive.answer_links())  # each one an answer


def test_the_demo_shows_the_consent_rules_at_work(runs, archive, searched):
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
    indexed = searched(site).post_ids
    # (an answer without the event's hashtag shows only under its question: no page to find)
    links, hashtags = archive.answer_links(), set(load().event["hashtags"])
    searchable = {p.id for p in archive.posts() if p.searchable and not (p.id in links and not hashtags & set(p.tags))}
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
        tagged_views = [v for v in event.bluesky["posts"] if "#kettlecode" in v["record"]["text"].lower()]
        assert len(uris) == len(set(uris)) == len(tagged_views) > 100  # (replies without the tag aren't found)


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


def test_the_demo_prints_no_warning_and_names_the_programme_once(runs):
    first, second, _ = runs
    for output in (first, second):
        assert "warning" not in output.lower(), output  # its own servers serve threads
        assert len(re.findall(r"^programme: schedule.json", output, re.M)) == 1, output


def test_questions_are_read_with_their_answers(archive):
    """In each source several questions get 1-3 replies from their thread, most of which
    carry no hashtag (so no tag timeline or search shows them)."""
    links = archive.answer_links()
    posts = {p.id: p for p in archive.posts(raw=False)}
    replies = {}
    for reply, (question, _) in links.items():
        replies.setdefault(question, []).append(posts[reply])
    assert all(1 <= len(r) <= 3 for r in replies.values())
    per_source = {s: sum(1 for q in replies if posts[q].source == s) for s in ("mastodon", "bluesky")}
    assert min(per_source.values()) >= 10, per_source
    hashtags = set(load().event["hashtags"])
    without_tag = [r for rs in replies.values() for r in rs if not hashtags & set(r.tags)]
    assert {r.source for r in without_tag} == {"mastodon", "bluesky"} and len(without_tag) >= 25


def qa_rows(page) -> list[tuple[str, str]]:
    """(label of the best answer, its text) per answered question of a page."""
    rows = []
    for li in page.by_class("qa-item"):
        best = next(e for e in page.by_class("answer") if li in e.ancestors)
        label = next(e for e in page.find("strong") if best in e.ancestors).text
        body = next(e for e in page.by_class("content") if best in e.ancestors).text.strip()
        rows.append((label, body))
    return rows


def test_the_digest_shows_questions_with_their_answers(runs):
    """The Questions page shows answered questions with the speaker's answer first, from
    Mastodon and Bluesky alike, although the answers carry no hashtag; so does a talk page."""
    site = runs[2] / "output"
    rows = qa_rows(read(site, "kinds/question/index.html"))
    assert len(rows) >= 10
    speaker = [
        by_text(list(originals().values()), "Quarterly for whatever would stop you invoicing")["content"],
        by_text(load().bluesky["posts"], "Not with size!")["record"]["text"],
    ]
    for answer in speaker:
        assert "#kettlecode" not in answer
        words = re.sub(r"<[^>]+>", "", answer).split(" ", 2)[2][:40]  # past the @mention
        assert any(label == "The speaker answered" and words in body for label, body in rows), words
    talks = [read(site, str(p.relative_to(site))) for p in sorted((site / "talks").glob("*/index.html"))]
    assert any(qa_rows(page) for page in talks)


def test_the_demo_servers_answer_threads_like_the_real_services():
    """Mastodon's context and Bluesky's getPostThread: a reply chain in thread order, root
    first above; once the middle reply is deleted, a 404 / NotFound for it, it and the reply
    below it gone from the thread, and a notFoundPost as that reply's parent on Bluesky."""
    event = load()
    with DemoServer(event) as server:
        words = "the sentence I needed for Monday"
        n = next(n for n in (0, 1) if any(words in s["content"] for s in statuses(n)))
        shown = [s for s in statuses(n) if not s["reblog"]]
        by_id = {s["id"]: s for s in shown}
        thanks = by_text(shown, words)
        answer = by_id[thanks["in_reply_to_id"]]
        question = by_id[answer["in_reply_to_id"]]
        under = set()
        for s in shown:
            up = s
            while up["in_reply_to_id"] in by_id and up["id"] != question["id"]:
                up = by_id[up["in_reply_to_id"]]
            if up is question and s is not question:
                under.add(s["id"])
        api = Mastodon(api_base_url=server.urls[("mastodon-a", "mastodon-b")[n]], version_check_mode="none")
        ids = [str(s.id) for s in api.status_context(question["id"]).descendants]
        assert set(ids) == under and len(ids) >= 3
        assert ids.index(thanks["id"]) == ids.index(answer["id"]) + 1  # depth first
        above = api.status_context(thanks["id"])
        assert [str(s.id) for s in above.ancestors] == [question["id"], answer["id"]] and not above.descendants
        server.sites[("mastodon-a", "mastodon-b")[n]].delete([answer["uri"]])
        with pytest.raises(MastodonNotFoundError):
            api.status_context(answer["id"])
        ids = [str(s.id) for s in api.status_context(question["id"]).descendants]
        assert set(ids) == under - {answer["id"], thanks["id"]}

        client = Client(base_url=server.urls["bluesky"])
        client.login(event.login["handle"], event.login["password"])

        def thread(uri, depth=10):
            params = models.AppBskyFeedGetPostThread.Params(uri=uri, depth=depth, parent_height=10)
            return client.app.bsky.feed.get_post_thread(params).thread

        thanks = by_text(event.bluesky["posts"], "straight into our department's job descriptions")
        answer, question = thanks["record"]["reply"]["parent"]["uri"], thanks["record"]["reply"]["root"]["uri"]
        top = thread(question)
        assert top.py_type == "app.bsky.feed.defs#threadViewPost" and top.post.uri == question and not top.parent
        replies = {r.post.uri: r for r in top.replies}
        assert len(replies) >= 2 and [r.post.uri for r in replies[answer].replies] == [thanks["uri"]]
        below = thread(thanks["uri"], depth=0)
        assert below.parent.post.uri == answer and below.parent.parent.post.uri == question and not below.replies
        server.sites["bluesky"].delete([answer])
        with pytest.raises(BadRequestError) as gone:
            thread(answer)
        assert gone.value.response.content.error == "NotFound"
        orphan = thread(thanks["uri"])
        assert orphan.parent.py_type == "app.bsky.feed.defs#notFoundPost" and orphan.parent.uri == answer
        assert answer not in {r.post.uri for r in thread(question).replies}


def test_the_readme_gives_the_demo_counts(archive):
    readme = (ROOT / "README.md").read_text("utf-8")
    said = re.search(r"(\d+) posts from Mastodon, (\d+) from Bluesky, (\d+) from the blogs", readme)
    stored = [sum(1 for _ in archive.posts(source=s, raw=False)) for s in ("mastodon", "bluesky", "rss")]
    assert said and [int(n) for n in said.groups()] == stored
