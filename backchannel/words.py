"""Words of a post or a title, the same way for every language.

Used by talk matching (which title words does a post use?) and by the ranking's
near-duplicate check. Text is NFKC-normalised, case-folded and stripped of accents (so
"Lehrkräfte" and "Lehrkrafte", "Sécurité" and "securite" meet); camel-cased hashtags are
split ("#VectorSearch" → "vector search"); contractions lose their elided article or
ending ("l'archive" → "archive", "don't" → "don"; "j'ai" leaves nothing, not "ai"); runs
of Chinese/Japanese characters, which are written without spaces, become overlapping
character pairs ("検索エンジン" → 検索 索エ エン ...); Korean words, which are written with
spaces but carry their particles, lose them ("토크에서" → 토크, "패널의" → 패널).
"""

from __future__ import annotations

import re
import unicodedata

_URL = re.compile(r"https?://\S+", re.I)
_MENTION = re.compile(r"(?<![\w/])@[\w.-]+(?:@[\w.-]+)?")
_HASHTAG = re.compile(r"#(\w+)")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD = re.compile(r"\w+(?:['’]\w+)*")
# Contractions: "l'archive", "quelqu'un", "dell'archivio" lose the elided article or pronoun,
# "don't", "we're" the English ending; what is left of "j'ai" or "n'y" is no word either.
_ELIDED = frozenset("quelqu lorsqu puisqu jusqu presqu aujourd dell nell sull dall all quell bell"
                    " un" .split())
_CLITICS = frozenset("s t re ve ll d m".split())
# Every ASCII character that is no word character (`\w`) → a space: an ASCII text's words are
# then what `split` finds.
_ASCII_SPACES = str.maketrans({chr(c): " " for c in range(128) if not re.fullmatch(r"\w", chr(c))})
_MARKS = re.compile(r"[\u0300-\u036f]")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff66-\uff9f]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# Korean particles (postpositions) a word carries: "토크에서" (at the talk), "교실의" (of the
# classroom). Longest first; one is stripped when at least two syllables are left.
_PARTICLES = tuple(sorted("""
에서는 에게서 으로는 이라는 에서 에게 한테 께서 으로 까지 부터 처럼 보다 하고 이나 이랑 에는 은 는 이 가 을 를 에 의 도
로 와 과 랑 만
""".split(), key=len, reverse=True))

# Function words of the languages the digest supports, and words every conference post uses.
# They never make a title distinctive. Kept short on purpose: distinctiveness is measured
# against all titles (IDF), this list only removes the words that are everywhere.
STOP = frozenset("""
a an and are as at be but by can do does for from has have how i if in into is it its
just me my no not of on or our so than that the their them then there these they this to
up us was we what when where which who why will with without you your yours all about
more most new via vs using use
der die das den dem des ein eine einer eines einem und oder aber mit für fur von zu zum
zur im in ist sind wie was wir ihr sie es ich du auf aus bei nach über uber unter vor
nicht auch so als am an um noch nur
el la los las un una unos unas y o de del al en con por para que es son como su sus se
lo le les mas más sin sobre entre
le la les un une des et ou de du au aux en avec pour par que qui est sont comme sur dans
ce cette ces son sa ses sans plus pas ne
o a os as um uma e ou de do da dos das em no na nos nas com por para que é sao são como
seu sua sem
de het een en of van in op met voor dat die is zijn als aan bij naar niet ook om te tot
talk talks session sessions keynote vortrag charla palestra lezing conference konferenz
today heute hoy aujourd hui hoje vandaag great thanks danke gracias merci obrigado
""".split())


def fold(text: str) -> str:
    """NFKC, case-folded, Latin/Greek/Cyrillic accents removed ("für" → "fur")."""
    text = unicodedata.normalize("NFKC", text).casefold()
    if text.isascii():
        return text
    # Only the common combining diacritics: kana voicing marks (U+3099) must stay.
    return unicodedata.normalize("NFC", _MARKS.sub("", unicodedata.normalize("NFD", text)))


def split_hashtags(text: str) -> str:
    """`#VectorSearch` → `VectorSearch Vector Search` (keeps the tag, adds its words)."""
    return _HASHTAG.sub(lambda m: _TAG_WORDS[m.group(1)], text)


class Memo(dict):
    """key → fn(key), remembered; cleared past `limit` entries, so endless streams of new keys
    (words, tags) keep memory bounded. The matcher's hot paths use these: a dict lookup is
    several times cheaper than a stem, a regex or `round`."""

    def __init__(self, fn, limit: int):
        super().__init__()
        self.fn, self.limit = fn, limit

    def __missing__(self, key):
        if len(self) > self.limit:
            self.clear()
        value = self[key] = self.fn(key)
        return value


# A hashtag → it and its words ("VectorSearch Vector Search"): tags repeat.
_TAG_WORDS = Memo(lambda tag: tag + " " + _CAMEL.sub(" ", tag), 100_000)


def tokens(text: str) -> list[str]:
    """The words of a text in order, folded, without links and @mentions; CJK runs as pairs."""
    if "://" in text:
        text = _URL.sub(" ", text)
    if "@" in text:
        text = _MENTION.sub(" ", text)
    if "#" in text:
        text = split_hashtags(text)
    text = fold(text)
    if text.isascii() and "'" not in text:  # most posts: nothing to split or strip
        return text.translate(_ASCII_SPACES).split()  # = _WORD.findall(text), three times faster
    found = _WORD.findall(text)
    if "'" not in text and "’" not in text and not _CJK.search(text) and not _HANGUL.search(text):
        return found  # accented Latin, Greek, Cyrillic, ...: nothing to split or strip either
    return split_words(found)


def split_words(found: list[str]) -> list[str]:
    """Folded words as `tokens` gives them: contractions undone, Korean particles stripped, CJK
    runs as pairs (the general loop `tokens`' shortcuts stand in for)."""
    out: list[str] = []
    for token in found:
        if "'" in token or "’" in token:
            out += _uncontract(token)
            continue
        if token.isascii() or not _CJK.search(token):
            out.append(_unparticle(token) if not token.isascii() and _HANGUL.search(token) else token)
            continue
        pos = 0
        for m in _CJK.finditer(token):
            if m.start() > pos:
                out.append(token[pos:m.start()])
            run = m.group(0)
            out += [run] if len(run) == 1 else [run[i:i + 2] for i in range(len(run) - 1)]
            pos = m.end()
        if pos < len(token):
            out.append(token[pos:])
    return out


def _unparticle(token: str) -> str:
    """A Korean word without its particle: "토크에서" → 토크, "헤드셋이" → 헤드셋, "고래" stays."""
    for particle in _PARTICLES:
        if token.endswith(particle) and len(token) - len(particle) >= 2:
            return token[:-len(particle)]
    return token


def _uncontract(token: str) -> list[str]:
    """The words of a contraction: "l'archive" → archive, "don't" → don, "j'ai" → nothing."""
    parts = re.split(r"['’]", token)
    if len(parts) == 2 and parts[1] in _CLITICS:  # English: "don't", "it's", "we're"
        return [parts[0]]
    head, last = parts[:-1], parts[-1]
    if all(len(p) <= 2 or p in _ELIDED for p in head):  # French, Italian, Catalan elisions
        return [last] if len(last) > 2 else []
    return [p for p in parts if p]


def words(text: str) -> list[str]:
    """`tokens` with a light plural strip, so "planners" meets "planner"."""
    return [stem(t) for t in tokens(text)]


def content_words(text: str) -> list[str]:
    """`words` without stop words and one-letter tokens (CJK single characters are kept)."""
    return [w for w in words(text) if w not in STOP and (len(w) > 1 or _CJK.match(w))]


def is_cjk(token: str) -> bool:
    """A token from a Chinese/Japanese run (a character pair or a single character)."""
    return not token.isascii() and bool(_CJK.match(token))


# `stem` of every word of a text of words joined by spaces: an "s" ending a word of five or
# more letters, not "ss" (the lookbehind reads the word back from the space after it).
_PLURAL_END = re.compile(r"s (?<=[^ ][^ ][^ ][^ s]s )")


def stems(joined: str) -> list[str]:
    """`[stem(t) for t in tokens]` for `joined` = " ".join(tokens) + " ": one regex pass, no
    call per word (tokens hold no whitespace)."""
    return _PLURAL_END.sub(" ", joined).split()


def stem(token: str) -> str:
    # Plural "-s" is shared by English, Spanish, French, Portuguese and Dutch loanwords;
    # stripping it lets "planners" meet "planner". Short words and "-ss" stay.
    if len(token) > 4 and token.endswith("s") and not token.endswith("ss"):
        return token[:-1]
    return token
