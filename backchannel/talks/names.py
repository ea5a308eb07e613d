"""Talks by the names organisers use: a code or id, a GUID/UID, or words of the title.

    resolve("PERF01", rows)        # pretalx code → that talk
    resolve("101", rows)           # frab id
    resolve("vector search", rows) # every word in the title: one talk, else the candidates

`rows` are the archive's `talks` table (`Archive.talk_rows()`). A name that fits several
talks is an `InputError` listing them; one that fits none says where to look.
"""

from __future__ import annotations

from typing import Any, Iterable

from backchannel.errors import InputError
from backchannel.words import fold, tokens

Row = dict[str, Any]


def resolve(name: str, rows: list[Row], option: str = "--talk") -> Row:
    """The one talk `name` names (id, code, or words of its title)."""
    wanted = name.strip()
    for key in ("id", "code"):
        exact = [r for r in rows if r.get(key) and str(r[key]).casefold() == wanted.casefold()]
        if len(exact) == 1:
            return exact[0]
    words = set(tokens(fold(wanted)))
    found = [r for r in rows if words <= set(tokens(fold(r["title"])))] if words else []
    if not found:  # part of a word ("kube" for "Kubernetes"), or a title's punctuation
        found = [r for r in rows if fold(wanted) in fold(r["title"])]
    if len(found) == 1:
        return found[0]
    if not found:
        raise InputError(f"{option} {wanted!r}: no talk has this code, id or these title words "
                         "(`backchannel talks` lists them)")
    shown = "; ".join(label(r) for r in found[:8]) + (f"; … and {len(found) - 8} more" if len(found) > 8 else "")
    raise InputError(f"{option} {wanted!r} fits {len(found)} talks: {shown} (give its code, or more words)")


def talk_ids(names: Iterable[str], rows: list[Row], option: str = "--talk") -> list[str]:
    """The ids (what `posts.talk` holds) of the named talks. Without a stored programme the
    names are taken as ids, as they are."""
    names = list(names)
    if not rows:
        return names
    return [resolve(name, rows, option)["id"] for name in names]


def label(row: Row) -> str:
    """`PERF01 'Fast Python'` (or the title alone when the programme gives no code)."""
    return (f"{row['code']} " if row.get("code") else "") + repr(row["title"])


def listing(cfg) -> tuple[list[Row], list[str]]:
    """The programme's talks with their post counts (what `backchannel talks` shows), and
    notes: what was read, and whether the posts were matched with this programme yet."""
    from pathlib import Path

    from backchannel.archive import Archive, no_archive
    from backchannel.talks.live import Programme, talk_rows

    path = Path(cfg.data_dir) / "archive.db"
    if not path.exists():
        raise no_archive(cfg.data_dir)
    programme = Programme.open(cfg)
    with Archive(path, readonly=True) as archive:
        stored = archive.talk_rows()
        stale = programme.changed_since_match(archive)
    notes = programme.notes(0)
    if stale:
        notes.append("the programme changed since the posts were matched: `backchannel reindex` (or "
                     "`build`) matches them again; the counts below are from the last match")
    if programme.schedule is None:
        return stored, notes
    counts = {row["id"]: row["posts"] for row in stored}
    rows = [{**row, "speakers": list(t.speakers), "posts": counts.get(t.id, 0)}
            for row, t in zip(talk_rows(programme.talks), programme.talks)]
    return rows, notes


def as_text(row: Row, tz) -> str:
    """One talk on one line: day and time in the event's zone, room, code, title, speakers, posts."""
    from backchannel.models import parse_time
    from backchannel.sanitize import terminal_text

    start, end = parse_time(row["start"]).astimezone(tz), parse_time(row["end"]).astimezone(tz)
    who = f" — {', '.join(row['speakers'])}" if row["speakers"] else ""
    n = row["posts"]
    return terminal_text(f"{start:%a %d %b %H:%M}–{end:%H:%M}  {row['room'] or '—'}  {row['code'] or row['id']}  "
            f"{row['title']}{who} · {n} post{'s' if n != 1 else ''}")  # the programme is untrusted text
