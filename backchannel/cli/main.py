"""The `backchannel` command. Each command parses options, calls one library function and
turns library errors into one clean line (see `errors.py`); the work happens elsewhere."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from backchannel import __version__
from backchannel.cli.common import (Group, close_writer, color_on, common, console, digest_builder, load_config,
                         open_writer, progress_for)
from backchannel.errors import BackchannelError, InputError
from backchannel.importers import FORMATS as IMPORT_FORMATS


@click.group(cls=Group, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="backchannel")
def cli():
    """Collect a conference's backchannel, search it, and publish what people learned.

    \b
    Start with:  backchannel init        (writes backchannel.toml)
    Then:        backchannel collect --once
                 backchannel search "vector index" --kind takeaway
    """


@cli.command()
@common
@click.option("--force", is_flag=True, help="Overwrite an existing config file.")
def init(config_path, data_dir, force):
    """Write a commented starter backchannel.toml.

    Example: backchannel init --config pycon/backchannel.toml
    """
    from importlib.resources import files

    target = config_path or Path("backchannel.toml")
    if target.exists() and not force:
        raise InputError(f"{target}: already exists (use --force to overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(files("backchannel").joinpath("starter.toml").read_text("utf-8"), "utf-8")
    from backchannel.hints import program

    click.echo(f"Wrote {target}. Edit [event] and the sources, then run: {program()} collect --once")


@cli.command()
@common
@click.option("--once", is_flag=True, help="Poll every source once and exit (the default; `run` keeps polling).")
@click.option("--source", "sources", multiple=True, type=click.Choice(["mastodon", "bluesky", "rss"]),
              help="Only these sources (repeatable).")
@click.option("--recheck", type=float, default=None, metavar="HOURS",
              help="Also re-check posts of the last HOURS: edits replace, deletions are removed.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per source.")
@click.option("-v", "--verbose", is_flag=True, help="Show warnings and tracebacks of unexpected errors.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary; only problems.")
def collect(config_path, data_dir, once, sources, recheck, as_json, verbose, quiet):
    """Fetch new posts from the configured sources into the archive and index.

    On a terminal, shows per source the pages fetched and the posts new so far (a first
    backfill can take hundreds of requests). Exit code 1 when a source failed (the others
    are still stored).

    Example: backchannel collect --once --recheck 6
    """
    import os

    from backchannel.collectors.base import make_collectors

    from backchannel.pipeline import collect_round
    from backchannel.cli.output import echo_problems
    from backchannel.sanitize import terminal_text as safe

    cfg = load_config(config_path, data_dir, required=True)
    collectors = make_collectors(cfg, os.environ, sources)
    if not collectors:
        raise InputError(f"{cfg.path}: no sources configured (add [sources.mastodon], "
                         "[sources.bluesky] or [sources.rss])")
    writer = open_writer(cfg)
    try:
        on_error = (lambda tb: click.echo(tb, err=True)) if verbose else None
        with progress_for(quiet, as_json) as progress:
            def on_batch(r):
                progress.update(r.source, done=r.requests, unit="pages", info=f"{r.added:,} new")

            reports = collect_round(writer, collectors, recheck_hours=recheck, on_error=on_error,
                                    on_batch=on_batch)
    finally:
        close_writer(writer)
    failed = False
    for r in reports:
        failed |= bool(r.errors)
        if quiet and not as_json:
            echo_problems(r, verbose)
            continue
        if as_json:
            click.echo(json.dumps(r.as_dict()))
            continue
        for line in r.lines():
            click.echo(safe(line))
        echo_problems(r, verbose)
    if failed:
        sys.exit(1)


@cli.command()
@common
@click.option("--source", "sources", multiple=True, type=click.Choice(["mastodon", "bluesky", "rss"]),
              help="Only these sources (repeatable).")
@click.option("--no-digest", is_flag=True, help="Collect only; don't refresh the digest.")
@click.option("--recheck", type=float, default=None, metavar="HOURS",
              help="Every 10 minutes, re-check posts of the last HOURS for edits and deletions.")
@click.option("-q", "--quiet", is_flag=True, help="Only errors (when not on a terminal).")
@click.option("-v", "--verbose", is_flag=True, help="Also log warnings of every poll.")
@click.option("--log-file", type=click.File("a", encoding="utf-8"), help="Also append log lines to this file.")
@click.option("--stop-after", type=float, default=None, metavar="SECONDS",
              help="Stop by itself after SECONDS (for trials and tests).")
def run(config_path, data_dir, sources, no_digest, recheck, quiet, verbose, log_file, stop_after):
    """Keep collecting from every source, each on its own interval, and refresh the digest.

    Shows per source the last and next poll, new posts and errors, and the digest's last
    refresh: a live table on a terminal, log lines otherwise. The same status is written to
    the data dir every 2 seconds for `backchannel status`. Ctrl-C stores what is in flight
    and exits; a restart resumes from the stored cursors. A second `run` on the same data
    dir refuses to start.

    Example: backchannel run --recheck 2 --log-file run.log
    """
    import os

    from backchannel.collectors.base import make_collectors

    from backchannel.run import Runner
    from backchannel.run_display import Display
    from backchannel.status_file import StatusWriter
    from backchannel.review import queue_length
    from backchannel.wall import ModerationWatch

    def review_queue(cfg, archive):
        """Approve mode: the review queue's length, shown in `run` and `status` after each refresh."""
        return (lambda: queue_length(archive, cfg)) if cfg.moderation.mode == "approve" else None

    cfg = load_config(config_path, data_dir, required=True)
    collectors = make_collectors(cfg, os.environ, sources)
    if not collectors:
        raise InputError(f"{cfg.path}: no sources configured (add [sources.mastodon], "
                         "[sources.bluesky] or [sources.rss])")
    intervals = {name: section.interval for name, section in
                 (("mastodon", cfg.mastodon), ("bluesky", cfg.bluesky), ("rss", cfg.rss)) if section}
    writer = open_writer(cfg)
    display = Display(quiet=quiet, log_file=log_file, console=console(), tz=cfg.event.tz)
    try:
        build = None if no_digest else digest_builder(cfg)
        runner = Runner(writer, collectors, intervals, cfg.digest.refresh, build, log=display.log,
                        recheck_hours=recheck, on_change=display.update, warnings=verbose,
                        moderation=None if no_digest else ModerationWatch(cfg, writer.archive),
                        review_queue=review_queue(cfg, writer.archive))
        display.update(runner.status)
        with display, StatusWriter(cfg.data_dir, display.snapshot):
            display.log(f"collecting {', '.join(c.name for c in collectors)} into {cfg.data_dir}"
                        + ("" if no_digest else f"; digest in {cfg.digest.output}"))
            runner.run(max_seconds=stop_after)
    finally:
        close_writer(writer)


@cli.command()
@common
@click.argument("query", default="")
@click.option("--source", multiple=True, help="mastodon, bluesky, rss or import (repeatable).")
@click.option("--author", multiple=True, help="A handle, e.g. ada@example.social or ada (repeatable).")
@click.option("--tag", multiple=True, help="A hashtag, with or without '#' (repeatable).")
@click.option("--kind", multiple=True, help="takeaway, question, resource, shoutout or other (repeatable).")
@click.option("--talk", multiple=True,
              help="A talk: its code or id (PERF01, 101), GUID/UID, or words of its title (repeatable).")
@click.option("--lang", multiple=True, help="A language code such as en or de (repeatable).")
@click.option("--since", help="From this date or date-time (event time zone), e.g. 2026-09-01 or 2026-09-01T14:00.")
@click.option("--until", help="Up to this date (inclusive) or date-time (exclusive).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "popular"]), default="relevance",
              show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
@click.option("--explain", is_flag=True, help="Show which talk each post belongs to, and why.")
@click.option("--include-hidden", is_flag=True, help="Also posts a moderator hid (`backchannel hide`).")
def search(config_path, data_dir, query, source, author, tag, kind, talk, lang, since, until,
           sort, limit, as_json, explain, include_hidden):
    """Search the archive. QUERY uses Whoosh syntax: words, "a phrase", AND/OR/NOT,
    field:value (author, tag, source, kind, talk, lang), created:>20260901.

    Exit code 0 with hits, 1 with none, 2 for a bad query.

    Example: backchannel search "vector index" --kind takeaway --since 2026-09-01
    """
    from backchannel.archive import Archive
    from backchannel.index import Index
    from backchannel.moderation import state as moderation_state
    from backchannel.cli.output import hit_json, hit_text
    from backchannel.search import Filters, parse_moment, search as run_search

    cfg = load_config(config_path, data_dir)
    tz = cfg.event.tz
    filters = Filters(list(source), list(author), list(tag), list(kind), list(talk), list(lang),
                      parse_moment(since, tz) if since else None,
                      parse_moment(until, tz, end=True) if until else None)
    archive_path = cfg.data_dir / "archive.db"
    if not archive_path.exists():
        raise InputError(f"{cfg.data_dir}: no archive here yet (run `backchannel collect` or "
                         "`backchannel import` first, or pass --data-dir)")
    with Archive(archive_path, readonly=True) as archive:
        index = Index.in_dir(cfg.data_dir)
        note = index.catch_up_for_reading(archive, cfg.data_dir)
        hidden = () if include_hidden else moderation_state(archive).hidden
        results = run_search(index, archive, query, filters, sort, limit, exclude=hidden)
        index.close()
    if note:
        click.echo(f"warning: {note}", err=True)
    color = not as_json and color_on(sys.stdout)
    for rank, hit in enumerate(results.hits, 1):
        click.echo(hit_json(hit, rank) if as_json else hit_text(hit, rank, tz, color, explain) + "\n")
    if not as_json:
        shown = len(results.hits)
        more = f" (showing {shown}; --limit shows more)" if results.total > shown else ""
        click.echo(f"{results.total} match{'es' if results.total != 1 else ''}{more}", err=True)
    if not results.hits:
        sys.exit(1)


@cli.command("import")
@common
@click.argument("file", type=click.File("rb"), default="-")
@click.option("--format", "fmt", type=click.Choice(list(IMPORT_FORMATS)), default=None,
              help="The file's format (default: told from its content).")
@click.option("--event", "event_only", is_flag=True,
              help="Keep only posts with one of the config's [event] hashtags, between its start and end.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary; only bad lines.")
def import_(config_path, data_dir, file, fmt, event_only, quiet):
    """Import posts from a file (FILE, or - for standard input): our own Post JSONL, or
    another tool's export — twarc (v1.1) or twarc2 JSONL, a Twitter archive (.zip or its
    tweets.js), a TAGS sheet saved as CSV, a Mastodon export (.tar.gz or its outbox.json),
    a Bluesky repository (.car); gzipped too.

    Bad lines or records are reported by position and skipped; every good one is kept.
    Posts left out on purpose (not public, retweets without their original, outside the
    event) are counted by reason. Shows progress on a terminal. Exit code 1 if some records were bad, 2 if all were.

    Example: backchannel import --event twitter-2023-01-20-ab12.zip
    """
    from backchannel.importer import import_file
    from backchannel.importers import event_filter
    from backchannel.sanitize import terminal_text

    cfg = load_config(config_path, data_dir, required=event_only)
    keep = event_filter(cfg.event) if event_only else None
    writer = open_writer(cfg)
    try:
        with progress_for(quiet) as progress:
            started = []

            def tick(report):
                if not started:
                    progress.stage("import", report.bytes_total, "bytes")
                    started.append(True)
                progress.update("import", done=report.bytes_read,
                                info=f"{report.lines:,} {report.unit}s, {report.good:,} stored")

            report = import_file(file, writer, fmt, keep, tick)
            tick(report)
    finally:
        close_writer(writer)
    where = "{}:{}:" if report.unit == "line" else "{}: " + report.unit + " {}:"
    name = getattr(file, "name", "<stdin>")
    for number, problem in report.bad[:20]:
        click.echo(terminal_text(f"{where.format(name, number)} {problem}"), err=True)
    if len(report.bad) > 20:
        click.echo(f"… and {len(report.bad) - 20} more bad {report.unit}s", err=True)
    extra = "".join(f", {n} {what}" for n, what in (
        (report.unchanged, "unchanged"), (report.refused, "deleted earlier, not restored"),
        (report.blocked, "blocked"), (len(report.bad), f"bad {report.unit}s skipped")) if n)
    if not quiet:
        click.echo(f"Imported {report.added} new posts, {report.updated} updated{extra}.")
        for reason, n in sorted(report.skipped.items(), key=lambda kv: -kv[1]):
            click.echo(f"Left out {n}: {reason}")
    if report.bad:
        sys.exit(2 if not (report.good or report.skipped) else 1)


@cli.command()
@common
@click.option("--format", "fmt", type=click.Choice(["jsonl", "csv"]), default="jsonl", show_default=True)
@click.option("-o", "--output", type=click.File("w", encoding="utf-8"), default="-",
              help="Write here instead of standard output.")
@click.option("--source", help="Only posts from this source.")
@click.option("--include-hidden", is_flag=True, help="Also posts a moderator hid.")
@click.option("--moderation", "moderation_log", is_flag=True,
              help="Export the moderation log (every hide, pin, approve … as JSONL) instead of posts.")
def export(config_path, data_dir, fmt, output, source, include_hidden, moderation_log):
    """Export the archive as Post JSONL or CSV, with kind, score and talk; or, with
    --moderation, its moderation log.

    Posts a moderator hid are left out unless --include-hidden.

    Example: backchannel export --format csv -o posts.csv
    """
    from backchannel.archive import Archive
    from backchannel.exporter import export as run_export, export_moderation
    from backchannel.moderation import state as moderation_state

    cfg = load_config(config_path, data_dir)
    with Archive.in_dir(cfg.data_dir, readonly=True) as archive:
        try:
            if moderation_log:
                n, what = export_moderation(archive, output, fmt), "moderation actions"
            else:
                hidden = set() if include_hidden else set(moderation_state(archive).hidden)
                posts = (p for p in archive.posts(source=source) if p.id not in hidden)
                codes = {row["id"]: row["code"] for row in archive.talk_rows() if row["code"]}
                n, what = run_export(posts, output, fmt, codes), "posts"
            output.flush()  # a full device fails here at the latest, as one line, not at exit
        except OSError as exc:
            try:
                output.close()  # drops what could not be written, so closing at exit fails no more
            except OSError:
                pass
            raise BackchannelError(f"{output.name}: cannot write: {exc.strerror}", exit_code=1) from None
    if output is not sys.stdout and getattr(output, "name", "-") != "<stdout>":
        click.echo(f"Exported {n} {what} to {output.name}", err=True)


@cli.command()
@common
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def stats(config_path, data_dir, as_json):
    """Count the archive's posts by source, day and kind.

    Example: backchannel stats --json
    """
    from backchannel.archive import Archive
    from backchannel.cli.output import stats_text
    from backchannel.counts import compute

    cfg = load_config(config_path, data_dir)
    with Archive.in_dir(cfg.data_dir, readonly=True) as archive:
        s = compute(archive, cfg.event.tz)
    click.echo(json.dumps(s.as_dict()) if as_json else stats_text(s))


@cli.command()
@common
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary.")
def reindex(config_path, data_dir, quiet):
    """Rebuild the search index from the archive (safe at any time: the archive is the record).

    Shows progress on a terminal.

    Example: backchannel reindex
    """
    cfg = load_config(config_path, data_dir)
    writer = open_writer(cfg)
    try:
        with progress_for(quiet) as progress:
            n = writer.index.rebuild(writer.archive, progress)
    finally:
        close_writer(writer)
    if not quiet:
        click.echo(f"Indexed {n} posts.")


@cli.command()
@common
@click.argument("file", type=click.File("r", encoding="utf-8", errors="replace"), default="-")
def classify(config_path, data_dir, file):
    """Classify posts: JSONL in (each with `id` and `text`; optional `lang`, `source`,
    `metrics`), one `{"id", "kind", "score"}` line out per input, in order.

    Kinds: takeaway, question, resource, shoutout, other. Needs no config and no archive.
    Bad lines are reported as `line N: problem` on standard error and skipped; exit code 1
    if there were any.

    Example: backchannel classify posts.jsonl > kinds.jsonl
    """
    from backchannel.classify.classifier import classify_lines
    from backchannel.cli.output import json_line

    bad = 0
    for number, result, error in classify_lines(file):
        if error:
            bad += 1
            click.echo(f"line {number}: {error}", err=True)
        else:
            click.echo(json_line(result))
    if bad:
        raise BackchannelError(f"{bad} bad line{'s' if bad != 1 else ''} skipped", exit_code=1)


def main() -> None:
    cli(prog_name="backchannel")


# Commands that live in their own modules (they import `common` from here).
from backchannel.cli.demo import demo  # noqa: E402
from backchannel.cli.digest import build, serve  # noqa: E402
from backchannel.cli.moderation import hide, moderation, pin, review, unhide, unpin  # noqa: E402
from backchannel.cli.status import status  # noqa: E402
from backchannel.cli.talks import talks  # noqa: E402

for command in (build, serve, demo, status, hide, unhide, pin, unpin, moderation, review, talks):
    cli.add_command(command)
