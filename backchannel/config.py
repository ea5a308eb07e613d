"""The event config, `backchannel.toml`: read with tomllib, validated, never executed.

Every key is declared once, below: a field of its table's dataclass, with its type, default,
help and checks (the kinds of value are in `config_keys.py`). Reading a file, its error
messages (file, table, key, what is allowed), `init`'s commented starter (`starter()`) and
the README's reference table (`reference()`, checked by tests/test_docs.py) all come from
these declarations. Secrets never live here: they come from the environment (`secrets()`).
"""

from __future__ import annotations

import os
import textwrap
import tomllib
from dataclasses import MISSING, dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, Callable
from zoneinfo import ZoneInfo

from backchannel.config_keys import (Choice, Count, FilePath, Flag, Folder, Hashtags, Key, Moment, PathOrUrl,
                                     Positive, ServerUrls, Strings, Tables, Text, TimeZone, Url, WebsocketUrls, Where, check_url,
                                     keys, only, read_table, table, toml_value)
from backchannel.errors import ConfigError
from backchannel.names import BLUESKY_APP_PASSWORD, BLUESKY_HANDLE, MASTODON_TOKEN, SECRET_VARS

DEFAULT_CONFIG = "backchannel.toml"
DATA_DIR_NAME = ".backchannel"
MODERATION_MODES = ("post", "approve")
WIDTH = 100  # of the starter's lines


@table
class Event:
    name: str = Text("Untitled event", "the event's name", example="My Conference 2026",
                     required="missing (the event's name, shown on the digest)")
    hashtags: list[str] = Hashtags(  # lowercase, without '#'
        "list of hashtags, with or without `#`, any case", each=lambda tag: tag.lstrip("#").lower(),
        example=["myconf", "#MyConf2026"], required="missing (a list such as [\"pycon2026\"])")
    keywords: list[str] = Strings("more words that mark a blog entry as about the event")
    organisers: list[str] = Strings(
        "the event's own accounts (`name@server`, a Bluesky handle): links they post about a talk "
        "(recording, slides) become the talk's materials, as the speakers' do",
        each=lambda handle: handle.lstrip("@").lower(), hint=["myconf@chaos.social", "myconf.bsky.social"])
    timezone: str = TimeZone("UTC", "IANA name; dates in the config, in `search` and in the digest are in "
                             "this zone", example="Europe/Berlin")
    start: datetime | None = Moment(  # aware, UTC
        "a date (the whole day) or a date-time like 2026-09-01T09:00; collection backfills to `start`",
        end_of_day=False, example=date(2026, 9, 1))
    end: datetime | None = Moment("a date (the whole day) or a date-time; after `start`", end_of_day=True,
                                  after="start", example=date(2026, 9, 2))
    schedule: str | None = PathOrUrl(
        None, "the talks: pretalx/frab JSON, frab XML or iCalendar; a path relative to the config, or a URL",
        hint="schedule.json")

    @property
    def tz(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@table
class MastodonSource:
    instances: list[str] = ServerUrls(
        "server base URLs (each sees the posts its users follow: two or three big servers plus the "
        "community's own catch most of a hashtag)", example=["https://mastodon.social"],
        required="needs at least one server, e.g. [\"https://mastodon.social\"]")
    interval: int = Positive(60, "seconds between polls in `run`")
    timeout: float = Positive(15.0, "seconds per request")


JETSTREAM_INSTANCES = ("wss://jetstream1.us-east.bsky.network", "wss://jetstream2.us-east.bsky.network",
                       "wss://jetstream1.us-west.bsky.network", "wss://jetstream2.us-west.bsky.network")


@table
class BlueskySource:
    service: str = Url("https://bsky.social", "where to log in (XRPC base URL)", base=True)
    interval: int = Positive(60, "seconds between polls")
    timeout: float = Positive(15.0, "seconds per request")
    allow_adult: bool = Flag(False, "keep posts their author labelled adult (then shown as sensitive)")
    jetstream: list[str] = WebsocketUrls(JETSTREAM_INSTANCES, "Jetstream websocket URLs (`wss://host`) that "
                                         "`run` reads, tried in turn; `[]`: `run` polls search instead",
                                         shown="Bluesky's four public instances")
    appview: str = Url("https://public.api.bsky.app", "the public AppView: profiles, labels, counts "
                       "and search without a login", base=True)
    replay_hours: float = Positive(24.0, "a Jetstream cursor older than this many hours is filled by search")


@table
class Feed:
    url: str = Url(MISSING, "the feed's URL", base=False, required="missing")
    all: bool = Flag(False, "the whole feed is about the event: keep every entry in the event window")
    name: str | None = Text(None, "the blog's name, when the feed's own title is not right")


def _feed_url(value: str, where: Where, name: str) -> Feed:
    return Feed(url=check_url(value, where, name, base=False))


@table
class RssSource:
    feeds: list[Feed] = Tables(
        Feed, "feed URLs, or tables `{ url = \"...\", all = true, name = \"...\" }`; `all` keeps every "
        "entry in the event window", short=_feed_url, item="a URL or a table {url = ..., all = true}",
        example=["https://example.org/feed.xml", {"url": "https://myconf.example/news/atom.xml", "all": True}])
    opml: str | None = FilePath(None, "an OPML file with more feeds (relative to the config)", hint="feeds.opml")
    interval: int = Positive(300, "seconds between polls")
    timeout: float = Positive(20.0, "seconds per request")
    max_bytes: int = Positive(5_000_000, "a larger feed is skipped and reported")


@table
class Digest:
    title: str | None = Text(None, "the digest's title; without one, the event's name", shown="the event name",
                             hint="My Conference 2026 digest")
    output: Path = Folder(Path("output"), "where the digest is written (relative to the config)")
    base_url: str = Url("", "where the digest will be published (used in `feed.xml`)", base=False,
                        hint="https://myconf.example/digest/")
    templates: Path | None = Folder(None, "a folder of templates overriding the packaged ones", existing=True,
                                    hint="templates")
    refresh: int = Positive(60, "seconds between digest refreshes during `run`")
    allow_remote_media: bool = Flag(False, "load images and avatars from their servers")


@table
class Blocklist:
    accounts: list[str] = Strings("handles whose posts are kept out (`spam@example.social`)",
                                  each=lambda a: a.lstrip("@").lower())
    instances: list[str] = Strings("domains whose posts are kept out (subdomains too)", each=str.lower)
    words: list[str] = Strings("posts containing one of these words are kept out (in approve mode: held "
                               "for review instead)", each=str.lower)


@table
class Consent:
    strict: bool = Flag(False, "`true`: collect only Mastodon accounts that opted in to search "
                        "(`indexable: true`); see Consent in the README")


@table
class Wall:
    posts: int = Positive(30, "how many of the newest posts the wall shows")
    poll: int = Positive(10, "seconds between the wall's checks for new and hidden posts")
    spotlight: int = Positive(12, "seconds each spotlight post (top takeaway, open question, pinned post) "
                              "stays up")
    show_replies: bool = Flag(False, "show replies to other posts on the wall")
    show_reposts: bool = Flag(False, "show boosts and reposts on the wall")
    show_content_warnings: bool = Flag(False, "show posts behind a content warning on the wall")
    show_sensitive: bool = Flag(False, "show posts with media marked sensitive on the wall")


@table
class Moderation:
    mode: str = Choice(MODERATION_MODES, "post", "`\"post\"`: posts show until hidden; `\"approve\"`: new posts "
                       "reach the wall only once approved (`backchannel review`)")
    hold_account_days: int = Count(7, "approve mode: hold posts of accounts younger than this many days "
                                   "(Mastodon, Bluesky; `0` turns it off)")
    hold_mentions: int = Count(5, "approve mode: hold posts that mention this many accounts or more (`0`: off)")
    hold_links: int = Count(3, "approve mode: hold posts with this many links or more (`0`: off)")


@dataclass(frozen=True)
class Section:
    """A table of the config file and the dataclass its keys fill."""

    name: str  # the TOML table; its last part is the attribute of `Config`
    record: type
    help: str  # the starter's comment above the table
    required: bool = False
    optional: bool = False  # left out → None (a source that is not followed)
    commented: bool = False  # the starter shows it commented out
    check: Callable[[Any], str | None] | None = None  # a rule across keys: the problem, or None

    @property
    def attr(self) -> str:
        return self.name.rpartition(".")[2]


SECTIONS = (
    Section("event", Event, "The event. Times are in its time zone; so are the days of the digest.", required=True),
    Section("sources.mastodon", MastodonSource, "Servers whose hashtag timelines to read. A server that "
            f"answers 401 needs {MASTODON_TOKEN}.", optional=True),
    Section("sources.bluesky", BlueskySource, "Uncomment to follow Bluesky: log in with an app password "
            f"(Settings → App passwords), set {BLUESKY_HANDLE} and {BLUESKY_APP_PASSWORD} in the environment.",
            optional=True, commented=True),
    Section("sources.rss", RssSource, "Uncomment to follow blogs and recaps. A plain URL keeps entries that "
            "mention a hashtag or keyword.", optional=True, commented=True,
            check=lambda rss: None if rss.feeds or rss.opml else "needs `feeds` or `opml`"),
    Section("digest", Digest, "The static digest site (`backchannel build`, refreshed during `run`)."),
    Section("blocklist", Blocklist, "Kept out of everything: spam accounts, servers and words."),
    Section("consent", Consent, "Public posts under the event's hashtags are collected and shown; people who "
            "opted out (#nobot, #noindex, #nobackchannel, noindex) never are."),
    Section("wall", Wall, "The venue wall (output/wall/index.html): what a projector or TV in the room shows."),
    Section("moderation", Moderation, "\"post\": posts show until a moderator hides them (`backchannel hide`). "
            "\"approve\": new posts reach the wall only once approved (`backchannel review`)."),
)


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
        if name == BLUESKY_HANDLE:
            continue
        values.append(value.strip())
        if name == MASTODON_TOKEN:
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
    """Check a TOML document against the declared tables and keys, and build the Config."""
    only(raw, {s.name.partition(".")[0] for s in SECTIONS}, Where(path, ""))
    values: dict[str, Any] = {}
    for section in SECTIONS:
        where = Where(path, f"[{section.name}]")
        table = _lookup(raw, section.name, path)
        if table is None and section.required:
            raise where.fail(None, "missing section")
        if table is None and section.optional:
            values[section.attr] = None
            continue
        values[section.attr] = record = read_table(section.record, {} if table is None else table, where)
        problem = section.check(record) if section.check else None
        if problem:
            raise where.fail(None, problem)
    return Config(path=path, data_dir=_data_dir(data_dir, path.parent), **values)


def _lookup(raw: dict[str, Any], name: str, path: Path) -> Any:
    """The table `name` ("sources.rss") of a TOML document, or None; checks the tables on the way."""
    parent, _, child = name.rpartition(".")
    if not parent:
        return raw.get(name)
    outer = raw.get(parent, {})
    where = Where(path, f"[{parent}]")
    if not isinstance(outer, dict):
        raise where.fail(None, "must be a table")
    only(outer, {s.name.rpartition(".")[2] for s in SECTIONS if s.name.startswith(parent + ".")}, where)
    return outer.get(child)


def _data_dir(value: str | Path | None, base: Path) -> Path:
    return Path(value) if value else base / DATA_DIR_NAME


def starter() -> str:
    """The commented `backchannel.toml` that `backchannel init` writes: every key with its help."""
    lines = _comment("backchannel.toml — the event's config. Secrets never go here: tokens and app passwords "
                     f"come from the environment ({', '.join(SECRET_VARS)}). Every key is explained in the "
                     "README's config reference.")
    for section in SECTIONS:
        body = [f"# [{section.name}]" if section.commented else f"[{section.name}]"]
        for name, key in keys(section.record).items():
            line = _assignment(name, key)
            if section.commented and not line.startswith("#"):
                line = f"# {line}"
            inline = f"{line + '  ':<28}# {key.help}"
            body += [inline] if len(inline) <= WIDTH else _comment(key.help) + [line]
        lines += ["", *_comment(section.help), *body]
    return "\n".join(lines) + "\n"


def _assignment(name: str, key: Key) -> str:
    """`name = value` for the starter: its example (or default), or its hint commented out."""
    if key.hint is not None:
        return f"# {name} = {toml_value(key.hint)}"
    return f"{name} = {toml_value(key.example)}"


def _comment(text: str) -> list[str]:
    return textwrap.wrap(text, WIDTH, initial_indent="# ", subsequent_indent="# ", break_on_hyphens=False)


def reference() -> str:
    """The README's config reference table (tests/test_docs.py checks the README holds it)."""
    rows = ["| key | default | meaning |", "|---|---|---|"]
    for section in SECTIONS:
        for name, key in keys(section.record).items():
            if key.shown:
                shown = key.shown
            elif key.required:
                shown = "required in the section" if section.optional else "required"
            else:
                shown = "none" if key.default is None else f"`{toml_value(key.default)}`"
            rows.append(f"| `[{section.name}] {name}` | {shown} | {key.help} |")
    return "\n".join(rows)
