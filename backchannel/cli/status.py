"""`backchannel status`: what a `run` on the same data dir is doing, from any terminal.

Registered on the main group with `cli.add_command(status)`.
"""

from __future__ import annotations

import json
import sys
import time

import click

from backchannel.cli.common import common, console, load_config


@click.command()
@common
@click.option("--watch", is_flag=True, help="Keep showing it, refreshed every 2 seconds, until Ctrl-C or the run stops.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object (per refresh with --watch).")
def status(config_path, data_dir, watch, as_json):
    """Show what the `run` on this data dir is doing: per source the last and next poll, new
    posts and errors; the archive; the digest's last refresh. Reads the status file that
    `run` rewrites every 2 seconds, so it works from any terminal (ssh included).

    Exit code 0 while a `run` is active, 1 when none is (never started, stopped, killed, or
    its status file is stale).

    Example: backchannel status --watch
    """
    from backchannel.checks import archive_path
    from backchannel.status_file import EVERY, read

    cfg = load_config(config_path, data_dir)
    archive_path(cfg.data_dir)  # a `run` makes the archive first: none means the wrong folder
    out = console(sys.stdout)
    live = None
    try:
        while True:
            data, inactive = read(cfg.data_dir)
            if as_json:
                click.echo(json.dumps(_as_json(data, inactive), ensure_ascii=False))
            elif inactive:
                if live:
                    live.stop()
                    live = None
                click.echo(inactive, err=True)
            else:
                shown = _shown(data)
                if watch and out.is_terminal:
                    if live is None:
                        from rich.live import Live

                        live = Live(shown, console=out, auto_refresh=False)
                        live.start()
                    live.update(shown, refresh=True)
                else:
                    out.print(shown)
            if inactive:
                sys.exit(1)
            if not watch:
                return
            if not as_json and not out.is_terminal:
                out.print()
            time.sleep(EVERY)
    except KeyboardInterrupt:
        pass
    finally:
        if live:
            live.stop()


def _as_json(data: dict | None, inactive: str | None) -> dict:
    record = {"active": inactive is None, "reason": inactive}
    if data:
        record.update({k: data.get(k) for k in ("state", "pid", "host", "written", "stopped")},
                      run=data.get("run"))
    return record


def _shown(data: dict):
    from rich.console import Group
    from rich.text import Text

    from datetime import datetime, timezone

    from backchannel.run_display import ago, safe, view

    written = datetime.fromisoformat(data["written"])
    head = Text(f"backchannel run · pid {data['pid']} on {safe(data.get('host'), 60)} · "
                f"status written {ago(written, datetime.now(timezone.utc))}", style="bold")
    run = data.get("run")
    if not run:
        return Group(head, Text("starting …"))
    recent = [Text(safe(line, 200), style="dim", no_wrap=True, overflow="ellipsis")
              for line in run.get("recent", [])]
    return Group(head, Text(""), view(run), *([Text(""), *recent] if recent else []))
