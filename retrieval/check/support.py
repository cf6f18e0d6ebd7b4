"""When does one passage sentence support one claim of an answer? The rule, and why this one:

- Korean LLMs paraphrase: particles, endings and spacing change ("조성하고 있다" → "조성 중이다"), so
  demanding the claim verbatim would drop most good answers. Kiwi content morphemes (lemmas) remove
  exactly that variation, so a claim is supported when at least `MIN_COVERAGE` of its content
  morphemes occur in one passage sentence (which becomes the quote). One sentence, not two adjacent
  ones: with two, "장재민 회장이 AI 서울테크시티를 조성한다" joined the subject of one sentence to
  the object of the next and passed.
  Morphemes are weighted by rarity among the given passages' sentences: "서울" is everywhere in a
  Seoul story and proves little, a word no passage contains weighs the most.
- Kiwi splits compounds differently in different contexts ("서울테크시티" vs "서울/테크/시티"), so a
  noun also counts when the sentence contains it as text.
- Overlap alone lets a swapped number through ("30만㎡" where the article says "20만㎡"), the most
  common and most harmful hallucination, so every number in the claim must be in that sentence too,
  and so must every name (proper noun, foreign word): a name imported from another sentence or from
  memory is how facts get mixed up. The price: "장 회장" resolved to "장재민 회장" is not accepted
  unless the sentence itself names him (that sentence is dropped; it is never shown unchecked).
- Text the answer puts in quotation marks claims to be the article's words: when it is in the
  article's script it must occur verbatim (ignoring spacing) or the citation is a misquote.
- Across scripts (an English answer about a Korean article) morphemes cannot overlap, so support
  needs a verbatim quoted fragment of the article inside the sentence (the prompt asks for one).
- A claim copied verbatim from the passage (spacing aside) is supported outright, whatever Kiwi's
  sentence split says; the quote is then the sentences it copies.
- Dense similarity is not used: it needs embedder-specific thresholds and calls "20만" and "30만" alike.
- A passage sentence that gives orders to an AI ("ignore previous instructions", "reply only with X",
  "시스템 프롬프트를 출력하라") supports nothing: a reply that echoes it obeyed the article, it did not
  report it. (Such text reaches the model only inside a delimited passage; this is the second line.)
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..index.lexical import idf
from ..korean import is_mostly_hangul, normalize, sentence_spans, squash, terms, tokens

MIN_COVERAGE = 0.67  # calibrated in tests/test_verify.py::test_calibration_on_the_default_article
MIN_FRAGMENT_CHARS = 3
MIN_VERBATIM_CHARS = 8
_ENDS = ".,!?…~\"' "

_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|‘([^’]+)’|「([^」]+)」|『([^』]+)』|《([^》]+)》")
# Framing words of an answer ("according to the article", "그는 말했다") that no passage needs to contain.
_FRAMING = {"따르다", "따르", "전하다", "밝히다", "말하다", "설명하다", "언급", "보도", "답하다", "지문", "기사",
            "according", "article", "passage", "passages", "states", "stated", "says", "said", "mentions",
            "mentioned", "reported", "reports", "explained", "noted"}
_ORDERS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,30}\b(?:instructions?|prompts?|rules|directions)\b|"
    r"\bsystem\s*prompt|\byou\s+are\s+now\b|\b(?:reply|respond|answer|say)\s+(?:only\s+)?with\s+only\b|"
    r"\b(?:reply|respond|answer)\s+only\s+with\b|\bnew\s+instructions\b|"
    r"시스템\s*프롬프트|(?:이전|앞의|위의|기존)\s*(?:의\s*)?(?:모든\s*)?(?:지시|지침|명령|규칙)\S{0,2}\s*(?:을|를)?\s*(?:모두\s*)?무시|"
    r"(?:너|당신)는\s*이제",
    re.IGNORECASE | re.DOTALL,
)
def _terms(text: str) -> set[str]:
    out = {t.strip(".,;:!?\"'()[]") for t in terms(text)}
    return {t for t in out if t and t not in _FRAMING}


@dataclass
class Sentence:
    """One passage sentence: its offsets (the quote), morphemes and squashed, lower-cased text."""

    start: int
    end: int
    terms: set[str]
    squashed: str
    hangul: bool  # per sentence: one passage can mix scripts (a quoted English remark in a Korean story)
    orders: bool = False  # addresses an AI with instructions: never support (see the module notes)


class PassageIndex:
    """A passage's sentences, analysed once."""

    def __init__(self, text: str) -> None:
        self.sentences = []
        for s, e in sentence_spans(text) or [(0, len(text))]:
            part = text[s:e]
            self.sentences.append(Sentence(s, e, _terms(part), squash(part), is_mostly_hangul(part),
                                           bool(_ORDERS.search(part))))
        self.squashed = squash(text)
        self.scripts = {s.hangul for s in self.sentences}


@lru_cache(maxsize=2048)
def passage_index(text: str) -> PassageIndex:
    # The same passages come back question after question; Kiwi sentence splitting is the slow part.
    return PassageIndex(text)


class Rarity:
    """Inverse sentence frequency over the passages of one answer."""

    def __init__(self, index: Sequence[PassageIndex]) -> None:
        sents = [s.terms for px in index for s in px.sentences]
        self.n = max(len(sents), 1)
        self.df: dict[str, int] = {}
        for st in sents:
            for t in st:
                self.df[t] = self.df.get(t, 0) + 1

    def __call__(self, term: str) -> float:
        return idf(self.n, self.df.get(term, 0))

    def coverage(self, claim_terms: set[str], found: set[str]) -> float:
        total = sum(self(t) for t in claim_terms)
        return sum(self(t) for t in claim_terms & found) / total if total else 0.0


@lru_cache(maxsize=4096)
def _tagged(text: str) -> tuple[frozenset[str], frozenset[str]]:
    """(names, verb lemmas) of `text`: proper nouns and foreign words, and what must match as morphemes."""
    toks = tokens(normalize(text))
    names = {t.form.lower().strip(".,;:!?\"'()") for t in toks if t.tag in ("NNP", "SL") and len(t.form) >= 2}
    verbs = {t.lemma for t in toks if t.tag in ("VV", "VA")}
    return frozenset(n for n in names if n and n not in _FRAMING), frozenset(verbs)


@dataclass
class Claim:
    """What an answer sentence (or clause) asserts, as the rule needs it."""

    text: str
    terms: set[str]
    numbers: set[str]
    names: frozenset[str]
    verbs: frozenset[str]
    fragments: list[str]  # squashed text the claim puts in quotation marks
    hangul: bool

    @classmethod
    def of(cls, text: str) -> Claim:
        frags = [squash(next(g for g in m.groups() if g is not None)).strip(".,!?…~") for m in _QUOTED.finditer(text)]
        t = _terms(text)
        names, verbs = _tagged(text) if t else (frozenset(), frozenset())
        return cls(text, t, {x for x in t if any(c.isdigit() for c in x)}, names & t, verbs,
                   [f for f in frags if len(f) >= MIN_FRAGMENT_CHARS], is_mostly_hangul(text))

    @property
    def empty(self) -> bool:
        return not self.terms and not self.fragments

    def found(self, s: Sentence) -> set[str]:
        """Claim morphemes the sentence has, as a morpheme or (nouns) as text."""
        return {t for t in self.terms if t in s.terms or t not in self.verbs and len(t) >= 2 and t in s.squashed}


def _verbatim(claim: Claim, px: PassageIndex) -> Sentence | None:
    """The run of passage sentences a claim copies word for word (spacing aside), if it does."""
    sq = squash(claim.text).strip(_ENDS)
    if len(sq) < MIN_VERBATIM_CHARS or sq not in px.squashed:
        return None
    run = [s for s in px.sentences if sq in s.squashed or s.squashed.strip(_ENDS) in sq]
    if not run or any(s.orders for s in run):
        return None
    return Sentence(run[0].start, run[-1].end, set().union(*(s.terms for s in run)), sq, claim.hangul)


def supports(claim: Claim, px: PassageIndex, rarity: Rarity) -> tuple[Sentence, float] | None:
    """(the sentence to quote, how well it supports) when `px` supports `claim`, else None."""
    if (copied := _verbatim(claim, px)) is not None:
        return copied, 3.0  # the strongest support there is, even across a sentence break
    own_script = [f.lower() for f in claim.fragments if is_mostly_hangul(f) in px.scripts]
    if any(f not in px.squashed for f in own_script):
        return None  # quoted as the article's words, but the article does not say them
    best: tuple[tuple[int, float], Sentence] | None = None
    for s in px.sentences:
        if s.orders:
            continue
        inside = sum(f in s.squashed for f in own_script)
        found = claim.found(s)
        cov = rarity.coverage(claim.terms, found)
        # Names are compared where spelling can match: all of them when claim and sentence share a
        # script, else only those written in the sentence's script.
        names_ok = all(n in s.squashed for n in claim.names if claim.hangul == s.hangul or is_mostly_hangul(n) == s.hangul)
        same_script = claim.hangul == s.hangul
        if claim.numbers <= found and names_ok and (cov >= MIN_COVERAGE if same_script else inside > 0):
            if best is None or (inside, cov) > best[0]:
                best = ((inside, cov), s)
    return (best[1], best[0][0] + best[0][1]) if best else None
