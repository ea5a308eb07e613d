"""Archives as people download them: a Twitter archive `.zip`, a Mastodon export `.tar.gz`,
or one gzipped file (`tweets.jsonl.gz`).

The file inside that holds the posts (`data/tweets.js` and its `tweets-partN.js` parts;
`outbox.json`) is read as a stream straight out of the archive, and the small files beside
it (`account.js`, `actor.json`) are looked up in the same folder of the archive. Both
archive kinds need to jump around in the file, so standard input is copied to a temporary
file first.
"""

from __future__ import annotations

import gzip
import re
import shutil
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import BinaryIO, Callable

from backchannel.errors import InputError

Sibling = Callable[[str], "bytes | None"]  # the bytes of a file beside the one read, or None
_TWEETS = re.compile(r"(^|/)data/tweets?(-part\d+)?\.js$")
_OUTBOX = re.compile(r"(^|/)outbox\.json$")
MAX_SIBLING = 64 * 2**20  # account.js, actor.json: small files


@dataclass
class Member:
    stream: BinaryIO
    name: str  # archive.zip:data/tweets.js


def kind(head: bytes) -> str | None:
    if head.startswith(b"PK\x03\x04"):
        return "zip"
    if head.startswith(b"\x1f\x8b"):
        return "tar.gz"
    return None


def open_archive(stream: BinaryIO, name: str, what: str) -> tuple[list[Member], Sibling]:
    """The members of a .zip or .tar.gz that hold posts, and a lookup for files beside them."""
    if not stream.seekable():
        spool = tempfile.TemporaryFile()
        shutil.copyfileobj(stream, spool)
        spool.seek(0)
        stream = spool
    if what == "zip":
        return _zip(stream, name)
    return _tar(stream, name)


def _zip(stream: BinaryIO, name: str) -> tuple[list[Member], Sibling]:
    try:
        archive = zipfile.ZipFile(stream)
    except zipfile.BadZipFile as exc:
        raise InputError(f"{name}: not a readable .zip file ({exc})") from None
    names = sorted((n for n in archive.namelist() if _TWEETS.search(n)), key=_part)
    if not names:
        raise InputError(f"{name}: no data/tweets.js in this .zip (is it a Twitter archive?)")
    folder = PurePosixPath(names[0]).parent

    def sibling(filename: str) -> bytes | None:
        try:
            info = archive.getinfo(str(folder / filename))
        except KeyError:
            return None
        return archive.read(info) if info.file_size <= MAX_SIBLING else None

    return [Member(archive.open(n), f"{name}:{n}") for n in names], sibling


def _tar(stream: BinaryIO, name: str) -> tuple[list[Member], Sibling | None]:
    start = stream.tell()
    try:
        archive = tarfile.open(fileobj=stream, mode="r:*")
        members = [m for m in archive.getmembers() if m.isfile() and _OUTBOX.search(m.name)]
    except tarfile.ReadError:
        # Not a tar: one gzipped file, as twarc users keep their JSONL (`tweets.jsonl.gz`).
        stream.seek(start)
        return [Member(gzip.GzipFile(fileobj=stream), name)], None
    except (tarfile.TarError, OSError, EOFError) as exc:
        raise InputError(f"{name}: not a readable .tar.gz file ({exc})") from None
    if not members:
        raise InputError(f"{name}: no outbox.json in this archive (is it a Mastodon export?)")
    folder = PurePosixPath(members[0].name).parent

    def sibling(filename: str) -> bytes | None:
        try:
            info = archive.getmember(str(folder / filename) if str(folder) != "." else filename)
        except KeyError:
            return None
        handle = archive.extractfile(info) if info.isfile() and info.size <= MAX_SIBLING else None
        return handle.read() if handle else None

    return [Member(archive.extractfile(members[0]), f"{name}:{members[0].name}")], sibling


def folder_sibling(name: str) -> Sibling | None:
    """Files beside `name` on disk (None for standard input)."""
    if name in ("-", "<stdin>"):
        return None
    from pathlib import Path

    folder = Path(name).parent

    def sibling(filename: str) -> bytes | None:
        try:
            path = folder / filename
            return path.read_bytes() if path.stat().st_size <= MAX_SIBLING else None
        except OSError:
            return None

    return sibling


def _part(member: str) -> int:
    m = re.search(r"-part(\d+)\.js$", member)
    return int(m.group(1)) if m else 0
