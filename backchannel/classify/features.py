"""Turn one post into the sparse features the kind classifier weighs.

Three families of features, all plain strings mapped to 1.0 (or a small weight):

- structure (`S:`): links and what they point at, length of the text around them,
  question marks and question forms, mentions, numbers, quotes, colons, emoji (`E:`);
- cue groups (`L:`): which functions from `classify_lexicon` the words fulfil (thanking,
  asking, reporting evidence...), language-neutral so one language teaches the others;
- words (`w:`) and, for Japanese, character bigrams and trigrams (`c:`).

Everything here is pure Python and regex, tuned for speed: one post costs tens of
microseconds, so the classifier keeps well above 2,000 posts/s on one core.
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache
from math import sqrt

from backchannel.classify.lexicon import (DOMAIN_CLASSES, EMOJI_CLASSES, FILE_CLASSES, JA_QUESTION_ENDINGS,
                               LANGS, LEXICON, QUESTION_STARTERS)

URL_RE = re.compile(r"https?://[^\s<>\"'「」『』（）]+", re.IGNORECASE)
MENTION_RE = re.compile(r"(?<![\w@/])@[\w.\-]+(?:@[\w\-]+(?:\.[\w\-]+)+)?")
HASHTAG_RE = re.compile(r"(?<![\w&/])#(\w[\w\-]*)")
SPACE_SPLIT_RE = re.compile(r"(\s+)")
CJK_RE = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff66-\uff9f]+")
KANA_RE = re.compile(r"[\u3040-\u30ff]")
TOKEN_RE = re.compile(r"[^\W_]+(?:['\-][^\W_]+)*")
SENTENCE_RE = re.compile(r"[^.!?。！？\n]+[.!?。！？]*")
TIME_RE = re.compile(r"\b\d{1,2}(?::\d{2}|h\d{0,2}|\s?(?:am|pm|uhr))\b|\d{1,2}時|\d{1,2}:\d{2}",
                     re.I)
PCT_RE = re.compile(r"\d\s?%|\bpercent\b|prozent|por ciento|pour cent|procent|por cento|\d割")
MULT_RE = re.compile(r"\b\d+(?:[.,]\d+)?\s?[x×]\b|\d倍|\btwice\b|\bhalf\b|\bthird\b|\bdoubled\b")
MONEY_RE = re.compile(r"[$€£¥]\s?\d|\d\s?(?:€|円|dollars?|euros?|reais|\$)")
PCT_OFF_RE = re.compile(r"\d\s?%\s?(?:off|rabatt|de descuento|korting|de desconto|オフ|de réduction)"
                        r"|-\d+\s?%|\d+%オフ", re.I)
QUOTE_RE = re.compile(r"[\"“”„«»「」『』]")
THREAD_RE = re.compile(r"🧵|^\s*\(?\d{1,2}/\d{0,2}\)?(?:\s|$)|\b\d{1,2}/\d{1,2}?\s*$|\(\d+/\d+\)")
BULLET_RE = re.compile(r"^[ \t]*(?:[-•*・▶►✅✔→]|\d{1,2}[.)])[ \t]+\S", re.M)
CAPS_RE = re.compile(r"\b[A-Z]{4,}\b")
NUMBER_RE = re.compile(r"\d")
ARROW_URL_RE = re.compile(r"(?:[:：→➡👉👇]|->)\s*https?://")
REPOST_RE = re.compile(r"^\s*(?:rt\b|boost(?:ed|ing)?\b|reposting|repost\b|via @)", re.I)
EXCL_RE = re.compile(r"[!！]")


def _fold_table() -> dict[int, str]:
    """Case-fold accents away in Latin script (é → e, ß → ss) and unify apostrophes."""
    table = {ord("’"): "'", ord("‘"): "'", ord("`"): "'", ord("´"): "'"}
    for code in range(0xC0, 0x250):
        base = unicodedata.normalize("NFKD", chr(code))
        stripped = "".join(c for c in base if not unicodedata.combining(c))
        if stripped and stripped != chr(code):
            table[code] = stripped
    return table


FOLD = _fold_table()


def fold(text: str) -> str:
    """Lowercase, accent-free form of Latin text; other scripts pass unchanged."""
    return text.casefold().translate(FOLD)


class CueMatcher:
    """Finds cue groups in a token list: exact words, word stems, and phrases."""

    def __init__(self, entries: dict[str, list[str]]):
        self.words: dict[str, set[str]] = {}
        self.stems: dict[str, set[str]] = {}
        self.phrases: dict[tuple[str, ...], set[str]] = {}
        for group, items in entries.items():
            for item in items:
                self._add(group, fold(item.strip()))
        self.stem_lengths = sorted({len(s) for s in self.stems})
        self.max_phrase = max((len(p) for p in self.phrases), default=1)
        self.phrase_starts = {p[0] for p in self.phrases}
        self.cache: dict[str, tuple[str, ...]] = {}

    def _add(self, group: str, item: str) -> None:
        parts = TOKEN_RE.findall(item.rstrip("*"))
        if not parts:
            return
        if len(parts) > 1:
            self.phrases.setdefault(tuple(parts), set()).add(group)
        elif item.endswith("*"):
            self.stems.setdefault(parts[0], set()).add(group)
        else:
            self.words.setdefault(parts[0], set()).add(group)

    def _token_groups(self, tok: str) -> tuple[str, ...]:
        groups = set(self.words.get(tok, ()))
        for n in self.stem_lengths:
            if n > len(tok):
                break
            groups.update(self.stems.get(tok[:n], ()))
        return tuple(groups)

    def match(self, tokens: list[str]) -> dict[str, list[int]]:
        """Group → token positions where one of its cues starts."""
        found: dict[str, list[int]] = {}
        cache, phrases, starts = self.cache, self.phrases, self.phrase_starts
        for i, tok in enumerate(tokens):
            groups = cache.get(tok)
            if groups is None:
                if len(cache) > 100_000:  # bound memory on endless streams of new words
                    cache.clear()
                groups = cache[tok] = self._token_groups(tok)
            for g in groups:
                found.setdefault(g, []).append(i)
            if tok in starts:
                for n in range(2, self.max_phrase + 1):
                    for g in phrases.get(tuple(tokens[i:i + n]), ()):
                        found.setdefault(g, []).append(i)
        return found


def _split(spec: str) -> list[str]:
    return [item for item in spec.split("|") if item.strip()]


ANY_LANG = "any"  # a post too short to tell its language


@lru_cache(maxsize=None)
def matcher_for(lang: str) -> CueMatcher:
    """The cue matcher for one language, English cues included (`ANY_LANG`: all of them)."""
    langs = LANGS if lang == ANY_LANG else ("en", lang) if lang != "en" else ("en",)
    entries: dict[str, list[str]] = {}
    for group, by_lang in LEXICON.items():
        entries[group] = [item for code in langs for item in _split(by_lang.get(code, ""))]
    entries["qstart"] = [item for code in langs
                         for item in _split(QUESTION_STARTERS.get(code, ""))]
    return CueMatcher(entries)


@lru_cache(maxsize=1)
def _ja_patterns() -> dict[str, re.Pattern]:
    pats = {}
    for group, by_lang in LEXICON.items():
        items = _split(by_lang.get("ja", ""))
        if items:
            pats[group] = re.compile("|".join(re.escape(i) for i in items))
    return pats


# Frequent function words, for guessing a language when the post does not say. A word
# shared by several languages ("de", "que", "in") counts for each of them in part.
_STOPWORDS = {
    "en": "the and is to of in for it that this with on are was you be at not from have my"
          " we our they but so just what how a an no",
    "de": "der die das und ist nicht mit auf den ein eine ich zu von für sind wie auch im dem"
          " des sich es wir ihr bei nach noch aber oder einen mehr schon",
    "es": "el la los las y es en que de por con para una un del se lo muy hay como al pero"
          " también está son su este esta qué cómo",
    "fr": "le la les et est en que des pour une un du dans pas sur avec qui au ce je nous vous"
          " il elle ils mais aussi très tout sont c'est j'ai aux cette",
    "pt": "o a os as e é em que de do da para com uma um não no na se como dos das ao mas"
          " também está são eu você vocês pra muito",
    "nl": "de het een en is van in dat op te voor niet met zijn er ook aan wat hoe bij naar ik"
          " je we jullie maar dan nog wel",
}


def _stop_weights() -> dict[str, list[tuple[str, float]]]:
    owners: dict[str, list[str]] = {}
    for lang, words in _STOPWORDS.items():
        for word in {fold(w) for w in words.split()}:
            owners.setdefault(word, []).append(lang)
    return {w: [(lang, 1.0 / len(langs)) for lang in langs] for w, langs in owners.items()}


_STOP_WEIGHTS = _stop_weights()


def guess_lang(text: str, hint: str | None = None) -> str:
    """The language of a post: the hint if it names a supported language, else a guess."""
    post = _Parsed(text)
    return _guess_lang(post.raw, post.tokens, hint)


def _guess_lang(text: str, tokens: list[str], hint: str | None) -> str:
    """`guess_lang` on already folded tokens (kana means Japanese, else stopword votes)."""
    if hint:
        code = hint.strip().lower().replace("_", "-").split("-")[0]
        if code in LANGS:
            return code
    if KANA_RE.search(text):
        return "ja"
    votes: dict[str, float] = {}
    for tok in tokens:
        for lang, weight in _STOP_WEIGHTS.get(tok, ()):
            votes[lang] = votes.get(lang, 0.0) + weight
    # No function words at all (a short cheer, a label and a link): use every language's cues.
    return max(votes, key=votes.__getitem__) if votes else ANY_LANG


def _bucket(n: int, edges: tuple[int, ...]) -> str:
    for edge in edges:
        if n <= edge:
            return str(edge)
    return f"{edges[-1]}+"


_EMOJI_CLASS = {ch: name for name, chars in EMOJI_CLASSES.items() for ch in chars}
EMOJI_RE = re.compile("[" + re.escape("".join(_EMOJI_CLASS)) + "]")


def _emoji_classes(text: str) -> dict[str, int]:
    counts: dict[str, int] = {}
    for ch in EMOJI_RE.findall(text):
        name = _EMOJI_CLASS[ch]
        counts[name] = counts.get(name, 0) + 1
    return counts


def _url_features(urls: list[str], feats: dict[str, float]) -> None:
    """What the links point at: by domain, file type and words in the path."""
    for url in urls:
        low = url.lower().split("://", 1)[-1]
        host = low.split("/", 1)[0]
        if host.startswith("www."):
            host = host[4:]
        target = host + "/" + low.split("/", 1)[1] if "/" in low else host
        for name, needles in DOMAIN_CLASSES.items():
            if any(n in target for n in needles):
                feats["S:dom:" + name] = 1.0
        path = target.split("?", 1)[0]
        for name, exts in FILE_CLASSES.items():
            if path.endswith(exts):
                feats["S:file:" + name] = 1.0
        path_tokens = TOKEN_RE.findall(fold(path[len(host):]))
        if path_tokens:
            hits = matcher_for("en").match(path_tokens)
            if "resource_noun" in hits:
                feats["S:urlpath:resource"] = 1.0
            if "promo" in hits:
                feats["S:urlpath:promo"] = 1.0
        if len(path) <= len(host) + 1:
            feats["S:url:bare_host"] = 1.0


def _question_features(text: str, lang: str, feats: dict[str, float]) -> None:
    """Question marks and question forms, per sentence."""
    qcount = text.count("?") + text.count("？")
    if qcount:
        feats["S:q:any"] = 1.0
        if qcount > 1:
            feats["S:q:multi"] = 1.0
        tail = re.split(r"[?？]", text)[-1]
        if len(TOKEN_RE.findall(tail)) + len(CJK_RE.findall(tail)) * 3 >= 6:
            feats["S:q:then"] = 1.0  # a question answered in the same post: often rhetorical
        else:
            feats["S:q:end"] = 1.0
    if "¿" in text:
        feats["S:q:inv"] = 1.0
    starters = matcher_for(lang)
    for sentence in SENTENCE_RE.findall(text):
        toks = TOKEN_RE.findall(fold(sentence))
        if not toks:
            continue
        asked = sentence.rstrip().endswith(("?", "？"))
        if "qstart" in starters.match(toks[:3]):
            feats["S:qstart:q" if asked else "S:qstart:noq"] = 1.0
    if lang == "ja":
        for sentence in re.split(r"[。！!\n]", text):
            s = sentence.strip().rstrip("？?…・ 　")
            if s.endswith(JA_QUESTION_ENDINGS):
                feats["S:ja_qend"] = 1.0


def _lexicon_features(tokens: list[str], cjk: list[str], lang: str,
                      feats: dict[str, float]) -> set[str]:
    """Which cue groups occur, twice or more, or at the very start; returns the groups."""
    hits = matcher_for(lang).match(tokens)
    counts = {g: len(pos) for g, pos in hits.items() if g != "qstart"}
    early = {g for g, pos in hits.items() if pos[0] < 3}
    if cjk:
        joined = "\n".join(cjk)
        for group, pattern in _ja_patterns().items():
            found = pattern.findall(joined)
            if found:
                counts[group] = counts.get(group, 0) + len(found)
                if pattern.search(cjk[0][:8]):
                    early.add(group)
    for group, n in counts.items():
        feats["L:" + group] = 1.0
        if n > 1:
            feats["L:" + group + ":2"] = 1.0
        if group in early:
            feats["L:" + group + "@0"] = 1.0
    return set(counts)


def _words(tokens: list[str], cjk: list[str], feats: dict[str, float]) -> None:
    """Words (numbers collapsed to "0"), and character 2- and 3-grams of Japanese runs."""
    # Single words only: word pairs memorised the training posts' wording and generalised
    # worse in leave-one-language-out validation.
    grams = {"w:" + ("0" if tok.isdigit() else tok) for tok in tokens}
    for run in cjk:
        for n in (2, 3):
            for i in range(len(run) - n + 1):
                grams.add("c:" + run[i:i + n])
        if len(run) == 1:
            grams.add("c:" + run)
    if grams:
        value = 1.0 / sqrt(len(grams))  # long posts should not outvote structure by sheer size
        for g in grams:
            feats[g] = value


def _strip_trailing_tags(body: str) -> str:
    """Drop the hashtags and mentions a post ends with (linear time, no regex backtracking)."""
    pieces = SPACE_SPLIT_RE.split(body.rstrip())  # token, space, token, ..., token
    end = len(pieces)
    while end > 0 and pieces[end - 1][:1] in ("#", "@"):
        end -= 2
    return "".join(pieces[:max(end, 0)])


MAX_CHARS = 20_000  # a long blog post is classified on its first 20,000 characters


class _Parsed:
    """A post split into links, addressing (mentions, hashtags) and content."""

    __slots__ = ("raw", "urls", "body", "mentions", "tags", "reply", "cjk", "tokens", "units")

    def __init__(self, text: str):
        self.raw = unicodedata.normalize("NFKC", (text or "")[:MAX_CHARS])
        self.urls = [u.rstrip(".,;:!?)]}'\"") for u in URL_RE.findall(self.raw)]
        body = URL_RE.sub(" ", self.raw)
        self.mentions = MENTION_RE.findall(body)
        self.tags = HASHTAG_RE.findall(body)
        self.reply = bool(re.match(r"\s*@\w", body))
        # Trailing hashtags and mentions are addressing, not content; inline ones are words.
        body = MENTION_RE.sub(" ", _strip_trailing_tags(body))
        self.body = HASHTAG_RE.sub(r"\1", body)
        folded = fold(self.body)
        self.cjk = CJK_RE.findall(folded)
        self.tokens = TOKEN_RE.findall(CJK_RE.sub(" ", folded))
        # Japanese has no spaces: two characters count as about one word.
        self.units = len(self.tokens) + sum(len(run) for run in self.cjk) // 2


def extract(text: str, lang: str | None = None, source: str | None = None) -> dict[str, float]:
    """Sparse features of one post (see the module docstring)."""
    post = _Parsed(text)
    lang = _guess_lang(post.raw, post.tokens, lang)
    feats = {"bias": 1.0, "lang:" + lang: 1.0, "src:" + (source or "none").lower(): 1.0}
    _link_features(post, feats)
    _surface_features(post.raw, post.body, feats)
    _question_features(post.body, lang, feats)
    groups = _lexicon_features(post.tokens, post.cjk, lang, feats)
    _head_features(post.body, lang, feats)
    _conjunctions(feats, groups, post.units, len(post.urls))
    _words(post.tokens, post.cjk, feats)
    return feats


def _link_features(post: _Parsed, feats: dict[str, float]) -> None:
    """Length of the text around the links, the links themselves, mentions and hashtags."""
    length = _bucket(post.units, (0, 2, 5, 9, 15, 24, 40))
    feats["S:len:" + length] = 1.0
    feats["S:url:" + _bucket(len(post.urls), (0, 1))] = 1.0
    if post.urls:
        feats["S:len:" + length + ":url"] = 1.0
        _url_features(post.urls, feats)
        share = sum(len(u) for u in post.urls) / max(1, len(post.raw.strip()))
        feats["S:urlshare:" + ("hi" if share > 0.6 else "mid" if share > 0.3 else "lo")] = 1.0
        if ARROW_URL_RE.search(post.raw):
            feats["S:colon_url"] = 1.0
    feats["S:mention:" + _bucket(len(post.mentions), (0, 1))] = 1.0
    if post.reply:
        feats["S:reply"] = 1.0
    if post.tags:
        feats["S:tags:" + _bucket(len(post.tags), (1, 2))] = 1.0


def _surface_features(raw: str, body: str, feats: dict[str, float]) -> None:
    """Numbers, times, money, quotes, an opening "Label:", exclamations, emoji."""
    if NUMBER_RE.search(body):
        feats["S:num"] = 1.0
    for name, pattern in (("pct", PCT_RE), ("mult", MULT_RE), ("time", TIME_RE),
                          ("money", MONEY_RE), ("pct_off", PCT_OFF_RE), ("thread", THREAD_RE),
                          ("repost", REPOST_RE)):
        if pattern.search(body if name != "thread" else raw):
            feats["S:" + name] = 1.0
    if len(BULLET_RE.findall(raw)) >= 2:
        feats["S:bullets"] = 1.0
    if len(QUOTE_RE.findall(body)) >= 2:
        feats["S:quote"] = 1.0
    head = body.lstrip()[:40]
    if re.match(r"^[^:：\n]{1,30}[:：]\s*\S", head):
        feats["S:colon_early"] = 1.0
    excl = len(EXCL_RE.findall(body))
    if excl:
        feats["S:excl:" + ("1" if excl == 1 else "2+")] = 1.0
    if len(CAPS_RE.findall(body)) >= 2:
        feats["S:caps"] = 1.0
    sentences = len([s for s in SENTENCE_RE.findall(body) if TOKEN_RE.search(s)])
    feats["S:sent:" + _bucket(sentences, (1, 2, 3))] = 1.0
    emoji = _emoji_classes(raw)
    for name in emoji:
        feats["E:" + name] = 1.0
    if sum(emoji.values()) >= 3:
        feats["E:many"] = 1.0


CLAUSE_RE = re.compile(r"[:：!！.。;—–]|\s-\s")


def _head_features(body: str, lang: str, feats: dict[str, float]) -> None:
    """What the opening clause does, and how much follows it.

    "Great talk by @x!" is a shout-out; "Great talk by @x: <an insight>" is a takeaway;
    "Slides: <link>" is a resource. The opening clause's cue groups and the length of the
    rest tell these apart better than the cues of the whole post.
    """
    parts = CLAUSE_RE.split(body.strip(), maxsplit=1)
    if len(parts) < 2:
        return
    head, tail = parts
    folded = fold(head)
    head_groups = set(matcher_for(lang).match(TOKEN_RE.findall(CJK_RE.sub(" ", folded))))
    cjk = CJK_RE.findall(folded)
    if cjk:
        joined = "\n".join(cjk)
        head_groups |= {g for g, pat in _ja_patterns().items() if pat.search(joined)}
    tail_folded = fold(tail)
    tail_units = (len(TOKEN_RE.findall(CJK_RE.sub(" ", tail_folded)))
                  + sum(len(r) for r in CJK_RE.findall(tail_folded)) // 2)
    size = _bucket(tail_units, (0, 3, 8, 16))
    feats["T:len:" + size] = 1.0
    for group in head_groups - {"qstart", "first_person", "second_person", "causal"}:
        feats["H:" + group] = 1.0
        feats["H:" + group + ":tail" + size] = 1.0


def _conjunctions(feats: dict[str, float], groups: set[str], units: int, n_urls: int) -> None:
    """A few AND-features a linear model cannot build by itself."""
    short = units <= 7
    substance = groups & {"evidence", "learn", "advice", "causal"}
    asked = "S:q:any" in feats or "S:ja_qend" in feats
    if n_urls and short:
        feats["C:url_short"] = 1.0
    if n_urls and units >= 15:
        feats["C:url_long"] = 1.0
    if "resource_noun" in groups and n_urls:
        feats["C:resnoun_url"] = 1.0
    if asked and "logistics" in groups:
        feats["C:q_logistics"] = 1.0
    if asked and "ask" in groups:
        feats["C:q_ask"] = 1.0
    if asked and "first_person" in groups:
        feats["C:q_1p"] = 1.0
    if asked and "second_person" in groups:
        feats["C:q_2p"] = 1.0
    for group in ("irony", "rhetorical", "reveal"):
        if asked and group in groups:
            feats["C:q_" + group] = 1.0
    if "S:q:then" in feats and substance:
        feats["C:q_answered"] = 1.0
    if groups & {"thanks", "praise", "congrats"}:
        feats["C:praise_" + ("bare" if not substance and units <= 14 else "subst")] = 1.0
    if len(substance) >= 2:
        feats["C:substance_" + str(min(len(substance), 3))] = 1.0
    if not groups and short and not n_urls:
        feats["C:empty_short"] = 1.0
