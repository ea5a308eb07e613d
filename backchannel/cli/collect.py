"""`backchannel collect` and `backchannel run`: posts from the configured sources into the archive."""

from __future__ import annotations

import json
import os
import sys

import click

from backchannel.cli.common import common, console, load_config, progress_for
from backchannel.names import COLLECTED_SOURCES


@click.command()
@common
@click.option("--once", is_flag=True, help="Poll every source once and exit (the default; `run` keeps polling).")
@click.option("--source", "sources", multiple=True, type=click.Choice(COLLECTED_SOURCES),
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
    from backchannel.cli.output import echo_problems, source_summary
    from backchannel.pipeline import collect as collect_once

    cfg = load_config(config_path, data_dir, required=True)
    on_error = (lambda tb: click.echo(tb, err=True)) if verbose else None
    with progress_for(quiet, as_json) as progress:
        def on_batch(r):
            progress.update(r.source, done=r.requests, unit="pages", info=f"{r.added:,} new")

        reports = collect_once(cfg, os.environ, sources, recheck, on_error=on_error, on_batch=on_batch)
    for r in reports:
        if as_json:
            click.echo(json.dumps(r.as_dict()))
        elif not quiet:
            click.echo(source_summary(r))
        if not as_json:
            echo_problems(r, verbose)
    if any(r.errors for r in reports):
        sys.exit(1)


@click.command()
@common
@click.option("--source", "sources", multiple=True, type=click.Choice(COLLECTED_SOURCES),
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
    from backchannel.run import run_event
    from backchannel.run_display import Display

    cfg = load_config(config_path, data_dir, required=True)
    display = Display(quiet=quiet, log_file=log_file, console=console())
    run_event(cfg, os.environ, display, sources, digest=not no_digest, recheck_hours=recheck,
              warnings=verbose, stop_after=stop_after)
