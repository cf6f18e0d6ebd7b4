"""The citation check, in code: every `[n]` left in an answer points at a passage that supports its claims.

What "supports" means is `support.py`'s rule, clause by clause. Here the answer is walked sentence by
sentence (a Markdown list item is a sentence too): markers outside the numbered set go; each clause is
judged against the passages its marker names, and when they fail, against every passage (the code
then cites the one that holds); clauses left in the grey zone go to the entailment judge in one batch.
A sentence is kept only when every clause of it holds; the markers left are renumbered densely in order
of first use, each citation carrying the exact passage sentences it rests on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import lru_cache

from ..models import Citation, Passage
from .citations import CitationBook
from .claims import Clause, clauses
from .entail import Entailment, Item, decide
from .support import ACCEPT, GREY, REJECT, Rarity, Verdict, fragments, judge, passage_index, squash

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
_EMPHASIS = re.compile(r"\*\*|__|(?<![\w*])\*(?=\S)|(?<=\S)\*(?![\w*])|`")


@dataclass
class Checked:
    """The answer after the check: text with dense `[n]`, citations with verbatim quotes."""

    text: str
    citations: list[Citation]
    refused: bool
    dropped: list[str] = field(default_factory=list)
    removed: int = 0  # sentences with a claim that did not hold
    clauses: int = 0  # clauses judged
    grey: int = 0  # of them, how many went to the entailment judge


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


@dataclass
class Judged:
    """One clause with the passages that hold it (accepted) or the best grey option."""

    clause: Clause
    accepted: list[tuple[int, Verdict]]
    grey: tuple[int, Verdict] | None
    reason: str = ""


@dataclass
class Plan:
    """What the check decided about one sentence before the grey zone is settled."""

    kind: str  # "leak", "absent", "empty" or "claims"
    bare: str
    says_absent: bool = False  # "…is not in the article [2]": a statement of absence if its claim fails
    segments: list[tuple[str, list[Judged], bool]] = field(default_factory=list)  # (text, clauses, had marker)
    notes: list[str] = field(default_factory=list)

    def greys(self) -> list[Judged]:
        return [j for _, js, _ in self.segments for j in js if not j.accepted and j.grey is not None]

    def holds(self, yes: set[int]) -> bool:
        return all(j.accepted or j.grey is not None and id(j) in yes for _, js, _ in self.segments for j in js)


class Checker:
    """The check for one answer's passages; sentences are planned once, also while a reply streams."""

    def __init__(self, passages: Sequence[Passage], *, refusals: Sequence[str] = (),
                 forbidden: Sequence[str] = ()) -> None:
        self.passages = list(passages)
        self.index = [passage_index(p.text) for p in passages]
        self.rarity = Rarity(self.index)
        self.forbidden = _squashed(tuple(forbidden))
        self.refusals = {squash(r).strip(".") for r in refusals}
        self._plans: dict[str, Plan] = {}

    # ----- one sentence ---------------------------------------------------------------------
    def plan(self, sent: str) -> Plan:
        if (p := self._plans.get(sent)) is None:
            p = self._plans[sent] = self._plan(sent)
        return p

    def _judged(self, c: Clause, frags: list[str], marked: list[int]) -> Judged:
        """Accepted by the passages the marker names, else by any; else the verdict of the best-matching
        support decides between the grey zone and rejection (a contradiction there is not outvoted by
        a vague match elsewhere)."""
        order = marked + [n for n in range(1, len(self.index) + 1) if n not in marked]
        verdicts = {n: judge(c, frags, self.index[n - 1], self.rarity) for n in order}
        accepted = [(n, v) for n, v in verdicts.items() if n in marked and v.status == ACCEPT]
        if not accepted:
            accepted = [max(((n, v) for n, v in verdicts.items() if v.status == ACCEPT),
                            key=lambda nv: nv[1].score, default=None)] if any(
                v.status == ACCEPT for v in verdicts.values()) else []
        if accepted:
            return Judged(c, accepted, None)
        n, top = max(verdicts.items(), key=lambda nv: (nv[1].score, nv[0] in marked), default=(0, None))
        if top is not None and top.status == GREY:
            return Judged(c, [], (n, top))
        return Judged(c, [], None, top.reason if top is not None else "no passage")

    def _plan(self, sent: str) -> Plan:
        bare = MARK.sub("", sent)
        claim_text = plain(bare)
        is_refusal = squash(claim_text).strip(".") in self.refusals
        if not is_refusal and _leaked(sent, self.forbidden):
            return Plan("leak", bare, notes=[f"prompt text: {bare.strip()[:60]}"])
        says_absent = is_refusal or bool(ABSENT.search(claim_text))
        if says_absent and (is_refusal or not MARK.search(sent)):
            return Plan("absent", bare)
        plan = Plan("claims", bare, says_absent)
        pos = 0
        pieces = [(g.start(), g.end(), _numbers(g.group(1))) for g in MARK.finditer(sent)]
        pieces.append((len(sent), len(sent), None))
        for start, end, numbers in pieces:
            text = sent[pos:start]
            pos = end
            marked = []
            for n in numbers or []:
                if 1 <= n <= len(self.index):
                    marked.append(n)
                else:
                    plan.notes.append(f"[{n}] points outside 1..{len(self.index)}")
            content = _after_absence(plain(text))
            frags = fragments(content)
            judged = [self._judged(c, frags, marked) for c in clauses(content)
                      if c.terms or c.values or (frags and len(clauses(content)) == 1)]
            plan.segments.append((text, judged, numbers is not None))
        if not any(js for _, js, _ in plan.segments):
            plan.kind = "absent" if says_absent else "empty"
        return plan

    # ----- a whole reply --------------------------------------------------------------------
    def check(self, reply: str, entail: Entailment | None = None) -> Checked:
        """Keep the sentences whose every clause holds; the grey zone is settled by `entail` (fail closed)."""
        plans = [self.plan(s) for s in sentences(reply)]
        greys = [j for p in plans for j in p.greys()]
        items = [Item(j.clause.text.strip(), self._support(j.grey)) for j in greys]
        yes = {id(j) for j, ok in zip(greys, decide(items, entail)) if ok}
        out = Assembly(self)
        for p in plans:
            out.add(p, yes)
        out.checked.clauses = sum(len(js) for p in plans for _, js, _ in p.segments)
        out.checked.grey = len(greys)
        return out.finish()

    def _support(self, option: tuple[int, Verdict] | None) -> str:
        assert option is not None
        n, v = option
        text = self.passages[n - 1].text
        return text[v.start : v.end] if v.end > v.start else text

    def cite(self, book: CitationBook, option: tuple[int, Verdict]) -> int:
        n, v = option
        p = self.passages[n - 1]
        return book.cite(p, p.text[v.start : v.end] if v.end > v.start else p.text)


class Assembly:
    """The checked text, built sentence by sentence (also for the streamed preview)."""

    def __init__(self, checker: Checker) -> None:
        self.checker = checker
        self.book = CitationBook()
        self.parts: list[str] = []
        self.pending: list[str] = []
        self.absent = False
        self.checked = Checked("", self.book.citations, False)

    def add(self, plan: Plan, yes: set[int]) -> bool:
        """Add one planned sentence; False when it was dropped."""
        self.checked.dropped += plan.notes
        if plan.kind == "leak":
            self.pending.clear()
            return False
        if plan.kind == "empty":
            self.pending.append(plan.bare)  # "1." / "네." / a heading: kept only in front of kept content
            return True
        if not plan.holds(yes) and plan.says_absent:
            plan = Plan("absent", plan.bare)
        if plan.kind == "absent":
            self.absent = True
            self.parts += self.pending + [plan.bare]
            self.pending.clear()
            return True
        if not plan.holds(yes):
            failed = next(j for _, js, _ in plan.segments for j in js
                          if not (j.accepted or j.grey is not None and id(j) in yes))
            why = failed.reason or ("the entailment check did not confirm it" if failed.grey else "unsupported")
            self.checked.dropped.append(f"{why}: {failed.clause.text.strip()[:60]}")
            self.checked.removed += 1
            self.pending.clear()
            return False
        out: list[str] = []
        trailing: list[int] = []
        for text, judged, had_marker in plan.segments:
            used = [n for j in judged for n in self._numbers(j)]
            if had_marker:
                out.append(text)
                numbers = list(dict.fromkeys(trailing + used))
                trailing = []
                if numbers:
                    out.append(" " + "".join(f"[{n}]" for n in numbers))
            else:
                trailing += used
                out.append(text)
        text = "".join(out)
        if trailing:  # claims after the last marker (or a sentence without any): cited at its end
            body = text.rstrip()
            text = f"{body} " + "".join(f"[{n}]" for n in dict.fromkeys(trailing)) + text[len(body):]
        self.parts += self.pending + [text]
        self.pending.clear()
        return True

    def _numbers(self, j: Judged) -> list[int]:
        options = j.accepted or ([j.grey] if j.grey else [])
        return [self.checker.cite(self.book, o) for o in options]

    def text(self) -> str:
        text = re.sub(r"[ \t]{2,}", " ", "".join(self.parts))
        text = "\n".join(line.strip() for line in text.strip().splitlines())
        return re.sub(r"\n{3,}", "\n\n", text)

    def finish(self) -> Checked:
        self.checked.text = self.text()
        # Only an explicit "the article doesn't say" is a refusal; an answer whose claims all failed is not.
        self.checked.refused = not self.book.citations and self.absent
        return self.checked


def check(reply: str, passages: Sequence[Passage], *, refusals: Sequence[str] = (),
          forbidden: Sequence[str] = (), entail: Entailment | None = None) -> Checked:
    """Keep the sentences of `reply` whose claims hold, renumber `[n]` densely in order of first use.

    Sentences without content words and statements that the article lacks something stay without a
    marker. Sentences copied from our own prompt (`forbidden`) are dropped whatever their markers say.
    """
    return Checker(passages, refusals=refusals, forbidden=forbidden).check(reply, entail)
