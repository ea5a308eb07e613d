"""Commands never mislead: no archive is made where none was asked for, unknown names are
errors that list the valid ones, no file is reported that wasn't written, and the exit codes
and CSV columns are the README's."""

import ast
import csv
import io
import json
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from backchannel.cli.main import cli
from backchannel.models import KINDS, SOURCES
from factories import many_posts, write_jsonl

ROOT = Path(__file__).resolve().parent.parent


def invoke(data_dir, *args, input=None):
    return CliRunner().invoke(cli, [*args, "--data-dir", str(data_dir)], input=input)


@pytest.fixture
def archive(tmp_path):
    """A data dir holding 20 posts, one of them from a source only an import brings ("forum")."""
    records = many_posts(20)
    records[0]["source"] = "forum"
    write_jsonl(tmp_path / "in.jsonl", records)
    data = tmp_path / "data"
    assert invoke(data, "import", str(tmp_path / "in.jsonl")).exit_code == 0
    return data


@pytest.mark.parametrize("args", [
    ["stats"], ["stats", "--json"], ["search", "vector"], ["export"], ["export", "--format", "csv"],
    ["export", "--moderation"], ["status"], ["moderation"], ["reindex"], ["hide", "mastodon-1"],
    ["place", "mastodon-1", "--none"], ["place", "mastodon-1", "--talk", "KEY001"], ["unplace", "mastodon-1"],
])
def test_commands_that_need_an_archive_never_create_one(tmp_path, args):
    data = tmp_path / "wrong-folder"
    result = invoke(data, *args)
    assert result.exit_code == 2, result.output
    assert f"{data}: no archive here yet" in result.output and "Traceback" not in result.output
    assert not data.exists()  # not the archive, not the folder, not a lock file


def test_stats_of_an_empty_archive_says_zero_and_exits_1(tmp_path):
    data = tmp_path / "data"
    assert invoke(data, "import", "-", input="").exit_code == 0  # an archive with no posts
    result = invoke(data, "stats", "--json")
    assert result.exit_code == 1 and json.loads(result.output)["total"] == 0


def test_stats_with_posts_exits_0(archive):
    result = invoke(archive, "stats", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["total"] == 20


@pytest.mark.parametrize("command", [["export"], ["search", "vector"]])
def test_an_unknown_source_is_an_error_naming_the_valid_ones(archive, tmp_path, command):
    result = invoke(archive, *command, "--source", "mastodn")
    assert result.exit_code == 2
    message = result.output.strip().splitlines()[-1]
    assert "--source: unknown source 'mastodn'" in message
    assert all(name in message for name in (*SOURCES, "forum"))  # the archive's own too


def test_a_source_only_an_import_brought_is_known(archive):
    result = invoke(archive, "search", "--source", "forum", "--json")
    assert result.exit_code == 0 and json.loads(result.output)["source"] == "forum"
    assert len(invoke(archive, "export", "--source", "forum").output.splitlines()) == 1


def test_an_unknown_kind_is_an_error_naming_the_kinds(archive):
    result = invoke(archive, "search", "--kind", "takeaways")
    assert result.exit_code == 2
    assert "--kind: unknown kind 'takeaways'" in result.output and ", ".join(KINDS) in result.output


def test_export_with_a_mistyped_source_writes_and_reports_no_file(archive, tmp_path):
    out = tmp_path / "x.jsonl"
    result = invoke(archive, "export", "--source", "mastodn", "-o", str(out))
    assert result.exit_code == 2 and "Exported" not in result.output
    assert not out.exists()


def test_export_that_finds_nothing_exits_1_and_leaves_the_file_alone(archive, tmp_path):
    out = tmp_path / "x.jsonl"
    out.write_text("yesterday's export\n")
    result = invoke(archive, "export", "--source", "twitter", "-o", str(out))
    assert result.exit_code == 1
    assert "No posts to export from twitter; nothing written" in result.output and "Exported" not in result.output
    assert out.read_text() == "yesterday's export\n"
    nothing = invoke(archive, "export", "--moderation", "--format", "csv", "-o", str(tmp_path / "log.csv"))
    assert nothing.exit_code == 1 and "No moderation actions yet" in nothing.output
    assert not (tmp_path / "log.csv").exists()


def test_export_reports_the_file_it_wrote(archive, tmp_path):
    out = tmp_path / "all.jsonl"
    result = invoke(archive, "export", "-o", str(out))
    assert result.exit_code == 0 and f"Exported 20 posts to {out}" in result.output
    assert len(out.read_text().splitlines()) == 20


def test_export_into_a_missing_folder_is_a_usage_error(archive, tmp_path):
    result = invoke(archive, "export", "-o", str(tmp_path / "no-such-dir" / "x.jsonl"))
    assert result.exit_code == 2 and "no-such-dir/x.jsonl: cannot write: No such file or directory" in result.output


def readme_csv_columns() -> list[str]:
    text = (ROOT / "README.md").read_text("utf-8")
    sentence = re.search(r"CSV exports have.*?in this order: (.*?)\. Lists", text, re.S).group(1)
    return re.findall(r"`([a-z_]+)`", sentence)


def test_csv_has_the_columns_the_readme_lists(tmp_path):
    record = many_posts(1)[0]
    record.update(html="<p>A <em>good</em> talk</p>",
                  media=[{"type": "image", "url": "https://cdn.example/a.png", "alt": "slide 3"}])
    write_jsonl(tmp_path / "in.jsonl", [record])
    data = tmp_path / "data"
    invoke(data, "import", str(tmp_path / "in.jsonl"))
    out = tmp_path / "posts.csv"
    assert invoke(data, "export", "--format", "csv", "-o", str(out)).exit_code == 0
    reader = csv.DictReader(io.StringIO(out.read_text("utf-8")))
    row = next(reader)
    assert reader.fieldnames == readme_csv_columns()
    assert {"html", "media", "uri"} <= set(reader.fieldnames)
    assert row["html"] == "<p>A <em>good</em> talk</p>" and row["uri"]
    assert json.loads(row["media"]) == [{"type": "image", "url": "https://cdn.example/a.png",
                                         "preview_url": None, "alt": "slide 3"}]
    assert row["indexable"] == "" and row["is_repost"] == "false"


def test_nothing_outside_cli_imports_from_it():
    offenders = []
    for path in [*(ROOT / "backchannel").rglob("*.py"), *(ROOT / "collectors").rglob("*.py")]:
        if "cli" in path.relative_to(ROOT).parts[:2] or path.name == "__main__.py":
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            names = [node.module or ""] if isinstance(node, ast.ImportFrom) else \
                [a.name for a in node.names] if isinstance(node, ast.Import) else []
            offenders += [f"{path.relative_to(ROOT)}: {n}" for n in names if n.startswith("backchannel.cli")]
    assert offenders == []


@pytest.mark.parametrize("command", ["collect", "run"])
def test_collect_and_run_share_the_no_sources_check(tmp_path, command):
    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "X"\nhashtags = ["x"]\n\n[sources.rss]\nfeeds = ["http://127.0.0.1:9/feed.xml"]\n')
    result = CliRunner().invoke(cli, [command, "--config", str(config), "--source", "bluesky"])
    assert result.exit_code == 2
    assert f"{config}: no sources configured among --source bluesky" in result.output
    assert not (tmp_path / ".backchannel" / "archive.db").exists()
