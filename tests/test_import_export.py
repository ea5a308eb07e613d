"""`backchannel import` keeps every good line and names every bad one; `export` round-trips."""

import csv
import io
import json

from click.testing import CliRunner

from backchannel.cli.main import cli
from factories import many_posts, write_jsonl


def invoke(tmp_path, *args, input=None):
    return CliRunner().invoke(cli, [*args, "--data-dir", str(tmp_path / "data")], input=input)


def test_bad_lines_are_reported_by_number_and_good_ones_kept(tmp_path):
    good = many_posts(5)
    lines = [
        good[0],
        "{not json",
        {"id": "x", "source": "mastodon", "text": "no time"},
        good[1],
        "",
        {"id": "y", "source": "rss", "created_at": "last week", "text": "bad time"},
        good[2],
    ]
    write_jsonl(tmp_path / "in.jsonl", lines)
    (tmp_path / "in.jsonl").open("ab").write(b"\xff\xfe not utf-8\n")
    result = invoke(tmp_path, "import", str(tmp_path / "in.jsonl"))
    assert result.exit_code == 1
    assert "in.jsonl:2: not valid JSON" in result.output
    assert "in.jsonl:3: missing field 'created_at'" in result.output
    assert "in.jsonl:6: field 'created_at' is not an ISO 8601 time" in result.output
    assert "in.jsonl:8: not UTF-8" in result.output
    assert "Imported 3 new posts" in result.output and "4 bad lines skipped" in result.output
    stats = json.loads(invoke(tmp_path, "stats", "--json").output)
    assert stats["total"] == 3


def test_all_bad_exits_2(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", ["[]", "42"])
    result = invoke(tmp_path, "import", str(tmp_path / "in.jsonl"))
    assert result.exit_code == 2 and "Traceback" not in result.output


def test_import_from_stdin_twice_is_idempotent(tmp_path):
    data = "".join(json.dumps(r) + "\n" for r in many_posts(50))
    assert "Imported 50 new posts" in invoke(tmp_path, "import", "-", input=data).output
    again = invoke(tmp_path, "import", "-", input=data)
    assert "Imported 0 new posts, 0 updated, 50 unchanged" in again.output


def test_imported_html_and_urls_are_sanitised(tmp_path):
    hostile = {
        "id": "evil", "source": "import", "created_at": "2026-09-01T10:00:00Z", "text": "hello",
        "html": '<p onclick="x()">hi<script>alert(1)</script><a href="javascript:alert(2)">x</a></p>',
        "url": "javascript:alert(3)", "links": ["data:text/html,<script>", "https://ok.example/"],
        "author": {"handle": "eve", "name": "<img src=x onerror=alert(4)>Eve", "url": "vbscript:x",
                   "links": ["javascript:alert(5)", "https://eve.example/", "https://eve.example/"]},
    }
    write_jsonl(tmp_path / "in.jsonl", [hostile])
    assert invoke(tmp_path, "import", str(tmp_path / "in.jsonl")).exit_code == 0
    out = json.loads(invoke(tmp_path, "export").output)
    assert out["html"] == '<p>hi<a rel="nofollow noopener ugc">x</a></p>'
    assert out["url"] is None and out["author"]["url"] is None
    assert out["links"] == ["https://ok.example/"]
    assert "<" not in out["author"]["name"]
    assert out["author"]["links"] == ["https://eve.example/"]  # http(s) only, once


def test_export_jsonl_imports_again_unchanged(tmp_path):
    write_jsonl(tmp_path / "in.jsonl", many_posts(20))
    invoke(tmp_path, "import", str(tmp_path / "in.jsonl"))
    exported = invoke(tmp_path, "export").output
    assert len(exported.splitlines()) == 20
    first = json.loads(exported.splitlines()[0])
    assert {"kind", "score", "talk", "talk_reason"} <= first.keys()
    other = tmp_path / "other"
    result = CliRunner().invoke(cli, ["import", "-", "--data-dir", str(other)], input=exported)
    assert "Imported 20 new posts" in result.output
    again = CliRunner().invoke(cli, ["export", "--data-dir", str(other)]).output
    assert again == exported


def test_author_links_survive_export_and_import_and_bad_ones_are_named(tmp_path):
    good = {"id": "a1", "source": "mastodon", "created_at": "2026-09-01T10:00:00Z", "text": "hi",
            "author": {"handle": "ada@example.social", "name": "Ada", "links": ["https://ada.example/"]}}
    bad = {**good, "id": "a2", "author": {"handle": "x", "links": "https://not-a-list.example/"}}
    write_jsonl(tmp_path / "in.jsonl", [good, bad])
    result = invoke(tmp_path, "import", str(tmp_path / "in.jsonl"))
    assert "in.jsonl:2: field 'author.links' must be a list" in result.output and result.exit_code == 1
    exported = invoke(tmp_path, "export").output
    assert json.loads(exported)["author"]["links"] == ["https://ada.example/"]
    other = tmp_path / "other"
    CliRunner().invoke(cli, ["import", "-", "--data-dir", str(other)], input=exported)
    assert CliRunner().invoke(cli, ["export", "--data-dir", str(other)]).output == exported


def test_export_csv_is_spreadsheet_safe(tmp_path):
    record = many_posts(1)[0]
    record["text"] = "=HYPERLINK(\"https://evil.example\")"
    write_jsonl(tmp_path / "in.jsonl", [record])
    invoke(tmp_path, "import", str(tmp_path / "in.jsonl"))
    out = tmp_path / "posts.csv"
    result = invoke(tmp_path, "export", "--format", "csv", "-o", str(out))
    assert result.exit_code == 0
    rows = list(csv.DictReader(io.StringIO(out.read_text())))
    assert rows[0]["text"].startswith("'=") and rows[0]["tags"] == " ".join(record["tags"])


def test_export_csv_has_the_authors_links_the_jsonl_has(tmp_path):
    with_links, without = many_posts(2)
    with_links["author"] = {**with_links["author"], "links": ["https://ada.example/", "https://code.example/ada"]}
    write_jsonl(tmp_path / "in.jsonl", [with_links, without])
    invoke(tmp_path, "import", str(tmp_path / "in.jsonl"))
    jsonl = {json.loads(line)["id"]: json.loads(line)["author"].get("links", [])
             for line in invoke(tmp_path, "export").output.splitlines()}
    rows = list(csv.DictReader(io.StringIO(invoke(tmp_path, "export", "--format", "csv").output)))
    assert {r["id"]: r["author_links"].split() for r in rows} == jsonl
    assert jsonl[with_links["id"]] == with_links["author"]["links"] and jsonl[without["id"]] == []
