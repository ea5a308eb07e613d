"""The archive as a whole: `import`, `export`, `stats` and `reindex`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from backchannel.cli.common import common, load_config, progress_for
from backchannel.exporter import FORMATS as EXPORT_FORMATS
from backchannel.importers import FORMATS as IMPORT_FORMATS


@click.command("import")
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
    from backchannel.cli.output import import_problems, import_summary
    from backchannel.importer import import_into

    cfg = load_config(config_path, data_dir, required=event_only)
    with progress_for(quiet) as progress:
        started = []

        def tick(report):
            if not started:
                progress.stage("import", report.bytes_total, "bytes")
                started.append(True)
            progress.update("import", done=report.bytes_read,
                            info=f"{report.lines:,} {report.unit}s, {report.good:,} stored")

        report = import_into(cfg, file, fmt, event_only, tick)
        tick(report)
    for line in import_problems(report, getattr(file, "name", "<stdin>")):
        click.echo(line, err=True)
    if not quiet:
        click.echo(import_summary(report))
    if report.bad:
        sys.exit(2 if not (report.good or report.skipped) else 1)


@click.command()
@common
@click.option("--format", "fmt", type=click.Choice(EXPORT_FORMATS), default="jsonl", show_default=True)
# A plain path, opened only when there is something to write: an export that finds nothing
# leaves no file behind.
@click.option("-o", "--output", type=click.Path(dir_okay=False, allow_dash=True, path_type=Path), default=None,
              help="Write here instead of standard output.")
@click.option("--source", help="Only posts from this source.")
@click.option("--include-hidden", is_flag=True, help="Also posts a moderator hid.")
@click.option("--moderation", "moderation_log", is_flag=True,
              help="Export the moderation log (every hide, pin, approve … as JSONL) instead of posts.")
def export(config_path, data_dir, fmt, output, source, include_hidden, moderation_log):
    """Export the archive as Post JSONL or CSV, with kind, score and talk; or, with
    --moderation, its moderation log.

    Posts a moderator hid are left out unless --include-hidden. Exit code 1 when there was
    nothing to export (then nothing is written).

    Example: backchannel export --format csv -o posts.csv
    """
    from backchannel.exporter import export_archive

    cfg = load_config(config_path, data_dir)
    path = None if output is None or str(output) == "-" else output
    n = export_archive(cfg.data_dir, path, fmt, source, include_hidden, moderation_log)
    what = "moderation actions" if moderation_log else "posts"
    if not n:
        nothing = "No moderation actions yet" if moderation_log else \
            "No posts to export" + (f" from {source}" if source else "")
        click.echo(f"{nothing}; nothing written" + (f" to {path}" if path else "") + ".", err=True)
        sys.exit(1)
    if path:
        click.echo(f"Exported {n} {what} to {path}", err=True)


@click.command()
@common
@click.option("--json", "as_json", is_flag=True, help="One JSON object.")
def stats(config_path, data_dir, as_json):
    """Count the archive's posts by source, day and kind. Exit code 1 when it holds none.

    Example: backchannel stats --json
    """
    from backchannel.cli.output import stats_text
    from backchannel.counts import count_archive

    cfg = load_config(config_path, data_dir)
    s = count_archive(cfg.data_dir, cfg.event.tz)
    click.echo(json.dumps(s.as_dict()) if as_json else stats_text(s))
    if not s.total:
        sys.exit(1)


@click.command()
@common
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary.")
def reindex(config_path, data_dir, quiet):
    """Rebuild the search index from the archive (safe at any time: the archive is the record).

    Shows progress on a terminal.

    Example: backchannel reindex
    """
    from backchannel.pipeline import reindex as rebuild

    cfg = load_config(config_path, data_dir)
    with progress_for(quiet) as progress:
        n = rebuild(cfg, progress)
    if not quiet:
        click.echo(f"Indexed {n} posts.")
