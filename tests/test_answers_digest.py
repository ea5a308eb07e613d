"""Answers in the digest: talk pages and the Questions page show each answered question with
its best answer (a speaker's first, else the most liked), then the open questions; replies
without the event's hashtag appear only under their question. Pages are read with a parser,
the way a reader sees them (tests/fixtures/digest)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from backchannel import wall
from backchannel.validate import post_from_dict
from backchannel.digest.builder import build
from fixtures.digest import event
from fixtures.digest.event import read

# (The fixture still says "session"/"session_reason" for a post's talk, from before the rename.)
RECORDS = [{**{k: v for k, v in r.items() if not k.startswith("session")},
            "talk": r.get("talk", r.get("session")), "talk_reason": r.get("talk_reason", r.get("session_reason"))}
           for r in event.records()]
ALAN_Q = next(r for r in RECORDS if r["text"].startswith("Question for Dana"))
GRACE_Q = next(r for r in RECORDS if r["text"].startswith("Question for Priya"))
LINUS_Q = next(r for r in RECORDS if r["text"].startswith("Does anyone know if the nurses"))


def reply(n: int, question: dict, name: str, handle: str, text: str, likes: int = 0, tags=(), html=None) -> dict:
    return {"id": f"mastodon-answer{n}", "source": "mastodon", "url": f"https://example.social/@x/2{n:05d}",
            "author": {"handle": handle, "name": name, "url": f"https://example.social/@{handle.split('@')[0]}"},
            "created_at": question["created_at"].replace(":00Z", ":30Z"), "text": text,
            "html": html or f"<p>{text}</p>", "lang": "en", "tags": list(tags), "links": [], "media": [],
            "reply_to": question["url"], "is_repost": False,
            "metrics": {"likes": likes, "reposts": 0, "replies": 0, "quotes": 0}, "kind": "other", "score": 0.5}


REPLIES = [
    (reply(1, ALAN_Q, "Dana Whitfield", "dana@example.social", "Show them the pager rota first", likes=2), ALAN_Q),
    (reply(2, ALAN_Q, "Bob", "bob@example.social", "Start with one VM and a backup script", likes=40), ALAN_Q),
    (reply(3, ALAN_Q, "Alan T.", "alan@example.social", "Thanks, both!", likes=50), ALAN_Q),  # the asker
    (reply(4, GRACE_Q, "Eve", "eve@example.social", "Re-embed nightly, only what changed", likes=5), GRACE_Q),
    (reply(5, GRACE_Q, "Mallory", "mallory@example.social", "Use the change feed #pyconex", likes=9,
           tags=["pyconex"]), GRACE_Q),
    (reply(6, GRACE_Q, "Trudy", "trudy@example.social", "hostile answer about zebras", likes=1,
           html="<p>hostile answer about zebras</p><script>window.__pwned=1</script><img src=x onerror=alert(1)>"),
     GRACE_Q),
]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("answers")
    # The fixture's programme, with the short codes organisers call the talks by (pretalx's `code`).
    programme = json.loads(event.SCHEDULE.read_text())
    for day in programme["schedule"]["conference"]["days"]:
        for talks in day["rooms"].values():
            for talk in talks:
                talk["code"] = "PX" + talk["guid"].rsplit("-", 1)[1]
    (root / "schedule.json").write_text(json.dumps(programme))
    cfg = event.config(root, schedule=root / "schedule.json")
    with event.fill(cfg, RECORDS) as archive:
        links = {r["id"]: (q["id"], q["id"]) for r, q in REPLIES}
        archive.store([post_from_dict(r) for r, _ in REPLIES], answers=links)
    build(cfg, now=event.NOW, search=False)
    return cfg.digest.output


def qa_rows(page) -> list[tuple[str, str, str]]:
    """(question text, label of its best answer, the best answer's text) per answered question."""
    rows = []
    for li in page.by_class("qa-item"):
        question = next(e for e in page.by_class("content") if li in e.ancestors).text.strip()
        first = next(e for e in page.by_class("answer") if li in e.ancestors)
        label = next(e for e in page.find("strong") if first in e.ancestors).text
        body = next(e for e in page.by_class("content") if first in e.ancestors).text.strip()
        rows.append((question, label, body))
    return rows


def open_questions(page) -> list[str]:
    section = page.one("ol", **{"aria-labelledby": "qa-h-open"})
    return [e.text.strip() for e in page.by_class("content") if section in e.ancestors]


def test_a_talk_page_shows_its_key_points_then_its_answered_and_open_questions(site):
    page = read(site, "talks/pyconex-101/index.html")
    headings = [h.text for h in page.find("h2")]
    assert headings.index("Key points") < headings.index("Questions and answers") < headings.index("All posts, in order")
    # the speaker's answer comes first although another one has more likes; the asker's own
    # thank-you is no answer
    assert qa_rows(page) == [(ALAN_Q["text"], "The speaker answered", "Show them the pager rota first")]
    more = page.one("details", **{"class": "more-answers"})
    assert "1 more answer" in more.text and "one VM" in page.visible_text
    assert "Thanks, both!" not in page.visible_text


def test_without_a_speaker_the_most_liked_answer_is_best_and_open_questions_are_listed(site):
    page = read(site, "talks/pyconex-102/index.html")
    assert qa_rows(page) == [(GRACE_Q["text"], "Best answer", "Use the change feed #pyconex")]
    nurses = read(site, "talks/pyconex-103/index.html")
    assert qa_rows(nurses) == [] and open_questions(nurses) == [LINUS_Q["text"]]


def test_the_questions_page_and_the_front_page(site):
    page = read(site, "kinds/question/index.html")
    answered = [q for q, _, _ in qa_rows(page)]
    assert answered == [ALAN_Q["text"], GRACE_Q["text"]]  # a speaker's answer first
    assert LINUS_Q["text"] in open_questions(page)
    assert not set(answered) & set(open_questions(page))
    front = read(site, "index.html").one("section", **{"aria-labelledby": "q-h"})
    assert ALAN_Q["text"] not in front.text and GRACE_Q["text"] not in front.text


def test_replies_without_the_hashtag_appear_only_under_their_question(site):
    posts = {p.stem for p in (site / "posts").rglob("*.html")}
    assert "mastodon-answer1" not in posts and "mastodon-answer4" not in posts
    assert "mastodon-answer5" in posts  # it carries the event's hashtag: a post of its own too
    everything = read(site, "days/2026-09-01/index.html").visible_text
    assert "Re-embed nightly" not in everything and "Use the change feed" in everything


def test_answers_are_escaped_like_every_post(site):
    html = (site / "talks" / "pyconex-102" / "index.html").read_text()
    assert "hostile answer about zebras" in html
    assert "__pwned" not in html and "onerror" not in html


def test_the_wall_spotlight_shows_answered_questions(site):
    data = json.loads((site / "wall" / "posts.json").read_text())
    answered = [s for s in data["spotlight"] if s["label"] == "Answered question"]
    assert {s["text"] for s in answered} == {ALAN_Q["text"], GRACE_Q["text"]}
    alan = next(s for s in answered if s["text"] == ALAN_Q["text"])
    assert alan["answer"] == {"id": "mastodon-answer1", "name": "Dana Whitfield", "text": "Show them the pager rota first", "speaker": True}
    assert all(s["label"] != "Open question" or s["text"] not in (ALAN_Q["text"], GRACE_Q["text"])
               for s in data["spotlight"])
    assert wall.SPOTLIGHT >= 2


def test_the_recap_gives_each_talk_its_answered_questions_with_the_best_answer(site):
    recap = (site / "recap.md").read_text()
    talks = recap.split("\n## ")
    keynote = next(t for t in talks if t.startswith("Keynote: The joy of boring technology"))
    answers = keynote.split("### Answered questions\n", 1)[1]
    question, best = answers.strip().splitlines()[:2]
    assert question.startswith("- “Question for Dana: how do you convince a team")
    assert best.startswith("  - **The speaker answered:** “Show them the pager rota first” — [Dana Whitfield]")
    assert best.endswith("(1 more answer in the digest)")  # Bob's; the asker's thank-you is no answer
    assert "Thanks, both" not in recap
    assert keynote.index("### Key points") < keynote.index("### Answered questions")
    vectors = next(t for t in talks if t.startswith("Vector search without a vector database"))
    assert "**Best answer:** “Use the change feed \\#pyconex”" in vectors
    assert "hostile answer about zebras" not in recap  # only the best answer is quoted
    nurses = next(t for t in talks if t.startswith("Teaching Python to nurses"))
    assert "Answered questions" not in nurses  # its question is still open


def test_posts_jsonl_holds_the_answers_with_their_question_and_every_post_its_talk_code(site):
    data = {d["id"]: d for d in map(json.loads, (site / "posts.jsonl").read_text().splitlines())}
    # the answers the digest shows are published posts, linked to their question
    assert {pid: d["answer_to"] for pid, d in data.items() if d["answer_to"]} == {
        "mastodon-answer1": ALAN_Q["id"], "mastodon-answer2": ALAN_Q["id"],
        "mastodon-answer4": GRACE_Q["id"], "mastodon-answer5": GRACE_Q["id"], "mastodon-answer6": GRACE_Q["id"]}
    assert "mastodon-answer3" not in data  # the asker's own reply is shown nowhere
    assert data["mastodon-answer1"]["text"] == "Show them the pager rota first"
    assert data[ALAN_Q["id"]]["talk"] == "pyconex-101" and data[ALAN_Q["id"]]["talk_code"] == "PX101"
    loose = [d for d in data.values() if d["talk"] is None]
    assert loose and all(d["talk_code"] is None for d in loose)
    assert len(data) == len(RECORDS) + 5
    stamps = [d["created_at"] for d in map(json.loads, (site / "posts.jsonl").read_text().splitlines())]
    assert stamps == sorted(stamps)  # oldest first


def test_an_answer_a_moderator_hid_is_not_shown_and_the_next_one_is_best(tmp_path):
    from backchannel import moderation

    cfg = event.config(tmp_path, schedule=event.SCHEDULE)
    with event.fill(cfg, RECORDS) as archive:
        archive.store([post_from_dict(r) for r, _ in REPLIES], answers={r["id"]: (q["id"], q["id"]) for r, q in REPLIES})
        moderation.record(archive, "mastodon-answer1", "hide", "off topic")
    build(cfg, now=event.NOW, search=False)
    page = read(cfg.digest.output, "talks/pyconex-101/index.html")
    assert qa_rows(page) == [(ALAN_Q["text"], "Best answer", "Start with one VM and a backup script")]
    assert "pager rota" not in page.visible_text


def test_an_archive_made_before_answers_reads_as_having_none(tmp_path):
    import sqlite3

    from backchannel.archive import Archive

    with Archive.in_dir(tmp_path) as archive:
        archive.store([post_from_dict(ALAN_Q)])
    with sqlite3.connect(tmp_path / "archive.db") as db:
        db.execute("DROP TABLE answers")
    with Archive.in_dir(tmp_path, readonly=True) as archive:
        assert archive.answer_links() == {} and archive.count() == 1
    with Archive.in_dir(tmp_path) as archive:  # opened for writing, it gains the table
        assert archive.answer_links() == {}
        archive.store([post_from_dict(REPLIES[0][0])], answers={"mastodon-answer1": (ALAN_Q["id"], None)})
        assert archive.answer_links() == {"mastodon-answer1": (ALAN_Q["id"], None)}


def test_with_the_speakers_handles_in_the_programme_a_borrowed_name_is_no_speaker():
    from types import SimpleNamespace

    from backchannel.digest.answers import is_speaker

    def item(handle, name):
        return SimpleNamespace(post=SimpleNamespace(author=SimpleNamespace(handle=handle, name=name)))

    named_only = SimpleNamespace(speakers=["Dana Whitfield"], speaker_handles=[])
    with_handles = SimpleNamespace(speakers=["Dana Whitfield"], speaker_handles=["@Dana@example.social"])
    assert is_speaker(item("anyone@else.example", "Dana Whitfield"), named_only)
    assert not is_speaker(item("anyone@else.example", "Dana Whitfield"), with_handles)
    assert is_speaker(item("dana@example.social", "D."), with_handles)
    assert not is_speaker(item("dana@example.social", "Dana Whitfield"), None)
