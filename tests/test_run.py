"""`backchannel run` against a loopback feed that keeps growing: Ctrl-C and kill -9 lose nothing."""

import signal
import subprocess
import sys
import threading
import time
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from backchannel.archive import Archive
from backchannel.demo.loopback import Loopback, Response

pytestmark = pytest.mark.slow


class GrowingFeed:
    """An Atom-less RSS feed that gains `step` entries every time it is fetched."""

    def __init__(self, step: int = 3):
        self.step = step
        self.entries: list[tuple[str, datetime]] = []
        self.lock = threading.Lock()

    def __call__(self, req):
        with self.lock:
            now = datetime.now(timezone.utc)
            for _ in range(self.step):
                n = len(self.entries)
                self.entries.append((f"entry-{n}", now - timedelta(seconds=n % 7)))
            items = "".join(
                f"<item><title>Note {guid}</title><guid isPermaLink='false'>{guid}</guid>"
                f"<link>https://blog.example/{guid}</link><pubDate>{format_datetime(when)}</pubDate>"
                f"<description>What we learned in part {guid}</description></item>"
                for guid, when in self.entries)
        body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>Live</title>{items}</channel></rss>"
        return Response(200, body, {"Content-Type": "application/rss+xml"})


def write_config(folder, sources: str):
    """An event that runs today, with the given `[sources.*]` sections."""
    today = datetime.now(timezone.utc).date()
    config = folder / "backchannel.toml"
    config.write_text(f"""
[event]
name = "Live Event"
hashtags = ["live"]
start = {today - timedelta(days=1)}
end = {today + timedelta(days=1)}
{sources}""")
    return config


@pytest.fixture
def event(tmp_path):
    feed = GrowingFeed()
    with Loopback(feed) as server:
        config = write_config(tmp_path, f"""
[sources.rss]
feeds = [{{ url = "{server.url}/feed.xml", all = true }}]
interval = 1
""")
        yield config, feed, server


def start_run(config, *extra):
    return subprocess.Popen([sys.executable, "-m", "backchannel", "run", "--config", str(config),
                             "--no-digest", *extra],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def stored_ids(config):
    with Archive(config.parent / ".backchannel" / "archive.db") as archive:
        return [p.uri for p in archive.posts()]


def wait_for_posts(config, at_least, timeout=20):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if (config.parent / ".backchannel" / "archive.db").exists() and len(stored_ids(config)) >= at_least:
            return
        time.sleep(0.2)
    raise AssertionError(f"fewer than {at_least} posts after {timeout}s")


def finish_with_a_clean_run(config, feed):
    proc = start_run(config, "--stop-after", "3")
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    ids = stored_ids(config)
    assert len(ids) == len(set(ids)), "a post was stored twice"
    served = {guid for guid, _ in feed.entries}
    # Everything the feed ever listed is stored, but for the entries of its very last answer.
    assert served - set(ids) <= {f"entry-{n}" for n in range(len(served) - feed.step, len(served))}
    return ids


def test_ctrl_c_stores_what_is_in_flight_and_exits_cleanly(event):
    config, feed, _ = event
    proc = start_run(config)
    wait_for_posts(config, 6)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=20)
    assert proc.returncode == 0, err
    assert "stopped; everything fetched so far is stored" in err
    assert "Traceback" not in err
    finish_with_a_clean_run(config, feed)


def test_kill_9_loses_nothing_and_a_restart_resumes(event):
    config, feed, _ = event
    for _ in range(2):
        proc = start_run(config)
        wait_for_posts(config, len(stored_ids(config)) + 6 if (config.parent / ".backchannel").exists() else 6)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    ids = finish_with_a_clean_run(config, feed)
    # The index agrees with the archive after the crashes.
    found = subprocess.run([sys.executable, "-m", "backchannel", "search", "learned", "--limit", "100000",
                            "--json", "--config", str(config)], capture_output=True, text=True)
    assert len(found.stdout.splitlines()) == len(ids)


def test_a_second_run_on_the_same_data_dir_refuses(event):
    config, _, _ = event
    first = start_run(config)
    try:
        wait_for_posts(config, 1)
        second = subprocess.run([sys.executable, "-m", "backchannel", "run", "--config", str(config),
                                 "--no-digest", "--stop-after", "1"], capture_output=True, text=True, timeout=20)
        assert second.returncode == 2
        assert "already in use by backchannel" in second.stderr
    finally:
        first.send_signal(signal.SIGINT)
        first.communicate(timeout=20)


def test_status_lines_say_what_happened(event):
    config, _, _ = event
    log = config.parent / "run.log"
    proc = start_run(config, "--stop-after", "2.5", "--log-file", str(log))
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0
    lines = log.read_text().splitlines()
    assert any("collecting rss" in line for line in lines)
    assert any("rss: 3 new" in line for line in lines)
    assert err.count("rss: ") >= 2  # plain log lines on a non-terminal


def test_mastodon_servers_that_keep_posting_lose_nothing_and_double_nothing(tmp_path):
    from mastodon_server import FakeMastodon, Person

    stop = threading.Event()
    with FakeMastodon() as a, FakeMastodon() as b:
        people = [Person("ada", a), Person("grace", b)]
        published: set[str] = set()

        def keep_posting():
            n = 0
            while not stop.is_set():
                author = people[n % 2]
                status = author.home.publish(author, f"Lesson {n} of the day #live", tags=["live"])
                other = b if author.home is a else a
                if n % 3 == 0:  # federated: the same post on both servers, each with its own id
                    other.receive(status, origin=author.home)
                published.add(status["uri"])
                n += 1
                time.sleep(0.05)

        poster = threading.Thread(target=keep_posting, daemon=True)
        poster.start()
        config = write_config(tmp_path, f"""
[sources.mastodon]
instances = ["{a.url}", "{b.url}"]
interval = 1
""")
        try:
            for _ in range(2):
                proc = start_run(config)
                before = len(stored_ids(config)) if (tmp_path / ".backchannel" / "archive.db").exists() else 0
                wait_for_posts(config, before + 5)
                proc.send_signal(signal.SIGKILL)
                proc.wait(timeout=10)
        finally:
            stop.set()
            poster.join()
        proc = start_run(config, "--stop-after", "4")
        out, err = proc.communicate(timeout=60)
        assert proc.returncode == 0, err
        ids = stored_ids(config)
        assert len(ids) == len(set(ids)), "a post was stored twice"
        assert set(ids) == published


def test_serve_beside_run_always_serves_complete_pages(event):
    """`run` refreshes the digest while `serve` answers: every answer is a whole page."""
    import http.client

    from backchannel.serve import serve_in_thread

    config, _, _ = event
    proc = subprocess.Popen([sys.executable, "-m", "backchannel", "run", "--config", str(config),
                             "--stop-after", "12"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    output = config.parent / "output"
    deadline = time.monotonic() + 30
    while not list(output.glob("days/*/index.html")) and time.monotonic() < deadline:
        time.sleep(0.2)
    server, base = serve_in_thread(output)
    pages = ["/", "/feed.xml", "/" + next(output.glob("days/*/index.html")).relative_to(output).as_posix()]
    answers = []
    try:
        while proc.poll() is None:
            conn = http.client.HTTPConnection("127.0.0.1", server.server_address[1], timeout=5)
            for path in pages:
                conn.request("GET", path)
                resp = conn.getresponse()
                answers.append((path, resp.status, resp.read()))
            conn.close()
    finally:
        server.shutdown()
    out, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert "digest: Built" in err  # refreshed at least once while serving
    assert len(answers) > 30
    for path, status, body in answers:
        assert status == 200, path
        assert body.rstrip().endswith(b"</html>" if path != "/feed.xml" else b"</feed>"), path
    front = (output / "index.html").read_text()  # the last refresh counts every stored post
    assert "Live Event" in front and f"<strong>{len(stored_ids(config))} posts</strong>" in front


def test_run_hands_each_collector_what_the_archive_holds_from_its_source(writer):
    """A stream (Bluesky's Jetstream) learns which posts are stored through `Collector.stored`,
    which `run` sets to a read connection of its own before `collect()` (collectors/base.py)."""
    from backchannel.collectors.base import Collector
    from backchannel.run import Runner
    from factories import START, make_post

    ours = [make_post(n, f"Post {n}", source="rss", uri=f"https://blog.example/{n}") for n in (1, 2, 3)]
    writer.store(ours + [make_post(9, "Someone else's", source="mastodon")])
    seen: dict[str, list[str]] = {}

    class Reads(Collector):
        name = "rss"

        def collect(self, cursors):
            seen["all"] = [p.id for p in self.stored()]
            seen["since"] = [p.id for p in self.stored(since=START + timedelta(minutes=2), raw=False)]
            runner.stop.set()
            return iter(())

        def recheck(self, posts):
            return iter(())

    assert list(Reads().stored()) == []  # until the caller sets it, nothing is stored
    runner = Runner(writer, [Reads()], {"rss": 60}, refresh=60)
    thread = threading.Thread(target=runner.run, kwargs={"max_seconds": 20})  # not the main thread: no signals
    thread.start()
    thread.join(30)
    assert not thread.is_alive()
    assert seen == {"all": [p.id for p in ours], "since": [ours[1].id, ours[2].id]}
