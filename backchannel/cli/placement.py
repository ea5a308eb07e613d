"""`place` and `unplace`: the organisers put a post on the right talk, or on none, and take
that back (`backchannel/placement.py` has the design). Registered in `cli/main.py`.

Like `hide`, they write the archive's moderation log and work beside `backchannel run`.
"""

from __future__ import annotations

import json
import sys

import click

from backchannel.cli.common import common, load_config
from backchannel.errors import InputError

_POST = ("POST is the post's id, its URL at the source, or its page in the digest or on the wall "
         "(several may be given).")


def _talks(cfg) -> list[dict]:
    """The programme's talks as `backchannel talks` lists them."""
    from backchannel.talks.names import listing

    return listing(cfg)[0]


def _talk(rows: list[dict], name: str) -> dict:
    """The talk `name` names, as `talks` and `search --talk` take it (code, id, GUID/UID, title words)."""
    from backchannel.talks.names import resolve

    if not rows:
        raise InputError("--talk: there are no talks to place posts on (set [event] schedule to the "
                         "programme; `backchannel talks` lists them)")
    return resolve(name, rows)


def _now_on(cfg, ids: list[str]) -> dict[str, tuple[str | None, str | None]]:
    """Post id → (talk, talk_reason) as stored now."""
    from backchannel.archive import Archive
    from backchannel.checks import archive_path

    with Archive(archive_path(cfg.data_dir), readonly=True) as archive:
        return {i: (p.talk, p.talk_reason) for i, p in archive.get_many(ids).items()}


def _act(action, cfg, rows, posts, talk_id, reason, by, as_json) -> None:
    from backchannel.cli.moderation import _describe
    from backchannel.talks.names import label
    from backchannel.moderation import terminal_text
    from backchannel.pipeline import apply_placements
    from backchannel.wall import moderate_all

    labels = {row["id"]: label(row) for row in rows}
    where = labels.get(talk_id, talk_id) if talk_id else "no talk (the day only)"
    outcomes, _ = moderate_all(cfg, list(posts), action, reason or "", by, talk_id)
    changed = [o for o in outcomes if o.done]
    waiting = apply_placements(cfg) if changed else None
    applied = waiting is None
    now = _now_on(cfg, [o.post.id for o in outcomes if o.post]) if applied else {}
    for o in outcomes:
        if o.error:
            click.echo(f"error: {o.error}", err=True)
        elif as_json:
            done = o.done
            talk, why = now.get(o.post.id, (None, None))
            click.echo(json.dumps({"post_id": o.post.id, "action": action, "changed": done is not None,
                                   **({"placed": talk_id} if action == "place" else {}),
                                   **({"n": done.n, "at": done.at, "by": done.by} if done else {}),
                                   **({"talk": talk, "talk_reason": why} if applied else {"applied": False})},
                                  ensure_ascii=False))
        elif action == "place":
            click.echo(f"Placed {_describe(o.post)} on {terminal_text(where)}" if o.done
                       else f"{o.post.id}: already placed on {terminal_text(where)}")
        elif o.done:
            talk = now.get(o.post.id, (None, None))[0]
            back = (f": the matcher puts it on {terminal_text(labels.get(talk, talk))}" if talk
                    else ": the matcher puts it on no talk") if applied else ""
            click.echo(f"Unplaced {_describe(o.post)}{back}")
        else:
            click.echo(f"{o.post.id}: not placed")
    if changed and not as_json:
        if applied:
            click.echo("`talks`, `search` and `export` show it now; the digest and the wall at the next "
                       "build (`backchannel run` rebuilds at once).", err=True)
        else:
            click.echo(f"Recorded; {waiting}.", err=True)
    bad = sum(1 for o in outcomes if o.error)
    if bad:
        sys.exit(2 if bad == len(outcomes) else 1)


@click.command(help=f"""Put posts on the talk they are about (or, with --none, on no talk),
whatever the matcher said. The organisers' choice wins everywhere: `talks` counts, `search
--talk`, the digest, the wall and exports, and it survives a new programme and `reindex`;
`unplace` gives the matcher's choice back. {_POST}

Example: backchannel place https://example.social/@ana/1123 --talk PERF01 --reason "her slides"
""")
@common
@click.argument("posts", nargs=-1, required=True, metavar="POST...")
@click.option("--talk", "talk", default=None, metavar="TALK",
              help="The talk: its code, id, GUID/UID or title words (as `backchannel talks` shows them).")
@click.option("--none", "no_talk", is_flag=True, help="On no talk: about the day only.")
@click.option("--reason", default="", help="Why (kept in the moderation log, not published).")
@click.option("--by", default=None, help="Who did it (default: your login name; kept in the moderation log, not published).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per post.")
def place(config_path, data_dir, posts, talk, no_talk, reason, by, as_json):
    if (talk is None) == (not no_talk):
        raise click.UsageError("give --talk TALK or --none (one of them)")
    cfg = load_config(config_path, data_dir)
    rows = _talks(cfg)
    talk_id = _talk(rows, talk)["id"] if talk is not None else None
    _act("place", cfg, rows, posts, talk_id, reason, by, as_json)


@click.command()
@common
@click.argument("posts", nargs=-1, required=True, metavar="POST...")
@click.option("--reason", default="", help="Why (kept in the moderation log).")
@click.option("--by", default=None, help="Who did it (default: your login name).")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per post.")
def unplace(config_path, data_dir, posts, reason, by, as_json):
    """Take back a `place`: the matcher chooses the posts' talk again (with today's programme).
    POST as for `place`.

    Example: backchannel unplace mastodon-1f3a9c0d2e4b5a6c7d8e
    """
    cfg = load_config(config_path, data_dir)
    _act("unplace", cfg, _talks(cfg), posts, None, reason, by, as_json)
