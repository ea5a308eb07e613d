"""`backchannel classify`: posts in, their kinds out; needs no config and no archive."""

from __future__ import annotations

import click

from backchannel.cli.common import common
from backchannel.errors import BackchannelError


@click.command()
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
