"""How results look on a terminal and as JSON lines. Colour only when writing to a terminal."""

from __future__ import annotations

import json
import re
import textwrap
from zoneinfo import ZoneInfo

import click

from backchannel.sanitize import terminal_text as safe
from backchannel.search import MARK_END, MARK_START, Hit
from backchannel.counts import Stats

# Characters JSON leaves as they are but a terminal may act on (C1 controls, bidi overrides,
# line separators): written as \u escapes, which any JSON reader decodes back.
_JSON_UNSAFE = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069]")
_MARKS = {MARK_START: "\ue000", MARK_END: "\ue001"}  # kept through `safe`, which drops controls


def hit_json(hit: Hit, rank: int) -> str:
    data = hit.post.to_dict()
    data.update(rank=rank, relevance=round(hit.relevance, 4),
                excerpt=hit.excerpt.replace(MARK_START, "").replace(MARK_END, ""),
                matched=hit.terms)
    return json_line(data)


def json_line(data: dict) -> str:
    """One JSON object on one line, safe to print: nothing a terminal would act on."""
    return _JSON_UNSAFE.sub(lambda m: f"\\u{ord(m.group()):04x}", json.dumps(data, ensure_ascii=False))


def hit_text(hit: Hit, rank: int, tz: ZoneInfo, color: bool, explain: bool = False) -> str:
    """A hit as a few lines of text; everything from the post is stripped of control characters."""
    post = hit.post
    when = post.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    handle, name = " ".join(safe(post.author.handle).split()), " ".join(safe(post.author.name).split())
    who = handle or name or "unknown"
    if name and handle and name != handle:
        who = f"{name} ({handle})"
    kind = f" · {safe(post.kind)}" if post.kind and post.kind != "other" else ""
    head = f"{rank}. {who} · {when} · {safe(post.source)}{kind}"
    excerpt = safe(hit.excerpt.replace(MARK_START, _MARKS[MARK_START]).replace(MARK_END, _MARKS[MARK_END]))
    start, end = ("\x1b[1;33m", "\x1b[0m") if color else ("[", "]")
    excerpt = excerpt.replace(_MARKS[MARK_START], start).replace(_MARKS[MARK_END], end)
    if color:
        head = click.style(head, bold=True)
    body = textwrap.fill(" ".join(excerpt.split()), width=88, initial_indent="   ",
                         subsequent_indent="   ")
    lines = [head]
    if post.content_warning:
        lines.append(f"   CW: {_one_line(post.content_warning)}")
    lines.append(body)
    if post.url:
        url = _one_line(post.url)
        lines.append("   " + (click.style(url, fg="cyan") if color else url))
    if explain:
        lines.append(f"   talk: {_one_line(hit.talk or post.talk) or '— (the day)'}"
                     + (f" · why: {_one_line(post.talk_reason)}" if post.talk_reason else ""))
    return "\n".join(lines)


def _one_line(value: str | None) -> str:
    return " ".join(safe(value or "").split())


def echo_problems(report, verbose: bool, indent: str = "  ", shown: int = 5) -> None:
    """A source report's warnings (the first few unless verbose) and errors, on stderr."""
    for w in report.warnings if verbose else report.warnings[:shown]:
        click.echo(f"{indent}warning: {safe(w)}", err=True)
    if not verbose and len(report.warnings) > shown:
        click.echo(f"{indent}… and {len(report.warnings) - shown} more warnings (--verbose shows all)", err=True)
    for e in report.errors:
        click.echo(f"{indent}error: {safe(e)}", err=True)


def source_summary(r) -> str:
    """`mastodon: 12 new, 1 updated, 0 deleted; left out: 3 not public; seen 16, kept 13 (40
    requests)`, then a line per server or feed when the source has several."""
    return "\n".join(safe(line) for line in r.lines())


def import_problems(report, name: str, shown: int = 20) -> list[str]:
    """The first bad lines (or items, or blocks) of an import, as `FILE:LINE: problem`."""
    where = "{}:{}:" if report.unit == "line" else "{}: " + report.unit + " {}:"
    lines = [safe(f"{where.format(name, number)} {problem}") for number, problem in report.bad[:shown]]
    if len(report.bad) > shown:
        lines.append(f"… and {len(report.bad) - shown} more bad {report.unit}s")
    return lines


def import_summary(report) -> str:
    """`Imported 3 new posts, 0 updated, 4 bad lines skipped.` and what was left out, by reason."""
    extra = "".join(f", {n} {what}" for n, what in (
        (report.unchanged, "unchanged"), (report.refused, "deleted earlier, not restored"),
        (report.blocked, "blocked"), (len(report.bad), f"bad {report.unit}s skipped")) if n)
    left_out = [f"Left out {n}: {reason}" for reason, n in sorted(report.skipped.items(), key=lambda kv: -kv[1])]
    return "\n".join([f"Imported {report.added} new posts, {report.updated} updated{extra}.", *left_out])


def stats_text(s: Stats) -> str:
    lines = [f"{s.total} posts" + (f" ({s.deleted} deleted at the source)" if s.deleted else "")]
    if s.first:
        lines.append(f"from {s.first} to {s.last} (UTC)")
    for title, counts in (("by source", s.by_source), ("by day", s.by_day), ("by kind", s.by_kind)):
        if counts:
            lines.append(f"\n{title}:")
            names = {_one_line(str(k)): n for k, n in counts.items()}
            width = max(len(k) for k in names)
            lines += [f"  {k:<{width}}  {n:>7}" for k, n in names.items()]
    return "\n".join(lines)
