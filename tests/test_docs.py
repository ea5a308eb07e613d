"""The README tells the truth: every command, option and config key is documented."""

import dataclasses
import re
from pathlib import Path

import pytest
from click.testing import CliRunner

from backchannel import config
from backchannel.cli.main import cli

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()
SECTIONS = {
    "event": config.Event, "sources.mastodon": config.MastodonSource,
    "sources.bluesky": config.BlueskySource, "sources.rss": config.RssSource,
    "digest": config.Digest, "blocklist": config.Blocklist, "wall": config.Wall,
    "moderation": config.Moderation,
}


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_command_has_help_with_an_example_and_is_in_the_readme(name):
    result = CliRunner().invoke(cli, [name, "--help"])
    assert result.exit_code == 0
    assert "Example:" in result.output
    assert f"backchannel {name}" in README


@pytest.mark.parametrize("name", sorted(cli.commands))
def test_every_option_is_in_the_readme(name):
    for param in cli.commands[name].params:
        for opt in param.opts:
            if opt.startswith("--") and opt not in ("--help", "--config", "--data-dir"):
                assert opt in README, f"{name} {opt} is not in the README"


@pytest.mark.parametrize("section, kind", SECTIONS.items())
def test_every_config_key_is_in_the_readme(section, kind):
    for f in dataclasses.fields(kind):
        assert re.search(rf"`\[{re.escape(section)}\] [^`]*\b{f.name}\b", README), f"[{section}] {f.name}"


def test_every_secret_variable_is_in_the_readme():
    for name in config.SECRET_VARS:
        assert name in README


def test_the_starter_config_uses_only_documented_keys():
    starter = (Path(config.__file__).parent / "starter.toml").read_text()
    for key in re.findall(r"^#?\s*(\w+)\s*=", starter, re.M):
        assert key in README, key
