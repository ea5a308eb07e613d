"""The `backchannel` command group (and `init`). Each command parses options, calls one library
function and turns library errors into one clean line (see `errors.py`); the work happens
elsewhere. The commands live in modules by what they do and are registered at the end."""

from __future__ import annotations

from pathlib import Path

import click

from backchannel import __version__
from backchannel.cli.common import Group, common
from backchannel.errors import InputError


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
    from backchannel.config import DEFAULT_CONFIG, starter

    target = config_path or Path(DEFAULT_CONFIG)
    if target.exists() and not force:
        raise InputError(f"{target}: already exists (use --force to overwrite)")
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(starter(), "utf-8")
    from backchannel.hints import program

    click.echo(f"Wrote {target}. Edit [event] and the sources, then run: {program()} collect --once")


def main() -> None:
    cli(prog_name="backchannel")


# The commands, from their modules (`--help` lists them in alphabetical order).
from backchannel.cli.archive import export, import_, reindex, stats  # noqa: E402
from backchannel.cli.classify import classify  # noqa: E402
from backchannel.cli.collect import collect, run  # noqa: E402
from backchannel.cli.demo import demo  # noqa: E402
from backchannel.cli.digest import build, serve  # noqa: E402
from backchannel.cli.moderation import hide, moderation, pin, review, unhide, unpin  # noqa: E402
from backchannel.cli.placement import place, unplace  # noqa: E402
from backchannel.cli.search import search  # noqa: E402
from backchannel.cli.status import status  # noqa: E402
from backchannel.cli.talks import talks  # noqa: E402

for command in (collect, run, search, import_, export, stats, reindex, classify,
                build, serve, demo, status, hide, unhide, pin, unpin, moderation, review, talks,
                place, unplace):
    cli.add_command(command)
