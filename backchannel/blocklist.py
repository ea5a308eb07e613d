"""The config's `[blocklist]`: accounts, instances and words whose posts are kept out."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from backchannel.config import Blocklist
from backchannel.models import Post


class Blocker:
    """`hold_words=True` (approve mode) leaves word matches in: they are held for a moderator
    instead (`backchannel.moderation.hold_reasons`), so a false positive loses nothing."""

    def __init__(self, blocklist: Blocklist, hold_words: bool = False):
        self.accounts = set(blocklist.accounts)
        self.instances = set(blocklist.instances)
        words = [re.escape(w) for w in blocklist.words if w]
        self.words = re.compile(r"(?<!\w)(" + "|".join(words) + r")(?!\w)", re.I) if words else None
        self.hold_words = hold_words

    def __bool__(self) -> bool:
        return bool(self.accounts or self.instances or self.words)

    def blocks(self, post: Post) -> bool:
        handle = (post.author.handle or "").lstrip("@").lower()
        if handle and handle in self.accounts:
            return True
        if self.instances:
            domains = {handle.rpartition("@")[2]} if "@" in handle else set()
            for url in (post.url, post.author.url):
                if url:
                    domains.add((urlsplit(url).hostname or "").lower())
            if any(d == i or d.endswith("." + i) for d in domains if d for i in self.instances):
                return True
        if self.words and not self.hold_words:
            haystack = " ".join([post.text, post.author.name or "", post.content_warning or ""])
            if self.words.search(haystack):
                return True
        return False
