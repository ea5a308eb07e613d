"""Posts are attached to talks as they are stored; `search --explain` and exports say why."""

import json
import shutil
from pathlib import Path

from click.testing import CliRunner

from backchannel.cli.main import cli

SCHEDULES = Path(__file__).parent / "fixtures" / "schedules"
VECTOR = "6f1c2a9e-0d4b-5b8e-9c1a-000000000002"
THREATS = "6f1c2a9e-0d4b-5b8e-9c1a-000000000003"


def test_posts_get_a_talk_and_a_reason(tmp_path):
    shutil.copy(SCHEDULES / "democon.json", tmp_path / "schedule.json")
    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "DemoCon"\nhashtags = ["democon"]\ntimezone = "Europe/Berlin"\n'
                      'schedule = "schedule.json"\n')
    posts = [
        {"id": "a", "source": "mastodon", "created_at": "2026-09-01T08:20:00Z",
         "text": "Lesson: shard your vector index by tenant, not by time #vecscale #democon"},
        {"id": "b", "source": "mastodon", "created_at": "2026-09-01T08:25:00Z",
         "text": "In Hall B: list your crown jewels first, then the attackers who want them #democon"},
        {"id": "c", "source": "mastodon", "created_at": "2026-09-01T18:00:00Z",
         "text": "Dinner was lovely, see you tomorrow #democon"},
    ]
    runner = CliRunner()
    data = "".join(json.dumps(p) + "\n" for p in posts)
    assert runner.invoke(cli, ["import", "-", "--config", str(config)], input=data).exit_code == 0
    exported = {p["id"]: p for p in map(json.loads, runner.invoke(
        cli, ["export", "--config", str(config)]).output.splitlines())}
    assert exported["a"]["talk"] == VECTOR and "vecscale" in exported["a"]["talk_reason"]
    assert exported["b"]["talk"] == THREATS and "hall b" in exported["b"]["talk_reason"].lower()
    assert exported["c"]["talk"] is None
    explained = runner.invoke(cli, ["search", "attackers", "--explain", "--config", str(config)])
    assert "talk: THR003 'Threat modelling for small businesses' · why:" in explained.output
    only = runner.invoke(cli, ["search", "--talk", VECTOR, "--json", "--config", str(config)])
    assert [json.loads(line)["id"] for line in only.output.splitlines()] == ["a"]


def test_a_broken_schedule_is_one_line_naming_the_file(tmp_path):
    (tmp_path / "schedule.json").write_text("{not json")
    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "x"\nhashtags = ["x"]\nschedule = "schedule.json"\n')
    result = CliRunner().invoke(cli, ["import", "-", "--config", str(config)], input="")
    assert result.exit_code == 2 and "schedule.json" in result.output and "Traceback" not in result.output
