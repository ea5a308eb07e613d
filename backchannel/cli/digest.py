"""`backchannel build` and `backchannel serve`: the static digest, as thin commands.

Registered on the main group with `cli.add_command(build)` and `cli.add_command(serve)`.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import click

from backchannel.cli.common import common, load_config, progress_for


@click.command()
@common
# A plain path: `check_output` says in one line what is wrong with it (a file, the data dir …).
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Write the digest here instead of [digest] output.")
@click.option("--full", is_flag=True, help="Render and compare every page again, not only what changed.")
@click.option("--no-search", "no_search", is_flag=True,
              help="Skip the in-browser search index (pages only; faster).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object describing the build.")
@click.option("-q", "--quiet", is_flag=True, help="No progress and no summary; only errors.")
def build(config_path, data_dir, output, full, no_search, as_json, quiet):
    """Build the static digest of the event: front page, talks, days, kinds, one page per
    post, people and links, feed.xml, recap.md, posts.jsonl, and in-browser search.

    Rebuilding rewrites only the pages whose content changed. Shows progress per stage on a
    terminal. Exit code 1 when the pages were written but the search index failed.

    Example: backchannel build && backchannel serve
    """
    from backchannel import digest

    cfg = load_config(config_path, data_dir)
    with progress_for(quiet, as_json) as progress:
        report = digest.build(cfg, output=output, search=not no_search, full=full, progress=progress)
    if as_json or not quiet:
        click.echo(json.dumps(report.as_dict()) if as_json else report.summary())
    if report.search and report.search.error:
        click.echo(f"error: {report.search.error}", err=True)
        sys.exit(1)


@click.command()
@common
@click.option("-o", "--output", type=click.Path(path_type=Path), default=None,
              help="Serve this folder instead of [digest] output.")
@click.option("--port", type=click.IntRange(0, 65535), default=8000, show_default=True,
              help="The port on 127.0.0.1 (0 picks a free one).")
def serve(config_path, data_dir, output, port):
    """Serve the built digest on http://127.0.0.1:PORT (search needs it served, not opened
    as a file). Stop with Ctrl-C.

    Example: backchannel serve --port 8080
    """
    from backchannel.serve import make_server, serve_until_interrupted

    from backchannel.config import check_output

    cfg = load_config(config_path, data_dir)
    check_output(output or cfg.digest.output, cfg)
    server = make_server(output or cfg.digest.output, port)
    host, real_port = server.server_address[:2]
    click.echo(f"Serving {output or cfg.digest.output} on http://{host}:{real_port}/ (Ctrl-C stops)")
    serve_until_interrupted(server)
