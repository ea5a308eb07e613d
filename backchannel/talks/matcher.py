"""Attach each post to the talk it is about, and say why.

    matcher = Matcher(schedule.talks, tz="Europe/Berlin")
    post.talk, post.talk_reason = matcher.match(post)

Every talk a post could belong to collects *evidence*, each piece with a weight and a
sentence for the reader:

=================  ======  ================================================================
evidence           weight  when
=================  ======  ================================================================
hashtag            10 / 6  the post uses the talk's own hashtag ("Hashtag: #x", a field);
                           6 for a tag its abstract or description uses in prose ("follow
                           along with #x"); a tag several talks share counts for less
link               8       the post links to the talk's page
handle             6       the post mentions a speaker's handle (``@ada@example.social``), or
                           links to their profile or to one of their posts (a repost)
handle_name        4       it mentions a handle that spells a speaker's name (``@martak``
                           for Marta Kowalczyk) and no talk has that handle
name           4 / 3.5 / 3 the post names a speaker ("Ada Lovelace"), a person of the item or
                           of a block's line-up in its description ("3. Seabird tags (Fionn
                           Gallagher)"); 3.5 for a first name only one speaker has that is no
                           everyday word ("the talk by Kwame"), or two given names ("Ana
                           Beatriz" of Ana Beatriz Ferreira), at any time; 3 for a first or
                           last name ("Stefan just said ...", "Wimmer says ...", no everyday
                           word) while that speaker is on stage, or
                           next to words of their talk at any time ("las slides de Jorge del
                           Metrobús"); names written in kana, hangul or Cyrillic count as in
                           Latin letters ("ダニエラさん", "혜진 님": `scripts`)
title / words      ≤ 6     the post (or the path of a link in it) uses words distinctive of
                           the talk: BM25 over its title (boosted), abstract, description,
                           track and type, each word
                           weighed by its rarity among the talks and in everyday language
                           (`talk_words`); a long word of another language that begins as a
                           talk's word does counts as it ("accesibilidad", "accessibility");
                           a room's name is no topic ("Salle Érable", not the maple talk),
                           nor is the event's own name (`TalkWords.event_words`)
title_full         6       the post names every distinctive word of the title
kind               2 / 3   "the keynote", "this panel", "a abertura", "基調講演" (not items of
                           several kinds named while none runs: the programme): the one of that
                           kind running (2), else the only one that day (3), else the event's
                           only one of that kind (3: its opening, its panel); a programme
                           that labels no keynote, opening or closing has its items running
                           alone as keynotes, each day's first opening it and its last
                           closing it; not in a post about being there ("the keynote's
                           livestream cut out"), unless the item just ended
reply              4.5     it replies to a post this matcher attached to the talk (a reply
                           without context of its own is about what its parent is about)
repost             4.5     it is a repost (boost) of a post this matcher attached to the talk
author             2       a speaker wrote the post (by handle, a handle that spells their name,
                           or their display name: "Tomás R.", "이서연 Seo-yeon Lee")
author_near        4       a speaker wrote it in the three days before the talk, up to 90 min
                           after it, or up to 12 h after it saying "slides", "my talk", ...;
                           before it, only when it says something of it (a topic, "my talk",
                           its kind, room or start time): "flight delayed" is `author`;
                           or days after it saying "my talk" and naming its weekday ("wrote
                           up my Thursday talk")
during             3       written while the talk ran
overrun            2.5     written up to 20 min after it ended, no other talk begun in that
                           room (1 if the next talk there has begun)
early              1       written up to 10 min before it began
room               3       names the talk's room, written during it (or its overrun), or just
                           before it begins saying one is going there ("off to Hall B", "a
                           caminho da Sala 2": then not for the talk that just ended there),
                           unless the post is about the room itself ("Hall B is freezing") or
                           asks where it is ("Wo ist der Klanglabor?")
track              1 / 2   names its track (2 as a hashtag or "… track"), written during it
only talk          1       written during it while no other talk ran, unless the post is
                           about the event as a whole or about being there (food, queues);
                           after the day's last item ended, only when it says "talk"
same day           1.5     written later the same day (adds to what the post says only)
later              1       written on one of the two days after it (likewise)
=================  ======  ================================================================

Then the evidence is weighed as an attendee would. What a post says about a talk on a
later day counts nothing (a CFP grumble or a campaign's use of the tag the day before is not
about the talk yet), unless it names that day ("Marloes doet vrijdag de keynote", "a whole
talk on it tomorrow") or a speaker wrote it; after its day, what someone else writes naming a weekday still to come
("#argoqc: Stammtisch nächsten Dienstag", "el jueves que viene") is another occasion's, unless it
names the talk's weekday or links to it. A post about the sponsors' booths or the expo
keeps only its speakers' names and handles and links to talk pages ("the sponsor booth is
demoing a eurorack case" is not the Eurorack talk). A
mention of a person (handle, name) in a post written during *another* talk is often a
reference ("as @ada said yesterday"): it then counts 0.6 of its weight, 0.4 next to words
such as "yesterday", "earlier" or "said" (which also discount topic words). When a post says
something that points at one talk, talks that only have timing on their side count half:
a question about this morning's talk asked during the afternoon one is about the
morning's; but a quote while talks run is a speaker's on stage ("« … »" too), and the
words of other talks it recalls count half ("'No copien nuestras ciclovías…' 👏"). Hashtags,
handles and names that more than a quarter of the talks share belong to the event, not
to a talk, and count nothing. The best talk wins when it scores at least 3.5 and 1.5
more than the runner-up, and, when the runner-up too is named by what the post says, at
least twice its score (or, written while the best ran and the runner-up did not, it says
1.5 times as much about the best or names its speaker on stage while the runner-up only
shares topic words; or the best's own speaker wrote it near the talk about its topic and
the runner-up has no person evidence but that speaker's; or it names the best's title of
three or more words whole and not the runner-up's; or it replies to a post about the best and
only shares topic words with the runner-up); otherwise the post belongs to no
talk (only to its day). So timing alone never picks between two parallel talks, and a post naming two
talks ("incident reviews or wasm?") is left alone. A post weighing two talks ("torn
between", "dilemma", "X oder Y?", "both") goes to one only if it names it by more than
topic words (a speaker, its hashtag, page, whole title or kind): the other may be named in
a language its programme does not use; so does a post on clashing talks ("robots or
prices or co-ops", "at the same time", "en même temps"). A list of short items naming
three talks by their topics ("hedges by satellite, bee apps, agroXML"), written while
none of them is on, is a roundup and stays with its day. The reason names the talk and lists the winning
evidence, strongest first.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections import defaultdict
from dataclasses import dataclass, field
from operator import attrgetter, itemgetter
from datetime import date, datetime, timedelta, timezone
from typing import Iterable
from zoneinfo import ZoneInfo

from backchannel.models import Post
from backchannel.sanitize import html_links, url_key
from backchannel.talks.programme import Talk
from backchannel.talks.reading import find_handles
from backchannel.talks.scripts import name_keys, person_keys
from backchannel.talks.distinct_words import (ALIASES, EVENT_WORDS, EXPO_WORDS, GOING_PHRASES, GOING_WORDS,
                                              KIND_WORDS, KINDS, LOGISTICS_WORDS, OWN_TALK_WORDS, PLENARY_KINDS,
                                              TALK_WORDS, TalkWords)
from backchannel.words import STOP, Memo, fold, is_cjk, stem, stems, tokens, words

THRESHOLD = 3.5
MARGIN = 1.5
W_HASHTAG, W_PROSE_TAG, W_LINK, W_HANDLE, W_NAME = 10.0, 6.0, 8.0, 6.0, 4.0
W_WORDS, W_WORDS_MAX, W_TITLE_FULL, W_WORDS_MIN = 2.0, 6.0, 6.0, 1.0
W_AUTHOR, W_AUTHOR_NEAR, W_REPLY = 2.0, 4.0, 4.5
W_KIND_RUNNING, W_KIND_DAY, W_FIRST_NAME = 2.0, 3.0, 3.0
W_DURING, W_OVERRUN, W_SUPERSEDED, W_EARLY = 3.0, 2.5, 1.0, 1.0
W_SAME_DAY, W_LATER = 1.5, 1.0
W_ROOM, W_TRACK, W_TRACK_TAGGED, W_ONLY = 3.0, 1.0, 2.0, 1.0
REFERENCE, REFERENCE_CUED = 0.6, 0.4
ELSEWHERE = 0.5  # timing of a talk the post says nothing about, when it points at another
DOMINANT = 2.0  # a post naming two talks belongs to the first only if it says this much more about it
LOUDER = 1.5  # ... or if it ran then, the other did not, and the post says this much more about it
FIRST_NAME_RARITY = 0.5  # a first name at least this rare in everyday language may name its speaker alone
W_FIRST_UNIQUE = 3.5  # ... when no other speaker of the event has it
INFLECTED_STEM, INFLECTED_ENDING = 5, 3  # "stream" + "ing": the same word
ROUNDUP = 3  # a post naming this many talks by their topics alone is about the event, not one of them
LONG_TITLE = 3  # distinctive words of a title whose every word a post names: it names that talk
SHARED = 0.25  # a tag, handle or name on more than this share of the talks is the event's
AUTHOR_BEFORE, AUTHOR_AFTER, AUTHOR_LATE = timedelta(days=3), timedelta(minutes=90), timedelta(hours=12)
LATER_DAYS = 2  # content evidence is credited on the talk's day and the two days after it
PERSON_KINDS = frozenset(("handle", "handle_name", "name", "author", "author_near"))
CONTENT_KINDS = frozenset(("hashtag", "link", "handle", "handle_name", "name", "title", "words", "title_full",
                           "kind", "reply", "repost"))  # what the post says
TIME_KINDS = frozenset(("during", "overrun", "overrun_free", "early"))
NOW_KINDS = {"during", "overrun_free"}  # the talk was on (or just over, nothing after it) when written
SPEAKER_KINDS = {"handle", "handle_name", "name"}  # the post names a speaker
WORD_KINDS, LATER_KINDS = {"title", "words"}, {"same_day", "later", "overrun", "early"}
_TRAILING = ("room", "track", "author", "same_day", "later", "only")
_ORDER = ("hashtag", "link", "handle", "handle_name", "name", "title_full", "title", "words", "reply", "repost",
          "author_near", "kind", "during", "overrun_free", "overrun", "early", "author", "room", "track", "same_day",
          "later", "only")
# Words that mark a mention as a reference to earlier or elsewhere, in the supported languages.
REFERENCE_CUES = frozenset(stem(t) for w in """
yesterday earlier said mentioned last previous morning remember recalled
gestern vorhin vorher sagte erwähnte letzte
ayer antes dijo mencionó pasada anterior
disait mentionné dernier dernière
ontem disse mencionou passada
gisteren eerder zei noemde vorige
昨日 先日 어제 지난번
""".split() for t in tokens(w))
# A talk's day named ahead ("Marloes doet vrijdag de keynote", "a whole talk on it tomorrow"):
# weekday → its names in the supported languages; CJK as the tokens `words` makes of them.
WEEKDAYS = {stem(fold(w)): day for day, names in enumerate("""
monday montag lunes lundi segunda maandag lunedi måndag poniedziałek 月曜 월요일 周一 期一
tuesday dienstag martes mardi terça dinsdag martedi tisdag wtorek 火曜 화요일 周二 期二
wednesday mittwoch miércoles mercredi quarta woensdag mercoledi onsdag środa 水曜 수요일 周三 期三
thursday donnerstag jueves jeudi quinta donderdag giovedi torsdag czwartek 木曜 목요일 周四 期四
friday freitag viernes vendredi sexta vrijdag venerdi fredag piątek 金曜 금요일 周五 期五
saturday samstag sábado samedi sábado zaterdag sabato lördag sobota 土曜 토요일 周六 期六
sunday sonntag domingo dimanche domingo zondag domenica söndag niedziela 日曜 일요일 周日 期日
""".strip().splitlines()) for w in names.split()}
TOMORROW = frozenset(stem(t) for w in "tomorrow morgen mañana demain amanhã domani imorgon jutro 明日 내일 明天".split()
                     for t in tokens(w))
NEXT = frozenset(stem(t) for w in """next nächsten nächste kommenden viene próximo próxima prochain prochaine
volgende komende prossimo prossima nästa następny 来週 다음 下周""".split() for t in tokens(w))
AFTER_TOMORROW = frozenset(stem(t) for w in "übermorgen overmorgen dopodomani övermorgon pojutrze 明後日 모레 后天".split()
                           for t in tokens(w))
# A post weighing two talks ("torn between cargo bikes and the street design one", "Schatten
# oder Ride-Hailing-Daten?"): the other talk may be named in another language than its
# programme's, so only one is found. Such a post goes to a talk only if it names it by more
# than topic words (a speaker, its hashtag or page, its whole title, its kind).
_CHOICE = re.compile(r"(?i)(?<!\w)(?:torn between|can'?t (?:decide|pick|choose)|dilem+as?|dilemme|undecided|"
                     r"(?:kann|können) mich nicht entscheiden|no (?:me )?puedo decidir|"
                     r"não consigo (?:decidir|escolher)|"
                     r"j'h[ée]site|twijfel|indecis[oa]|non so (?:quale|cosa) scegliere|"
                     r"beides|ambas|ambos|allebei|entrambi|"
                     r"at the same time|clash(?:es|ing)?|zur gleichen zeit|en m[êe]me temps|al mismo tiempo|"
                     r"ao mesmo tempo|tegelijkertijd|allo stesso tempo)(?!\w)"
                     r"|迷[うっ]|悩[むんま]|纠结|犹豫|고민"  # "…か、…か 迷う": CJK words have no spaces around them
                     r"|(?<!\w)(?:(?:or|oder|ou|oppure)\s[^.!?\n]{2,40}(?<!\w)(?:or|oder|ou|oppure)\s"  # "A or B or C"
                     r"|(?:or|oder|ou|o|oppure|или)\s[^.!?\n]{2,60}\?)")  # not Dutch "of": English "of" is everywhere
# A post about the sponsors' booths and the expo is about them, whatever talk's topic or tag the product
# on show shares, unless it names a speaker or a talk's page ("@ada is at the booth").
EXPO_KEEPS = frozenset(("handle", "handle_name", "name", "link"))
STRONG_KINDS = frozenset(("hashtag", "link", "handle", "handle_name", "name", "title_full", "kind", "reply",
                          "repost", "author_near"))
_PATH_SEP = re.compile(r"[-_/.+~%=&#]+")
_DIGITS = re.compile(r"\d+")
# A quote of what is being said ("'No copien nuestras ciclovías…' 👏"): a dozen characters or more
# between quote marks that open after a space and close before one; French guillemets have a
# space inside them ("« une base de données ordinaire aurait suffi »").
# (The mark comes first in the pattern, the space before it is looked back at: a fast search.)
_QUOTE = re.compile(r"""["“„«‘'「『](?<![^\s:(].)(?:(?=\S)[^"“”„«»‘’'「」『』\n]{12,280}(?<=\S)["”“»’'」』]"""
                    r"""|(?<=«)[\s\u00a0\u202f](?=\S)[^«»\n]{12,280}(?<=\S)[\s\u00a0\u202f]»)(?!\w)""")
# Asking where a place is ("where is Sala Coyoacán?", "Wo ist der Klanglabor?", "会場どこ"): a room such a
# post names is one being looked for, not the one the post is written in.
_WHERE = re.compile(r"(?i)(?<!\w)(?:where(?:'s| is)|wo (?:ist|finde)|d[oó]nde (?:est[aá]|queda)|"
                    r"o[uù] (?:est|se trouve)|onde (?:fica|est[aá]|é)|waar (?:is|zit)|dov'?[eè]|"
                    r"gdzie|var (?:är|ligger))(?!\w)|どこ|어디|哪里|在哪")
PLENARY = "keynote"  # "opening keynote", "keynote de clôture": one item; "a keynote and a panel": two
_TAG = re.compile(r"#(\w+)")
_SHORT_MENTION = re.compile(r"(?<![\w@/.])@([a-z0-9_]{2,30})(?![\w@.-]|\.\w)", re.I)
_BUCKET = 300  # seconds per time bucket of the talk index
NOT_ABOUT_A_TALK = EVENT_WORDS | LOGISTICS_WORDS
TALK_NOT_KIND = TALK_WORDS - KIND_WORDS  # "talk", "slides": a kind alone names which item, not what of it
ANNOUNCE_WORDS = TALK_WORDS | OWN_TALK_WORDS | KIND_WORDS  # a speaker's post about their talk says one


# Remembered per word or value (`Memo`): a post's words repeat across posts, and so do scores.
_STEMS = Memo(stem, 200_000)  # token → stem
# stem → whether it can count as a word of the post (no stop word, digit or lone letter)
_COUNTS = Memo(lambda w: w not in STOP and (len(w) > 1 or is_cjk(w)) and not w.isdigit(), 200_000)
# A non-zero float → rounded (`round` is slow; in 10,000 posts of the benchmark 1,115 distinct
# scores and 13,395 distinct word weights among 42,281).
_ROUNDED = Memo(lambda v: round(v, 3), 100_000)
_ROUNDED_WEIGHT = Memo(lambda v: round(v, 2), 100_000)
_WEIGHT, _KIND, _FIRST = attrgetter("weight"), attrgetter("kind"), itemgetter(0)
MAX_CHARS = 20_000  # a long blog entry names its talk near the top; the rest only costs time
MAX_WORDS = 300  # ... and its words past these are not weighed against every abstract
MAX_REMEMBERED = 100_000  # posts whose talk is remembered, for replies to them


@dataclass(slots=True)
class Evidence:
    kind: str  # one of _ORDER
    weight: float
    detail: str = ""  # the tag, handle, name, title words or minutes the sentence shows


_LONG = {  # the strongest evidence names the talk ...
    "hashtag": "uses #{d}, the hashtag of {t}", "link": "links to the page of {t}",
    "handle": "mentions @{d} (speaker of {t})", "name": "names {d} (speaker of {t})",
    "handle_name": "mentions @{d}, by the name {n} (speaker of {t})",
    "kind": "mentions '{d}', and {t} is the one {n}",
    "title": "uses words of the title {t} ({d})", "title_full": "names the title {t}",
    "words": "uses words of the abstract of {t} ({d})", "reply": "replies to a post about {t}",
    "repost": "reposts a post about {t}",
    "during": "written during {t} ({s})", "overrun": "written {d} min after {t} ended ({s})",
    "overrun_free": "written {d} min after {t} ended ({s}), before the next talk there",
    "early": "written just before {t} began ({s})", "author": "is by @{d}, a speaker of {t}",
    "author_near": "is by @{d}, a speaker of {t}, {n}",
    "room": "mentions '{d}', the room of {t}", "track": "mentions the track '{d}' of {t}",
    "same_day": "written later the same day as {t}", "later": "written {d} after {t}",
    "only": "no talk but {t} was running then",
}
_SHORT = {  # ... the others refer to it
    "hashtag": "uses its hashtag #{d}", "link": "links to its page", "handle": "mentions its speaker @{d}",
    "handle_name": "mentions @{d}, by the name its speaker {n}", "kind": "mentions '{d}' ({n})",
    "name": "names its speaker {d}", "title": "uses words of its title ({d})", "title_full": "names its title",
    "words": "uses words of its abstract ({d})", "reply": "replies to a post about it",
    "repost": "reposts a post about it",
    "during": "written during it ({s})", "overrun": "written {d} min after it ended ({s})",
    "overrun_free": "written {d} min after it ended ({s}), before the next talk there",
    "early": "written just before it began ({s})", "author": "is by its speaker @{d}",
    "author_near": "is by its speaker @{d}, {n}",
    "room": "mentions '{d}'", "track": "mentions its track '{d}'", "same_day": "written later that day",
    "later": "written {d} after it", "only": "no other talk was running then",
}


@dataclass
class Candidate:
    """A talk a post may belong to, with what points at it."""

    talk: Talk
    evidence: list[Evidence] = field(default_factory=list)
    span: str = ""  # "Hall A, 10:00–10:45" in the event's time zone
    referenced: bool = False  # mentioned during another talk ("as @ada said", words a live quote recalls)

    @property
    def score(self) -> float:
        total = sum(map(_WEIGHT, self.evidence))
        return _ROUNDED[total] if type(total) is float and total else round(total, 3)  # 0, -0.0, 0.0 apart

    def says(self) -> float:
        """The weight of what the post says about this talk (not when it was written)."""
        return sum([e.weight for e in self.evidence if e.kind in CONTENT_KINDS])

    def reason(self) -> str:
        """One sentence: the strongest evidence naming the talk, then the rest."""
        # Hints (room, track, ...) qualify other evidence: they never lead the sentence.
        ev = sorted(self.evidence, key=lambda e: (e.kind in _TRAILING, -e.weight, _ORDER.index(e.kind)))
        t = f"'{self.talk.title}'"

        def say(table: dict[str, str], e: Evidence) -> str:
            detail, _, more = e.detail.partition("|")  # "ada@example.social|before it began"
            return table[e.kind].format(d=detail, t=t, s=self.span, n=more)

        parts = [say(_LONG, ev[0])] + [say(_SHORT, e) for e in ev[1:]]
        return parts[0] if len(parts) == 1 else ", ".join(parts[:-1]) + " and " + parts[-1]


class Matcher:
    """Matches posts to talks; build once per schedule, then call `match` per post."""

    def __init__(self, talks: Iterable[Talk], tz: str | ZoneInfo | None = None, *,
                 overrun: timedelta = timedelta(minutes=20), early: timedelta = timedelta(minutes=10),
                 timing_alone: bool = True):
        self.talks = list(talks)
        self.by_id = {t.id: t for t in self.talks}
        self.tz = ZoneInfo(tz) if isinstance(tz, str) else (tz or timezone.utc)
        self.overrun, self.early, self.timing_alone = overrun, early, timing_alone
        self.shared = max(2, int(SHARED * len(self.talks)))  # on more talks than this: the event's
        self.words = TalkWords(self.talks)
        self.vocabulary = frozenset(self.words.index) | self.words.bigram_words | ALIASES.keys()
        self.expo_words = EXPO_WORDS - self.vocabulary  # "sponsor" is a topic where a talk is about sponsors
        # ... and "stream" where a title is about streaming: a word of being there that a title's word
        # is, or begins as with an ending, is that talk's topic there (an abstract's "volunteers" is not).
        title_words = frozenset().union(*self.words.titles.values())
        self.not_about_a_talk = NOT_ABOUT_A_TALK - _inflected(NOT_ABOUT_A_TALK, title_words)
        self.cognates = _cognates(self.words.index)
        self.cognate_heads = frozenset(w[:3] for w in self.cognates.values())  # a cheap first test
        # A post's word → its cognate among the talks' words; words known to have none (the talks'
        # own words, and every word looked at before): one set difference leaves a post's few others.
        self._cognate_of: dict[str, str] = {}
        self._no_cognate = set(self.vocabulary)
        self._countable = set(filter(_COUNTS.__getitem__, self.vocabulary))  # what `_words` may count, as a set
        self._index_people()
        # iCalendar's LOCATION may add the venue and city ("Sala 2, Foro Tacubaya, Ciudad de México"):
        # posts name the room, its first part.
        self.rooms = {r: " " + " ".join(tokens(r.split(",")[0])) + " " for r in {t.room for t in self.talks if t.room}}
        self.room_phrases = sorted(set(self.rooms.values()), key=len, reverse=True)
        self.tracks = {r: " " + " ".join(tokens(r)) + " " for r in {t.track for t in self.talks if t.track}}
        self._index_times()
        self.spans = {t.id: self._span(t) for t in self.talks}
        self._start_times: dict[str, re.Pattern] = {}  # talk id → its start time as posts write it
        self.attached: dict[str, str] = {}  # url of a post `match` attached → its talk's id
        self.attached_texts: dict[int, str] = {}  # hash of the text of a post `match` attached → its talk's id
        self.talk_day = {t.id: t.start.astimezone(self.tz).date() for t in self.talks}  # local dates
        last: dict[date, Talk] = {}
        for t in self.talks:
            if (other := last.get(self.talk_day[t.id])) is None or t.end > other.end:
                last[self.talk_day[t.id]] = t
        self.day_ends = {t.id: t.end for t in last.values()}  # the day's last item → its end
        self._index_kinds()

    # --- precomputation -------------------------------------------------------------

    def _index_kinds(self) -> None:
        """(day, kind) → talks: "keynote" on Thursday names these; (None, kind) → the event's
        items of that kind: its only opening, closing or panel is named on other days too."""
        self.kinds: dict[tuple[date | None, str], list[Talk]] = defaultdict(list)
        kinds = {t.id: {KINDS[w] for w in KIND_WORDS & set(words(" ".join(filter(None, (t.kind, t.track, t.title)))))}
                 for t in self.talks}
        # Kinds the programme does not name: the items running alone are the keynotes; a day's
        # first one opens it and its last one closes it.
        alone: dict[date, list[Talk]] = defaultdict(list)
        for t in sorted(self.talks, key=_start):
            if not kinds[t.id] - set(PLENARY_KINDS) and not any(o is not t and o.start < t.end and t.start < o.end
                                                                  for o in self.talks):
                alone[self.talk_day[t.id]].append(t)
        named = {kind for k in kinds.values() for kind in k}
        for day, talks in alone.items():
            if "keynote" not in named:
                for talk in talks:
                    kinds[talk.id].add("keynote")
            if "opening" not in named:
                kinds[talks[0].id].add("opening")
            if "closing" not in named and len(talks) > 1:
                kinds[talks[-1].id].add("closing")
        for talk in self.talks:
            for kind in kinds[talk.id]:
                self.kinds[(self.talk_day[talk.id], kind)].append(talk)
                self.kinds[(None, kind)].append(talk)  # "the panel" the next day: the event's only one

    def _index_people(self) -> None:
        # A lightning block's or a panel's speakers may be listed only in its description
        # ("3. Sargassum tracking (Jean-Baptiste Moreau)"): they are its people too.
        self.people = {t.id: list(dict.fromkeys(t.speakers + (lineup(t.abstract) if _is_block(t) else [])))
                       for t in self.talks}
        self.by_tag: dict[str, list[Talk]] = defaultdict(list)
        self.by_handle: dict[str, list[Talk]] = defaultdict(list)
        self.by_url: dict[str, list[Talk]] = defaultdict(list)
        self.by_name: dict[str, list[Talk]] = defaultdict(list)
        for talk in self.talks:
            for tag in dict.fromkeys(([talk.hashtag] if talk.hashtag else []) + talk.hashtags):
                self.by_tag[tag].append(talk)
            for handle in talk.speaker_handles:
                self.by_handle[handle].append(talk)
            if talk.url:
                self.by_url[url_key(talk.url)].append(talk)
            for name in self.people[talk.id]:
                self.by_name[name].append(talk)
        for table in (self.by_tag, self.by_handle, self.by_name):
            for key in [k for k, v in table.items() if len(v) > self.shared]:
                del table[key]  # the event's own tag, account or organiser
        self.by_name_word: dict[str, list[tuple[str, frozenset[str], list[Talk]]]] = defaultdict(list)
        self.by_full_name: dict[str, list[Talk]] = {}
        for name, talks in self.by_name.items():
            toks = frozenset(words(name))
            if len(toks) >= 2:  # one-word names ("Linus") are too ambiguous on their own
                key = max(toks, key=len)  # any word works; a long one is looked up less
                self.by_name_word[key].append((name, toks, talks))
                self.by_full_name[" ".join(words(name))] = talks
        initials: dict[str, list[str]] = defaultdict(list)  # "tomas r" → the speakers it may be
        for name in self.by_name:
            parts = words(name)
            if len(parts) >= 2:
                initials[f"{parts[0]} {parts[-1][0]}"].append(name)
        self.by_initial = {k: self.by_name[v[0]] for k, v in initials.items() if len(v) == 1}
        self.by_name_key = _name_keys(self.by_name)
        # A word many names share ("Maria", "Speaker"): its names by another of their words (word →
        # positions in its list), so a post naming one does not test every name with that word.
        self._name_seconds: dict[str, dict[str, list[int]]] = {}
        for key, entries in self.by_name_word.items():
            if len(entries) > 8:
                seconds = self._name_seconds[key] = defaultdict(list)
                for i, (_, toks, _) in enumerate(entries):
                    seconds[max(sorted(toks - {key}), key=len)].append(i)
        self.by_last_name = _last_names(self.by_name)
        self._speakers: dict[tuple[str, str], list[Talk]] = {}  # (handle, name) → their talks, remembered
        # First names, as written ("Stefan"): said while that speaker is on stage they name them.
        # One pattern per first name: two speakers called Ana, or one listed twice, count once.
        self.first_names = {t.id: [(first, _word_pattern(first)) for first in _first_names(self.people[t.id])]
                            for t in self.talks}
        # ... and so are last names ("Wimmer säger att ..."), when no everyday word ("Young", "Rose").
        self.stage_names = {tid: firsts + [(last, _word_pattern(last)) for last in _last_names_of(self.people[tid])
                                           if self.words.rarity(_STEMS[fold(last)]) >= FIRST_NAME_RARITY]
                            for tid, firsts in self.first_names.items()}
        # ... and each talk's first names by their word, in the word's order (`_first_names_of_topics`
        # looks at a post's few candidates, not at every speaker called "Maria").
        self.first_words = {tid: sorted([(_STEMS[fold(first)], first, pattern) for first, pattern in firsts],
                                        key=_FIRST) for tid, firsts in self.first_names.items() if firsts}
        self.first_word_set = {w for firsts in self.first_words.values() for w, _, _ in firsts}
        # A first name only one speaker of the event has, and no everyday word ("Kwame", not
        # "Will"): "the talk by Kwame" names them at any time, as a full name does.
        firsts: dict[str, set[str]] = defaultdict(set)
        for name in self.by_name:
            for first in _first_names([name]):
                firsts[first].add(name)
        self.unique_firsts: dict[str, tuple[str, re.Pattern, list[Talk]]] = {}
        for first, names in sorted(firsts.items()):
            key = _STEMS[fold(first)]
            if len(names) == 1 and self.words.rarity(key) >= FIRST_NAME_RARITY and key not in STOP:
                self.unique_firsts[key] = (first, _word_pattern(first), self.by_name[next(iter(names))])
        # Two given names ("Ana Beatriz" of Ana Beatriz Ferreira): together as rare as a whole name.
        pairs: dict[str, set[str]] = defaultdict(set)
        for name in self.by_name:
            parts = name.split()
            if len(parts) >= 3 and parts[0].istitle() and parts[1].istitle() and len(parts[1]) >= 3:
                pairs[" ".join(parts[:2])].add(name)
        for pair, names in sorted(pairs.items()):
            key = _STEMS[fold(pair.split()[1])]
            if len(names) == 1 and key not in self.unique_firsts and key not in STOP:
                self.unique_firsts[key] = (pair, _word_pattern(pair), self.by_name[next(iter(names))])
        # Names as a post in kana, hangul or Cyrillic writes them ("ダニエラさん", "혜진 박사님"): keys
        # of first names (on stage; any time when one speaker has it) and of whole names.
        self.first_keys = {t.id: {person_keys(n)[0]: n.split()[0] for n in self.people[t.id] if len(n.split()) >= 2}
                           for t in self.talks}
        by_first_key: dict[str, set[str]] = defaultdict(set)
        by_whole_key: dict[str, set[str]] = defaultdict(set)
        for name in self.by_name:
            first, whole = person_keys(name)
            if whole and len(first) >= 3:
                by_first_key[first].add(name)
            for key in whole:
                by_whole_key[key].add(name)
        self.unique_first_keys = {k: next(iter(v)) for k, v in by_first_key.items() if len(v) == 1}
        self.whole_keys = {k: next(iter(v)) for k, v in by_whole_key.items() if len(v) == 1}
        # "@ada" without a server: only when one speaker handle has that user name.
        locals_: dict[str, set[str]] = defaultdict(set)
        for handle in self.by_handle:
            locals_[handle.split("@")[0].split(".")[0]].add(handle)
        self.by_local = {k: next(iter(v)) for k, v in locals_.items() if len(v) == 1}

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
        # Each bucket's talks with their start, end, end of overrun, early start and the next talk's
        # start in its room in whole microseconds (`_micros`): a post compares integers, not
        # datetimes it adds to first.
        nxt = {tid: None if start is None else _micros(start) for tid, start in self.next_in_room.items()}
        self.bucket_times = {b: [(t, _micros(t.start), _micros(t.end), _micros(t.end + self.overrun),
                                  _micros(t.start - self.early), nxt[t.id]) for t in talks]
                             for b, talks in self.buckets.items()}

    # --- matching -------------------------------------------------------------------

    def match(self, post: Post) -> tuple[str | None, str | None]:
        """The id of the post's talk and why, or (None, None) when it belongs to its day only."""
        ranked = self.candidates(post)
        if not ranked or ranked[0].score < THRESHOLD:
            return None, None
        if len(ranked) > 1:
            first, second = ranked[0], ranked[1]
            if first.score - second.score < MARGIN:
                return None, None
            if second.says() >= W_WORDS and not second.referenced and first.score < DOMINANT * second.score \
                    and not _running_and_louder(first, second) and not _by_its_speaker(first, second) \
                    and not _in_reply(first, second) \
                    and not (len(self.words.titles[first.talk.id]) >= LONG_TITLE and _full_title(first, second)):
                return None, None  # it names two talks, neither clearly more
        if not any(e.kind in STRONG_KINDS for e in ranked[0].evidence):
            if _CHOICE.search(post.text):
                return None, None  # it weighs two talks, and the other may be named in another language
            if len(ranked) >= ROUNDUP and sum(1 for c in ranked[:ROUNDUP] if _topics(c) >= W_WORDS_MIN) >= ROUNDUP \
                    and not any(e.kind in NOW_KINDS for e in ranked[0].evidence) and _is_list(post.text):
                return None, None  # "hedges by satellite, bee apps, agroXML": a roundup of the day
        if post.url:  # replies to it will be about the same talk
            if len(self.attached) >= MAX_REMEMBERED:
                self.attached.clear()
            self.attached[post.url] = ranked[0].talk.id
        if post.text and not post.is_repost:  # ... and so will reposts of it, which copy its text
            if len(self.attached_texts) >= MAX_REMEMBERED:
                self.attached_texts.clear()
            self.attached_texts[hash(post.text)] = ranked[0].talk.id
        return ranked[0].talk.id, ranked[0].reason()

    def day(self, post: Post) -> date:
        """The local date a post belongs to (in the event's time zone)."""
        return post.created_at.astimezone(self.tz).date()

    def candidates(self, post: Post) -> list[Candidate]:
        """Every talk with some evidence for this post, best first (for `--explain` and tests)."""
        found: dict[str, Candidate] = {}

        def add(talk: Talk, ev: Evidence) -> None:
            cand = found.get(talk.id)
            if cand is None:
                cand = found[talk.id] = Candidate(talk)
            cand.evidence.append(ev)

        text = post.text[:MAX_CHARS] if post.text else ""
        toks = tokens(text)
        joined = " " + " ".join(toks) + " "
        stemmed = stems(joined)
        head = stemmed[:MAX_WORDS]
        tokset = set(head) if len(toks) <= MAX_WORDS else set(stemmed)
        hrefs = html_links(post.html)
        topic_set = tokset
        if said := [phrase for phrase in self.room_phrases if phrase in joined]:
            # "Salle Érable is packed": a room's name says where, not what (not the maple syrup talk).
            kept = joined
            for phrase in said:
                kept = kept.replace(phrase, " ")
            topic = kept.split()
            topic_set = set(map(_STEMS.__getitem__, topic))
            head = list(map(_STEMS.__getitem__, topic[:MAX_WORDS]))
        if post.links or hrefs:  # a link's words say what it is about, in any language
            linked = _link_words(post.links + hrefs)
            head += linked
            tokset.update(linked)
            topic_set.update(linked)
        self._content(post, text, hrefs, tokset, add)
        if post.reply_to and (parent := self.attached.get(post.reply_to)) in self.by_id:
            add(self.by_id[parent], Evidence("reply", W_REPLY))
        if post.is_repost and text and (original := self.attached_texts.get(hash(post.text))) in self.by_id:
            add(self.by_id[original], Evidence("repost", W_REPLY))  # a boost of the speaker's announcement
        self._words(head, topic_set, add)
        self._author(post, tokset, add)
        being_there = not tokset.isdisjoint(self.not_about_a_talk) and tokset.isdisjoint(TALK_NOT_KIND) \
            or bool(said and _WHERE.search(text))  # "Wo ist der Klanglabor?": finding the room, not in it
        named = {tid for tid, cand in found.items() for e in cand.evidence if e.kind == "name"}
        running = self._timing(post.created_at, text, joined, set(post.tags), being_there, named, add)
        if not text.isascii():
            self._scripted_names(text, running, found, add)
        self._first_names_of_topics(found, running, text, tokset, add)
        self._kinds(post.created_at, tokset, running, being_there, add)
        if self.timing_alone and len(running) == 1 and not being_there:
            # One talk on, and the post is not about the event or about being there: about it. Once
            # the day's last item is over, a post is about the day ("fim do dia 1!") unless it says "talk".
            (only,) = running
            if (over := self.day_ends.get(only)) is None or post.created_at < over or not tokset.isdisjoint(TALK_WORDS):
                found[only].evidence.append(Evidence("only", W_ONLY))
        self._idle_author(found, tokset, text, joined)
        self._adjust(found, running, post, tokset)
        if not tokset.isdisjoint(self.expo_words):  # "the sponsor booth is demoing a eurorack case"
            for cand in found.values():
                cand.evidence = [e for e in cand.evidence if e.kind in EXPO_KEEPS]
            found = {tid: cand for tid, cand in found.items() if cand.evidence}
        for cand in found.values():
            cand.span = self.spans[cand.talk.id]
        return sorted(found.values(), key=lambda c: (-c.score, c.talk.start, c.talk.id))

    def _content(self, post: Post, text: str, hrefs: list[str], tokset: set[str], add) -> None:
        tags = {t.lower() for t in post.tags} | ({m.lower() for m in _TAG.findall(text)} if "#" in text else set())
        for tag in sorted(tags):
            talks = self.by_tag.get(tag, [])
            for talk in talks:  # a tag only in the prose may be a community's too (#rust): less
                weight = W_HASHTAG if tag == talk.hashtag else W_PROSE_TAG
                add(talk, Evidence("hashtag", weight / len(talks), tag))
        for url in sorted({url_key(u) for u in post.links + hrefs}):
            for talk in self.by_url.get(url, []):
                add(talk, Evidence("link", W_LINK))
        for handle in self._mentions(text, hrefs, post.links):
            for talk in self.by_handle.get(handle, []):
                add(talk, Evidence("handle", W_HANDLE, handle))
            if handle not in self.by_handle:
                name, talks = self._named_by(handle)
                for talk in talks:
                    add(talk, Evidence("handle_name", W_NAME, f"{handle}|{name}"))
        named = set()
        for w in sorted(tokset & self.by_name_word.keys()):
            for name, need, talks in self._names_with(w, tokset):
                if need <= tokset:
                    for talk in talks:
                        add(talk, Evidence("name", W_NAME, name))
                        named.add(talk.id)
        for w in sorted(tokset & self.unique_firsts.keys()):
            first, pattern, talks = self.unique_firsts[w]
            if pattern.search(text):  # written as a name: capitalised
                for talk in talks:
                    if talk.id not in named:
                        add(talk, Evidence("name", W_FIRST_UNIQUE, first))

    def _first_names_of_topics(self, found: dict[str, Candidate], running: set[str], text: str, tokset: set[str],
                               add) -> None:
        """A speaker's first name next to their talk's topic, at any time ("las slides de Jorge del
        Metrobús" the next day): the name confirms which of the talks with those words it is."""
        if tokset.isdisjoint(self.first_word_set):
            return  # no speaker's first name in the post: most posts
        for tid, cand in found.items():
            if tid in running or tid not in self.first_words:
                continue
            for w, first, pattern in self.first_words[tid]:
                if w not in tokset or any(e.kind == "name" for e in cand.evidence) \
                        or cand.says() < W_WORDS_MIN or not pattern.search(text):
                    continue
                add(cand.talk, Evidence("name", W_FIRST_NAME, first))

    def _scripted_names(self, text: str, running: set[str], found: dict[str, Candidate], add) -> None:
        """Speakers named in kana, hangul or Cyrillic ("ダニエラさん" for Daniela): a whole name, a
        first name only one speaker has, or the first name of a speaker on stage (see `scripts`)."""
        for key, written in name_keys(text).items():
            name = self.whole_keys.get(key) or self.unique_first_keys.get(key)
            weight = W_NAME if key in self.whole_keys else W_FIRST_UNIQUE
            talks = self.by_name.get(name, []) if name else \
                [self.by_id[tid] for tid in sorted(running) if key in self.first_keys[tid]]
            for talk in talks:
                shown = name or self.first_keys[talk.id][key]
                if talk.id in found and any(e.kind == "name" for e in found[talk.id].evidence):
                    continue  # named already (in Latin letters, or twice)
                add(talk, Evidence("name", weight if name else W_FIRST_NAME, f"{shown} as {written}"))

    def _names_with(self, word: str, tokset: set[str]) -> list[tuple[str, frozenset[str], list[Talk]]]:
        """The names keyed by `word` that may all be in `tokset`, in their order in `by_name_word`."""
        entries = self.by_name_word[word]
        seconds = self._name_seconds.get(word)
        if seconds is None:
            return entries
        return [entries[i] for i in sorted(i for w in tokset & seconds.keys() for i in seconds[w])]

    def _mentions(self, text: str, hrefs: list[str], links: list[str]) -> list[str]:
        handles = find_handles(text) if "@" in text or "bsky.app" in text else []
        for href in hrefs + links:
            handles += [h for h in find_handles(href) if h not in handles]
        for m in _SHORT_MENTION.finditer(text) if "@" in text else ():
            full = self.by_local.get(m.group(1).lower())
            if full and full not in handles:
                handles.append(full)
        return handles

    def _words(self, head: list[str], tokset: set[str], add) -> None:
        """Distinctive words of a talk's title and abstract (BM25, see `talk_words`) among the
        post's first words (`head`, stemmed); a full title anywhere in it (`tokset`)."""
        # Only words some talk's text has can count (the index, title pairs, short forms).
        post_words = self._countable.intersection(head)
        # The same word in another language ("accesibilidad", "accessibility"): see `_cognates`.
        for w in tokset - self._no_cognate:
            c = self._cognate_of.get(w) or self._cognate(w)
            if c:
                post_words.add(c)
        pairs = []
        if len(post_words & self.words.bigram_words) >= 2:  # two title words: are they side by side?
            seq = list(filter(_COUNTS.__getitem__, head))
            pairs = list(filter(self.words.bigrams.__contains__, zip(seq, seq[1:])))
        post_words.update(a for w in post_words & ALIASES.keys() for a in ALIASES[w])
        titles = self.words.titles
        for tid, (score, matched, in_title) in self.words.score(post_words, pairs, W_WORDS_MIN / W_WORDS).items():
            weight = min(W_WORDS_MAX, W_WORDS * score)
            if weight < W_WORDS_MIN:
                continue
            talk = self.by_id[tid]
            if len(titles[tid]) >= 2 and titles[tid] <= tokset:
                add(talk, Evidence("title_full", max(weight, W_TITLE_FULL)))
            else:
                kind = "title" if in_title else "words"
                add(talk, Evidence(kind, _ROUNDED_WEIGHT[weight], ", ".join(matched[:4])))  # weight ≥ 1

    def _cognate(self, word: str) -> str:
        """The talks' word a word new to this matcher is a cognate of, or "" (see `_cognates`); remembered."""
        if len(self._no_cognate) + len(self._cognate_of) > 200_000 + len(self.vocabulary):
            self._cognate_of, self._no_cognate = {}, set(self.vocabulary)  # bounded memory on endless new words
        c = self.cognates.get(_cognate_key(word), "") if len(word) >= COGNATE and word[:3] in self.cognate_heads else ""
        if c:
            self._cognate_of[word] = c
        else:
            self._no_cognate.add(word)
        return c

    def _author(self, post: Post, tokset: set[str], add) -> None:
        """A speaker's own post: announcing the talk before it, sharing slides after it."""
        author = (post.author.handle or "").lower().lstrip("@")
        key = (author, post.author.name)
        talks = self._speakers.get(key)
        if talks is None:
            talks = self.by_handle.get(author, [])
            if not talks and author:
                talks = self._named_by(author)[1]
            if not talks and post.author.name:
                talks = self._by_display_name(post.author.name)
            if len(self._speakers) > 100_000:
                self._speakers.clear()
            self._speakers[key] = talks
        if not talks:
            return
        shown = author or post.author.name
        when = post.created_at
        after = AUTHOR_LATE if tokset & OWN_TALK_WORDS else AUTHOR_AFTER  # "slides from my talk" that evening
        near = [t for t in talks if t.start - AUTHOR_BEFORE <= when < t.end + after]
        if not near and tokset & OWN_TALK_WORDS and tokset & WEEKDAYS.keys():  # "wrote up my Thursday talk"
            named = {WEEKDAYS[w] for w in tokset & WEEKDAYS.keys()}
            near = [t for t in talks if t.end <= when < t.end + timedelta(days=7)
                    and self.talk_day[t.id].weekday() in named]
        nearest = min(near, key=lambda t: abs((t.start - when).total_seconds())) if near else None
        for talk in talks:
            if talk is nearest:
                if talk.end + after <= when:
                    how = "naming its day"
                elif when < talk.start:
                    how = "before it began"
                elif when < talk.end:
                    how = "while it ran"
                else:
                    how = f"{int((when - talk.end).total_seconds() // 60)} min after it ended"
                add(talk, Evidence("author_near", W_AUTHOR_NEAR, f"{shown}|{how}"))
            else:
                add(talk, Evidence("author", W_AUTHOR, shown))

    def _by_display_name(self, name: str) -> list[Talk]:
        """A speaker's talks by an author's display name: the whole name, a speaker's name within
        it ("이서연 Seo-yeon Lee", "Ada Lovelace 🌊"), or a first name and initial ("Tomás R.")."""
        parts = words(name[:200])[:12]  # a display name, not a biography
        for size in range(len(parts), 1, -1):
            for i in range(len(parts) - size + 1):
                found = self.by_full_name.get(" ".join(parts[i:i + size]))
                if found:
                    return found
        if len(parts) == 2 and len(parts[1]) == 1:
            return self.by_initial.get(" ".join(parts), [])
        return []

    def _named_by(self, handle: str) -> tuple[str, list[Talk]]:
        """The speaker a handle's user name spells ("martak", "anabeltran", "cdubois"), if one does."""
        user = handle.split("@")[0] if "@" in handle else handle.split(".")[0]
        key = re.sub(r"[._\-\d]+", "", fold(user))
        found = self.by_name_key.get(key)
        if found:
            return found
        for part in re.split(r"[._\-\d]+", fold(user)) if key != fold(user) else ():  # "treis_lab": treis
            found = self.by_name_key.get(part)
            if part != key and found and part not in fold(found[0]).split():  # not a bare first or last name
                return found
        # A short first name and the last: "isamoura" for Isabela Moura, "valeruiz" for Valentina Ruiz.
        for cut in range(2, len(key) - 3):
            for first, name in self.by_last_name.get(key[cut:], ()):
                if first.startswith(key[:cut]) and len(self.by_last_name[key[cut:]]) == 1:
                    return name, self.by_name[name]
        return "", []

    def _kinds(self, when: datetime, tokset: set[str], running: set[str], being_there: bool, add) -> None:
        """ "the keynote", "this panel": the one of that kind running now, else the only one that day.
        A post about being there names a kind to say where it is ("the keynote's livestream cut out",
        "パネル、通訳の音量が…"): that names no item, unless it just ended ("left the opening, now coffee")."""
        if KIND_WORDS.isdisjoint(tokset):
            return
        named = {KINDS[w]: w for w in sorted(KIND_WORDS & tokset, reverse=True)}  # kind → the post's word
        if not running and len({PLENARY if k in PLENARY_KINDS else k for k in named}) >= 2:
            return  # "keynotes, talleres, paneles y lightning talks", written after: the programme, no one item
        for kind, w in sorted(named.items()):
            talks = self.kinds.get((when.astimezone(self.tz).date(), kind), [])
            now = [t for t in talks if t.id in running]
            if being_there:
                if len(now) == 1 and now[0].end <= when:
                    add(now[0], Evidence("kind", W_KIND_RUNNING, f"{w}|running then"))
            elif len(now) == 1:
                add(now[0], Evidence("kind", W_KIND_RUNNING, f"{w}|running then"))
            elif len(talks) == 1:
                add(talks[0], Evidence("kind", W_KIND_DAY, f"{w}|of that day"))
            elif not talks and not running and len(event := self.kinds.get((None, kind), [])) == 1:
                add(event[0], Evidence("kind", W_KIND_DAY, f"{w}|of the event"))

    def _timing(self, when: datetime, text: str, joined: str, tags: set[str], being_there: bool, named: set[str],
                add) -> set[str]:
        """Evidence from when the post was written (and room/track hints); returns running talks."""
        # "Hall B is freezing": a post about the room itself says nothing about the talk in it.
        rooms = set() if being_there else {r for r, phrase in self.rooms.items() if phrase in joined}
        tracks = {r for r, phrase in self.tracks.items() if phrase in joined}
        running: list[Talk] = []
        ahead: set[str] = set()  # rooms someone is going to just before their next talk begins
        going = bool(rooms) and (not GOING_WORDS.isdisjoint(joined.split()) or any(p in joined for p in GOING_PHRASES))
        now = _micros(when)
        for talk, start, end, overrun, early, nxt in self.bucket_times.get(int(when.timestamp()) // _BUCKET, ()):
            if start <= now < end:
                add(talk, Evidence("during", W_DURING))
                running.append(talk)
            elif end <= now < overrun:
                after = str((now - end) // 60_000_000)  # whole minutes
                if nxt is not None and nxt <= now:  # the next talk there has begun: a weak hint only
                    add(talk, Evidence("overrun", W_SUPERSEDED, after))
                    continue
                add(talk, Evidence("overrun_free", W_OVERRUN, after))
                running.append(talk)
            elif early <= now < start:
                add(talk, Evidence("early", W_EARLY))
                if talk.room in rooms and going:  # "off to Hall B": for what begins there
                    add(talk, Evidence("room", W_ROOM, talk.room.lower()))
                    ahead.add(talk.room)
        for talk in running:
            for first, pattern in [] if talk.id in named else self.stage_names[talk.id]:  # full name: counted
                if first in text and pattern.search(text):  # "Stefan just said ...", "Wimmer says ..."
                    add(talk, Evidence("name", W_FIRST_NAME, first))
            if talk.room in rooms and (talk.room not in ahead or when < talk.end):
                add(talk, Evidence("room", W_ROOM, talk.room.lower()))
            if talk.track in tracks and not KIND_WORDS & set(words(talk.track)):
                phrase = self.tracks[talk.track]
                tagged = phrase.replace(" ", "") in tags or f"{phrase}track " in joined
                add(talk, Evidence("track", W_TRACK_TAGGED if tagged else W_TRACK, talk.track))
        return {t.id for t in running}

    def _idle_author(self, found: dict[str, Candidate], tokset: set[str], text: str, joined: str) -> None:
        """A speaker's post before their talk announces it only if it says something about it (a
        topic, "my talk", "lightning", its room or time): "flight delayed" the day before does not."""
        if tokset.isdisjoint(ANNOUNCE_WORDS):
            for cand in found.values():
                for e in cand.evidence:
                    if e.kind == "author_near" and e.detail.endswith("|before it began") and cand.says() < W_WORDS_MIN \
                            and not self._room_or_time(cand.talk, text, joined):
                        e.kind, e.weight, e.detail = "author", W_AUTHOR, e.detail.partition("|")[0]

    def _room_or_time(self, talk: Talk, text: str, joined: str) -> bool:
        """The post names the talk's room or its start time ("10:45", "10h45")."""
        if talk.room and self.rooms[talk.room] in joined:
            return True
        pattern = self._start_times.get(talk.id)
        if pattern is None:
            start = talk.start.astimezone(self.tz)
            times = (f"{start:%H:%M}", f"{start.hour}:{start:%M}", f"{start.hour}h{start:%M}") if start.minute else \
                (f"{start:%H:%M}", f"{start.hour}:00", f"{start.hour}h", f"{start.hour} h", f"{start.hour}am",
                 f"{start.hour}pm")
            pattern = self._start_times[talk.id] = re.compile(
                r"(?<!\d)(?:" + "|".join(map(re.escape, times)) + r")(?!\d)", re.I)
        return bool(pattern.search(text))

    def _adjust(self, found: dict[str, Candidate], running: set[str], post: Post, tokset: set[str]) -> None:
        """Discount references made during another talk, talks of later days and timing the post
        says nothing about; credit talks the post names after they ended."""
        cued = not tokset.isdisjoint(REFERENCE_CUES)
        own = not tokset.isdisjoint(OWN_TALK_WORDS)
        day = post.created_at.astimezone(self.tz).date()
        kinds = {tid: set(map(_KIND, cand.evidence)) for tid, cand in found.items()}
        ahead = {WEEKDAYS[w] for w in tokset & WEEKDAYS.keys()}  # weekdays the post names
        tomorrow = day + timedelta(days=1) if not tokset.isdisjoint(TOMORROW) else None
        nxt = not tokset.isdisjoint(NEXT)  # "nächsten Dienstag", "el jueves que viene"
        if not tokset.isdisjoint(AFTER_TOMORROW):  # "Übermorgen im Klanglabor"
            tomorrow = day + timedelta(days=2)
        # A quote while talks run is of a speaker on stage, whatever other talk its words recall.
        live_quote = None if running and not cued else False  # looked for when a talk's words could be recalled
        pointed = False
        not_yet: list[str] = []  # talks of a later day the post does not name that day of
        for tid, cand in found.items():
            has = kinds[tid]
            by_speaker = "author" in has or "author_near" in has or "repost" in has  # or a boost of their post
            talk_day = self.talk_day[tid]
            if talk_day > day and not by_speaker and talk_day != tomorrow \
                    and not (talk_day.weekday() in ahead and talk_day - day < timedelta(days=7)):
                not_yet.append(tid)  # "my CFP on feature flags got rejected", the day before: not the talk yet
                continue
            if talk_day < day and ahead and not by_speaker and talk_day.weekday() not in ahead \
                    and has.isdisjoint(("link", "reply", "repost")) and (nxt or ahead - _weekdays(talk_day, day)):
                not_yet.append(tid)  # "#argoqc: Stammtisch nächsten Dienstag", after the talk: another occasion
                continue
            if running and tid not in running and has.isdisjoint(TIME_KINDS):
                for e in cand.evidence:
                    if e.kind in PERSON_KINDS and not by_speaker:
                        e.weight *= REFERENCE_CUED if cued else REFERENCE
                        cand.referenced = True
                    elif cued and e.kind in ("words", "title"):  # "as Ada said yesterday, measure recall"
                        e.weight *= REFERENCE_CUED
            if live_quote is not False and tid not in running and has <= WORD_KINDS \
                    and (live_quote := live_quote or bool(_QUOTE.search(post.text or ""))):
                for e in cand.evidence:
                    e.weight *= ELSEWHERE
                cand.referenced = True  # recalled, not about it: no credit for being later that day
                continue
            # Something names a talk: what the post says, or its speaker sharing "slides", "my talk".
            pointed = pointed or (not cand.referenced and not has.isdisjoint(CONTENT_KINDS)
                                  and cand.says() >= W_WORDS_MIN) or (own and "author_near" in has)
        for tid in not_yet:
            del found[tid]
        for tid, cand in found.items():
            says = cand.says() if not kinds[tid].isdisjoint(CONTENT_KINDS) else 0  # timing only: nothing said
            if not says:
                if pointed:
                    for e in cand.evidence:
                        if e.kind in TIME_KINDS or e.kind == "only":
                            e.weight *= ELSEWHERE
                continue
            if cand.referenced or cand.talk.end > post.created_at or not kinds[tid].isdisjoint(TIME_KINDS):
                continue
            talk_day = self.talk_day[tid]
            if talk_day == day:
                cand.evidence.append(Evidence("same_day", W_SAME_DAY))
            elif (days := (day - talk_day).days) <= LATER_DAYS:
                cand.evidence.append(Evidence("later", W_LATER, f"{days} day" + ("s" if days != 1 else "")))

    def _span(self, talk: Talk) -> str:
        """Where and when, for reasons: "Hall A, 10:00–10:45" in the event's time zone."""
        start, end = talk.start.astimezone(self.tz), talk.end.astimezone(self.tz)
        times = f"{start:%H:%M}–{end:%H:%M}"
        return f"{talk.room}, {times}" if talk.room else times


def match(post: Post, talks: Iterable[Talk], tz: str | ZoneInfo | None = None) -> tuple[str | None, str | None]:
    """Match one post (builds a `Matcher` each call: use `Matcher` for many posts)."""
    return Matcher(talks, tz).match(post)


def _last_names_of(names: list[str]) -> list[str]:
    """The speakers' last names as written ("Wimmer"), each once, none that is also a first name here."""
    firsts = set(_first_names(names))
    lasts = [n.split()[-1] for n in names if len(n.split()) >= 2]
    return list(dict.fromkeys(x for x in lasts if len(x) >= 4 and x.istitle() and x not in firsts))


def _first_names(names: list[str]) -> list[str]:
    """The speakers' first names as written ("Stefan"), each once."""
    firsts = [n.split()[0] for n in names if len(n.split()) >= 2]
    return list(dict.fromkeys(f for f in firsts if len(f) >= 3 and f.istitle()))


_LINEUP = re.compile(r"(?m)^[ \t]*(?:\d{1,2}[.)]|[-–•*])[ \t]+\S.*\(([^()\d@/:]{3,60})\)[ \t.]*$")
_NAME = re.compile(r"[^\W\d_][\w'’.-]*")


def _is_block(talk: Talk) -> bool:
    """A lightning-talk block or a panel (by its type, track or title), whose description may list
    its speakers; an ordinary abstract's "1. Introduction (Part One)" names nobody."""
    kinds = {KINDS[w] for w in KIND_WORDS & set(words(" ".join(filter(None, (talk.kind, talk.track, talk.title)))))}
    return bool(kinds & {"lightning", "panel"})


def lineup(text: str) -> list[str]:
    """Names of a block's speakers listed in its description, one item a line:
    "1. A €30 hydrophone from a kitchen funnel (Duarte Lopes)" → Duarte Lopes; at least two."""
    names = []
    for m in _LINEUP.finditer(text or "") if "(" in (text or "") else ():
        parts = m.group(1).split()
        if 2 <= len(parts) <= 4 and all(_NAME.fullmatch(p) and (p[0].isupper() or p in ("de", "da", "van", "von"))
                                        for p in parts):
            names.append(" ".join(parts))
    return names if len(names) >= 2 else []


def _word_pattern(word: str) -> re.Pattern:
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)")


def _start(talk: Talk) -> datetime:
    return talk.start


_EPOCH, _NAIVE_EPOCH = datetime(1970, 1, 1, tzinfo=timezone.utc), datetime(1970, 1, 1)
_MICROSECOND = timedelta(microseconds=1)


def _micros(moment: datetime) -> int:
    """A moment as whole microseconds since 1970: ordered exactly as the datetimes are."""
    return (moment - (_EPOCH if moment.tzinfo else _NAIVE_EPOCH)) // _MICROSECOND


def _running_and_louder(first: Candidate, second: Candidate) -> bool:
    """Written while the first talk ran, about it clearly more than about a talk not running then
    ("@ada closing the day perfectly" names a word of this morning's title too): the first."""
    now = {e.kind for e in first.evidence} & NOW_KINDS
    if not now or {e.kind for e in second.evidence} & NOW_KINDS:
        return False
    if {e.kind for e in first.evidence} & SPEAKER_KINDS and {e.kind for e in second.evidence} <= WORD_KINDS | LATER_KINDS:
        return True  # "great idea from @mariana" while she is on stage: her talk, whatever its words
    return first.says() >= LOUDER * second.says()


_SENTENCE = re.compile(r"[.!?\n]")
_ITEM = re.compile(r"[,;]")


def _weekdays(first: date, last: date) -> set[int]:
    """The weekdays from `first` to `last`, both included (days a post after a talk looks back on)."""
    return {(first + timedelta(days=i)).weekday() for i in range(min(7, (last - first).days + 1))}


def _inflected(known: frozenset[str], vocabulary: frozenset[str]) -> set[str]:
    """The words of `known` in `vocabulary`, as they are or with an ending ("stream": "streaming")."""
    ordered = sorted(vocabulary)
    found = set(known & vocabulary)
    for w in known:
        if len(w) >= INFLECTED_STEM:
            i = bisect_left(ordered, w)
            if i < len(ordered) and ordered[i].startswith(w) and len(ordered[i]) - len(w) <= INFLECTED_ENDING:
                found.add(w)
    return found


def _is_list(text: str) -> bool:
    """A sentence listing short items ("Fazit: Hecken per Satellit, Bienen-Apps, Reparaturrecht, agroXML")."""
    for sentence in _SENTENCE.split(text[:MAX_CHARS]):
        items = _ITEM.split(sentence)
        if len(items) >= 3 and all(2 <= len(item.strip()) <= 30 for item in items[1:-1]):
            return True
    return False


def _topics(cand: Candidate) -> float:
    """The weight of the talk's words the post uses (its title's, its abstract's)."""
    return 0.0 if cand.referenced else sum(e.weight for e in cand.evidence if e.kind in WORD_KINDS)


def _in_reply(first: Candidate, second: Candidate) -> bool:
    """A reply to a post about the first talk, the second only sharing topic words ("ask them whether
    the CRA makes things worse for hobby maintainers" under the panel's thread): the first."""
    return any(e.kind == "reply" for e in first.evidence) and {e.kind for e in second.evidence} <= WORD_KINDS | LATER_KINDS


def _full_title(first: Candidate, second: Candidate) -> bool:
    """The post names the first talk's whole title (a long one: "Museus no Fediverso" may be a topic's
    name), and only words of the second's."""
    return any(e.kind == "title_full" for e in first.evidence) and not any(e.kind == "title_full" for e in second.evidence)


def _by_its_speaker(first: Candidate, second: Candidate) -> bool:
    """Written by the first talk's speaker near it, about its topic, the second only sharing some
    words ("On stage in two minutes: who owns the ocean's data" names another title's words too)."""
    return any(e.kind == "author_near" for e in first.evidence) and first.says() >= W_WORDS_MIN \
        and not any(e.kind in PERSON_KINDS - {"author"} for e in second.evidence)  # "author": their other talk


def _name_keys(by_name: dict[str, list[Talk]]) -> dict[str, tuple[str, list[Talk]]]:
    """User names a speaker's handle is likely to have → (name, talks): "Marta Kowalczyk" →
    martakowalczyk, marta_k, martak, mkowalczyk, marta, kowalczyk (keys two names share are dropped)."""
    keys: dict[str, set[str]] = defaultdict(set)
    for name in by_name:
        parts = [re.sub(r"[^\w]", "", p) for p in fold(name).split()]
        parts = [p for p in parts if p]
        if len(parts) < 2:
            continue
        first, last = parts[0], parts[-1]
        for key in (first + last, "".join(parts), first + last[0], first[0] + last, last + first, first, last):
            if len(key) >= 4:
                keys[key].add(name)
    return {k: (next(iter(v)), by_name[next(iter(v))]) for k, v in keys.items() if len(v) == 1}


def _last_names(by_name: dict[str, list[Talk]]) -> dict[str, list[tuple[str, str]]]:
    """Last name (folded, 4 letters or more) → (first name, name) of the speakers who have it."""
    out: dict[str, list[tuple[str, str]]] = defaultdict(list)
    for name in by_name:
        parts = [p for p in (re.sub(r"[^\w]", "", p) for p in fold(name).split()) if p]
        if len(parts) >= 2 and len(parts[-1]) >= 4 and len(parts[0]) >= 3:
            out[parts[-1]].append((parts[0], name))
    return out


COGNATE = 7  # words this long that begin alike (after `_cognate_key`) are one word in two languages
_DOUBLED = re.compile(r"(.)\1")
_Y_K, _FIRST_GROUP = str.maketrans("yk", "ic"), itemgetter(1)  # (a Match's group 1: no template to expand)


def _cognate_key(word: str) -> str:
    """The first six letters of a word once spelling habits are undone: doubled letters, ph, th,
    y, k ("accessibility" and "accesibilidad" → acesib, "electric" and "eléctricos" → electr)."""
    if not (word.isalpha() and word.isascii()):
        return ""
    word = word.replace("ph", "f").replace("th", "t").translate(_Y_K)[:12]  # 12 letters give the first 6
    return _DOUBLED.sub(_FIRST_GROUP, word)[:6] if _DOUBLED.search(word) else word[:6]


def _cognates(index: Iterable[str]) -> dict[str, str]:
    """Cognate key → the one indexed word of that key (keys two indexed words share are dropped:
    "communication" and "community" begin alike and are not one word)."""
    found: dict[str, set[str]] = defaultdict(set)
    for w in index:
        if len(w) >= COGNATE and (key := _cognate_key(w)):
            found[key].add(w)
    return {k: next(iter(v)) for k, v in found.items() if len(v) == 1}


def _link_words(urls: list[str]) -> list[str]:
    """Words of links' paths ("…/talks/whales-from-space" → talks whales from space), no ids."""
    out: list[str] = []
    for url in dict.fromkeys(urls[:5]):
        path = url.split("://", 1)[-1].partition("/")[2].partition("?")[0][:200]
        # Words only: ids go, and a word's digits too ("metrobus20.pdf" → metrobus).
        out += [_STEMS[t] for t in tokens(_DIGITS.sub(" ", _PATH_SEP.sub(" ", path))) if t.isalpha()] if path else []
    return out



__all__ = ["Matcher", "Candidate", "Evidence", "match"]
