"""The venue wall in real Chromium (Debian's, through Playwright), served from 127.0.0.1.

First a built wall (the fixture event plus hostile posts): what it shows, that nothing from a
post runs, that nothing is requested from anywhere else, and how it looks in portrait, dark
and reduced-motion settings. Then the real thing: `backchannel run` collecting from a
loopback Mastodon server, the wall open beside it, new posts arriving on it, and a
`backchannel hide` from a terminal taking a post off the open wall within 15 seconds.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone

import pytest

from backchannel import moderation
from backchannel.digest import build
from backchannel.serve import serve_in_thread
from backchannel.wall import refresh_moderation
from fixtures.digest import event
from test_browser import ARGS, CHROMIUM, Watched, sync_api  # noqa: F401  (skips without Chromium)

pytestmark = pytest.mark.browser
RECORDS = event.records()
HOSTILE = event.hostile_records()
QUESTION = "mastodon-06d07e8a6a8075bb82fd"  # "Will the talk recordings be public …", the newest post
NEWEST_WORDS = "Will the talk recordings be public"


@pytest.fixture(scope="module")
def browser():
    with sync_api.sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    """The fixture event and hostile posts, built (no search) and served; the wall polls every 2 s."""
    root = tmp_path_factory.mktemp("wall")
    cfg = event.config(root, schedule=event.hostile_schedule(root))
    cfg.wall.poll = 2
    cfg.wall.posts = 40  # every post, the hostile ones included
    cfg.wall.show_content_warnings = cfg.wall.show_sensitive = True  # let the hostile posts on
    archive = event.fill(cfg, RECORDS + HOSTILE)
    build(cfg, now=event.NOW, search=False)
    server, base = serve_in_thread(cfg.digest.output)
    yield base, cfg, archive
    server.shutdown()
    server.server_close()
    archive.close()


def texts(page, selector: str) -> list[str]:
    return page.eval_on_selector_all(selector, "els => els.map(e => e.textContent)")


def test_the_wall_shows_the_newest_posts_the_spotlight_and_how_to_join(browser, wall):
    base, cfg, _ = wall
    w = Watched(browser, base, viewport={"width": 1920, "height": 1080})
    page = w.goto("wall/")
    page.wait_for_selector("#posts .post")
    posts = texts(page, "#posts .post-text")
    assert NEWEST_WORDS in posts[0]  # newest first
    assert len(posts) == min(cfg.wall.posts, len(RECORDS) + len(HOSTILE))
    assert "#pyconex" in page.text_content(".join")
    page.wait_for_selector("#spotlight .spot")
    assert page.text_content("#spotlight .spot-label") in ("Top takeaway", "Open question")
    assert "Updated" in page.text_content("#wall-status")
    w.assert_clean()
    w.close()


def test_hostile_posts_are_shown_as_text_and_run_nothing(browser, wall):
    base, _, _ = wall
    w = Watched(browser, base)
    page = w.goto("wall/")
    page.wait_for_selector("#posts .post")
    shown = " ".join(texts(page, "#posts .post"))
    assert "</script><script>alert('text')</script>" in shown  # as characters on the screen
    assert event.XSS in shown  # the hostile display name, as text
    assert page.eval_on_selector_all("#posts script, #posts img, #posts iframe, #posts svg", "e => e.length") == 0
    links = page.eval_on_selector_all("#posts a", "els => els.map(a => a.getAttribute('href'))")
    assert links and all(href.startswith("../posts/") for href in links)
    time.sleep(0.5)
    w.assert_clean()  # no dialog, no error, no request beyond 127.0.0.1, window.__pwned unset
    w.close()


def test_a_hide_leaves_the_open_wall_and_its_spotlight_on_the_next_poll(browser, wall):
    base, cfg, archive = wall
    w = Watched(browser, base)
    page = w.goto("wall/")
    page.wait_for_selector(f"#post-{QUESTION}")
    moderation.record(archive, QUESTION, "hide", "test")
    assert refresh_moderation(cfg, archive)  # what `backchannel hide` does
    started = time.monotonic()
    page.wait_for_selector(f"#post-{QUESTION}", state="detached", timeout=10_000)
    assert time.monotonic() - started <= cfg.wall.poll + 2
    assert NEWEST_WORDS not in page.text_content("main")
    moderation.record(archive, QUESTION, "unhide")
    refresh_moderation(cfg, archive)
    page.wait_for_selector(f"#post-{QUESTION}", timeout=10_000)  # posts.json still had it
    w.assert_clean()
    w.close()


def test_a_pinned_post_takes_the_spotlight_at_once(browser, wall):
    base, cfg, archive = wall
    w = Watched(browser, base)
    page = w.goto("wall/")
    page.wait_for_selector("#spotlight .spot")
    pinned = "mastodon-63e875178dde74e263ef"  # the captioners' shout-out: in no spotlight of its own
    moderation.record(archive, pinned, "pin", "thank the captioners")
    refresh_moderation(cfg, archive)
    page.wait_for_selector("#spotlight .spot-label:text('Pinned')", timeout=10_000)
    assert "captioners" in page.text_content("#spotlight .spot")
    moderation.record(archive, pinned, "unpin")
    refresh_moderation(cfg, archive)
    page.wait_for_selector("#spotlight .spot-label:text('Pinned')", state="detached", timeout=20_000)
    w.assert_clean()
    w.close()


def test_readable_in_portrait_in_the_dark_and_without_motion(browser, wall):
    base, _, _ = wall
    w = Watched(browser, base, viewport={"width": 1080, "height": 1920}, color_scheme="dark",
                reduced_motion="reduce")
    page = w.goto("wall/")
    page.wait_for_selector("#spotlight .spot")
    spot = page.eval_on_selector(".spotlight", "e => e.getBoundingClientRect().toJSON()")
    latest = page.eval_on_selector(".latest", "e => e.getBoundingClientRect().toJSON()")
    assert spot["bottom"] <= latest["top"]  # stacked, not side by side
    style = page.evaluate("""() => { const s = getComputedStyle(document.body);
        return [s.backgroundColor, s.color, parseFloat(s.fontSize)]; }""")
    assert style[0] == "rgb(15, 18, 22)" and style[1] == "rgb(243, 244, 246)"
    assert style[2] >= 20  # px: read from across a room on a 1080-pixel-wide screen
    assert page.eval_on_selector("#spotlight .spot", "e => getComputedStyle(e).animationName") == "none"
    w.assert_clean()
    w.close()

    light = Watched(browser, base, viewport={"width": 1920, "height": 1080}, color_scheme="light")
    page = light.goto("wall/")
    page.wait_for_selector("#spotlight .spot")
    spot = page.eval_on_selector(".spotlight", "e => e.getBoundingClientRect().toJSON()")
    latest = page.eval_on_selector(".latest", "e => e.getBoundingClientRect().toJSON()")
    assert spot["right"] <= latest["left"]  # side by side in landscape
    assert page.evaluate("getComputedStyle(document.body).backgroundColor") == "rgb(251, 250, 246)"
    assert page.eval_on_selector("#spotlight .spot", "e => getComputedStyle(e).animationName") == "wall-fade"
    light.assert_clean()
    light.close()


# -- during `run` ------------------------------------------------------------------------------


@pytest.mark.slow
def test_during_run_new_posts_arrive_and_a_hide_is_gone_within_15_seconds(browser, tmp_path):
    from mastodon_server import FakeMastodon, Person

    today = datetime.now(timezone.utc).date()
    with FakeMastodon() as server:
        ada = Person("ada", server, display_name="Ada")
        server.publish(ada, "Good morning from the venue #live", tags=["live"])
        config = tmp_path / "backchannel.toml"
        config.write_text(f"""
[event]
name = "Live Event"
hashtags = ["live"]
start = {today - timedelta(days=1)}
end = {today + timedelta(days=1)}

[sources.mastodon]
instances = ["{server.url}"]
interval = 1

[digest]
refresh = 2
""")
        run = subprocess.Popen([sys.executable, "-m", "backchannel", "run", "--config", str(config)],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        output = tmp_path / "output"
        w = None
        try:
            deadline = time.monotonic() + 60
            while not (output / "wall" / "posts.json").exists() or "Good morning" not in \
                    (output / "wall" / "posts.json").read_text():
                assert time.monotonic() < deadline and run.poll() is None, "no first digest"
                time.sleep(0.3)
            httpd, base = serve_in_thread(output)
            w = Watched(browser, base)
            page = w.goto("wall/")
            on_wall = lambda words: page.locator("#posts .post-text", has_text=words)  # noqa: E731
            on_wall("Good morning").wait_for()

            # A new post at the source reaches the open wall: poll, store, refresh, wall poll.
            arrived = time.monotonic()
            status = server.publish(ada, "The keynote says: <b>ship small</b> <script>window.__pwned=1</script> #live",
                                    tags=["live"])
            on_wall("ship small").wait_for(timeout=45_000)
            arrival = time.monotonic() - arrived

            # A moderator hides it from another terminal, by its URL at the source.
            hidden_at = time.monotonic()
            hide = subprocess.run([sys.executable, "-m", "backchannel", "hide", status["url"], "--reason", "test",
                                   "--config", str(config)], capture_output=True, text=True, timeout=30)
            assert hide.returncode == 0, hide.stderr
            on_wall("ship small").wait_for(state="detached", timeout=15_000)
            gone = time.monotonic() - hidden_at
            assert gone <= 15
            print(f"\nnew post on the wall after {arrival:.1f} s; hidden post gone after {gone:.1f} s")

            # `run` noticed the hide and refreshed the digest: the post left posts.json too.
            deadline = time.monotonic() + 30
            while "ship small" in (output / "wall" / "posts.json").read_text():
                assert time.monotonic() < deadline, "the digest was not refreshed after the hide"
                time.sleep(0.3)
            w.assert_clean()
            httpd.shutdown()
            httpd.server_close()
        finally:
            if w:
                w.close()
            run.send_signal(signal.SIGINT)
            out, err = run.communicate(timeout=60)
        assert run.returncode == 0, err
        assert "moderation: 1 new action; refreshing the digest" in err
        assert json.loads((output / "wall" / "moderation.json").read_text())["hidden"]
