"""JSON Lines, read line by line with a cap on a line's length (a broken file may have none)."""

from __future__ import annotations

import json
from typing import Any, BinaryIO, Iterator

MAX_LINE = 64 * 2**20  # a twarc2 response of 100 tweets with includes is about 1 MB


def json_lines(stream: BinaryIO) -> Iterator[tuple[int, Any, str | None]]:
    """(line number, parsed value or None, problem or None) for every non-blank line."""
    number = 0
    while True:
        raw = stream.readline(MAX_LINE)
        if not raw:
            return
        number += 1
        if len(raw) == MAX_LINE and not raw.endswith(b"\n"):
            while (more := stream.readline(MAX_LINE)) and not more.endswith(b"\n"):
                pass
            yield number, None, f"line longer than {MAX_LINE // 2**20} MB"
            continue
        if not raw.strip():
            continue
        try:
            yield number, json.loads(raw), None
        except UnicodeDecodeError as exc:
            yield number, None, f"not UTF-8 (byte {exc.start})"
        except json.JSONDecodeError as exc:
            yield number, None, f"not valid JSON: {exc.msg} at column {exc.colno}"
