"""Readers for the three schedule formats; each returns `(fields, where)` pairs.

`fields` are the keyword arguments of a `Talk` (`backchannel.talks.programme` builds it;
the readers stay below that module, so the two never import each other).

`where` names the item for messages ("day 2, room 'Hall A', event 3"). Per-talk problems are
raised as `ItemError` and handed to `Context.problem` (strict: stop; lenient: skip and warn);
problems with the file as a whole raise `ScheduleError` at once.
"""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from datetime import datetime, timedelta
from typing import Any, Iterator
from urllib.parse import unquote, urlsplit
from xml.parsers import expat

import icalendar

from backchannel.models import utc
from backchannel.sanitize import safe_url
from backchannel.talks.reading import (Context, ItemError, find_handles, find_hashtags, find_people, find_talk_hashtag,
                                       parse_duration, parse_start, plain, talk_code, text, zone)

Fields = dict[str, Any]  # the keyword arguments of `backchannel.talks.programme.Talk`
Found = list[tuple[Fields, str]]


# --- pretalx / frab JSON ---------------------------------------------------------------

def read_json(data: bytes, ctx: Context) -> Found:
    """The c3voc/frab JSON that pretalx exports: schedule.conference.days[].rooms{room: [events]}."""
    try:
        doc = json.loads(data.decode("utf-8-sig"))
    except UnicodeDecodeError:
        raise ctx.fail("not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise ctx.fail(f"not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    sched = doc.get("schedule") if isinstance(doc, dict) else None
    conf = sched.get("conference") if isinstance(sched, dict) else None
    if not isinstance(conf, dict):
        raise ctx.fail("no 'schedule.conference' object (is this a pretalx/frab schedule.json?)")
    if conf.get("time_zone_name"):
        ctx.schedule_tz = zone(conf["time_zone_name"], ctx.name)
    days = conf.get("days")
    if not isinstance(days, list):
        raise ctx.fail("'schedule.conference.days' is missing or not a list")
    found: Found = []
    for d, day in enumerate(days, 1):
        if not isinstance(day, dict) or not isinstance(day.get("rooms", {}), dict):
            raise ctx.fail(f"day {d}: must be an object with 'rooms' mapping room names to talks")
        label = f"day {day.get('index', d)}"
        for room, events in (day.get("rooms") or {}).items():
            if not isinstance(events, list):
                raise ctx.fail(f"{label}, room {room!r}: must be a list of talks")
            for e, event in enumerate(events, 1):
                title = event.get("title") if isinstance(event, dict) else None
                where = f"{label}, room {room!r}, event {e}" + _titled(title)
                try:
                    found.append((_json_talk(event, day, room, ctx), where))
                except ItemError as exc:
                    ctx.problem(where, str(exc))
    return found


def _json_talk(ev: Any, day: dict, room: str, ctx: Context) -> Fields:
    if not isinstance(ev, dict):
        raise ItemError("must be an object")
    for key in ("title", "duration"):
        if ev.get(key) in (None, ""):
            raise ItemError(f"missing {key!r}")
    ident = ev.get("guid") or ev.get("id")
    if ident in (None, ""):
        raise ItemError("missing 'guid'")
    if "date" not in ev and "start" not in ev:
        raise ItemError("missing 'start'")
    start = parse_start(ev.get("date"), day.get("date"), ev.get("start"), ctx.tz)
    persons = ev.get("persons") or []
    if not isinstance(persons, list):
        raise ItemError("'persons' must be a list")
    names, handles, people = [], [], []
    for person in persons:
        name, found = _json_person(person)
        if name:
            names.append(name)
            people.append(_json_speaker(person, name, found))
        handles += [h for h in found if h not in handles]
    for link in ev.get("links") or []:
        href = link.get("url") or link.get("href") if isinstance(link, dict) else link
        handles += [h for h in find_handles(href) if h not in handles] if isinstance(href, str) else []
    own = [t for t in (_hashtag_field(ev), _answers_hashtag(ev.get("answers"))) if t]
    return _talk(
        ident=ident, title=ev["title"], subtitle=ev.get("subtitle"), start=start,
        end=start + parse_duration(ev["duration"]),
        room=_name(ev.get("room")) or text(room, 200) or None,
        track=_name(ev.get("track")), kind=_name(ev.get("type")),
        description=plain(ev.get("abstract")) + "\n" + plain(ev.get("description")),
        names=names, handles=handles, hashtags=own,
        url=ev.get("url") if isinstance(ev.get("url"), str) else None,
        code=talk_code(ev.get("code"), ev.get("id") if ev.get("guid") else None, ev.get("url")),
        people=people, links=_json_links(ev.get("links")) + _json_links(ev.get("attachments")),
    )


def _json_speaker(person: Any, name: str, handles: list[str]) -> dict:
    """A `Speaker`'s fields: the name, a plain-text bio, handles and safe links."""
    if not isinstance(person, dict):
        return dict(name=name, handles=handles)
    links = [u for u in (safe_url(href) for href in _hrefs(person.get("links"))) if u]
    return dict(name=name, bio=text_block(plain(person.get("biography"), 5000), 1500), handles=handles,
                links=list(dict.fromkeys(links)))


def _hrefs(links: Any) -> list[str]:
    out = []
    for link in links if isinstance(links, list) else []:
        href = (link.get("url") or link.get("href")) if isinstance(link, dict) else link
        if isinstance(href, str):
            out.append(href)
    return out


def _json_links(links: Any) -> list[tuple[str, str]]:
    """(title, href) of an event's `links` or `attachments` (frab: {url, title}); hrefs as given."""
    out = []
    for link in links if isinstance(links, list) else []:
        if isinstance(link, dict):
            href = link.get("url") or link.get("href")
            if isinstance(href, str):
                out.append((text(link.get("title"), 200), href))
        elif isinstance(link, str):
            out.append(("", link))
    return out


def text_block(value: str, limit: int) -> str:
    """Plain text of several paragraphs (one a line, as `plain` gives them), bounded; each
    line cleaned like `text`."""
    return "\n".join(filter(None, (text(line, limit) for line in value.splitlines())))[:limit].rstrip()


def _talk(*, ident: object, title: object, subtitle: object, start: datetime, end: datetime,
          room: str | None, track: str | None, kind: str | None, description: str,
          names: list[str], handles: list[str], hashtags: list[str], url: str | None,
          code: str | None = None, people: list[dict] | None = None,
          links: list[tuple[str, str]] = ()) -> Fields:
    """A `Talk`'s fields from what a reader found, plus what the programme's text says anywhere.

    Every format ends here, so a talk reads the same from JSON, XML and iCalendar: hashtags
    in prose ("follow along with #tag"), handles anywhere in the abstract or description,
    and the people on "Speaker(s): ..." lines all count.
    """
    title, subtitle = text(title) or "(untitled)", text(subtitle)
    first, _, second = description.partition("\n")
    if first.strip() and first.strip() == second.strip():  # pretalx often repeats the abstract
        description = first
    line_names, line_handles = find_people(description)
    names = names + [n for n in line_names if n not in names]
    handles = handles + [h for h in line_handles + find_handles(description) if h not in handles]
    labelled = hashtags or ([find_talk_hashtag(description)] if find_talk_hashtag(description) else [])
    tags = labelled + [t for t in find_hashtags(f"{title}\n{subtitle}\n{description}") if t not in labelled]
    page = safe_url(url) if url else None
    named = {p["name"] for p in people or []}
    people = (people or []) + [dict(name=n) for n in names if n not in named]
    found = []
    for title_, href in links:
        resolved = safe_url(href, page)  # frab gives attachments as paths on its own site
        if resolved and resolved not in {u for _, u in found}:
            found.append((title_ or _link_label(resolved), resolved))
    return dict(
        people=people, links=found,
        id=text(str(ident), 300), title=title, start=start, end=end, room=room, track=track,
        speakers=names, speaker_handles=list(dict.fromkeys(handles)),
        hashtag=labelled[0] if labelled else None, url=page,
        subtitle=subtitle, abstract=text_block(description, 6000), kind=kind, hashtags=tags,
        code=code if code != text(str(ident), 300) else None,
    )


def _titled(title: Any) -> str:
    """` 'Talk X'` for a message about an item, when it has a title."""
    title = text(title, 80) if isinstance(title, str) else ""
    return f" {title!r}" if title else ""


def _link_label(url: str) -> str:
    """A link's label when the programme gives none: its file name or host."""
    parts = urlsplit(url)
    name = parts.path.rstrip("/").rsplit("/", 1)[-1]
    return text(unquote(name), 120) or (parts.hostname or url)


def _name(value: Any) -> str | None:
    """A room or track: a string, or an object with a name (some exporters nest them)."""
    if isinstance(value, dict):
        value = value.get("name")
    return text(value, 200) or None


def _json_person(person: Any) -> tuple[str, list[str]]:
    """A person's display name and the handles their entry carries (answers, links, bio)."""
    if isinstance(person, str):
        return text(person, 200), []
    if not isinstance(person, dict):
        return "", []
    name = text(person.get("public_name") or person.get("name") or person.get("full_public_name"), 200)
    handles: list[str] = []
    for answer in person.get("answers") or []:
        handles += _answer_handles(answer)
    for link in person.get("links") or []:
        href = link.get("url") if isinstance(link, dict) else link
        handles += find_handles(href) if isinstance(href, str) else []
    handles += find_handles(plain(person.get("biography"), 5000))
    return name, list(dict.fromkeys(handles))


_HANDLE_QUESTIONS = ("mastodon", "fediverse", "fedi", "bluesky", "bsky", "handle", "social")


def _answer_handles(answer: Any) -> list[str]:
    """pretalx answers to questions such as "Your Mastodon handle?"; `@` may be left out."""
    if not isinstance(answer, dict) or not isinstance(answer.get("answer"), str):
        return []
    question = answer.get("question")
    question = question.get("question") if isinstance(question, dict) else question
    value = text(answer["answer"], 300)
    q = str(question or "").lower() if not isinstance(question, dict) else json.dumps(question).lower()
    if any(word in q for word in _HANDLE_QUESTIONS) and value and not value.startswith(("@", "http")):
        value = "@" + value  # a bare `ada@example.social` or `ada.bsky.social`
    return find_handles(value)


def _answers_hashtag(answers: Any) -> str | None:
    for answer in answers or []:
        if isinstance(answer, dict) and "hashtag" in json.dumps(answer.get("question", "")).lower():
            value = text(answer.get("answer"), 100).lstrip("#").lower()
            if value and value.replace("_", "").isalnum():
                return value
    return None


def _hashtag_field(ev: dict) -> str | None:
    value = ev.get("hashtag")
    if isinstance(value, str):
        value = text(value, 100).lstrip("#").lower()
        return value if value and value.replace("_", "").isalnum() else None
    return None


# --- frab XML -----------------------------------------------------------------------------

class _Refused(Exception):
    pass


def _refuse(*_args: Any) -> None:
    raise _Refused()


def safe_xml(data: bytes, ctx: Context) -> ET.Element:
    """Parse XML into an ElementTree, refusing DOCTYPE and entity declarations outright.

    expat feeds an `ElementTree.TreeBuilder`; a document type declaration stops the parse
    before any entity could be defined, so neither "billion laughs" expansion nor external
    entities can happen (stdlib only, no defusedxml needed).
    """
    builder = ET.TreeBuilder()
    parser = expat.ParserCreate()
    parser.StartDoctypeDeclHandler = _refuse
    parser.EntityDeclHandler = _refuse
    parser.UnparsedEntityDeclHandler = _refuse
    parser.ExternalEntityRefHandler = _refuse
    parser.StartElementHandler = builder.start
    parser.EndElementHandler = builder.end
    parser.CharacterDataHandler = builder.data
    parser.buffer_text = True
    try:
        parser.Parse(data, True)
        return builder.close()
    except _Refused:
        raise ctx.fail("XML with a DOCTYPE or entity declarations is refused (entity expansion is unsafe)") from None
    except expat.ExpatError as exc:
        raise ctx.fail(f"not well-formed XML ({expat.errors.messages[exc.code]}, line {exc.lineno})") from None


def read_xml(data: bytes, ctx: Context) -> Found:
    """frab's schedule.xml: <schedule><conference/><day><room name><event guid>..."""
    root = safe_xml(data, ctx)
    if root.tag != "schedule":
        raise ctx.fail(f"the root element is <{root.tag}>, not <schedule> (is this a frab schedule.xml?)")
    tz_name = (root.findtext("conference/time_zone_name") or "").strip()
    if tz_name:
        ctx.schedule_tz = zone(tz_name, ctx.name)
    found: Found = []
    for d, day in enumerate(root.iter("day"), 1):
        label = f"day {day.get('index') or d}"
        for room in day.findall("room"):
            room_name = room.get("name") or ""
            for e, event in enumerate(room.findall("event"), 1):
                where = f"{label}, room {room_name!r}, event {e}" + _titled(event.findtext("title"))
                try:
                    found.append((_xml_talk(event, day, room_name, ctx), where))
                except ItemError as exc:
                    ctx.problem(where, str(exc))
    return found


def _xml_talk(ev: ET.Element, day: ET.Element, room: str, ctx: Context) -> Fields:
    def child(tag: str) -> str:
        return (ev.findtext(tag) or "").strip()

    ident = ev.get("guid") or ev.get("id")
    if not ident:
        raise ItemError("missing 'guid'")
    for tag in ("title", "duration"):
        if not child(tag):
            raise ItemError(f"missing {tag!r}")
    if not child("date") and not child("start"):
        raise ItemError("missing 'start'")
    start = parse_start(child("date") or None, day.get("date"), child("start") or None, ctx.tz)
    names = [text(p.text, 200) for p in ev.iterfind("persons/person") if text(p.text, 200)]
    handles: list[str] = []
    for link in ev.iterfind("links/link"):
        handles += [h for h in find_handles(link.get("href") or "") if h not in handles]
    links = [(text(el.text, 200), el.get("href") or "")
             for el in [*ev.iterfind("links/link"), *ev.iterfind("attachments/attachment")]]
    return _talk(
        ident=ident, title=child("title"), subtitle=child("subtitle"), start=start,
        end=start + parse_duration(child("duration")),
        room=text(child("room") or room, 200) or None,
        track=text(child("track"), 200) or None, kind=text(child("type"), 200) or None,
        description=plain(child("abstract")) + "\n" + plain(child("description")),
        names=names, handles=handles, hashtags=[], url=child("url") or None, links=links,
        code=talk_code(child("code"), ev.get("id") if ev.get("guid") else None, child("url")),
    )


# --- iCalendar ----------------------------------------------------------------------------

def read_ical(data: bytes, ctx: Context) -> Found:
    """An .ics of the programme: one VEVENT per talk (pretalx, Sessionize, Indico, ...)."""
    try:
        cal = icalendar.Calendar.from_ical(data.decode("utf-8-sig", errors="replace"))
    except ValueError as exc:
        raise ctx.fail(f"not a valid iCalendar file ({_short(exc)})") from None
    declared = str(cal.get("X-WR-TIMEZONE") or "").strip()
    if declared:
        ctx.schedule_tz = zone(declared, ctx.name)
    pretalx = "pretalx" in str(cal.get("PRODID") or "").lower()
    found: Found = []
    for n, ev in enumerate(cal.walk("VEVENT"), 1):
        uid = text(str(ev.get("UID") or ""), 300)
        where = f"event {n}" + (f" (UID {uid!r})" if uid else "") + _titled(str(ev.get("SUMMARY") or ""))
        try:
            talk = _ical_talk(ev, uid, pretalx, ctx)
        except ItemError as exc:
            ctx.problem(where, str(exc))
            continue
        except ValueError as exc:  # icalendar's broken properties (InvalidCalendar is a ValueError)
            ctx.problem(where, _short(exc))
            continue
        if talk is None:
            ctx.warnings.append(f"{ctx.name}: {where}: an all-day entry, not a talk (skipped)")
        else:
            found.append((talk, where))
    _rooms_and_venue([fields for fields, _ in found])
    return found


def _rooms_and_venue(talks: list[Fields]) -> None:
    """Split "room, venue, city" LOCATIONs into the room and the venue they all share.

    Programmes often give each talk's `LOCATION` as "Sala Xochimilco, Foro Cultural
    Tacubaya, Ciudad de México". When the locations with commas name at least two different
    rooms and all end in the same parts, those parts are the venue: the room is what comes
    before them. A comma that belongs to a room's name ("Hall A, B" beside a plain "Hall C")
    is left alone: one location repeated is no evidence of a venue.
    """
    located = {f["room"] for f in talks if f["room"] and "," in f["room"]}
    if len(located) < 2:
        return
    parts = {loc: [p.strip() for p in loc.split(",")] for loc in located}
    shared = min(len(p) for p in parts.values()) - 1  # a room keeps at least one part
    while shared and len({tuple(p[-shared:]) for p in parts.values()}) > 1:
        shared -= 1
    if not shared:
        return
    rooms = {loc: ", ".join(p[:-shared]) for loc, p in parts.items()}
    if len(set(rooms.values())) < 2 or not all(rooms.values()):
        return
    venue = ", ".join(next(iter(parts.values()))[-shared:])
    for fields in talks:
        if fields["room"] in rooms:
            fields["room"], fields["venue"] = rooms[fields["room"]], venue or None


def _ical_talk(ev: Any, uid: str, pretalx: bool, ctx: Context) -> Fields | None:
    if not uid:
        raise ItemError("missing UID")
    summary = text(str(ev.get("SUMMARY") or ""))
    if not summary:
        raise ItemError("missing SUMMARY")
    if ev.get("DTSTART") is None:
        raise ItemError("missing DTSTART")
    begin = ev.get("DTSTART").dt
    if not isinstance(begin, datetime):
        return None
    start = utc(begin if begin.tzinfo else begin.replace(tzinfo=ctx.tz))
    if ev.get("DTEND") is not None:
        finish = ev.get("DTEND").dt
        if not isinstance(finish, datetime):
            raise ItemError("DTEND is a date but DTSTART a date-time")
        end = utc(finish if finish.tzinfo else finish.replace(tzinfo=ctx.tz))
    elif ev.get("DURATION") is not None and isinstance(ev.get("DURATION").dt, timedelta):
        end = start + ev.get("DURATION").dt
    else:
        raise ItemError("missing DTEND or DURATION")
    if end < start:
        raise ItemError("ends before it starts")
    description = plain(str(ev.get("DESCRIPTION") or ""))
    names, handles = _ical_people(ev)
    if pretalx and " - " in summary:
        # pretalx writes SUMMARY as "Title - Speaker A, Speaker B" and gives no attendees.
        summary, _, who = summary.rpartition(" - ")
        names += [n.strip() for n in who.split(",") if n.strip() and n.strip() not in names]
    track, kind = _categories(ev.get("CATEGORIES"), description)
    return _talk(
        ident=uid, title=summary, subtitle="", start=start, end=end,
        room=text(str(ev.get("LOCATION") or ""), 200) or None, track=track, kind=kind,
        description=description, names=names, handles=handles, hashtags=[],
        url=str(ev.get("URL") or "") or None, code=talk_code(None, None, str(ev.get("URL") or "")),
    )


def _ical_people(ev: Any) -> tuple[list[str], list[str]]:
    """Names (CN) and handles (profile URIs) of ATTENDEEs, else of the ORGANIZER."""
    names: list[str] = []
    handles: list[str] = []
    people = list(_as_list(ev.get("ATTENDEE"))) or list(_as_list(ev.get("ORGANIZER")))
    for person in people:
        handles += [h for h in find_handles(str(person)) if h not in handles]
        name = text(str(getattr(person, "params", {}).get("CN", "")), 200)
        if name and "@" not in name and name not in names:
            names.append(name)
    return names, handles


_KIND_WORDS = re.compile(r"(?i)\b(talks?|lightning|panel|workshop|keynote|tutorial|session|lecture|short talk"
                         r"|vortrag|podium|charla|taller|mesa[- ]redonda|conférence|atelier|table ronde|palestra"
                         r"|oficina|lezing|paneel|opening|closing|abertura|encerramento|apertura|clausura|cierre"
                         r"|relâmpago|relámpago)\b|ライトニング|基調|パネル|ワークショップ")
_LABEL_LINE = re.compile(r"(?im)^[ \t]*(track|type|format|kind|spur|formato|tipo|catégorie|categoria)[ \t]*:[ \t]*(.+)$")


def _categories(value: Any, description: str) -> tuple[str | None, str | None]:
    """(track, type) from CATEGORIES, else from "Track:" / "Type:" lines of the description."""
    cats = [name for cat in _as_list(value) for item in getattr(cat, "cats", []) or []
            if (name := text(str(item), 200))]
    kind = next((c for c in cats if _KIND_WORDS.search(c)), None)
    track = next((c for c in cats if c != kind), None)
    for label, rest in _LABEL_LINE.findall(description):
        if label.lower() in ("track", "spur") and not track:
            track = text(rest, 200) or None
        elif label.lower() not in ("track", "spur") and not kind:
            kind = text(rest, 200) or None
    return track, kind


def _as_list(value: Any) -> Iterator[Any]:
    if value is None:
        return iter(())
    return iter(value if isinstance(value, list) else [value])


def _short(exc: Exception) -> str:
    return " ".join(str(exc).split())[:200]

