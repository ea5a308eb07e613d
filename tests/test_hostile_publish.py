"""What reaches the published digest (issue 13, classes 5, 7 and 10): URLs with whitespace or
control characters are refused, recap.md and the Atom feed stay inert, every post has a page
of its own, and a token a server echoes (even JSON-escaped) is stored, exported and published
nowhere."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from html.parser import HTMLParser
from pathlib import Path

import pytest
from click.testing import CliRunner

from backchannel.cli.main import cli
from backchannel.digest.model import file_name
from hostile import assert_clean, cli_run, good, write_lines
from backchannel.demo.loopback import Response
from mastodon_server import FakeMastodon, Person

TAKEAWAY = "Key takeaway: shard the zebra index by tenant, not by time. Lesson learned the hard way"
INJECTED = "\n# Injected heading\n[click me](https://evil.example/)\n"
BAD_URLS = [
    "https://example.social/@ada/1" + INJECTED,
    "https://example.social/@ada/1\r\n\r\n<script>alert(1)</script>",
    "https://example.social/@ada/1\tevil",
    "https://example.social/@ada/ 1",
    "https://example.social/@ada/1\x00",
    "https://example.social/@ada/1\u2028# heading",
    "https://example.social/@ada/1\u202e",
    "https://exa mple.social/",
]


def build(tmp_path, *extra) -> Path:
    site = tmp_path / "site"
    result = cli_run(tmp_path, "build", "--no-search", "-o", str(site), *extra)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    return site


def recap_headings(site: Path) -> list[str]:
    return [x for x in (site / "recap.md").read_text().splitlines() if x.startswith("#")]


# --- class 5: URLs with whitespace or control characters ---------------------------------------

@pytest.mark.parametrize("bad", BAD_URLS)
def test_an_imported_url_with_whitespace_is_refused_and_the_post_kept(tmp_path, bad):
    rec = good(1, text=TAKEAWAY, kind="takeaway", url=bad, links=[bad, "https://ok.example/slides"],
               author={"handle": "ada@example.social", "name": "Ada", "url": bad},
               media=[{"type": "image", "url": bad, "alt": "x"}, {"type": "image", "url": "https://ok.example/a.png"}])
    result = cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [rec, good(2)])))
    assert result.exit_code == 0, result.output
    post = json.loads(cli_run(tmp_path, "export").stdout.splitlines()[0])
    assert post["url"] is None and post["author"]["url"] is None
    assert post["links"] == ["https://ok.example/slides"]
    assert [m["url"] for m in post["media"]] == ["https://ok.example/a.png"]
    site = build(tmp_path)
    recap = (site / "recap.md").read_text()
    assert "evil.example" not in recap and "<script>" not in recap
    assert all(not h.startswith("# Injected") for h in recap_headings(site))
    assert_atom_is_clean(site)


def test_surrounding_spaces_are_trimmed_not_refused(tmp_path):
    rec = good(1, url="  https://example.social/@ada/1\n", links=["\thttps://ok.example/ "])
    cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [rec])))
    post = json.loads(cli_run(tmp_path, "export").stdout)
    assert post["url"] == "https://example.social/@ada/1" and post["links"] == ["https://ok.example/"]


@pytest.mark.parametrize("field", ["content_warning", "author.name", "text"])
def test_line_breaks_in_text_start_no_markdown_in_the_recap(tmp_path, field):
    rec = good(1, text=TAKEAWAY, kind="takeaway")
    evil = "fine\n\n# Injected heading\n- injected item\n---\n[x](https://evil.example/)"
    if field == "author.name":
        rec["author"] = {"handle": "ada@example.social", "name": evil}
    elif field == "text":
        rec["text"] = TAKEAWAY + evil
    else:
        rec[field] = evil
    cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [rec])))
    site = build(tmp_path)
    recap = (site / "recap.md").read_text()
    assert "Injected heading" in recap  # the words are there, as text
    assert not re.search(r"^\s*(#|-|---|\[)\s*[Ii]njected", recap, re.M)
    assert not re.search(r"(?<!\\)\[x(?<!\\)\]", recap) and "](https://evil" not in recap
    assert_atom_is_clean(site)


def assert_atom_is_clean(site: Path) -> None:
    feed = ET.parse(site / "feed.xml").getroot()  # parses: no control character broke the XML
    for link in feed.iter("{http://www.w3.org/2005/Atom}link"):
        assert not re.search(r"\s|[\x00-\x1f]", link.get("href")), link.get("href")
    for uri in feed.iter("{http://www.w3.org/2005/Atom}uri"):
        assert not re.search(r"\s|[\x00-\x1f]", uri.text)


MASTODON_CONFIG = """
[event]
name = "Test"
hashtags = ["pycon"]
start = 2026-01-01

[sources.mastodon]
instances = ["{url}"]
"""


def test_a_mastodon_status_with_a_newline_in_its_url_links_its_uri_instead(tmp_path):
    with FakeMastodon() as a:
        person = Person("alice", a, display_name="Alice\n# Injected heading")
        status = a.publish(person, TAKEAWAY + " #pycon", tags=["pycon"])
        status["url"] = status["url"] + INJECTED
        status["account"]["url"] = "https://evil.example/@alice\n[x](https://evil.example/)"
        status["card"] = {"url": "https://blog.example/recap\r\nSet-Cookie: x=y", "title": "Recap"}
        config = tmp_path / "backchannel.toml"
        config.write_text(MASTODON_CONFIG.replace("{url}", a.url))
        result = cli_run(tmp_path, "collect", "--once", "--config", str(config))
        assert result.exit_code == 0, result.output
    post = json.loads(cli_run(tmp_path, "export", "--config", str(config)).stdout)
    assert post["url"] == status["uri"]  # the status's own id URL, which is clean
    assert post["author"]["url"] is None and not any("Set-Cookie" in x for x in post["links"])
    site = build(tmp_path, "--config", str(config))
    assert all("Injected" not in h for h in recap_headings(site))
    assert_atom_is_clean(site)


# --- class 7: one page per post -----------------------------------------------------------------

class Text(HTMLParser):
    def __init__(self):
        super().__init__()
        self.parts: list[str] = []

    def handle_data(self, data):
        self.parts.append(data)


def visible(page: Path) -> str:
    p = Text()
    p.feed(page.read_text())
    return " ".join(" ".join(p.parts).split())


def pages_by_post(site: Path, texts: dict[str, str]) -> dict[str, list[Path]]:
    """For each post id, the permalink pages whose text shows that post's words."""
    found: dict[str, list[Path]] = {pid: [] for pid in texts}
    for page in (site / "posts").rglob("*.html"):
        shown = visible(page)
        for pid, words in texts.items():
            if words in shown:
                found[pid].append(page)
    return found


@pytest.mark.parametrize("victim, attacker", [
    ("mastodon/with a slash", None),  # the attacker takes the victim's hashed file name
    ("A" * 150, None),  # too long for a file name: hashed too
    ("Post-A", "post-a"),  # one file on macOS and Windows
    ("import-1", "IMPORT-1"),
    ("index", "INDEX"),
    ("x-0123456789abcdef0123", "X-0123456789ABCDEF0123"),  # looks like a hash
])
def test_every_post_gets_a_page_of_its_own(tmp_path, victim, attacker):
    attacker = attacker or file_name(victim)
    when = "2026-09-01T10:15:00Z"
    recs = [good(1, id=victim, created_at=when, text="Victim says zebra crossings are safe"),
            good(2, id=attacker, created_at=when, text="Attacker says ostrich crossings are better")]
    result = cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", recs)))
    assert result.exit_code == 0, result.output
    site = build(tmp_path)
    found = pages_by_post(site, {victim: "Victim says zebra", attacker: "Attacker says ostrich"})
    assert len(found[victim]) == 1 and len(found[attacker]) == 1
    assert found[victim][0] != found[attacker][0]
    assert len({p.name.lower() for p in found[victim] + found[attacker]}) == 2
    # the lists link both pages, and every link leads to a page that exists
    links = {m for page in site.rglob("*.html") if "posts" not in page.relative_to(site).parts
             for m in re.findall(r'posts/\d{4}-\d\d-\d\d/\d\d/[^"#?]+?\.html', page.read_text())}
    assert {str(p.relative_to(site)) for p in found[victim] + found[attacker]} <= links
    assert all((site / link).is_file() for link in links)


# --- class 10: tokens never stored, exported or published ---------------------------------------

TOKEN = "S3cretToken-0123456789abcdef"


def json_escaped(text: str) -> str:
    return "".join(f"\\u{ord(c):04x}" for c in text)


def everything_written(*folders: Path) -> bytes:
    return b"".join(p.read_bytes() for f in folders for p in f.rglob("*") if p.is_file())


@pytest.mark.parametrize("escape", [json_escaped, lambda t: json_escaped(t[:1]) + t[1:],
                                    lambda t: t[:4] + json_escaped(t[4:8]) + t[8:]])
def test_a_token_the_server_echoes_json_escaped_is_scrubbed_everywhere(tmp_path, escape):
    with FakeMastodon(token=TOKEN) as a:
        person = Person("alice", a, display_name=f"Alice {TOKEN}")
        status = a.publish(person, f"{TAKEAWAY} token {TOKEN} #pycon", tags=["pycon"],
                           spoiler_text=f"cw {TOKEN}", application={"name": TOKEN, "website": None},
                           card={"url": f"https://blog.example/?t={TOKEN}", "title": TOKEN})
        body = json.dumps([status]).replace(TOKEN, escape(TOKEN))
        assert TOKEN.encode() not in body.encode()  # a scrub of the raw body finds nothing
        a.fail("/api/v1/timelines/tag/", Response(200, body, {"Content-Type": "application/json"}))
        config = tmp_path / "backchannel.toml"
        config.write_text(MASTODON_CONFIG.replace("{url}", a.url))
        env = {"BACKCHANNEL_MASTODON_TOKEN": f"{a.domain}={TOKEN}"}
        runner = CliRunner(env=env)
        common = ["--config", str(config), "--data-dir", str(tmp_path / "data")]
        collected = runner.invoke(cli, ["collect", "--once", *common])
        assert collected.exit_code == 0, collected.output
    exported = runner.invoke(cli, ["export", *common]).stdout
    assert "[redacted]" in exported and TOKEN not in exported
    found = runner.invoke(cli, ["search", "zebra", "--json", *common])
    assert found.exit_code == 0 and TOKEN not in found.output
    built = runner.invoke(cli, ["build", "-o", str(tmp_path / "site"), *common])
    assert built.exit_code == 0, built.output
    written = everything_written(tmp_path / "data", tmp_path / "site")
    assert TOKEN.encode() not in written and TOKEN.encode("utf-16-le") not in written


def test_an_imported_dump_holding_the_token_is_scrubbed_too(tmp_path):
    rec = good(1, text=f"oops {TOKEN}", author={"handle": "ada", "name": TOKEN},
               links=[f"https://x.example/?access_token={TOKEN}"])
    password = "app-pass-word-1234"
    rec2 = good(2, content_warning=password)
    env = {"BACKCHANNEL_MASTODON_TOKEN": f"https://one.example={TOKEN}", "BACKCHANNEL_BLUESKY_APP_PASSWORD": password}
    runner = CliRunner(env=env)
    data = ["--data-dir", str(tmp_path / "data")]
    result = runner.invoke(cli, ["import", str(write_lines(tmp_path / "in.jsonl", [rec, rec2])), *data])
    assert result.exit_code == 0, result.output
    written = everything_written(tmp_path / "data")
    assert TOKEN.encode() not in written and password.encode() not in written
    assert runner.invoke(cli, ["search", "redacted", "--json", *data]).exit_code == 0
