"""What an organiser sees when they point backchannel at the wrong address, and what a
collect reports: real servers on 127.0.0.1 (a plain static web server included), the real
archive, the CLI as typed."""

import functools
import json
import threading
from datetime import timedelta
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer

import pytest
from click.testing import CliRunner

from backchannel.cli.main import cli
from loopback import Loopback, Response
from mastodon_server import FakeMastodon, Person, now

CONFIG = """
[event]
name = "DemoCon"
hashtags = ["democon"]
timezone = "Europe/Berlin"

[sources.mastodon]
instances = [{instances}]
"""


def collect(tmp_path, *instances):
    config = tmp_path / "backchannel.toml"
    config.write_text(CONFIG.format(instances=", ".join(f'"{u}"' for u in instances)))
    return CliRunner().invoke(cli, ["collect", "--once", "--config", str(config)])


@pytest.fixture
def static_site(tmp_path):
    """Python's own static file server, serving a hashtag's web page as a site would."""
    site = tmp_path / "site"
    (site / "tags").mkdir(parents=True)
    (site / "tags" / "democon.html").write_text("<!DOCTYPE html><html><body>#democon</body></html>")
    (site / "index.html").write_text("<!DOCTYPE html><html><body>Welcome</body></html>")
    handler = functools.partial(SimpleHTTPRequestHandler, directory=str(site))
    handler.log_message = lambda *args: None
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def test_a_static_web_server_is_not_a_mastodon_server(tmp_path, static_site):
    result = collect(tmp_path, static_site + "/tags/democon")
    assert result.exit_code == 1, result.output
    assert f"{static_site}/tags/democon: not a Mastodon API server" in result.output
    assert f"HTTP 404 for {static_site}/tags/democon/api/v1/timelines/tag/democon" in result.output
    assert "/api/v1/instance" in result.output and "https://mastodon.social" in result.output
    assert "Traceback" not in result.output


def test_a_server_answering_with_web_pages_is_an_error_naming_the_url(tmp_path):
    def web_pages(req):
        return Response(200, "<!DOCTYPE html><html><body>Posts tagged #democon</body></html>",
                        {"Content-Type": "text/html; charset=utf-8"})

    with Loopback(web_pages) as site:
        result = collect(tmp_path, site.url)
    assert result.exit_code == 1, result.output
    assert (f"{site.url}: not a Mastodon API server: it sent a web page (HTML), not the API's JSON, for "
            f"{site.url}/api/v1/timelines/tag/democon") in result.output


def test_an_unknown_tag_on_a_real_server_is_just_empty_and_costs_one_check(tmp_path):
    with FakeMastodon(unknown_tag="404") as server:
        first = collect(tmp_path, server.url)
        second = collect(tmp_path, server.url)
    assert first.exit_code == 0 and second.exit_code == 0, first.output + second.output
    asked = [r.path for r in server.loopback.requests if r.path == "/api/v1/instance"]
    assert len(asked) == 2  # once per process, after the first 404; a good answer settles it


def test_one_wrong_address_does_not_lose_the_good_servers_posts(tmp_path, static_site):
    with FakeMastodon() as server:
        ada = Person("ada", server)
        server.publish(ada, "Lesson: shard by tenant", tags=["democon"], created_at=now() - timedelta(minutes=5))
        result = collect(tmp_path, static_site, server.url)
    assert result.exit_code == 1
    assert "mastodon: 1 new" in result.output and "not a Mastodon API server" in result.output
