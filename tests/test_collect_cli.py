"""`backchannel collect --once` end to end: real collectors, loopback servers, the real archive."""

import json
from pathlib import Path

from click.testing import CliRunner

from backchannel.cli.main import cli
from backchannel.demo.loopback import Response

FIXTURES = Path(__file__).parent / "fixtures"
CONFIG = """
[event]
name = "PyCon US 2026"
hashtags = ["pycon2026", "pyconus"]
keywords = ["PyCon US"]
start = 2026-05-13
end = 2026-05-21

[sources.rss]
feeds = ["{url}/blog.rss", "{url}/down.rss"]
"""


def serve_feeds(req):
    if req.path == "/blog.rss":
        if req.headers.get("if-none-match") == '"v1"':
            return Response(304, headers={"ETag": '"v1"'})
        return Response(200, (FIXTURES / "rss" / "blog.rss").read_bytes(),
                        {"Content-Type": "application/rss+xml", "ETag": '"v1"'})
    return Response(503, "down for maintenance")


def test_collect_stores_then_costs_nothing_and_reports_failures(tmp_path, serve):
    with serve(serve_feeds) as server:
        config = tmp_path / "backchannel.toml"
        config.write_text(CONFIG.replace("{url}", server.url))
        runner = CliRunner()
        first = runner.invoke(cli, ["collect", "--once", "--config", str(config), "--json"])
        assert first.exit_code == 1, first.output  # one feed failed: a partial failure
        report = json.loads(first.output.splitlines()[0])
        assert report["source"] == "rss" and report["added"] >= 3
        assert any("down.rss" in e for e in report["errors"])
        second = runner.invoke(cli, ["collect", "--once", "--config", str(config)])
        assert "rss: 0 new, 0 updated, 0 deleted" in second.output
        assert "down.rss" in second.output
        blog_bodies = [r for r in server.requests if r.path == "/blog.rss"]
        assert len(blog_bodies) == 2 and blog_bodies[1].headers.get("if-none-match") == '"v1"'
        found = runner.invoke(cli, ["search", "keynote", "--config", str(config), "--json"])
        assert found.exit_code == 0
        assert json.loads(found.output.splitlines()[0])["source"] == "rss"


def test_collect_without_sources_is_a_usage_error(tmp_path):
    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "x"\nhashtags = ["x"]\n')
    result = CliRunner().invoke(cli, ["collect", "--once", "--config", str(config)])
    assert result.exit_code == 2 and "no sources configured" in result.output
