"""One small threaded HTTP server on 127.0.0.1 that plays every service of the sample event.

    with DemoServer(load()) as server:
        server.urls      # {"mastodon-a": "http://127.0.0.1:41001", "mastodon-b": ..., "bluesky": ..., "blogs": ...}
        ...              # point the real collectors at them
        server.delete_scheduled()   # authors delete two posts after the first poll

Each site listens on its own port, because the Mastodon API has no room for a path prefix
in a server's identity (a client knows a server by its base URL, and a local account's
handle by the server's host). The sites speak the real APIs (see `demo.sites`): the
collectors page, log in and re-check exactly as they would at a real event.
"""

from __future__ import annotations

from typing import Any

from backchannel.demo.event import SampleEvent
from backchannel.demo.loopback import Loopback
from backchannel.demo.sites import BlogSite, BlueskySite, MastodonSite


class DemoServer:
    """The sample event's services on 127.0.0.1, one port per site, served from threads."""

    def __init__(self, event: SampleEvent, ports: dict[str, int] | None = None):
        a, b = event.mastodon
        self.sites: dict[str, Any] = {
            "mastodon-a": MastodonSite(a),
            "mastodon-b": MastodonSite(b),
            "bluesky": BlueskySite(event.bluesky, event.login),
            "blogs": BlogSite(event.feeds),
        }
        self.event = event
        self.servers = {name: self._serve(name, site, (ports or {}).get(name, 0))
                        for name, site in self.sites.items()}

    def _serve(self, name: str, site: Any, port: int) -> Loopback:
        """A site on `port` if it is free (a second demo run keeps its URLs), else on any port."""
        return Loopback(lambda req: site.app(req, self.servers[name].url), port)

    @property
    def urls(self) -> dict[str, str]:
        return {name: server.url for name, server in self.servers.items()}

    @property
    def ports(self) -> dict[str, int]:
        return {name: server.port for name, server in self.servers.items()}

    def requests(self) -> dict[str, int]:
        """How many requests each site has answered."""
        return {name: site.requests for name, site in self.sites.items()}

    def delete_scheduled(self) -> int:
        """The authors of the posts marked for deletion delete them now; returns how many."""
        gone = self.event.deletions
        count = 0
        for name in ("mastodon-a", "mastodon-b"):
            count += self.sites[name].delete(gone.get("mastodon", []))
        count += self.sites["bluesky"].delete(gone.get("bluesky", []))
        return count

    def start(self) -> "DemoServer":
        for server in self.servers.values():
            server.start()
        return self

    def stop(self) -> None:
        for server in self.servers.values():
            server.stop()

    def __enter__(self) -> "DemoServer":
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
