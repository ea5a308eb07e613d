"""Poison records from a source (issue 13, class 1 and 2 through the collectors): a status or
feed entry a later stage could not take is skipped with a warning naming the server and the
post; the good ones in the same page are stored, searchable and built."""

from __future__ import annotations

import json

import pytest

from hostile import assert_clean, cli_run
from backchannel.demo.loopback import Response
from mastodon_server import FakeMastodon, Person

CONFIG = """
[event]
name = "Test"
hashtags = ["pycon"]
start = 2026-01-01

[sources.mastodon]
instances = ["{url}"]
"""


@pytest.mark.parametrize("poison, said", [
    ({"created_at": "9999-01-01T00:00:00.000Z"}, "field 'created_at'"),
    ({"created_at": "0001-01-01T00:00:00.000Z"}, "field 'created_at'"),
    ({"favourites_count": 2 ** 70}, "field 'metrics.likes'"),
    ({"edited_at": "9999-12-31T00:00:00.000Z"}, "field 'edited_at'"),
])
def test_a_poison_status_is_skipped_by_name_and_its_page_kept(tmp_path, poison, said):
    with FakeMastodon() as a:
        alice = Person("alice", a)
        for n in range(3):
            a.publish(alice, f"Good zebra note {n} #pycon", tags=["pycon"])
        bad = a.publish(alice, "Poison zebra #pycon", tags=["pycon"])
        bad.update(poison)
        config = tmp_path / "backchannel.toml"
        config.write_text(CONFIG.replace("{url}", a.url))
        result = cli_run(tmp_path, "collect", "--once", "--verbose", "--json", "--config", str(config))
    assert_clean(result)
    report = json.loads(result.stdout.splitlines()[0])
    assert report["added"] == 3
    warnings = " ".join(report["warnings"])
    assert said in warnings and a.url.split("://")[1] in warnings, warnings
    found = cli_run(tmp_path, "search", "zebra", "--json", "--config", str(config))
    assert len(found.stdout.splitlines()) == 3
    built = cli_run(tmp_path, "build", "--no-search", "-o", str(tmp_path / "site"), "--config", str(config))
    assert built.exit_code == 0, built.output


FEED = """<?xml version="1.0" encoding="utf-8"?>
<feed xmlns="http://www.w3.org/2005/Atom">
  <title>Blog</title><id>urn:blog</id><updated>2026-09-01T10:00:00Z</updated>
  <entry><title>Far future</title><id>urn:1</id><link href="https://blog.example/1"/>
    <updated>9999-12-31T23:59:59Z</updated><content>pycon zebra post from the future</content></entry>
  <entry><title>Long ago</title><id>urn:2</id><link href="https://blog.example/2"/>
    <updated>0001-01-01T00:00:00Z</updated><content>pycon zebra post from long ago</content></entry>
  <entry><title>Broken link</title><id>urn:3</id><link href="https://blog.example/3&#10;# Injected"/>
    <updated>2026-09-01T09:00:00Z</updated><content>pycon zebra post with a bad link</content></entry>
  <entry><title>Fine</title><id>urn:4</id><link href="https://blog.example/4"/>
    <updated>2026-09-01T10:00:00Z</updated><content>pycon zebra post that is fine</content></entry>
</feed>
"""


def test_feed_entries_with_absurd_dates_or_bad_links_are_kept_safely(tmp_path, serve):
    with serve(lambda req: Response(200, FEED, {"Content-Type": "application/atom+xml"})) as server:
        config = tmp_path / "backchannel.toml"
        config.write_text(f'[event]\nname = "T"\nhashtags = ["pycon"]\n\n[sources.rss]\nfeeds = ["{server.url}/feed"]\n')
        result = cli_run(tmp_path, "collect", "--once", "--config", str(config))
        assert_clean(result)
        assert result.exit_code == 0, result.output
    posts = [json.loads(x) for x in cli_run(tmp_path, "export", "--config", str(config)).stdout.splitlines()]
    assert all("\n" not in (p["url"] or "") for p in posts)
    assert all(1970 <= int(p["created_at"][:4]) <= 2105 for p in posts)
    assert any(p["url"] == "https://blog.example/4" for p in posts)
    built = cli_run(tmp_path, "build", "--no-search", "-o", str(tmp_path / "site"), "--config", str(config))
    assert built.exit_code == 0, built.output
    assert "# Injected" not in (tmp_path / "site" / "recap.md").read_text()
