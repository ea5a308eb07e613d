"""A loopback Jetstream: a websocket server on 127.0.0.1 that speaks Jetstream's messages.

    server = JetstreamServer()
    with server:                                      # listens on ws://127.0.0.1:PORT
        server.create(did, rkey, record)              # a commit event, stamped with time_us
        server.delete(did, rkey)
        server.identity(did, handle); server.account(did, active=False, status="deleted")
        server.drop()                                 # every open connection is cut
        server.connections                            # the query of every subscription

Messages have the documented shapes (`did`, `time_us`, `kind` = commit / identity /
account; a commit has `rev`, `operation`, `collection`, `rkey`, and `record` + `cid` for a
create or update). `/subscribe` honours `wantedCollections` (commits only; identity and
account events go to everyone) and `cursor` (replay from that `time_us`; without one, the
live tail). `window_us` limits how far back a replay goes: an older cursor is clamped to the
oldest retained event, as Jetstream does. `duplicate = True` sends every event twice
(at-least-once delivery); `refuse(n)` answers the next n handshakes with HTTP 503;
`rate` paces the sending (events per second, for the benchmark).
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from http import HTTPStatus
from typing import Any
from urllib.parse import parse_qs, urlsplit

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import serve

_revs = itertools.count(1)


class JetstreamServer:
    def __init__(self) -> None:
        self.events: list[tuple[int, str, str]] = []  # (time_us, collection or "", JSON text)
        self.cond = threading.Condition()
        self.connections: list[dict[str, list[str]]] = []
        self.window_us: int | None = None
        self.duplicate = False
        self.rate: float | None = None  # events per second per connection (None: as fast as it can)
        self._refuse = 0
        self._generation = 0  # bumped by drop(): open connections end
        self._last_us = 0
        self._server = None
        self._thread: threading.Thread | None = None

    # events ------------------------------------------------------------------------------
    def _stamp(self, at_us: int | None = None) -> int:
        now = at_us if at_us is not None else int(time.time() * 1_000_000)
        self._last_us = max(now, self._last_us + 1)
        return self._last_us

    def _add(self, event: dict[str, Any], collection: str = "", at_us: int | None = None) -> int:
        with self.cond:
            event["time_us"] = self._stamp(at_us)
            self.events.append((event["time_us"], collection, json.dumps(event)))
            self.cond.notify_all()
            return event["time_us"]

    def add_raw(self, text: str, at_us: int | None = None) -> None:
        """A message exactly as given (a malformed one, for instance)."""
        with self.cond:
            self.events.append((self._stamp(at_us), "", text))
            self.cond.notify_all()

    def create(self, did: str, rkey: str, record: dict[str, Any], *, update: bool = False,
               collection: str = "app.bsky.feed.post", at_us: int | None = None, cid: str | None = None) -> int:
        cid = cid or "bafyrei" + f"{abs(hash((did, rkey, json.dumps(record)))):052d}"[:52]
        commit = {"rev": f"3l{next(_revs):011d}", "operation": "update" if update else "create",
                  "collection": collection, "rkey": rkey, "record": record, "cid": cid}
        return self._add({"did": did, "kind": "commit", "commit": commit}, collection, at_us)

    def delete(self, did: str, rkey: str, collection: str = "app.bsky.feed.post") -> int:
        commit = {"rev": f"3l{next(_revs):011d}", "operation": "delete", "collection": collection, "rkey": rkey}
        return self._add({"did": did, "kind": "commit", "commit": commit}, collection)

    def identity(self, did: str, handle: str) -> int:
        return self._add({"did": did, "kind": "identity",
                          "identity": {"did": did, "handle": handle, "seq": next(_revs), "time": _now()}})

    def account(self, did: str, active: bool, status: str | None = None) -> int:
        account: dict[str, Any] = {"active": active, "did": did, "seq": next(_revs), "time": _now()}
        if status:
            account["status"] = status
        return self._add({"did": did, "kind": "account", "account": account})

    # faults ------------------------------------------------------------------------------
    def drop(self) -> None:
        """Cut every open connection (as a restarting instance or a network fault would)."""
        with self.cond:
            self._generation += 1
            self.cond.notify_all()

    def refuse(self, n: int) -> None:
        self._refuse = n

    # serving -----------------------------------------------------------------------------
    @property
    def url(self) -> str:
        host, port = self._server.socket.getsockname()[:2]
        return f"ws://{host}:{port}"

    def __enter__(self) -> "JetstreamServer":
        self._server = serve(self._handler, "127.0.0.1", 0, process_request=self._check, compression=None)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.drop()
        self._server.shutdown()
        self._thread.join(5)

    def _check(self, connection, request):
        if urlsplit(request.path).path != "/subscribe":
            return connection.respond(HTTPStatus.NOT_FOUND, "not found\n")
        if self._refuse > 0:
            self._refuse -= 1
            return connection.respond(HTTPStatus.SERVICE_UNAVAILABLE, "overloaded\n")
        return None

    def _handler(self, ws) -> None:
        query = parse_qs(urlsplit(ws.request.path).query)
        with self.cond:
            self.connections.append(query)
            generation = self._generation
            at = self._start(query)
        wanted = set(query.get("wantedCollections", []))
        try:
            while True:
                with self.cond:
                    while at >= len(self.events) and generation == self._generation:
                        self.cond.wait(0.5)
                    if generation != self._generation:
                        break
                    pending, at = self.events[at:], len(self.events)
                began, sent = time.monotonic(), 0
                for _, collection, text in pending:
                    if collection and wanted and collection not in wanted:
                        continue
                    ws.send(text)
                    if self.duplicate:
                        ws.send(text)
                    sent += 1
                    if self.rate and sent % 20 == 0:  # paced: sleep off any lead over the rate
                        ahead = began + sent / self.rate - time.monotonic()
                        if ahead > 0:
                            time.sleep(ahead)
        except ConnectionClosed:
            return
        ws.close(1011, "going away")

    def _start(self, query: dict[str, list[str]]) -> int:
        """Index of the first event to send: from the cursor (clamped to the window), else the tail."""
        cursor = query.get("cursor")
        if not cursor:
            return len(self.events)
        since = int(cursor[0])
        if self.window_us is not None:
            since = max(since, int(time.time() * 1_000_000) - self.window_us)
        return next((i for i, (t, _, _) in enumerate(self.events) if t >= since), len(self.events))


def _now() -> str:
    return time.strftime("%Y-%m-%dT%H:%M:%S.000Z", time.gmtime())
