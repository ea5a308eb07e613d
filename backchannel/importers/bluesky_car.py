"""A Bluesky repository export (`com.atproto.sync.getRepo`, "Export my data"): a CAR v1 file.

A CAR file is a header (DAG-CBOR `{roots, version}`) and then blocks, each a varint length,
a CID and DAG-CBOR bytes (decoded with `libipld`, the codec the atproto SDK uses; its
`CAR.from_bytes` would hold the whole file in memory). The blocks are the signed commit,
the Merkle Search Tree (MST) nodes that map record keys (`app.bsky.feed.post/RKEY`) to
record CIDs, and the records of every collection: posts, but also likes, follows, reposts,
the profile. Blocks come in no promised order, so the file is read twice: first the commit
(whose DID is the author), the MST keys of posts and the profile; then the posts, each
turned into the PostView the Bluesky collector reads, so labels, facets (UTF-8 byte offsets)
and embeds map the same way. A profile self-labelled `!no-unauthenticated` keeps every
post out. Images and videos point at Bluesky's CDN by the blob's CID. A repost is a boost
holding only the reposted post's address: left out and counted, like other collections.
"""

from __future__ import annotations

import shutil
import tempfile
from typing import Any, BinaryIO, Iterator

import libipld

from backchannel.collectors.bluesky.normalize import BadPost, adult_labels, normalize, web_url

from backchannel.importers.item import Item

POSTS = "app.bsky.feed.post"
PROFILE = "app.bsky.actor.profile/self"
CDN = "https://cdn.bsky.app/img"
VIDEO = "https://video.bsky.app/watch"
MAX_BLOCK = 16 * 2**20


class CarError(ValueError):
    pass


def read(stream: BinaryIO, name: str, sibling=None) -> Iterator[Item]:
    if not stream.seekable():  # standard input: keep a copy on disk for the second pass
        spool = tempfile.TemporaryFile()
        shutil.copyfileobj(stream, spool)
        spool.seek(0)
        stream = spool
    start = stream.tell()
    try:
        repo = _scan(stream)
    except CarError as exc:
        yield Item(exc.args[1] if len(exc.args) > 1 else 0, problem=exc.args[0])
        return
    yield from repo.problems
    for collection, n in sorted(repo.others.items()):
        reason = ("repost (the repository has only the reposted post's address)" if collection == "app.bsky.feed.repost"
                  else f"{collection} record (not a post)")
        for _ in range(n):
            yield Item(0, skip=reason)
    stream.seek(start)
    _header(stream)
    try:
        for index, cid, data in _blocks(stream):
            rkey = repo.posts.get(cid)
            if rkey is not None:
                yield _post(index, repo, rkey, cid, data)
    except CarError:
        pass  # reported by the first pass; the posts before the break are kept


class Repo:
    def __init__(self) -> None:
        self.root: bytes | None = None
        self.did: str | None = None
        self.posts: dict[bytes, str] = {}  # record CID → rkey
        self.profile_cid: bytes | None = None
        self.profiles: dict[bytes, dict] = {}
        self.others: dict[str, int] = {}
        self.problems: list[Item] = []

    @property
    def profile(self) -> dict:
        return self.profiles.get(self.profile_cid or b"", {})


def _scan(stream: BinaryIO) -> Repo:
    repo = Repo()
    header = _header(stream)
    roots = header.get("roots") if isinstance(header, dict) else None
    if not isinstance(roots, list) or not roots or not isinstance(roots[0], bytes):
        raise CarError("not a repository CAR file: its header names no root", 0)
    repo.root = roots[0]
    commits: dict[bytes, dict] = {}
    try:
        for index, cid, data in _blocks(stream):
            try:
                block = libipld.decode_dag_cbor(data)
            except Exception as exc:  # libipld raises plain ValueErrors and its own decode errors
                repo.problems.append(Item(index, problem=f"not DAG-CBOR: {exc}"))
                continue
            if not isinstance(block, dict):
                continue
            if "did" in block and "data" in block and "version" in block:
                commits[cid] = block
            elif isinstance(block.get("e"), list) and "l" in block:
                _mst_node(block, repo)
            elif block.get("$type") == "app.bsky.actor.profile":
                repo.profiles[cid] = block
    except CarError as exc:
        repo.problems.append(Item(exc.args[1] if len(exc.args) > 1 else 0, problem=exc.args[0]))
    commit = commits.get(repo.root)
    if commit is None or not isinstance(commit.get("did"), str):
        raise CarError("not a repository CAR file: the root commit block is missing", 0)
    repo.did = commit["did"]
    return repo


def _mst_node(node: dict, repo: Repo) -> None:
    """Each MST entry's key is the previous key's first `p` bytes plus `k`."""
    key = b""
    for entry in node["e"]:
        if not isinstance(entry, dict) or not isinstance(entry.get("k"), bytes):
            continue
        prefix = entry.get("p") if isinstance(entry.get("p"), int) else 0
        key = key[:prefix] + entry["k"]
        collection, _, rkey = key.decode("utf-8", "replace").partition("/")
        value = entry.get("v")
        if not isinstance(value, bytes):
            continue
        if collection == POSTS:
            repo.posts[value] = rkey
        elif f"{collection}/{rkey}" == PROFILE:
            repo.profile_cid = value
        else:
            repo.others[collection] = repo.others.get(collection, 0) + 1


def _post(index: int, repo: Repo, rkey: str, cid: bytes, data: bytes) -> Item:
    try:
        record = _plain(libipld.decode_dag_cbor(data))
    except Exception as exc:
        return Item(index, problem=f"post {rkey} is not DAG-CBOR: {exc}")
    if not isinstance(record, dict) or record.get("$type") != POSTS:
        return Item(index, problem=f"post {rkey}: the record is not an {POSTS}")
    uri = f"at://{repo.did}/{POSTS}/{rkey}"
    profile = _plain(repo.profile)
    view = {
        "uri": uri,
        "cid": _cid_str(cid),
        "author": {"did": repo.did, "handle": repo.did, "displayName": profile.get("displayName"),
                   "labels": _self_labels(profile)},
        "record": record,
        "embed": _embed_view(record.get("embed"), repo.did),
        "indexedAt": record.get("createdAt"),
    }
    try:
        post = normalize(view)
    except BadPost as exc:
        return Item(index, problem=str(exc))
    if post is None:
        adult = adult_labels(view)
        return Item(index, skip="labelled adult content by its author" if adult else
                    "author asked not to be shown to logged-out people (!no-unauthenticated)")
    quoted = _quoted(record.get("embed"))
    if quoted and quoted not in post.links:
        post.links.append(quoted)
    return Item(index, post=post.to_dict(derived=False), raw=record, uri=uri)


def _self_labels(record: dict) -> list[dict]:
    labels = record.get("labels") if isinstance(record.get("labels"), dict) else {}
    return [{"val": v["val"]} for v in labels.get("values") or [] if isinstance(v, dict) and isinstance(v.get("val"), str)]


def _embed_view(embed: Any, did: str) -> dict | None:
    """The view the AppView would serve for a record's embed (what the collector reads)."""
    if not isinstance(embed, dict):
        return None
    kind = embed.get("$type")
    if kind == "app.bsky.embed.images":
        images = []
        for image in embed.get("images") or []:
            ref = _blob_cid(image.get("image")) if isinstance(image, dict) else None
            if ref:
                images.append({"fullsize": f"{CDN}/feed_fullsize/plain/{did}/{ref}@jpeg",
                               "thumb": f"{CDN}/feed_thumbnail/plain/{did}/{ref}@jpeg", "alt": image.get("alt") or ""})
        return {"$type": "app.bsky.embed.images#view", "images": images}
    if kind == "app.bsky.embed.video":
        ref = _blob_cid(embed.get("video"))
        return {"$type": "app.bsky.embed.video#view", "playlist": f"{VIDEO}/{did}/{ref}/playlist.m3u8",
                "thumbnail": f"{VIDEO}/{did}/{ref}/thumbnail.jpg", "alt": embed.get("alt") or ""} if ref else None
    if kind == "app.bsky.embed.external":
        return {"$type": "app.bsky.embed.external#view", "external": embed.get("external")}
    if kind == "app.bsky.embed.recordWithMedia":
        return {"$type": "app.bsky.embed.recordWithMedia#view", "media": _embed_view(embed.get("media"), did)}
    return None  # a quoted post: the repository has only its address


def _quoted(embed: Any) -> str | None:
    if not isinstance(embed, dict):
        return None
    rec = embed.get("record")
    if embed.get("$type") == "app.bsky.embed.recordWithMedia" and isinstance(rec, dict):
        rec = rec.get("record")
    uri = rec.get("uri") if isinstance(rec, dict) and embed.get("$type", "").startswith("app.bsky.embed.record") else None
    return web_url(uri) if isinstance(uri, str) else None


def _blob_cid(blob: Any) -> str | None:
    if not isinstance(blob, dict):
        return None
    ref = blob.get("ref")
    if isinstance(ref, dict):  # already made plain ({"$link": ...})
        ref = ref.get("$link")
    if isinstance(ref, str):
        return ref
    legacy = blob.get("cid")  # blobs written before 2023 carry {cid, mimeType}
    return legacy if isinstance(legacy, str) else None


def _plain(value: Any) -> Any:
    """A decoded record with CID links as `{"$link": "bafy…"}` (atproto's JSON form) and
    other bytes as `{"$bytes": …}`, so it can be kept as JSON in the archive."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_plain(v) for v in value]
    if isinstance(value, bytes):
        try:
            return {"$link": _cid_str(value)}
        except ValueError:
            import base64
            return {"$bytes": base64.b64encode(value).decode("ascii").rstrip("=")}
    return value


def _cid_str(cid: bytes) -> str:
    try:
        return libipld.encode_cid(cid)
    except Exception as exc:
        raise ValueError(f"not a CID: {exc}") from None


# --- CAR v1 framing --------------------------------------------------------------------------

def _varint(stream: BinaryIO) -> int | None:
    shift = value = 0
    while True:
        b = stream.read(1)
        if not b:
            if shift:
                raise CarError("the file ends inside a block length")
            return None
        value |= (b[0] & 0x7F) << shift
        if not b[0] & 0x80:
            return value
        shift += 7
        if shift > 63:
            raise CarError("a block length is not a varint")


def _header(stream: BinaryIO) -> Any:
    length = _varint(stream)
    if not length or length > MAX_BLOCK:
        raise CarError("not a CAR file: no header", 0)
    try:
        return libipld.decode_dag_cbor(stream.read(length))
    except Exception as exc:
        raise CarError(f"not a CAR file: the header is not DAG-CBOR ({exc})", 0) from None


def _blocks(stream: BinaryIO) -> Iterator[tuple[int, bytes, bytes]]:
    """(block number, CID bytes, block bytes) for every block after the header."""
    index = 0
    while True:
        index += 1
        try:
            length = _varint(stream)
        except CarError as exc:
            raise CarError(str(exc), index) from None
        if length is None:
            return
        if length > MAX_BLOCK:
            raise CarError(f"block {index} claims {length} bytes: the file is broken here", index)
        section = stream.read(length)
        if len(section) < length:
            raise CarError(f"the file ends inside block {index}", index)
        size = _cid_length(section)
        if size is None:
            raise CarError(f"block {index} does not start with a CID", index)
        yield index, section[:size], section[size:]


def _cid_length(section: bytes) -> int | None:
    """The length of the CID at the start of a section (CIDv0: a bare sha2-256 multihash)."""
    if section[:2] == b"\x12\x20":
        return 34
    pos = 0
    for _ in range(3):  # version, codec, hash function
        while pos < len(section) and section[pos] & 0x80:
            pos += 1
        pos += 1
    digest = 0
    shift = 0
    while pos < len(section):
        b = section[pos]
        pos += 1
        digest |= (b & 0x7F) << shift
        if not b & 0x80:
            break
        shift += 7
    end = pos + digest
    return end if end <= len(section) else None
