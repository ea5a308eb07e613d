"""`backchannel search`: the archive's posts by words, fields and dates."""

from __future__ import annotations

import sys

import click

from backchannel.cli.common import color_on, common, load_config
from backchannel.names import KINDS, SOURCES, one_of


@click.command()
@common
@click.argument("query", default="")
@click.option("--source", multiple=True,
              help=f"{one_of(SOURCES)}, or another source an import brought (repeatable).")
@click.option("--author", multiple=True, help="A handle, e.g. ada@example.social or ada (repeatable).")
@click.option("--tag", multiple=True, help="A hashtag, with or without '#' (repeatable).")
@click.option("--kind", multiple=True, help=f"{one_of(KINDS)} (repeatable).")
@click.option("--talk", multiple=True, help="A talk's id from the schedule (repeatable).")
@click.option("--lang", multiple=True, help="A language code such as en or de (repeatable).")
@click.option("--since", help="From this date or date-time (event time zone), e.g. 2026-09-01 or 2026-09-01T14:00.")
@click.option("--until", help="Up to this date (inclusive) or date-time (exclusive).")
@click.option("--sort", type=click.Choice(["relevance", "newest", "popular"]), default="relevance",
              show_default=True)
@click.option("--limit", type=click.IntRange(min=1), default=20, show_default=True)
@click.option("--json", "as_json", is_flag=True, help="One JSON object per hit.")
@click.option("--explain", is_flag=True, help="Show which talk each post belongs to, and why.")
@click.option("--include-hidden", is_flag=True, help="Also posts a moderator hid (`backchannel hide`).")
def search(config_path, data_dir, query, source, author, tag, kind, talk, lang, since, until,
           sort, limit, as_json, explain, include_hidden):
    """Search the archive. QUERY uses Whoosh syntax: words, "a phrase", AND/OR/NOT,
    field:value (author, tag, source, kind, talk, lang), created:>20260901.

    Exit code 0 with hits, 1 with none, 2 for a bad query.

    Example: backchannel search "vector index" --kind takeaway --since 2026-09-01
    """
    from backchannel.cli.output import hit_json, hit_text
    from backchannel.search import Filters, parse_moment, search_archive

    cfg = load_config(config_path, data_dir)
    tz = cfg.event.tz
    filters = Filters(list(source), list(author), list(tag), list(kind), list(talk), list(lang),
                      parse_moment(since, tz) if since else None,
                      parse_moment(until, tz, end=True) if until else None)
    results, note = search_archive(cfg.data_dir, query, filters, sort, limit, include_hidden)
    if note:
        click.echo(f"warning: {note}", err=True)
    color = not as_json and color_on(sys.stdout)
    for rank, hit in enumerate(results.hits, 1):
        click.echo(hit_json(hit, rank) if as_json else hit_text(hit, rank, tz, color, explain) + "\n")
    if not as_json:
        shown = len(results.hits)
        more = f" (showing {shown}; --limit shows more)" if results.total > shown else ""
        click.echo(f"{results.total} match{'es' if results.total != 1 else ''}{more}", err=True)
    if not results.hits:
        sys.exit(1)
