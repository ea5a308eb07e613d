"""Moderation commands: `hide`, `unhide`, `pin`, `unpin`, `moderation` and `review`
(`place` and `unplace` are in `cli/placement.py`).

They write only the archive's moderation log (see `moderation.py`), so they work while
`backchannel run` is collecting, from another terminal or over ssh. Registered on the main
group in `cli/main.py`.
"""

from __future__ import annotations

import json
import sys

import click

from backchannel.cli.common import common, load_config
from backchannel.errors import BackchannelError

DONE = {"hide": "Hidden", "unhide": "Unhidden", "pin": "Pinned", "unpin": "Unpinned"}
ALREADY = {"hide": "already hidden", "unhide": "not hidden", "pin": "already pinned", "unpin": "not pinned"}


def _describe(post) -> str:
    from backchannel.moderation import terminal_text

    who = terminal_text(post.author.name or post.author.handle, 40) or "someone"
    return f"{post.id} ({who}: \"{terminal_text(post.text, 60)}\")"


def _act(action: str, config_path, data_dir, posts, reason, by, as_json) -> None:
    from backchannel.wall import moderate_all

    cfg = load_config(config_path, data_dir)
    outcomes, wall = moderate_all(cfg, list(posts), action, reason or "", by)
    for o in outcomes:
        if o.error:
            click.echo(f"error: {o.error}", err=True)
        elif as_json:
            done = o.done
            click.echo(json.dumps({"post_id": o.post.id, "action": action, "changed": done is not None,
                                   **({"n": done.n, "at": done.at, "by": done.by} if done else {})}))
        else:
            click.echo(f"{DONE[action]} {_describe(o.post)}" if o.done else f"{o.post.id}: {ALREADY[action]}")
    if any(o.done for o in outcomes) and not as_json:
        if wall:
            click.echo(f"The open wall follows within {cfg.wall.poll} s; the digest at its next refresh "
                       "(`backchannel run` notices at once; otherwise `backchannel build`).", err=True)
        else:
            click.echo("No wall built yet: the digest and the wall follow at the next build.", err=True)
    bad = sum(1 for o in outcomes if o.error)
    if bad:
        sys.exit(2 if bad == len(outcomes) else 1)


def _moderation_command(action: str, doc: str):
    @click.command(action, help=doc)
    @common
    @click.argument("posts", nargs=-1, required=True, metavar="POST...")
    @click.option("--reason", default="", help="Why (kept in the moderation log).")
    @click.option("--by", default=None, help="Who did it (default: your login name).")
    @click.option("--json", "as_json", is_flag=True, help="One JSON object per post.")
    def command(config_path, data_dir, posts, reason, by, as_json):
        _act(action, config_path, data_dir, posts, reason, by, as_json)

    return command


_POST = ("POST is the post's id, its URL at the source, or its page in the digest or on the wall "
         "(several may be given).")

hide = _moderation_command("hide", f"""Hide posts from the wall, the digest, search and exports.

The post stays in the archive (`unhide` brings it back). {_POST} An open wall drops it on its
next poll; during `run` the digest follows within seconds.

Example: backchannel hide https://example.social/@troll/1123 --reason "harassment"
""")
unhide = _moderation_command("unhide", f"""Bring hidden posts back. {_POST}

Example: backchannel unhide mastodon-1f3a9c0d2e4b5a6c7d8e
""")
pin = _moderation_command("pin", f"""Pin posts to the wall's spotlight (an announcement, a great
takeaway). {_POST}

Example: backchannel pin mastodon-1f3a9c0d2e4b5a6c7d8e --reason "lunch moved to 13:00"
""")
unpin = _moderation_command("unpin", f"""Take posts off the wall's spotlight. {_POST}

Example: backchannel unpin mastodon-1f3a9c0d2e4b5a6c7d8e
""")


@click.command()
@common
@click.option("--log", "show_log", is_flag=True, help="Every action ever taken, oldest first.")
@click.option("--json", "as_json", is_flag=True, help="One JSON object per line.")
def moderation(config_path, data_dir, show_log, as_json):
    """List what is hidden, pinned, held for review or placed on a talk: when, why and by whom.

    Example: backchannel moderation --log
    """
    from backchannel.moderation import listing, terminal_text

    cfg = load_config(config_path, data_dir)
    rows = listing(cfg, log=show_log)
    talks = _talk_labels(cfg) if any(a.action == "place" for _, a, _ in rows) and not as_json else {}
    for status, a, post in rows:
        if as_json:
            extra = {"status": status} if status else {}
            click.echo(json.dumps({**extra, **a.as_dict(),
                                   "author": post.author.handle if post else None,
                                   "text": post.text[:200] if post else None}, ensure_ascii=False))
            continue
        label = status or a.action
        who = terminal_text(post.author.handle or post.author.name, 40) if post else "(no longer in the archive)"
        why = f" — {terminal_text(a.reason, 120)}" if a.reason else ""
        if a.action == "place":
            why = f" — on {terminal_text(talks.get(a.talk, a.talk), 80) if a.talk else 'no talk'}{why}"
        click.echo(f"{label:7} {a.at}  {a.post_id}  {who}  by {terminal_text(a.by, 30) or '?'}{why}")
        if post and not show_log:
            click.echo(f"        \"{terminal_text(post.text, 100)}\"")
    if not rows and not as_json:
        click.echo("Nothing is hidden, pinned, held or placed." if not show_log else "No moderation actions yet.")


def _talk_labels(cfg) -> dict[str, str]:
    """Talk id → `PERF01 'Fast Python'`, for placements (a talk no programme has: its id)."""
    from backchannel.talks.names import label, listing as talk_listing

    return {row["id"]: label(row) for row in talk_listing(cfg)[0]}


@click.command()
@common
@click.option("--by", default=None, help="Who reviews (default: your login name).")
def review(config_path, data_dir, by):
    """Go through the posts waiting for review, one key each: a approve, h hide, s skip,
    q quit. Shows author, source, text and why the post was held.

    With `[moderation] mode = "approve"` every new post waits here before it reaches the
    wall, and posts held for spam shapes or blocklist words wait here before they reach the
    digest too. Needs a terminal (over ssh too).

    Example: backchannel review
    """
    from backchannel.archive import Archive
    from backchannel.checks import archive_path
    from backchannel.review import Review, terminal_keys

    cfg = load_config(config_path, data_dir)
    if not sys.stdin.isatty():
        raise BackchannelError("review needs a terminal (it reads one key per post)")
    with Archive(archive_path(cfg.data_dir)) as archive, terminal_keys() as read_key:
        Review(archive, cfg, read_key, click.echo, by).run()
