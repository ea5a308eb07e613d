"""The config: defaults, validation messages that name file and key, never a traceback."""

import re
from dataclasses import fields
from datetime import datetime, timezone

import pytest
from click.testing import CliRunner

from backchannel import config
from backchannel.cli.main import cli
from backchannel.config_keys import keys
from backchannel.errors import ConfigError
from backchannel.names import COLLECTED_SOURCES

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
    ("[event]\nname='  '\nhashtags=['a']\n", "[event] name: missing (the event's name"),
    ("[event]\nname='x'\nhashtags=['#']\n", "[event] hashtags: not a hashtag: ''"),
    ("[event]\nname='x'\nhashtags=[]\n", "[event] hashtags: needs at least one hashtag"),
    ("[event]\nname='x'\nhashtags=['a']\nstart=2026-09-01T25:00:00\n", "not valid TOML"),
    ("[event]\nname='x'\nhashtags=['a']\nstart=3\n", "[event] start: must be a date or date-time, got 3"),
    ("[event]\nname='x'\nhashtags=['a']\nend=9999-01-01\n", "[event] end: 9999-01-01 is out of range"),
    ("event = 3\n", "[event]: must be a table"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.mastodon]\n", "[sources.mastodon] instances: needs at least one"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.bluesky]\nservice='bsky.social'\n",
     "[sources.bluesky] service: not an http(s) URL: 'bsky.social'"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.rss]\ninterval=5\n", "[sources.rss]: needs `feeds` or `opml`"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.rss]\nfeeds='https://x'\n", "[sources.rss] feeds: must be a list"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.rss]\nfeeds=[{all=true}]\n", "[sources.rss] feeds[1] url: missing"),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.rss]\nfeeds=[{url='https://x', al=true}]\n",
     "[sources.rss] feeds[1] al: unknown key (did you mean \"all\"?"),
    ("[event]\nname='x'\nhashtags=['a']\n[wall]\nshow_replies='yes'\n", "[wall] show_replies: must be true or false"),
    ("[event]\nname='x'\nhashtags=['a']\n[moderation]\nmode='pre'\n",
     "[moderation] mode: must be \"post\" or \"approve\", got 'pre'"),
    ("[event]\nname='x'\nhashtags=['a']\n[moderation]\nhold_links=-1\n", "[moderation] hold_links: must be 0 (off) or more"),
    ("[event]\nname='x'\nhashtags=['a']\n[moderation]\nhold_links=1.5\n", "[moderation] hold_links: must be a whole number"),
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


@pytest.mark.parametrize("text, expected", [
    ("[event]\nname='x'\nhashtag=['a']\n", '[event] hashtag: unknown key (did you mean "hashtags"? expected one of: '),
    ("[event]\nname='x'\nhashtags=['a']\n[digst]\n", 'digst: unknown key (did you mean "digest"? '),
    ("[event]\nname='x'\nhashtags=['a']\n[sources.mastodn]\n", '[sources] mastodn: unknown key (did you mean "mastodon"?'),
    ("[event]\nname='x'\nhashtags=['a']\n[wall]\ncolour='red'\n", "[wall] colour: unknown key (expected one of: poll, "),
])
def test_an_unknown_key_suggests_the_nearest_declared_one(tmp_path, text, expected):
    with pytest.raises(ConfigError) as err:
        config.load(write(tmp_path, text))
    assert expected in err.value.message


def test_left_out_keys_take_their_declared_defaults(tmp_path):
    cfg = config.load(write(tmp_path, "[event]\nname='x'\nhashtags=['a']\n[sources.bluesky]\n"))
    assert (cfg.blocklist, cfg.consent, cfg.wall, cfg.moderation, cfg.bluesky) == (
        config.Blocklist(), config.Consent(), config.Wall(), config.Moderation(), config.BlueskySource())
    assert cfg.digest == config.Digest(output=tmp_path / "output")
    assert cfg.mastodon is None and cfg.rss is None
    assert cfg.event.timezone == "UTC" and cfg.event.start is None and cfg.event.keywords == []


def test_the_sources_tables_are_the_collected_sources_and_each_table_is_a_config_attribute():
    tables = {s.name for s in config.SECTIONS if s.name.startswith("sources.")}
    assert tables == {f"sources.{name}" for name in COLLECTED_SOURCES}
    assert [f.name for f in fields(config.Config)][2:] == [s.attr for s in config.SECTIONS]


def test_init_writes_the_starter_declared_with_the_keys(tmp_path):
    target = tmp_path / "backchannel.toml"
    assert CliRunner().invoke(cli, ["init", "--config", str(target)]).exit_code == 0
    text = target.read_text("utf-8")
    assert text == config.starter()
    for section in config.SECTIONS:
        assert f"[{section.name}]\n" in text
        for name, key in keys(section.record).items():
            assert f"\n{name} = " in text or f"\n# {name} = " in text, f"[{section.name}] {name}"
            assert key.help.split()[0] in text


def test_the_starter_title_follows_the_event_name_and_hashtags_take_a_hash_or_not(tmp_path):
    text = config.starter()
    cfg = config.load(write(tmp_path, text.replace('"My Conference 2026"', '"PyConEx 2026"', 1)))
    assert cfg.digest.title is None  # the digest, its feed and recap.md are titled "PyConEx 2026"
    assert cfg.event.name == "PyConEx 2026"
    assert cfg.event.hashtags == ["myconf", "myconf2026"]  # written as "myconf" and "#MyConf2026"
    assert "with or without `#`" in text


def test_everything_the_starter_shows_commented_out_is_valid_too(tmp_path):
    """Uncommenting a section or a key of the starter never gives a config error."""
    lines = [line[2:] if re.match(r"# (\[|\w+ = )", line) else line for line in config.starter().splitlines()]
    (tmp_path / "templates").mkdir()
    cfg = config.load(write(tmp_path, "\n".join(lines)))
    assert cfg.bluesky == config.BlueskySource()
    assert [f.url for f in cfg.rss.feeds] == ["https://example.org/feed.xml", "https://myconf.example/news/atom.xml"]
    assert cfg.rss.opml == str(tmp_path / "feeds.opml") and cfg.event.schedule == str(tmp_path / "schedule.json")
    assert cfg.digest.templates == tmp_path / "templates" and cfg.digest.title == "My Conference 2026 digest"
