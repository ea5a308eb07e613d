"""`backchannel demo`: the first thing to run after installing. Registered in `cli/main.py`."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from backchannel.cli.common import common
from backchannel.names import KINDS



@click.command()
@common
@click.option("--dir", "directory", type=click.Path(file_okay=False, path_type=Path),
              default=Path("backchannel-demo"), show_default=True,
              help="Where the demo writes its config, archive and digest.")
@click.option("--serve", "serve_after", is_flag=True, help="Then serve the digest until Ctrl-C.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port for --serve (0 picks a free one).")
@click.option("-v", "--verbose", is_flag=True, help="Show every warning and tracebacks of unexpected errors.")
def demo(config_path, data_dir, directory, serve_after, port, verbose):
    """Collect a sample event with no network and no config, and build its digest.

    Serves "Kettle & Code 2026", a fictional two-day conference (two Mastodon servers,
    Bluesky and three blogs: over 450 posts in seven languages) from 127.0.0.1,
    collects it with the real collectors, then builds the digest. Running it again adds
    nothing.

    Example: backchannel demo --dir /tmp/kettlecode --serve
    """
    from backchannel.demo import run_demo

    on_error = (lambda tb: click.echo(tb, err=True)) if verbose else None
    result = run_demo(directory, config_path, data_dir, on_error=on_error)
    _print(result, verbose)
    if serve_after:
        _serve(result, port)
    if any(r.errors for r in result.reports):
        sys.exit(1)


def _print(result, verbose: bool) -> None:
    from backchannel.cli.output import echo_problems

    click.echo("Kettle & Code 2026, the sample event: served on 127.0.0.1, collected by the real collectors.")
    for r in result.reports:
        extra = "".join(f", {n} {what}" for n, what in ((r.deleted, "deleted at the source"),
                                                        (r.blocked, "blocked")) if n)
        left_out = r.left_out()
        click.echo(f"  {r.source:<9} {result.by_source.get(r.source, 0):>4} posts stored "
                   f"({r.added} new, {r.updated} updated{extra}; {r.requests} requests)"
                   + (f"; {left_out}" if left_out else ""))
        echo_problems(r, verbose, indent="    ", shown=3)
    kinds = ", ".join(f"{result.by_kind[k]} {k}s" if k != "other" else f"{result.by_kind[k]} other"
                      for k in KINDS if result.by_kind.get(k))
    total = sum(result.by_source.values())
    click.echo(f"  archive   {total} posts in {result.data_dir}" + (f": {kinds}" if kinds else ""))
    from backchannel.hints import program

    config, me = _shell(result.config), program()
    click.echo(f"\nThe digest: {result.digest}")
    click.echo(f"Open it:    {me} demo --dir {_shell(result.config.parent)} --serve"
               f"   (or: {me} serve --config {config})")
    query = result.search["query"]
    click.echo(f"Search it:  {me} search --config {config} \"{query}\" --kind {result.search['kind']}")


def _serve(result, port: int) -> None:
    from backchannel.serve import make_server, serve_until_interrupted

    server = make_server(result.output, port)
    host, real_port = server.server_address[:2]
    click.echo(f"\nServing the digest on http://{host}:{real_port}/ (Ctrl-C stops)")
    serve_until_interrupted(server)


def _shell(path: Path) -> str:
    text = str(path)
    return f"'{text}'" if any(c in text for c in " \"'$`\\") else text
