"""How results look on a terminal and as JSON lines. Colour only when writing to a terminal."""

from __future__ import annotations

import json
import textwrap
from zoneinfo import ZoneInfo

import click

from .search import MARK_END, MARK_START, Hit
from .stats import Stats


def hit_json(hit: Hit, rank: int) -> str:
    data = hit.post.to_dict()
    data.update(rank=rank, relevance=round(hit.relevance, 4),
                excerpt=hit.excerpt.replace(MARK_START, "").replace(MARK_END, ""),
                matched=hit.terms)
    return json.dumps(data, ensure_ascii=False)


def hit_text(hit: Hit, rank: int, tz: ZoneInfo, color: bool, explain: bool = False) -> str:
    post = hit.post
    when = post.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M")
    who = post.author.handle or post.author.name or "unknown"
    if post.author.name and post.author.handle and post.author.name != post.author.handle:
        who = f"{post.author.name} ({post.author.handle})"
    kind = f" · {post.kind}" if post.kind and post.kind != "other" else ""
    head = f"{rank}. {who} · {when} · {post.source}{kind}"
    if color:
        excerpt = hit.excerpt.replace(MARK_START, "\x1b[1;33m").replace(MARK_END, "\x1b[0m")
        head = click.style(head, bold=True)
    else:
        excerpt = hit.excerpt.replace(MARK_START, "[").replace(MARK_END, "]")
    body = textwrap.fill(" ".join(excerpt.split()), width=88, initial_indent="   ",
                         subsequent_indent="   ")
    lines = [head]
    if post.content_warning:
        lines.append(f"   CW: {post.content_warning}")
    lines.append(body)
    if post.url:
        lines.append("   " + (click.style(post.url, fg="cyan") if color else post.url))
    if explain:
        lines.append(f"   talk: {post.session or '— (the day)'}"
                     + (f" · why: {post.session_reason}" if post.session_reason else ""))
    return "\n".join(lines)


def echo_problems(report, verbose: bool, indent: str = "  ", shown: int = 5) -> None:
    """A source report's warnings (the first few unless verbose) and errors, on stderr."""
    for w in report.warnings if verbose else report.warnings[:shown]:
        click.echo(f"{indent}warning: {w}", err=True)
    if not verbose and len(report.warnings) > shown:
        click.echo(f"{indent}… and {len(report.warnings) - shown} more warnings (--verbose shows all)", err=True)
    for e in report.errors:
        click.echo(f"{indent}error: {e}", err=True)


def stats_text(s: Stats) -> str:
    lines = [f"{s.total} posts" + (f" ({s.deleted} deleted at the source)" if s.deleted else "")]
    if s.first:
        lines.append(f"from {s.first} to {s.last} (UTC)")
    for title, counts in (("by source", s.by_source), ("by day", s.by_day), ("by kind", s.by_kind)):
        if counts:
            lines.append(f"\n{title}:")
            width = max(len(k) for k in counts)
            lines += [f"  {k:<{width}}  {n:>7}" for k, n in counts.items()]
    return "\n".join(lines)
