"""The README tells the truth: every command, option and config key is documented."""

from pathlib import Path

import pytest
from click.testing import CliRunner

from backchannel import config
from backchannel.cli.main import cli
from backchannel.config_keys import keys
from backchannel.names import SECRET_VARS

README = (Path(__file__).resolve().parents[1] / "README.md").read_text()


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


def test_the_config_reference_is_the_declared_keys():
    """The README's table is `config.reference()`, row for row: every declared key with its
    default and help, in order, nothing else. After changing a key, paste the new table from
    `python -c "from backchannel import config; print(config.reference())"`."""
    section = README[README.index("## Config reference"):]
    start = section.index("| key | default | meaning |")
    documented = section[start:section.index("\n\n", start)].splitlines()
    assert documented == config.reference().splitlines()


def test_every_declared_key_has_help():
    for section in config.SECTIONS:
        for name, key in keys(section.record).items():
            assert key.help and key.help[-1] != ".", f"[{section.name}] {name}"


def test_every_secret_variable_is_in_the_readme():
    for name in SECRET_VARS:
        assert f"`{name}`" in README
