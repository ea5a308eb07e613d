"""How distinctive a post's words are for each talk: BM25 over everything a talk's entry says.

    index = TalkWords(talks)
    for talk_id, score, words in index.score(content_words(post.text)):
        ...  # score 1.0 ≈ one word that only this talk's abstract uses

Each talk is one document: its title and subtitle (counted three times, as people quote
titles), abstract, description, track and type. Speaker names and the talk's own hashtags
are left out (they are evidence of their own), so a programme that repeats the speakers in
its description (iCalendar) scores like one that lists them apart (JSON). A word is worth
its inverse document frequency among the talks, so "vector" in a programme with one
vector talk counts much more than "security" in a programme with ten, and less the more
common it is in any supported language (word frequencies from `wordfreq`, accents folded):
"honest" or "morning" in one abstract are no reason to think a post is about that talk,
"copyleft" is. Two title words next to each other in a post ("small web", "feature flags")
count one more. Scores are divided by the worth of a rare word only one talk uses, so they
read the same for 9 talks or 900.

The module also holds the few word lists the matcher needs to read a post like an
attendee: posts about the event as a whole, and about being there (food, queues, wifi).
"""

from __future__ import annotations

import math
import re
from collections import Counter, defaultdict
from typing import Iterable

from backchannel.talks.programme import Talk
from backchannel.words import STOP, content_words, fold, stem, tokens, words

K1, B = 1.2, 0.5  # BM25 saturation and length normalisation (abstracts vary a lot in length)
TITLE_BOOST = 3  # a title word counts as this many abstract words
TOP = 5  # talks scored per post
FLOOR = 0.35  # a word worth less than a third of a rare, distinctive one is not indexed
COMMON_SHARE = 0.12  # a word in more than this share of the talks (and 3 or more) is not distinctive
Z_COMMON, Z_RARE = 5.5, 3.5  # Zipf frequencies: a word this common counts nothing, this rare fully
BIGRAM = 1.0  # two adjacent title words in the post add this much
LANGS = ("en", "de", "es", "fr", "pt", "nl", "it", "ja")  # languages whose word frequencies are read

# Words every programme and every post use; distinctive among talks by accident only.
GENERIC = frozenset(stem(t) for w in """
also really very much many well like lot lots good best better nice cool amazing awesome love loved
one two three first second next last other way ways thing things part people person everyone
here now just still make makes making made get gets got see seen look looking know learn learned
learning think thought want need needs show shows shown share shared sharing speaker speakers
slides slide question questions answer audience room hall stage live stream video recording
time times day days year years minute minutes hour hours start started end ended
introduction intro overview outlook lessons lesson story stories case practical hands
open source free tool tools work works working team teams project projects world
can't don't it's i'm we're you're that's what's
auch sehr viel viele gut toll neue neuen heute jetzt hier gibt mal schon
muy mucho bien bueno nueva nuevo aquí ahora hay
très bien bon bonne nouveau nouvelle ici maintenant
muito bem bom boa novo nova aqui agora
""".split() for t in tokens(w))

# A post about the event as a whole, not the talk on stage ("what a conference!"). Not "everyone",
# "alle", "todos": "everyone clapped", "danke an alle im Saal" are about the talk.
EVENT_WORDS = frozenset(stem(t) for w in """
conference conf event organisers organizers organizing organising volunteers
attendees week edition sponsors sponsor
konferenz veranstaltung tagung orga organisation
conferencia evento organizadores
conférence événement évènement organisateurs
conferência evento organizadores
conferentie evenement organisatie
organização organización organisation organizzazione
カンファレンス イベント
컨퍼런스 콘퍼런스 행사 학회 운영진 주최측 자원봉사자
""".split() for t in tokens(w))

# Being there rather than listening: food, queues, wifi, travel, the next break.
LOGISTICS_WORDS = frozenset(stem(t) for w in """
coffee lunch breakfast dinner food snack snacks pizza queue line wifi password badge lanyard
registration cloakroom toilet toilets restroom bathroom shuttle bus taxi train flight airport
parking hotel party afterparty drinks beer tonight tomorrow swag sticker stickers merch booth expo charger
raffle chair chairs seat seats building stairs floor freezing cold warm heating jumper sweater water
livestream stream streaming headset headphones interpreting interpretation captions subtitles
transmissão transmisión übertragung kopfhörer fone auriculares casque dolmetschen simultânea simultánea
interpretação interpretación interprétation dolmetscher untertitel legendas
sous-titres subtítulos sottotitoli verdolmetschung dolmetschung intérprete intérpretes interprète interprete
字幕 通訳 同時通訳 配信 同传 直播 翻译耳机 传译 同声传译
tolkning tolkningen tolken undertexter textningen
break intervalo pausa pause kaffeepause mittagspause descanso
cold froid frío frio kalt clim climatisation aircon chaud calor
hot heat overheated stuffy sauna degrees window windows heiß heiss hitze stickig fenster
caliente sofocante ventana grados chaleur surchauffé surchauffée étouffant suffoque fenêtre degrés
quente abafado janela graus caldo afoso finestra gradi benauwd raam graden
cadeira cadeiras silla sillas chaise chaises stuhl stühle
suéter jersey pullover pull casaco chaqueta jacke congelada congelado gelada gelado helada eiskalt glacial
outlet outlets enchufe enchufes tomada tomadas steckdose steckdosen stopcontact
kaffee mittagessen essen frühstück abendessen schlange wlan toilette zug flug hotel party bier
café almuerzo comida cena desayuno cola contraseña baño tren vuelo fiesta cerveza
déjeuner dîner repas file toilettes navette vol fête bière
almoço jantar lanche fila banheiro voo festa cerveja
koffie lunch eten rij trein feest bier borrel
コーヒー ランチ 昼食 懇親会 ビール
커피 점심 저녁 와이파이 화장실 라이브스트림 스트리밍 자막 통역 헤드셋 이어폰 의자 휴식 비행기 호텔
""".split() for t in tokens(w))


# The exhibition: sponsors' and exhibitors' booths (a post about what is on show there is not about the
# talk whose topic the product shares: "the sponsor booth is demoing a eurorack case").
EXPO_WORDS = frozenset(stem(t) for w in """
booth booths sponsor sponsors exhibitor exhibitors expo
sponsoren aussteller messestand infostand sponsorenstand
patrocinador patrocinadores estande estandes
kiosque commanditaire commanditaires exposant exposants
espositore espositori
展位 展台 赞助商
부스 스폰서
""".split() for t in tokens(w))

# Going to a room ("off to Hall B", "a caminho da Sala 2"): named just before a talk begins
# there, the room is for that talk, not the one that just ended in it ("still going in Hall B").
GOING_WORDS = frozenset(tokens("""
heading headed rushing hurrying walking running switching moving
caminho correr correndo indo rumbo camino corriendo voy
unterwegs laufe renne wechsle onderweg loop ren
""".lower()))
GOING_PHRASES = (" off to ", " on my way ", " way to ", " en route ", " je vais ", " vers la ", " vers le ")

# Words that say the post is about a talk, even when it also mentions coffee or the venue.
TALK_WORDS = frozenset(stem(t) for w in """
talk talks keynote speaker speakers slides slide panel panelists presentation demo lightning workshop
vortrag vortrags folien referent referentin sprecherin charla charlas ponente diapositivas
exposé conférencière conférencier présentation palestra palestrante lezing spreker
講演 発表 登壇
발표 강연 토크 슬라이드 세션 발표자 연사
""".split() for t in tokens(w))

# Kinds of programme item people name instead of the title ("the keynote", "this panel",
# "a abertura", "la mesa redonda", "基調講演"): each word → the kind it names. Japanese is
# matched by a character pair of the word (see `backchannel.words.tokens`).
KINDS = {stem(t): kind for kind, ws in {
    "keynote": "keynote keynotes plenary plenaria plenière plenaire hauptvortrag 基調 기조연설 키노트",
    "opening": "opening abertura inaugural inaugurale apertura ouverture eröffnung eroffnung openingskeynote 開会 開幕 개회",
    "closing": "closing encerramento cierre clausura clôture chiusura abschluss afsluiting slotkeynote 閉会 閉幕 폐회",
    "panel": "panel panels roundtable redonda ronde rotonda podiumsdiskussion paneldiscussie パネ 패널",
    "lightning": "lightning relampago relâmpago relámpago eclair éclair blitz blitzlicht lampo lampi 라이트닝",
    "workshop": "workshop workshops tutorial oficina taller atelier werkstatt 워크숍 워크샵",
}.items() for w in ws.split() for t in tokens(w)}
KIND_WORDS = frozenset(KINDS)
# The kinds a programme may not label: the items running alone are its keynotes, its first
# one opens the event, its last one closes it.
PLENARY_KINDS = ("keynote", "opening", "closing")

# Words a speaker uses when posting about their own talk afterwards.
OWN_TALK_WORDS = frozenset(stem(t) for w in """
slides slide deck talk recording video code repo notebook thanks thank came coming questions qs
folien vortrag danke aufzeichnung diapositivas charla gracias grabación transparents merci
palestra obrigado obrigada lezing bedankt dank
スライド 資料 슬라이드 자료 발표 감사
""".split() for t in tokens(w))


# Short forms people write for what abstracts spell out.
ALIASES = {stem(k): tuple(words(v)) for k, v in {
    "wasm": "webassembly", "k8s": "kubernetes", "llm": "language model", "llms": "language models",
    "js": "javascript", "ts": "typescript", "pg": "postgresql", "postgres": "postgresql", "a11y": "accessibility",
    "otel": "opentelemetry", "ml": "machine learning", "ai": "artificial intelligence", "infra": "infrastructure",
    "db": "database", "auth": "authentication", "k8": "kubernetes", "gh": "github", "ci": "continuous integration",
}.items()}


class TalkWords:
    """A BM25 index over the talks' texts; `score` ranks talks for a post's words."""

    def __init__(self, talks: Iterable[Talk]):
        talks = list(talks)
        docs: dict[str, Counter] = {}
        self.titles: dict[str, set[str]] = {}
        self.bigrams: dict[tuple[str, str], list[str]] = defaultdict(list)
        rarity = self.rarity = _Rarity()
        self.event_words = event_words(talks, rarity)
        for talk in talks:
            docs[talk.id], self.titles[talk.id] = _document(talk, self.event_words)
            for pair in title_bigrams(talk.title):
                self.bigrams[pair].append(talk.id)
        n = max(len(docs), 1)
        df: Counter = Counter()
        for doc in docs.values():
            df.update(doc.keys())
        avg = sum(sum(d.values()) for d in docs.values()) / n or 1.0
        unit = math.log(1 + (n - 0.5) / 1.5)  # the idf of a word only one talk uses
        self.bigram_words = {w for pair in self.bigrams for w in pair}
        self.index: dict[str, list[tuple[str, float]]] = defaultdict(list)
        self.worth: dict[str, dict[str, float]] = {}  # talk id → word → its share of a score
        for tid, doc in docs.items():
            norm = K1 * (1 - B + B * sum(doc.values()) / avg)
            worth = self.worth[tid] = {}
            for w, tf in doc.items():
                if df[w] > max(2, COMMON_SHARE * n):
                    continue
                idf = math.log(1 + (n - df[w] + 0.5) / (df[w] + 0.5)) / unit
                value = idf * rarity(w) * tf * (K1 + 1) / (tf + norm)
                if value >= FLOOR:
                    worth[w] = value
                    self.index[w].append((tid, value))
        # `index` with each talk by its position in `ids`: `score` adds into a list, not a dict.
        self.ids = list(docs)
        at = {tid: i for i, tid in enumerate(self.ids)}
        self.postings = {w: [(at[tid], value) for tid, value in talks] for w, talks in self.index.items()}
        self.bigrams_at = {pair: [at[tid] for tid in tids] for pair, tids in self.bigrams.items()}

    def score(self, post_words: Iterable[str], post_bigrams: Iterable[tuple[str, str]] = (), least: float = 0.0,
              top: int = TOP) -> dict[str, tuple[float, list[str], bool]]:
        """talk id → (score, the words that matched (best first), whether they are all title words),
        for the `top` talks scoring at least `least` (only the best few can decide a match)."""
        totals = [0.0] * len(self.ids)  # by a talk's position in `ids`; every word's share is > 0
        touched: list[int] = []  # positions, in the order found
        postings = self.postings
        found = sorted(postings.keys() & post_words)  # in order: the same sums in every process
        for w in found:
            for i, s in postings[w]:
                if not totals[i]:
                    touched.append(i)
                totals[i] += s
        pairs: dict[int, list[str]] = {}
        for pair in post_bigrams:
            for i in self.bigrams_at.get(pair, ()):
                if not totals[i]:
                    touched.append(i)
                totals[i] += BIGRAM
                pairs.setdefault(i, []).append(" ".join(pair))
        # The best `top` (a stable sort: ties keep the order they were found in), then the floor.
        out = {}
        for i in sorted(touched, key=totals.__getitem__, reverse=True)[:top]:
            total, tid = totals[i], self.ids[i]
            if total < least:
                break  # best first: the rest are lower still
            worth = self.worth[tid]
            hit = list(filter(worth.__contains__, found))  # its words are all indexed: these, in order
            # Best first, ties by the word (reverse keeps the sort stable)
            out[tid] = (total, pairs.get(i, []) + sorted(hit, key=worth.__getitem__, reverse=True),
                        self.titles[tid].issuperset(hit))
        return out


_URL_PARTS = re.compile(r"[^\W\d_]+")
EVENT_SHARE = 0.25  # a word in the page addresses of more than this share of the talks names the event


def event_words(talks: list[Talk], rarity) -> frozenset[str]:
    """The event's own name, as the talks' page addresses spell it ("klangraum" of
    https://klangraum.at/2026/events/4101.html, "stackwerk" of pretalx.example/stackwerk-2026/talk/X):
    an abstract naming the event ("at Klangraum we ...") says nothing about its topic, and posts
    and their links name the event all the time ("/klangraum26/slides.pdf", "Klangraum-Leute").
    Everyday words of addresses ("events", "schedule", "talk") stay topics: a talk may be about them."""
    seen: Counter = Counter()
    for talk in talks:
        address = (talk.url or "").split("://", 1)[-1].partition("?")[0][:300]
        seen.update({stem(w) for w in _URL_PARTS.findall(fold(address)) if len(w) >= 4})
    least = max(3, EVENT_SHARE * len(talks))
    return frozenset(w for w, n in seen.items() if n > least and rarity(w) >= 0.5)


def title_bigrams(text: str) -> set[tuple[str, str]]:
    """Adjacent content words of a title or post ("feature flags" → ("feature", "flag"))."""
    seq = [w for w in words(text) if w not in STOP and len(w) > 1]
    return set(zip(seq, seq[1:]))


class _Rarity:
    """How rare a word is in everyday language: 1 for rare, 0 for the most common words.

    Looked up in every supported language (`wordfreq`'s lists, accents folded as posts'
    words are): people post about a Portuguese talk in Spanish or English, and a word
    common in any of them ("archivo", "propio", "morning") is no sign of one talk. A word
    no list knows (jargon, names) is rare.
    """

    def __init__(self):
        self.cache: dict[str, float] = {}
        self.tables = [_zipf(lang) for lang in LANGS]

    def __call__(self, word: str) -> float:
        rarity = self.cache.get(word)
        if rarity is None:
            plural = word + "s"
            z = max(max(table.get(word, 0.0), table.get(plural, 0.0)) for table in self.tables)
            rarity = self.cache[word] = min(1.0, max(0.0, (Z_COMMON - z) / (Z_COMMON - Z_RARE)))
        return rarity


_ZIPF: dict[str, dict[str, float]] = {}


def _zipf(lang: str) -> dict[str, float]:
    """Folded word → Zipf frequency (log10 of uses per billion words) for one language."""
    if lang not in _ZIPF:
        from wordfreq import get_frequency_dict

        table: dict[str, float] = {}
        for w, f in get_frequency_dict(lang, wordlist="small").items():
            if f > 0:  # "próprio" and its unaccented spelling meet, as in posts: keep the commoner
                key = fold(w)
                table[key] = max(table.get(key, 0.0), math.log10(f * 1e9))
        _ZIPF[lang] = table
    return _ZIPF[lang]


def _document(talk: Talk, event: frozenset[str] = frozenset()) -> tuple[Counter, set[str]]:
    """The talk's words with their counts (title words boosted), and its title words; the
    event's own name (`event_words`) is none of them."""
    own = set(event)
    for name in talk.speakers:
        own.update(content_words(name))
    for tag in talk.hashtags:
        own.update(content_words("#" + tag))
    title = [w for w in content_words(f"{talk.title} {talk.subtitle}") if w not in GENERIC and w not in event
             and not w.isdigit()]
    rest = [w for w in content_words(" ".join(filter(None, (talk.abstract, talk.track, talk.kind))))
            if w not in GENERIC and w not in own and w not in KIND_WORDS and not w.isdigit()]
    doc = Counter(rest)
    for w in title:
        doc[w] += TITLE_BOOST
    return doc, set(title)
