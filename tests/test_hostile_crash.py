"""Crashes and read-only folders (issue 13, class 11): after `kill -9` of a writer the search
index catches up with the archive (or says it could not); a read-only data dir serves every
read-only command and refuses writers in one line."""

from __future__ import annotations

import json
import os
import shlex
import shutil
import signal
import stat
import subprocess
import sys
import time
from pathlib import Path

import pytest

from backchannel.archive import Archive
from backchannel.lock import WriterLock
from backchannel.validate import post_from_dict
from hostile import ROOT, assert_clean, cli_run, good, run, write_lines


def posts(first: int, count: int, word: str = "zebra") -> list[dict]:
    return [good(n, id=f"import-p{n}", text=f"{word} crossing number {n} from the talk") for n in
            range(first, first + count)]


def hit_count(tmp_path, word: str = "zebra", data: Path | None = None) -> tuple[int, str]:
    result = run("search", word, "--json", "--limit", "1000000", "--data-dir", data or tmp_path / "data")
    assert_clean(result)
    return len(result.stdout.splitlines()), result.stderr.decode()


def total(data: Path) -> int:
    with Archive.in_dir(data, readonly=True) as archive:
        return archive.count()


# --- the index behind the archive ----------------------------------------------------------------

def archive_only(data: Path, records: list[dict]) -> None:
    """Store posts in the archive and not the index: what a writer killed between the two leaves."""
    with Archive.in_dir(data) as archive:
        archive.store([post_from_dict(r) for r in records])


def test_search_catches_up_with_posts_a_killed_writer_left_unindexed(tmp_path):
    assert cli_run(tmp_path, "import", str(write_lines(tmp_path / "a.jsonl", posts(0, 50)))).exit_code == 0
    archive_only(tmp_path / "data", posts(50, 70))
    found, err = hit_count(tmp_path)
    assert found == 120 and "warning" not in err
    assert hit_count(tmp_path)[0] == 120  # and the index stays caught up


def test_search_says_so_when_a_writer_holds_the_lock(tmp_path):
    assert cli_run(tmp_path, "import", str(write_lines(tmp_path / "a.jsonl", posts(0, 10)))).exit_code == 0
    archive_only(tmp_path / "data", posts(10, 5))
    lock = WriterLock(tmp_path / "data").acquire()
    try:
        found, err = hit_count(tmp_path)
    finally:
        lock.release()
    assert found == 10
    assert "warning: the search index is 1 change behind the archive (a writer is busy with it); " \
           "results may be incomplete" in err
    assert hit_count(tmp_path)[0] == 15


def test_a_missing_or_broken_index_is_rebuilt_by_the_next_search(tmp_path):
    assert cli_run(tmp_path, "import", str(write_lines(tmp_path / "a.jsonl", posts(0, 30)))).exit_code == 0
    index = next(p for p in (tmp_path / "data").iterdir() if p.is_dir())
    for f in index.iterdir():
        if f.suffix == ".seg":
            f.write_bytes(b"\0" * 10)  # a segment cut short by a crash
    archive_only(tmp_path / "data", posts(30, 1))
    found, err = hit_count(tmp_path)
    assert found == 31, err


def kill_when(args: list, data: Path, ready) -> None:
    """Start `python -m backchannel ARGS`, and `kill -9` it as soon as `ready()` holds: mid-way."""
    proc = subprocess.Popen([sys.executable, "-m", "backchannel", *map(str, args), "--data-dir", str(data)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            env={**os.environ, "PYTHONPATH": str(ROOT)})
    try:
        deadline = time.monotonic() + 120
        while proc.poll() is None and time.monotonic() < deadline:
            try:
                if ready():
                    break
            except Exception:  # the archive is still being made
                pass
            time.sleep(0.01)
        assert proc.poll() is None, "finished before it could be killed"
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)


def test_after_kill_9_of_import_search_finds_everything_the_archive_holds(tmp_path):
    path = write_lines(tmp_path / "big.jsonl", posts(0, 4500))
    kill_when(["import", path], tmp_path / "data", lambda: total(tmp_path / "data") >= 2000)  # a batch in
    stored = total(tmp_path / "data")
    assert 2000 <= stored < 4500
    found, err = hit_count(tmp_path)
    assert found == stored, err
    again = cli_run(tmp_path, "import", str(path))  # the import finishes on a second run
    assert again.exit_code == 0 and hit_count(tmp_path)[0] == 4500


def test_after_kill_9_of_reindex_search_finds_everything(tmp_path):
    assert cli_run(tmp_path, "import", str(write_lines(tmp_path / "a.jsonl", posts(0, 3000)))).exit_code == 0
    lock = tmp_path / "data" / "index" / "MAIN_WRITELOCK"
    kill_when(["reindex"], tmp_path / "data", lambda: lock.exists())  # the index thrown away, half rewritten
    found, err = hit_count(tmp_path)
    assert found == 3000, err


# --- a read-only data dir --------------------------------------------------------------------------

def read_only(data: Path, *args) -> subprocess.CompletedProcess:
    """Run `python -m backchannel ARGS --data-dir DATA` with DATA read-only for it."""
    cmd = [sys.executable, "-m", "backchannel", *map(str, args), "--data-dir", str(data)]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if os.geteuid() != 0:  # permissions are enough
        modes = {p: p.stat().st_mode for p in [data, *data.rglob("*")]}
        for p, mode in modes.items():
            p.chmod(mode & ~(stat.S_IWUSR | stat.S_IWGRP | stat.S_IWOTH))
        try:
            return subprocess.run(cmd, capture_output=True, env=env, timeout=120)
        finally:
            for p, mode in modes.items():
                p.chmod(mode)
    # root writes anywhere: a read-only bind mount in a private mount namespace instead
    if not shutil.which("unshare"):
        pytest.skip("root without unshare: no way to make a folder read-only")
    d = shlex.quote(str(data))
    script = f"mount --bind {d} {d} && mount -o remount,bind,ro {d} && exec {shlex.join(cmd)}"
    result = subprocess.run(["unshare", "-m", "sh", "-c", script], capture_output=True, env=env, timeout=120)
    if b"mount:" in result.stderr or b"unshare:" in result.stderr:
        pytest.skip(f"cannot make a read-only mount here: {result.stderr[:200]!r}")
    return result


@pytest.fixture
def data(tmp_path) -> Path:
    assert cli_run(tmp_path, "import", str(write_lines(tmp_path / "a.jsonl", posts(0, 20)))).exit_code == 0
    return tmp_path / "data"


@pytest.mark.parametrize("args, code, says", [
    (["search", "zebra", "--json"], 0, b'"id": "import-p'),
    (["stats", "--json"], 0, b'"total": 20'),
    (["export"], 0, b'"id": "import-p0"'),
    (["export", "--format", "csv"], 0, b"import-p0"),
])
def test_read_only_commands_work_on_a_read_only_data_dir(data, args, code, says):
    result = read_only(data, *args)
    assert_clean(result)
    assert result.returncode == code, result.stderr
    assert says in result.stdout


def test_build_reads_a_read_only_data_dir(tmp_path, data):
    result = read_only(data, "build", "--no-search", "-o", tmp_path / "site")
    assert_clean(result)
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "site" / "index.html").is_file()


@pytest.mark.parametrize("args", [["import", "{file}"], ["reindex"]])
def test_writers_on_a_read_only_data_dir_say_so_in_one_line(tmp_path, data, args):
    path = write_lines(tmp_path / "b.jsonl", posts(100, 2))
    result = read_only(data, *[str(path) if a == "{file}" else a for a in args])
    assert_clean(result)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and b"cannot write to the data dir" in lines[0], lines


def test_search_on_a_read_only_data_dir_behind_the_archive_says_results_may_be_incomplete(data):
    archive_only(data, posts(20, 3))
    result = read_only(data, "search", "zebra", "--json", "--limit", "1000")
    assert_clean(result)
    assert result.returncode == 0
    assert b"behind the archive" in result.stderr and b"results may be incomplete" in result.stderr
    assert len(result.stdout.splitlines()) == 20


def test_a_read_only_data_dir_after_a_crash_still_reads(tmp_path, data):
    """A writer killed mid-way leaves archive.db-wal and -shm; read-only readers still see every post."""
    archive_only(data, [])  # nothing new; just opened for writing
    proc = subprocess.Popen([sys.executable, "-c", (
        "import sys, time; sys.path.insert(0, sys.argv[1]);"
        "from backchannel.archive import Archive; from backchannel.validate import post_from_dict;"
        "import json; a = Archive.in_dir(sys.argv[2]);"
        "a.store([post_from_dict(json.loads(l)) for l in open(sys.argv[3])]);"
        "print('stored', flush=True); time.sleep(60)"),
        str(ROOT), str(data), str(write_lines(tmp_path / "c.jsonl", posts(20, 4)))], stdout=subprocess.PIPE)
    assert proc.stdout.readline() == b"stored\n"
    proc.kill()
    proc.wait()
    assert (data / "archive.db-wal").exists()
    result = read_only(data, "stats", "--json")
    assert_clean(result)
    assert result.returncode == 0 and json.loads(result.stdout)["total"] == 24
