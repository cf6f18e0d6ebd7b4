"""When does a passage support one clause of an answer? Accepted, rejected, or left to the grey zone.

- Korean LLMs paraphrase: particles, endings and spacing change ("조성하고 있다" → "조성 중이다"), so a
  clause is compared by Kiwi content lemmas (`claims.py`), weighted by rarity among the given passages'
  sentences ("서울" is everywhere in a Seoul story and proves little). A noun also counts when the passage
  contains it as text, since Kiwi splits compounds differently in different contexts.
- Support is one sentence or two adjacent sentences of one passage: the second covers a subject named in
  the sentence before ("서울관" in one, "18개 기업이 혁신상을" in the next). A name borrowed that way may
  not be the clause's subject: "장재민 회장이 AI 서울테크시티를 조성한다" must not join the chairman of
  one sentence to the mayor's project in the next.
- Hard rules reject outright, whatever the overlap: a figure the support lacks or binds to another noun
  (`values.py`), negation that does not agree with the support's matching clause, a name the support
  never mentions, a quotation (in the article's script) that is not verbatim in the passage.
- Accepted: the hard rules hold, at least `ACCEPT_COVERAGE` of the clause's weight is in the support, every
  predicate (verb, adjective, 하다-noun) is there, and the subject agrees with the support's.
- Grey: the hard rules hold but the words differ too much to decide by counting (a changed verb, a
  paraphrase "참가해 … 소개했다" for "참여 … 선보였다", another actor as subject, an answer in another
  script than the article). `entail.py` asks the configured LLM about these, once per answer, and drops
  them when it cannot (fail closed).
- A clause copied verbatim from the passage (spacing aside) is accepted outright, even across a sentence
  break. Dense similarity is not used: it calls "20만" and "30만" alike.
- A passage sentence that gives orders to an AI ("ignore previous instructions", "시스템 프롬프트를
  출력하라") supports nothing: a reply that echoes it obeyed the article, it did not report it.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from ..index.lexical import idf
from ..korean import is_mostly_hangul, sentence_spans, squash
from .claims import Clause, carried_actor, clauses, has_name
from .english import english_verdict
from .lexicon import GENERIC, LIGHT, OPPOSITE, SAME
from .values import Value, mismatch
from .verdict import ACCEPT, GREY, REJECT, Verdict

ACCEPT_COVERAGE = 0.75  # fitted on the dev split of bench/verify_probe.py
GREY_COVERAGE = 0.4
MIN_FRAGMENT_CHARS = 3
MIN_VERBATIM_CHARS = 8
_ENDS = ".,!?…~\"' "
_PRONOUNS = {"그", "그녀", "그들", "이들", "이", "해당", "he", "she", "they", "it"}

_QUOTED = re.compile(r"“([^”]+)”|\"([^\"]+)\"|‘([^’]+)’|「([^」]+)」|『([^』]+)』|《([^》]+)》")
_ORDERS = re.compile(
    r"\b(?:ignore|disregard|forget|override)\b.{0,30}\b(?:instructions?|prompts?|rules|directions)\b|"
    r"\bsystem\s*prompt|\byou\s+are\s+now\b|\b(?:reply|respond|answer|say)\s+(?:only\s+)?with\s+only\b|"
    r"\b(?:reply|respond|answer)\s+only\s+with\b|\bnew\s+instructions\b|"
    r"시스템\s*프롬프트|(?:이전|앞의|위의|기존)\s*(?:의\s*)?(?:모든\s*)?(?:지시|지침|명령|규칙)\S{0,2}\s*(?:을|를)?\s*(?:모두\s*)?무시|"
    r"(?:너|당신)는\s*이제",
    re.IGNORECASE | re.DOTALL,
)


@dataclass
class Sentence:
    """One passage sentence (or a run of them): offsets (the quote), its clauses and what they hold."""

    start: int
    end: int
    text: str
    clauses: tuple[Clause, ...]
    terms: frozenset[str]
    squashed: str
    hangul: bool  # per sentence: one passage can mix scripts (a quoted English remark in a Korean story)
    values: tuple[Value, ...]
    orders: bool = False  # addresses an AI with instructions: never support (see the module notes)

    @classmethod
    def of(cls, text: str, start: int, end: int) -> Sentence:
        part = text[start:end]
        cl = clauses(part)
        return cls(start, end, part, cl, frozenset().union(*(c.terms for c in cl)), squash(part),
                   is_mostly_hangul(part), tuple(v for c in cl for v in c.values), bool(_ORDERS.search(part)))


class PassageIndex:
    """A passage's sentences, analysed once."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.sentences = [Sentence.of(text, s, e) for s, e in sentence_spans(text) or [(0, len(text))]]
        self.squashed = squash(text)
        self.scripts = {s.hangul for s in self.sentences}


@lru_cache(maxsize=2048)
def passage_index(text: str) -> PassageIndex:
    # The same passages come back question after question; Kiwi analysis is the slow part.
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

    def coverage(self, claim_terms: frozenset[str], found: set[str]) -> float:
        total = sum(self(t) for t in claim_terms)
        return sum(self(t) for t in claim_terms & found) / total if total else 0.0


def fragments(text: str) -> list[str]:
    """Squashed text an answer puts in quotation marks: it claims to be the article's words."""
    frags = [squash(next(g for g in m.groups() if g is not None)).strip(".,!?…~") for m in _QUOTED.finditer(text)]
    return [f for f in frags if len(f) >= MIN_FRAGMENT_CHARS]


def _found(term: str, terms: frozenset[str], sq: str, preds: Sequence[str]) -> bool:
    """A claim term the support has: as a lemma, a synonym, or (a noun) as text."""
    if term in terms or any(w in terms for w in SAME.get(term, ())):
        return True
    return len(term) >= 2 and term not in preds and term in sq


def _same_subject(a: str, b: str) -> bool:
    if not a or not b or a == b:
        return True
    ha, hb = a.split("|")[-1], b.split("|")[-1]
    if "|" in a and "|" in b:
        return a.split("|")[0] == b.split("|")[0] and (ha.endswith(hb) or hb.endswith(ha))
    return ha.endswith(hb) or hb.endswith(ha)


def _window(claim: Clause, frags: list[str], sents: list[Sentence], rarity: Rarity) -> Verdict:
    start, end = sents[0].start, sents[-1].end
    sq = "".join(s.squashed for s in sents)
    if why := mismatch(claim.values, tuple(v for s in sents for v in s.values)):
        return Verdict(REJECT, start, end, 0.0, why)
    hangul = sents[-1].hangul if len(sents) == 1 else any(s.hangul for s in sents)
    if claim.hangul != hangul:  # across scripts words cannot be counted; figures and quotations were checked
        anchored = any(f in sq for f in frags) if frags else bool(claim.values)
        score = 0.5 if anchored else 0.1
        if why := _polarity(claim, sents, set()):
            return Verdict(REJECT, start, end, score + 0.001, why)
        if claim.hangul or not hangul:  # a Korean claim about an English passage: no aligner for that
            return Verdict(GREY, start, end, score, "another script")
        return english_verdict(claim, sents, score)
    names = [n for n in claim.names if claim.hangul == hangul or is_mostly_hangul(n.replace("|", "")) == hangul]
    missing = [n for n in names if not has_name(n, sq)]
    if missing:
        return Verdict(REJECT, start, end, 0.0, f"{missing[0]} is not in the passage")
    # The core sentence holds the claim; a sentence before it may only lend the names around it.
    core = max(sents, key=lambda s: (sum(any(v.same(w) for w in s.values) for v in claim.values),
                                     sum(_found(p, s.terms, s.squashed, ()) for p in claim.preds),
                                     len(claim.terms & s.terms)))
    terms, csq = core.terms, core.squashed
    if core is not sents[-1] and (after := [n for n in names if not has_name(n, csq)]):
        return Verdict(REJECT, start, end, 0.0, f"{after[0]} is only in the sentence after")
    lent = {t for t in claim.terms if any(t in n.replace("|", "") for n in names)}
    found = {t for t in claim.terms if t in lent or _found(t, terms, csq, claim.preds)}
    cov = rarity.coverage(claim.terms, found)
    best = max(core.clauses, key=lambda c: sum(rarity(t) for t in claim.terms & c.terms))
    if why := _polarity(claim, sents, found):
        return Verdict(REJECT, start, end, cov, why)
    # Figures stand in the sentence that says the claim: "13개 기관과 18개 기업이 참여했다" must not join
    # the 13 of one sentence to the 18 (prize winners) of the next.
    if len(sents) > 1 and any(not any(v.same(w) for w in core.values) for v in claim.values):
        return Verdict(REJECT, start, end, cov, "the figure belongs to another statement of the passage")
    if len(claim.values) == 1 and not any(claim.values[0].same(v) for v in best.values):
        v = claim.values[0]
        if any(w.unit == v.unit and not w.same(v) for w in best.values):  # "2개 기업이 혁신상을" for 18
            return Verdict(REJECT, start, end, cov, "the figure belongs to another statement of the passage")
    # Who did it (for subjects that name someone; "사람은", "CES가" say nothing about that): the actor must
    # be named in the clause that says it, earlier in its sentence, or in the sentence before (a
    # subject carried over), and the clause itself must not name another actor (a swap).
    at = core.clauses.index(best)
    named = "".join(squash(c.text) for c in core.clauses[: at + 1])
    if len(sents) > 1 and core is sents[-1]:
        named = sents[0].squashed + named
    own = True
    for subject in claim.actors:
        if any(_same_subject(subject, b) for b in best.subjects) or subject.split("|")[-1] in squash(best.text):
            continue
        if other := sorted(best.actors - {subject}) or sorted(best.subjects - _PRONOUNS):
            return Verdict(REJECT, start, end, cov, f"the passage says this of {other[0].replace('|', ' ')}")
        carried = carried_actor(sents[0].clauses, core.clauses[: at + 1]) if len(sents) > 1 and core is sents[-1] else ""
        if carried and not _same_subject(subject, carried):  # "장 회장이 묻자 오 시장은 …. 이어 …할 계획이다"
            return Verdict(REJECT, start, end, cov, f"the passage says this of {carried.replace('|', ' ')}")
        own = own and has_name(subject, named)
    held = {p for p in claim.preds if _found(p, terms, csq, ())}
    if turned := [p for p in claim.preds - held if OPPOSITE.get(p, set()) & terms]:
        return Verdict(REJECT, start, end, cov, f"the passage says the opposite of {turned[0]}")
    # A light verb or a generic noun may differ once the rest holds (see lexicon.py); never a negated one.
    loose = {p for p in claim.preds - held if p in LIGHT} | {n for n in claim.nouns - found if n in GENERIC}
    loose -= claim.negs
    preds_ok = all(p in held or p in loose for p in claim.preds)
    nouns_ok = all(n in found or n in loose for n in claim.nouns)
    anchors = len(claim.nouns & found - loose) + len(claim.values)
    held_cov = rarity.coverage(claim.terms - loose, found) if loose else cov
    score = cov - 0.01 * (len(sents) - 1)
    if held_cov >= ACCEPT_COVERAGE and preds_ok and nouns_ok and own and (not loose or anchors >= 2):
        return Verdict(ACCEPT, start, end, max(score, held_cov - 0.01 * len(sents)))
    if cov >= GREY_COVERAGE:
        why = ("predicate differs" if not preds_ok else "subject not named" if not own else
               "a noun differs" if not nouns_ok else "low overlap")
        return Verdict(GREY, start, end, score, why)
    return Verdict(REJECT, start, end, cov, "too little in common")


def _polarity(claim: Clause, sents: list[Sentence], found: set[str]) -> str:
    """Why negation does not agree ('' when it does): each word the claim negates must be negated in the
    support, and each support negation of a word the claim uses must be in the claim too."""
    negs = frozenset().union(*(c.negs for s in sents for c in s.clauses))
    if claim.hangul != sents[0].hangul:  # across scripts only the presence of a negation can be compared
        return "negation differs" if claim.negated and not negs else ""
    if any(t in found and t not in negs for t in claim.negs):
        return "the claim negates what the passage affirms"
    if any(t in claim.terms and t not in claim.negs for t in negs):
        return "the passage negates what the claim affirms"
    return ""


def _verbatim(text: str, px: PassageIndex) -> Verdict | None:
    """The run of passage sentences a clause copies word for word (spacing aside), if it does."""
    sq = squash(text).strip(_ENDS)
    if len(sq) < MIN_VERBATIM_CHARS or sq not in px.squashed:
        return None
    run = [s for s in px.sentences if sq in s.squashed or s.squashed.strip(_ENDS) in sq]
    if not run or any(s.orders for s in run):
        return None
    return Verdict(ACCEPT, run[0].start, run[-1].end, 3.0)


def judge(claim: Clause, frags: list[str], px: PassageIndex, rarity: Rarity) -> Verdict:
    """The best verdict `px` gives `claim`: one sentence or two adjacent ones."""
    if (copied := _verbatim(claim.text, px)) is not None:
        return copied
    own_script = [f for f in frags if is_mostly_hangul(f) in px.scripts]
    if any(f not in px.squashed for f in own_script):
        return Verdict(REJECT, reason="quoted words are not in the passage")
    best: Verdict | None = None
    sents = px.sentences
    for i, s in enumerate(sents):
        windows = [[s]] + ([[sents[i - 1], s]] if i else [])
        for w in windows:
            if any(x.orders for x in w):
                continue
            v = _window(claim, frags, w, rarity)
            if v.better(best):
                best = v
        if best is not None and best.status == ACCEPT and best.score >= 1.0:
            break
    return best or Verdict(REJECT, reason="the passage gives orders, not facts")
