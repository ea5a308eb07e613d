"""Which collectors a config asks for: `make_collectors(config, env)`.

This module sits above the collectors (it imports each of them) and `base` below them (each
imports its `Batch`), so the import graph has no cycle. A collector's module is imported only
when the config names its source: the Bluesky one alone costs seconds of start-up (atproto).
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from backchannel.config import Config

from backchannel.collectors.base import Collector


def make_collectors(config: Config, env: Mapping[str, str], only: Iterable[str] = ()) -> list[Collector]:
    """The collectors the config asks for (optionally only the named ones), in a fixed order."""
    wanted = set(only)
    made: list[Collector] = []
    if config.mastodon and (not wanted or "mastodon" in wanted):
        from backchannel.collectors.mastodon.collector import MastodonCollector
        made.append(MastodonCollector(config, _dir(config), env))
    if config.bluesky and (not wanted or "bluesky" in wanted):
        from backchannel.collectors.bluesky.collector import BlueskyCollector
        made.append(BlueskyCollector(config, _dir(config), env))
    if config.rss and (not wanted or "rss" in wanted):
        from backchannel.collectors.rss.collector import RssCollector
        made.append(RssCollector(config, _dir(config), env))
    return made


def _dir(config: Config) -> Path:
    config.data_dir.mkdir(parents=True, exist_ok=True)
    return config.data_dir


def live(collector: Collector) -> Collector:
    """What `run` reads for this collector: Bluesky's Jetstream stream when instances are
    configured (the default), else the collector itself (polled)."""
    from backchannel.collectors.bluesky.collector import BlueskyCollector

    if isinstance(collector, BlueskyCollector) and collector.source.jetstream:
        from backchannel.collectors.bluesky.live import JetstreamCollector

        return JetstreamCollector(collector.config, collector.data_dir, collector.env)
    return collector
