"""The event config, `backchannel.toml`: read with tomllib, validated, never executed.

Every key, its type, default and meaning is declared once, in the dataclasses below; the
README's config reference and the starter file written by `backchannel init` say the same.
Errors name the file, the key and what is wrong. Secrets never live here: they come from
the environment (see `secrets()`).
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass, field, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backchannel.errors import ConfigError
from backchannel.models import utc
from backchannel.sanitize import safe_url
from backchannel.validate import RANGE, in_range

DEFAULT_CONFIG = "backchannel.toml"
DATA_DIR_NAME = ".backchannel"
SECRET_VARS = (
    "BACKCHANNEL_MASTODON_TOKEN",
    "BACKCHANNEL_BLUESKY_HANDLE",
    "BACKCHANNEL_BLUESKY_APP_PASSWORD",
)


@dataclass
class Event:
    name: str = "Untitled event"
    hashtags: list[str] = field(default_factory=list)  # lowercase, without '#'
    keywords: list[str] = field(default_factory=list)  # extra words that mark a blog entry as about the event
    timezone: str = "UTC"
    start: datetime | None = None  # aware, UTC
    end: datetime | None = None  # aware, UTC
    schedule: str | None = None  # path (resolved against the config's folder) or http(s) URL

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@dataclass
class MastodonSource:
    instances: list[str] = field(default_factory=list)  # base URLs, e.g. https://mastodon.social
    interval: int = 60  # seconds between polls in `run`
    timeout: float = 15.0  # seconds per request


JETSTREAM_INSTANCES = ("wss://jetstream1.us-east.bsky.network", "wss://jetstream2.us-east.bsky.network",
                       "wss://jetstream1.us-west.bsky.network", "wss://jetstream2.us-west.bsky.network")


@dataclass
class BlueskySource:
    service: str = "https://bsky.social"  # where to log in (XRPC base URL)
    interval: int = 60
    timeout: float = 15.0
    allow_adult: bool = False  # keep posts their author labelled adult (marked sensitive)
    # `run` reads these Jetstream instances (websocket URLs; [] = poll search instead).
    jetstream: list[str] = field(default_factory=lambda: list(JETSTREAM_INSTANCES))
    appview: str = "https://public.api.bsky.app"  # profiles, labels and counts, without a login
    replay_hours: float = 24.0  # a Jetstream cursor older than this is filled by search instead


@dataclass
class Feed:
    url: str
    all: bool = False  # the whole feed is about the event: keep every entry in the window
    name: str | None = None


@dataclass
class RssSource:
    feeds: list[Feed] = field(default_factory=list)
    opml: str | None = None  # an OPML file with more feeds (resolved against the config's folder)
    interval: int = 300
    timeout: float = 20.0
    max_bytes: int = 5_000_000  # a feed larger than this is skipped and reported


@dataclass
class Digest:
    title: str | None = None  # defaults to the event name
    output: Path = Path("output")
    base_url: str = ""  # where the digest will be published, for feed.xml links
    templates: Path | None = None  # a folder whose templates override the packaged ones
    refresh: int = 60  # seconds between digest refreshes in `run`
    allow_remote_media: bool = False  # load images and avatars from their servers


@dataclass
class Blocklist:
    accounts: list[str] = field(default_factory=list)  # handles, e.g. spam@example.social
    instances: list[str] = field(default_factory=list)  # domains
    words: list[str] = field(default_factory=list)  # posts containing any of these are hidden


@dataclass
class Consent:
    strict: bool = False  # collect only Mastodon accounts that opted in to search (`indexable`)


@dataclass
class Wall:
    posts: int = 30  # newest posts on the wall's screen
    poll: int = 10  # seconds between the wall's checks for new posts
    spotlight: int = 12  # seconds each spotlight (a top takeaway or open question) stays up
    show_replies: bool = False  # replies to other posts
    show_reposts: bool = False  # boosts and reposts
    show_content_warnings: bool = False  # posts behind a content warning
    show_sensitive: bool = False  # posts with media marked sensitive


MODERATION_MODES = ("post", "approve")


@dataclass
class Moderation:
    mode: str = "post"  # "post": everything shows until hidden; "approve": the wall waits for approval
    hold_account_days: int = 7  # approve mode: hold posts of accounts younger than this (0: off)
    hold_mentions: int = 5  # approve mode: hold posts mentioning this many accounts or more (0: off)
    hold_links: int = 3  # approve mode: hold posts with this many links or more (0: off)


@dataclass
class Config:
    path: Path | None
    data_dir: Path
    event: Event = field(default_factory=Event)
    mastodon: MastodonSource | None = None
    bluesky: BlueskySource | None = None
    rss: RssSource | None = None
    digest: Digest = field(default_factory=Digest)
    blocklist: Blocklist = field(default_factory=Blocklist)
    consent: Consent = field(default_factory=Consent)
    wall: Wall = field(default_factory=Wall)
    moderation: Moderation = field(default_factory=Moderation)

    @property
    def base_dir(self) -> Path:
        return self.path.parent if self.path else Path.cwd()


def secrets(environ: dict[str, str] | None = None) -> dict[str, str]:
    """The secrets that are set, by variable name; read from the environment only."""
    environ = os.environ if environ is None else environ
    return {name: environ[name] for name in SECRET_VARS if environ.get(name)}


def secret_values(environ: dict[str, str] | None = None) -> list[str]:
    """The secret strings themselves (tokens, passwords), to scrub from anything stored.

    `BACKCHANNEL_MASTODON_TOKEN` may hold `host=TOKEN` pairs: each token counts, the hosts
    do not. The Bluesky handle is not a secret (it is public). Very short values are left
    alone: scrubbing them would mangle ordinary words.
    """
    found = secrets(environ)
    values = []
    for name, value in found.items():
        if name == "BACKCHANNEL_BLUESKY_HANDLE":
            continue
        values.append(value.strip())
        if name == "BACKCHANNEL_MASTODON_TOKEN":
            values += [item.rpartition("=")[2] for item in value.replace(",", " ").split()]
    return sorted({v for v in values if len(v) >= 8}, key=len, reverse=True)


def check_output(output: Path, config: "Config") -> None:
    """Refuse a digest folder that would publish what must stay private.

    Everything in the output is published (and served by `serve`), so it must not be, hold
    or sit inside the data dir (the archive, with raw payloads), nor hold the config.
    Raises ConfigError with one line naming both folders.
    """
    out = Path(output).resolve()
    data = Path(config.data_dir).resolve()
    if out == data or data.is_relative_to(out) or out.is_relative_to(data):
        where = "is" if out == data else "contains" if data.is_relative_to(out) else "is inside"
        raise ConfigError(f"{output}: the digest output {where} the data dir {config.data_dir}; "
                          "choose another [digest] output or -o/--output (everything in it is published)")
    if config.path is not None and Path(config.path).resolve().is_relative_to(out):
        raise ConfigError(f"{output}: the digest output contains the config {config.path}; "
                          "choose another [digest] output or -o/--output (everything in it is published)")
    if out.exists() and not out.is_dir():
        raise ConfigError(f"{output}: the digest output is a file, not a folder")


def load(path: str | Path | None = None, data_dir: str | Path | None = None,
         required: bool = True) -> Config:
    """Load and validate a config file.

    With `required=False` a missing default config yields defaults (commands that only read
    the archive work without one); an explicitly named file must exist.
    """
    explicit = path is not None
    path = Path(path or DEFAULT_CONFIG)
    if not path.exists():
        if required or explicit:
            hint = "" if explicit else " (create one with `backchannel init`)"
            raise ConfigError(f"{path}: config file not found{hint}")
        base = Path.cwd()
        return Config(path=None, data_dir=_data_dir(data_dir, base))
    try:
        with path.open("rb") as fh:
            raw = tomllib.load(fh)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: not valid TOML: {exc}") from None
    except RecursionError:
        raise ConfigError(f"{path}: not valid TOML: nested too deeply") from None
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read: {exc.strerror}") from None
    return parse(raw, path.resolve(), data_dir)


def parse(raw: dict[str, Any], path: Path, data_dir: str | Path | None = None) -> Config:
    r = _Reader(path)
    r.only(raw, "", {"event", "sources", "digest", "blocklist", "consent", "wall", "moderation"})
    base = path.parent
    event = _event(r, r.table(raw, "event", required=True))
    sources = r.table(raw, "sources")
    r.only(sources, "sources", {"mastodon", "bluesky", "rss"})
    cfg = Config(
        path=path,
        data_dir=_data_dir(data_dir, base),
        event=event,
        mastodon=_mastodon(r, sources.get("mastodon")),
        bluesky=_bluesky(r, sources.get("bluesky")),
        rss=_rss(r, sources.get("rss")),
        digest=_digest(r, r.table(raw, "digest"), base),
        blocklist=_blocklist(r, r.table(raw, "blocklist")),
        consent=_consent(r, r.table(raw, "consent")),
        wall=_wall(r, r.table(raw, "wall")),
        moderation=_moderation(r, r.table(raw, "moderation")),
    )
    if cfg.rss and cfg.rss.opml:
        cfg.rss.opml = str(_resolve(base, cfg.rss.opml))
    if event.schedule and not safe_url(event.schedule):
        event.schedule = str(_resolve(base, event.schedule))
    return cfg


def _data_dir(value: str | Path | None, base: Path) -> Path:
    return Path(value) if value else base / DATA_DIR_NAME


def _resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


class _Reader:
    """Typed access to TOML tables with errors that name the file and the key."""

    def __init__(self, path: Path):
        self.path = path

    def fail(self, key: str, problem: str) -> ConfigError:
        return ConfigError(f"{self.path}: {key}: {problem}")

    def only(self, table: dict, name: str, allowed: set[str]) -> None:
        for key in table:
            if key not in allowed:
                where = f"[{name}] " if name else ""
                hint = ", ".join(sorted(allowed))
                raise self.fail(f"{where}{key}", f"unknown key (expected one of: {hint})")

    def table(self, raw: dict, name: str, required: bool = False) -> dict:
        value = raw.get(name)
        if value is None:
            if required:
                raise self.fail(f"[{name}]", "missing section")
            return {}
        if not isinstance(value, dict):
            raise self.fail(name, "must be a table")
        return value

    def get(self, table: dict, section: str, key: str, kind: type | tuple, default: Any) -> Any:
        if key not in table:
            return default
        value = table[key]
        ok = isinstance(value, kind) and not (isinstance(value, bool) and kind in (int, float, (int, float)))
        if not ok:
            raise self.fail(f"[{section}] {key}", f"must be {_describe(kind)}, got {value!r}")
        return value

    def strings(self, table: dict, section: str, key: str, default: list | None = None) -> list[str]:
        value = table.get(key, default if default is not None else [])
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise self.fail(f"[{section}] {key}", "must be a list of non-empty strings")
        return [v.strip() for v in value]

    def positive(self, table: dict, section: str, key: str, default: float) -> Any:
        value = self.get(table, section, key, (int, float), default)
        if value <= 0:
            raise self.fail(f"[{section}] {key}", f"must be greater than 0, got {value!r}")
        return value

    def url(self, value: str, key: str, base: bool = True) -> str:
        """An http(s) URL; a server's base URL (`base=True`) loses its trailing slash."""
        url = safe_url(value)
        if not url:
            raise self.fail(key, f"not an http(s) URL: {value!r}")
        return url.rstrip("/") if base else url


def _describe(kind: type | tuple) -> str:
    names = {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
             list: "a list", dict: "a table"}
    if isinstance(kind, tuple):
        return "a number" if set(kind) == {int, float} else " or ".join(names[k] for k in kind)
    return names.get(kind, kind.__name__)


def _event(r: _Reader, t: dict) -> Event:
    s = "event"
    r.only(t, s, {"name", "hashtags", "keywords", "timezone", "start", "end", "schedule"})
    name = r.get(t, s, "name", str, None)
    if not name or not name.strip():
        raise r.fail("[event] name", "missing (the event's name, shown on the digest)")
    if "hashtags" not in t:
        raise r.fail("[event] hashtags", "missing (a list such as [\"pycon2026\"])")
    tags = [h.lstrip("#").lower() for h in r.strings(t, s, "hashtags")]
    if not tags:
        raise r.fail("[event] hashtags", "needs at least one hashtag")
    for tag in tags:
        if not tag or any(c.isspace() or c in "#,/" for c in tag):
            raise r.fail("[event] hashtags", f"not a hashtag: {tag!r}")
    tz_name = r.get(t, s, "timezone", str, "UTC")
    try:
        tz = ZoneInfo(tz_name)
    except (ZoneInfoNotFoundError, ValueError):
        raise r.fail("[event] timezone", f"unknown time zone {tz_name!r} (use a name like \"Europe/Berlin\")") from None
    start = _moment(r, t.get("start"), "[event] start", tz, end_of_day=False)
    end = _moment(r, t.get("end"), "[event] end", tz, end_of_day=True)
    if start and end and end <= start:
        raise r.fail("[event] end", "must be after [event] start")
    return Event(
        name=name.strip(),
        hashtags=list(dict.fromkeys(tags)),
        keywords=r.strings(t, s, "keywords"),
        timezone=tz_name,
        start=start,
        end=end,
        schedule=r.get(t, s, "schedule", str, None) or None,
    )


def _moment(r: _Reader, value: Any, key: str, tz: ZoneInfo, end_of_day: bool) -> datetime | None:
    """A date or datetime in the event's time zone, as UTC. A date means the whole day."""
    if value is None:
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value or " " in value \
                else date.fromisoformat(value)
        except ValueError:
            raise r.fail(key, f"not a date or date-time: {value!r} (use 2026-09-01 or 2026-09-01T09:00)") from None
    try:
        if isinstance(value, datetime):
            moment = utc(value if value.tzinfo else value.replace(tzinfo=tz))
        elif isinstance(value, date):
            day = value + timedelta(days=1) if end_of_day else value
            moment = utc(datetime.combine(day, time(0), tzinfo=tz))
        else:
            raise r.fail(key, f"must be a date or date-time, got {value!r}")
    except OverflowError:
        moment = None
    if moment is None or not in_range(moment):
        raise r.fail(key, f"{value} is out of range (use a date from {RANGE})")
    return moment


def _mastodon(r: _Reader, t: Any) -> MastodonSource | None:
    if t is None:
        return None
    s = "sources.mastodon"
    if not isinstance(t, dict):
        raise r.fail(f"[{s}]", "must be a table")
    r.only(t, s, {"instances", "interval", "timeout"})
    instances = [r.url(u, f"[{s}] instances") for u in r.strings(t, s, "instances")]
    if not instances:
        raise r.fail(f"[{s}] instances", "needs at least one server, e.g. [\"https://mastodon.social\"]")
    return MastodonSource(
        instances=list(dict.fromkeys(instances)),
        interval=int(r.positive(t, s, "interval", 60)),
        timeout=float(r.positive(t, s, "timeout", 15.0)),
    )


def _bluesky(r: _Reader, t: Any) -> BlueskySource | None:
    if t is None:
        return None
    s = "sources.bluesky"
    if not isinstance(t, dict):
        raise r.fail(f"[{s}]", "must be a table")
    r.only(t, s, {"service", "interval", "timeout", "allow_adult", "jetstream", "appview", "replay_hours"})
    return BlueskySource(
        service=r.url(r.get(t, s, "service", str, "https://bsky.social"), f"[{s}] service"),
        interval=int(r.positive(t, s, "interval", 60)),
        timeout=float(r.positive(t, s, "timeout", 15.0)),
        allow_adult=r.get(t, s, "allow_adult", bool, False),
        jetstream=[_websocket_url(r, u, f"[{s}] jetstream")
                   for u in r.strings(t, s, "jetstream", list(JETSTREAM_INSTANCES))],
        appview=r.url(r.get(t, s, "appview", str, "https://public.api.bsky.app"), f"[{s}] appview"),
        replay_hours=float(r.positive(t, s, "replay_hours", 24.0)),
    )


def _websocket_url(r: _Reader, value: str, key: str) -> str:
    """A ws:// or wss:// URL (a Jetstream instance), without a trailing slash."""
    parts = urlsplit(value)
    if parts.scheme not in ("ws", "wss") or not parts.netloc or parts.query or parts.fragment:
        raise r.fail(key, f"not a websocket URL (wss://host): {value!r}")
    return value.rstrip("/")


def _rss(r: _Reader, t: Any) -> RssSource | None:
    if t is None:
        return None
    s = "sources.rss"
    if not isinstance(t, dict):
        raise r.fail(f"[{s}]", "must be a table")
    r.only(t, s, {"feeds", "opml", "interval", "timeout", "max_bytes"})
    raw_feeds = t.get("feeds", [])
    if not isinstance(raw_feeds, list):
        raise r.fail(f"[{s}] feeds", "must be a list of URLs or tables {url = ..., all = true}")
    feeds = []
    for i, item in enumerate(raw_feeds, 1):
        key = f"[{s}] feeds[{i}]"
        if isinstance(item, str):
            feeds.append(Feed(url=r.url(item, key, base=False)))
        elif isinstance(item, dict):
            r.only(item, f"{s}.feeds[{i}]", {"url", "all", "name"})
            if not isinstance(item.get("url"), str):
                raise r.fail(f"{key} url", "missing")
            feeds.append(Feed(url=r.url(item["url"], f"{key} url", base=False),
                              all=r.get(item, f"{s}.feeds[{i}]", "all", bool, False),
                              name=r.get(item, f"{s}.feeds[{i}]", "name", str, None)))
        else:
            raise r.fail(key, "must be a URL or a table {url = ..., all = true}")
    opml = r.get(t, s, "opml", str, None)
    if not feeds and not opml:
        raise r.fail(f"[{s}]", "needs `feeds` or `opml`")
    return RssSource(
        feeds=feeds,
        opml=opml,
        interval=int(r.positive(t, s, "interval", 300)),
        timeout=float(r.positive(t, s, "timeout", 20.0)),
        max_bytes=int(r.positive(t, s, "max_bytes", 5_000_000)),
    )


def _digest(r: _Reader, t: dict, base: Path) -> Digest:
    s = "digest"
    r.only(t, s, {"title", "output", "base_url", "templates", "refresh", "allow_remote_media"})
    base_url = r.get(t, s, "base_url", str, "")
    if base_url:
        base_url = r.url(base_url, "[digest] base_url", base=False)
    templates = r.get(t, s, "templates", str, None)
    if templates:
        templates_path = _resolve(base, templates)
        if not templates_path.is_dir():
            raise r.fail("[digest] templates", f"not a folder: {templates_path}")
    return Digest(
        title=r.get(t, s, "title", str, None),
        output=_resolve(base, r.get(t, s, "output", str, "output")),
        base_url=base_url,
        templates=_resolve(base, templates) if templates else None,
        refresh=int(r.positive(t, s, "refresh", 60)),
        allow_remote_media=r.get(t, s, "allow_remote_media", bool, False),
    )


def _blocklist(r: _Reader, t: dict) -> Blocklist:
    s = "blocklist"
    r.only(t, s, {"accounts", "instances", "words"})
    return Blocklist(
        accounts=[a.lstrip("@").lower() for a in r.strings(t, s, "accounts")],
        instances=[i.lower() for i in r.strings(t, s, "instances")],
        words=[w.lower() for w in r.strings(t, s, "words")],
    )


def _consent(r: _Reader, t: dict) -> Consent:
    r.only(t, "consent", {"strict"})
    return Consent(strict=r.get(t, "consent", "strict", bool, False))


def _wall(r: _Reader, t: dict) -> Wall:
    s = "wall"
    r.only(t, s, {f.name for f in fields(Wall)})
    flags = {name: r.get(t, s, name, bool, False) for name in
             ("show_replies", "show_reposts", "show_content_warnings", "show_sensitive")}
    return Wall(posts=int(r.positive(t, s, "posts", 30)), poll=int(r.positive(t, s, "poll", 10)),
                spotlight=int(r.positive(t, s, "spotlight", 12)), **flags)


def _moderation(r: _Reader, t: dict) -> Moderation:
    s = "moderation"
    r.only(t, s, {f.name for f in fields(Moderation)})
    mode = r.get(t, s, "mode", str, "post")
    if mode not in MODERATION_MODES:
        raise r.fail("[moderation] mode", f"must be \"post\" or \"approve\", got {mode!r}")
    limits = {}
    for name, default in (("hold_account_days", 7), ("hold_mentions", 5), ("hold_links", 3)):
        value = r.get(t, s, name, int, default)
        if value < 0:
            raise r.fail(f"[moderation] {name}", f"must be 0 (off) or more, got {value!r}")
        limits[name] = value
    return Moderation(mode=mode, **limits)
