"""Items of a JSON array inside one large document, read with ijson (never the whole file)."""

from __future__ import annotations

from typing import Any, BinaryIO, Iterator

import ijson


def items(stream: BinaryIO, prefix: str) -> Iterator[tuple[int, Any, str | None]]:
    """(1-based index, item or None, problem or None) for each item under `prefix`.

    JSON that breaks part-way cannot be read past the break: the problem names the item
    where it broke, and the items before it are kept.
    """
    index = 0
    try:
        for index, value in enumerate(ijson.items(stream, prefix, use_float=True), 1):
            yield index, value, None
    except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
        yield index + 1, None, f"the JSON breaks here, nothing after it can be read: {str(exc)[:200]}"


def skip_assignment(stream: BinaryIO, limit: int = 200) -> str:
    """Read past `window.YTD.tweets.part0 =` (Twitter archives wrap JSON in a JS assignment)."""
    seen = b""
    while len(seen) < limit:
        c = stream.read(1)
        if not c:
            break
        if c == b"=":
            return seen.decode("utf-8", "replace").strip()
        seen += c
    raise ValueError("no `window.YTD.… =` assignment at the start")
