"""What the digest shows, worked out from the archive: load posts, then group them.

`load()` turns the archive's posts (minus blocked ones) into `Item`s: a Post plus what the
pages need (its day in the event's time zone, its permalink path, its talk, fingerprints
of what its page shows and what the search indexes). `group()` sorts the items into days,
talks and kinds, and counts sources, people, links and hashtags for the front page.

`Grouped.key_points()` gives the distinct points of a talk's, a day's or the event's
takeaways (`backchannel.digest.keypoints`), worked out once per talk and per day; ranked
lists come from `backchannel.digest.ranking` (near-duplicates merged).

Talks are the programme's own records (`backchannel.talks.programme.Talk`); the digest adds
only where each talk's page lives (`talk_paths`).
"""

from __future__ import annotations

import hashlib
import re
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, Iterable, Sequence
from urllib.parse import urlsplit

from backchannel.blocklist import Blocker
from backchannel.config import Config
from backchannel.digest.answers import Answered, answered
from backchannel.digest.keypoints import Groups, Point, group_points, key_points
from backchannel.digest.people import Person, account_key, listed, people
from backchannel.digest.ranking import Ranked, rank
from backchannel.models import Post
from backchannel.names import KIND_TITLES, KINDS
from backchannel.sanitize import safe_url
from backchannel.talks.programme import Talk

KIND_PAGES = tuple(k for k in KINDS if k != "other")  # "other" has no page of its own
TOP = 30  # takeaways ranked for the front page (10), the feed (20) and the takeaways page (30)
QUESTIONS = 20  # answered and open questions shown on a talk's page and on the Questions page
POINTS = 8  # key points shown at the top of a talk's or a day's page, and on the front page
CHUNK = 200  # posts per chronological page: big enough to browse, small enough for a phone
_SAFE_NAME = re.compile(r"[A-Za-z0-9_-][A-Za-z0-9._-]{0,99}")

@dataclass(eq=False)
class Item:
    """One published post and where it sits in the digest."""

    post: Post
    kind: str  # takeaway, question, resource, shoutout or other
    day: str  # YYYY-MM-DD in the event's time zone
    hour: str  # HH in the event's time zone
    local: datetime  # created_at in the event's time zone
    path: str  # the permalink, relative to the site root: posts/<day>/<hour>/<id>.html
    talk: Talk | None
    talk_path: str | None  # the talk's page folder, relative to the site root: talks/<slug>/
    fp: str  # fingerprint of everything a page shows about this post
    sfp: str  # fingerprint of what the search index holds about it

    @property
    def engagement(self) -> int:
        m = self.post.metrics
        return m.likes + 2 * m.reposts + m.replies + m.quotes


@dataclass
class Section:
    """A day, a talk or a kind: its posts in time order, shown inline or in chunk pages."""

    type: str  # day, talk or kind
    key: str
    title: str
    path: str  # folder relative to the site root, ending in "/"
    items: list[Item] = field(default_factory=list)
    talk: Talk | None = None

    @property
    def chunks(self) -> list[list[Item]]:
        return [self.items[i:i + CHUNK] for i in range(0, len(self.items), CHUNK)]

    @property
    def inline(self) -> bool:
        return len(self.items) <= CHUNK

    def chunk_path(self, n: int) -> str:
        return f"{self.path}page-{n}.html"


@dataclass
class SharedLink:
    url: str
    posts: int = 0
    people: set = field(default_factory=set)
    first: Item | None = None

    @property
    def label(self) -> str:
        parts = urlsplit(self.url)
        host = (parts.hostname or "").removeprefix("www.")
        rest = parts.path.rstrip("/") + (f"?{parts.query}" if parts.query else "")
        label = host + rest
        return label if len(label) <= 70 else label[:67] + "…"


@dataclass
class Material:
    """A talk's slides, recording or other material: from the programme, or a link shared by
    one of its speakers (or an organiser) in a post that says what it is."""

    label: str  # "Slides", "Recording", or the programme's own title
    url: str
    item: Item | None = None  # the post that shared it; None when the programme lists it


# Words of a post that shares a talk's material, and hosts/paths that say which it is.
_SLIDES = re.compile(r"(?i)\b(slides?|slide ?deck|deck|folien|diapositivas|transparents|diapos|slajdy)\b")
_RECORDING = re.compile(r"(?i)\b(recording|recorded|video|vod|livestream|aufzeichnung|mitschnitt|grabaci[oó]n"
                        r"|enregistrement|vid[eé]o)\b")
_VIDEO_HOSTS = ("youtube.com", "youtu.be", "vimeo.com", "media.ccc.de", "peertube", "tube")
_SLIDE_HOSTS = ("speakerdeck.com", "slideshare.net", "slides.com", "docs.google.com/presentation")


def material_label(url: str, text: str) -> str | None:
    """"Slides" or "Recording" for a link shared in a post with `text`, or None.

    The post must say it shares slides or a recording; the link's host or file type then
    says which (a PDF, Speaker Deck: slides; YouTube, media.ccc.de: a recording), else the
    word the post uses does (when it uses only one of the two).
    """
    says_slides, says_recording = bool(_SLIDES.search(text)), bool(_RECORDING.search(text))
    if not (says_slides or says_recording):
        return None
    parts = urlsplit(url.lower())
    if any(h in url.lower() for h in _SLIDE_HOSTS) or parts.path.endswith((".pdf", ".odp", ".pptx", ".key")):
        return "Slides"
    if any(h in (parts.hostname or "") for h in _VIDEO_HOSTS):
        return "Recording"
    if says_slides != says_recording:
        return "Slides" if says_slides else "Recording"
    return None


def handle_key(handle: str | None) -> str:
    return (handle or "").strip().lower().lstrip("@")


@dataclass
class Grouped:
    """Everything the pages show, grouped once; templates only read it."""

    items: list[Item]
    talks: list[Talk]
    days: list[Section]
    talk_sections: list[Section]
    kinds: list[Section]
    by_source: dict[str, int]
    people: list[Person]
    links: list[SharedLink]
    tags: list[tuple[str, int]]
    top_takeaways: list[Ranked[Item]]
    open_questions: list[Item]
    answered: dict[str, Answered] = field(default_factory=dict)  # question id → its answers
    organisers: list[str] = field(default_factory=list)  # [event] organisers: the event's own handles
    hashtags: tuple[str, ...] = ()  # the event's (every post carries one: no point is made by it)

    _highlights: dict = field(default_factory=dict, repr=False)
    _points: dict = field(default_factory=dict, repr=False)
    points_cache: dict = field(default_factory=dict, repr=False)  # groupings of an earlier build
    _points_used: dict = field(default_factory=dict, repr=False)
    _owners: dict | None = field(default=None, repr=False)  # account → its person's number

    def points_state(self) -> dict:
        """The groupings this build used, for the next build's `points_cache`."""
        return dict(self._points_used)

    @property
    def named_people(self) -> list[Person]:
        """The people who may be named (the others are only counted)."""
        return [p for p in self.people if p.named]

    @property
    def listed_people(self) -> list[Person]:
        """The People page's list: named people, speakers first."""
        return listed(self.named_people)

    def highlights(self, section: Section, limit: int = 8) -> dict[str, list[Ranked]] | list[Ranked]:
        """A day's or talk's best posts of each kind; a kind's ranked list. Worked out once."""
        memo = (section.type, section.key)
        if memo not in self._highlights:
            self._highlights[memo] = self._best(section, limit)
        return self._highlights[memo]

    def materials(self, section: Section) -> list[Material]:
        """The talk's slides and recordings: the programme's links first, then links that its
        speakers or the event's organisers (`[event] organisers`) shared in posts about the
        talk, oldest first. Posts by anyone else are not taken as the talk's material (a link
        is easy to fake)."""
        talk = section.talk
        if talk is None:
            return []
        found = [Material(link.title, link.url) for link in talk.links]
        allowed = {handle_key(h) for h in [*talk.speaker_handles, *self.organisers]} - {""}
        seen = {m.url for m in found}
        for it in section.items:
            if handle_key(it.post.author.handle) not in allowed:
                continue
            for raw in dict.fromkeys(it.post.links):
                url = safe_url(raw)
                label = material_label(url, it.post.text) if url and url != it.post.url else None
                if label and url not in seen:
                    seen.add(url)
                    found.append(Material(label, url, it))
        return found

    def other_talks(self, talk: Talk) -> dict[str, list[Section]]:
        """Each speaker's other talks (by name or handle), in programme order."""
        if "_by_speaker" not in self._highlights:
            index: dict[str, list[Section]] = defaultdict(list)
            for s in self.talk_sections:
                for key in _speaker_keys(s.talk):
                    index[key].append(s)
            self._highlights["_by_speaker"] = index
        index = self._highlights["_by_speaker"]
        out = {}
        for person in talk.people:
            keys = {"name:" + person.name.casefold()} | {"handle:" + handle_key(h) for h in person.handles}
            others = {id(s): s for k in keys for s in index.get(k, []) if s.talk.id != talk.id}
            out[person.name] = sorted(others.values(), key=lambda s: (s.talk.start, s.title))
        return out

    def key_points(self, section: Section | None = None, limit: int = POINTS) -> list[Point[Item]]:
        """The distinct points of a talk's takeaways; of a day (its talks' points and its
        takeaways outside any talk); of the event (section None). Most supported first."""
        memo = (section.type, section.key) if section else ("event", "")
        if memo not in self._points:
            if section is None:
                found = [p for t in self.talk_sections for p in self._talk_points(t)]
                found += [p for d in self.days for p in self._loose_points(d)]
            elif section.type == "talk":
                found = self._talk_points(section)
            elif section.type == "day":
                talks = {it.talk.id for it in section.items if it.talk and it.kind == "takeaway"}
                found = [p for t in self.talk_sections if t.talk and t.talk.id in talks
                         for p in self._talk_points(t) if p.item.day == section.key]
                found += self._loose_points(section)
            else:
                found = []
            self._points[memo] = sorted(found, key=point_order)
        return self._points[memo][:limit]

    def questions(self, section: Section | None = None, limit: int = QUESTIONS) -> tuple[list[Answered], list[Item]]:
        """(answered questions, open questions) of a section (None: the event). Answered ones
        with a speaker's answer first, then by their best answer's likes; open ones as
        `open_first` orders them."""
        items = section.items if section is not None else self.items
        asked = [it for it in items if it.kind == "question"]
        done = [self.answered[it.post.id] for it in asked if it.post.id in self.answered]
        done.sort(key=lambda a: (not a.by_speaker, -a.best.post.metrics.likes, -len(a.answers),
                                 a.question.post.created_at, a.question.post.id))
        still = [it for it in open_first(asked) if it.post.id not in self.answered]
        return done[:limit], still[:limit]

    def _talk_points(self, section: Section) -> list[Point[Item]]:
        memo = ("talk-all", section.key)
        if memo not in self._points:
            t = section.talk
            # What any post about the talk may name without making a point by it.
            context = " ".join([t.title, *t.speakers, *t.hashtags, *self.hashtags] if t else [section.title])
            self._points[memo] = self._key_points_of([it for it in section.items if it.kind == "takeaway"], context)
        return self._points[memo]

    def _loose_points(self, day: Section) -> list[Point[Item]]:
        memo = ("day-loose", day.key)
        if memo not in self._points:
            self._points[memo] = self._key_points_of([it for it in day.items if it.kind == "takeaway" and not it.talk],
                                                     " ".join(self.hashtags))
        return self._points[memo]

    def _key_points_of(self, items: list[Item], context: str = "") -> list[Point[Item]]:
        """Key points of `items`; their grouping reused from the last build while the posts'
        texts, links and authors are the same (grouping a big event takes seconds)."""
        if not items:
            return []
        memo = _hash(repr((context, [(it.sfp, it.post.url, it.post.links) for it in items])), 10)
        posts = [it.post for it in items]
        index = {it.post.id: i for i, it in enumerate(items)}
        cached = self.points_cache.get(memo)
        try:
            groups = [([index[pid] for pid in ids], {index[pid]: c for pid, c in zip(ids, central)})
                      for ids, central in cached] if cached else None
        except (KeyError, TypeError, ValueError):
            groups = None  # a cache from another version: group again
        if groups is None:
            groups = group_points(posts, context)
        self._points_used[memo] = [[[posts[i].id for i in g], [round(c[i], 6) for i in g]] for g, c in groups]
        return sorted((replace(p, support=self._support(p)) for p in key_points_of(items, context, groups)),
                      key=point_order)

    def _support(self, point: Point[Item]) -> int:
        """How many people made `point`: accounts the People page joins count once (its evidence,
        never a display name alone)."""
        if self._owners is None:
            self._owners = {account_key(it.post): n for n, person in enumerate(self.people) for it in person.items}
        return len({self._owners.get(account_key(m.post), account_key(m.post)) for m in point.members})

    def _best(self, section: Section, limit: int) -> dict[str, list[Ranked]] | list[Ranked]:
        if section.type == "kind":
            if section.key == "takeaway":
                return self.top_takeaways
            order = open_first if section.key == "question" else popular
            return [Ranked(it) for it in order(section.items)[:TOP]]
        by_kind: dict[str, list[Item]] = defaultdict(list)
        for it in section.items:
            by_kind[it.kind].append(it)
        return {
            "takeaway": rank_items(by_kind["takeaway"], limit),
            "question": [Ranked(it) for it in open_first(by_kind["question"])[:limit]],
            "resource": [Ranked(it) for it in popular(by_kind["resource"])[:limit]],
            "shoutout": [Ranked(it) for it in popular(by_kind["shoutout"])[:limit]],
        }


# -- load ------------------------------------------------------------------------------------


def _speaker_keys(talk: Talk) -> set[str]:
    keys = {"name:" + p.name.casefold() for p in talk.people} | {"name:" + n.casefold() for n in talk.speakers}
    handles = [*talk.speaker_handles, *(h for p in talk.people for h in p.handles)]
    return keys | {"handle:" + handle_key(h) for h in handles}


def talk_paths(talks: Iterable[Talk]) -> dict[str, str]:
    """Each talk's page folder (`talks/<slug>/`) by talk id: the id itself when it is a safe
    file name, else a hash; two ids that would share a folder (they differ only in case, as
    one file on macOS and Windows) never do."""
    paths, taken = {}, set()
    for talk in talks:
        slug = file_name(talk.id)
        while slug.lower() in taken:
            slug = "x-" + _hash(slug + "\0" + talk.id, 10)
        taken.add(slug.lower())
        paths[talk.id] = f"talks/{slug}/"
    return paths


def load(config: Config, posts: Iterable[Post], talks: list[Talk], moderation: Any = None,
         kept_out: Counter | None = None) -> list[Item]:
    """Published items, oldest first: blocked posts are left out, as at collection time, and
    so are posts a moderator hid or that wait for review (`moderation`, a moderation.State).
    `kept_out`, when given, counts the blocked and hidden posts by account (`account_key`):
    the People page leaves out accounts that are mostly spam."""
    tz = config.event.tz
    blocker = Blocker(config.blocklist, hold_words=config.moderation.mode == "approve")
    by_id = {t.id: t for t in talks}
    paths = talk_paths(talks)
    items = []
    strict = config.consent.strict
    for post in posts:
        if blocker and blocker.blocks(post):
            if kept_out is not None:
                kept_out[account_key(post)] += 1
            continue
        if strict and post.source == "mastodon" and not post.searchable:
            continue  # consent rules apply at build time too: a stricter rule needs no recollect
        if moderation is not None and not moderation.published(post.id):
            if kept_out is not None and post.id in moderation.hidden:  # held posts wait, not judged yet
                kept_out[account_key(post)] += 1
            continue
        local = post.created_at.astimezone(tz)
        day, hour = local.strftime("%Y-%m-%d %H").split()
        kind = post.kind if post.kind in KIND_TITLES else "other"
        talk = by_id.get(post.talk) if post.talk else None
        fp, sfp = fingerprints(post, kind, day, talk)
        items.append(Item(post, kind, day, hour, local, f"posts/{day}/{hour}/{file_name(post.id)}.html", talk,
                          paths[talk.id] if talk else None, fp, sfp))
    # Archive.posts() yields oldest first already; sorting keeps other iterables right too.
    if any(a.post.created_at > b.post.created_at for a, b in zip(items, items[1:])):
        items.sort(key=lambda it: (it.post.created_at, it.post.id))
    unique_paths(items)
    return items


def file_name(value: str) -> str:
    """`value` itself when it is a safe file name, else a stable hash of it (`x-…`).

    Names starting with `x-` are reserved for hashes (an id that looks like one is hashed
    too), so no post's own id can take another post's file name.
    """
    if _SAFE_NAME.fullmatch(value) and value[:2].lower() != "x-":
        return value
    return "x-" + _hash(value, 10)


def unique_paths(items: list[Item]) -> None:
    """One page per post: ids that differ only in case (one file on macOS and Windows) get
    their hashed name instead, so two posts never share a permalink."""
    seen: set[str] = set()
    for it in items:
        folded = it.path.lower()
        if folded in seen:
            folder = it.path.rsplit("/", 1)[0]
            it.path = f"{folder}/x-{_hash(it.post.id, 10)}.html"
            folded = it.path.lower()
        seen.add(folded)


def fingerprints(post: Post, kind: str, day: str, talk: Talk | None) -> tuple[str, str]:
    """(what a page shows, what the search indexes) about the post, each as a short hash.

    The first changes with anything shown (like counts too); the second only with what
    the in-browser search indexes, so new likes re-render a page without rewriting word lists.
    """
    searched = repr((post.id, post.source, post.author.handle, post.author.name, post.text, post.html,
                     post.lang, post.content_warning, kind, day, talk.id if talk else None,
                     post.searchable, post.named))
    m = post.metrics
    shown = repr((post.url, post.author.url, post.created_at.isoformat(),
                  post.edited_at.isoformat() if post.edited_at else None, post.tags, post.links,
                  [(x.type, x.url, x.preview_url, x.alt) for x in post.media], post.reply_to, post.is_repost,
                  m.likes, m.reposts, m.replies, m.quotes, post.sensitive, post.kind, post.score,
                  post.talk, post.talk_reason))
    return _hash(searched + shown, 8), _hash(searched, 8)


def _hash(text: str, size: int) -> str:
    return hashlib.blake2b(text.encode("utf-8", "surrogatepass"), digest_size=size).hexdigest()


# -- group -----------------------------------------------------------------------------------


def group(items: list[Item], talks: list[Talk], config: Config,
          replies: dict[str, list[Item]] | None = None, kept_out: Counter | None = None) -> Grouped:
    """Sort items into days, talks and kinds, and count what the front page shows.

    `replies` are the published replies of each question (`backchannel.digest.answers.split`):
    a question with an answer among them is answered, the others are open. `kept_out` (from
    `load`) keeps spam accounts off the People page."""
    days: dict[str, Section] = {}
    by_talk: dict[str, list[Item]] = defaultdict(list)
    by_kind: dict[str, list[Item]] = defaultdict(list)
    for it in items:
        if it.day not in days:
            days[it.day] = Section("day", it.day, day_title(it.local), f"days/{it.day}/")
        days[it.day].items.append(it)
        if it.talk:
            by_talk[it.talk.id].append(it)
        by_kind[it.kind].append(it)
    paths = talk_paths(talks)
    talk_sections = [Section("talk", paths[t.id].split("/")[1], t.title, paths[t.id], by_talk.get(t.id, []), talk=t)
                     for t in talks]
    kinds = [Section("kind", k, KIND_TITLES[k], f"kinds/{k}/", by_kind.get(k, [])) for k in KIND_PAGES]
    hidden = set(config.event.hashtags)
    answers = answered(by_kind["question"], replies or {})
    return Grouped(
        items=items, talks=talks, days=list(days.values()), talk_sections=talk_sections, kinds=kinds,
        by_source=dict(Counter(it.post.source for it in items).most_common()),
        people=people(items, talk_sections, kept_out), links=shared_links(items),
        tags=Counter(t for it in items for t in set(it.post.tags) if t not in hidden).most_common(),
        top_takeaways=rank_items(by_kind["takeaway"], TOP),
        open_questions=[it for it in open_first(by_kind["question"]) if it.post.id not in answers][:8],
        answered=answers, organisers=list(config.event.organisers), hashtags=tuple(config.event.hashtags),
    )


def day_title(local: datetime) -> str:
    return f"{local:%A}, {local.day} {local:%B %Y}"


def rank_items(items: Sequence[Item], limit: int) -> list[Ranked[Item]]:
    """The best `limit` of `items`, near-duplicates merged (`backchannel.digest.ranking`)."""
    return rank(items, limit, key=_post_of)


def _post_of(item: Item) -> Post:
    return item.post


def key_points_of(items: Sequence[Item], context: str = "", groups: Groups | None = None) -> list[Point[Item]]:
    """Takeaway items grouped into key points (`backchannel.digest.keypoints`), best first."""
    return key_points(items, context=context, groups=groups, key=_post_of)


def point_order(p: Point[Item]) -> tuple:
    return (-p.support, -p.score, p.item.post.created_at, p.item.post.id)


def popular(items: Sequence[Item]) -> list[Item]:
    return sorted(items, key=lambda it: (-it.engagement, it.post.created_at, it.post.id))


def open_first(items: Sequence[Item]) -> list[Item]:
    """Questions nobody has replied to yet first, the most liked of them first."""
    return sorted(items, key=lambda it: (it.post.metrics.replies > 0, -it.engagement,
                                         it.post.created_at, it.post.id))


def shared_links(items: list[Item]) -> list[SharedLink]:
    """Links posts shared, by how many posts shared them."""
    found: dict[str, SharedLink] = {}
    for it in items:
        own = it.post.url
        for raw in dict.fromkeys(it.post.links):
            url = safe_url(raw)
            if not url or url == own:
                continue
            link = found.get(url)
            if link is None:
                link = found[url] = SharedLink(url, first=it)
            link.posts += 1
            link.people.add(it.post.author.handle or it.post.author.name)
    return sorted(found.values(), key=lambda s: (-s.posts, -len(s.people), s.url))
