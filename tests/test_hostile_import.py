"""Hostile Post JSONL (issue 13, classes 1–3 and 12): a bad line is named by file, line and
field and skipped; every good line around it is stored, searchable, indexed and built."""

from __future__ import annotations

import json
import sqlite3

import pytest

from backchannel.importer import MAX_LINE
from hostile import assert_clean, cli_run, good, line, run, search_ids, write_lines

BIG = 2 ** 70  # more than SQLite's 64-bit integers


def import_file(tmp_path, records, name="in.jsonl"):
    path = write_lines(tmp_path / name, records)
    return cli_run(tmp_path, "import", str(path))


def stored_ids(tmp_path) -> set[str]:
    db = sqlite3.connect(tmp_path / "data" / "archive.db")
    return {row[0] for row in db.execute("SELECT id FROM posts")}


# --- class 1: poison records never reach the archive ------------------------------------------

@pytest.mark.parametrize("field, value, said", [
    ("created_at", "9999-12-31T23:59:59Z", "field 'created_at' is out of range: year 9999"),
    ("created_at", "0001-01-01T00:00:00Z", "field 'created_at' is out of range: year 1"),
    ("created_at", "1969-12-31T23:59:59Z", "field 'created_at' is out of range: year 1969"),
    ("created_at", "2106-02-08T00:00:00Z", "field 'created_at' is out of range: year 2106"),
    ("created_at", "0001-01-01T00:30:00+01:00", "field 'created_at' is not an ISO 8601 time"),  # overflows in UTC
    ("created_at", 1767225600, "field 'created_at' is not an ISO 8601 time: 1767225600"),
    ("created_at", ["2026-09-01"], "field 'created_at' is not an ISO 8601 time"),
    ("edited_at", "9999-01-01T00:00:00Z", "field 'edited_at' is out of range: year 9999"),
    ("media", [{"type": ["image"], "url": "https://x.example/a.png"}], "field 'media[0].type' must be a string"),
    ("media", ["https://x.example/a.png"], "field 'media[0]' must be an object"),
    ("media", {"type": "image"}, "field 'media' must be a list"),
    ("tags", "python", "field 'tags' must be a list"),
    ("tags", ["ok", 7], "field 'tags[1]' must be a string"),
    ("kind", "exploit", "field 'kind' must be one of"),
    ("score", 7, "field 'score' must be a number from 0 to 1"),
    ("score", float("inf"), "field 'score' must be a number from 0 to 1"),  # json writes Infinity
    ("id", "x" * 5000, "field 'id' is longer than 2048 characters"),
    ("source", "mast odon", "field 'source' must be a short name"),
    ("source", "a\u001b[2Jb", "field 'source' must be a short name"),
])
def test_a_poison_record_is_named_and_the_good_ones_stay_usable(tmp_path, field, value, said):
    bad = good(99, **{field: value})
    result = import_file(tmp_path, [good(1), bad, good(2)])
    assert_clean(result)
    assert result.exit_code == 1
    assert f"in.jsonl:2: {said}" in result.stderr
    assert "Imported 2 new posts" in result.stdout and "1 bad lines skipped" in result.stdout
    assert stored_ids(tmp_path) == {"import-good1", "import-good2"}
    assert sorted(search_ids(tmp_path, "zebra")) == ["import-good1", "import-good2"]
    for command in (["reindex"], ["build", "--no-search", "-o", str(tmp_path / "site")], ["stats"]):
        after = cli_run(tmp_path, *command)
        assert_clean(after)
        assert after.exit_code == 0, after.output


def test_the_edges_of_the_range_are_kept(tmp_path):
    first, last = good(1, created_at="1970-01-01T00:00:00Z"), good(2, created_at="2105-12-31T23:59:59Z")
    result = import_file(tmp_path, [first, last])
    assert result.exit_code == 0, result.output
    assert sorted(search_ids(tmp_path, "zebra")) == ["import-good1", "import-good2"]
    assert search_ids(tmp_path, "created:>21050101") == ["import-good2"]
    built = cli_run(tmp_path, "build", "--no-search", "-o", str(tmp_path / "site"))
    assert built.exit_code == 0, built.output
    assert "Posts per month" in (tmp_path / "site" / "index.html").read_text()  # 136 years: a bar per month


@pytest.mark.parametrize("args, said", [
    (["--since", "9999-12-31"], "--since: '9999-12-31' is out of range"),
    (["--until", "9999-12-31"], "--until: '9999-12-31' is out of range"),  # the day after overflows
    (["--since", "0001-01-01"], "--since: '0001-01-01' is out of range"),
    (["--until", "0001-01-01T00:00"], "--until: '0001-01-01T00:00' is out of range"),
    (["created:>99991231"], "created: takes a date"),
    (["created:[00010101 TO 20260101]"], "created: takes a date"),
    (["created:19000101"], "created: takes a date"),
])
def test_extreme_dates_on_the_command_line_are_one_line(tmp_path, args, said):
    import_file(tmp_path, [good(1)])
    result = cli_run(tmp_path, "search", *args)
    assert_clean(result)
    assert result.exit_code == 2 and said in result.output


@pytest.mark.parametrize("key, value", [("start", "9999-12-31"), ("end", "9999-12-31"),
                                        ("start", "0001-01-01T00:00:00"), ("end", "1900-01-01")])
def test_extreme_event_dates_in_the_config_are_one_line(tmp_path, key, value):
    config = tmp_path / "backchannel.toml"
    config.write_text(f'[event]\nname = "X"\nhashtags = ["x"]\ntimezone = "Pacific/Kiritimati"\n{key} = {value}\n')
    result = cli_run(tmp_path, "stats", "--config", str(config))
    assert_clean(result)
    assert result.exit_code == 2
    assert f"[event] {key}" in result.output and "out of range" in result.output


# --- class 2: one bad field never loses the batch ----------------------------------------------

@pytest.mark.parametrize("bad, said", [
    ({"author": {"handle": 42}}, "field 'author.handle' must be a string"),
    ({"author": {"handle": "a", "name": ["Ada"]}}, "field 'author.name' must be a string"),
    ({"author": "ada"}, "field 'author' must be an object"),
    ({"html": {"p": "hi"}}, "field 'html' must be a string"),
    ({"media": [{"type": "image", "url": "https://x.example/a.png", "alt": 3}]}, "field 'media[0].alt' must be a string"),
    ({"metrics": {"likes": BIG}}, "field 'metrics.likes' must be a whole number"),
    ({"metrics": {"reposts": -1}}, "field 'metrics.reposts' must be a whole number"),
    ({"metrics": {"replies": 1.5}}, "field 'metrics.replies' must be a whole number"),
    ({"metrics": {"quotes": "3"}}, "field 'metrics.quotes' must be a whole number"),
    ({"metrics": {"likes": True}}, "field 'metrics.likes' must be a whole number"),
    ({"url": ["https://x.example/"]}, "field 'url' must be a string"),
])
def test_a_wrong_type_mid_batch_loses_only_its_own_line(tmp_path, bad, said):
    records = [good(n) for n in range(1, 6)] + [good(99, **bad)] + [good(n) for n in range(6, 11)]
    result = import_file(tmp_path, records)
    assert_clean(result)
    assert result.exit_code == 1 and f"in.jsonl:6: {said}" in result.stderr
    assert stored_ids(tmp_path) == {f"import-good{n}" for n in range(1, 11)}


def test_every_bad_field_of_a_line_is_named_at_once(tmp_path):
    result = import_file(tmp_path, [good(1, author={"handle": 1, "name": 2}, metrics={"likes": -5})])
    assert result.exit_code == 2
    for field in ("author.handle", "author.name", "metrics.likes"):
        assert f"'{field}'" in result.stderr


@pytest.mark.parametrize("where", ["text", "html", "content_warning", "author.name", "author.handle", "media.alt"])
def test_a_lone_surrogate_becomes_a_replacement_character(tmp_path, where):
    rec = good(1)
    broken = "broken emoji \ud83d here"
    if where == "author.name":
        rec["author"] = {"handle": "ada", "name": broken}
    elif where == "author.handle":
        rec["author"] = {"handle": broken, "name": "Ada"}
    elif where == "media.alt":
        rec["media"] = [{"type": "image", "url": "https://x.example/a.png", "alt": broken}]
    else:
        rec[where] = broken
    path = tmp_path / "in.jsonl"
    # json.dumps writes the lone surrogate as the escape \ud83d, exactly what a broken exporter sends
    path.write_text(json.dumps(rec) + "\n" + json.dumps(good(2)) + "\n")
    result = cli_run(tmp_path, "import", str(path))
    assert_clean(result)
    assert result.exit_code == 0, result.output
    exported = [json.loads(x) for x in cli_run(tmp_path, "export").stdout.splitlines()]
    assert len(exported) == 2
    assert "broken emoji \ufffd here" in json.dumps(exported, ensure_ascii=False)


def test_a_lone_surrogate_in_the_id_is_refused_by_name(tmp_path):
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps(good(1, id="import-\udc00")) + "\n" + json.dumps(good(2)) + "\n")
    result = cli_run(tmp_path, "import", str(path))
    assert result.exit_code == 1 and "in.jsonl:1: field 'id' is not valid Unicode" in result.stderr
    assert stored_ids(tmp_path) == {"import-good2"}


def test_a_bad_line_in_a_later_batch_keeps_every_earlier_and_later_batch(tmp_path):
    records = [good(n, id=f"import-many{n}") for n in range(5000)]
    records[2500] = good(0, id="import-bad", metrics={"likes": BIG})
    records[4999] = good(0, id="import-bad2", created_at="9999-01-01T00:00:00Z")
    result = import_file(tmp_path, records)
    assert result.exit_code == 1
    assert "in.jsonl:2501: field 'metrics.likes'" in result.stderr
    assert "in.jsonl:5000: field 'created_at'" in result.stderr
    assert len(stored_ids(tmp_path)) == 4998


# --- class 3: strings as booleans -------------------------------------------------------------

@pytest.mark.parametrize("value, stored", [("false", False), ("FALSE", False), ("0", False), ("no", False),
                                           ("", False), (0, False), (False, False), ("true", True),
                                           (" True ", True), ("1", True), (1, True), (True, True)])
def test_booleans_written_as_strings_or_numbers_mean_what_they_say(tmp_path, value, stored):
    result = import_file(tmp_path, [good(1, is_repost=value, sensitive=value)])
    assert result.exit_code == 0, result.output
    post = json.loads(cli_run(tmp_path, "export").stdout)
    assert post["is_repost"] is stored and post["sensitive"] is stored


@pytest.mark.parametrize("value", ["maybe", "nein", 2, -1, 0.5, [], {}, "ture"])
def test_a_boolean_that_is_neither_is_refused_by_name(tmp_path, value):
    result = import_file(tmp_path, [good(1), good(2, is_repost=value)])
    assert result.exit_code == 1 and "in.jsonl:2: field 'is_repost' must be true or false" in result.stderr
    assert stored_ids(tmp_path) == {"import-good1"}


# --- class 12: limits ---------------------------------------------------------------------------

def test_a_line_over_the_cap_is_reported_and_the_next_line_read(tmp_path):
    path = tmp_path / "in.jsonl"
    huge = good(2, text="x" * (MAX_LINE + 10))
    with open(path, "w") as fh:
        fh.write(line(good(1)) + "\n" + line(huge) + "\n" + line(good(3)) + "\n")
    result = cli_run(tmp_path, "import", str(path))
    assert_clean(result)
    assert result.exit_code == 1
    assert f"in.jsonl:2: line too long (over {MAX_LINE:,} bytes); skipped" in result.stderr
    assert stored_ids(tmp_path) == {"import-good1", "import-good3"}


def test_a_line_just_under_the_cap_is_kept(tmp_path):
    rec = good(1)
    rec["text"] = ""
    rec["text"] = "y" * (MAX_LINE - len(line(rec)) - 1)  # with its newline: exactly MAX_LINE bytes
    path = write_lines(tmp_path / "in.jsonl", [rec, good(2)])
    result = cli_run(tmp_path, "import", str(path))
    assert result.exit_code == 0, result.output
    assert stored_ids(tmp_path) == {"import-good1", "import-good2"}


def test_the_longest_post_an_export_holds_imports_again(tmp_path):
    long = "東京" * 190_000  # a blog post in a script of 3-byte characters: over 1 MiB as JSON
    rec = good(1, html=f"<p>{long}</p>")
    assert cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [rec]))).exit_code == 0
    exported = cli_run(tmp_path, "export").stdout_bytes
    assert len(exported) > 1 << 20
    (tmp_path / "out.jsonl").write_bytes(exported)
    again = cli_run(tmp_path / "second", "import", str(tmp_path / "out.jsonl"))
    assert again.exit_code == 0, again.output


def test_importing_dev_zero_stops_with_one_line(tmp_path):
    result = run("import", "/dev/zero", "--data-dir", tmp_path / "data", timeout=60)
    assert_clean(result)  # its format can't be told from its first bytes
    assert result.returncode == 2 and b"/dev/zero: cannot tell the file's format" in result.stderr
    result = run("import", "--format", "jsonl", "/dev/zero", "--data-dir", tmp_path / "data", timeout=60)
    assert_clean(result)
    assert result.returncode == 2
    assert b"/dev/zero:1: line too long, and no line end in the next 64 MiB: stopped reading" in result.stderr


@pytest.mark.parametrize("nesting", ["[" * 100_000 + "]" * 100_000, '{"a":' * 50_000 + "1" + "}" * 50_000])
def test_a_deeply_nested_line_is_one_bad_line(tmp_path, nesting):
    result = import_file(tmp_path, [good(1), nesting, good(2)])
    assert_clean(result)
    assert result.exit_code == 1 and "in.jsonl:2: nested too deeply" in result.stderr
    assert stored_ids(tmp_path) == {"import-good1", "import-good2"}


@pytest.mark.parametrize("name, body", [
    ("schedule.json", b'{"schedule": ' + b"[" * 200_000 + b"]" * 200_000 + b"}"),
    ("schedule.json", b'{"schedule": {"conference": ' + b'{"a":' * 100_000 + b"1" + b"}" * 100_000 + b"}}"),
])
def test_a_deeply_nested_schedule_is_one_line(tmp_path, name, body):
    (tmp_path / name).write_bytes(body)
    config = tmp_path / "backchannel.toml"
    config.write_text(f'[event]\nname = "X"\nhashtags = ["x"]\ntimezone = "UTC"\nschedule = "{name}"\n')
    write_lines(tmp_path / "in.jsonl", [good(1)])
    result = run("import", tmp_path / "in.jsonl", "--config", config, "--data-dir", tmp_path / "data")
    assert_clean(result)
    assert result.returncode == 2, result.stderr
    assert name.encode() in result.stderr and len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("name, body", [
    ("schedule.xml", b"<schedule>" + b"<a>" * 100_000 + b"</a>" * 100_000 + b"</schedule>"),
    ("schedule.ics", b"BEGIN:VCALENDAR\r\n" + b"BEGIN:VEVENT\r\n" * 50_000 + b"END:VEVENT\r\n" * 50_000
     + b"END:VCALENDAR\r\n"),
])
def test_a_deeply_nested_xml_or_ics_schedule_is_read_without_a_traceback(tmp_path, name, body):
    (tmp_path / name).write_bytes(body)
    config = tmp_path / "backchannel.toml"
    config.write_text(f'[event]\nname = "X"\nhashtags = ["x"]\ntimezone = "UTC"\nschedule = "{name}"\n')
    write_lines(tmp_path / "in.jsonl", [good(1)])
    result = run("import", tmp_path / "in.jsonl", "--config", config, "--data-dir", tmp_path / "data")
    assert_clean(result)  # their parsers do not recurse: a schedule without talks, not a crash
    assert result.returncode in (0, 2)


def test_a_deeply_nested_config_is_one_line(tmp_path):
    config = tmp_path / "backchannel.toml"
    config.write_text("a = " + "[" * 100_000 + "]" * 100_000 + "\n")
    result = run("stats", "--config", config, "--data-dir", tmp_path / "data")
    assert_clean(result)
    assert result.returncode == 2 and b"nested too deeply" in result.stderr


def test_classify_names_a_deeply_nested_line(tmp_path):
    result = cli_run(tmp_path, "classify", input="[" * 100_000 + "\n" + json.dumps({"id": "a", "text": "hi"}) + "\n")
    assert result.exit_code == 1 and "line 1: nested too deeply" in result.stderr
    assert '"id": "a"' in result.stdout
