"""Attaching posts to talks: the hard cases, and a reason for every attachment.

The fixture event (tests/fixtures/schedules/democon.*), times in Europe/Berlin:

    day 1  Hall A  09:00–09:45  Opening keynote: why small teams ship faster   (alone)
           Hall A  10:00–10:45  Vector search at scale          @ada@example.social  #vecscale
           Hall B  10:00–10:45  Threat modelling for small businesses   @grace.bsky.social
           Hall A  10:45–11:30  Query planners explained        (right after, same room)
           Hall B  11:00–11:45  Phishing drills without shame   (a 15-minute gap before it)
    day 2  Hall A  10:00–10:45  Observability on a shoestring   @alan@example.social
           Hall B  10:00–10:45  Datenschutz für Lehrkräfte
           Hall A  11:00–11:45  Retrieval ranking with embeddings   @ada and @alan
           Hall B  11:00–11:45  検索エンジンの作り方
"""

from dataclasses import replace
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from backchannel.models import Author, Post
from backchannel.talks.programme import load_schedule
from backchannel.talks.matcher import Matcher, match

TZ = ZoneInfo("Europe/Berlin")
HERE = Path(__file__).parent / "fixtures" / "schedules"
TALKS = load_schedule(HERE / "democon.json", tz=TZ).talks
ID = {t.title: t.id for t in TALKS}
KEYNOTE, VECTOR, THREAT, QUERY, PHISHING, OBSERVABILITY, DATENSCHUTZ, RETRIEVAL, KENSAKU = (t.title for t in TALKS)


@pytest.fixture(scope="module")
def matcher():
    return Matcher(TALKS, TZ)


def post(day: int, hhmm: str, text: str, *, author: str = "kim@example.net", n: int = 0, **kw) -> Post:
    hour, minute = map(int, hhmm.split(":"))
    return Post(id=f"mastodon-{day}{hhmm}{n}", source=kw.pop("source", "mastodon"),
                created_at=datetime(2026, 9, day, hour, minute, tzinfo=TZ), text=text,
                author=Author(author, author.split("@")[0].title()), **kw)


def attached(matcher: Matcher, p: Post) -> tuple[str | None, str | None]:
    talk_id, reason = matcher.match(p)
    title = next((t.title for t in TALKS if t.id == talk_id), None)
    if talk_id:  # every attachment says why, naming the talk
        assert reason and f"'{title}'" in reason
    else:
        assert reason is None
    return title, reason


# --- parallel tracks ------------------------------------------------------------------------

def test_timing_alone_does_not_pick_between_two_parallel_talks(matcher):
    p = post(1, "10:20", "Packed room, great start #democon")
    assert attached(matcher, p) == (None, None)
    assert matcher.day(p) == date(2026, 9, 1)
    scores = {c.talk.title: c.score for c in matcher.candidates(p)}
    assert scores[VECTOR] == scores[THREAT]


def test_parallel_post_with_a_room_hint(matcher):
    title, reason = attached(matcher, post(1, "10:20", "Hall A is packed for this one"))
    assert title == VECTOR
    assert reason == "written during 'Vector search at scale' (Hall A, 10:00–10:45) and mentions 'hall a'"


def test_parallel_post_with_a_speaker_handle(matcher):
    title, reason = attached(matcher, post(1, "10:20", "Loving @grace.bsky.social's one-page approach"))
    assert title == THREAT
    assert reason == ("mentions @grace.bsky.social (speaker of 'Threat modelling for small businesses') "
                      "and written during it (Hall B, 10:00–10:45)")


def test_parallel_post_with_title_words(matcher):
    title, reason = attached(matcher, post(1, "10:20", "Threat modelling in twenty minutes flat, love it"))
    assert title == THREAT
    assert reason.startswith("uses words of the title 'Threat modelling for small businesses' (")
    assert "written during it (Hall B, 10:00–10:45)" in reason


def test_parallel_post_with_a_speaker_name_or_a_track_tag(matcher):
    assert attached(matcher, post(1, "10:30", "Grace Hopper: write the threat model on one page"))[0] == THREAT
    title, reason = attached(matcher, post(1, "10:30", "All the security folks in one room #Security",
                                           tags=["security"]))
    assert title == THREAT and reason.endswith("mentions its track 'Security'")


def test_a_post_pointing_at_both_parallel_talks_is_left_to_the_day(matcher):
    p = post(1, "10:20", "Torn between @ada@example.social and @grace.bsky.social right now")
    assert [c.score for c in matcher.candidates(p)[:2]] == [9.0, 9.0]
    assert attached(matcher, p) == (None, None)


# --- overruns -------------------------------------------------------------------------------

def test_overrun_with_the_room_free_attaches_to_the_talk_that_ran_there(matcher):
    # Hall B: Threat modelling ended 10:45, the next talk there starts 11:00.
    title, reason = attached(matcher, post(1, "10:55", "Still going in Hall B, nobody wants to leave"))
    assert title == THREAT
    assert reason == ("written 10 min after 'Threat modelling for small businesses' ended (Hall B, 10:00–10:45), "
                      "before the next talk there and mentions 'hall b'")


def test_overrun_when_the_next_talk_has_begun_there_needs_the_talk_named(matcher):
    # Hall A: Vector search ended 10:45 and Query planners began there at once.
    named = attached(matcher, post(1, "10:55", "Recall vs latency for vector search, explained so well"))
    assert named[0] == VECTOR
    assert "written 10 min after it ended (Hall A, 10:00–10:45)" in named[1]
    assert attached(matcher, post(1, "10:55", "In Hall A now, full again"))[0] == QUERY


def test_overrun_after_the_only_talk_attaches_without_a_hint(matcher):
    p = post(1, "09:52", "Best advice today: decide fast, release often", kind="takeaway")
    title, reason = attached(matcher, p)
    assert title == KEYNOTE
    assert reason == ("written 7 min after 'Opening keynote: why small teams ship faster' ended "
                      "(Hall A, 09:00–09:45), before the next talk there and no other talk was running then")


def test_overrun_in_a_single_room_goes_to_the_talk_now_running_there():
    first, second = TALKS[0], TALKS[1]  # keynote 09:00–09:45, then Vector search (Hall A) at 10:00
    second = replace(second, start=first.end)  # back to back
    single = Matcher([first, second], TZ)
    p = post(1, "09:55", "Measure first, then decide", kind="takeaway")
    assert attached(single, p)[0] == VECTOR
    gap = Matcher([first, TALKS[1]], TZ)  # 15 minutes between them: the keynote overran
    assert attached(gap, p)[0] == KEYNOTE


def test_overrun_without_a_hint_while_another_room_runs_is_left_to_the_day(matcher):
    assert attached(matcher, post(1, "10:55", "Running late, still talking")) == (None, None)


# --- written afterwards ---------------------------------------------------------------------

def test_an_evening_recap_naming_the_title_attaches(matcher):
    title, reason = attached(matcher, post(1, "20:30", "Evening recap: the talk on vector search at scale was "
                                                       "the highlight of my day"))
    assert title == VECTOR
    assert reason == "names the title 'Vector search at scale' and written later that day"


def test_a_blog_recap_days_later_still_matches_by_title_and_speaker(matcher):
    text = ("What I learned at DemoCon\n\nThe best session for me was Query Planners Explained by Margaret "
            "Hamilton. The planner estimates row counts and picks an index scan only when it is cheaper.")
    title, reason = attached(matcher, post(4, "09:00", text, source="rss", author="blog.example"))
    assert title == QUERY
    assert reason.startswith("names the title 'Query planners explained'") and "Margaret Hamilton" in reason


def test_the_talk_hashtag_and_the_talk_page_attach_at_any_time(matcher):
    assert attached(matcher, post(2, "22:00", "Still thinking about #vecscale", tags=["vecscale"]))[1] == \
        "uses #vecscale, the hashtag of 'Vector search at scale' and written 1 day after it"
    assert attached(matcher, post(9, "22:00", "Still thinking about #vecscale", tags=["vecscale"]))[1] == \
        "uses #vecscale, the hashtag of 'Vector search at scale'"
    title, reason = attached(matcher, post(3, "08:00", "Recording is up",
                                           links=["https://pretalx.example/democon-2026/talk/THR003/"]))
    assert title == THREAT and reason == "links to the page of 'Threat modelling for small businesses' and " \
                                         "written 2 days after it"


# --- speakers mentioned in other talks --------------------------------------------------------

def test_a_speaker_quoted_during_another_talk_does_not_steal_the_post(matcher):
    text = "Great point in Hall A: as @ada@example.social said yesterday, measure recall before you shard"
    title, reason = attached(matcher, post(2, "10:20", text))
    assert title == OBSERVABILITY
    assert reason == "written during 'Observability on a shoestring' (Hall A, 10:00–10:45) and mentions 'hall a'"
    cands = {c.talk.title: c for c in matcher.candidates(post(2, "10:20", text))}
    assert cands[VECTOR].score < cands[OBSERVABILITY].score


def test_a_reference_alone_during_parallel_talks_is_left_to_the_day(matcher):
    p = post(2, "10:20", "as @ada@example.social said yesterday, measure recall before you shard")
    assert attached(matcher, p) == (None, None)


def test_a_speaker_mentioned_with_their_talk_named_during_another_talk_wins(matcher):
    p = post(2, "10:20", "Ran into @ada@example.social at coffee, can't wait for her retrieval ranking session")
    title, reason = attached(matcher, p)
    assert title == RETRIEVAL and "mentions its speaker @ada@example.social" in reason


def test_a_speaker_with_two_talks_is_placed_by_time(matcher):
    assert attached(matcher, post(2, "11:20", "@ada@example.social on re-ranking: small models are enough"))[0] \
        == RETRIEVAL
    assert attached(matcher, post(1, "10:30", "@ada@example.social: shard only after recall drops"))[0] == VECTOR


def test_a_short_mention_and_a_profile_link_count_as_the_handle(matcher):
    short = post(1, "10:20", "@margaret is in the front row, her talk is next")
    assert "@margaret@fosstodon.example" in matcher.candidates(short)[0].reason()
    linked = post(1, "10:30", "Listening to Grace now",
                  html='<p>Listening to <a href="https://bsky.app/profile/grace.bsky.social">Grace</a> now</p>')
    assert attached(matcher, linked)[0] == THREAT


# --- no talk ----------------------------------------------------------------------------------

def test_posts_about_no_talk_belong_to_their_day(matcher):
    for p in [post(2, "13:00", "Lunch was excellent"), post(1, "08:00", "Doors open, coffee first"),
              post(2, "10:20", "Datenbanken sind toll"), post(3, "12:00", "Home again, tired")]:
        assert attached(matcher, p) == (None, None), p.text
    assert matcher.day(post(2, "23:59", "late")) == date(2026, 9, 2)


def test_chatter_during_the_only_talk_stays_with_the_day(matcher):
    assert attached(matcher, post(1, "09:20", "Coffee is good", kind="other")) == (None, None)
    title, reason = attached(matcher, post(1, "09:20", "Small teams ship faster because they decide faster",
                                           kind="takeaway"))
    assert title == KEYNOTE and reason.endswith("and no other talk was running then")
    assert Matcher(TALKS, TZ, timing_alone=False).match(post(1, "09:20", "Measure, then decide", kind="takeaway")) \
        == (None, None)


# --- languages --------------------------------------------------------------------------------

def test_titles_match_across_accents_and_scripts(matcher):
    german = post(2, "10:20", "Wichtig beim Datenschutz: Lehrkrafte sollten Schülerdaten nie privat speichern")
    assert attached(matcher, german)[0] == DATENSCHUTZ
    japanese = post(2, "12:30", "検索エンジンの作り方の講演、とても分かりやすかった")
    title, reason = attached(matcher, japanese)
    assert title == KENSAKU and reason.startswith("names the title '検索エンジンの作り方'")


@pytest.mark.parametrize("name", ["democon.json", "democon.xml", "democon.ics"])
def test_every_schedule_format_matches_the_same_way(name):
    talks = load_schedule(HERE / name, tz=TZ).talks
    p = post(1, "10:20", "Loving @grace.bsky.social's one-page approach")
    assert match(p, talks, TZ) == Matcher(TALKS, TZ).match(p)
    assert match(p, talks, "Europe/Berlin")[0] == ID[THREAT]
