"""Speakers named in another script: "ダニエラさん" for Daniela, "혜진 님" for Hye-jin, "Мария" for Maria.

    keys = name_keys("ダニエラさんの話")   # {"daniera": "ダニエラ"}
    name_key("Daniela")                  # "daniera": the same key

A post in Japanese, Korean or Russian writes a speaker's name the way its language sounds
it, not as the programme spells it. Both sides are brought to one rough Latin key: the
post's words are transliterated (`anyascii`: katakana, hangul, Cyrillic, Greek), the
programme's names too, and the key then forgets what transliteration blurs (l/r, b/v,
c/k, y/i, doubled letters, hyphens: "Hye-jin" and "혜진" → hiejin), and a katakana name
may end without the vowel Japanese adds to a last consonant ("イネス", inesu: Ines). Only words in those
scripts are read: Chinese characters give no key (a name's characters are read only as a
whole name is, by the matcher's word pairs).
"""

from __future__ import annotations

import re

from anyascii import anyascii

from backchannel.words import Memo, fold

# Runs that may be one name: katakana (with the long-vowel mark; "・" separates given and
# family name), hangul words, Cyrillic or Greek words.
_RUNS = re.compile(r"[\u30a1-\u30fa\u30fc]{2,12}|[\uac00-\ud7a3]{2,4}|[\u0400-\u04ff]{2,20}|[\u0370-\u03ff]{2,20}")
# Korean honorifics a name carries ("혜진님", "민준씨"); separate ones ("박사님") are other words.
_KO_HONORIFIC = ("님", "씨")
# Japanese ends a foreign name's last consonant with a vowel ("Ines" → イネス, inesu).
_KANA_EPENTHETIC = re.compile(r"[^aeioun][uo]$")
_SOUNDS = [(re.compile(p), r) for p, r in (
    (r"[^a-z]", ""), (r"ph", "f"), (r"[lr]+", "r"), (r"[vb]", "b"), (r"qu|q|c(?=[aou]|$)|ck", "k"),
    (r"sh", "s"), (r"y", "i"), (r"(.)\1+", r"\1"))]


def name_key(name: str) -> str:
    """A rough Latin key of one name in any script: "Daniela", "ダニエラ" → daniera."""
    key = fold(anyascii(name) if not name.isascii() else name)
    for pattern, repl in _SOUNDS:
        key = pattern.sub(repl, key)
    return key


_KEYS = Memo(name_key, 100_000)  # a post's word → its key: words repeat across posts


def name_keys(text: str) -> dict[str, str]:
    """Keys of the words of a post that are written in kana, hangul, Cyrillic or Greek
    (key → the word as written); a three-syllable Korean name also gives its given name
    ("박혜진" → bakhyejin and hyejin). Empty for a text without those scripts."""
    out: dict[str, str] = {}
    if text.isascii() or max(text) < "\u0370":  # Latin letters only, accented or not: no run to read
        return out
    for m in _RUNS.finditer(text):
        run = m.group(0)
        if "\uac00" <= run[0] <= "\ud7a3":
            run = run[:-1] if run.endswith(_KO_HONORIFIC) and len(run) > 2 else run
            parts = [run] + ([run[1:]] if len(run) == 3 else [])
        else:
            parts = run.split("・")
        for part in parts:
            key = _KEYS[part]
            if len(key) >= 3:
                out.setdefault(key, part)
            if _KANA_EPENTHETIC.search(key) and "\u30a1" <= part[0] <= "\u30fa":  # イネス → inesu → ines
                out.setdefault(key[:-1], part)
    return out


def person_keys(name: str) -> tuple[str, set[str]]:
    """A programme name's first-name key and the keys of its whole name (either order):
    "Hye-jin Park" → ("hiejin", {"hiejinpark", "parkhiejin"})."""
    parts = [name_key(p) for p in name.split()]
    parts = [p for p in parts if p]
    if not parts:
        return "", set()
    whole = {"".join(parts), "".join(parts[-1:] + parts[:-1])} if len(parts) >= 2 else set()
    return parts[0], whole
