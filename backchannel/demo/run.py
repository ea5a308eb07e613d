"""The demo in order: write a config, serve the sample event, collect it, build the digest.

Nothing here is special-cased for the demo beyond where the sources are: the collectors,
the writer, the archive, the index and the digest are the ones a real event uses. The
collection runs the way an organiser's would: a first poll; then two authors delete a post;
then a later poll with a re-check, which takes the deleted posts out again.
"""

from __future__ import annotations

import logging
import os
import tomllib
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable, Iterator
from urllib.parse import urlsplit

from backchannel.errors import BackchannelError, InputError
from backchannel.pipeline import SourceReport
from backchannel.demo.event import SampleEvent, load
from backchannel.demo.server import DemoServer

MARK = "# Written by `backchannel demo`"
SITES = ("mastodon-a", "mastodon-b", "bluesky", "blogs")


@dataclass
class DemoResult:
    """What one demo run did, for the command to print."""

    config: Path
    data_dir: Path
    output: Path
    reports: list[SourceReport]  # per source, both polls together
    by_source: dict[str, int] = field(default_factory=dict)  # posts in the archive now
    by_kind: dict[str, int] = field(default_factory=dict)
    deleted_at_source: int = 0  # posts their authors deleted during this run
    digest: Path | None = None  # the digest's front page, when this build has a digest
    search: dict = field(default_factory=dict)  # a search that finds one of the takeaways


def run_demo(directory: Path, config_path: Path | None = None, data_dir: Path | None = None,
             on_error: Callable[[str], None] | None = None) -> DemoResult:
    """Collect the sample event into `directory` (idempotent: a second run adds nothing)."""
    from backchannel.collectors.registry import make_collectors
    from backchannel.collectors.bluesky.login import HANDLE_VAR, PASSWORD_VAR

    from backchannel import digest
    from backchannel.config import load as load_config
    from backchannel.counts import compute
    from backchannel.pipeline import collect_round, open_writer

    event = load()
    config_path = config_path or directory / "backchannel.toml"
    with _each_note_once(), DemoServer(event, previous_ports(config_path)) as server:
        write_config(config_path, directory, event, server.urls)
        cfg = load_config(config_path, data_dir)
        # The demo's own login, handed to the collector directly: the real environment (and
        # any real token in it) never reaches the demo server.
        env = {HANDLE_VAR: event.login["handle"], PASSWORD_VAR: event.login["password"]}
        collectors = make_collectors(cfg, env)
        with open_writer(cfg) as writer:
            first = collect_round(writer, collectors, on_error=on_error)
            deleted = server.delete_scheduled()
            second = collect_round(writer, collectors, recheck_hours=_hours_since(cfg.event.start),
                                   on_error=on_error)
            server.stop()  # the digest needs no network
            report = digest.build(cfg)
            if report.search and report.search.error:
                raise BackchannelError(f"digest written, but its search index failed: {report.search.error}")
            stats = compute(writer.archive, cfg.event.tz)
    front = cfg.digest.output / "index.html"
    return DemoResult(config=config_path, data_dir=cfg.data_dir, output=cfg.digest.output,
                      reports=[_merge(a, b) for a, b in zip(first, second)],
                      by_source=stats.by_source, by_kind=stats.by_kind, deleted_at_source=deleted,
                      digest=front if front.exists() else None, search=event.search)


@contextmanager
def _each_note_once() -> Iterator[None]:
    """The demo collects and builds in one process: the writer (`open_writer`) and the digest
    (`talks_for_build`) each read the programme and note what they read, which the separate
    `collect` and `build` commands each print once. Say each note once here too."""
    from backchannel.pipeline import NOTES

    seen: set[str] = set()

    def first_time(record: logging.LogRecord) -> bool:
        text = record.getMessage()
        if text in seen:
            return False
        seen.add(text)
        return True

    NOTES.addFilter(first_time)
    try:
        yield
    finally:
        NOTES.removeFilter(first_time)


def previous_ports(config_path: Path) -> dict[str, int]:
    """The ports an earlier demo run used (kept so the sources' cursors stay valid), if any."""
    try:
        text = config_path.read_text("utf-8")
        raw = tomllib.loads(text)
        sources = raw["sources"]
        urls = [*sources["mastodon"]["instances"][:2], sources["bluesky"]["service"],
                _feed_url(sources["rss"]["feeds"][0])]
        ports = [urlsplit(u).port for u in urls]
    except (OSError, ValueError, KeyError, IndexError, TypeError, tomllib.TOMLDecodeError):
        return {}
    if not text.startswith(MARK) or None in ports:
        return {}
    return dict(zip(SITES, ports))


def _feed_url(feed: object) -> str:
    return feed["url"] if isinstance(feed, dict) else str(feed)


def write_config(config_path: Path, directory: Path, event: SampleEvent, urls: dict[str, str]) -> None:
    """The demo's backchannel.toml (and the schedule next to it), pointing at the demo server."""
    if config_path.exists() and not config_path.read_text("utf-8", errors="replace").startswith(MARK):
        raise InputError(f"{config_path}: exists and was not written by `backchannel demo`; "
                         "choose another --dir (or --config) for the demo")
    config_path.parent.mkdir(parents=True, exist_ok=True)
    (config_path.parent / "schedule.json").write_bytes(event.schedule_bytes())
    output = Path(os.path.relpath(directory.resolve() / "output", config_path.parent.resolve()))
    config_path.write_text(config_text(event, urls, output.as_posix()), "utf-8")


def config_text(event: SampleEvent, urls: dict[str, str], output: str) -> str:
    ev = event.event
    feeds = "\n".join(
        f'  {{ url = "{urls["blogs"]}{f.path}", name = "{f.title}"' + (", all = true }," if f.all else " },")
        for f in event.feeds)
    return f"""{MARK}: the sample event "{ev['name']}".
# Its sources are served on 127.0.0.1 by `backchannel demo` and answer only while it runs;
# run `backchannel demo` again to collect again. For a real event, start from
# `backchannel init` instead (see the README).

[event]
name = "{ev['name']}"
hashtags = {_toml_list(ev['hashtags'])}
keywords = {_toml_list(ev['keywords'])}
timezone = "{ev['timezone']}"
start = {ev['days'][0]}
end = {ev['days'][-1]}
schedule = "schedule.json"

[sources.mastodon]
# Two Mastodon servers: "{event.mastodon[0].domain}" and "{event.mastodon[1].domain}".
instances = ["{urls['mastodon-a']}", "{urls['mastodon-b']}"]

[sources.bluesky]
# The demo logs in with its own demo account (a real event uses BACKCHANNEL_BLUESKY_HANDLE
# and BACKCHANNEL_BLUESKY_APP_PASSWORD from the environment).
service = "{urls['bluesky']}"

[sources.rss]
feeds = [
{feeds}
]

[digest]
title = "{ev['name']}: what we learned"
output = "{output}"

[blocklist]
# A spam account that posted under the event's hashtag.
accounts = ["kettle_airdrop@coins.spam.example"]
"""


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(f'"{v}"' for v in values) + "]"


def _hours_since(start: datetime | None) -> float:
    """A re-check window that reaches back to the day before the event began."""
    if start is None:
        return 24.0 * 30
    return max(24.0, (datetime.now(timezone.utc) - start).total_seconds() / 3600 + 24)


def _merge(a: SourceReport, b: SourceReport) -> SourceReport:
    out = SourceReport(a.source)
    for name in ("added", "updated", "deleted", "blocked", "requests"):
        setattr(out, name, getattr(a, name) + getattr(b, name))
    out.unchanged = b.unchanged
    out.skipped = {k: a.skipped.get(k, 0) + b.skipped.get(k, 0) for k in {**a.skipped, **b.skipped}}
    out.warnings = a.warnings + b.warnings
    out.errors = a.errors + b.errors
    return out
