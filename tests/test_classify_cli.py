"""`backchannel classify`: the JSONL contract from DESIGN.md, with no config and no archive."""

import json

from click.testing import CliRunner

from backchannel.cli.main import cli
from backchannel.models import KINDS


def test_one_line_out_per_good_line_in_order_and_bad_lines_reported(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)  # no backchannel.toml here, and none is needed
    lines = [
        json.dumps({"id": "a", "text": "Lesson from the keynote: measure before you optimise.", "lang": "en"}),
        "{broken",
        json.dumps({"id": 7, "text": "Wo ist Raum B?", "lang": "de", "metrics": {"likes": 2}}),
        json.dumps({"text": "no id"}),
    ]
    result = CliRunner().invoke(cli, ["classify", "-"], input="\n".join(lines) + "\n")
    assert result.exit_code == 1
    out = [json.loads(line) for line in result.stdout.splitlines()]
    assert [o["id"] for o in out] == ["a", 7]
    assert all(set(o) == {"id", "kind", "score"} and o["kind"] in KINDS and 0 <= o["score"] <= 1 for o in out)
    assert "line 2:" in result.stderr and "line 4:" in result.stderr
    assert not (tmp_path / ".backchannel").exists()


def test_collected_posts_get_a_kind_in_the_archive(tmp_path):
    record = {"id": "x", "source": "mastodon", "created_at": "2026-09-01T10:00:00Z",
              "text": "Slides from my talk: https://speakerdeck.com/ada/vector-search"}
    runner = CliRunner()
    runner.invoke(cli, ["import", "-", "--data-dir", str(tmp_path)], input=json.dumps(record) + "\n")
    exported = json.loads(runner.invoke(cli, ["export", "--data-dir", str(tmp_path)]).output)
    assert exported["kind"] == "resource" and exported["score"] > 0.5
