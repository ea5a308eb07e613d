"""Building again: only what changed is rewritten, deletions disappear, the search index
follows; the feed, recap and JSONL; hostile posts; the chart; `serve` and the commands."""

from __future__ import annotations

import http.client
import json
import multiprocessing
import os
import re
import signal
import threading
import time
import xml.etree.ElementTree as ET
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner

from backchannel.validate import post_from_dict
from backchannel.cli.digest import build as build_command, serve as serve_command
from backchannel.archive import Archive
from backchannel.digest import BuildReport, build
from backchannel.digest.chart import activity, nice_max
from backchannel.digest.feeds import record
from backchannel.digest.model import load
from backchannel.errors import BackchannelError
from backchannel.index import Index
from backchannel.pipeline import Writer
from backchannel.run import ChildBuild, Runner
from backchannel.talks.programme import load_schedule
from backchannel.serve import serve_in_thread
from fixtures.digest import event
from fixtures.digest.event import Page, read

RECORDS = event.records()
ATOM = "{http://www.w3.org/2005/Atom}"


def permalink(site: Path, rec: dict) -> Path:
    local = datetime.fromisoformat(rec["created_at"].replace("Z", "+00:00")).astimezone(ZoneInfo("Europe/Berlin"))
    return site / "posts" / f"{local:%Y-%m-%d}" / f"{local:%H}" / f"{rec['id']}.html"


def new_post(n: int, when: str, **extra) -> dict:
    rec = dict(RECORDS[10], id=f"mastodon-new{n}", url=f"https://example.social/@ada/new{n}", created_at=when,
               text=f"Fresh takeaway number {n} about zebra crossings", html=f"<p>Fresh takeaway number {n}</p>",
               kind="takeaway", score=0.9)
    rec.update(extra)
    return rec


def mtimes(site: Path) -> dict[str, int]:
    return {p.relative_to(site).as_posix(): p.stat().st_mtime_ns for p in site.rglob("*") if p.is_file()}


# -- incremental builds ---------------------------------------------------------------------------


def test_a_rebuild_rewrites_only_the_pages_whose_content_changed(tmp_path):
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    with event.fill(cfg, RECORDS) as archive:
        first = build(cfg, now=event.NOW, search=False)
        before = mtimes(cfg.digest.output)
        again = build(cfg, now=event.NOW, search=False)
        assert again.written == 0 and again.removed == 0 and again.unchanged == first.files
        assert mtimes(cfg.digest.output) == before

        fresh = new_post(1, "2026-09-02T14:05:00Z", talk="pyconex-202")
        archive.store([post_from_dict(fresh)])
        third = build(cfg, now=event.NOW, search=False)
    written = set(third.written_paths)
    site = cfg.digest.output
    assert permalink(site, fresh).relative_to(site).as_posix() in written
    assert {"days/2026-09-02/index.html", "talks/pyconex-202/index.html", "kinds/takeaway/index.html",
            "index.html", "posts.jsonl"} <= written
    untouched = [p for p in before if p.startswith("posts/") or p.startswith("days/2026-09-01")
                 or p.startswith("talks/pyconex-101")]
    assert untouched and not written & set(untouched)
    after = mtimes(site)
    assert all(after[p] == before[p] for p in untouched)
    assert len(written) < 15


def test_key_point_groupings_are_kept_between_builds_while_the_posts_say_the_same(tmp_path):
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    manifest = cfg.digest.output / ".backchannel-digest.json"
    with event.fill(cfg, RECORDS) as archive:
        build(cfg, now=event.NOW, search=False)
        kept = json.loads(manifest.read_text())["extra"]["keypoints"]
        # a grouping is a list of points, each its post ids and their centrality
        keynote = [ids for grouping in kept.values() for ids, _ in grouping if len(ids) == 3]
        assert keynote, kept
        liked = dict(RECORDS[2], metrics=dict(RECORDS[2]["metrics"], likes=999))
        archive.store([post_from_dict(liked)])  # likes change: the grouping is reused
        build(cfg, now=event.NOW, search=False)
        assert json.loads(manifest.read_text())["extra"]["keypoints"] == kept
        # proof that it is read back: a grouping written in the manifest is what the page shows
        data = json.loads(manifest.read_text())
        for grouping in data["extra"]["keypoints"].values():
            grouping[:] = [[[pid], [0.0]] for ids, _ in grouping for pid in ids]  # every post alone
        manifest.write_text(json.dumps(data))
        build(cfg, now=event.NOW, search=False)
        page = read(cfg.digest.output, "talks/pyconex-101/index.html")
        assert "3 people" not in page.visible_text and "1 person" in page.visible_text
        fresh = new_post(1, "2026-09-01T08:10:00Z", talk="pyconex-101")
        archive.store([post_from_dict(fresh)])  # a new takeaway: that talk is grouped again
        build(cfg, now=event.NOW, search=False)
        again = json.loads(manifest.read_text())["extra"]["keypoints"]
    assert again != kept and any(fresh["id"] in ids for grouping in again.values() for ids, _ in grouping)
    assert len(again) == len(kept)  # groupings no longer used are not kept
    assert any(len(ids) == 3 for grouping in again.values() for ids, _ in grouping)  # grouped afresh


def test_a_post_deleted_at_the_source_disappears_from_every_page(tmp_path):
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    gone = RECORDS[7]
    with event.fill(cfg, RECORDS) as archive:
        build(cfg, now=event.NOW, search=False)
        site = cfg.digest.output
        assert permalink(site, gone).exists()
        archive.store(deleted=[gone["id"]], source="mastodon")
        report = build(cfg, now=event.NOW, search=False)
    assert report.removed == 1 and not permalink(site, gone).exists()
    everything = [p.read_text() for p in site.rglob("*") if p.suffix in (".html", ".jsonl", ".md", ".xml")]
    assert not any(gone["url"] in text or gone["id"] in text for text in everything)


def test_a_user_file_in_the_output_folder_is_left_alone(tmp_path):
    cfg = event.config(tmp_path)
    cfg.digest.output.mkdir(parents=True)
    (cfg.digest.output / "README.md").write_text("published by our team\n")
    with event.fill(cfg, RECORDS[:3]):
        build(cfg, now=event.NOW, search=False)
        build(cfg, now=event.NOW, search=False, full=True)
    assert (cfg.digest.output / "README.md").read_text() == "published by our team\n"


def test_the_search_index_rewrites_only_what_changed(tmp_path, searched):
    """Posts are numbered in time order, so a new post rewrites the word lists it is in and
    the result files from its place on, not the earlier ones; new likes rewrite no word list."""
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    site = cfg.digest.output
    during_day_two = datetime.fromisoformat("2026-09-02T15:00:00+00:00")
    searchable = {r["id"] for r in RECORDS if post_from_dict(r).searchable}
    with event.fill(cfg, RECORDS) as archive:
        first = build(cfg, now=during_day_two)
        assert first.search.error is None and first.search.posts == len(searchable)
        likes = dict(RECORDS[20], metrics={"likes": 500, "reposts": 1, "replies": 0, "quotes": 0})
        archive.store([post_from_dict(likes)])
        second = build(cfg, now=during_day_two)
        assert not [p for p in second.written_paths if p.startswith(("search/i/t/", "search/i/d/"))]
        archive.store([post_from_dict(new_post(2, "2026-09-02T14:40:00Z"))])
        third = build(cfg, now=during_day_two)
    written = [p for p in third.written_paths if p.startswith("search/i/")]
    assert "search/i/d/0.bin" not in written and any(p.startswith("search/i/d/") for p in written)
    assert any(p.startswith("search/i/t/") for p in written)
    # Only accounts that may be searched are in the index (Mastodon: `indexable: true`).
    indexed = searched(site).post_ids
    assert indexed == searchable | {new_post(2, "2026-09-02T14:40:00Z")["id"]}
    assert not {r["id"] for r in RECORDS if r["author"]["handle"] == "kat@mastodon.example"} & indexed


# -- files besides the pages ---------------------------------------------------------------------


@pytest.fixture(scope="module")
def hostile_site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("hostile")
    cfg = event.config(root, digest={"base_url": "https://digest.example/pycon/"},
                       schedule=event.hostile_schedule(root))
    event.fill(cfg, RECORDS + event.hostile_records()).close()
    build(cfg, now=event.NOW, search=False)
    return cfg.digest.output


def test_the_feed_is_well_formed_atom_of_the_top_takeaways(hostile_site):
    feed = ET.parse(hostile_site / "feed.xml").getroot()
    assert feed.tag == f"{ATOM}feed"
    entries = feed.findall(f"{ATOM}entry")
    takeaways = [r for r in RECORDS + event.hostile_records() if r["kind"] == "takeaway"]
    assert len(entries) == min(20, len(takeaways))
    # The hostile takeaway's author name is the XSS string: text, escaped by XML.
    hostile = next(e for e in entries if e.find(f"{ATOM}author/{ATOM}name").text == event.XSS)
    link = hostile.find(f"{ATOM}link[@rel='alternate']").attrib["href"]
    assert link.startswith("https://digest.example/pycon/posts/")
    assert hostile.find(f"{ATOM}link[@rel='via']") is None  # its javascript: URL is dropped
    content = Page(hostile.find(f"{ATOM}content").text)  # HTML, as a feed reader renders it
    assert "zebras" in content.visible_text and event.HOSTILE_TITLE in content.visible_text
    assert {el.tag for el in content.elements} <= {"p", "a", "br"}
    for el in content.elements:
        assert not any(name.startswith("on") for name in el.attrs)
        assert not (el.attrs.get("href") or "").lower().startswith(("javascript:", "data:"))
    for entry in entries:
        for a in entry.iter(f"{ATOM}link"):
            assert a.attrib["href"].startswith("https://")


def test_the_recap_is_inert_markdown_per_talk(hostile_site):
    recap = (hostile_site / "recap.md").read_text()
    assert recap.startswith("# What people took away from PyCon Example 2026\n")
    assert "## Vector search without a vector database" in recap
    assert "Priya: you can get surprisingly far with SQLite FTS5" in recap
    assert "\\<script\\>" in recap
    # every < escaped, but for link targets: ](<https://…>) and the digest's own <https://…>
    assert re.findall(r"(?<![\\(])<(?!https://digest\.example/)", recap) == []
    assert "](<javascript:" not in recap and "](javascript:" not in recap


def test_posts_jsonl_holds_every_published_post_with_what_was_derived(hostile_site):
    lines = (hostile_site / "posts.jsonl").read_text().splitlines()
    data = [json.loads(line) for line in lines]
    assert len(data) == len(RECORDS) + len(event.hostile_records())
    by_id = {d["id"]: d for d in data}
    ada = next(r for r in RECORDS if "SQLite FTS5" in r["text"])
    assert by_id[ada["id"]]["kind"] == "takeaway" and by_id[ada["id"]]["talk"] == "pyconex-102"
    assert "raw" not in by_id[ada["id"]]
    for rec in RECORDS:  # the fast serialiser says exactly what Post.to_dict says
        post = post_from_dict(rec)
        assert record(post) == post.to_dict()


# -- hostile posts --------------------------------------------------------------------------------


def test_hostile_posts_become_inert_text_on_every_page(hostile_site):
    site = hostile_site
    for path in site.rglob("*.html"):
        page = Page(path.read_text())
        scripts = page.find("script")
        own = [(site / "static" / name).resolve() for name in ("search.js", "wall.js", "languages.js")]
        assert all((path.parent / s.attrs["src"].split("?")[0]).resolve() in own and not s.text.strip()
                   for s in scripts), path
        for el in page.elements:
            assert el.tag not in ("iframe", "object", "embed", "style", "base", "img"), (path, el.tag)
            in_post = any("content" in (a.attrs.get("class") or "").split() for a in el.ancestors)
            assert not (in_post and el.tag in ("form", "button", "input", "svg", "a") and
                        el.attrs.get("rel") != "nofollow noopener ugc"), (path, el.tag)
            if el.tag == "svg":
                assert el.attrs.get("role") == "img", path  # only our own chart
            for name, value in el.attrs.items():
                assert not name.startswith("on"), (path, el.tag, name)
                if name in ("href", "src", "action", "xlink:href", "formaction"):
                    assert not (value or "").strip().lower().startswith(("javascript:", "data:", "vbscript:")), path
    front = read(site, "index.html")
    assert event.XSS in front.visible_text  # shown as the text it is
    hostile = Page(permalink(site, event.hostile_records()[0]).read_text()).visible_text
    assert "{{ 7*7 }}" in (site / "posts.jsonl").read_text() and "49" not in hostile  # never evaluated
    talk = read(site, "talks/pyconex-666/index.html")
    assert talk.one("h1").text == event.HOSTILE_TITLE
    meta = talk.by_class("talk-meta")[0].text
    assert "<b onmouseover=alert(1)>Room</b>" in meta and "<svg onload=alert(1)>" in meta  # as text


def test_a_hostile_post_id_cannot_leave_the_posts_folder(hostile_site):
    rec = event.hostile_records()[1]
    files = [p for p in hostile_site.rglob("*.html") if "evil" in p.name or "script" in p.name]
    assert files == []
    items = load(event.config(hostile_site.parent), [post_from_dict(rec)], [])
    assert items[0].path.startswith("posts/2026-09-01/15/x-") and (hostile_site / items[0].path).exists()


def test_the_permalink_layout_is_rendered_once_and_equals_a_full_render(hostile_site):
    from backchannel.digest.model import group
    from backchannel.digest.pages import POST_ROOT, Renderer, make_env, view
    from backchannel.digest.builder import site_info, static_files, template_dirs

    cfg = event.config(hostile_site.parent)
    talks = load_schedule(event.hostile_schedule(hostile_site.parent), cfg.event.tz).talks
    items = load(cfg, [post_from_dict(r) for r in RECORDS + event.hostile_records()], talks)
    renderer = Renderer(make_env(None), site_info(cfg, talks, static_files(template_dirs(None))),
                        group(items, talks, cfg))
    assert renderer._post_shell is not None
    for item in items:
        slow = renderer.render("post.html", POST_ROOT, item=item, v=view(item, full=True))
        assert renderer.post_page(item) == slow


# -- refreshing during `run` ----------------------------------------------------------------------


def test_run_refreshes_the_digest_in_a_child_process_and_gets_its_report_back(tmp_path):
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    with event.fill(cfg, RECORDS) as archive:  # the writer's connection stays open, as in `run`
        report = ChildBuild(cfg)()
        assert isinstance(report, BuildReport) and report.posts == len(RECORDS) and report.written == report.files
        archive.store([post_from_dict(new_post(1, "2026-09-02T14:05:00Z", talk="pyconex-202"))])
        again = ChildBuild(cfg)()
    assert again.posts == len(RECORDS) + 1 and 0 < again.written < 20  # incremental, like `build`
    assert "Teaching Python to nurses" in read(cfg.digest.output, "talks/index.html").visible_text


def test_a_build_that_crashes_is_reported_and_collecting_goes_on(tmp_path):
    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    writer = Writer(cfg, Archive.in_dir(cfg.data_dir), Index.in_dir(cfg.data_dir))
    writer.store([post_from_dict(r) for r in RECORDS])
    lines: list[str] = []
    runner = Runner(writer, [], {}, 60, ChildBuild(cfg), log=lines.append)

    def kill_the_build():
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            children = [c for c in multiprocessing.active_children() if c.name == "backchannel build"]
            if children:
                os.kill(children[0].pid, signal.SIGKILL)  # as the kernel's OOM killer would
                return
            time.sleep(0.005)

    killer = threading.Thread(target=kill_the_build)
    killer.start()
    runner._build()
    killer.join()
    assert runner.status.digest_error == "digest build failed: the build process died (killed by signal 9)"
    assert runner.status.digest_builds == 0 and lines == [f"digest: error: {runner.status.digest_error}"]
    runner._build()  # the next refresh works again
    writer.close()
    assert runner.status.digest_error is None and runner.status.digest_builds == 1
    assert lines[-1].startswith(f"digest: Built the digest of {len(RECORDS)} posts in {cfg.digest.output}")


def test_a_broken_template_during_run_is_an_error_naming_it(tmp_path):
    mine = tmp_path / "my-templates"
    mine.mkdir()
    (mine / "front.html").write_text('{% extends "default:front.html" %}{% block main %}{{ g.items|length }')
    cfg = event.config(tmp_path, digest={"templates": "my-templates"})
    event.fill(cfg, RECORDS[:3]).close()
    with pytest.raises(BackchannelError, match=r"digest build failed: .*front\.html:1: template error: unexpected '}'"):
        ChildBuild(cfg)()


# -- the chart ---------------------------------------------------------------------------------


def test_nice_axis_maxima():
    assert [nice_max(n) for n in (0, 1, 3, 7, 10, 11, 180, 501)] == [1, 1, 5, 10, 10, 20, 200, 1000]


def test_the_chart_switches_to_days_over_long_spans():
    cfg = event.config(Path("/nonexistent"))
    posts = [post_from_dict(dict(RECORDS[0], id=f"m-{d}", created_at=f"2026-09-{d:02d}T10:00:00Z")) for d in range(1, 29)]
    chart = activity(load(cfg, posts, []), ZoneInfo("Europe/Berlin"))
    assert chart.title == "Posts per day" and len(chart.bars) == 28
    assert all(b.count == 1 for b in chart.bars)
    hourly = activity(load(cfg, posts[:2], []), ZoneInfo("Europe/Berlin"))
    assert hourly.title == "Posts per hour" and len(hourly.bars) == 25


# -- serve ----------------------------------------------------------------------------------------


def get(base: str, path: str, method: str = "GET"):
    host, port = base.split("//")[1].rstrip("/").split(":")
    conn = http.client.HTTPConnection(host, int(port), timeout=5)
    conn.request(method, path)
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    return resp.status, resp.headers, body


def test_serve_serves_the_digest_on_loopback_only(hostile_site):
    server, base = serve_in_thread(hostile_site)
    try:
        assert base.startswith("http://127.0.0.1:")
        status, headers, body = get(base, "/")
        assert status == 200 and headers["Content-Type"] == "text/html; charset=utf-8"
        assert b"PyCon Example 2026" in body and headers["X-Content-Type-Options"] == "nosniff"
        assert get(base, "/static/search.js")[1]["Content-Type"].startswith("text/javascript")
        assert get(base, "/posts.jsonl")[1]["Content-Type"] == "text/plain; charset=utf-8"
        for hidden in ("/.backchannel-digest.json", "/.backchannel-digest.lock", "/posts/",
                       "/../../etc/passwd", "/%2e%2e/%2e%2e/etc/passwd", "/nothing-here.html"):
            status, _, body = get(base, hidden)
            assert status == 404, hidden
            assert b"backchannel-digest" not in body and b"root:" not in body
        assert get(base, "/index.html", "HEAD")[0] == 200
    finally:
        server.shutdown()
        server.server_close()


# -- the commands ---------------------------------------------------------------------------------


def write_config(root: Path) -> Path:
    path = root / "backchannel.toml"
    path.write_text('[event]\nname = "PyCon Example 2026"\nhashtags = ["pyconex"]\ntimezone = "Europe/Berlin"\n'
                    '[digest]\noutput = "site"\n')
    return path


def test_build_command_builds_and_reports(tmp_path):
    path = write_config(tmp_path)
    cfg = event.config(tmp_path)
    event.fill(cfg, RECORDS).close()
    data = ["--data-dir", str(cfg.data_dir)]
    result = CliRunner().invoke(build_command, ["--config", str(path), *data, "--no-search"])
    assert result.exit_code == 0, result.output
    assert f"Built the digest of {len(RECORDS)} posts" in result.output
    assert (tmp_path / "site" / "index.html").exists()
    again = CliRunner().invoke(build_command, ["--config", str(path), *data, "--no-search", "--json"])
    report = json.loads(again.output)
    assert report["written"] <= 1 and report["posts"] == len(RECORDS)  # at most the "updated" minute


def test_build_command_without_an_archive_says_so(tmp_path):
    path = write_config(tmp_path)
    result = CliRunner().invoke(build_command, ["--config", str(path)])
    assert result.exit_code == 2
    assert "no archive here yet" in result.output and "Traceback" not in result.output


def test_serve_command_without_a_digest_says_so(tmp_path):
    path = write_config(tmp_path)
    result = CliRunner().invoke(serve_command, ["--config", str(path), "--port", "0"])
    assert result.exit_code == 2 and "run `backchannel build` first" in result.output


def test_both_commands_have_help_with_an_example():
    for command in (build_command, serve_command):
        result = CliRunner().invoke(command, ["--help"])
        assert result.exit_code == 0 and "Example: backchannel" in result.output


def test_two_builds_of_the_same_folder_do_not_run_at_once(tmp_path):
    from backchannel.digest.writer import SiteWriter
    from backchannel.errors import LockedError

    holder = SiteWriter(tmp_path / "site", "sig")
    try:
        with pytest.raises(LockedError, match="another backchannel process is building"):
            SiteWriter(tmp_path / "site", "sig")
    finally:
        holder.close()
    SiteWriter(tmp_path / "site", "sig").close()
    assert not any(p.name.endswith(".tmp") for p in (tmp_path / "site").iterdir())
    assert os.listdir(tmp_path / "site") == [".backchannel-digest.lock"]


def test_an_empty_archive_builds_a_digest_that_says_so(tmp_path):
    cfg = event.config(tmp_path)
    with event.fill(cfg, []):
        report = build(cfg, now=event.NOW)
    assert report.posts == 0 and report.search.posts == 0
    front = read(cfg.digest.output, "index.html")
    assert "No posts yet" in front.visible_text and not front.find("svg")
    assert "Nothing to search yet" in read(cfg.digest.output, "search/index.html").visible_text
    assert ET.parse(cfg.digest.output / "feed.xml").getroot().findall(f"{ATOM}entry") == []


def test_a_broken_template_is_named_in_one_line(tmp_path):
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "people.html").write_text('{% extends "base.html" %}{% block main %}{% for %}{% endblock %}')
    path = write_config(tmp_path)
    path.write_text(path.read_text() + 'templates = "mine"\n')
    cfg = event.config(tmp_path)
    event.fill(cfg, RECORDS[:2]).close()
    result = CliRunner().invoke(build_command, ["--config", str(path), "--data-dir", str(cfg.data_dir), "--no-search"])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert "people.html:1: template error" in result.output


def test_a_failing_search_index_is_reported_and_the_pages_are_still_written(tmp_path):
    path = write_config(tmp_path)
    cfg = event.config(tmp_path)
    event.fill(cfg, RECORDS).close()
    (tmp_path / "site").mkdir()
    (tmp_path / "site" / "search").mkdir()
    (tmp_path / "site" / "search" / "i").write_text("a file where the index wants its folder")
    result = CliRunner().invoke(build_command, ["--config", str(path), "--data-dir", str(cfg.data_dir)])
    assert result.exit_code == 1 and "Traceback" not in result.output
    assert "error: search index: " in result.output and "search/i" in result.output
    assert (tmp_path / "site" / "index.html").exists()
    assert "Search is not available" in read(tmp_path / "site", "search/index.html").visible_text
