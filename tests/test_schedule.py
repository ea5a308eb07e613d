"""Reading a schedule: pretalx/frab JSON, frab XML and iCalendar give the same talks."""

import json
import time
from dataclasses import replace
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

import pytest

from backchannel.errors import InputError
from backchannel.talks.programme import ScheduleError, Talk, load_schedule, parse_schedule
from backchannel.talks.reading import find_handles, find_hashtags, find_people
from backchannel.demo.loopback import Response

HERE = Path(__file__).parent / "fixtures" / "schedules"
FORMATS = ["democon.json", "democon.xml", "democon.ics"]
UTC = timezone.utc


def talk(talks: list[Talk], suffix: str) -> Talk:
    return next(t for t in talks if t.id.endswith(suffix))


@pytest.mark.parametrize("name", FORMATS)
def test_each_format_reads_the_two_day_two_track_event(name):
    schedule = load_schedule(HERE / name, tz="Europe/Berlin")
    talks = schedule.talks
    assert schedule.timezone == "Europe/Berlin"
    assert len(talks) == 9
    assert [t.start for t in talks] == sorted(t.start for t in talks)
    vec = talk(talks, "0002")
    assert vec.title == "Vector search at scale"
    assert (vec.start, vec.end) == (datetime(2026, 9, 1, 8, 0, tzinfo=UTC), datetime(2026, 9, 1, 8, 45, tzinfo=UTC))
    assert (vec.room, vec.track, vec.day) == ("Hall A", "Data", date(2026, 9, 1))
    assert vec.speakers == ["Ada Lovelace"] and vec.speaker_handles == ["ada@example.social"]
    assert vec.hashtag == "vecscale"
    assert vec.url == "https://pretalx.example/democon-2026/talk/VEC002/"
    # Parallel: the Hall B talk starts at the same moment.
    assert talk(talks, "0003").start == vec.start and talk(talks, "0003").room == "Hall B"
    assert talk(talks, "0003").speaker_handles == ["grace.bsky.social"]
    assert talk(talks, "0008").speakers == ["Ada Lovelace", "Alan Turing"]
    assert talk(talks, "0009").title == "検索エンジンの作り方" and talk(talks, "0009").day == date(2026, 9, 2)
    assert talk(talks, "0005").speaker_handles == [] and talk(talks, "0005").hashtag is None


def test_all_three_formats_agree_talk_for_talk():
    json_talks, xml_talks, ics_talks = (load_schedule(HERE / n, tz="Europe/Berlin").talks for n in FORMATS)
    # The abstract is the programme's own text (iCalendar keeps the "Speakers:" lines in it),
    # and only frab gives a type; only JSON gives speakers' bios and links and the talk's links.
    same = [[replace(t, abstract="", kind=None, people=[], links=[]) for t in talks]
            for talks in (json_talks, xml_talks, ics_talks)]
    assert same[0] == same[1] == same[2]
    for talks in (json_talks, xml_talks, ics_talks):
        assert talk(talks, "0002").abstract.endswith("recall versus latency, and when to shard.")


def test_bytes_work_like_a_path_and_all_day_entries_are_skipped_with_a_warning():
    data = (HERE / "democon.ics").read_bytes()
    schedule = load_schedule(data, name="programme.ics")
    assert len(schedule.talks) == 9
    assert schedule.warnings == ["programme.ics: event 10 (UID 'democon-2026-registration') 'Registration desk open': "
                                 "an all-day entry, not a talk (skipped)"]


def test_day_is_the_local_date_in_the_event_time_zone():
    # 00:30 in Berlin on 2 September is still 1 September in UTC.
    raw = _frab([{"guid": "late", "title": "Midnight hack", "date": "2026-09-02T00:30:00+02:00",
                  "start": "00:30", "duration": "01:00", "room": "Hall A"}])
    late = parse_schedule(raw, "late.json", "Europe/Berlin").talks[0]
    assert late.start == datetime(2026, 9, 1, 22, 30, tzinfo=UTC)
    assert late.day == date(2026, 9, 2)
    assert parse_schedule(raw, "late.json", "UTC").talks[0].day == date(2026, 9, 1)


def test_local_start_without_offset_uses_the_schedule_zone_then_the_event_zone():
    event = {"guid": "g1", "title": "Local", "start": "10:00", "duration": "0:30", "room": "R"}
    declared = _frab([event], tz="America/New_York")
    assert parse_schedule(declared, "s.json", "Europe/Berlin").talks[0].start == datetime(2026, 9, 1, 14, tzinfo=UTC)
    undeclared = _frab([event])
    assert parse_schedule(undeclared, "s.json", "Europe/Berlin").talks[0].start == datetime(2026, 9, 1, 8, tzinfo=UTC)


def test_the_benchmark_shape_without_zone_and_with_rooms_on_events_reads():
    # benchmarks/synth.py writes every talk under one room key and names the room per event.
    raw = json.dumps({"schedule": {"conference": {"title": "X", "days": [{"index": 1, "date": "2026-09-01",
                      "rooms": {"all": [{"guid": "talk-000", "title": "Talk 0", "date": "2026-09-01 07:00:00+00:00",
                                         "start": "07:00", "duration": "00:45", "room": "Hall B",
                                         "persons": [{"public_name": "speaker0"}]}]}}]}}}).encode()
    only = parse_schedule(raw, "schedule.json", "Europe/Berlin").talks[0]
    assert (only.room, only.speakers, only.start) == ("Hall B", ["speaker0"], datetime(2026, 9, 1, 7, tzinfo=UTC))


@pytest.mark.parametrize("name, message", [
    ("missing_start.json", "missing_start.json: day 2, room 'Hall A', event 2 'Retrieval ranking with embeddings': "
                           "missing 'start'"),
    ("bad_duration.xml", "bad_duration.xml: day 1, room 'Hall B', event 1 'Threat modelling for small businesses': "
                         "'duration' is not a duration "
                         "like 00:45: 'forty-five minutes'"),
    ("no_dtstart.ics", "no_dtstart.ics: event 2 (UID '6f1c2a9e-0d4b-5b8e-9c1a-000000000002') "
                       "'Vector search at scale': missing DTSTART"),
    ("truncated.json", "truncated.json: not valid JSON ("),
    ("bad_timezone.json", "bad_timezone.json: unknown time zone 'Mars/Olympus_Mons'"),
    ("billion_laughs.xml", "billion_laughs.xml: XML with a DOCTYPE or entity declarations is refused"),
    ("external_entity.xml", "external_entity.xml: XML with a DOCTYPE or entity declarations is refused"),
])
def test_broken_schedules_name_the_file_and_the_item(name, message):
    with pytest.raises(ScheduleError) as err:
        load_schedule(HERE / "broken" / name, tz="Europe/Berlin")
    assert str(err.value).startswith(message)
    assert isinstance(err.value, InputError) and err.value.exit_code == 2


@pytest.mark.parametrize("name", ["missing_start.json", "bad_duration.xml", "no_dtstart.ics"])
def test_lenient_mode_skips_the_bad_talk_and_keeps_the_others(name):
    schedule = load_schedule(HERE / "broken" / name, tz="Europe/Berlin", strict=False)
    assert len(schedule.talks) == 8
    assert schedule.warnings[0].startswith(f"{name}: ") and schedule.warnings[0].endswith("(skipped)")


def test_entity_expansion_is_refused_before_any_expansion():
    bomb = (HERE / "broken" / "billion_laughs.xml").read_bytes()
    started = time.perf_counter()
    with pytest.raises(ScheduleError):
        parse_schedule(bomb, "bomb.xml")
    assert time.perf_counter() - started < 0.5


@pytest.mark.parametrize("data, message", [
    (b"", "s: not a pretalx/frab JSON, frab XML or iCalendar schedule"),
    (b"hello", "s: not a pretalx/frab JSON, frab XML or iCalendar schedule"),
    (b'{"talks": []}', "s: no 'schedule.conference' object"),
    (b'{"schedule": {"conference": {"days": {}}}}', "s: 'schedule.conference.days' is missing or not a list"),
    (b"<rss/>", "s: the root element is <rss>, not <schedule>"),
    (b"<schedule><day>&nbsp;</day></schedule>", "s: not well-formed XML (undefined entity"),
    (b"BEGIN:VCALENDAR\r\nnonsense\r\n", "s: not a valid iCalendar file"),
    (b"{\"title\": \"caf\xe9\"}", "s: not UTF-8 text"),
])
def test_files_that_are_not_schedules_get_one_clear_message(data, message):
    with pytest.raises(ScheduleError) as err:
        parse_schedule(data, "s")
    assert str(err.value).startswith(message)


def test_a_missing_file_and_a_duplicate_id_are_errors(tmp_path):
    with pytest.raises(ScheduleError, match="schedule file not found"):
        load_schedule(tmp_path / "nope.json")
    twice = {"guid": "same", "title": "A", "date": "2026-09-01T10:00:00+02:00", "duration": "00:30"}
    with pytest.raises(ScheduleError, match=r"day 1, room 'Hall A', event 2 'B': the id 'same' is used twice "
                                            r"\(also by day 1, room 'Hall A', event 1 'A'\)"):
        parse_schedule(_frab([twice, dict(twice, title="B")]), "dup.json")


def test_schedule_text_is_sanitised():
    evil = {"guid": "x", "title": "<script>alert(1)</script>Safe <b>title</b>", "date": "2026-09-01T10:00:00+02:00",
            "duration": "00:30", "url": "javascript:alert(1)", "room": "Hall\u0000 A",
            "persons": [{"public_name": "<img src=x onerror=alert(1)>Eve"}]}
    t = parse_schedule(_frab([evil]), "evil.json").talks[0]
    assert t.title == "Safe title" and t.url is None and t.room == "Hall A" and t.speakers == ["Eve"]


def test_pretalx_answers_give_handles_and_the_talk_hashtag():
    ev = {"guid": "a1", "title": "Answers", "date": "2026-09-01T10:00:00+02:00", "duration": "00:30",
          "answers": [{"question": {"question": {"en": "Hashtag for your talk"}}, "answer": "#Answers26"}],
          "persons": [{"public_name": "Bo", "answers": [
              {"question": {"question": {"en": "Bluesky handle"}}, "answer": "bo.bsky.social"},
              {"question": {"question": {"en": "Mastodon"}}, "answer": "bo@social.example"},
              {"question": {"question": {"en": "T-shirt size"}}, "answer": "m@l.xl"}]}]}
    t = parse_schedule(_frab([ev]), "a.json").talks[0]
    assert t.speaker_handles == ["bo.bsky.social", "bo@social.example"]
    assert t.hashtag == "answers26"


def test_pretalx_ical_summary_carries_the_speakers():
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pretalx//pretalx.example//democon\r\n"
           "BEGIN:VEVENT\r\nUID:pretalx-democon-ABC@pretalx.example\r\nDTSTAMP:20260801T120000Z\r\n"
           "SUMMARY:Tests - the good parts - Ada Lovelace\\, Alan Turing\r\nLOCATION:Hall A\r\n"
           "DTSTART:20260901T080000Z\r\nDTEND:20260901T083000Z\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    t = parse_schedule(ics, "pretalx.ics", "Europe/Berlin").talks[0]
    assert t.title == "Tests - the good parts"
    assert t.speakers == ["Ada Lovelace", "Alan Turing"]
    assert t.id == "pretalx-democon-ABC@pretalx.example"


@pytest.mark.parametrize("text, handles", [
    ("by @ada@example.social and @grace.bsky.social.", ["ada@example.social", "grace.bsky.social"]),
    ("https://fosstodon.example/@margaret and https://bsky.app/profile/kim.example.org",
     ["margaret@fosstodon.example", "kim.example.org"]),
    ("https://example.social/users/alan", ["alan@example.social"]),
    ("Find me at https://social.example/@twolski.", ["twolski@social.example"]),
    ("mail me: ada@example.org, see https://www.youtube.com/@channel", []),
    ("look at @image.png or @home", []),
])
def test_handles_are_found_in_text_and_profile_urls(text, handles):
    assert find_handles(text) == handles


def test_a_schedule_url_is_fetched_over_http(serve):
    body = (HERE / "democon.xml").read_bytes()

    def app(req):
        if req.path == "/democon-2026/schedule/export/schedule.xml":
            return Response(200, body, {"Content-Type": "text/xml"})
        return Response(404, b"not here")

    with serve(app) as server:
        url = f"{server.url}/democon-2026/schedule/export/schedule.xml"
        assert len(load_schedule(url, tz="Europe/Berlin").talks) == 9
        with pytest.raises(ScheduleError, match=r"/missing.json: cannot fetch the schedule: HTTP 404"):
            load_schedule(f"{server.url}/missing.json")


def _frab(events: list[dict], tz: str | None = None) -> bytes:
    conference = {"title": "T", "days": [{"index": 1, "date": "2026-09-01", "rooms": {"Hall A": events}}]}
    if tz:
        conference["time_zone_name"] = tz
    return json.dumps({"schedule": {"conference": conference}}).encode()


def test_durations_in_frab_forms():
    base = {"guid": "d", "title": "D", "date": "2026-09-01T10:00:00+02:00"}
    for value, minutes in [("00:45", 45), ("1:30", 90), ("01:30:00", 90), ("PT1H15M", 75)]:
        t = parse_schedule(_frab([dict(base, duration=value)]), "d.json").talks[0]
        assert t.end - t.start == timedelta(minutes=minutes), value


def test_hashtags_are_read_from_prose_with_the_labelled_one_first():
    text = ("Follow along with #PgRepl and #postgres. Slides: https://x.example/page#part, written in C# "
            "&#39;quoted&#39; on 2 #1 spots.\nHashtag: #replication")
    assert find_hashtags(text) == ["replication", "pgrepl", "postgres"]


@pytest.mark.parametrize("line, names, handles", [
    ("Speaker(s): Ada Lovelace (@ada@example.social), Grace Hopper", ["Ada Lovelace", "Grace Hopper"],
     ["ada@example.social"]),
    ("Speakers: Ada Lovelace (https://example.social/@ada) and Alan Turing", ["Ada Lovelace", "Alan Turing"],
     ["ada@example.social"]),
    ("Referentin: Marta Kowalczyk", ["Marta Kowalczyk"], []),
    ("Ponentes: Ana Souza y Luis Gómez", ["Ana Souza", "Luis Gómez"], []),
    ("Moderated by: Jan Brückner", ["Jan Brückner"], []),
    ("登壇者: 山田太郎", ["山田太郎"], []),
    ("We will talk about speakers: how to pick them, and why.", [], []),
])
def test_people_lines_in_any_supported_language(line, names, handles):
    assert find_people("An abstract first.\n" + line) == (names, handles)


def test_pretalx_ical_drops_the_speakers_from_the_title_when_the_description_names_them_too():
    ics = ("BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//pretalx//pretalx.example//x\r\n"
           "BEGIN:VEVENT\r\nUID:x-1@pretalx.example\r\nDTSTAMP:20260801T120000Z\r\n"
           "SUMMARY:Small Web\\, Big Feelings - Marek Nowak\r\nDTSTART:20260901T080000Z\r\n"
           "DTEND:20260901T083000Z\r\nCATEGORIES:Keynote\r\n"
           "DESCRIPTION:Why personal sites matter. Follow along with #smallweb.\\n\\nSpeaker(s): Marek Nowak "
           "(@marek@indieweb.social)\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n").encode()
    t = parse_schedule(ics, "pretalx.ics", "Europe/Berlin").talks[0]
    assert (t.title, t.speakers, t.speaker_handles) == ("Small Web, Big Feelings", ["Marek Nowak"],
                                                         ["marek@indieweb.social"])
    assert (t.hashtag, t.hashtags, t.kind, t.track) == (None, ["smallweb"], "Keynote", None)


# `shared/` sits next to the checkout (CI clones it there), else at /work/shared.
CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "programmes"
if not CORPORA.is_dir():
    CORPORA = Path("/work/shared/corpora/programmes")


@pytest.mark.skipif(not CORPORA.is_dir(), reason=f"needs shared/corpora/programmes next to the checkout (third-party programmes), not at {CORPORA}")
def test_real_exports_give_speakers_bios_and_the_talks_materials():
    camp = load_schedule(CORPORA / "frab-camp2019.json", "Europe/Berlin").talks
    k8s = next(t for t in camp if t.title.startswith("Hacking Containers"))
    # frab gives attachments as paths on its own site: resolved against the talk's page.
    assert [(link.title, link.url) for link in k8s.links] == [
        ("Slides", "https://fahrplan.events.ccc.de/system/event_attachments/attachments/000/003/792/original/"
                   "Hacking_Containers_and_Kubernetes.pdf?1566398735")]
    assert k8s.track == "Security" and k8s.url.startswith("https://fahrplan.events.ccc.de/")
    rc3 = load_schedule(CORPORA / "pretalx-rc3.json").talks
    bios = [p for t in rc3 for p in t.people if p.bio]
    assert any(p.name == "Stefania Maurizi" and "investigative journalist" in p.bio for p in bios)
    democon = load_schedule(CORPORA / "pretalx-democon.json").talks
    assert all([p.name for p in t.people] == t.speakers for t in democon)
    assert sum("\n" in p.bio for t in democon for p in t.people) > 5  # paragraphs kept, one a line


def test_speaker_bios_and_links_are_plain_text_and_safe_urls():
    ev = {"guid": "s1", "title": "Links", "date": "2026-09-01T10:00:00+02:00", "duration": "00:30",
          "url": "https://programme.example/talk/s1/",
          "persons": [{"public_name": "Bo", "biography": "<p>Bo <script>alert(1)</script>writes.</p><p>Line two</p>",
                       "links": [{"url": "javascript:alert(1)"}, {"url": "https://bo.example/"},
                                 {"url": "https://social.example/@bo"}]}],
          "links": [{"url": "data:text/html,x", "title": "Evil"}, {"url": "/s1/recording.mp4", "title": "Recording"},
                    {"url": "https://slides.example/s1.pdf"}]}
    t = parse_schedule(_frab([ev]), "s.json").talks[0]
    bo = t.people[0]
    assert bo.bio == "Bo writes.\nLine two"
    assert bo.links == ["https://bo.example/", "https://social.example/@bo"] and bo.handles == ["bo@social.example"]
    assert [(link.title, link.url) for link in t.links] == [
        ("Recording", "https://programme.example/s1/recording.mp4"), ("s1.pdf", "https://slides.example/s1.pdf")]


def _ics(locations: list[str]) -> bytes:
    events = "".join(
        f"BEGIN:VEVENT\r\nUID:talk-{n}@example.org\r\nDTSTAMP:20260801T120000Z\r\nSUMMARY:Talk {n}\r\n"
        f"LOCATION:{loc.replace(',', chr(92) + ',')}\r\n"
        f"DTSTART:20260901T{8 + n:02d}0000Z\r\nDTEND:20260901T{8 + n:02d}4500Z\r\nEND:VEVENT\r\n"
        for n, loc in enumerate(locations))
    return f"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//example//programme\r\n{events}END:VCALENDAR\r\n".encode()


@pytest.mark.parametrize("locations, rooms, venue", [
    # every location ends in the same venue and city: the room is what comes before
    (["Sala Xochimilco, Foro Cultural Tacubaya, Ciudad de México", "Sala Coyoacán, Foro Cultural Tacubaya, Ciudad de México"],
     ["Sala Xochimilco", "Sala Coyoacán"], "Foro Cultural Tacubaya, Ciudad de México"),
    # only the shared parts are the venue; a location without one stays as it is
    (["Room 1, Building 1, Lisboa", "Room 2, Building 2, Lisboa", "Foyer"],
     ["Room 1, Building 1", "Room 2, Building 2", "Foyer"], "Lisboa"),
    # a comma inside one room's name, one location repeated, different cities: no venue to be seen
    (["Hall A, B", "Hall C"], ["Hall A, B", "Hall C"], None),
    (["Main hall, Kulturbrauerei, Berlin"] * 2, ["Main hall, Kulturbrauerei, Berlin"] * 2, None),
    (["Hall A, Berlin", "Hall A, München"], ["Hall A, Berlin", "Hall A, München"], None),
])
def test_an_icalendar_location_with_its_venue_gives_the_room(locations, rooms, venue):
    talks = sorted(parse_schedule(_ics(locations), "programme.ics", "UTC").talks, key=lambda t: t.start)
    assert [t.room for t in talks] == rooms
    assert [t.location for t in talks] == locations  # the whole location stays available
    assert {t.venue for t in talks if "," in t.location and t.location != t.room} <= {venue}


def test_a_real_programmes_locations_give_the_rooms_its_json_export_names():
    folder = Path(__file__).parent / "data" / "talks" / "heldout3"
    ics = load_schedule(folder / "programme.ics", tz="America/Mexico_City")
    frab = {t.title: t.room for t in load_schedule(folder / "programme.json", tz="America/Mexico_City").talks}
    assert {t.title: t.room for t in ics.talks} == frab
    assert {t.venue for t in ics.talks} == {"Foro Cultural Tacubaya, Ciudad de México"}
    assert ics.summary().startswith("programme.ics: 27 talks, 3 rooms")
