"""`backchannel build`: the archive rendered into a static, searchable digest.

`build(config)` does everything in order: load → group → render → copy static → index for search.

- load: the programme's talks (`[event] schedule`, read again each build: a live schedule
  changes), and the archive's posts, minus blocked ones and those a moderator hid
  (`moderation`), each with its day, talk and permalink (`digest.model.load`); replies
  fetched as answers go under their question (`digest.answers.split`);
- group: days, talks, kinds, people, links, hashtags, top takeaways ranked with
  near-duplicates merged (`digest.ranking`), key points (`digest.model.group`; key points
  are grouped when a page first asks for them);
- render: every page through Jinja2 (`digest.pages`), plus feed.xml, recap.md and
  posts.jsonl (`digest.feeds`) and the venue wall (`wall`), written only when their bytes
  change (`digest.writer`);
- copy static: CSS, JS and icons from the templates' `static/` folders;
- index for search: the searchable posts' words, filters and result texts as static files
  the search page reads (`digest.search_index`); only files whose bytes changed are written.
"""

from __future__ import annotations

import contextlib
import hashlib
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from functools import partial
from pathlib import Path
from typing import Iterable, Iterator

import jinja2

from backchannel import __version__
from backchannel.archive import Archive
from backchannel.config import Config, check_output
from backchannel.digest import answers
from backchannel.digest.feeds import atom_feed, posts_jsonl, published, recap
from backchannel.digest.model import group, load
from backchannel.digest.pages import Renderer, SiteInfo, key, make_env, plan, template_dirs
from backchannel.digest.pages import language_name, source_label
from backchannel.digest.search_index import SearchReport, remove_pagefind, write_index
from backchannel.digest.writer import SiteWriter
from backchannel.pipeline import NOTES
from backchannel.talks.live import talks_for_build
from backchannel.errors import BackchannelError
from backchannel.moderation import state as moderation_state
from backchannel import wall
from backchannel.progress import NO_PROGRESS, Progress
from backchannel.talks.programme import Talk

FORMAT = 1  # bump when the page layout changes in a way the templates' bytes do not show


@dataclass
class BuildReport:
    output: Path
    posts: int
    files: int
    written: int
    unchanged: int
    removed: int
    seconds: float
    search: SearchReport | None = None
    written_paths: list[str] = field(default_factory=list)

    def summary(self) -> str:
        text = (f"Built the digest of {self.posts:,} posts in {self.output}: {self.written:,} files written, "
                f"{self.unchanged:,} unchanged, {self.removed:,} removed")
        if self.search:
            text += f"; search index: {self.search.posts:,} posts ({self.search.seconds:.1f} s)"
        return text + f". {self.seconds:.1f} s in all."

    def as_dict(self) -> dict:
        return {"output": str(self.output), "posts": self.posts, "files": self.files,
                "written": self.written, "unchanged": self.unchanged, "removed": self.removed,
                "seconds": round(self.seconds, 3),
                "search": None if self.search is None else {
                    "posts": self.search.posts, "words": self.search.words, "files": self.search.files,
                    "seconds": round(self.search.seconds, 3), "error": self.search.error}}


def build(config: Config, *, output: Path | None = None, search: bool = True, full: bool = False,
          now: datetime | None = None, progress: Progress = NO_PROGRESS) -> BuildReport:
    """Build the digest of the config's archive at `output` (default `[digest] output`):
    what `backchannel build` does, and `run` at every refresh.

    Incremental: pages whose inputs did not change are not rendered, files whose bytes did
    not change are not rewritten, and only days whose posts changed are re-indexed for
    search. `full=True` renders and compares everything again. A search-index failure is
    reported in `report.search.error`; the pages are written regardless. `progress` hears
    of five stages: "load" (posts), "group", "render posts" and "render pages" (pages) and
    "search index" (posts). A broken schedule or
    template (the user's own, usually) raises a `BackchannelError` that names it.
    """
    started = time.perf_counter()
    out = Path(output or config.digest.output)
    check_output(out, config)
    now = now or datetime.now(timezone.utc)
    talks, notes = talks_for_build(config)  # matched again first if the programme changed
    for note in notes:
        NOTES.info(note)
    with Archive.in_dir(config.data_dir, readonly=True) as archive, _template_errors():
        # load
        mod = moderation_state(archive)
        progress.stage("load", archive.count(), "posts")
        kept_out: Counter = Counter()  # blocked and hidden posts by account: spam stays off People
        items = load(config, _counted(archive.posts(raw=False), progress, "load"), talks, mod, kept_out)
        items, replies = answers.split(items, archive.answer_links(), config.event.hashtags)

        # group
        progress.stage("group", None, "")
        grouped = group(items, talks, config, replies, kept_out)
        progress.update("group", done=1, total=1)

        # render
        dirs = template_dirs(config.digest.templates)
        static = static_files(dirs)
        site = site_info(config, talks, static)
        signature = site_signature(site, dirs, talks, config)
        writer = SiteWriter(out, signature, full=full)
        remove_pagefind(out)
        grouped.points_cache = writer.extra.get("keypoints") or {}
        try:
            renderer = Renderer(make_env(config.digest.templates, config.data_dir / "cache" / "templates"),
                                site, grouped)
            progress.stage("render posts", len(items), "pages")
            for day in grouped.days:
                for item in day.items:
                    writer.page(item.path, item.fp, partial(renderer.post_page, item))
                    progress.advance("render posts")
                writer.remove_stale(f"posts/{day.key}/")
            pages = list(plan(grouped, renderer, now))  # works out each page's key: the ranking
            progress.stage("render pages", len(pages), "pages")
            for path, page_key, render in pages:
                writer.page(path, page_key, render)
                progress.advance("render pages")
            writer.write("feed.xml", atom_feed(grouped, site.title, site.base_url))
            writer.write("recap.md", recap(grouped, site.title, site.dates, site.base_url, renderer.when))
            shown = published(items, grouped.answered)
            writer.stream("posts.jsonl", key(signature, [(it.fp, q) for it, q in shown]), lambda: posts_jsonl(shown))
            writer.write("wall/index.html", renderer.render("wall.html", "../", wall=config.wall))
            writer.write("wall/posts.json", wall.posts_json(grouped, mod, config, wall.local_time(config)))

            # copy static
            for rel, blob in static.items():
                writer.write(f"static/{rel}", blob)

            # index for search, then the search page that reads it
            report = None
            if search:
                progress.stage("search index", len(items), "posts")
                try:
                    report = write_index(writer, items, renderer.when, source_label, language_name)
                except OSError as exc:  # a full disk, a file where the index's folder goes
                    where = exc.filename or "search/i"
                    report = SearchReport(error=f"search index: {where}: {exc.strerror or exc}")
                progress.update("search index", done=len(items), total=len(items))
            writer.write("search/index.html", renderer.search_page(report))
            writer.extra["keypoints"] = grouped.points_state()
            stats = writer.finish()
            wall.write_moderation(out, archive, config, wall.local_time(config))
        finally:
            writer.close()
    return BuildReport(out, len(items), stats.files, stats.written, stats.unchanged + stats.skipped,
                       stats.removed, time.perf_counter() - started, report, stats.written_paths)


def _counted(posts: Iterable, progress: Progress, stage: str, every: int = 500):
    n = 0
    for n, post in enumerate(posts, 1):
        if n % every == 0:
            progress.advance(stage, every)
        yield post
    progress.advance(stage, n % every)


@contextlib.contextmanager
def _template_errors() -> Iterator[None]:
    """A broken template (the user's own, usually) as one line naming it, not a traceback."""
    try:
        yield
    except jinja2.TemplateSyntaxError as exc:
        raise BackchannelError(f"{exc.filename or exc.name}:{exc.lineno}: template error: {exc.message}") from None
    except jinja2.TemplateError as exc:
        raise BackchannelError(f"template error: {exc}") from None


def static_files(dirs: list[Path]) -> dict[str, bytes]:
    """The files under each template folder's `static/`; the user's folder wins."""
    found: dict[str, bytes] = {}
    for folder in reversed(dirs):
        base = folder / "static"
        if base.is_dir():
            for path in sorted(base.rglob("*")):
                if path.is_file() and not path.name.startswith("."):
                    found[path.relative_to(base).as_posix()] = path.read_bytes()
    return found


def site_info(config: Config, talks: list[Talk], static: dict[str, bytes]) -> SiteInfo:
    event = config.event
    tag = hashlib.blake2b(b"".join(static[k] for k in sorted(static)), digest_size=4).hexdigest()
    return SiteInfo(
        title=config.digest.title or event.name, event=event.name, hashtags=list(event.hashtags),
        tz=event.tz, dates=event_dates(config), has_talks=bool(talks),
        remote_media=config.digest.allow_remote_media, base_url=config.digest.base_url,
        version=__version__, asset_tag=tag)


def event_dates(config: Config) -> str:
    """"1–3 September 2026" from the config's start and end, or "" when not set."""
    e = config.event
    if not e.start:
        return ""
    start = e.start.astimezone(e.tz)
    end = (e.end.astimezone(e.tz) if e.end else start)
    if e.end and end.hour == 0 and end.minute == 0 and end > start:  # an end date means up to midnight
        end = datetime.fromordinal(end.toordinal() - 1)
    if (start.year, start.month) == (end.year, end.month):
        days = f"{start.day}" if start.day == end.day else f"{start.day}–{end.day}"
        return f"{days} {start:%B %Y}"
    return f"{start.day} {start:%B} – {end.day} {end:%B %Y}"


def site_signature(site: SiteInfo, dirs: list[Path], talks: list[Talk], config: Config) -> str:
    """Everything that shapes every page: when it changes, every page is rendered again."""
    h = hashlib.blake2b(digest_size=12)
    shown = [(t.id, t.title, t.start, t.end, t.room, t.speakers) for t in talks]  # not abstracts, handles …
    h.update(repr((FORMAT, site, shown, config.blocklist)).encode())
    for folder in dirs:
        for path in sorted(folder.glob("*.html")):
            h.update(path.name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()
