"""Consent end to end: `collect --once` from a Mastodon server, then `build`, read as a reader would.

Accounts send `indexable` true, false or nothing, `discoverable` true or false, and some
opt out: each must be shown, searchable, named or left out as the README's consent table says.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from click.testing import CliRunner

from backchannel.archive import Archive
from backchannel.cli.main import cli
from mastodon_server import FakeMastodon, Person

START = datetime.now(timezone.utc) - timedelta(hours=3)


def at(minutes: int) -> datetime:
    return START + timedelta(minutes=minutes)


def write_config(root: Path, url: str, strict: bool = False) -> Path:
    config = root / "backchannel.toml"
    config.write_text(f'[event]\nname = "Consent Conf"\nhashtags = ["consentconf"]\nstart = "{START.isoformat()}"\n\n'
                      f'[sources.mastodon]\ninstances = ["{url}"]\ntimeout = 5\n\n'
                      f'[digest]\noutput = "site"\n\n[consent]\nstrict = {str(strict).lower()}\n')
    return config


def run(*args: str) -> dict:
    result = CliRunner().invoke(cli, [*args, "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output.splitlines()[0])


def test_each_flag_decides_what_it_means(tmp_path, pagefind):
    with FakeMastodon() as a:
        people = {
            "opted in": Person("olga", a, display_name="Olga Opted", indexable=True, discoverable=True),
            "default": Person("dana", a, display_name="Dana Default"),  # false, false: Mastodon's defaults
            "absent": Person("abe", a, display_name="Abe Absent", indexable=None, discoverable=None),
            "listed only": Person("lisa", a, display_name="Lisa Listed", discoverable=True),
            "noindex": Person("nora", a, display_name="Nora Noindex", noindex=True),
            "nobackchannel": Person("nick", a, display_name="Nick Nope", note="<p>#nobackchannel</p>"),
        }
        for n, (label, person) in enumerate(people.items()):
            a.publish(person, f"Takeaway from {label}: caching beats recomputing #consentconf",
                      tags=["consentconf"], created_at=at(n + 1))
        config = write_config(tmp_path, a.url)
        report = run("collect", "--once", "--config", str(config))
        assert report["added"] == 4, json.dumps(report)
        assert report["skipped"] == {"opted out (noindex)": 1, "opted out (#nobackchannel)": 1}
        build = run("build", "--config", str(config))
        assert build["search"]["error"] is None

    site = tmp_path / "site"
    with Archive.in_dir(tmp_path / ".backchannel") as archive:
        posts = {p.author.name: p for p in archive.posts()}
    assert set(posts) == {"Olga Opted", "Dana Default", "Abe Absent", "Lisa Listed"}  # shown
    assert pagefind(site).post_ids == {posts["Olga Opted"].id}  # searchable: only indexable: true
    people = (site / "people" / "index.html").read_text()
    assert "Olga Opted" in people and "Lisa Listed" in people  # named: only discoverable: true
    assert "Dana Default" not in people and "Abe Absent" not in people
    assert "4 people posted. 2 people did not opt in to being listed by name" in " ".join(people.split())
    everything = "".join(p.read_text(errors="replace") for p in site.rglob("*") if p.is_file())
    for gone in ("Nora Noindex", "Nick Nope", "nora@", "nick@"):  # opted out: no trace
        assert gone not in everything
    for shown in ("Dana Default", "Abe Absent"):  # on the pages, just not in search or People
        assert shown in everything


def test_a_later_choice_applies_to_earlier_posts(tmp_path, pagefind):
    """Opting in to search, or out of everything, reaches posts already collected."""
    with FakeMastodon() as a:
        olga = Person("olga", a, display_name="Olga")
        nick = Person("nick", a, display_name="Nick")
        first = a.publish(olga, "Before opting in #consentconf", tags=["consentconf"], created_at=at(1))
        a.publish(nick, "Early post #consentconf", tags=["consentconf"], created_at=at(2))
        config = write_config(tmp_path, a.url)
        assert run("collect", "--once", "--config", str(config))["added"] == 2

        olga.indexable = True  # she ticks "include my posts in search"
        nick.note = "<p>Please, #NoBackchannel</p>"  # he asks to be left out
        a.publish(olga, "After opting in #consentconf", tags=["consentconf"], created_at=at(3))
        a.publish(nick, "Later post #consentconf", tags=["consentconf"], created_at=at(4))
        report = run("collect", "--once", "--config", str(config))
        assert report["added"] == 1 and report["deleted"] == 1
        assert report["skipped"] == {"opted out (#nobackchannel)": 1}
        run("build", "--config", str(config))

    with Archive.in_dir(tmp_path / ".backchannel") as archive:
        posts = list(archive.posts())
        assert [p.author.name for p in posts] == ["Olga", "Olga"] and all(p.searchable for p in posts)
    assert first["uri"] in {p.uri for p in posts}
    assert len(pagefind(tmp_path / "site").post_ids) == 2


def test_strict_mode_applies_at_build_time_without_recollecting(tmp_path):
    with FakeMastodon() as a:
        a.publish(Person("olga", a, display_name="Olga", indexable=True), "Searchable #consentconf",
                  tags=["consentconf"], created_at=at(1))
        a.publish(Person("dana", a, display_name="Dana"), "Only on pages #consentconf",
                  tags=["consentconf"], created_at=at(2))
        config = write_config(tmp_path, a.url)
        assert run("collect", "--once", "--config", str(config))["added"] == 2
    write_config(tmp_path, "http://127.0.0.1:9", strict=True)  # the organiser tightens the rule
    report = run("build", "--config", str(config))
    assert report["posts"] == 1
    everything = "".join(p.read_text(errors="replace") for p in (tmp_path / "site").rglob("*.html"))
    assert "Only on pages" not in everything and "Searchable" in everything
