"""Offline summaries: the lead plus the most central sentences of one article, in article order, each cited.

Centrality is a sentence's mean E5 similarity to the article's other sentences (the vectors come from the
sentence index, computed at ingest): the facts the article keeps coming back to.
"""

from __future__ import annotations

from ..base import lang_of
from ..check.citations import CitationBook
from ..models import Answer, Passage
from .evidence import is_statement
from .sentences import SentenceTable

SENTENCES = 5  # the lead, then the most central: 3 to 5 in all
# A news lead is its first two sentences: what happened, then the figure or the source that backs it.
LEAD = 2
# Two sentences this similar say the same thing (a caption repeating the lead, an overlapping chunk).
SAME = 0.95
MMR = 0.5


def _sentences(passages: list[Passage], table: SentenceTable) -> list[tuple[Passage, int, int, int]]:
    """(passage, start, end, vector row) of each distinct prose sentence, in article order."""
    out, seen = [], set()
    for p in sorted(passages, key=lambda p: p.position):
        for s in table.sentences(p.text):
            text = p.text[s.start : s.end]
            if text in seen or len(s.terms) < 3 or not is_statement(text):
                continue
            seen.add(text)
            out.append((p, s.start, s.end, s.row))
    return out


def summarize(question: str, standalone: str, passages: list[Passage], table: SentenceTable,
              several: bool) -> Answer | None:
    """A summary of the article whose chunks are `passages`; None when it has no prose sentence.
    `several`: other articles are indexed too, so the answer names which one it summarizes."""
    sents = _sentences(passages, table)
    if not sents:
        return None
    vecs = table.vectors[[r for *_, r in sents]]
    sims = vecs @ vecs.T
    centrality = (sims.sum(axis=1) - 1) / max(len(sents) - 1, 1)
    chosen = list(range(min(LEAD, len(sents))))
    # Maximal marginal relevance (Carbonell & Goldstein, 1998), at its even weighting: each next sentence is
    # central but unlike those already chosen, so a summary of a beach-opening story reaches the lifeguards
    # and not three more sentences on opening hours.
    while len(chosen) < min(SENTENCES, len(sents)):
        nearest = sims[:, chosen].max(axis=1)  # each sentence's likeness to the closest one chosen
        rest = [i for i in range(len(sents)) if i not in chosen and nearest[i] < SAME]
        if not rest:
            break
        chosen.append(max(rest, key=lambda i: MMR * centrality[i] - (1 - MMR) * nearest[i]))
    book = CitationBook()
    parts = []
    for i in sorted(chosen):
        p, start, end, _ = sents[i]
        parts.append(f"“{p.text[start:end]}” [{book.cite(p, p.text[start:end])}]")
    title = passages[0].title
    if lang_of(question) == "ko":
        head = f"「{title}」 기사 요약:" if several else "기사 요약:"
    else:
        head = f"Summary of “{title}” (quoted in Korean):" if several else "Summary (quoted in Korean):"
    return Answer(question, standalone, head + "\n" + "\n".join(f"- {x}" for x in parts), True, "extractive",
                  book.citations)
