"""The event's schedule: talks read from pretalx/frab JSON, frab XML or iCalendar.

    schedule = load_schedule("schedule.json", tz="Europe/Berlin")
    for talk in schedule.talks:
        print(talk.id, talk.title, talk.start, talk.room, talk.speakers)

All three formats become the same `Talk` record (times as aware UTC datetimes, `day` the
local date in the event's time zone). A schedule is untrusted input like any feed: every
string goes through the sanitiser, XML is parsed with DOCTYPE and entity declarations
refused, and a bad file or item raises `ScheduleError` naming the file and the item, e.g.
``schedule.json: day 2, room 'Hall A', event 3: missing 'start'``. With `strict=False` a bad
talk is skipped and reported in `Schedule.warnings` instead, so one half-edited talk in a
live schedule does not stop a running collector.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from backchannel.sanitize import safe_url
from backchannel.talks import formats
from backchannel.talks.reading import Context, ScheduleError, zone

MAX_BYTES = 20_000_000  # a schedule larger than this is refused (a conference's is < 2 MB)


@dataclass
class Speaker:
    """A speaker as the programme presents them (pretalx/frab JSON carry bios and links)."""

    name: str
    bio: str = ""  # plain text, bounded
    handles: list[str] = field(default_factory=list)  # user@server, name.bsky.social
    links: list[str] = field(default_factory=list)  # http(s) URLs only (safe_url)


@dataclass
class Link:
    """A link the programme gives a talk: slides, a recording, a repository (title, URL)."""

    title: str
    url: str  # http(s) only (safe_url), relative ones resolved against the talk's page


@dataclass
class Talk:
    """One talk (or session) of the schedule."""

    id: str  # the frab/pretalx `guid` (or `id` when there is none), the iCalendar UID
    title: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    room: str | None = None
    venue: str | None = None  # what an iCalendar LOCATION says after the room ("Foro Cultural Tacubaya, Ciudad de México")
    track: str | None = None
    speakers: list[str] = field(default_factory=list)  # display names
    speaker_handles: list[str] = field(default_factory=list)  # user@server (fediverse), name.bsky.social
    hashtag: str | None = None  # the talk's own hashtag ("Hashtag: #x", a field), lowercase, without '#'
    url: str | None = None
    day: date | None = None  # local date of `start` in the event's time zone
    subtitle: str = ""
    abstract: str = ""  # abstract and description, plain text (bounded)
    kind: str | None = None  # the programme's type: "Talk", "Lightning talks", "Panel", ...
    hashtags: list[str] = field(default_factory=list)  # every hashtag its entry uses, `hashtag` first
    code: str | None = None  # the short name organisers use: pretalx's code (PERF01), else frab's id (101)
    people: list[Speaker] = field(default_factory=list)  # the speakers with bio and links, when given
    links: list[Link] = field(default_factory=list)  # the programme's links and attachments

    @property
    def location(self) -> str | None:
        """Where the talk is, in full: the room and its venue, as the programme gave them."""
        return ", ".join(x for x in (self.room, self.venue) if x) or None


@dataclass
class Schedule:
    talks: list[Talk]  # sorted by start, then room
    name: str  # the file name or URL, as used in messages
    timezone: str | None = None  # the zone the schedule declares, if any
    warnings: list[str] = field(default_factory=list)  # bad talks skipped (strict=False)

    def summary(self) -> str:
        """What was read, for the organiser: `schedule.json: 24 talks, 3 rooms, 2 days; 1 skipped:
        day 1, room 'Hall A', event 3 'Talk X': missing 'start'`."""
        rooms = {t.room for t in self.talks if t.room}
        days = {t.day for t in self.talks if t.day}
        line = (f"{self.name}: {_count(len(self.talks), 'talk')}, {_count(len(rooms), 'room')}, "
                f"{_count(len(days), 'day')}")
        if not self.talks:
            line += " (no talks found: is it the programme's schedule export?)"
        skipped = [w.removeprefix(f"{self.name}: ").removesuffix(" (skipped)") for w in self.warnings]
        if skipped:
            shown = "; ".join(skipped[:3]) + (f"; … and {len(skipped) - 3} more" if len(skipped) > 3 else "")
            line += f"; {len(skipped)} skipped: {shown}"
        return line


def _count(n: int, noun: str) -> str:
    return f"{n} {noun}{'' if n == 1 else 's'}"


def load_schedule(source: str | Path | bytes, tz: str | ZoneInfo | None = None, *,
                  name: str | None = None, strict: bool = True, timeout: float = 20.0) -> Schedule:
    """Read a schedule from a path, an http(s) URL or bytes; the format is detected.

    `tz` is the event's time zone (the config's `[event] timezone`): it decides each talk's
    `day` and reads local times in a schedule that declares no zone of its own.
    """
    if isinstance(source, (bytes, bytearray)):
        return parse_schedule(bytes(source), name or "schedule", tz, strict=strict)
    text = str(source)
    url = safe_url(text) if text.lower().startswith(("http://", "https://")) else None
    if url:
        return parse_schedule(_fetch(url, timeout), name or url, tz, strict=strict)
    path = Path(text)
    label = name or path.name
    try:
        if path.stat().st_size > MAX_BYTES:
            raise ScheduleError(f"{label}: larger than {MAX_BYTES // 1_000_000} MB, not read")
        data = path.read_bytes()
    except FileNotFoundError:
        raise ScheduleError(f"{path}: schedule file not found") from None
    except OSError as exc:
        raise ScheduleError(f"{path}: cannot read the schedule: {exc.strerror}") from None
    return parse_schedule(data, label, tz, strict=strict)


def parse_schedule(data: bytes, name: str, tz: str | ZoneInfo | None = None, *,
                   strict: bool = True) -> Schedule:
    """Parse schedule bytes (pretalx/frab JSON, frab XML or iCalendar) into talks."""
    event_tz = zone(tz, name) if tz else None
    head = data.lstrip(b"\xef\xbb\xbf \t\r\n")[:64].lower()
    if head.startswith((b"{", b"[")):
        reader = formats.read_json
    elif head.startswith(b"begin:vcalendar"):
        reader = formats.read_ical
    elif head.startswith(b"<"):
        reader = formats.read_xml
    else:
        raise ScheduleError(f"{name}: not a pretalx/frab JSON, frab XML or iCalendar schedule")
    ctx = Context(name=name, event_tz=event_tz, strict=strict)
    try:
        talks = reader(data, ctx)
    except RecursionError:  # json.loads and the readers recurse: `[[[[…` a million deep
        raise ScheduleError(f"{name}: nested too deeply to be a schedule") from None
    seen: dict[str, str] = {}
    unique = []
    for fields, where in talks:
        people = [Speaker(**p) for p in fields.pop("people", [])]
        links = [Link(*pair) for pair in fields.pop("links", [])]
        talk = Talk(**fields, people=people, links=links)
        if talk.id in seen:
            ctx.problem(where, f"the id {talk.id!r} is used twice (also by {seen[talk.id]})")
            continue
        seen[talk.id] = where
        talk.day = talk.start.astimezone(event_tz or ctx.schedule_tz or timezone.utc).date()
        unique.append(talk)
    unique.sort(key=lambda t: (t.start, t.room or "", t.title))
    return Schedule(unique, name, ctx.schedule_tz.key if ctx.schedule_tz else None, ctx.warnings)


def _fetch(url: str, timeout: float) -> bytes:
    """GET a schedule over http(s), bounded in time and size."""
    import httpx  # only needed for schedules given as URLs

    try:
        with httpx.stream("GET", url, timeout=timeout, follow_redirects=True,
                          headers={"Accept": "application/json, text/xml, text/calendar;q=0.9, */*;q=0.5"}) as resp:
            if resp.status_code >= 400:
                raise ScheduleError(f"{url}: cannot fetch the schedule: HTTP {resp.status_code}")
            body = bytearray()
            for chunk in resp.iter_bytes():
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ScheduleError(f"{url}: larger than {MAX_BYTES // 1_000_000} MB, not read")
            return bytes(body)
    except httpx.HTTPError as exc:
        raise ScheduleError(f"{url}: cannot fetch the schedule: {type(exc).__name__}: {exc}") from None
