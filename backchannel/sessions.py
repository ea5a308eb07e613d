"""Attach each post to the talk it is about, and say why.

    matcher = Matcher(schedule.talks, tz="Europe/Berlin")
    post.session, post.session_reason = matcher.match(post)

Every talk a post could belong to collects *evidence*, each piece with a weight and a
sentence for the reader:

=================  ======  ================================================================
evidence           weight  when
=================  ======  ================================================================
hashtag            10      the post uses the talk's own hashtag (shared tags count less)
link               8       the post links to the talk's page
handle             6       the post mentions a speaker's handle (``@ada@example.social``)
name               4       the post names a speaker ("Ada Lovelace")
author             2       a speaker wrote the post
title              ≤ 6     the post uses distinctive words of the title (IDF over all titles;
                           one word alone counts at most 2.5)
during             3       written while the talk ran
overrun            2.5     written up to 20 min after it ended, no other talk begun in that
                           room (1 if the next talk there has begun)
early              1       written up to 10 min before it began
room               3       names the talk's room, written during it (or its overrun)
track              1 / 2   names its track (2 as a hashtag or "… track"), written during it
only talk          1       written during it while no other talk ran, and the classifier did
                           not call the post `other` (chatter, logistics)
same day           1.5     written later the same day (adds to other evidence only)
=================  ======  ================================================================

A mention of a person (handle, name, author) in a post written during *another* talk is
often a reference ("as @ada said yesterday"): it then counts 0.6 of its weight, 0.4 next to
words such as "yesterday", "earlier" or "said". The best talk wins when it scores at least
3.5 and 1.5 more than the runner-up; otherwise the post belongs to no talk (only to its
day), so timing alone never picks between two parallel talks. The reason names the talk
and lists the winning evidence, strongest first.
"""

from __future__ import annotations

import math
import re
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from .models import Post
from .schedule import Talk, find_handles
from .words import content_words, stem, tokens, words

THRESHOLD = 3.5
MARGIN = 1.5
W_HASHTAG, W_LINK, W_HANDLE, W_NAME, W_AUTHOR = 10.0, 8.0, 6.0, 4.0, 2.0
W_TITLE, W_TITLE_ONE_WORD = 6.0, 2.5
W_DURING, W_OVERRUN, W_SUPERSEDED, W_EARLY, W_SAME_DAY = 3.0, 2.5, 1.0, 1.0, 1.5
W_ROOM, W_TRACK, W_TRACK_TAGGED, W_ONLY = 3.0, 1.0, 2.0, 1.0
REFERENCE, REFERENCE_CUED = 0.6, 0.4
PERSON_KINDS = ("handle", "name", "author")
CONTENT_KINDS = ("hashtag", "link", "handle", "name", "title", "title_full")  # what the post says
TIME_KINDS = ("during", "overrun", "overrun_free", "early")
_TRAILING = ("room", "track", "author", "same_day", "only")
_ORDER = ("hashtag", "link", "handle", "name", "title_full", "title", "during", "overrun_free", "overrun",
          "early", "author", "room", "track", "same_day", "only")
# Words that mark a mention as a reference to earlier or elsewhere, in the supported languages.
REFERENCE_CUES = frozenset(stem(t) for w in """
yesterday earlier said mentioned last previous morning remember recalled
gestern vorhin vorher sagte erwähnte letzte
ayer antes dijo mencionó pasada anterior
disait mentionné dernier dernière
ontem disse mencionou passada
gisteren eerder zei noemde vorige
昨日 先日
""".split() for t in tokens(w))
_HREF = re.compile(r'href="([^"]+)"')
_SHORT_MENTION = re.compile(r"(?<![\w@/.])@([a-z0-9_]{2,30})(?![\w@.-]|\.\w)", re.I)
_BUCKET = 300  # seconds per time bucket of the talk index
MAX_CHARS = 20_000  # a long blog entry names its talk near the top; the rest only costs time


@dataclass
class Evidence:
    kind: str  # one of _ORDER
    weight: float
    detail: str = ""  # the tag, handle, name, title words or minutes the sentence shows


_LONG = {  # the strongest evidence names the talk ...
    "hashtag": "uses #{d}, the hashtag of {t}", "link": "links to the page of {t}",
    "handle": "mentions @{d} (speaker of {t})", "name": "names {d} (speaker of {t})",
    "title": "uses words of the title {t} ({d})", "title_full": "names the title {t}",
    "during": "written during {t} ({s})", "overrun": "written {d} min after {t} ended ({s})",
    "overrun_free": "written {d} min after {t} ended ({s}), before the next talk there",
    "early": "written just before {t} began ({s})", "author": "is by @{d}, a speaker of {t}",
    "room": "mentions '{d}', the room of {t}", "track": "mentions the track '{d}' of {t}",
    "same_day": "written later the same day as {t}", "only": "no talk but {t} was running then",
}
_SHORT = {  # ... the others refer to it
    "hashtag": "uses its hashtag #{d}", "link": "links to its page", "handle": "mentions its speaker @{d}",
    "name": "names its speaker {d}", "title": "uses words of its title ({d})", "title_full": "names its title",
    "during": "written during it ({s})", "overrun": "written {d} min after it ended ({s})",
    "overrun_free": "written {d} min after it ended ({s}), before the next talk there",
    "early": "written just before it began ({s})", "author": "is by its speaker @{d}",
    "room": "mentions '{d}'", "track": "mentions its track '{d}'", "same_day": "written later that day",
    "only": "no other talk was running then",
}


@dataclass
class Candidate:
    """A talk a post may belong to, with what points at it."""

    talk: Talk
    evidence: list[Evidence] = field(default_factory=list)
    span: str = ""  # "Hall A, 10:00–10:45" in the event's time zone

    @property
    def score(self) -> float:
        return round(sum(e.weight for e in self.evidence), 3)

    def reason(self) -> str:
        """One sentence: the strongest evidence naming the talk, then the rest."""
        # Hints (room, track, ...) qualify other evidence: they never lead the sentence.
        ev = sorted(self.evidence, key=lambda e: (e.kind in _TRAILING, -e.weight, _ORDER.index(e.kind)))
        t = f"'{self.talk.title}'"
        parts = [_LONG[ev[0].kind].format(d=ev[0].detail, t=t, s=self.span)]
        parts += [_SHORT[e.kind].format(d=e.detail, t=t, s=self.span) for e in ev[1:]]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class Matcher:
    """Matches posts to talks; build once per schedule, then call `match` per post."""

    def __init__(self, talks: Iterable[Talk], tz: str | ZoneInfo | None = None, *,
                 overrun: timedelta = timedelta(minutes=20), early: timedelta = timedelta(minutes=10),
                 timing_alone: bool = True):
        self.talks = list(talks)
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else (tz or timezone.utc)
        self.overrun, self.early, self.timing_alone = overrun, early, timing_alone
        self._index_people()
        self._index_titles()
        self._index_times()
        self.spans = {t.id: self._span(t) for t in self.talks}

    # --- precomputation -------------------------------------------------------------

    def _index_people(self) -> None:
        self.by_tag: dict[str, list[Talk]] = defaultdict(list)
        self.by_handle: dict[str, list[Talk]] = defaultdict(list)
        self.by_url: dict[str, list[Talk]] = defaultdict(list)
        self.by_name_word: dict[str, list[tuple[str, frozenset[str], Talk]]] = defaultdict(list)
        for talk in self.talks:
            if talk.hashtag:
                self.by_tag[talk.hashtag].append(talk)
            for handle in talk.speaker_handles:
                self.by_handle[handle].append(talk)
            if talk.url:
                self.by_url[_url_key(talk.url)].append(talk)
            for name in talk.speakers:
                toks = frozenset(words(name))
                if len(toks) >= 2:  # one-word names ("Linus") are too ambiguous on their own
                    key = max(toks, key=len)  # any word works; a long one is looked up less
                    self.by_name_word[key].append((name, toks, talk))
        # "@ada" without a server: only when one speaker handle has that user name.
        locals_: dict[str, set[str]] = defaultdict(set)
        for handle in self.by_handle:
            locals_[handle.split("@")[0].split(".")[0]].add(handle)
        self.by_local = {k: next(iter(v)) for k, v in locals_.items() if len(v) == 1}

    def _index_titles(self) -> None:
        df: dict[str, int] = defaultdict(int)
        self.title_words: dict[str, dict[str, float]] = {}
        toks_of = {t.id: set(content_words(t.title)) for t in self.talks}
        for toks in toks_of.values():
            for w in toks:
                df[w] += 1
        n = max(len(self.talks), 1)
        self.by_title_word: dict[str, list[Talk]] = defaultdict(list)
        for talk in self.talks:
            weights = {w: math.log(1 + n / df[w]) for w in toks_of[talk.id]}
            self.title_words[talk.id] = weights
            for w in weights:
                self.by_title_word[w].append(talk)
        self.rooms = {r: " " + " ".join(tokens(r)) + " " for r in {t.room for t in self.talks if t.room}}
        self.tracks = {r: " " + " ".join(tokens(r)) + " " for r in {t.track for t in self.talks if t.track}}

    def _index_times(self) -> None:
        self.buckets: dict[int, list[Talk]] = defaultdict(list)
        self.next_in_room: dict[str, datetime | None] = {}
        by_room: dict[str, list[Talk]] = defaultdict(list)
        for talk in self.talks:
            first = int((talk.start - self.early).timestamp()) // _BUCKET
            last = int((talk.end + self.overrun).timestamp()) // _BUCKET
            for b in range(first, last + 1):
                self.buckets[b].append(talk)
            if talk.room:
                by_room[talk.room].append(talk)
        for talk in self.talks:
            later = [o.start for o in by_room.get(talk.room or "", []) if o is not talk and o.start > talk.start]
            self.next_in_room[talk.id] = min(later) if later else None

    # --- matching -------------------------------------------------------------------

    def match(self, post: Post) -> tuple[str | None, str | None]:
        """The id of the post's talk and why, or (None, None) when it belongs to its day only."""
        ranked = self.candidates(post)
        if not ranked or ranked[0].score < THRESHOLD:
            return None, None
        if len(ranked) > 1 and ranked[0].score - ranked[1].score < MARGIN:
            return None, None
        return ranked[0].talk.id, ranked[0].reason()

    def day(self, post: Post) -> date:
        """The local date a post belongs to (in the event's time zone)."""
        return post.created_at.astimezone(self.tz).date()

    def candidates(self, post: Post) -> list[Candidate]:
        """Every talk with some evidence for this post, best first (for `--explain` and tests)."""
        found: dict[str, Candidate] = {}

        def add(talk: Talk, ev: Evidence) -> None:
            found.setdefault(talk.id, Candidate(talk)).evidence.append(ev)

        text = post.text[:MAX_CHARS] if post.text else ""
        toks = tokens(text)
        tokset = {stem(t) for t in set(toks)}
        joined = " " + " ".join(toks) + " "
        hrefs = _HREF.findall(post.html) if post.html and "href" in post.html else []
        self._content(post, text, hrefs, tokset, add)
        running = self._timing(post.created_at, joined, set(post.tags), add)
        if self.timing_alone and len(running) == 1 and post.kind != "other":
            # One talk on, and the post is not chatter or logistics (kind "other"): about it.
            found[next(iter(running))].evidence.append(Evidence("only", W_ONLY))
        self._adjust(found, running, post.created_at, tokset)
        for cand in found.values():
            cand.span = self.spans[cand.talk.id]
        return sorted(found.values(), key=lambda c: (-c.score, c.talk.start, c.talk.id))

    def _content(self, post: Post, text: str, hrefs: list[str], tokset: set[str], add) -> None:
        tags = set(post.tags) | {m.lower() for m in re.findall(r"#(\w+)", text)}
        for tag in tags:
            talks = self.by_tag.get(tag, [])
            for talk in talks:
                w = W_HASHTAG / len(talks)
                add(talk, Evidence("hashtag", w, tag))
        for url in {_url_key(u) for u in post.links + hrefs}:
            for talk in self.by_url.get(url, []):
                add(talk, Evidence("link", W_LINK))
        for handle in self._mentions(text, hrefs):
            for talk in self.by_handle.get(handle, []):
                add(talk, Evidence("handle", W_HANDLE, handle))
        author = (post.author.handle or "").lower().lstrip("@")
        for talk in self.by_handle.get(author, []):
            add(talk, Evidence("author", W_AUTHOR, author))
        for w in tokset:
            for name, need, talk in self.by_name_word.get(w, []):
                if need <= tokset:
                    add(talk, Evidence("name", W_NAME, name))
        self._titles(tokset, add)

    def _mentions(self, text: str, hrefs: list[str]) -> list[str]:
        handles = find_handles(text) if "@" in text or "bsky.app" in text else []
        for href in hrefs:
            handles += [h for h in find_handles(href) if h not in handles]
        for m in _SHORT_MENTION.finditer(text) if "@" in text else ():
            full = self.by_local.get(m.group(1).lower())
            if full and full not in handles:
                handles.append(full)
        return handles

    def _titles(self, tokset: set[str], add) -> None:
        hits: dict[str, list[str]] = defaultdict(list)
        talks: dict[str, Talk] = {}
        for w in tokset:
            for talk in self.by_title_word.get(w, []):
                hits[talk.id].append(w)
                talks[talk.id] = talk
        for tid, matched in hits.items():
            weights = self.title_words[tid]
            cover = sum(weights[w] for w in matched) / sum(weights.values())
            weight = (W_TITLE if len(matched) >= 2 else W_TITLE_ONE_WORD) * cover
            if weight < 1.0:
                continue
            if cover > 0.999 and len(matched) >= 2:
                add(talks[tid], Evidence("title_full", weight))
            else:
                shown = ", ".join(sorted(matched, key=lambda w: -weights[w])[:4])
                add(talks[tid], Evidence("title", round(weight, 2), shown))

    def _timing(self, when: datetime, joined: str, tags: set[str], add) -> set[str]:
        """Evidence from when the post was written (and room/track hints); returns running talks."""
        rooms = {r for r, phrase in self.rooms.items() if phrase in joined}
        tracks = {r for r, phrase in self.tracks.items() if phrase in joined}
        running: list[Talk] = []
        for talk in self.buckets.get(int(when.timestamp()) // _BUCKET, []):
            if talk.start <= when < talk.end:
                add(talk, Evidence("during", W_DURING))
                running.append(talk)
            elif talk.end <= when < talk.end + self.overrun:
                after = str(int((when - talk.end).total_seconds() // 60))
                nxt = self.next_in_room.get(talk.id)
                if nxt is not None and nxt <= when:  # the next talk there has begun: a weak hint only
                    add(talk, Evidence("overrun", W_SUPERSEDED, after))
                    continue
                add(talk, Evidence("overrun_free", W_OVERRUN, after))
                running.append(talk)
            elif talk.start - self.early <= when < talk.start:
                add(talk, Evidence("early", W_EARLY))
        for talk in running:
            if talk.room in rooms:
                add(talk, Evidence("room", W_ROOM, talk.room.lower()))
            if talk.track in tracks:
                phrase = self.tracks[talk.track]
                tagged = phrase.replace(" ", "") in tags or f"{phrase}track " in joined
                add(talk, Evidence("track", W_TRACK_TAGGED if tagged else W_TRACK, talk.track))
        return {t.id for t in running}

    def _adjust(self, found: dict[str, Candidate], running: set[str], when: datetime, tokset: set[str]) -> None:
        """Discount people mentioned during another talk; credit talks earlier the same day."""
        cued = bool(tokset & REFERENCE_CUES)
        day = when.astimezone(self.tz).date()
        for cand in found.values():
            has_time = any(e.kind in TIME_KINDS for e in cand.evidence)
            if running and cand.talk.id not in running and not has_time:
                for e in cand.evidence:
                    if e.kind in PERSON_KINDS:
                        e.weight = round(e.weight * (REFERENCE_CUED if cued else REFERENCE), 3)
            says = any(e.kind in CONTENT_KINDS for e in cand.evidence)
            if says and not has_time and cand.talk.end <= when and cand.talk.start.astimezone(self.tz).date() == day:
                cand.evidence.append(Evidence("same_day", W_SAME_DAY))

    def _span(self, talk: Talk) -> str:
        """Where and when, for reasons: "Hall A, 10:00–10:45" in the event's time zone."""
        start, end = talk.start.astimezone(self.tz), talk.end.astimezone(self.tz)
        times = f"{start:%H:%M}–{end:%H:%M}"
        return f"{talk.room}, {times}" if talk.room else times


def match(post: Post, talks: Iterable[Talk], tz: str | ZoneInfo | None = None) -> tuple[str | None, str | None]:
    """Match one post (builds a `Matcher` each call: use `Matcher` for many posts)."""
    return Matcher(talks, tz).match(post)


def _url_key(url: str) -> str:
    return url.split("://", 1)[-1].split("#")[0].rstrip("/").lower()


__all__ = ["Matcher", "Candidate", "Evidence", "match"]
