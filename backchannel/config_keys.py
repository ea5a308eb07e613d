"""The kinds of value a config key can hold, and how a TOML table is read into a record.

A key is declared once, as a field of a config section's dataclass (see `config.py`):

    interval: int = positive(60, "seconds between polls in `run`")

That one call gives the field its default and attaches a `Key` that knows the key's help
text, how to check and convert a TOML value (with an error naming file, table and key), and
how to show the value in `init`'s starter file and the README's reference table.
"""

from __future__ import annotations

import copy
import difflib
import json
from dataclasses import MISSING, dataclass, field, fields
from datetime import date, datetime, time, timedelta
from pathlib import Path
from urllib.parse import urlsplit
from typing import Any, Callable
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from backchannel.errors import ConfigError
from backchannel.models import utc
from backchannel.sanitize import safe_url
from backchannel.validate import RANGE, in_range

KEY = "backchannel.key"  # where a dataclass field keeps its Key (field metadata)


@dataclass
class Where:
    """The table being read: names it in errors, resolves paths against the config's folder."""

    path: Path  # the config file
    label: str  # "[event]", or "[sources.rss] feeds[2]" for a table inside a list
    done: dict[str, Any] = field(default_factory=dict)  # keys of this table read so far

    @property
    def base(self) -> Path:
        return self.path.parent

    def fail(self, key: str | None, problem: str) -> ConfigError:
        where = " ".join(part for part in (self.label, key) if part)
        return ConfigError(f"{self.path}: {where}: {problem}")


class Key:
    """One config key: its help, default, how a TOML value is checked, and an example.

    `required` is the problem reported when the config leaves the key out. The starter file
    writes `example` (the default unless given); a key with a `hint` is written commented
    out with it instead (an optional setting shown, not set). `shown` is how the README shows
    a default that is not a plain value.
    """

    expects = "a value"

    def __init__(self, default: Any = MISSING, help: str = "", *, required: str | None = None,
                 example: Any = MISSING, hint: Any = None, shown: str | None = None):
        self.default, self.help, self.required = default, help, required
        self.example = default if example is MISSING else example
        self.hint, self.shown = hint, shown

    def field(self) -> Any:
        """The dataclass field that declares this key."""
        if self.default is MISSING:
            return field(metadata={KEY: self})
        if isinstance(self.default, (list, dict)):
            return field(default_factory=lambda: copy.deepcopy(self.default), metadata={KEY: self})
        return field(default=self.default, metadata={KEY: self})

    def absent(self, where: Where, name: str) -> Any:
        """The value of a key the config leaves out."""
        if self.required:
            raise where.fail(name, self.required)
        return copy.deepcopy(self.default)

    def read(self, value: Any, where: Where, name: str) -> Any:
        return self.check_type(value, where, name)

    def check_type(self, value: Any, where: Where, name: str) -> Any:
        if not self.accepts(value):
            raise where.fail(name, f"must be {self.expects}, got {value!r}")
        return value

    def accepts(self, value: Any) -> bool:
        return True


class Text(Key):
    """A string; surrounding spaces are dropped, and an empty one means the default."""

    expects = "a string"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, str)

    def read(self, value: Any, where: Where, name: str) -> Any:
        value = self.check_type(value, where, name).strip()
        return self.convert(value, where, name) if value else self.absent(where, name)

    def convert(self, value: str, where: Where, name: str) -> Any:
        return value


class Choice(Text):
    def __init__(self, choices: tuple[str, ...], default: str, help: str, **kw: Any):
        super().__init__(default, help, **kw)
        self.choices = choices

    def convert(self, value: str, where: Where, name: str) -> str:
        if value not in self.choices:
            allowed = " or ".join(f'"{c}"' for c in self.choices)
            raise where.fail(name, f"must be {allowed}, got {value!r}")
        return value


class TimeZone(Text):
    def convert(self, value: str, where: Where, name: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise where.fail(name, f"unknown time zone {value!r} (use a name like \"Europe/Berlin\")") from None
        return value


class Url(Text):
    """An http(s) URL; a server's base URL (`base=True`) loses its trailing slash."""

    def __init__(self, default: Any, help: str, *, base: bool, **kw: Any):
        super().__init__(default, help, **kw)
        self.base = base

    def convert(self, value: str, where: Where, name: str) -> str:
        return check_url(value, where, name, self.base)


def check_url(value: Any, where: Where, name: str, base: bool) -> str:
    url = safe_url(value)
    if not url:
        raise where.fail(name, f"not an http(s) URL: {value!r}")
    return url.rstrip("/") if base else url


class FilePath(Text):
    """A file next to the config (a relative path is resolved against its folder), as text."""

    def convert(self, value: str, where: Where, name: str) -> str:
        return str(resolve(where.base, value))


class PathOrUrl(Text):
    """An http(s) URL, or a file next to the config."""

    def convert(self, value: str, where: Where, name: str) -> str:
        return value if safe_url(value) else str(resolve(where.base, value))


class Folder(Text):
    """A folder, resolved against the config's folder; `existing` ones must be there already."""

    def __init__(self, default: Any, help: str, *, existing: bool = False, **kw: Any):
        super().__init__(default, help, **kw)
        self.existing = existing

    def absent(self, where: Where, name: str) -> Path | None:
        return None if self.default is None else resolve(where.base, str(self.default))

    def convert(self, value: str, where: Where, name: str) -> Path:
        path = resolve(where.base, value)
        if self.existing and not path.is_dir():
            raise where.fail(name, f"not a folder: {path}")
        return path


def resolve(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else base / p


class Flag(Key):
    expects = "true or false"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, bool)


class Positive(Key):
    """A number greater than 0, kept as the default's type (seconds, bytes)."""

    expects = "a number"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, (int, float)) and not isinstance(value, bool)

    def read(self, value: Any, where: Where, name: str) -> Any:
        value = self.check_type(value, where, name)
        if value <= 0:
            raise where.fail(name, f"must be greater than 0, got {value!r}")
        return type(self.default)(value)


class Count(Key):
    """A whole number, 0 or more; 0 turns a check off."""

    expects = "a whole number"

    def accepts(self, value: Any) -> bool:
        return isinstance(value, int) and not isinstance(value, bool)

    def read(self, value: Any, where: Where, name: str) -> int:
        value = self.check_type(value, where, name)
        if value < 0:
            raise where.fail(name, f"must be 0 (off) or more, got {value!r}")
        return value


class Strings(Key):
    """A list of non-empty strings, each trimmed, then put through `each` (lowercased…)."""

    expects = "a list of non-empty strings"

    def __init__(self, help: str, *, each: Callable[[str], str] = str, **kw: Any):
        super().__init__([], help, **kw)
        self.each = each

    def read(self, value: Any, where: Where, name: str) -> list[str]:
        if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
            raise where.fail(name, f"must be {self.expects}")
        return self.convert([self.each(v.strip()) for v in value], where, name)

    def convert(self, values: list[str], where: Where, name: str) -> list[str]:
        return values


class Hashtags(Strings):
    def convert(self, values: list[str], where: Where, name: str) -> list[str]:
        if not values:
            raise where.fail(name, "needs at least one hashtag")
        for tag in values:
            if not tag or any(c.isspace() or c in "#,/" for c in tag):
                raise where.fail(name, f"not a hashtag: {tag!r}")
        return list(dict.fromkeys(values))


class ServerUrls(Strings):
    """Servers' base URLs, at least one; repeats are dropped."""

    def convert(self, values: list[str], where: Where, name: str) -> list[str]:
        urls = [check_url(v, where, name, base=True) for v in values]
        if not urls:
            raise where.fail(name, self.required or "needs at least one URL")
        return list(dict.fromkeys(urls))


class WebsocketUrls(Strings):
    """ws:// or wss:// URLs (Jetstream instances), without a trailing slash; `[]` turns them off."""

    def __init__(self, default: list[str], help: str, **kw: Any):
        super().__init__(help, **kw)
        self.default = self.example = list(default)

    def convert(self, values: list[str], where: Where, name: str) -> list[str]:
        for value in values:
            parts = urlsplit(value)
            if parts.scheme not in ("ws", "wss") or not parts.netloc or parts.query or parts.fragment:
                raise where.fail(name, f"not a websocket URL (wss://host): {value!r}")
        return list(dict.fromkeys(v.rstrip("/") for v in values))


class Moment(Key):
    """A date (the whole day) or a date-time, in the event's time zone, kept as UTC.

    Reads `timezone` (declared earlier in the same table); an `after` moment must be later
    than the key it names.
    """

    expects = "a date or date-time"

    def __init__(self, help: str, *, end_of_day: bool, after: str | None = None, **kw: Any):
        super().__init__(None, help, **kw)
        self.end_of_day, self.after = end_of_day, after

    def read(self, value: Any, where: Where, name: str) -> datetime:
        moment = self.moment(value, ZoneInfo(where.done.get("timezone") or "UTC"), where, name)
        earlier = where.done.get(self.after) if self.after else None
        if earlier and moment <= earlier:
            raise where.fail(name, f"must be after {where.label} {self.after}")
        return moment

    def moment(self, value: Any, tz: ZoneInfo, where: Where, name: str) -> datetime:
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value.replace("Z", "+00:00")) if "T" in value or " " in value \
                    else date.fromisoformat(value)
            except ValueError:
                raise where.fail(name, f"not a date or date-time: {value!r} "
                                       "(use 2026-09-01 or 2026-09-01T09:00)") from None
        try:
            if isinstance(value, datetime):
                moment = utc(value if value.tzinfo else value.replace(tzinfo=tz))
            elif isinstance(value, date):
                day = value + timedelta(days=1) if self.end_of_day else value
                moment = utc(datetime.combine(day, time(0), tzinfo=tz))
            else:
                raise where.fail(name, f"must be {self.expects}, got {value!r}")
        except OverflowError:
            moment = None
        if moment is None or not in_range(moment):
            raise where.fail(name, f"{value} is out of range (use a date from {RANGE})")
        return moment


class Tables(Key):
    """A list whose items are tables read into `record` (or strings given to `short`)."""

    def __init__(self, record: type, help: str, *, short: Callable[[str, Where, str], Any], item: str,
                 **kw: Any):
        super().__init__([], help, **kw)
        self.record, self.short, self.item = record, short, item
        self.expects = f"a list, each {item}"

    def read(self, value: Any, where: Where, name: str) -> list[Any]:
        if not isinstance(value, list):
            raise where.fail(name, f"must be {self.expects}")
        items = []
        for i, item in enumerate(value, 1):
            if isinstance(item, str):
                items.append(self.short(item, where, f"{name}[{i}]"))
            elif isinstance(item, dict):
                items.append(read_table(self.record, item, Where(where.path, f"{where.label} {name}[{i}]")))
            else:
                raise where.fail(f"{name}[{i}]", f"must be {self.item}")
        return items


def keys(record: type) -> dict[str, Key]:
    """The keys a section's dataclass declares, by name, in declaration order."""
    return {f.name: f.metadata[KEY] for f in fields(record) if KEY in f.metadata}


def read_table(record: type, table: Any, where: Where) -> Any:
    """Check a TOML table against the keys `record` declares, and build the record."""
    if not isinstance(table, dict):
        raise where.fail(None, "must be a table")
    declared = keys(record)
    only(table, declared, where)
    where.done = {}
    for name, key in declared.items():
        value = table.get(name)
        where.done[name] = key.absent(where, name) if value is None else key.read(value, where, name)
    return record(**where.done)


def only(table: dict, allowed: Any, where: Where) -> None:
    """Refuse keys nobody declared (usually typos), suggesting the nearest declared one."""
    for key in table:
        if key not in allowed:
            near = difflib.get_close_matches(key, list(allowed), n=1, cutoff=0.6)
            hint = f"did you mean \"{near[0]}\"? " if near else ""
            raise where.fail(key, f"unknown key ({hint}expected one of: {', '.join(sorted(allowed))})")


def toml_value(value: Any) -> str:
    """A value as TOML writes it (for the starter file and the README)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float, date)):
        return value.isoformat() if isinstance(value, date) else str(value)
    if isinstance(value, (str, Path)):
        return json.dumps(str(value), ensure_ascii=False)
    if isinstance(value, list):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{k} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"no TOML form for {value!r}")


def table(cls: type) -> type:
    """A dataclass whose `Key` attributes are config keys (see the module docstring)."""
    for name, value in list(vars(cls).items()):
        if isinstance(value, Key):
            setattr(cls, name, value.field())
    return dataclass(cls)
