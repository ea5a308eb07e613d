"""Write a Bluesky repository CAR file the way a PDS exports one (for tests).

Real encoding throughout: DAG-CBOR blocks from `libipld` (the atproto SDK's codec), CIDv1
(dag-cbor, sha2-256), a Merkle Search Tree built by atproto's rules (a key's layer is the
number of leading zero bit-pairs of its SHA-256; each node holds `l` and entries
`{p, k, v, t}` with keys prefix-compressed), a commit `{did, version: 3, data, rev, prev, sig}`
as the root, and CAR v1 framing (varint length, CID, block).
"""

from __future__ import annotations

import hashlib

import libipld


def cid_of(block: bytes) -> bytes:
    return bytes([0x01, 0x71, 0x12, 0x20]) + hashlib.sha256(block).digest()


def _layer(key: bytes) -> int:
    digest = hashlib.sha256(key).digest()
    zeros = 0
    for byte in digest:
        for shift in (6, 4, 2, 0):
            if (byte >> shift) & 0b11:
                return zeros
            zeros += 1
    return zeros


def _varint(n: int) -> bytes:
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


class Repo:
    def __init__(self, did: str):
        self.did = did
        self.records: dict[str, bytes] = {}  # "collection/rkey" -> encoded record
        self.blocks: dict[bytes, bytes] = {}
        self.extra: list[tuple[bytes, bytes]] = []  # raw sections (for broken-block tests)

    def put(self, collection: str, rkey: str, record: dict) -> bytes:
        block = libipld.encode_dag_cbor(record)
        self.records[f"{collection}/{rkey}"] = block
        return cid_of(block)

    def _node(self, keys: list[bytes], layer: int, nodes: list[bytes]) -> bytes | None:
        """The MST node for sorted `keys` at `layer`; its CID (its blocks appended to `nodes`)."""
        if not keys:
            return None
        entries, left, run = [], None, []
        for key in keys:
            if _layer(key) >= layer:
                sub = self._node(run, layer - 1, nodes) if run else None
                if entries:
                    entries[-1]["t"] = sub
                else:
                    left = sub
                entries.append({"key": key, "t": None})
                run = []
            else:
                run.append(key)
        sub = self._node(run, layer - 1, nodes) if run else None
        if entries:
            entries[-1]["t"] = sub
        else:
            left = sub
        encoded, prev = [], b""
        for e in entries:
            p = 0
            while p < min(len(prev), len(e["key"])) and prev[p] == e["key"][p]:
                p += 1
            encoded.append({"p": p, "k": e["key"][p:], "v": cid_of(self.records[e["key"].decode()]), "t": e["t"]})
            prev = e["key"]
        block = libipld.encode_dag_cbor({"l": left, "e": encoded})
        nodes.append(block)
        return cid_of(block)

    def car(self, records_first: bool = True) -> bytes:
        keys = sorted(k.encode() for k in self.records)
        nodes: list[bytes] = []
        top = max((_layer(k) for k in keys), default=0)
        root = self._node(keys, top, nodes)
        commit = libipld.encode_dag_cbor({"did": self.did, "version": 3, "data": root, "rev": "3l4qyrvkxcm2a",
                                          "prev": None, "sig": hashlib.sha512(b"not a real signature").digest()})
        header = libipld.encode_dag_cbor({"roots": [cid_of(commit)], "version": 1})
        records = list(self.records.values())
        body = [commit] + (records + nodes if records_first else nodes + records)
        out = bytearray(_varint(len(header)) + header)
        for block in body:
            section = cid_of(block) + block
            out += _varint(len(section)) + section
        for cid, block in self.extra:
            out += _varint(len(cid) + len(block)) + cid + block
        return bytes(out)
