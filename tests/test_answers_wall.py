"""The wall's spotlight shows an answered question with its best answer, as text, in real
Chromium (a hostile answer included: nothing from it runs)."""

from __future__ import annotations

import pytest

from backchannel.validate import post_from_dict
from backchannel.digest.builder import build
from backchannel.serve import serve_in_thread
from fixtures.digest import event
from test_answers_digest import GRACE_Q, RECORDS, reply
from test_browser import ARGS, CHROMIUM, Watched, sync_api  # noqa: F401  (skips without Chromium)

pytestmark = pytest.mark.browser
HOSTILE_ANSWER = event.XSS + " re-embed only what changed"


@pytest.fixture(scope="module")
def wall(tmp_path_factory):
    root = tmp_path_factory.mktemp("answers-wall")
    cfg = event.config(root, schedule=event.SCHEDULE)
    cfg.wall.poll, cfg.wall.spotlight = 2, 4
    answer = reply(9, GRACE_Q, "<b>Eve</b>", "eve@example.social", HOSTILE_ANSWER, likes=99)
    with event.fill(cfg, RECORDS) as archive:
        archive.store([post_from_dict(answer)], answers={answer["id"]: (GRACE_Q["id"], GRACE_Q["id"])})
    build(cfg, now=event.NOW, search=False)
    server, base = serve_in_thread(cfg.digest.output)
    yield base
    server.shutdown()
    server.server_close()


def test_an_answered_question_takes_its_turn_in_the_spotlight_with_its_answer(wall):
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        w = Watched(browser, wall, viewport={"width": 1920, "height": 1080})
        page = w.goto("wall/")
        # the rotation: a top takeaway, an open question, then the answered question (4 s each)
        page.wait_for_selector("#spotlight .spot-label:text('Answered question')", timeout=20_000)
        spot = page.text_content("#spotlight .spot")
        assert GRACE_Q["text"][:40] in spot
        assert page.text_content("#spotlight .spot-answer-who") == "Answered by <b>Eve</b>"
        assert page.text_content("#spotlight .spot-answer-text") == HOSTILE_ANSWER  # characters, not markup
        assert page.eval_on_selector_all("#spotlight script, #spotlight b, #spotlight img", "e => e.length") == 0
        w.assert_clean()  # no dialog, no error, no request beyond 127.0.0.1, window.__pwned unset
        w.close()
        browser.close()
