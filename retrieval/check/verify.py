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
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..models import Citation, Passage
from .citations import CitationBook
from .claims import Clause, clauses
from .entail import Entailment, Item, decide
from .support import Rarity, fragments, judge, passage_index, squash
from .text import ABSENT, LABEL, MARK, after_absence, leaked, marker_numbers, plain, sentences, squashed_prompts
from .verdict import ACCEPT, GREY, Verdict

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
    judge_ms: float = 0.0  # time spent waiting for the judge


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
        self.forbidden = squashed_prompts(tuple(forbidden))
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
        if not is_refusal and leaked(sent, self.forbidden):
            return Plan("leak", bare, notes=[f"prompt text: {bare.strip()[:60]}"])
        says_absent = is_refusal or bool(ABSENT.search(claim_text))
        if says_absent and (is_refusal or not MARK.search(sent)):
            return Plan("absent", bare)
        if LABEL.match(bare) and not MARK.search(sent) and not any(c.isdigit() for c in bare):
            return Plan("empty", bare)
        plan = Plan("claims", bare, says_absent)
        pos = 0
        pieces = [(g.start(), g.end(), marker_numbers(g.group(1))) for g in MARK.finditer(sent)]
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
            content = after_absence(plain(text))
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
        t = time.perf_counter()
        yes = {id(j) for j, ok in zip(greys, decide(items, entail)) if ok}
        judge_ms = (time.perf_counter() - t) * 1000
        out = Assembly(self)
        for p in plans:
            out.add(p, yes)
        out.checked.clauses = sum(len(js) for p in plans for _, js, _ in p.segments)
        out.checked.grey, out.checked.judge_ms = len(greys), judge_ms
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
