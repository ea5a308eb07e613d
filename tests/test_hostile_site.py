"""Nothing outside the output (issue 13, classes 6, 8, 9 and part of 11): an edited manifest or a
planted symlink deletes and writes nothing outside; `serve` hands out only regular files
inside the output and answers odd paths with 404/414; the output may not be or hold the data
dir or the config; a full disk is one line and the next build cleans up."""

from __future__ import annotations

import http.client
import json
import os
import resource
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from backchannel.digest.writer import MANIFEST
from hostile import ROOT, assert_clean, cli_run, good, run, write_lines


@pytest.fixture
def site(tmp_path) -> Path:
    """A built digest of a few posts in tmp/site, its archive in tmp/data."""
    result = cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [good(n) for n in range(1, 6)])))
    assert result.exit_code == 0, result.output
    build(tmp_path)
    return tmp_path / "site"


def build(tmp_path, *extra, search: bool = False):
    result = cli_run(tmp_path, "build", "-o", str(tmp_path / "site"), *([] if search else ["--no-search"]), *extra)
    assert_clean(result)
    assert result.exit_code == 0, result.output
    return result


def outside(tmp_path) -> Path:
    """A folder next to the output with a file and a subfolder someone cares about."""
    victim = tmp_path / "victim"
    (victim / "keep").mkdir(parents=True, exist_ok=True)
    (victim / "file.txt").write_text("precious")
    (victim / "keep" / "inner.txt").write_text("precious too")
    return victim


def assert_untouched(victim: Path) -> None:
    assert (victim / "file.txt").read_text() == "precious"
    assert (victim / "keep" / "inner.txt").read_text() == "precious too"


# --- class 6: the manifest is not trusted -------------------------------------------------------

@pytest.mark.parametrize("entry", [
    "../victim/file.txt", "../victim/keep/inner.txt", "posts/../../victim/file.txt", "{victim}/file.txt",
    "./../victim/file.txt", "posts//../../victim/file.txt", "..\\victim\\file.txt", "link/file.txt",
    "link/keep/inner.txt",
])
def test_manifest_entries_outside_the_output_are_ignored(tmp_path, site, entry):
    victim = outside(tmp_path)
    (site / "link").symlink_to(victim)  # a folder inside that leads outside
    manifest = json.loads((site / MANIFEST).read_text())
    manifest["files"][entry.replace("{victim}", str(victim))] = [None, "0" * 24, 8, 1]
    (site / MANIFEST).write_text(json.dumps(manifest))
    build(tmp_path)
    assert_untouched(victim)
    assert victim.is_dir() and tmp_path.is_dir()


@pytest.mark.parametrize("files", [["../victim/file.txt"], ["{victim}/file.txt"], ["link/file.txt"], "not a list"])
def test_search_index_files_named_outside_the_output_are_never_touched(tmp_path, site, files):
    build(tmp_path, search=True)
    victim = outside(tmp_path)
    (site / "link").symlink_to(victim)
    manifest = json.loads((site / MANIFEST).read_text())
    state = manifest["extra"]["search"]
    state["files"] = [f.replace("{victim}", str(victim)) for f in files] if isinstance(files, list) else files
    (site / MANIFEST).write_text(json.dumps(manifest))
    build(tmp_path, search=True)  # same posts, same key: the listed files would be kept
    assert_untouched(victim)
    assert not (site / "link").is_symlink()
    assert (site / "search" / "i" / "cols.bin").is_file()


def test_a_symlinked_folder_planted_in_the_output_is_not_written_through(tmp_path, site):
    victim = outside(tmp_path)
    day = next((site / "posts").iterdir())
    os.rename(day, tmp_path / "moved")
    day.symlink_to(victim)
    build(tmp_path, "--full")
    assert_untouched(victim)
    assert sorted(p.name for p in victim.iterdir()) == ["file.txt", "keep"]
    assert day.is_dir() and not day.is_symlink() and any(day.rglob("*.html"))


def test_a_broken_manifest_means_a_full_build(tmp_path, site):
    for blob in (b"[" * 100_000, b"\xff\xfe", b'{"files": []}', b'{"files": {"a": "b"}}'):
        (site / MANIFEST).write_bytes(blob)
        result = build(tmp_path)
        assert "Built the digest of 5 posts" in result.output


# --- class 11 (part): a full disk, and what a killed build left ----------------------------------

def test_temporary_files_a_killed_build_left_are_removed_by_the_next(tmp_path, site):
    left = [site / ".index.html.4242.tmp", site / "posts" / ".x.html.99.tmp", site / "days" / ".posts.jsonl.1.tmp"]
    for path in left:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"half a page")
    mine = site / "notes.tmp"  # not the build's pattern: left alone
    mine.write_text("x")
    build(tmp_path)
    assert not any(p.exists() for p in left) and mine.exists()
    assert not list(site.rglob(".*.tmp"))


def limited(max_bytes: int):
    """A child process whose files may not grow past `max_bytes` (EFBIG: a full disk, in effect)."""
    def apply():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # the write fails with EFBIG instead of a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (max_bytes, max_bytes))
    return apply


def run_limited(max_bytes: int, *args, cwd=None):
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return subprocess.run([sys.executable, "-m", "backchannel", *map(str, args)], capture_output=True, env=env,
                          preexec_fn=limited(max_bytes), timeout=120, cwd=cwd)


def test_a_full_disk_during_build_is_one_line_and_the_next_build_is_whole(tmp_path):
    records = [good(n, id=f"import-big{n}", text="zebra " * 300) for n in range(300)]
    assert cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", records))).exit_code == 0
    result = run_limited(200_000, "build", "--no-search", "-o", tmp_path / "site", "--data-dir", tmp_path / "data")
    assert_clean(result)
    assert result.returncode == 1, result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and b"free some space" in result.stderr
    assert not list((tmp_path / "site").rglob(".*.tmp"))
    again = build(tmp_path)
    assert "Built the digest of 300 posts" in again.output


def test_a_full_disk_during_import_keeps_what_was_stored_and_says_so(tmp_path):
    records = [good(n, id=f"import-big{n}", text="zebra " * 500) for n in range(3000)]
    path = write_lines(tmp_path / "in.jsonl", records)
    result = run_limited(2_000_000, "import", path, "--data-dir", tmp_path / "data")
    assert_clean(result)
    assert result.returncode == 1 and len(result.stderr.strip().splitlines()) == 1
    assert b"free some space" in result.stderr, result.stderr
    found = cli_run(tmp_path, "search", "zebra", "--json", "--limit", "100000")
    assert found.exit_code in (0, 1)  # what the archive holds is searchable, whole batches only
    stats = json.loads(cli_run(tmp_path, "stats", "--json").stdout)
    assert stats["total"] % 2000 == 0 and stats["total"] == len(found.stdout.splitlines())


@pytest.mark.parametrize("fmt", ["jsonl", "csv"])
def test_export_to_a_full_device_is_one_line(tmp_path, fmt):
    cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [good(n) for n in range(50)])))
    result = run("export", "--format", fmt, "-o", "/dev/full", "--data-dir", tmp_path / "data")
    assert_clean(result)
    assert result.returncode == 1 and result.stderr.strip().splitlines() == [
        b"Error: /dev/full: cannot write: No space left on device"]


def test_export_to_stdout_on_a_full_device_is_one_line(tmp_path):
    cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [good(n) for n in range(50)])))
    with open("/dev/full", "wb") as full:
        result = subprocess.run([sys.executable, "-m", "backchannel", "export", "--data-dir", tmp_path / "data"],
                                stdout=full, stderr=subprocess.PIPE, env={**os.environ, "PYTHONPATH": str(ROOT)})
    assert b"Traceback" not in result.stderr and result.returncode == 1
    assert result.stderr.strip().splitlines() == [b"Error: <stdout>: cannot write: No space left on device"]


# --- class 9: the output folder -------------------------------------------------------------------

CONFIG = '[event]\nname = "X"\nhashtags = ["x"]\n'


@pytest.mark.parametrize("output, said", [
    ("data", "is the data dir"),
    (".", "contains the data dir"),
    ("data/site", "is inside the data dir"),
    ("data/../data", "is the data dir"),
])
@pytest.mark.parametrize("command", ["build", "serve"])
def test_an_output_that_would_publish_the_archive_is_refused(tmp_path, output, said, command):
    cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [good(1)])))
    config = tmp_path / "elsewhere" / "backchannel.toml"
    config.parent.mkdir()
    config.write_text(CONFIG)
    result = run(command, "-o", output, "--config", config, "--data-dir", tmp_path / "data", cwd=tmp_path)
    assert_clean(result)
    assert result.returncode == 2 and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert said.encode() in result.stderr
    assert not (tmp_path / "data" / "index.html").exists()


def test_an_output_set_in_the_config_to_the_config_folder_is_refused(tmp_path):
    config = tmp_path / "event" / "backchannel.toml"
    config.parent.mkdir()
    config.write_text(CONFIG + '\n[digest]\noutput = "."\n')
    cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [good(1)])))
    for command in ("build", "serve"):
        result = run(command, "--config", config, "--data-dir", tmp_path / "data")
        assert result.returncode == 2 and b"contains the config" in result.stderr, result.stderr
        assert len(result.stderr.strip().splitlines()) == 1


@pytest.mark.parametrize("where, said", [
    ("afile", b"is a file, not a folder"),
    ("afile/site", b"Not a directory"),  # its parent is a file: it cannot be made
])
def test_an_output_that_cannot_be_a_folder_is_one_line(tmp_path, where, said):
    cli_run(tmp_path, "import", str(write_lines(tmp_path / "in.jsonl", [good(1)])))
    (tmp_path / "afile").write_text("x")
    result = run("build", "--no-search", "-o", tmp_path / where, "--data-dir", tmp_path / "data")
    assert_clean(result)
    assert result.returncode == 2 and said in result.stderr and len(result.stderr.strip().splitlines()) == 1


# --- class 8: serve ---------------------------------------------------------------------------------

@pytest.fixture
def served(tmp_path, site):
    """`python -m backchannel serve` on a free port; yields (site, port); stopped after."""
    proc = subprocess.Popen([sys.executable, "-m", "backchannel", "serve", "-o", str(site), "--port", "0",
                             "--data-dir", str(tmp_path / "data")], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        first = proc.stdout.readline().decode()
        port = int(first.split("http://127.0.0.1:")[1].split("/")[0])
        yield site, port, proc
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    conn.putrequest("GET", path, skip_accept_encoding=True)  # the raw path, not normalised by a client
    conn.endheaders()
    response = conn.getresponse()
    body = response.read()
    conn.close()
    return response.status, body


def test_serve_answers_hostile_paths_cleanly(tmp_path, served):
    site, port, proc = served
    victim = outside(tmp_path)
    (site / "etc").symlink_to("/etc")
    (site / "passwd.html").symlink_to("/etc/passwd")
    (site / "victim").symlink_to(victim)
    (site / "static" / "up").symlink_to("../..")
    os.mkfifo(site / "pipe.html")  # not a regular file: reading it would hang
    cases = {
        "/etc/passwd": (404,), "/etc/": (404,), "/passwd.html": (404,), "/victim/file.txt": (404,),
        "/static/up/victim/file.txt": (404,), "/static/up/data/archive.db": (404,),
        "/../victim/file.txt": (404, 400), "/%2e%2e/victim/file.txt": (404,), "/..%2fvictim%2ffile.txt": (404,),
        "/%00": (404, 400), "/index.html%00.png": (404, 400), "/pipe.html": (404,),
        "/" + "a" * 300: (414,), "/" + "a/" * 3000: (414,), "/%ff%fe": (404,),
        "/.backchannel-digest.json": (404,), "/.backchannel-digest.lock": (404,),
        "/posts/%2e%2e/%2e%2e/%2e%2e/victim/file.txt": (404,), "/\\..\\victim\\file.txt": (404, 400),
    }
    for path, allowed in cases.items():
        status, body = get(port, path)
        assert status in allowed, (path, status)
        assert b"precious" not in body and b"root:" not in body
    assert get(port, "/")[0] == 200 and get(port, "/index.html")[0] == 200
    assert proc.poll() is None  # still serving
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=10)
    assert b"Traceback" not in err, err.decode()[-2000:]
