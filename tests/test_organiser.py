"""What an organiser sees when they point backchannel at the wrong address, and what a
collect reports: real servers on 127.0.0.1 (a plain static web server included), the real
archive, the CLI as typed."""

import functools
import json
import json
import threading
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from backchannel.cli.main import cli
from backchannel.demo.loopback import Loopback, Response
from mastodon_server import FakeMastodon, Person, now

CONFIG = """
[event]
name = "DemoCon"
hashtags = ["democon"]
timezone = "Europe/Berlin"

[sources.mastodon]
instances = [{instances}]
"""


def collect(tmp_path, *instances):
    config = tmp_path / "backchannel.toml"
    config.write_text(CONFIG.format(instances=", ".join(f'"{u}"' for u in instances)))
    return CliRunner().invoke(cli, ["collect", "--once", "--config", str(config)])


@pytest.fixture
def static_site(tmp_path):
    """Python's own static file server, serving a hashtag's web page as a site would."""
    site = tmp_path / "site"
    (site / "tags").mkdir(parents=True)
    (site / "tags" / "democon.html").write_text("<!DOCTYPE html><html><body>#democon</body></html>")
    (site / "index.html").write_text("<!DOCTYPE html><html><body>Welcome</body></html>")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_static_web_server_is_not_a_mastodon_server(tmp_path, static_site):
    result = collect(tmp_path, static_site + "/tags/democon")
    assert result.exit_code == 1, result.output
    assert f"{static_site}/tags/democon: not a Mastodon API server" in result.output
    assert f"HTTP 404 for {static_site}/tags/democon/api/v1/timelines/tag/democon" in result.output
    assert "/api/v1/instance" in result.output and "https://mastodon.social" in result.output
    assert "Traceback" not in result.output


def test_a_server_answering_with_web_pages_is_an_error_naming_the_url(tmp_path):
    def web_pages(req):
        return Response(200, "<!DOCTYPE html><html><body>Posts tagged #democon</body></html>",
                        {"Content-Type": "text/html; charset=utf-8"})

    with Loopback(web_pages) as site:
        result = collect(tmp_path, site.url)
    assert result.exit_code == 1, result.output
    assert (f"{site.url}: not a Mastodon API server: it sent a web page (HTML), not the API's JSON, for "
            f"{site.url}/api/v1/timelines/tag/democon") in result.output


def test_an_unknown_tag_on_a_real_server_is_just_empty_and_costs_one_check(tmp_path):
    with FakeMastodon(unknown_tag="404") as server:
        first = collect(tmp_path, server.url)
        second = collect(tmp_path, server.url)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    asked = [r.path for r in server.loopback.requests if r.path == "/api/v1/instance"]
    assert len(asked) == 2  # once per process, after the first 404; a good answer settles it


def test_one_wrong_address_does_not_lose_the_good_servers_posts(tmp_path, static_site):
    with FakeMastodon() as server:
        ada = Person("ada", server)
        server.publish(ada, "Lesson: shard by tenant", tags=["democon"], created_at=now() - timedelta(minutes=5))
        result = collect(tmp_path, static_site, server.url)
    assert result.exit_code == 1
    assert "mastodon: 1 new" in result.output and "not a Mastodon API server" in result.output


# --- run: the programme changes while it runs; quiet rounds still say something ---------------

RSS = """<?xml version='1.0'?><rss version='2.0'><channel><title>Notes</title>
<item><title>Retrieval ranking with embeddings</title><guid isPermaLink='false'>n1</guid>
<link>https://blog.example/n1</link><pubDate>Wed, 02 Sep 2026 09:10:00 +0000</pubDate>
<description>Notes from retrieval ranking with embeddings: recall first, then precision</description></item>
</channel></rss>"""


@pytest.fixture
def running_event(tmp_path, monkeypatch):
    """An event with a programme file and one feed, opened for `run` as the CLI opens it."""
    import shutil
    import signal
    from pathlib import Path

    from backchannel.collectors.registry import make_collectors
    from backchannel.pipeline import open_writer
    from backchannel.config import load
    from backchannel.talks import live

    monkeypatch.setattr(live, "FILE_EVERY", 0.2)  # our own polling period, shortened for the test
    shutil.copy(Path(__file__).parent / "fixtures" / "schedules" / "broken" / "missing_start.json",
                tmp_path / "schedule.json")
    handlers = signal.getsignal(signal.SIGINT), signal.getsignal(signal.SIGTERM)
    with Loopback(lambda req: Response(200, RSS, {"Content-Type": "application/rss+xml"})) as feed:
        config = tmp_path / "backchannel.toml"
        config.write_text('[event]\nname = "DemoCon"\nhashtags = ["democon"]\ntimezone = "Europe/Berlin"\n'
                          f'schedule = "schedule.json"\n[sources.rss]\nfeeds = [{{ url = "{feed.url}/feed.xml", '
                          'all = true }]\ninterval = 1\n')
        cfg = load(config, None, required=True)
        try:
            with open_writer(cfg) as writer:
                yield cfg, writer, make_collectors(cfg, {})
        finally:
            signal.signal(signal.SIGINT, handlers[0])
            signal.signal(signal.SIGTERM, handlers[1])


def test_run_matches_stored_posts_again_when_the_programme_file_changes(running_event, tmp_path):
    from test_talks_programme import fix_retrieval_talk

    from backchannel.run import Runner

    cfg, writer, collectors = running_event
    lines: list[str] = []
    runner = Runner(writer, collectors, {"rss": 0.5}, refresh=60, log=lines.append)
    fixer = threading.Timer(1.5, fix_retrieval_talk, args=(tmp_path / "schedule.json",))
    fixer.start()
    runner.run(max_seconds=4)
    fixer.join()
    changed = [line for line in lines if line.startswith("programme changed")]
    assert changed == ["programme changed: schedule.json: 9 talks, 2 rooms, 2 days; stored posts matched "
                       "again, 1 moved"], lines
    post = next(writer.archive.posts())
    assert post.talk == "6f1c2a9e-0d4b-5b8e-9c1a-000000000008"
    assert [r["code"] for r in writer.archive.talk_rows()].count("RET008") == 1


def test_run_says_it_is_still_collecting_when_rounds_find_nothing(running_event):
    from backchannel.run import Runner

    cfg, writer, collectors = running_event
    lines: list[str] = []
    runner = Runner(writer, collectors, {"rss": 0.3}, refresh=60, log=lines.append)
    runner.heartbeat = 1.0
    runner.run(max_seconds=3.5)
    quiet = [line for line in lines if line.startswith("still collecting: nothing new")]
    assert quiet and "rss" in quiet[-1] and "polls" in quiet[-1] and "archive 1 posts" in quiet[-1], lines


def test_log_lines_carry_date_time_and_the_events_offset_and_utc_for_json():
    import io
    import re
    from zoneinfo import ZoneInfo

    from backchannel.run import RunStatus
    from backchannel.run_display import Display

    out = io.StringIO()
    display = Display(stream=out, live=False, tz=ZoneInfo("Asia/Tokyo"))
    display.log("rss: 1 new")
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00 rss: 1 new\n", out.getvalue())
    display.update(RunStatus())
    entry = display.snapshot()["log"][0]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", entry["at"]) and entry["line"] == "rss: 1 new"


def test_collect_counts_seen_kept_and_left_out_per_server(tmp_path):
    with FakeMastodon() as a, FakeMastodon() as b:
        recent = now() - timedelta(minutes=5)
        a.publish(Person("ada", a), "Lesson: shard by tenant", tags=["democon"], created_at=recent)
        a.publish(Person("bot", a, note="<p>I post things #nobot</p>"), "Daily digest", tags=["democon"],
                  created_at=recent)
        b.publish(Person("grace", b), "Threat models first", tags=["democon"], created_at=recent)
        config = tmp_path / "backchannel.toml"
        config.write_text(CONFIG.format(instances=f'"{a.url}", "{b.url}"'))
        result = CliRunner().invoke(cli, ["collect", "--once", "--config", str(config)])
        as_json = CliRunner().invoke(cli, ["collect", "--once", "--json", "--config", str(config)])
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("mastodon: 2 new, 0 updated, 0 deleted; left out: 1 opted out (#nobot); "
                               "seen 3, kept 2 (")
    assert f"  {a.domain}: seen 2, kept 1, left out: 1 opted out (#nobot)" in lines
    assert f"  {b.domain}: seen 1, kept 1" in lines
    report = json.loads(as_json.stdout.splitlines()[0])
    assert report["servers"][b.domain] == {"seen": 0, "kept": 0, "left_out": {}, "errors": 0}  # nothing new


def test_printed_hints_run_without_activating_the_venv(tmp_path):
    import os
    import shlex
    import subprocess
    import sys

    script = os.path.join(os.path.dirname(sys.executable), "backchannel")
    if not os.path.isfile(script):
        pytest.skip("not installed as a script next to this Python")
    env = {**os.environ, "PATH": "/usr/bin:/bin"}  # as in a new shell, the venv not activated
    done = subprocess.run([script, "init", "--config", str(tmp_path / "backchannel.toml")], env=env,
                          capture_output=True, text=True, cwd=tmp_path, timeout=60)
    hint = done.stdout.split("then run: ", 1)[1].strip()
    assert not hint.startswith("backchannel ")  # not on PATH here: the hint names the script
    again = subprocess.run(shlex.split(hint.replace("collect --once", "--version")), env=env,
                           capture_output=True, text=True, cwd=tmp_path, timeout=60)
    assert again.returncode == 0 and "backchannel" in again.stdout
