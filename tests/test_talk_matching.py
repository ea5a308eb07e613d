"""The hard cases of attaching posts to talks, each read from pretalx JSON and from iCalendar.

The programme (TinyConf, Europe/Berlin) is written here twice, once per format, with the
same facts placed where each format puts them (JSON: persons, abstract, type; iCalendar:
DESCRIPTION lines, ATTENDEE, CATEGORIES):

    day 0  (the day before the event)
    day 1  Hall A  09:00–10:00  Opening keynote: fixing the commons     Noor Haddad (alone)
           Hall A  10:30–11:15  Postgres replication in practice        Ines Moreau  #pgrepl in the abstract
           Hall B  10:30–11:15  Design tokens for teams                 Tomasz Wolski
           Hall A  11:30–12:15  Lightning talks                         (five speakers in the description)
           Hall B  11:30–12:15  Who maintains the maintainers?          a panel of three
           Hall A  14:00–14:45  Rust for embedded firmware              Kai Lindgren (no handle anywhere)
           Hall B  14:00–14:45  Accessible data visualisation           Ana Souza
    day 2  Hall A  09:00–09:45  Closing keynote: the long now           Noor Haddad
"""

import json
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from backchannel.models import Author, Post
from backchannel.talks.distinct_words import TalkWords
from backchannel.talks.programme import Talk, parse_schedule
from backchannel.talks.matcher import Matcher
from backchannel.words import tokens

TZ = ZoneInfo("Europe/Berlin")
TALKS = [  # id, day, start, minutes, room, title, type, people [(name, handle)], abstract
    ("key1", 1, "09:00", 60, "Hall A", "Opening keynote: fixing the commons", "Keynote",
     [("Noor Haddad", "@noor@social.example")], "Why shared infrastructure decays and who pays to repair it."),
    ("pg", 1, "10:30", 45, "Hall A", "Postgres replication in practice", "Talk", [("Ines Moreau", "@ines@db.example")],
     "Logical decoding, failover with Patroni, and the WAL archive nobody tested. Follow along with #pgrepl."),
    ("tokens", 1, "10:30", 45, "Hall B", "Design tokens for teams", "Talk",
     [("Tomasz Wolski", "https://social.example/@twolski")],
     "An honest look at how design tokens drift between Figma files and component code."),
    ("lightning", 1, "11:30", 45, "Hall A", "Lightning talks", "Lightning talks", [],
     "Five minutes each: Ola Berg on shell history, Raj Patel on typos in YAML config files, Mia Chen on "
     "sonification of charts."),
    ("panel", 1, "11:30", 45, "Hall B", "Who maintains the maintainers?", "Panel",
     [("Sam Okafor", ""), ("Lea Fischer", ""), ("Jo Park", "")],
     "Funding, burnout and succession, with a foundation, a company and a volunteer."),
    ("rust", 1, "14:00", 45, "Hall A", "Rust for embedded firmware", "Talk", [("Kai Lindgren", "")],
     "Interrupt latency, no_std crates and probe-rs debugging on a microcontroller."),
    ("dataviz", 1, "14:00", 45, "Hall B", "Accessible data visualisation", "Talk", [("Ana Souza", "")],
     "Screen readers, colour blindness and tables as the fallback for every chart."),
    ("key2", 2, "09:00", 45, "Hall A", "Closing keynote: the long now", "Keynote",
     [("Noor Haddad", "@noor@social.example")], "Software that outlives its authors, and archives that outlive both."),
]


def programme_json() -> bytes:
    days: dict[int, dict] = {}
    for tid, day, start, minutes, room, title, kind, people, abstract in TALKS:
        d = days.setdefault(day, {"index": day, "date": f"2026-05-0{day + 3}", "rooms": {}})
        d["rooms"].setdefault(room, []).append({
            "guid": tid, "title": title, "type": kind, "room": room, "start": start,
            "date": f"2026-05-0{day + 3}T{start}:00+02:00", "duration": f"00:{minutes:02d}" if minutes < 60 else "01:00",
            "abstract": abstract, "url": f"https://cfp.example/tiny/talk/{tid}/",
            "persons": [{"public_name": name, "biography": f"Find me at {handle}." if handle else ""}
                        for name, handle in people]})
    conference = {"title": "TinyConf", "time_zone_name": "Europe/Berlin", "days": list(days.values())}
    return json.dumps({"schedule": {"conference": conference}}).encode()


def programme_ics() -> bytes:
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//TinyConf//agenda 1.0//EN", "X-WR-TIMEZONE:Europe/Berlin"]
    for tid, day, start, minutes, room, title, kind, people, abstract in TALKS:
        hh, mm = map(int, start.split(":"))
        end = hh * 60 + mm + minutes
        stamp = f"2026050{day + 3}T"
        lines += ["BEGIN:VEVENT", f"UID:{tid}@tiny.example", "DTSTAMP:20260401T000000Z",
                  f"DTSTART;TZID=Europe/Berlin:{stamp}{hh:02d}{mm:02d}00",
                  f"DTEND;TZID=Europe/Berlin:{stamp}{end // 60:02d}{end % 60:02d}00",
                  f"SUMMARY:{title}", f"LOCATION:{room}", f"CATEGORIES:{kind}",
                  f"URL:https://cfp.example/tiny/talk/{tid}/"]
        if tid == "panel":  # panellists as attendees, the way some agenda tools export them
            lines += [f'ATTENDEE;CN="{name}";ROLE=REQ-PARTICIPANT:mailto:{name.split()[0].lower()}@tiny.example'
                      for name, _ in people]
            lines.append(f"DESCRIPTION:{_ics_escape(abstract)}")
        else:
            who = ", ".join(f"{name} ({handle})" if handle else name for name, handle in people)
            text = abstract + (f"\n\nSpeaker(s): {who}" if who else "")
            lines.append(f"DESCRIPTION:{_ics_escape(text)}")
        lines.append("END:VEVENT")
    lines.append("END:VCALENDAR")
    return ("\r\n".join(lines) + "\r\n").encode()


def _ics_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(",", "\\,").replace(";", "\\;").replace("\n", "\\n")


FORMATS = {"json": programme_json, "ics": programme_ics}


@pytest.fixture(scope="module", params=list(FORMATS))
def matcher(request):
    talks = parse_schedule(FORMATS[request.param](), f"tiny.{request.param}", TZ).talks
    return Matcher(talks, TZ)


def post(day: int, hhmm: str, text: str, *, author: str = "kim@example.net", name: str = "Kim",
         kind: str | None = None, **kw) -> Post:
    hour, minute = map(int, hhmm.split(":"))
    return Post(id=f"p-{day}-{hhmm}", source=kw.pop("source", "mastodon"), text=text,
                created_at=datetime(2026, 5, day + 3, hour, minute, tzinfo=TZ), author=Author(author, name),
                kind=kind, **kw)


def talk_of(matcher: Matcher, p: Post) -> str | None:
    """The talk's short id (the part before '@' in iCalendar UIDs), checking the reason."""
    talk_id, reason = matcher.match(p)
    if talk_id is None:
        assert reason is None
        return None
    title = next(t.title for t in matcher.talks if t.id == talk_id)
    assert f"'{title}'" in reason  # every attachment explains itself, naming the talk
    return talk_id.split("@")[0]


# --- reading the programme ------------------------------------------------------------------

def test_both_formats_give_the_same_people_tags_and_kinds():
    by_format = {f: {t.id.split("@")[0]: t for t in parse_schedule(make(), f"tiny.{f}", TZ).talks}
                 for f, make in FORMATS.items()}
    for tid in ("pg", "tokens", "lightning", "panel", "rust"):
        j, i = by_format["json"][tid], by_format["ics"][tid]
        assert (j.speakers, j.speaker_handles, j.hashtags, j.kind) == (i.speakers, i.speaker_handles, i.hashtags,
                                                                       i.kind), tid
    ics = by_format["ics"]
    assert ics["pg"].hashtags == ["pgrepl"] and ics["pg"].speaker_handles == ["ines@db.example"]
    assert ics["tokens"].speakers == ["Tomasz Wolski"] and ics["tokens"].speaker_handles == ["twolski@social.example"]
    assert ics["panel"].speakers == ["Sam Okafor", "Lea Fischer", "Jo Park"]
    assert ics["lightning"].kind == "Lightning talks"


# --- hashtags and topics anywhere in the programme -------------------------------------------

def test_a_hashtag_written_in_the_abstract_attaches_even_days_later(matcher):
    assert talk_of(matcher, post(1, "10:50", "Great demo so far #pgrepl", tags=["pgrepl"])) == "pg"
    assert talk_of(matcher, post(3, "12:00", "#pgrepl recording is online", tags=["pgrepl"])) == "pg"


def test_words_only_the_abstract_uses_pick_between_parallel_talks(matcher):
    p = post(1, "10:50", "Patroni failover demo worked the first time, impressive")
    assert talk_of(matcher, p) == "pg"
    assert "uses words of the abstract of 'Postgres replication in practice' (" in matcher.match(p)[1]
    assert talk_of(matcher, post(1, "10:50", "Figma files never match the component code, so true")) == "tokens"


def test_common_words_of_an_abstract_are_no_evidence(matcher):
    # "honest" is in one abstract only, but it is an everyday word: no reason to attach.
    assert talk_of(matcher, post(1, "19:00", "I have to be honest: I skipped the afternoon")) is None


# --- speakers' own posts ------------------------------------------------------------------

def test_a_speaker_announcing_their_talk_the_day_before(matcher):
    p = post(0, "18:00", "Tomorrow I'll show what broke in our setup. See you in Hall A!", author="ines@db.example",
             name="Ines Moreau")
    assert talk_of(matcher, p) == "pg"
    assert "a speaker of 'Postgres replication in practice', before it began" in matcher.match(p)[1]


def test_a_speaker_sharing_slides_after_their_talk_and_that_evening(matcher):
    ines = {"author": "ines@db.example", "name": "Ines Moreau"}
    # 40 minutes after, while the lightning talks and the panel run: still her own talk.
    assert talk_of(matcher, post(1, "11:55", "Slides are up: https://ines.example/slides", **ines)) == "pg"
    assert talk_of(matcher, post(1, "20:30", "Thanks to everyone who came to my talk! Recording soon", **ines)) == "pg"
    assert talk_of(matcher, post(1, "20:30", "Dinner with old friends, perfect end of the day", **ines)) is None


def test_a_speaker_without_a_handle_in_the_programme_is_known_by_the_name_in_theirs(matcher):
    p = post(1, "14:20", "@kailindgren@fosstodon.example on interrupt budgets: measure before you optimise")
    assert talk_of(matcher, p) == "rust"
    assert "by the name Kai Lindgren" in matcher.match(p)[1]


# --- content that comes later -------------------------------------------------------------

def test_questions_and_recaps_hours_and_days_later(matcher):
    assert talk_of(matcher, post(1, "15:30", "Does anyone have the slides from the Patroni failover talk?")) == "pg"
    recap = post(2, "20:00", "Recap of day one: Postgres replication in practice was the best talk, the WAL "
                             "archive story made everyone check their backups.", source="rss", author="blog.example")
    assert talk_of(matcher, recap) == "pg"
    # During another talk, a question about this morning's one is about this morning's.
    assert talk_of(matcher, post(1, "14:20", "Who has the slides of the sonification lightning talk?")) == "lightning"


def test_before_its_day_a_topic_is_not_yet_the_talk(matcher):
    assert talk_of(matcher, post(0, "15:00", "Patroni failover docs are confusing, any tips?")) is None
    # A tag the abstract only uses in prose may be a community's tag too.
    assert talk_of(matcher, post(0, "15:00", "New post on my blog #pgrepl", tags=["pgrepl"])) is None


# --- the only talk running --------------------------------------------------------------------

def test_a_vague_post_during_the_only_talk_attaches_even_when_called_other(matcher):
    assert talk_of(matcher, post(1, "09:20", "what a keynote 🔥", kind="other")) == "key1"
    assert talk_of(matcher, post(1, "10:02", "great talk!! ok now coffee", kind="other")) == "key1"


def test_posts_about_being_there_or_the_whole_event_stay_with_the_day(matcher):
    for text in ("The coffee queue is endless", "Best conference ever, thanks to all the volunteers",
                 "Hall B is freezing, bring a jumper"):
        assert talk_of(matcher, post(1, "09:20", text, kind="other")) is None, text
    assert talk_of(matcher, post(1, "14:20", "Hall B is freezing, bring a jumper", kind="other")) is None
    assert talk_of(matcher, post(1, "14:20", "Packed in Hall B for this one", kind="other")) == "dataviz"


def test_the_keynote_of_the_day_by_its_kind(matcher):
    assert talk_of(matcher, post(2, "12:00", "this morning's keynote still on my mind")) == "key2"


# --- two talks, or none -----------------------------------------------------------------------

def test_a_post_naming_two_talks_is_left_unattached(matcher):
    assert talk_of(matcher, post(1, "11:40", "Torn between the lightning talks and the maintainers panel")) is None
    assert talk_of(matcher, post(1, "18:00", "Today: Patroni failover and Figma design tokens, both excellent")) is None


# --- blocks and panels ------------------------------------------------------------------------

def test_a_lightning_talk_attaches_to_its_block(matcher):
    assert talk_of(matcher, post(1, "11:45", "Typos in YAML config files, five minutes of pure pain 😂")) == "lightning"
    assert talk_of(matcher, post(1, "11:50", "Raj Patel is hilarious")) == "lightning"


def test_a_first_name_names_the_speaker_on_stage_or_the_only_speaker_so_called(matcher):
    assert talk_of(matcher, post(1, "14:20", "Kai just showed probe-rs live")) == "rust"
    assert talk_of(matcher, post(1, "14:20", "Ana: alt text is not optional")) == "dataviz"
    assert talk_of(matcher, post(1, "14:20", "an ana lysis of nothing")) is None  # lowercase is not a name
    # No other speaker is called Kai, and it is no everyday word: days later it still names him.
    p = post(3, "10:00", "Started porting our firmware after the talk by Kai")
    assert talk_of(matcher, p) == "rust" and "names its speaker Kai" not in matcher.match(p)[1]
    assert "names Kai (speaker of 'Rust for embedded firmware')" in matcher.match(p)[1]


def test_a_panel_is_one_talk_whoever_speaks(matcher):
    assert talk_of(matcher, post(1, "11:50", "Lea Fischer: burnout is a funding problem")) == "panel"
    assert talk_of(matcher, post(1, "11:55", "Sam Okafor and Jo Park disagree on foundations, good")) == "panel"
    assert talk_of(matcher, post(1, "11:55", "this panel is the best thing today")) == "panel"


# --- the kinds of item, the words and the people, in every language ---------------------------

def test_kinds_of_item_named_in_other_languages(matcher):
    assert talk_of(matcher, post(1, "11:50", "essa mesa-redonda está pegando fogo")) == "panel"
    assert talk_of(matcher, post(1, "11:50", "la sesión relámpago, cinco minutos por persona")) == "lightning"
    assert talk_of(matcher, post(1, "10:05", "saí da abertura arrepiada")) == "key1"
    assert talk_of(matcher, post(2, "12:00", "今朝の基調講演、まだ考えてる")) == "key2"


def _talk(tid: str, hhmm: str, minutes: int, room: str, title: str, kind: str = "Talk", abstract: str = "") -> Talk:
    start = datetime(2026, 5, 4, *map(int, hhmm.split(":")), tzinfo=TZ)
    return Talk(tid, title, start, start + timedelta(minutes=minutes), room=room, kind=kind, abstract=abstract)


def test_a_programme_that_labels_no_keynote_has_its_items_running_alone_as_keynotes():
    talks = [_talk("first", "09:00", 60, "Auditório", "Arquivos que escutam", "Conferência"),
             _talk("a", "10:30", 45, "Auditório", "Preservação digital"),
             _talk("b", "10:30", 45, "Sala 2", "Mapas antigos"),
             _talk("last", "16:00", 60, "Auditório", "O arquivo do futuro", "Conferência")]
    m = Matcher(talks, TZ)
    at = {"author": Author("kim@example.net", "Kim")}
    def say(hhmm, text):
        h, mi = map(int, hhmm.split(":"))
        return m.match(Post(id=hhmm, source="mastodon", text=text, created_at=datetime(2026, 5, 4, h, mi, tzinfo=TZ), **at))[0]
    assert say("10:50", "what a keynote this morning, still thinking about it") is None  # two this day
    assert say("10:50", "the opening keynote this morning was wonderful") == "first"
    assert say("16:50", "a keynote de encerramento está linda") == "last"


def test_contractions_lose_their_elided_article_and_leave_no_fragments():
    assert tokens("J'ai vu l'archive dell'archivio, quelqu'un? don't") == ["vu", "archive", "archivio", "don"]
    assert tokens("l’IA") == []  # too short to tell from "j'ai"; never "ai" (artificial intelligence)


def test_a_word_common_in_any_supported_language_is_no_evidence_even_unaccented():
    talks = [_talk("scan", "10:00", 45, "Lab", "Faça seu próprio scanner de livros", abstract="Um berço em V."),
             _talk("web", "10:00", 45, "Sala", "Web archiving no Brasil", abstract="Sitios del gobierno, archivo web.")]
    worth = TalkWords(talks).worth
    assert "proprio" not in worth["scan"] and "scanner" in worth["scan"]
    assert worth["web"].get("archivo", 0) < worth["web"]["archiving"] / 3  # everyday Spanish, in a Portuguese talk


def test_a_reply_is_about_what_its_parent_was_attached_to(matcher):
    parent = post(1, "10:50", "Patroni failover demo worked the first time, impressive",
                  url="https://social.example/@kim/1")
    assert talk_of(matcher, parent) == "pg"
    reply = post(1, "13:10", "same here, I want to try it at work", author="lu@example.org", name="Lu",
                 reply_to="https://social.example/@kim/1")
    assert talk_of(matcher, reply) == "pg"
    assert "replies to a post about 'Postgres replication in practice'" in matcher.match(reply)[1]
    orphan = post(1, "13:10", "same here, I want to try it at work", reply_to="https://social.example/@kim/999")
    assert talk_of(matcher, orphan) is None


def test_a_speakers_first_name_counts_once(matcher):
    p = post(1, "10:50", "Ines Moreau again: Ines says test the restore")
    pg = next(c for c in matcher.candidates(p) if c.talk.id.split("@")[0] == "pg")
    assert [e.kind for e in pg.evidence].count("name") == 1


def test_a_handle_of_a_short_first_name_and_the_last_names_that_speaker(matcher):
    p = post(1, "10:50", "@tomwolski@fosstodon.example is so right about this")
    assert talk_of(matcher, p) == "tokens"
    assert "by the name Tomasz Wolski" in matcher.match(p)[1]


def test_a_post_during_a_talk_about_it_beats_a_word_of_an_earlier_title():
    talks = [_talk("web", "10:00", 45, "A", "Web archiving in Brazil", abstract="What the library keeps of .br sites."),
             _talk("maps", "10:00", 45, "B", "Old maps of the city", abstract="Georeferencing survey sheets."),
             _talk("close", "15:00", 60, "A", "The archive of the future is a verb", abstract="Floods and care."),
             _talk("other", "15:00", 60, "B", "Letters between farms", abstract="Family letters and handwriting.")]
    talks[2].speakers, talks[2].speaker_handles = ["Helena Vasconcelos"], ["helena@example.social"]
    m = Matcher(talks, TZ)
    p = Post(id="x", source="mastodon", text='"archiving is a practice, not a building" — @helena@example.social',
             created_at=datetime(2026, 5, 4, 15, 14, tzinfo=TZ), author=Author("kim@example.net", "Kim"))
    assert [c.talk.id for c in m.candidates(p)][:2] == ["close", "web"]  # "archiving": a title word of the morning
    assert m.match(p)[0] == "close"


def test_the_livestream_and_the_interpreting_are_about_being_there(matcher):
    assert talk_of(matcher, post(1, "09:20", "livestream is down btw, in case anyone remote is wondering")) is None


# --- Korean, line-ups, speakers' own posts, links and rooms (issue 15, third set) -------------

def test_korean_words_lose_their_particles_and_name_kinds_and_being_there(matcher):
    assert tokens("라이트닝 토크에서 교실의 헤드셋이 고래") == ["라이트닝", "토크", "교실", "헤드셋", "고래"]
    assert talk_of(matcher, post(1, "11:50", "패널에서 나온 이야기가 정말 좋네요")) == "panel"
    assert talk_of(matcher, post(1, "09:20", "라이브스트림에 자막이 안 나와요", kind="other")) is None


def test_the_events_only_panel_is_named_on_the_next_day(matcher):
    assert talk_of(matcher, post(2, "12:00", "still thinking about yesterday's panel")) == "panel"


LINEUP = ("Six talks, five minutes each.\n1. A hydrophone from a kitchen funnel (Duarte Lopes)\n"
          "2. Ocean data in Korean classrooms (Seo-yeon Lee)\n3. Why the 03:17 cron job (see #cron) runs")


def test_a_blocks_speakers_listed_only_in_its_description_are_its_people():
    from backchannel.talks.matcher import lineup
    assert lineup(LINEUP) == ["Duarte Lopes", "Seo-yeon Lee"]
    m = Matcher([_talk("lt", "15:30", 45, "Tejo", "Lightning talks", "Lightning talks", LINEUP),
                 _talk("other", "15:30", 45, "Sala", "Sea ice and seals", abstract="1. Ice (Part One)\n2. Seals (Part Two)")],
                TZ)
    assert m.people == {"lt": ["Duarte Lopes", "Seo-yeon Lee"], "other": []}  # a talk's outline names nobody
    def by(author, name, text, day=3, hhmm="21:00"):
        created = datetime(2026, 5, day, *map(int, hhmm.split(":")), tzinfo=TZ)
        return m.match(Post(id=text, source="mastodon", text=text, created_at=created, author=Author(author, name)))
    # The day before, in Korean, by "이서연 Seo-yeon Lee" (a handle no programme lists).
    assert by("seoyeon.bsky.social", "이서연 Seo-yeon Lee", "목요일 라이트닝 토크에서 소개해요!")[0] == "lt"
    assert by("duarte@bolha.example", "Duarte L.", "Amanhã nas lightning talks: cinco minutos")[0] == "lt"


def test_a_speakers_idle_post_before_their_talk_is_no_announcement(matcher):
    ines = {"author": "ines@db.example", "name": "Ines Moreau"}
    assert talk_of(matcher, post(0, "13:00", "Flight delayed three hours. At least a window seat.", **ines)) is None
    assert talk_of(matcher, post(0, "13:00", "Tomorrow 10:30, come with your worst backups", **ines)) == "pg"
    # Known by a display name with an initial, or with more around the name.
    assert talk_of(matcher, post(0, "13:00", "Tomorrow 10:30!", author="im@other.example", name="Ines M.")) == "pg"
    assert talk_of(matcher, post(0, "13:00", "Tomorrow 10:30!", author="im@other.example",
                                 name="🐘 Ines Moreau (she/her)")) == "pg"


def test_links_say_what_they_are_about_and_whose_post_they_share(matcher):
    assert talk_of(matcher, post(1, "19:00", "worth a read: https://blog.example/2026/patroni-failover-notes",
                                 links=["https://blog.example/2026/patroni-failover-notes"])) == "pg"
    shared = post(1, "13:00", "this 👇 https://db.example/@ines/11223344", links=["https://db.example/@ines/11223344"])
    assert talk_of(matcher, shared) == "pg"


def test_a_room_named_just_before_its_next_talk_is_about_that_talk(matcher):
    # 11:25: the design tokens talk in Hall B ended ten minutes ago; the panel starts there at 11:30.
    assert talk_of(matcher, post(1, "11:25", "Off to Hall B, this one I cannot miss")) == "panel"


def test_naming_the_speaker_on_stage_beats_a_topic_word_of_an_earlier_talk(matcher):
    p = post(1, "14:20", "@kailindgren@fosstodon.example just compared it to Patroni failover, fair point")
    assert talk_of(matcher, p) == "rust"


def test_a_room_with_its_venue_and_city_is_named_by_its_first_part():
    # iCalendar LOCATION as some exports write it; posts name the room only.
    talks = [_talk("a", "14:00", 40, "Sala Coyoacán, Foro Cultural Tacubaya, Ciudad de México", "Escuelas y calles"),
             _talk("b", "14:00", 40, "Sala Xochimilco, Foro Cultural Tacubaya, Ciudad de México", "Buses nocturnos")]
    m = Matcher(talks, TZ)
    def say(text):
        return m.match(Post(id=text, source="mastodon", text=text, created_at=datetime(2026, 5, 4, 14, 20, tzinfo=TZ),
                            author=Author("kim@example.net", "Kim")))[0]
    assert say("lleno total en la Sala Coyoacán para esta") == "a"
    assert say("la Sala Coyoacán otra vez congelada, traigan suéter") is None  # the room itself


# --- other scripts, other languages, days named, choices, quotes (issue 15, fourth round) -----

def test_speakers_named_in_kana_hangul_or_cyrillic(matcher):
    from backchannel.talks.scripts import name_key, name_keys
    assert name_key("ダニエラ") == name_key("Daniela") and name_key("혜진") == name_key("Hye-jin")
    assert name_keys("今日二人目のダニエラさん🙌") == {name_key("Daniela"): "ダニエラ"}
    # Ines is the only Ines (any time); Kai is on stage; Ana Souza by her whole name.
    p = post(1, "10:50", "イネスさんの話、WALのアーカイブのところが怖い")
    assert talk_of(matcher, p) == "pg" and "names Ines Moreau as イネス" in matcher.match(p)[1]
    assert talk_of(matcher, post(1, "14:20", "카이 님 발표 최고")) == "rust"
    assert talk_of(matcher, post(1, "14:20", "Ана Соуза показывает графики")) == "dataviz"


def test_a_first_name_two_speakers_share_names_the_one_on_stage_in_any_script():
    talks = [_talk("bikes", "11:00", 40, "A", "Bicimensajeros y repartidores"),
             _talk("night", "14:00", 40, "A", "Camiones de noche y seguridad"),
             _talk("other", "14:00", 40, "B", "Teleférico y comercio")]
    talks[0].speakers, talks[1].speakers, talks[2].speakers = ["Daniela Ruiz"], ["Daniela Ortega"], ["Luis Mora"]
    m = Matcher(talks, TZ)
    def at(hhmm, text):
        return m.match(Post(id=text + hhmm, source="mastodon", text=text, author=Author("kim@example.net", "Kim"),
                            created_at=datetime(2026, 5, 4, *map(int, hhmm.split(":")), tzinfo=TZ)))[0]
    assert at("11:20", "ダニエラさんの話、230人にインタビューしたそう") == "bikes"
    assert at("14:10", "今日二人目のダニエラさん🙌 こっちの発表もいい") == "night"
    assert at("16:00", "ダニエラさん最高") is None  # nobody on stage: which Daniela?


def test_a_talks_day_named_ahead_keeps_its_weight(matcher):
    # Day 0 (Sunday): Monday's talk named by its weekday or "tomorrow"; without either it is no candidate.
    def talks(text):
        return [c.talk.id.split("@")[0] for c in matcher.candidates(post(0, "18:00", text))]
    assert talk_of(matcher, post(0, "18:00", "Morgen naar TinyConf: de Postgres replicatie")) == "pg"
    assert talk_of(matcher, post(0, "18:00", "montag: Postgres replication")) == "pg"
    assert talk_of(matcher, post(0, "18:00", "Postgres replication, someday")) is None
    assert "pg" in talks("montag: Postgres replication") and "pg" not in talks("Postgres replication, someday")


def test_a_post_weighing_two_talks_needs_more_than_topic_words(matcher):
    # 10:20: the Postgres talk and the design tokens one both begin at 10:30; the other is named in German.
    assert talk_of(matcher, post(1, "10:20", "can't decide between postgres replication and the Farbsystem one")) is None
    assert talk_of(matcher, post(1, "10:20", "Dilemma um 10:30: Postgres replication oder Gestaltungssysteme?")) is None
    assert talk_of(matcher, post(1, "10:20", "Off to Postgres replication with @ines@db.example, or is it full?")) == "pg"


def test_a_live_quote_while_one_talk_runs_is_its_speakers_whatever_it_recalls(matcher):
    # Day 2, 09:10: only the closing keynote runs; "replication" is a word of yesterday's title.
    quote = "'replication is not a backup, and a backup is not an archive' 👏👏"
    assert talk_of(matcher, post(2, "09:10", quote)) == "key2"
    assert talk_of(matcher, post(2, "09:10", "replication, as Ines said yesterday, is not a backup")) != "key2"


def test_a_first_name_next_to_a_topic_names_the_talk_days_later(matcher):
    assert talk_of(matcher, post(2, "18:00", "does anyone have the slides of Ines on replication?")) == "pg"


def test_a_cognate_in_another_language_is_the_same_word():
    talks = [_talk("metro", "11:00", 40, "A", "Accessibility audits of every metro station"),
             _talk("shops", "11:00", 40, "B", "Cable cars and local shops")]
    m = Matcher(talks, TZ)
    p = Post(id="x", source="mastodon", text="Auditoría de accesibilidad estación por estación, muy bien hecho",
             created_at=datetime(2026, 5, 4, 18, 0, tzinfo=TZ), author=Author("kim@example.net", "Kim"))
    assert m.match(p)[0] == "metro"


def test_a_speakers_own_post_naming_their_talks_day_and_a_pdf_with_digits(matcher):
    ines = {"author": "ines@db.example", "name": "Ines Moreau"}
    p = post(2, "19:00", "wrote up my Monday talk as a blog post for those who missed it", **ines)
    assert talk_of(matcher, p) == "pg" and "naming its day" in matcher.match(p)[1]
    assert talk_of(matcher, post(3, "11:00", "here: https://ines.example/patroni2026.pdf sorry for the wait",
                                 links=["https://ines.example/patroni2026.pdf"], **ines)) == "pg"


def test_interpreting_and_captions_in_other_languages_are_being_there(matcher):
    assert talk_of(matcher, post(2, "09:20", "Heute funktioniert die Verdolmetschung! Kanal 1, glasklar")) is None
    assert talk_of(matcher, post(2, "09:20", "配信の字幕が英語だけで、通訳チャンネルも聞こえない")) is None


# --- rooms, clashes, roundups, guillemets, two given names (issue 15, fifth round) -----------

def _say(m: Matcher, hhmm: str, text: str, day: int = 4) -> str | None:
    hour, minute = map(int, hhmm.split(":"))
    return m.match(Post(id=text + hhmm, source="mastodon", text=text, author=Author("kim@example.net", "Kim"),
                        created_at=datetime(2026, 5, day, hour, minute, tzinfo=TZ)))[0]


def test_a_rooms_name_says_where_not_what():
    # "Maple" is the morning talk's topic and the afternoon room's name.
    m = Matcher([_talk("syrup", "09:00", 40, "Hall C", "Maple syrup from sugar shack to shelf"),
                 _talk("robots", "14:00", 30, "Maple Hall", "Open-source field robots"),
                 _talk("prices", "14:00", 30, "Hall C", "An observatory of farm prices")], TZ)
    assert _say(m, "14:20", "Maple Hall is standing room only rn") == "robots"
    assert _say(m, "14:20", "Maple Hall: 30 degrees in here, can someone open a window") is None  # the room itself


def test_a_post_on_clashing_talks_weighs_them_all():
    m = Matcher([_talk("robots", "14:00", 30, "A", "Open-source field robots"),
                 _talk("prices", "14:00", 30, "B", "Observatoire des prix à la ferme"),
                 _talk("coops", "14:00", 30, "C", "Cooperatives in Sichuan and Québec")], TZ)
    assert _say(m, "13:55", "robots or prices or Sichuan co-ops at 2pm. why") is None
    assert _say(m, "13:55", "Sichuan cooperatives and the robots at the same time 😩") is None
    assert _say(m, "13:55", "Sichuan cooperatives next, front row") == "coops"


def test_a_list_naming_three_talks_by_topic_is_a_roundup():
    talks = [_talk("hedges", "10:00", 30, "A", "Compter les haies par satellite"),
             _talk("bees", "11:00", 30, "A", "Pollinator counts from citizen science apps"),
             _talk("agroxml", "14:00", 30, "A", "Interoperability for farm data: ADAPT, agroXML and the rest"),
             _talk("soil", "15:00", 30, "A", "Mesurer le carbone du sol")]
    for talk in talks[:2]:  # the day before
        talk.start, talk.end = talk.start - timedelta(days=1), talk.end - timedelta(days=1)
    m = Matcher(talks, TZ)
    assert _say(m, "19:00", "Takeaways: hedges by satellite, bee apps, repair rights, agroXML. Best event") is None
    assert _say(m, "19:00", "Takeaway from the agroXML one: ADAPT and agroXML still do not talk") == "agroxml"


def test_french_guillemets_with_spaces_make_a_live_quote_while_several_talks_run():
    m = Matcher([_talk("chain", "10:15", 30, "A", "Traçabilité par chaîne de blocs",
                       abstract="Une base de données partagée ordinaire aurait-elle suffi ?"),
                 _talk("milk", "10:15", 30, "B", "Le lait en chiffres"),
                 _talk("fish", "11:00", 30, "C", "Pêche côtière et données partagées")], TZ)
    assert _say(m, "10:30", "« une base de données partagée ordinaire aurait fait mieux » — la salle rit jaune") \
        == "chain"


def test_two_given_names_name_their_speaker_the_day_before():
    talks = [_talk("seeds", "11:30", 30, "A", "Semences paysannes, données ouvertes"),
             _talk("milk", "11:30", 30, "B", "Le lait en chiffres")]
    for talk in talks:
        talk.start, talk.end = talk.start + timedelta(days=1), talk.end + timedelta(days=1)
    talks[0].speakers, talks[1].speakers = ["Ana Beatriz Ferreira"], ["Ana Souza"]
    m = Matcher(talks, TZ)
    assert _say(m, "18:00", "A Ana Beatriz fala amanhã, bora lotar a sala 🌽") == "seeds"
    assert _say(m, "18:00", "A Ana fala amanhã, bora lotar a sala") is None  # which Ana?


# --- the event's name, tags before their day, ... (issue 15, sixth round) --------------------

def test_before_its_day_a_talks_own_hashtag_by_someone_else_is_not_yet_the_talk(matcher):
    # A campaign or an archive uses the tag the day before; plans name the day, speakers announce.
    p = post(0, "13:40", "Neue Folge online, viel Spaß beim Hören! #pgrepl", tags=["pgrepl"])
    assert talk_of(matcher, p) is None and matcher.candidates(p) == []
    assert talk_of(matcher, post(0, "13:40", "Tomorrow: #pgrepl, front row", tags=["pgrepl"])) == "pg"
    assert talk_of(matcher, post(0, "13:40", "Neue Folien, bis gleich #pgrepl", tags=["pgrepl"],
                                 author="ines@db.example", name="Ines Moreau")) == "pg"


def test_the_events_own_name_from_its_page_addresses_is_no_topic():
    talks = [_talk("quiet", "09:30", 60, "Saal", "Die Stille zwischen den Samples",
                   abstract="Zwanzig Jahre Klangraum: was wir über Stille gelernt haben."),
             _talk("midi", "11:00", 45, "Studio", "MIDI 2.0 in practice"),
             _talk("faust", "11:00", 45, "Labor", "Eigene Effekte mit Faust"),
             _talk("eurorack", "14:00", 45, "Saal", "Open hardware for Eurorack")]
    for t in talks:
        t.url = f"https://klangraum.at/2026/events/{t.id}.html"
    talks[1].speakers, talks[1].speaker_handles = ["Emma Nilsson"], ["emma@mastodon.example"]
    m = Matcher(talks, TZ)
    assert "klangraum" in m.words.event_words and "event" not in m.words.event_words  # everyday words stay
    slides = Post(id="s", source="mastodon", text="Folien: https://emma.example/klangraum26",
                  links=["https://emma.example/klangraum26"], author=Author("emma@mastodon.example", "Emma Nilsson"),
                  created_at=datetime(2026, 5, 4, 12, 45, tzinfo=TZ))
    assert m.match(slides)[0] == "midi"  # the event's name in the link is no word of the keynote's abstract
    assert _say(m, "19:30", "Party ab 21 Uhr, Live-Sets von Klangraum-Leuten 🎉") is None
    assert _say(m, "19:30", "die Stille zwischen den Samples, noch immer im Kopf") == "quiet"


def test_a_post_about_the_sponsors_booth_is_not_about_the_talk_its_product_shares_a_topic_with(matcher):
    # 14:20: the Rust firmware talk runs in Hall A (its words: microcontroller, probe-rs).
    assert talk_of(matcher, post(1, "14:20", "microcontroller boards with probe-rs built in, nice")) == "rust"
    assert talk_of(matcher, post(1, "14:20", "the sponsor booth is demoing microcontroller boards with probe-rs")) \
        is None
    assert talk_of(matcher, post(1, "16:00", "Le kiosque du commanditaire distribue des autocollants #pgrepl",
                                 tags=["pgrepl"])) is None
    # A talk about sponsors makes "sponsor" a topic there, not the expo.
    m = Matcher([_talk("fund", "10:00", 40, "A", "Sponsors and the funding of open source"),
                 _talk("css", "10:00", 40, "B", "Container queries")], TZ)
    assert _say(m, "10:20", "sponsors pay for maintainers' time, not for features") == "fund"


def test_a_speakers_last_name_while_they_are_on_stage_names_them(matcher):
    # 11:40: the panel (Sam Okafor, Lea Fischer, Jo Park) and the lightning talks run in parallel.
    # The words are the morning Postgres talk's; the name is of a panellist on stage.
    assert talk_of(matcher, post(1, "11:50", "Okafor: nobody tested the WAL archive, and nobody tests ours")) == "panel"
    assert talk_of(matcher, post(1, "16:00", "Okafor: nobody tested the WAL archive, and nobody tests ours")) != "panel"


def test_asking_where_a_room_is_is_finding_it_not_listening_in_it(matcher):
    # 10:40: Postgres in Hall A and design tokens in Hall B.
    assert talk_of(matcher, post(1, "10:40", "packed in Hall B, great start")) == "tokens"
    assert talk_of(matcher, post(1, "10:40", "Wo ist Hall B? Ich find's nicht")) is None
    assert talk_of(matcher, post(1, "10:40", "where is Hall B?? the signs point both ways")) is None


def test_weighing_two_talks_in_japanese_chinese_or_korean(matcher):
    # 10:25: both 10:30 talks are about to begin; one is named, the other in words no programme uses.
    assert talk_of(matcher, post(1, "10:25", "次はPostgres replicationか、デザインの話か… 迷う")) is None
    assert talk_of(matcher, post(1, "10:25", "Postgres replication 还是设计系统，好纠结")) is None
    assert talk_of(matcher, post(1, "10:25", "次はPostgres replication、楽しみ")) == "pg"


def test_an_english_question_with_of_weighs_no_talks(matcher):
    # Dutch "of" is "or", English "of" is everywhere: "a recording of the X talk?" asks for one talk.
    assert talk_of(matcher, post(2, "12:00", "is there a recording of the Patroni failover talk?")) == "pg"
    assert talk_of(matcher, post(1, "10:20", "Postgres replicatie of Gestaltungssysteme? twijfel")) is None


def test_after_the_days_last_item_a_vague_post_is_about_the_day():
    talks = [_talk("a", "09:00", 60, "Aula", "Arquivos que escutam"), _talk("b", "16:00", 60, "Aula", "Mesa-redonda")]
    m = Matcher(talks, TZ)
    assert _say(m, "10:05", "que abertura. sem palavras") == "a"  # after an item the day goes on with
    assert _say(m, "17:10", "fim do dia 1! happy hour no bar da esquina, quem vem?") is None
    assert _say(m, "17:10", "still processing that last one. what a talk") == "b"


def test_kinds_of_items_named_together_after_the_fact_are_the_programme(matcher):
    # The day after the event: the event has one lightning block and two keynotes.
    assert talk_of(matcher, post(3, "18:00", "crónica: las lightning talks, lo mejor")) == "lightning"
    assert talk_of(matcher, post(3, "18:00", "crónica: keynotes, talleres y lightning talks")) is None


def test_interpreting_in_swedish_and_chinese_is_being_there(matcher):
    # Day 2, 09:20: the closing keynote runs alone.
    assert talk_of(matcher, post(2, "09:20", "Tolkningen till engelska funkar inte för mig, någon annan?")) is None
    assert talk_of(matcher, post(2, "09:20", "主旨演讲的同声传译，第二频道一直有杂音")) is None


def test_a_repost_of_an_attached_post_is_about_its_talk():
    m = Matcher([_talk("pg", "10:30", 45, "Hall A", "Postgres replication in practice"),
                 _talk("css", "10:30", 45, "Hall B", "Container queries")], TZ)
    m.talks[0].speakers, m.talks[0].speaker_handles = ["Ines Moreau"], ["ines@db.example"]
    m = Matcher(m.talks, TZ)
    text = "Amanhã às 10h30 no Hall A: o que quebrou no nosso setup. Até lá!"

    def at(author, repost):
        return m.match(Post(id=author, source="mastodon", text=text, author=Author(author, ""), is_repost=repost,
                            url=f"https://social.example/{author}", created_at=datetime(2026, 5, 3, 18, 0, tzinfo=TZ)))
    assert at("kim@example.net", True)[0] is None  # nothing attached with this text yet
    assert at("ines@db.example", False)[0] == "pg"  # the speaker's announcement
    talk, reason = at("bia@example.net", True)
    assert talk == "pg" and reason.startswith("reposts a post about 'Postgres replication in practice'")
    assert at("joe@example.net", False)[0] is None  # the same words written again are no repost


def test_a_talk_two_days_ahead_named_by_the_day_after_tomorrow_or_its_weekday_in_swedish(matcher):
    # Day 0 (Sunday, 3 May): the closing keynote is on Tuesday, day 2.
    assert talk_of(matcher, post(0, "18:00", "Übermorgen: software that outlives its authors, freu mich")) == "key2"
    assert talk_of(matcher, post(0, "18:00", "på tisdag: software that outlives its authors")) == "key2"
    assert talk_of(matcher, post(0, "18:00", "software that outlives its authors, a thread")) is None


def test_a_reply_is_about_its_parents_talk_though_another_talk_shares_a_word():
    m = Matcher([_talk("panel", "16:45", 60, "Hall A", "Who pays for open source?", "Panel",
                       abstract="Funding maintainers, and the Cyber Resilience Act."),
                 _talk("cliff", "09:30", 60, "Hall A", "The maintenance cliff", abstract="Burnout.")], TZ)
    parent = Post(id="q", source="mastodon", text="Questions for the panel on who pays for open source? Reply here",
                  url="https://s.example/q", author=Author("host@example.net", "Host"),
                  created_at=datetime(2026, 5, 4, 16, 30, tzinfo=TZ))
    assert m.match(parent)[0] == "panel"
    # "burnout" is the morning talk's word; the reply is in the panel's thread.
    reply = Post(id="r", source="mastodon", text="ask them whether it ends burnout", reply_to="https://s.example/q",
                 author=Author("kim@example.net", "Kim"), created_at=datetime(2026, 5, 4, 16, 41, tzinfo=TZ))
    talk, reason = m.match(reply)
    assert talk == "panel" and reason.startswith("replies to a post about 'Who pays for open source?'")


def test_everyone_in_a_post_is_no_sign_of_the_event_as_a_whole(matcher):
    # 10:40: Postgres in Hall A and design tokens in Hall B; "everyone" is everywhere ("everyone clapped").
    assert talk_of(matcher, post(1, "10:40", "standing room only in Hall B, guess everyone wants to see this")) \
        == "tokens"
    assert talk_of(matcher, post(1, "10:40", "thanks to all the volunteers in Hall B")) is None


# --- Seventh round: rules that carry over (issue 15) -------------------------------------------

def test_a_kind_named_in_a_post_about_being_there_is_where_not_which_talk(matcher):
    # 09:20: the opening keynote runs alone; the livestream of it, or its interpreting, is being there.
    assert talk_of(matcher, post(1, "09:20", "the keynote livestream cut out for the remote people")) is None
    assert talk_of(matcher, post(1, "11:50", "パネル、通訳の音量が小さすぎて聞こえない")) is None  # panel ∥ lightning
    assert talk_of(matcher, post(1, "11:50", "パネル、すごく良い")) == "panel"
    assert talk_of(matcher, post(1, "09:20", "what a keynote")) == "key1"
    # Just after it ended: leaving it for coffee is still about it.
    assert talk_of(matcher, post(1, "10:05", "left the keynote in tears. coffee now")) == "key1"
    # Where a talk is about streaming, "stream" is its topic, not the livestream.
    m = Matcher([_talk("pay", "14:00", 60, "A", "Who earns from music streaming?", "Panel"),
                 _talk("other", "09:00", 30, "A", "Welcome")], TZ)
    assert _say(m, "14:10", "the panel: 0.003 cents per stream") == "pay"


def test_after_its_day_a_tag_used_for_an_occasion_ahead_is_not_the_talk(matcher):
    # The Postgres talk (#pgrepl) was on Monday 4 May; day 3 is Wednesday 6 May.
    assert talk_of(matcher, post(3, "18:00", "#pgrepl meetup next Thursday at the hackerspace, sign up",
                                 tags=["pgrepl"])) is None
    assert talk_of(matcher, post(3, "18:00", "#pgrepl Stammtisch am Samstag im Institut", tags=["pgrepl"])) is None
    # A day between the talk and the post is past; the talk's own weekday names the talk.
    assert talk_of(matcher, post(3, "18:00", "went through the #pgrepl slides with the team on Tuesday",
                                 tags=["pgrepl"])) == "pg"
    assert talk_of(matcher, post(3, "18:00", "taking Monday's #pgrepl failover drill to our meeting next Friday",
                                 tags=["pgrepl"])) == "pg"
    assert talk_of(matcher, post(3, "18:00", "#pgrepl slides are up", tags=["pgrepl"])) == "pg"
