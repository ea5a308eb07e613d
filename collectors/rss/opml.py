"""Read the feed list out of an OPML file, safely.

OPML is XML, and an XML file can declare entities that expand to gigabytes ("billion
laughs") or pull in local files (external entities). OPML never needs either, so this
reader drives expat directly and refuses any entity declaration outright, the same guard
defusedxml uses, without adding a dependency. Parameter entities (an external DTD) are never
loaded. Only `<outline xmlUrl="...">` elements are read; everything else is ignored.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from xml.parsers import expat

from backchannel.config import Feed
from backchannel.sanitize import clean_text, safe_url

MAX_OPML_BYTES = 10_000_000


class OpmlError(Exception):
    """The OPML file cannot be used at all; the message names the file."""


@dataclass
class OpmlFeeds:
    feeds: list[Feed] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)  # outlines that were skipped, and why


def read_opml(path: str | Path) -> OpmlFeeds:
    """The feeds listed in an OPML file (`all=False` each), in document order, deduplicated.

    Raises `OpmlError` for a missing, oversized, malformed or entity-declaring file.
    """
    path = Path(path)
    try:
        with path.open("rb") as fh:
            data = fh.read(MAX_OPML_BYTES + 1)
    except OSError as exc:
        raise OpmlError(f"opml {path}: cannot read: {exc.strerror or exc}") from None
    if len(data) > MAX_OPML_BYTES:
        raise OpmlError(f"opml {path}: larger than {MAX_OPML_BYTES:,} bytes")
    return parse_opml(data, str(path))


def parse_opml(data: bytes, where: str) -> OpmlFeeds:
    """Parse OPML bytes; `where` names the file in messages."""
    result = OpmlFeeds()
    seen: set[str] = set()
    root: list[str] = []

    def refuse(*_args: object) -> None:
        raise OpmlError(f"opml {where}: declares XML entities, which OPML never needs "
                        "(refused: they can expand without bound or read local files)")

    def start(name: str, attrs: dict[str, str]) -> None:
        if not root:
            root.append(name)
        if name.lower() != "outline":
            return
        lowered = {k.lower(): v for k, v in attrs.items()}
        raw_url = lowered.get("xmlurl")
        if raw_url is None:
            return  # a folder or a plain link, not a feed
        label = clean_text(lowered.get("title") or lowered.get("text"), 80) or "(untitled)"
        url = safe_url(raw_url)
        if not url:
            result.warnings.append(f"opml {where}: outline {label!r} has no usable http(s) "
                                   f"feed URL ({clean_text(raw_url, 120)!r}); skipped")
        elif url.rstrip("/") not in seen:
            seen.add(url.rstrip("/"))
            name_ = clean_text(lowered.get("title") or lowered.get("text"), 200) or None
            result.feeds.append(Feed(url=url, all=False, name=name_))

    parser = expat.ParserCreate()
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = refuse
    parser.UnparsedEntityDeclHandler = refuse
    parser.ExternalEntityRefHandler = refuse
    parser.StartElementHandler = start
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise OpmlError(f"opml {where}: not valid XML: {expat.ErrorString(exc.code)} "
                        f"at line {exc.lineno}, column {exc.offset + 1}") from None
    if not root or root[0].lower() != "opml":
        found = clean_text(root[0], 40) if root else "nothing"
        raise OpmlError(f"opml {where}: not an OPML file (the document is <{found}>, not <opml>)")
    return result
