"""The citation check, in code: every `[n]` left in an answer points at a passage that supports its sentence.

Support rule (why this one):
- Korean LLMs paraphrase: particles, endings and spacing change ("조성하고 있다" → "조성 중이다"), so
  demanding the claim verbatim would drop most good answers. Kiwi content morphemes (lemmas) remove
  exactly that variation, so a claim is supported when at least `MIN_COVERAGE` of its content
  morphemes occur in one passage sentence or two adjacent ones (the window also becomes the quote).
  Morphemes are weighted by rarity among the given passages' sentences: "서울" is everywhere in a
  Seoul story and proves little, a word no passage contains weighs the most.
- Overlap alone lets a swapped number through ("30만㎡" where the article says "20만㎡"), the most
  common and most harmful hallucination, so every number in the claim must be in that window too.
- Text the answer puts in quotation marks claims to be the article's words: when it is in the
  article's script it must occur verbatim (ignoring spacing) or the citation is a misquote.
- Across scripts (an English answer about a Korean article) morphemes cannot overlap, so support
  needs a verbatim quoted fragment of the article inside the window (the prompt asks for one).
- Dense similarity is not used: it needs embedder-specific thresholds and calls "20만" and "30만" alike.
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from .citations import CitationBook
from .korean import is_mostly_hangul, sentence_spans, terms
from .models import Citation, Passage

MIN_COVERAGE = 0.6
WINDOW_SENTENCES = 2
MIN_FRAGMENT_CHARS = 3
MIN_LEAK_CHARS = 20

MARK = re.compile(r"\s*\[\s*(\d{1,3}(?:\s*[,，]\s*\d{1,3})*)\s*\]")
# A sentence ends at terminal punctuation (plus closing quotes and any markers right after it) or a line break.
_END = re.compile(r"[.!?。？！…]+[\"'”’」』)]*(?:\s*\[\s*\d{1,3}(?:\s*[,，]\s*\d{1,3})*\s*\])*(?=\s|$)|\n+")
_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|‘([^’]+)’|「([^」]+)」|『([^』]+)』|《([^》]+)》")
# Saying the passages lack something is not a claim that needs a source.
ABSENT = re.compile(
    r"나와\s*있지\s*않|나오지\s*않|언급(?:되어\s*있지|되지|하지|이|은)\s*(?:않|없)|포함되어\s*있지\s*않|"
    r"(?:알|찾을|확인할)\s*수\s*(?:없|가\s*없)|(?:정보|내용|언급)(?:가|이|는|은)\s*없|"
    r"\b(?:doesn'?t|does not|don'?t|do not|did not|didn'?t)\s+(?:say|mention|contain|state|include|specify|provide)|"
    r"\bnot\s+(?:mentioned|stated|specified|included|say|contained)|\bno\s+(?:information|mention|details?)\b|"
    r"\b(?:cannot|can'?t|unable to)\s+(?:find|answer|determine|tell)",
    re.IGNORECASE,
)
# Framing words of an answer ("according to the article", "그는 말했다") that no passage needs to contain.
_FRAMING = {"따르다", "따르", "전하다", "밝히다", "말하다", "설명하다", "언급", "보도", "답하다", "지문", "기사",
            "according", "article", "passage", "passages", "states", "stated", "says", "said", "mentions",
            "mentioned", "reported", "reports", "explained", "noted"}
_QUOTE_CHARS = str.maketrans({"‘": "'", "’": "'", "“": '"', "”": '"', "「": '"', "」": '"', "『": '"', "』": '"'})


def squash(text: str) -> str:
    """NFKC, one kind of quote mark, no whitespace: how verbatim is compared (LLMs respace Korean)."""
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text).translate(_QUOTE_CHARS))


def _terms(text: str) -> set[str]:
    out = {t.strip(".,;:!?\"'()[]") for t in terms(text)}
    return {t for t in out if t and t not in _FRAMING}


def _is_number(term: str) -> bool:
    return any(c.isdigit() for c in term)


@dataclass
class _Window:
    start: int
    end: int
    sentences: int
    terms: set[str]
    squashed: str
    hangul: bool  # per window: one passage can mix scripts (a quoted English remark in a Korean story)


class _PassageIndex:
    """A passage's windows of one or two adjacent sentences, with their morphemes."""

    def __init__(self, text: str) -> None:
        spans = sentence_spans(text) or [(0, len(text))]
        self.sentence_terms = [_terms(text[s:e]) for s, e in spans]
        self.windows = [
            _Window(spans[i][0], spans[j][1], j - i + 1, set().union(*self.sentence_terms[i : j + 1]),
                    squash(text[spans[i][0] : spans[j][1]]), is_mostly_hangul(text[spans[i][0] : spans[j][1]]))
            for i in range(len(spans)) for j in range(i, min(i + WINDOW_SENTENCES, len(spans)))
        ]
        self.squashed = squash(text)
        self.scripts = {w.hangul for w in self.windows}


@lru_cache(maxsize=2048)
def _index(text: str) -> _PassageIndex:
    # The same passages come back question after question; Kiwi sentence splitting is the slow part.
    return _PassageIndex(text)


class _Rarity:
    """Inverse sentence frequency over the passages of one answer."""

    def __init__(self, index: Sequence[_PassageIndex]) -> None:
        sents = [t for px in index for t in px.sentence_terms]
        self.n = max(len(sents), 1)
        self.df: dict[str, int] = {}
        for st in sents:
            for t in st:
                self.df[t] = self.df.get(t, 0) + 1

    def __call__(self, term: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(term, 0) + 0.5))

    def coverage(self, claim_terms: set[str], window_terms: set[str]) -> float:
        total = sum(self(t) for t in claim_terms)
        return sum(self(t) for t in claim_terms & window_terms) / total if total else 0.0


@dataclass
class _Claim:
    text: str
    terms: set[str]
    numbers: set[str]
    fragments: list[str]
    hangul: bool

    @classmethod
    def of(cls, text: str) -> _Claim:
        frags = [squash(next(g for g in m.groups() if g is not None)).strip(".,!?…~") for m in _QUOTED.finditer(text)]
        t = _terms(text)
        return cls(text, t, {x for x in t if _is_number(x)}, [f for f in frags if len(f) >= MIN_FRAGMENT_CHARS],
                   is_mostly_hangul(text))


def supports(claim: _Claim, px: _PassageIndex, rarity: _Rarity) -> tuple[_Window, float] | None:
    """(the window to quote, its overlap) when `px` supports `claim` by the module's rule, else None.

    The quote is the tightest evidence: one sentence when one sentence suffices, two only when needed.
    """
    own_script = [f for f in claim.fragments if is_mostly_hangul(f) in px.scripts]
    if any(f not in px.squashed for f in own_script):
        return None  # quoted as the article's words, but the article does not say them
    best = None
    for w in px.windows:
        inside = sum(f in w.squashed for f in own_script)
        cov = rarity.coverage(claim.terms, w.terms)
        ok = claim.numbers <= w.terms and (cov >= MIN_COVERAGE if claim.hangul == w.hangul else inside > 0)
        key = (ok, inside, -w.sentences, cov)
        if ok and (best is None or key > best[0]):
            best = (key, w, cov + inside)
    return (best[1], best[2]) if best else None


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
    return list(dict.fromkeys(int(x) for x in re.findall(r"\d+", group)))


def _leaked(sentence: str, forbidden: Sequence[str]) -> bool:
    s = squash(MARK.sub("", sentence))
    return len(s) >= MIN_LEAK_CHARS and any(s in f for f in forbidden)


def check(reply: str, passages: Sequence[Passage], *, refusals: Sequence[str] = (),
          forbidden: Sequence[str] = ()) -> Checked:
    """Keep the sentences of `reply` whose citations hold, renumber `[n]` densely in order of first use.

    A sentence keeps each `[n]` whose passage supports it; one whose markers all fail (or that has
    none) is cited to whichever passage supports it, or dropped. Sentences without content words
    and statements that the article lacks something stay without a marker. Sentences copied from
    our own prompt (`forbidden`) are dropped whatever their markers say.
    """
    index = [_index(p.text) for p in passages]
    rarity = _Rarity(index)
    squashed_forbidden = [squash(f) for f in forbidden]
    squashed_refusals = {squash(r) for r in refusals}
    book = CitationBook()
    parts: list[str] = []
    pending: list[str] = []
    dropped: list[str] = []
    absent = False

    def cite(n: int, w: _Window) -> int:
        p = passages[n - 1]
        return book.cite(p, p.text[w.start : w.end])

    for sent in _sentences(reply):
        bare = MARK.sub("", sent)
        is_refusal = squash(bare).strip(".") in {r.strip(".") for r in squashed_refusals}
        if not is_refusal and _leaked(sent, squashed_forbidden):
            dropped.append(f"prompt text: {bare.strip()[:60]}")
            pending.clear()
            continue
        if ABSENT.search(bare) or is_refusal:
            absent = True
            parts += pending + [bare]
            pending.clear()
            continue
        whole = _Claim.of(bare)
        if not whole.terms and not whole.fragments:
            pending.append(bare)  # "1." / "네." / a heading: kept only in front of content that is kept
            continue
        out: list[str] = []
        pos, kept_any, slot = 0, False, None
        for g in MARK.finditer(sent):
            clause = _Claim.of(sent[pos : g.start()])
            claim = clause if len(clause.terms) >= 2 or clause.fragments else whole
            out.append(sent[pos : g.start()])
            pos, slot = g.end(), len(out)
            keep: list[tuple[int, _Window]] = []
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
