"""The citation check, in code: every `[n]` left in an answer points at a passage that supports its sentence.

What "supports" means is `support.py`'s rule. Here the answer is walked sentence by sentence: markers
outside the numbered set go, each remaining `[n]` must hold, a sentence whose markers all fail is
cited to a passage that does support it or dropped, and the markers left are renumbered densely in
order of first use, each citation carrying the exact passage sentence it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..models import Citation, Passage
from .citations import CitationBook
from .support import Claim, Rarity, Sentence, passage_index, squash, supports

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


@dataclass
class Checked:
    """The answer after the check: text with dense `[n]`, citations with verbatim quotes."""

    text: str
    citations: list[Citation]
    refused: bool
    dropped: list[str] = field(default_factory=list)


def _sentences(text: str) -> list[str]:
    """Consecutive slices covering `text`; markers right after a sentence end stay with that sentence."""
    out, pos = [], 0
    for m in _END.finditer(text):
        if m.end() > pos:
            out.append(text[pos : m.end()])
            pos = m.end()
    if pos < len(text):
        out.append(text[pos:])
    return out


def _numbers(group: str) -> list[int]:
    return list(dict.fromkeys(int(x) for x in re.findall(r"-?\d+", group)))


def _after_absence(clause: str) -> str:
    """The claim part of "X is not in the article, but Y [n]": what follows the absence clause."""
    m = ABSENT.search(clause)
    cut = clause.find(",", m.end()) if m else -1
    return clause[cut + 1 :] if cut != -1 else clause


@lru_cache(maxsize=8)
def _squashed(texts: tuple[str, ...]) -> tuple[str, ...]:
    """Our prompt texts as compared: the same few (about 5 KB) for every answer, so squashed once, not per
    answer and again per preview (0.4 ms each time, on the event loop for the preview; bench/load.py)."""
    return tuple(squash(t) for t in texts)


def _leaked(sentence: str, forbidden: Sequence[str]) -> bool:
    """A sentence copied from our prompt, or one that carries a long stretch of it (a rule quoted inside
    a sentence that also says "the article does not mention it" would otherwise be kept unchecked)."""
    s = squash(MARK.sub("", sentence))
    if len(s) >= MIN_LEAK_CHARS and any(s in f for f in forbidden):
        return True
    return any(s[i:i + LEAK_WINDOW] in f for i in range(len(s) - LEAK_WINDOW + 1) for f in forbidden)


class PreviewGuard:
    """What of a streamed reply may be shown before the check: everything except a tail that could be
    the start of our prompt; once the reply holds `MIN_LEAK_CHARS` of the prompt, nothing more."""

    def __init__(self, forbidden: Sequence[str]) -> None:
        self.forbidden = _squashed(tuple(forbidden))
        self.text, self.shown, self.stopped = "", 0, False

    def _in_prompt(self, tail: str) -> bool:
        tail = squash(MARK.sub("", tail))
        return any(tail in f for f in self.forbidden)

    def feed(self, delta: str) -> str:
        """Take the next piece of the reply; return the text that may be shown now ('' for none)."""
        if self.stopped:
            return ""
        self.text += delta
        # The shortest tail in the prompt starts at the smallest i whose text[i:] is in it; a suffix
        # of a prompt substring is one too, so the test is monotone and a binary search finds i.
        lo, hi = self.shown, len(self.text)
        while lo < hi:
            mid = (lo + hi) // 2
            if self._in_prompt(self.text[mid:]):
                hi = mid
            else:
                lo = mid + 1
        if len(squash(MARK.sub("", self.text[lo:]))) >= MIN_LEAK_CHARS:
            self.stopped = True
            return ""
        out, self.shown = self.text[self.shown:lo], lo
        return out


def check(reply: str, passages: Sequence[Passage], *, refusals: Sequence[str] = (),
          forbidden: Sequence[str] = ()) -> Checked:
    """Keep the sentences of `reply` whose citations hold, renumber `[n]` densely in order of first use.

    A sentence keeps each `[n]` whose passage supports it; one whose markers all fail (or that has
    none) is cited to whichever passage supports it, or dropped. Sentences without content words
    and statements that the article lacks something stay without a marker. Sentences copied from
    our own prompt (`forbidden`) are dropped whatever their markers say.
    """
    index = [passage_index(p.text) for p in passages]
    rarity = Rarity(index)
    squashed_forbidden = _squashed(tuple(forbidden))
    squashed_refusals = {squash(r) for r in refusals}
    book = CitationBook()
    parts: list[str] = []
    pending: list[str] = []
    dropped: list[str] = []
    absent = False

    def cite(n: int, w: Sentence) -> int:
        p = passages[n - 1]
        return book.cite(p, p.text[w.start : w.end])

    for sent in _sentences(reply):
        bare = MARK.sub("", sent)
        is_refusal = squash(bare).strip(".") in {r.strip(".") for r in squashed_refusals}
        if not is_refusal and _leaked(sent, squashed_forbidden):
            dropped.append(f"prompt text: {bare.strip()[:60]}")
            pending.clear()
            continue
        says_absent = is_refusal or bool(ABSENT.search(bare))
        if says_absent and (is_refusal or not MARK.search(sent)):
            absent = True
            parts += pending + [bare]
            pending.clear()
            continue
        whole = Claim.of(bare)
        if whole.empty:
            pending.append(bare)  # "1." / "네." / a heading: kept only in front of content that is kept
            continue
        out: list[str] = []
        pos, kept_any, slot = 0, False, None
        for g in MARK.finditer(sent):
            clause = Claim.of(_after_absence(sent[pos : g.start()]))
            claim = clause if len(clause.terms) >= 2 or clause.fragments else whole
            out.append(sent[pos : g.start()])
            pos, slot = g.end(), len(out)
            keep: list[tuple[int, Sentence]] = []
            for n in _numbers(g.group(1)):
                if not 1 <= n <= len(index):
                    dropped.append(f"[{n}] points outside 1..{len(index)}")
                elif (found := supports(claim, index[n - 1], rarity)) is not None:
                    keep.append((n, found[0]))
                else:
                    dropped.append(f"[{n}] does not support: {claim.text.strip()[:60]}")
            if keep:
                kept_any = True
                out.append(" " + "".join(f"[{cite(n, w)}]" for n, w in keep))
        out.append(sent[pos:])
        text = "".join(out)
        if not kept_any:
            # No marker held: cite the passage that does support the sentence, if any; else drop it.
            options = [(s[1], -n, s[0]) for n, px in enumerate(index, 1) if (s := supports(whole, px, rarity))]
            if not options and says_absent:  # "…is not in the article [2]": a statement of absence after all
                absent = True
                parts += pending + [bare]
                pending.clear()
                continue
            if not options:
                dropped.append(f"unsupported sentence: {bare.strip()[:60]}")
                pending.clear()
                continue
            _, neg_n, w = max(options, key=lambda o: (o[0], o[1]))
            marker = f" [{cite(-neg_n, w)}]"
            if slot is not None:  # where the model put its (failed) marker
                out.insert(slot, marker)
                text = "".join(out)
            else:
                body = bare.rstrip()
                text = f"{body}{marker}{bare[len(body):]}"
        parts += pending + [text]
        pending.clear()
    text = re.sub(r"[ \t]{2,}", " ", "".join(parts))
    text = "\n".join(line.strip() for line in text.strip().splitlines())
    text = re.sub(r"\n{3,}", "\n\n", text)
    # Only an explicit "the article doesn't say" is a refusal; an answer whose claims all failed is not.
    return Checked(text, book.citations, not book.citations and absent, dropped)
