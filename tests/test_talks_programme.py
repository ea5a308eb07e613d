"""The programme is alive: what was read is said, a corrected programme re-attaches stored
posts without collecting them again, and talks are named as organisers name them.

Real programme exports from ../shared corpora (pretalx, frab) and our own fixtures; the
real archive, index and CLI.
"""

import json
import os
import shutil
import sqlite3
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from click.testing import CliRunner

from backchannel.talks.live import Watch
from backchannel.talks.programme import load_schedule
from backchannel.cli.main import cli

SCHEDULES = Path(__file__).parent / "fixtures" / "schedules"
CORPUS = Path(__file__).resolve().parents[2] / "shared" / "corpora" / "programmes"  # where CI clones it
if not CORPUS.is_dir():
    CORPUS = Path("/work/shared/corpora/programmes")
needs_corpus = pytest.mark.skipif(not CORPUS.is_dir(), reason="shared/corpora/programmes is not here")

POSTS = [
    {"id": "ret", "source": "mastodon", "created_at": "2026-09-02T09:10:00Z",
     "text": "Great point on retrieval ranking: embeddings for recall, BM25 for precision #democon"},
    {"id": "vec", "source": "mastodon", "created_at": "2026-09-01T08:20:00Z",
     "text": "Lesson: shard your vector index by tenant, not by time #vecscale #democon"},
]


def event(tmp_path, schedule: Path, name="schedule.json"):
    shutil.copy(schedule, tmp_path / name)
    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "DemoCon"\nhashtags = ["democon"]\ntimezone = "Europe/Berlin"\n'
                      f'schedule = "{name}"\n')
    return config


def run(config, *args, input=None):
    return CliRunner().invoke(cli, [*args, "--config", str(config)], input=input)


def import_posts(config, posts=POSTS):
    return run(config, "import", "-", input="".join(json.dumps(p) + "\n" for p in posts))


def exported(config):
    return {p["id"]: p for p in map(json.loads, run(config, "export").stdout.splitlines())}


def fix_retrieval_talk(path: Path):
    """The organiser adds the start the talk was missing (and saves the file)."""
    doc = json.loads(path.read_text())
    for day in doc["schedule"]["conference"]["days"]:
        for talks in day["rooms"].values():
            for talk in talks:
                if talk["code"] == "RET008":
                    talk.update(start="11:00", date="2026-09-02T11:00:00+02:00")
    path.write_text(json.dumps(doc))


def test_loading_says_what_was_read_and_names_a_skipped_talk(tmp_path):
    config = event(tmp_path, SCHEDULES / "broken" / "missing_start.json")
    result = import_posts(config)
    assert result.exit_code == 0, result.output
    assert ("programme: schedule.json: 8 talks, 2 rooms, 2 days; 1 skipped: day 2, room 'Hall A', event 2 "
            "'Retrieval ranking with embeddings': missing 'start'") in result.output


def test_a_corrected_programme_reattaches_stored_posts_without_collecting(tmp_path):
    config = event(tmp_path, SCHEDULES / "broken" / "missing_start.json")
    import_posts(config)
    assert exported(config)["ret"]["talk"] is None  # its talk was not in the programme
    fix_retrieval_talk(tmp_path / "schedule.json")
    built = run(config, "build", "--no-search", "-o", str(tmp_path / "site"))
    assert built.exit_code == 0, built.output
    assert "schedule.json: 9 talks" in built.output and "matched again, 1 post moved" in built.output
    post = exported(config)["ret"]
    assert post["talk"] == "6f1c2a9e-0d4b-5b8e-9c1a-000000000008"
    assert "RET008" in post["talk_reason"] or "Retrieval ranking" in post["talk_reason"]
    page = next((tmp_path / "site").rglob("*.html"))  # pages follow: the talk's page lists it
    talk_pages = [p for p in (tmp_path / "site").rglob("*.html") if "Retrieval ranking" in p.read_text()
                  and "embeddings for recall" in p.read_text()]
    assert page and talk_pages
    found = run(config, "search", "--talk", "RET008", "--json")  # the index followed too
    assert [json.loads(line)["id"] for line in found.stdout.splitlines()] == ["ret"]
    again = run(config, "build", "--no-search", "-o", str(tmp_path / "site"))
    assert "matched again" not in again.output  # unchanged since the last match: nothing to do


def test_reindex_rematches_too_and_the_talks_table_is_plain_sqlite(tmp_path):
    config = event(tmp_path, SCHEDULES / "broken" / "missing_start.json")
    import_posts(config)
    fix_retrieval_talk(tmp_path / "schedule.json")
    result = run(config, "reindex")
    assert result.exit_code == 0 and "1 post moved" in result.output
    db = sqlite3.connect(tmp_path / ".backchannel" / "archive.db")
    rows = db.execute('SELECT id, code, title, room, start, "end", speakers FROM talks WHERE code = ?',
                      ("RET008",)).fetchall()
    assert rows == [("6f1c2a9e-0d4b-5b8e-9c1a-000000000008", "RET008", "Retrieval ranking with embeddings",
                     "Hall A", "2026-09-02T09:00:00Z", "2026-09-02T09:45:00Z", '["Ada Lovelace", "Alan Turing"]')]
    assert db.execute("SELECT talk FROM posts WHERE id = 'ret'").fetchone()[0] == rows[0][0]


def test_talks_lists_time_room_speakers_and_counts(tmp_path):
    config = event(tmp_path, SCHEDULES / "democon.json")
    import_posts(config)
    result = run(config, "talks")
    assert result.exit_code == 0, result.output
    assert "Tue 01 Sep 10:00–10:45  Hall A  VEC002  Vector search at scale — Ada Lovelace · 1 post" in result.stdout
    rows = [json.loads(line) for line in run(config, "talks", "--json").stdout.splitlines()]
    assert len(rows) == 9 and {"id", "code", "title", "room", "start", "end", "speakers", "posts"} <= set(rows[0])
    assert next(r for r in rows if r["code"] == "VEC002")["posts"] == 1


def test_talks_without_a_programme_or_an_archive_say_so(tmp_path):
    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "x"\nhashtags = ["x"]\n')
    assert run(config, "talks").exit_code == 2  # no archive: nothing was created either
    assert not (tmp_path / ".backchannel" / "archive.db").exists()
    import_posts(config, POSTS[:1])
    result = run(config, "talks")
    assert result.exit_code == 1 and "set [event] schedule" in result.output


@pytest.mark.parametrize("name", ["VEC002", "vec002", "6f1c2a9e-0d4b-5b8e-9c1a-000000000002",
                                  "vector search", "Vector"])
def test_search_names_a_talk_by_code_id_or_title_words(tmp_path, name):
    config = event(tmp_path, SCHEDULES / "democon.json")
    import_posts(config)
    result = run(config, "search", "--talk", name, "--explain")
    assert result.exit_code == 0, result.output
    assert "talk: VEC002 'Vector search at scale' · why:" in result.stdout


def test_ambiguous_or_unknown_talk_names_list_candidates_and_exit_2(tmp_path):
    config = event(tmp_path, SCHEDULES / "democon.json")
    import_posts(config)
    result = run(config, "search", "--talk", "small")
    assert result.exit_code == 2
    assert "fits 2 talks: KEY001 'Opening keynote: why small teams ship faster'; THR003" in result.output
    missing = run(config, "search", "--talk", "quantum")
    assert missing.exit_code == 2 and "no talk has this code" in missing.output


@needs_corpus
@pytest.mark.parametrize("file, summary, code, title", [
    ("pretalx-democon.json", "36 talks, 2 rooms, 3 days", "G9JGWY", "Focused 5thgeneration hardware"),
    ("frab-camp2019.json", "79 talks, 2 rooms, 5 days", "10386", "Opening Ceremony"),
    ("pretalx-rc3.json", "48 talks", "MJA8QY", "Der faule Admin automatisiert"),
])
def test_real_exports_give_codes_organisers_use(tmp_path, file, summary, code, title):
    schedule = load_schedule(CORPUS / file, "Europe/Berlin", strict=False)
    assert summary in schedule.summary()
    config = event(tmp_path, CORPUS / file)
    import_posts(config, POSTS[:1])
    listed = run(config, "talks", "--json")
    row = next(json.loads(line) for line in listed.stdout.splitlines() if json.loads(line)["code"] == code)
    assert row["title"].startswith(title)


@needs_corpus
def test_an_export_without_talks_says_so(tmp_path):
    schedule = load_schedule(CORPUS / "hub-schedule2.json", "Europe/Berlin", strict=False)
    assert schedule.summary().startswith("hub-schedule2.json: 0 talks, 0 rooms, 0 days (no talks found")


class _Programme(BaseHTTPRequestHandler):
    body = b""
    etag = '"1"'
    seen: list = []

    def do_GET(self):
        type(self).seen.append(self.headers.get("If-None-Match"))
        if self.headers.get("If-None-Match") == self.etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200)
        self.send_header("ETag", self.etag)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


def test_a_programme_url_is_fetched_again_with_a_conditional_get():
    _Programme.body = (SCHEDULES / "broken" / "missing_start.json").read_bytes()
    _Programme.seen = []
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), _Programme)
    threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()
    try:
        watch = Watch(f"http://127.0.0.1:{httpd.server_address[1]}/schedule.json")
        assert len(watch.read("Europe/Berlin").talks) == 8
        assert watch.read_if_changed("Europe/Berlin") is None  # 304: nothing new, nothing parsed
        fixed = json.loads(_Programme.body)
        fixed["schedule"]["conference"]["days"][1]["rooms"]["Hall A"][1].update(start="11:00")
        _Programme.body, _Programme.etag = json.dumps(fixed).encode(), '"2"'
        assert len(watch.read_if_changed("Europe/Berlin").talks) == 9
        assert _Programme.seen == [None, '"1"', '"1"']
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_a_programme_file_is_read_again_only_when_it_changed(tmp_path):
    path = tmp_path / "schedule.json"
    shutil.copy(SCHEDULES / "broken" / "missing_start.json", path)
    watch = Watch(str(path))
    assert len(watch.read("Europe/Berlin").talks) == 8
    assert watch.read_if_changed("Europe/Berlin") is None
    fix_retrieval_talk(path)
    os.utime(path, ns=(time.time_ns(), time.time_ns() + 1_000_000_000))
    assert len(watch.read_if_changed("Europe/Berlin").talks) == 9


def test_the_readmes_example_programmes_read_the_same_in_every_format():
    import re

    readme = (Path(__file__).parent.parent / "README.md").read_text("utf-8")
    section = readme.split("Minimal programmes, one per format", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:json|xml)?\n(.*?)```", section, re.S)
    assert len(blocks) == 3
    for block in blocks:
        schedule = load_schedule(block.encode(), "Europe/Berlin", name="example")
        assert schedule.warnings == []
        [talk] = schedule.talks
        assert (talk.code, talk.title, talk.room, talk.speakers, talk.hashtag) == \
            ("VEC002" if "VEC002" in block else "102", "Vector search at scale", "Hall A", ["Ada Lovelace"], "vecscale")
        assert talk.start.isoformat() == "2026-09-01T08:00:00+00:00"


def test_without_a_programme_imported_talks_stay_as_they_were(tmp_path):
    config = tmp_path / "backchannel.toml"
    config.write_text('[event]\nname = "x"\nhashtags = ["democon"]\n')
    post = dict(POSTS[1], talk="VEC002-guid", talk_reason="from another archive")
    import_posts(config, [post])
    assert run(config, "reindex").exit_code == 0
    assert exported(config)["vec"]["talk"] == "VEC002-guid"


def test_exports_show_the_talks_code_beside_its_id(tmp_path):
    import csv
    import io

    config = event(tmp_path, SCHEDULES / "democon.json")
    import_posts(config)
    rows = {r["id"]: r for r in csv.DictReader(io.StringIO(run(config, "export", "--format", "csv").stdout))}
    assert rows["vec"]["talk_code"] == "VEC002" and rows["vec"]["talk"] == "6f1c2a9e-0d4b-5b8e-9c1a-000000000002"
    lines = {d["id"]: d for d in map(json.loads, run(config, "export").stdout.splitlines())}
    assert lines["vec"]["talk_code"] == "VEC002" and lines["vec"]["talk"] == rows["vec"]["talk"]
    assert all("talk_code" not in d for d in lines.values() if not d["talk"])


def test_build_on_a_read_only_data_dir_says_it_shows_the_last_match(tmp_path):
    from test_hostile_crash import read_only

    config = event(tmp_path, SCHEDULES / "broken" / "missing_start.json")
    import_posts(config)
    fix_retrieval_talk(tmp_path / "schedule.json")
    result = read_only(tmp_path / ".backchannel", "build", "--no-search", "--config", config,
                       "-o", tmp_path / "site")
    assert result.returncode == 0, result.stderr
    assert b"read-only: this build shows the last match" in result.stderr and b"Traceback" not in result.stderr


def test_talks_json_names_the_venue_an_icalendar_location_adds_also_from_the_archive(tmp_path):
    config = event(tmp_path, Path(__file__).parent / "data" / "talks" / "heldout3" / "programme.ics", "programme.ics")
    import_posts(config)
    rows = [json.loads(line) for line in run(config, "talks", "--json").stdout.splitlines()]
    assert {(r["room"], r["venue"]) for r in rows} == {
        (room, "Foro Cultural Tacubaya, Ciudad de México") for room in ("Sala Xochimilco", "Sala Coyoacán", "Auditorio Bicentenario")}
    config.write_text('[event]\nname = "DemoCon"\nhashtags = ["democon"]\ntimezone = "Europe/Berlin"\n')
    stored = [json.loads(line) for line in run(config, "talks", "--json").stdout.splitlines()]
    assert stored == rows  # without the programme, the archive's copy says the same


def test_an_archive_from_before_the_venue_column_gets_it_and_reads_without_it(tmp_path):
    from backchannel.archive import Archive

    path = tmp_path / "archive.db"
    Archive(path).close()
    db = sqlite3.connect(path)
    db.execute("ALTER TABLE talks DROP COLUMN venue")  # as an earlier version made it
    db.execute("""INSERT INTO talks (id, title, start, "end") VALUES ('t1', 'Talk', '2026-09-01T09:00:00Z',
               '2026-09-01T09:45:00Z')""")
    db.commit()
    db.close()
    with Archive(path, readonly=True) as archive:
        assert [(r["id"], r["venue"]) for r in archive.talk_rows()] == [("t1", None)]
    with Archive(path) as archive:
        archive.replace_talks([{"id": "t2", "code": None, "title": "T", "room": "Sala 1", "venue": "Foro, Ciudad",
                                "start": "2026-09-01T09:00:00Z", "end": "2026-09-01T09:45:00Z",
                                "speakers": "[]", "url": None}], "x")
        assert [(r["room"], r["venue"]) for r in archive.talk_rows()] == [("Sala 1", "Foro, Ciudad")]
