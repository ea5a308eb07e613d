"""The config: defaults, validation messages that name file and key, never a traceback."""

from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from backchannel import config
from backchannel.cli.main import cli
from backchannel.errors import ConfigError

GOOD = """
[event]
name = "PyCon Example"
hashtags = ["#PyConEx", "pyconex26"]
timezone = "Europe/Berlin"
start = 2026-09-01
end = 2026-09-02

[sources.mastodon]
instances = ["https://mastodon.example/", "https://other.example"]

[sources.rss]
feeds = ["https://blog.example/feed.xml", { url = "https://conf.example/atom.xml", all = true }]

[digest]
title = "What we learned"

[blocklist]
accounts = ["@Spam@bad.example"]
"""


def write(tmp_path, text):
    path = tmp_path / "backchannel.toml"
    path.write_text(text)
    return path


def test_good_config_is_read_with_defaults(tmp_path):
    cfg = config.load(write(tmp_path, GOOD))
    assert cfg.event.hashtags == ["pyconex", "pyconex26"]
    # Dates are whole days in the event's zone: Berlin is UTC+2 in September.
    assert cfg.event.start == datetime(2026, 8, 31, 22, tzinfo=timezone.utc)
    assert cfg.event.end == datetime(2026, 9, 2, 22, tzinfo=timezone.utc)
    assert cfg.mastodon.instances == ["https://mastodon.example", "https://other.example"]
    assert cfg.mastodon.interval == 60 and cfg.mastodon.timeout == 15
    assert [f.all for f in cfg.rss.feeds] == [False, True]
    assert cfg.bluesky is None
    assert cfg.digest.output == tmp_path / "output"
    assert cfg.data_dir == tmp_path / ".backchannel"
    assert cfg.blocklist.accounts == ["spam@bad.example"]


@pytest.mark.parametrize("text, expected", [
    ("[event]\nname='x'\n", "[event] hashtags: missing"),
    ("[event]\nname='x'\nhashtags='pycon'\n", "[event] hashtags: must be a list"),
    ("[event]\nname='x'\nhashtags=['a']\ntimezone='Mars/Base'\n", "[event] timezone: unknown time zone"),
    ("[event]\nname='x'\nhashtags=['a']\nstart=2026-09-02\nend=2026-09-01\n", "[event] end: must be after"),
    ("[event]\nname='x'\nhashtags=['a']\nstart='next tuesday'\n", "[event] start: not a date"),
    ("[event]\nname='x'\nhashtags=['a']\nhashtag=['b']\n", "[event] hashtag: unknown key"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.mastodon]\ninstances=['ftp://x']\n",
     "[sources.mastodon] instances: not an http(s) URL"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.mastodon]\ninstances=['https://x']\ninterval=-5\n",
     "[sources.mastodon] interval: must be greater than 0"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.mastodon]\ninstances=['https://x']\ninterval=true\n",
     "[sources.mastodon] interval: must be a number"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.rss]\nfeeds=[3]\n", "[sources.rss] feeds[1]: must be a URL"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.twitter]\n", "[sources] twitter: unknown key"),
    ("[event]\nname='x'\nhashtags=['a']\n[digest]\ntemplates='nope'\n", "[digest] templates: not a folder"),
    ("[event\nname='x'\n", "not valid TOML"),
])
def test_bad_config_names_file_and_key(tmp_path, text, expected):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as err:
        config.load(path)
    assert str(path) in err.value.message
    assert expected in err.value.message


def test_bad_config_is_one_line_and_exit_code_2(tmp_path):
    path = write(tmp_path, "[event]\nname='x'\nhashtags='pycon'\n")
    result = CliRunner().invoke(cli, ["collect", "--once", "--config", str(path)])
    assert result.exit_code == 2
    assert "Traceback" not in result.output
    assert result.output.strip().count("\n") == 0
    assert "[event] hashtags" in result.output


def test_missing_config_says_how_to_make_one(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    result = CliRunner().invoke(cli, ["collect", "--once"])
    assert result.exit_code == 2
    assert "backchannel init" in result.output


def test_init_writes_a_starter_that_loads(tmp_path):
    target = tmp_path / "conf" / "backchannel.toml"
    runner = CliRunner()
    assert runner.invoke(cli, ["init", "--config", str(target)]).exit_code == 0
    cfg = config.load(target)
    assert cfg.event.hashtags and cfg.mastodon.instances
    again = runner.invoke(cli, ["init", "--config", str(target)])
    assert again.exit_code == 2 and "already exists" in again.output


def test_secrets_come_only_from_the_environment():
    env = {"BACKCHANNEL_MASTODON_TOKEN": "s3cret", "HOME": "/root"}
    assert config.secrets(env) == {"BACKCHANNEL_MASTODON_TOKEN": "s3cret"}
