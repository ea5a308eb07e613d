"""The People page's people: one entry per person, however many networks they posted from.

An **account** is where posts come from: a source and a handle (on blogs, the blog's host
and the entry's author name, so two authors of one blog stay two). Accounts become one
**person** only on evidence, never because their display names match:

- a link the account proves is its own reaches the other account: a profile link Mastodon
  verified (`rel="me"`, `Author.links`) to the other account's profile, to the site of a
  blog, or to a domain that is a Bluesky handle (Bluesky checks that the handle's owner
  controls the domain); a blog author's URI (Atom `<author><uri>`) naming an account's
  profile. A link that would join two accounts of the same network (a team page with
  `rel="me"` links to several people) joins nothing;
- a cross-post: the same text (casefolded, links left out, at least `CROSSPOST_WORDS`
  words) posted from two networks within `CROSSPOST_MINUTES` minutes by exactly two
  accounts (a third with the same words makes it a quotation, not a cross-post) whose
  display names are the same and not junk.

Accounts whose posts the blocklist or a moderator kept out at least as often as they were
published are left out (spam). A display name that is empty or only punctuation and
symbols (`">`, `•••`) is not a name: the handle stands in. Consent: a person is named
only when every one of their accounts may be named (`Post.named`); a person made of
accounts that did not opt in is counted, never listed, and gets no page.

A person is a **speaker** when one of their accounts is a speaker's handle in the
programme, or a speaker's link is one of their profiles (a Mastodon-verified link counts).
"""

from __future__ import annotations

import re
from bisect import bisect_left
import unicodedata
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from backchannel.models import Post
from backchannel.names import SOURCES
from backchannel.sanitize import safe_url

CROSSPOST_WORDS = 8  # a shorter text ("Great talk! #pycon") is written by many people alike
CROSSPOST_MINUTES = 10  # cross-posting tools and people copying by hand post within minutes
PAGE = 200  # posts per page of a person's page, as the day and talk pages
_WORD = re.compile(r"\w+")
_URL = re.compile(r"https?://\S+")
_SLUG = re.compile(r"[^a-z0-9]+")
_SOURCE_ORDER = {s: i for i, s in enumerate(SOURCES)}


@dataclass(eq=False)
class Account:
    """One account a person posted from."""

    source: str
    handle: str
    name: str  # the display name, "" when it is junk
    url: str | None  # the profile page (http/https)
    links: list[str] = field(default_factory=list)  # Author.links of its newest post
    posts: int = 0
    named: bool = False  # its newest post's consent (Mastodon's `discoverable`)
    items: list[Any] = field(default_factory=list)  # digest Items, oldest first

    @property
    def label(self) -> str:
        return self.handle if self.source == "rss" else "@" + self.handle.lstrip("@")


@dataclass(eq=False)
class Person:
    """One person: their accounts, posts and the talks they give."""

    name: str
    handle: str  # of their busiest account
    url: str | None  # that account's profile
    source: str  # that account's source
    posts: int = 0
    kinds: Counter = field(default_factory=Counter)
    latest: Any = None  # their newest Item
    named: bool = False  # may be named (every account opted in); else only counted
    accounts: list[Account] = field(default_factory=list)  # busiest first
    items: list[Any] = field(default_factory=list)  # every post, oldest first
    talks: list[Any] = field(default_factory=list)  # Sections of the talks they speak at
    path: str | None = None  # their page, people/<slug>.html; None when not named
    joined: list[str] = field(default_factory=list)  # why accounts were joined, as the page says

    @property
    def speaker(self) -> bool:
        return bool(self.talks)

    @property
    def pages(self) -> list[list[Any]]:
        return [self.items[i:i + PAGE] for i in range(0, len(self.items), PAGE)] or [[]]

    def page_path(self, n: int) -> str:
        """Page `n` (from 1) of their posts; a slug has no dots, so no other page's name."""
        assert self.path
        return self.path if n == 1 else self.path.removesuffix(".html") + f".page-{n}.html"


def account_key(post: Post) -> tuple[str, str]:
    """Which account wrote `post`: (source, handle); a blog's is its host plus author name."""
    a = post.author
    handle = (a.handle or a.name or "").strip().lower().lstrip("@")
    if post.source == "rss":
        return post.source, f"{handle}/{(a.name or '').strip().casefold()}"
    return post.source, handle


def display_name(name: str | None) -> str:
    """`name` if it holds a letter or digit; "" for empty, punctuation or symbols only."""
    name = " ".join((name or "").split())
    return name if any(unicodedata.category(c)[0] in "LN" for c in name) else ""


def url_keys(url: str | None) -> set[str]:
    """What a URL identifies: the page (scheme, query and case aside), and a whole site when
    it is the site's root (a Bluesky handle, a blog's host)."""
    url = safe_url(url)
    if not url:
        return set()
    parts = urlsplit(url.lower())
    host = (parts.hostname or "").removeprefix("www.")
    path = parts.path.rstrip("/")
    keys = {f"url:{host}{path}"}
    if not path:
        keys.add(f"site:{host}")
    return keys


def people(items: Sequence[Any], talk_sections: Sequence[Any] = (),
           kept_out: Counter | None = None) -> list[Person]:
    """Everyone who posted, one entry per person, most active first (see the module's doc).

    `items` are the digest's Items in time order; `talk_sections` the talks' Sections (for
    speakers); `kept_out` counts the posts the blocklist or moderators kept out, by
    `account_key`."""
    accounts = _accounts(items, kept_out or Counter())
    groups = _join(accounts)
    found = [_person(group, why) for group, why in groups]
    _mark_speakers(found, talk_sections)
    _assign_paths(found)
    return sorted(found, key=lambda p: (-p.posts, p.name.casefold(), p.handle))


def listed(found: Iterable[Person]) -> list[Person]:
    """The People page's order: speakers first (busiest first), then everyone else."""
    return sorted(found, key=lambda p: (not p.speaker, -p.posts, p.name.casefold(), p.handle))


def _accounts(items: Sequence[Any], kept_out: Counter) -> dict[tuple[str, str], Account]:
    found: dict[tuple[str, str], Account] = {}
    keys: dict[tuple, tuple[str, str]] = {}  # (source, handle, name) → account key, worked out once
    seen: dict[int, tuple] = {}  # account → the last (name, url) it was given, so each is read once
    for it in items:
        post = it.post
        a = post.author
        raw = (post.source, a.handle, a.name)
        key = keys.get(raw)
        if key is None:
            key = keys[raw] = account_key(post)
        acc = found.get(key)
        if acc is None:
            acc = found[key] = Account(post.source, a.handle or a.name, "", None)
        if seen.get(id(acc)) != (a.name, a.url):
            seen[id(acc)] = (a.name, a.url)
            acc.name = display_name(a.name) or acc.name  # the newest good name
            acc.url = safe_url(a.url) or acc.url
        if a.links:
            acc.links = a.links
        acc.named = post.named  # the newest post carries the author's newest choice
        acc.posts += 1
        acc.items.append(it)
    # Spam: accounts kept out (blocklist, moderators) at least as often as they were shown.
    return {k: a for k, a in found.items() if kept_out.get(k, 0) < a.posts}


def _identity(acc: Account, blog_hosts: Counter) -> tuple[set[str], set[str]]:
    """(what the account is, what it says it also is) as keys: profiles, pages and sites.

    Mastodon: its profile; its verified links. Bluesky: its profile and its handle's domain.
    A blog with one author: its site; the author's URI. Two accounts are one person when a
    key of one is a key of the other."""
    own = url_keys(acc.url) - {k for k in url_keys(acc.url) if k.startswith("site:")}
    proven: set[str] = set()
    if acc.source == "bluesky":
        handle = acc.handle.lower()
        own |= url_keys(f"https://bsky.app/profile/{handle}")
        if "." in handle and not handle.endswith(".invalid"):
            own.add(f"site:{handle}")  # Bluesky verified that the handle's owner holds the domain
    elif acc.source == "rss":
        host = acc.handle.lower()
        # A blog with one author is its author's site; its author URI is a claim, below.
        own = url_keys(f"https://{host}/") if blog_hosts[host] == 1 else set()
        proven = {k for link in acc.links for k in url_keys(link)}
    elif acc.source == "mastodon":
        proven = {k for link in acc.links for k in url_keys(link)}  # verified rel="me" links only
    return own, proven


def _join(accounts: dict[tuple[str, str], Account]) -> list[tuple[list[Account], list[str]]]:
    """Groups of accounts that are one person, each with the reasons it was joined."""
    parent = {k: k for k in accounts}

    def root(k):
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    reasons: dict[tuple, list[str]] = defaultdict(list)

    def union(a, b, why):
        ra, rb = root(a), root(b)
        if ra != rb:
            parent[rb] = ra
            reasons[ra] += reasons.pop(rb, [])
        reasons[ra].append(why)

    blog_hosts = Counter(k[1].split("/", 1)[0] for k in accounts if k[0] == "rss")
    by_key: dict[str, list[tuple[str, tuple]]] = defaultdict(list)
    for k, acc in accounts.items():
        own, proven = _identity(acc, blog_hosts)
        for key in own:
            by_key[key].append(("own", k))
        for key in proven - own:
            by_key[key].append(("proven", k))
    for key, holders in by_key.items():
        keys = list(dict.fromkeys(k for _, k in holders))
        sources = [k[0] for k in keys]
        if len(keys) < 2 or len(set(sources)) < len(sources):
            continue  # nothing to join, or ambiguous (two accounts of one network)
        if all(w == "own" for w, _ in holders):
            why = "the same web address"  # a Bluesky handle that is the domain of a one-author blog
        elif any(w == "proven" and accounts[h].source == "mastodon" for w, h in holders):
            why = "a link they verified"
        else:
            why = "a link they gave"
        for k in keys[1:]:
            union(keys[0], k, why)
    for a, b in _crossposts(accounts):
        union(a, b, "the same post on both networks")
    groups: dict[tuple, list[Account]] = defaultdict(list)
    for k, acc in accounts.items():
        groups[root(k)].append(acc)
    return [(g, sorted(set(reasons.get(r, [])))) for r, g in groups.items()]


def _crossposts(accounts: dict[tuple[str, str], Account]) -> list[tuple[tuple, tuple]]:
    """Pairs of accounts on two networks that posted the same text within minutes, with the
    same display name (see the module's doc for why this is strict)."""
    window = timedelta(minutes=CROSSPOST_MINUTES)
    by_text: dict[str, list[tuple[tuple, Any]]] = defaultdict(list)
    chosen = _candidates(accounts, window)
    for k, it in chosen:
        words = _words(it.post.text)
        if len(words) >= CROSSPOST_WORDS:
            by_text[" ".join(words)].append((k, it.post.created_at))
    if not by_text:
        return []
    # Anyone else who wrote the same words makes it a quotation: look at every other post
    # that starts like one of the texts (only those are read in full).
    starts = {tuple(text.split()[:4]) for text in by_text}
    taken = {id(it) for _, it in chosen}
    for k, acc in accounts.items():
        for it in acc.items:
            if id(it) in taken or it.post.is_repost or tuple(_words(it.post.text[:160])[:4]) not in starts:
                continue
            text = " ".join(_words(it.post.text))
            if text in by_text:
                by_text[text].append((k, it.post.created_at))
    pairs = []
    for found in by_text.values():
        keys = list(dict.fromkeys(k for k, _ in found))
        if len(keys) != 2 or keys[0][0] == keys[1][0]:
            continue
        a, b = (accounts[k] for k in keys)
        if not a.name or _folded(a.name) != _folded(b.name):
            continue
        times = {k: [t for kk, t in found if kk == k] for k in keys}
        if any(abs(ta - tb) <= window for ta in times[keys[0]] for tb in times[keys[1]]):
            pairs.append((keys[0], keys[1]))
    return pairs


def _words(text: str) -> list[str]:
    return _WORD.findall(_URL.sub(" ", text).casefold())


def _candidates(accounts: dict[tuple[str, str], Account], window: timedelta) -> list[tuple[tuple, Any]]:
    """Posts that could be one half of a cross-post: an account of the same display name on
    another network posted within `window` of it. (Reading every post's words would cost
    more than the rest of the People page together; most posts have no such neighbour.)"""
    by_name: dict[str, list[tuple[tuple, Account]]] = defaultdict(list)
    for k, acc in accounts.items():
        if acc.name:
            by_name[_folded(acc.name)].append((k, acc))
    found = []
    for group in by_name.values():
        if len({acc.source for _, acc in group}) < 2:
            continue
        times: dict[str, list] = defaultdict(list)  # source → its posts' times, sorted
        for _, acc in group:
            times[acc.source] += [it.post.created_at for it in acc.items]
        for t in times.values():
            t.sort()
        for k, acc in group:
            others = [t for source, t in times.items() if source != acc.source]
            for it in acc.items:
                when = it.post.created_at
                if not it.post.is_repost and any(_near(t, when, window) for t in others):
                    found.append((k, it))
    return found


def _near(times: list, when, window: timedelta) -> bool:
    i = bisect_left(times, when - window)
    return i < len(times) and times[i] <= when + window


def _folded(name: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", name).casefold().split())


def _person(accounts: list[Account], joined: list[str]) -> Person:
    accounts.sort(key=lambda a: (-a.posts, _SOURCE_ORDER.get(a.source, len(_SOURCE_ORDER)), a.source, a.handle.lower()))
    main = accounts[0]
    name = main.name or next((a.name for a in accounts if a.name), "") or main.handle
    items = sorted((it for a in accounts for it in a.items), key=lambda it: (it.post.created_at, it.post.id))
    person = Person(name, main.handle, main.url, main.source, posts=len(items),
                    kinds=Counter(it.kind for it in items), latest=items[-1],
                    named=all(a.named for a in accounts), accounts=accounts, items=items, joined=joined)
    return person


def _mark_speakers(found: list[Person], talk_sections: Sequence[Any]) -> None:
    """Speakers by their programme handles and links. A speaker found so also gives the
    other talks the programme lists under the same speaker name (as talk pages do)."""
    by_key: dict[str, list[tuple[Any, str | None]]] = defaultdict(list)  # key → (section, speaker name)
    by_name: dict[str, list[Any]] = defaultdict(list)
    for section in talk_sections:
        talk = section.talk
        for h in talk.speaker_handles:
            if h.strip():
                by_key["handle:" + h.strip().lower().lstrip("@")].append((section, None))
        for p in talk.people:
            keys = {"handle:" + h.strip().lower().lstrip("@") for h in p.handles if h.strip()}
            keys |= {k for link in p.links for k in url_keys(link)}
            for k in keys:
                by_key[k].append((section, p.name.casefold()))
        for name in {*(n.casefold() for n in talk.speakers), *(p.name.casefold() for p in talk.people)}:
            by_name[name].append(section)
    if not by_key:
        return
    blog_hosts: Counter = Counter()
    for person in found:
        keys: set[str] = set()
        for acc in person.accounts:
            if acc.source != "rss":
                keys.add("handle:" + acc.handle.lower().lstrip("@"))
            own, proven = _identity(acc, blog_hosts)
            keys |= own | (proven if acc.source == "mastodon" else set())
        matched = [m for k in keys for m in by_key.get(k, [])]
        talks = {id(s): s for s, _ in matched}
        talks.update({id(s): s for _, name in matched if name for s in by_name[name]})
        person.talks = sorted(talks.values(), key=lambda s: (s.talk.start, s.title))


def _assign_paths(found: list[Person]) -> None:
    """people/<slug>.html for each named person: their busiest handle, made a file name,
    unique even on a case-insensitive disk (the slug is lowercase)."""
    taken: set[str] = set()
    for person in sorted((p for p in found if p.named), key=lambda p: (p.source, p.handle.lower())):
        base = _SLUG.sub("-", person.handle.lower()).strip("-")[:60] or "person"
        slug, n = base, 1
        while slug in taken:
            n += 1
            slug = f"{base}-{n}"
        taken.add(slug)
        person.path = f"people/{slug}.html"
