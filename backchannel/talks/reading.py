"""What the schedule readers share: the reading context, its errors, and the parsers of one
entry's fields (times, durations, plain text, speaker handles, hashtags, people).

`backchannel.talks.formats` reads each format with these; `backchannel.talks.programme`
turns what the readers found into `Talk`s. Both import this module, and it imports neither.
"""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backchannel.errors import InputError
from backchannel.models import utc
from backchannel.sanitize import clean_text, html_to_text


class ScheduleError(InputError):
    """A schedule that cannot be read; the message names the file (or URL) and the item."""


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
_PROFILE_PART = re.compile(r"/@|/users/|bsky\.app/profile/", re.I)  # what either URL pattern needs
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

    # The profile URLs' patterns need "://" and "/@", "/users/" or "bsky.app/profile/"; the handles'
    # an "@": skip what cannot match (most links).
    url = "://" in value and _PROFILE_PART.search(value) is not None
    for m in _FEDI_URL.finditer(value) if url else ():
        host = m.group(1).lower().removeprefix("www.")
        if host not in _NOT_FEDI_HOSTS:
            add(f"{m.group(2).rstrip('.-')}@{host}")  # "find me at https://host/@ada." ends a sentence
    for m in _BSKY_URL.finditer(value) if url else ():
        add(m.group(1))
    rest = _FEDI_URL.sub(" ", _BSKY_URL.sub(" ", value)) if url else value
    if "@" not in rest:
        return found
    for m in _FEDI.finditer(rest):
        add(f"{m.group(1)}@{m.group(2)}")
    for m in _BSKY.finditer(_FEDI.sub(" ", rest)):
        add(m.group(1))
    return found


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
