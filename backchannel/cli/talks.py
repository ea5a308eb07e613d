"""`backchannel talks`: the programme as the archive knows it, with post counts.

Registered on the main group with `cli.add_command(talks)`.
"""

from __future__ import annotations

import sys

import click

from backchannel.cli.common import common, load_config


@click.command()
@common
@click.option("--json", "as_json", is_flag=True, help="One JSON object per talk.")
def talks(config_path, data_dir, as_json):
    """List the programme's talks: day and time (event time zone), room, code, title,
    speakers and how many posts each has. Use the code (or words of the title) with
    `search --talk`.

    Exit code 1 when there are no talks (no [event] schedule, or none in it).

    Example: backchannel talks --json
    """
    from backchannel.cli.output import json_line
    from backchannel.talks.names import as_text, listing

    cfg = load_config(config_path, data_dir)
    rows, notes = listing(cfg)
    for note in notes if not as_json else ():
        click.echo(note, err=True)
    for row in rows:
        click.echo(json_line(row) if as_json else as_text(row, cfg.event.tz))
    if not rows:
        click.echo("no talks: set [event] schedule to the programme (pretalx/frab JSON, frab XML or "
                   "iCalendar; see the README)" if not cfg.event.schedule else "no talks in the programme",
                   err=True)
        sys.exit(1)
