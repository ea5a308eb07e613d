"""Checks that several commands share, written once: the archive is there, sources are
configured, a `--source` or `--kind` value names something that exists.

Each raises `InputError` (exit code 2) with a message that says what and where.
"""

from __future__ import annotations

from pathlib import Path
from typing import Iterable, Mapping

from backchannel.archive import no_archive
from backchannel.errors import InputError
from backchannel.names import KINDS, SOURCES

ARCHIVE = "archive.db"


def archive_path(data_dir: Path) -> Path:
    """The archive of `data_dir`, which must exist: read-only commands never create one."""
    path = Path(data_dir) / ARCHIVE
    if not path.is_file():
        raise no_archive(data_dir)
    return path


def collectors(config, env: Mapping[str, str], only: Iterable[str] = ()) -> list:
    """The collectors `config` asks for (optionally only the named ones); none is an error."""
    from backchannel.collectors.registry import make_collectors

    made = make_collectors(config, env, only)
    if not made:
        wanted = f" among --source {', '.join(only)}" if only else ""
        raise InputError(f"{config.path}: no sources configured{wanted} (add [sources.mastodon], "
                         "[sources.bluesky] or [sources.rss])")
    return made


def sources(names: Iterable[str], archive) -> list[str]:
    """`--source` values, lowercased; each must be a source name or one the archive holds
    (imports may bring their own, e.g. a forum's name)."""
    names = [n.lower() for n in names]
    if not names:
        return names
    known = list(SOURCES) + [s for s in archive.sources() if s not in SOURCES]
    unknown = [n for n in names if n not in known]
    if unknown:
        raise InputError(f"--source: unknown source {unknown[0]!r} (one of: {', '.join(known)})")
    return names


def kinds(names: Iterable[str]) -> list[str]:
    """`--kind` values; each must be one of the kinds."""
    names = list(names)
    for name in names:
        if name not in KINDS:
            raise InputError(f"--kind: unknown kind {name!r} (one of: {', '.join(KINDS)})")
    return names
