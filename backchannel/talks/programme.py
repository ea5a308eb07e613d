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

import re
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backchannel.errors import InputError
from backchannel.models import utc
from backchannel.sanitize import clean_text, html_to_text, safe_url

MAX_BYTES = 20_000_000  # a schedule larger than this is refused (a conference's is < 2 MB)


class ScheduleError(InputError):
    """A schedule that cannot be read; the message names the file (or URL) and the item."""


@dataclass
class Talk:
    """One talk (or session) of the schedule."""

    id: str  # the frab/pretalx `guid` (or `id` when there is none), the iCalendar UID
    title: str
    start: datetime  # aware, UTC
    end: datetime  # aware, UTC
    room: str | None = None
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
    # The readers build `Talk`s, so they import this module: import them here, not on top.
    from backchannel.talks import formats

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
    for talk, where in talks:
        if talk.id in seen:
            ctx.problem(where, f"the id {talk.id!r} is used twice (also by {seen[talk.id]})")
            continue
        seen[talk.id] = where
        talk.day = talk.start.astimezone(event_tz or ctx.schedule_tz or timezone.utc).date()
        unique.append(talk)
    unique.sort(key=lambda t: (t.start, t.room or "", t.title))
    return Schedule(unique, name, ctx.schedule_tz.key if ctx.schedule_tz else None, ctx.warnings)


class Context:
    """What a reader needs while it goes: names for messages, time zones, strictness."""

    def __init__(self, name: str, event_tz: ZoneInfo | None, strict: bool):
        self.name = name
        self.event_tz = event_tz
        self.schedule_tz: ZoneInfo | None = None  # set by a reader when the file declares one
        self.strict = strict
        self.warnings: list[str] = []

    @property
    def tz(self) -> ZoneInfo | timezone:
        """The zone for local times the schedule writes without an offset."""
        return self.schedule_tz or self.event_tz or timezone.utc

    def fail(self, problem: str) -> ScheduleError:
        return ScheduleError(f"{self.name}: {problem}")

    def problem(self, where: str, problem: str) -> None:
        """A bad item: raise in strict mode, else remember a warning and go on."""
        message = f"{self.name}: {where}: {problem}"
        if self.strict:
            raise ScheduleError(message)
        self.warnings.append(message + " (skipped)")


class ItemError(ValueError):
    """Raised by a reader's per-talk code; turned into `Context.problem` with its location."""


def zone(value: str | ZoneInfo, name: str) -> ZoneInfo:
    if isinstance(value, ZoneInfo):
        return value
    try:
        return ZoneInfo(str(value))
    except (ZoneInfoNotFoundError, ValueError):
        raise ScheduleError(f"{name}: unknown time zone {value!r}") from None


def parse_duration(value: object) -> timedelta:
    """frab durations: `00:45`, `1:30`, `01:30:00`; also ISO 8601 `PT45M`."""
    text = value.strip() if isinstance(value, str) else ""
    m = re.fullmatch(r"(\d{1,3}):(\d{2})(?::(\d{2}))?", text)
    if m and int(m.group(2)) < 60:
        hours, minutes, seconds = (int(g or 0) for g in m.groups())
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    m = re.fullmatch(r"PT(?:(\d+)H)?(?:(\d+)M)?(?:(\d+)S)?", text, re.I)
    if m and any(m.groups()):
        hours, minutes, seconds = (int(g or 0) for g in m.groups())
        return timedelta(hours=hours, minutes=minutes, seconds=seconds)
    raise ItemError(f"'duration' is not a duration like 00:45: {value!r}")


def parse_start(when: object, day: object, hhmm: object, tz: ZoneInfo | timezone) -> datetime:
    """A talk's start from frab fields: a full `date` timestamp, else the day's date + `start`."""
    if isinstance(when, str) and len(when.strip()) > 10:  # a date and time ("T" or " " between)
        try:
            dt = datetime.fromisoformat(when.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ItemError(f"'date' is not an ISO 8601 time: {when!r}") from None
        return utc(dt if dt.tzinfo else dt.replace(tzinfo=tz))
    base = when if isinstance(when, str) and when.strip() else day
    if hhmm in (None, ""):
        raise ItemError("missing 'start'")
    try:
        d = date.fromisoformat(str(base).strip()[:10])
    except ValueError:
        raise ItemError(f"no date for the talk (day date {base!r})") from None
    m = re.fullmatch(r"(\d{1,2}):(\d{2})(?::\d{2})?", str(hhmm).strip())
    if not m or int(m.group(1)) > 23 or int(m.group(2)) > 59:
        raise ItemError(f"'start' is not a time like 10:30: {hhmm!r}")
    return utc(datetime(d.year, d.month, d.day, int(m.group(1)), int(m.group(2)), tzinfo=tz))


def text(value: object, limit: int = 500) -> str:
    """A schedule string made safe: plain, one line, bounded."""
    return clean_text(value, limit) if isinstance(value, str) else ""


# --- speaker handles and talk hashtags --------------------------------------------------

_DOMAIN = r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}"
_FEDI = re.compile(rf"(?<![\w@/.])@([a-z0-9_](?:[a-z0-9_.-]{{0,63}}[a-z0-9_])?)@({_DOMAIN})(?![\w-]|\.\w)", re.I)
_BSKY = re.compile(rf"(?<![\w@/.])@({_DOMAIN})(?![\w@-]|\.\w)", re.I)
_FEDI_URL = re.compile(rf"https?://({_DOMAIN})/(?:@|users/)([a-z0-9_.-]+)", re.I)
_BSKY_URL = re.compile(rf"https?://bsky\.app/profile/({_DOMAIN})", re.I)
_HASHTAG_LINE = re.compile(r"(?im)^[ \t]*(?:hashtag|talk hashtag|tag)[ \t]*:[ \t]*#?([^\W_][\w]{1,60})")
_NOT_HANDLE_TLDS = {"png", "jpg", "jpeg", "gif", "html", "htm", "pdf", "svg", "webp"}
# Sites with /@name profile URLs that are not fediverse servers.
_NOT_FEDI_HOSTS = {"youtube.com", "m.youtube.com", "medium.com", "tiktok.com", "threads.net",
                   "threads.com", "substack.com", "flickr.com", "npmjs.com", "figma.com"}


def find_handles(value: str) -> list[str]:
    """Fediverse (`user@server`) and Bluesky (`name.bsky.social`) handles in a text or URL.

    Handles are written `@user@server` or `@name.domain`, or as profile URLs
    (`https://server/@user`, `https://bsky.app/profile/name`). Returned lowercase, no `@`.
    """
    found: list[str] = []

    def add(handle: str) -> None:
        handle = handle.lower().rstrip(".")
        if handle.rsplit(".", 1)[-1] not in _NOT_HANDLE_TLDS and handle not in found:
            found.append(handle)

    for m in _FEDI_URL.finditer(value):
        host = m.group(1).lower().removeprefix("www.")
        if host not in _NOT_FEDI_HOSTS:
            add(f"{m.group(2).rstrip('.-')}@{host}")  # "find me at https://host/@ada." ends a sentence
    for m in _BSKY_URL.finditer(value):
        add(m.group(1))
    rest = _FEDI_URL.sub(" ", _BSKY_URL.sub(" ", value))
    for m in _FEDI.finditer(rest):
        add(f"{m.group(1)}@{m.group(2)}")
    for m in _BSKY.finditer(_FEDI.sub(" ", rest)):
        add(m.group(1))
    return found


_PRETALX_CODE = re.compile(r"/talk/([A-Za-z0-9]{4,12})/?(?:[?#].*)?$")


def talk_code(code: object, number: object, url: object) -> str | None:
    """The name organisers call a talk by: pretalx's `code` (or the one in its `/talk/CODE/`
    URL), else the frab/pretalx numeric `id`."""
    if isinstance(code, str) and code.strip():
        return text(code, 40) or None
    m = _PRETALX_CODE.search(url) if isinstance(url, str) else None
    if m:
        return m.group(1)
    if isinstance(number, (int, str)) and not isinstance(number, bool) and str(number).strip():
        return text(str(number), 40) or None
    return None


def find_talk_hashtag(value: str) -> str | None:
    """A talk's own hashtag when its description says so (`Hashtag: #vecscale`)."""
    m = _HASHTAG_LINE.search(value or "")
    return m.group(1).lower() if m else None


_PROSE_TAG = re.compile(r"(?<![\w&#/])#([^\W\d_]\w{1,60})")
_URLS = re.compile(r"https?://\S+", re.I)


def find_hashtags(value: str) -> list[str]:
    """Every hashtag a programme text uses, the labelled one (`Hashtag: #x`) first.

    Abstracts say "follow along with #tag" as often as they have a `Hashtag:` line. Tags
    in links (`/page#section`) and HTML entities are not hashtags. Lowercase, no `#`.
    """
    found = [find_talk_hashtag(value)] if find_talk_hashtag(value) else []
    for m in _PROSE_TAG.finditer(_URLS.sub(" ", value or "")):
        tag = m.group(1).lower()
        if tag not in found:
            found.append(tag)
    return found


# A line naming the talk's people: "Speaker(s): Ada Lovelace (@ada@example.social), Grace".
_PEOPLE_LABELS = re.compile(
    r"(?i)^\W*(speakers?|speaker\(s\)|presenters?|presenter\(s\)|presented by|hosts?|hosted by"
    r"|moderators?|moderated by|panell?ists?|with|by|people|persons|authors?"
    r"|referent(?:in|en|innen)?|sprecher(?:in|innen)?|vortragende|redner(?:in)?|mit|von"
    r"|ponentes?|oradore?s?|orador(?:a|as)?|conferenciantes?|con|por|intervenant(?:e|s|es)?"
    r"|orat(?:eur|rice)s?|conférenci(?:er|ère)s?|avec|par|palestrantes?|apresentado por"
    r"|sprekers?|door|登壇者|講演者|スピーカー|発表者)\s*[:：]\s*(.+)$")
_NAME_SPLIT = re.compile(r"\s*(?:[,;/&+]|\band\b|\bund\b|\by\b|\bet\b|\be\b|\ben\b|、)\s*")
_IN_PARENS = re.compile(r"\([^)]*\)|\[[^\]]*\]")


def find_people(value: str) -> tuple[list[str], list[str]]:
    """Names and handles on "Speakers: ..." lines of a description (any supported language).

    Returns (names, handles); handles found elsewhere in the text are not included here.
    """
    names: list[str] = []
    handles: list[str] = []
    for line in (value or "").splitlines():
        m = _PEOPLE_LABELS.match(line.strip())
        if not m:
            continue
        rest = m.group(2)
        handles += [h for h in find_handles(rest) if h not in handles]
        rest = _URLS.sub(" ", _IN_PARENS.sub(" ", rest))
        for part in _NAME_SPLIT.split(rest):
            name = text(re.sub(r"(?<![\w])@\S+", " ", part).strip(" -–—:.\t"), 200)
            if name and 1 <= len(name.split()) <= 5 and name not in names:
                names.append(name)
    return names, handles


def plain(value: object, limit: int = 20_000) -> str:
    """Multi-line plain text of an HTML or text description (for handles and hashtags)."""
    return html_to_text(value[:limit]) if isinstance(value, str) else ""


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
