"""Names and numbers a question shares with a sentence, across scripts.

A question in English about a Korean article shares no words with it, but it shares its anchors: numbers
as digits, and names romanized ("Geochang" for 거창, "Jeju" for 제주). Korean questions name things in
Hangul and are matched as written. The fitted model sees one feature either way: the share of the
question's anchors the sentence holds, so a model fitted on Korean questions reads it the same for others.
"""

from __future__ import annotations

import re
from difflib import SequenceMatcher
from functools import lru_cache

from anyascii import anyascii

from ..korean import normalize, squash, terms, tokens

_DIGITS = re.compile(r"\d+(?:[.,]\d+)*")
# Two romanizations of one name differ in a letter or two ("Seongsan"/"SeongSan", "Gyeongnam"/"GyeongNam-do");
# a transliteration library gives one spelling, so near matches count (difflib: no dependency to add).
NEAR = 0.8


# One syllable of Revised Romanization (initial, vowel, final). A capitalized English word that cannot be cut
# into these ("Science", "Foundation", "Ministry") is the question's own English, not a Korean name spelled
# out, and no romanized Korean will ever match it; "Jeju", "Geochang", "Buyeo" can be.
_SYLLABLE = (r"(?:kk|tt|pp|ss|jj|ch|g|n|d|r|l|m|b|s|j|k|t|p|h|w|y)?"
             r"(?:yae|yeo|wae|ae|ya|eo|ye|wa|oe|yo|wo|we|wi|yu|eu|ui|a|e|o|u|i)(?:ng|k|n|t|l|m|p|g|b)?")
_ROMANIZED = re.compile(rf"(?:{_SYLLABLE})+")
# English names of Korea, which no romanization of 한국 gives.
_EXONYMS = {"korea": "한국", "korean": "한국"}
# English names of the provinces split in two ("South Gyeongsang"): Korean text writes 경남, never anything
# that romanizes to "gyeongsang".
_PROVINCES = {"gyeongsang": "경", "chungcheong": "충", "jeolla": "전"}
_SIDES = {"north": "북", "south": "남"}


def anchors(question_tokens, hangul: bool, stop: frozenset[str]) -> list[str]:
    """The question's names and numbers (lower case): proper nouns and digits in Korean; in other languages,
    digits and capitalized words other than the first that are acronyms (SBS, CES: written so in Korean text
    too) or could be romanized Korean. `question_tokens` are Kiwi tokens of the question."""
    out: list[str] = []
    for i, t in enumerate(question_tokens):
        form = t.form
        if t.tag == "SN":
            out.append(_number(form))
        elif hangul and t.tag == "NNP":
            out.append(form.lower())
        # One capital letter is "I" or an article, never a name (though "i" romanizes 이).
        elif (not hangul and t.tag == "SL" and i > 0 and len(form) > 1 and form[:1].isupper()
              and form.lower() not in stop):
            word = form.lower()
            side = _SIDES.get(question_tokens[i - 1].form.lower())
            if word in _PROVINCES and side:
                out.append(_PROVINCES[word] + side)
            elif word in _EXONYMS:
                out.append(_EXONYMS[word])
            elif form.isupper() or _ROMANIZED.fullmatch(word):
                out.append(word)
    return list(dict.fromkeys(a for a in out if a))


def _number(text: str) -> str:
    return text.replace(",", "")


@lru_cache(maxsize=65536)
def romanized(name: str) -> str:
    return anyascii(normalize(name)).lower().replace(" ", "")


def _near(a: str, b: str) -> bool:
    if a == b or (len(a) >= 4 and len(b) >= 4 and (a.startswith(b) or b.startswith(a))):
        return True
    return SequenceMatcher(None, a, b).ratio() >= NEAR


def holds(anchor: str, terms: frozenset[str], squashed: str, proper: tuple[str, ...]) -> bool:
    """Is the anchor in the sentence: as written, as a number, or (Latin letters) as a romanized name?"""
    if anchor[:1].isdigit():  # whole numbers only: 24 is not in 246
        return re.search(rf"(?<![\d.]){re.escape(anchor)}(?![\d])", _number(squashed)) is not None
    if anchor in terms or (len(anchor) >= 2 and anchor in squashed):
        return True
    return anchor.isascii() and any(_near(anchor, romanized(p)) for p in proper)


@lru_cache(maxsize=4096)
def of_title(title: str) -> tuple[frozenset[str], str, tuple[str, ...]]:
    """A headline as `holds` reads a sentence: its terms, squashed text and proper nouns (cached: a title is
    read for every sentence of its article)."""
    text = normalize(title)
    return frozenset(terms(title)), squash(title), tuple(t.form.lower() for t in tokens(text) if t.tag == "NNP")


def held(anchors_: list[str], terms: frozenset[str], squashed: str, proper: tuple[str, ...]) -> frozenset[str]:
    """The question's anchors the sentence holds."""
    return frozenset(a for a in anchors_ if holds(a, terms, squashed, proper))


def share(anchors_: list[str], terms: frozenset[str], squashed: str, proper: tuple[str, ...]) -> float:
    """The share of the question's anchors the sentence holds (0 when the question names none)."""
    return len(held(anchors_, terms, squashed, proper)) / len(anchors_) if anchors_ else 0.0
