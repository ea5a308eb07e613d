"""`backchannel import` of 10,000 posts, then `search` with filters, dates, sorts and highlights."""

import json

import pytest
from click.testing import CliRunner

from backchannel.cli.main import cli
from factories import many_posts, write_jsonl

CONFIG = """
[event]
name = "PyCon Example"
hashtags = ["pyconex"]
timezone = "Europe/Berlin"
"""


@pytest.fixture(scope="module")
def event(tmp_path_factory):
    root = tmp_path_factory.mktemp("event")
    (root / "backchannel.toml").write_text(CONFIG)
    records = many_posts(10_000)
    records[0].update(text="The query planner keeps a vector index warm", tags=["pyconex", "data"],
                      created_at="2026-09-01T21:30:00Z", metrics={"likes": 999})
    records[1].update(text="Übersicht: Vektorindex im Speicher halten 東京の会議", lang="de",
                      author={"handle": "heidi@beispiel.social", "name": "Heidi"})
    write_jsonl(root / "posts.jsonl", records)
    result = CliRunner().invoke(cli, ["import", str(root / "posts.jsonl"), "--config", str(root / "backchannel.toml")])
    assert result.exit_code == 0, result.output
    assert "Imported 10000 new posts" in result.output
    return root, records


def run(event, *args):
    root, _ = event
    return CliRunner().invoke(cli, ["search", *args, "--config", str(root / "backchannel.toml")])


def hits(result):
    return [json.loads(line) for line in result.output.splitlines() if line.startswith("{")]


def test_words_are_anded_and_highlighted(event):
    result = run(event, "query planner vector", "--limit", "3")
    assert result.exit_code == 0
    first = result.output.split("\n\n")[0]
    assert "[query] [planner]" in first and "[vector]" in first
    assert "\x1b[" not in result.output  # no colour when not on a terminal


def test_json_lines_carry_the_post_and_matches(event):
    found = hits(run(event, '"vector index" planner', "--json"))
    assert found[0]["text"] == "The query planner keeps a vector index warm"
    assert set(found[0]["matched"]) >= {"vector", "index"}
    assert found[0]["rank"] == 1 and found[0]["author"]["handle"]


def test_field_filters_match_only_what_they_say(event):
    root, records = event
    for option, value, check in [
        ("--source", "bluesky", lambda h: h["source"] == "bluesky"),
        ("--author", "grace", lambda h: h["author"]["handle"] == "grace@fosstodon.example"),
        ("--author", "@grace@fosstodon.example", lambda h: h["author"]["handle"].startswith("grace@")),
        ("--tag", "#Security", lambda h: "security" in h["tags"]),
    ]:
        found = hits(run(event, "vector", option, value, "--json", "--limit", "500"))
        assert found and all(check(h) for h in found), (option, value)
    expected = sum(1 for r in records if r["source"] == "rss" and "ranking" in r["text"].split())
    result = run(event, "ranking", "--source", "rss", "--limit", "1")
    assert f"{expected} matches" in result.output


def test_query_syntax_fields_and_not(event):
    found = hits(run(event, "tag:data AND NOT source:rss planner", "--json"))
    assert found and all("data" in h["tags"] and h["source"] != "rss" for h in found)


def test_dates_are_in_the_event_time_zone(event):
    # 21:30 UTC on 1 September is 23:30 in Berlin, still 1 September there.
    found = hits(run(event, "planner warm", "--since", "2026-09-01", "--until", "2026-09-01", "--json"))
    assert [h["text"] for h in found] == ["The query planner keeps a vector index warm"]
    assert run(event, "planner warm", "--since", "2026-09-02").exit_code == 1
    found = hits(run(event, "vector", "--since", "2026-09-02T10:00", "--until", "2026-09-02T11:00",
                     "--json", "--limit", "500"))
    assert found and all("2026-09-02T08:00:00Z" <= h["created_at"] < "2026-09-02T09:00:00Z" for h in found)


def test_sorts(event):
    newest = hits(run(event, "vector", "--sort", "newest", "--json", "--limit", "50"))
    assert [h["created_at"] for h in newest] == sorted((h["created_at"] for h in newest), reverse=True)
    popular = hits(run(event, "vector", "--sort", "popular", "--json", "--limit", "5"))
    assert popular[0]["metrics"]["likes"] == 999


def test_other_languages_are_searchable(event):
    assert hits(run(event, "Vektorindex", "--json"))[0]["author"]["handle"] == "heidi@beispiel.social"
    assert hits(run(event, "東京", "--json"))[0]["lang"] == "de"


@pytest.mark.parametrize("query, extra, message", [
    ('"vector index', [], "a phrase is not closed"),
    ("(vector OR index", [], "'(' is not closed"),
    ("colour:blue", [], "unknown field 'colour:'"),
    ("AND", [], "nothing left to search for"),
    ("vector", ["--kind", "rant"], "unknown kind 'rant'"),
    ("vector", ["--since", "tomorrow"], "not a date"),
    ("vector", ["--since", "2026-09-02", "--until", "2026-09-01"], "--until must be after --since"),
])
def test_bad_queries_exit_2_with_a_reason(event, query, extra, message):
    result = run(event, query, *extra)
    assert result.exit_code == 2, result.output
    assert message in result.output and "Traceback" not in result.output


def test_nothing_found_exits_1(event):
    result = run(event, "zyzzyva")
    assert result.exit_code == 1 and "0 matches" in result.output


def test_reindex_rebuilds_the_same_results(event):
    root, _ = event
    def ids():
        return sorted(h["id"] for h in hits(run(event, "planner", "--json", "--limit", "10000")))

    before = ids()
    result = CliRunner().invoke(cli, ["reindex", "--config", str(root / "backchannel.toml")])
    assert result.exit_code == 0 and "Indexed 10000 posts" in result.output
    assert len(before) > 100 and ids() == before


def test_stats_counts_by_source_day_and_kind(event):
    root, records = event
    result = CliRunner().invoke(cli, ["stats", "--json", "--config", str(root / "backchannel.toml")])
    data = json.loads(result.output)
    assert data["total"] == 10_000
    assert data["by_source"]["rss"] == sum(r["source"] == "rss" for r in records)
    assert sum(data["by_day"].values()) == 10_000 and "2026-09-01" in data["by_day"]
