"""The RSS/Atom collector: conference blogs and recaps, fetched politely, parsed safely.

Feeds come from `[sources.rss] feeds` and the OPML file `[sources.rss] opml`. Each feed is
fetched with httpx (`rss_fetch`: conditional GET, redirects, gzip, timeout, size cap),
parsed by feedparser from the bytes, and each entry normalised into a `Post`
(`rss_normalize`). One `Batch` per feed carries its posts and its cursor, so a feed that
fails costs nothing stored for the others.

The cursor of a feed (key: the feed URL as configured) is a dict:

    {"url": "...",            # permanent-redirect target, fetched instead from then on
     "etag": "...", "last_modified": "...",   # validators for the next conditional GET
     "digest": "...",         # hash of the last body parsed, to skip an unchanged one
     "broken": "...",         # what is wrong with that body, while nothing in it is readable
     "filter": "...",         # hash of the event filter the entries were judged by
     "seen": {post_id: iso},  # when each undated entry was first seen (its created_at)
     "not_before": iso}       # the server asked us to wait (429/503 Retry-After)

`recheck()` yields nothing: a feed lists only its latest entries, so an entry leaving the
feed says nothing about whether it was deleted; edits arrive through `collect()` (an updated
entry keeps its id and is yielded again, replacing the stored one).
"""

from __future__ import annotations

import hashlib
import io
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Any, Iterable, Iterator, Mapping

import feedparser
import httpx

from backchannel.config import Config, Feed
from backchannel.errors import SourceError
from backchannel.models import Post, format_time, parse_time
from backchannel.sanitize import clean_text, safe_url
from backchannel.collectors.base import Batch, Collector
from backchannel.collectors.rss.opml import OpmlError, read_opml
from backchannel.collectors.rss.fetch import FetchError, Fetched, fetch, make_client
from backchannel.collectors.rss.normalize import EventFilter, entry_post, feed_context
from backchannel.collectors.retry import Clock

WORKERS = 4  # feeds fetched at once: a slow feed does not hold up the rest
MAX_SEEN = 2_000  # undated entries remembered per feed


class RssCollector(Collector):
    """Blog entries from RSS/Atom feeds that mention the event (or from `all = true` feeds)."""

    name = "rss"

    def __init__(self, config: Config, data_dir: Path, env: Mapping[str, str], *,
                 clock: Clock | None = None, workers: int = WORKERS):
        if config.rss is None:
            raise SourceError("rss: no [sources.rss] section in the config")
        self.source = config.rss
        self.filter = EventFilter(config.event)
        # When entries without a date were first seen, and whether a server's announced wait
        # has passed (`backchannel.collectors.retry`); tests stand inside or outside the event.
        self.clock = clock or Clock()
        self.workers = max(1, workers)

    def feeds(self) -> tuple[list[Feed], list[str], list[str]]:
        """(feeds, warnings, errors): the config's feeds, then the OPML's not already listed."""
        feeds: list[Feed] = []
        for feed in self.source.feeds:  # a feed listed twice is fetched once (the first wins)
            if feed.url not in {f.url for f in feeds}:
                feeds.append(feed)
        warnings: list[str] = []
        errors: list[str] = []
        if self.source.opml:
            try:
                found = read_opml(self.source.opml)
            except OpmlError as exc:
                errors.append(str(exc))
            else:
                warnings += found.warnings
                known = {f.url.rstrip("/") for f in feeds}  # a config entry (maybe all=true) wins
                feeds += [f for f in found.feeds if f.url.rstrip("/") not in known]
        return feeds, warnings, errors

    def collect(self, cursors: Mapping[str, Any]) -> Iterator[Batch]:
        """One Batch per feed, in config order (fetched a few at a time)."""
        feeds, warnings, errors = self.feeds()
        if not feeds and errors:
            raise SourceError("; ".join(errors) + " (and no other feeds are configured)")
        if warnings or errors:
            yield Batch(warnings=warnings, errors=errors)
        if not feeds:
            return
        with make_client(self.source.timeout) as client, \
                ThreadPoolExecutor(max_workers=min(self.workers, len(feeds))) as pool:
            futures = [pool.submit(self.collect_feed, client, feed, cursors.get(feed.url))
                       for feed in feeds]
            try:
                for future in futures:
                    yield future.result()
            finally:  # the caller stopped early: don't start feeds nobody will store
                for future in futures:
                    future.cancel()

    def recheck(self, posts: Iterable[Post]) -> Iterator[Batch]:
        """Nothing to recheck for blogs (see the module docstring): yields no batches."""
        return iter(())

    def collect_feed(self, client: httpx.Client, feed: Feed, cursor: Any) -> Batch:
        """Fetch, parse and filter one feed; every failure ends up in the Batch, named."""
        state = _valid_cursor(cursor)
        try:
            batch = self._collect_feed(client, feed, state)
            batch.origin = feed.url
            return batch
        except Exception as exc:  # a bug of ours on a strange feed must not stop the others
            return Batch(cursors={feed.url: state}, origin=feed.url, errors=[
                f"rss {feed.url}: internal error while reading the feed "
                f"({type(exc).__name__}: {clean_text(str(exc), 200)}); please report it"])

    def _collect_feed(self, client: httpx.Client, feed: Feed, state: dict) -> Batch:
        batch = Batch(cursors={feed.url: state})
        now = self.clock.now()
        waiting = state.get("not_before")
        if waiting and parse_time(waiting) > now:
            batch.warnings.append(f"rss {feed.url}: skipped until {waiting}, as the server asked")
            return batch
        state.pop("not_before", None)
        if state.get("filter") != self.filter.signature(feed.all):
            # The event's words, window or `all` changed: look at every entry again.
            for name in ("etag", "last_modified", "digest"):
                state.pop(name, None)
            state["filter"] = self.filter.signature(feed.all)
        url = state.get("url") or feed.url
        try:
            got = fetch(client, url, etag=state.get("etag"), last_modified=state.get("last_modified"),
                        timeout=self.source.timeout, max_bytes=self.source.max_bytes, clock=self.clock)
        except FetchError as exc:
            batch.requests = exc.requests
            batch.errors.append(f"rss {feed.url}: {exc}" + _via(url, feed))
            if exc.retry_after:
                state["not_before"] = format_time(exc.retry_after)
            if exc.status in (404, 410) and state.pop("url", None):
                batch.errors[-1] += "; the configured URL will be tried again next time"
            return batch
        batch.requests = got.requests
        if got.moved_to and got.moved_to != state.get("url"):
            state["url"] = got.moved_to
            batch.warnings.append(f"rss {feed.url}: moved permanently to {got.moved_to}; "
                                  "fetching that from now on (update the config)")
        if got.status == 304:  # unchanged, and no body was sent
            if state.get("broken"):
                batch.errors.append(f"rss {feed.url}: unchanged, still broken: {state['broken']}" + _via(url, feed))
            return batch
        self._read_body(feed, got, state, batch, now)
        return batch

    def _read_body(self, feed: Feed, got: Fetched, state: dict, batch: Batch, now: datetime) -> None:
        digest = hashlib.blake2b(got.body, digest_size=16).hexdigest()
        if digest == state.get("digest"):
            _keep_validators(state, got.headers)
            if state.get("broken"):
                batch.errors.append(f"rss {feed.url}: unchanged, still broken: {state['broken']}"
                                    + _via(got.url, feed))
            return  # the server ignores conditional GET, but nothing changed
        headers = {k: v for k, v in got.headers.items() if k != "content-encoding"}
        headers["content-location"] = got.url  # the base for relative links: where it came from
        parsed = feedparser.parse(io.BytesIO(got.body), response_headers=headers)
        entries = [e for e in parsed.get("entries") or [] if isinstance(e, Mapping)]
        problem = _bozo(parsed)
        if not entries and (problem or not parsed.get("version")):
            what = "not an RSS/Atom feed" if not parsed.get("version") else "broken feed, nothing readable"
            what += f" ({problem})" if problem else ""
            batch.errors.append(f"rss {feed.url}: {what}" + _via(got.url, feed))
            # Keep the validators (the next round costs a 304 while it stays broken) and what
            # was wrong, so every round still reports it.
            _keep_validators(state, got.headers)
            state["digest"], state["broken"] = digest, what
            return
        state.pop("broken", None)
        if problem:
            batch.warnings.append(f"rss {feed.url}: broken feed ({problem}); "
                                  f"kept what could be read ({len(entries)} entr{'y' if len(entries) == 1 else 'ies'})")
        _keep_validators(state, got.headers)
        state["digest"] = digest
        batch.posts, state["seen"] = self._posts(feed, parsed, got.url, entries, state, now, batch)

    def _posts(self, feed: Feed, parsed: Mapping, url: str, entries: list, state: dict,
               now: datetime, batch: Batch) -> tuple[list[Post], dict[str, str]]:
        """The entries that belong to the event, and the first-seen times of undated ones."""
        ctx = feed_context(feed, parsed, url)
        old_seen = state.get("seen") or {}
        seen: dict[str, str] = {}
        posts: dict[str, Post] = {}
        for entry in entries:
            post, dated = entry_post(entry, ctx, now)
            if post.id in posts:
                continue  # the same entry twice in one feed: keep the first
            if not dated:
                first = old_seen.get(post.id) or format_time(now)
                seen[post.id] = first
                post.created_at = parse_time(first)
            if not self.filter.in_window(post.created_at):
                batch.skip("outside the event's dates")
            elif feed.all or self.filter.matches(post):
                posts[post.id] = post
            else:
                batch.skip("not about the event (no hashtag or keyword)")
        return list(posts.values()), dict(list(seen.items())[:MAX_SEEN])


def _keep_validators(state: dict, headers: Mapping[str, str]) -> None:
    """Remember ETag / Last-Modified for the next conditional GET (forget absent ones)."""
    for name, header in (("etag", "etag"), ("last_modified", "last-modified")):
        value = clean_text(headers.get(header), 300)
        if value:
            state[name] = value
        else:
            state.pop(name, None)


def _bozo(parsed: Mapping) -> str:
    """Why feedparser found the document broken, as one clean line ('' when it did not)."""
    if not parsed.get("bozo"):
        return ""
    exc = parsed.get("bozo_exception")
    if exc is None:
        return "malformed"
    if hasattr(exc, "getLineNumber") and hasattr(exc, "getMessage"):  # an XML syntax error
        text = f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    else:
        text = str(exc)
    return clean_text(text, 200) or type(exc).__name__


def _via(url: str, feed: Feed) -> str:
    return f" (fetched from {url})" if url != feed.url else ""


def _valid_cursor(cursor: Any) -> dict:
    """A clean copy of a stored cursor; anything malformed is dropped, never trusted."""
    if not isinstance(cursor, Mapping):
        return {}
    state: dict[str, Any] = {}
    for key in ("etag", "last_modified", "digest", "filter", "broken"):
        if isinstance(cursor.get(key), str) and cursor[key]:
            state[key] = clean_text(cursor[key], limit=300) if key == "broken" else cursor[key]
    url = cursor.get("url")
    if isinstance(url, str) and safe_url(url) == url:
        state["url"] = url
    if _is_time(cursor.get("not_before")):
        state["not_before"] = cursor["not_before"]
    seen = cursor.get("seen")
    if isinstance(seen, Mapping):
        state["seen"] = {k: v for k, v in seen.items() if isinstance(k, str) and _is_time(v)}
    return state


def _is_time(value: Any) -> bool:
    try:
        parse_time(value)
    except ValueError:
        return False
    return True
