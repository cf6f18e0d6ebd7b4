"""An answer as text: its sentences and list items, their `[n]` markers, Markdown around them, statements
that the article lacks something, and sentences copied from our own prompt."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

from ..korean import squash

MIN_LEAK_CHARS = 20
LEAK_WINDOW = 30  # squashed characters of our prompt that make a sentence a leak wherever they stand
MARK = re.compile(r"\s*\[\s*(-?\d{1,3}(?:\s*[,，]\s*-?\d{1,3})*)\s*\]")
# A sentence ends at terminal punctuation (plus closing quotes and any markers right after it) or a line break.
_END = re.compile(r"[.!?。？！…]+[\"'”’」』)]*(?:\s*\[\s*-?\d{1,3}(?:\s*[,，]\s*-?\d{1,3})*\s*\])*(?=\s|$)|\n+")
# Saying the passages lack something is not a claim that needs a source.
ABSENT = re.compile(
    r"나와\s*있지\s*않|나오지\s*않|언급(?:되어\s*있지|되지|하지|이|은)\s*(?:않|없)|포함되어\s*있지\s*않|"
    r"(?:알|찾을|확인할)\s*수\s*(?:없|가\s*없)|(?:정보|내용|언급)(?:가|이|는|은)\s*없|"
    r"\b(?:doesn'?t|does not|don'?t|do not|did not|didn'?t)\s+(?:say|mention|contain|state|include|specify|provide)|"
    r"\bnot\s+(?:mentioned|stated|specified|included|say|contained)|\bno\s+(?:information|mention|details?)\b|"
    r"\b(?:cannot|can'?t|unable to)\s+(?:find|answer|determine|tell)",
    re.IGNORECASE,
)


# Markdown a model writes around its sentences: list bullets, numbers, headings, emphasis. Not claims.
_LIST = re.compile(r"^\s*(?:[-*+•]\s+|\d{1,2}[.)](?:\s+|$)|#{1,6}\s+|>\s*)")
# A heading or a bold label line ("## 요약", "**주요 내용**:") is layout, not a claim, when it is short and
# has no figure: kept only in front of content that is kept, like "1." or "네.".
LABEL = re.compile(r"^\s*(?:#{1,6}\s+[^\n]{1,20}|\*\*[^*\n]{1,20}\*\*\s*:?|[^\n.!?]{1,20}:)\s*$")
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`")


def plain(text: str) -> str:
    """A sentence as its claims read: no list bullet or number, no heading mark, no emphasis."""
    return _EMPHASIS.sub("", _LIST.sub("", text))


def sentences(text: str) -> list[str]:
    """Consecutive slices covering `text`; markers right after a sentence end stay with that sentence."""
    out, pos = [], 0
    for m in _END.finditer(text):
        if m.end() > pos:
            out.append(text[pos : m.end()])
            pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def marker_numbers(group: str) -> list[int]:
    return list(dict.fromkeys(int(x) for x in re.findall(r"-?\d+", group)))


def after_absence(clause: str) -> str:
    """The claim part of "X is not in the article, but Y [n]": what follows the absence clause."""
    m = ABSENT.search(clause)
    cut = clause.find(",", m.end()) if m else -1
    return clause[cut + 1 :] if cut != -1 else clause


@lru_cache(maxsize=8)
def squashed_prompts(texts: tuple[str, ...]) -> tuple[str, ...]:
    """Our prompt texts as compared: the same few (about 5 KB) for every answer, so squashed once, not per
    answer and again per preview (0.4 ms each time, on the event loop for the preview; bench/load.py)."""
    return tuple(squash(t) for t in texts)


def leaked(sentence: str, forbidden: Sequence[str]) -> bool:
    """A sentence copied from our prompt, or one that carries a long stretch of it (a rule quoted inside
    a sentence that also says "the article does not mention it" would otherwise be kept unchecked)."""
    s = squash(MARK.sub("", sentence))
    if len(s) >= MIN_LEAK_CHARS and any(s in f for f in forbidden):
        return True
    return any(s[i:i + LEAK_WINDOW] in f for i in range(len(s) - LEAK_WINDOW + 1) for f in forbidden)
