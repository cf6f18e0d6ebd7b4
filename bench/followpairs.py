"""Synthetic follow-ups from KorQuAD 1.0 dev (report half), for `make bench-answers`.

A reader's follow-up does not restate the topic. So a pair is two questions on one paragraph: the first as
asked, then the second with the nouns it shares with the first cut out, together with the particles right
after them ("GS칼텍스가 도입한 원유의 양은?" after a question on GS칼텍스 becomes "도입한 원유의 양은?").
Pairs whose answers overlap, whose second question loses nothing, or keeps no noun of its own, are skipped.
The pairs are made once, by this revision's tokenizer, and written to a file that every revision's run reads,
so the previous answerer is asked the very same follow-ups.
"""

from __future__ import annotations

import json
import random
import sys
from pathlib import Path

import answerdata

ROOT = Path(__file__).resolve().parent.parent
_NOUN_TAGS = {"NNG", "NNP", "SL", "SN", "NR", "XR"}


def _without(question: str, shared: set[str]) -> tuple[str, int]:
    """`question` with each noun in `shared` (and a particle right after it) cut out; how many were cut."""
    from retrieval.korean import tokens

    cut: list[list[int]] = []
    last_end = None
    for t in tokens(question):
        if t.tag in _NOUN_TAGS and t.form in shared:
            cut.append([t.start, t.start + t.len])
            last_end = t.start + t.len
        elif last_end is not None and t.tag.startswith("J") and t.start == last_end:
            cut[-1][1] = last_end = t.start + t.len
        else:
            last_end = None
    for a, b in reversed(cut):
        question = question[:a] + question[b:]
    return " ".join(question.split()), len(cut)


def make_pairs(n: int, half: str = "report", seed: int = 1) -> list[dict]:
    """Up to `n` pairs {first, answer1, follow_up, answer2, asked_as} from `half`'s indexed paragraphs."""
    sys.path.insert(0, str(ROOT))
    from retrieval.answer.evidence import analyze

    _, questions = answerdata.load()
    by_paragraph: dict[str, list[answerdata.Question]] = {}
    for q in questions:
        if q.half == half and q.answerable:
            by_paragraph.setdefault(q.pid, []).append(q)
    pids = sorted(by_paragraph)
    random.Random(seed).shuffle(pids)
    pairs = []
    for pid in pids:
        if len(by_paragraph[pid]) < 2:
            continue
        q1, q2 = by_paragraph[pid][:2]
        shared = set(analyze(q1.q).nouns) & set(analyze(q2.q).nouns)
        if not shared or q1.answer in q2.answer or q2.answer in q1.answer:
            continue
        text, dropped = _without(q2.q, shared)
        if dropped and analyze(text).nouns:
            pairs.append({"first": q1.q, "answer1": q1.answer, "follow_up": text, "answer2": q2.answer,
                          "asked_as": q2.q})
            if len(pairs) >= n:
                break
    return pairs


def pairs_file(cache: Path, n: int) -> Path:
    """The pairs for `n`, made once under `cache`."""
    path = cache / f"followup-pairs-{n}.json"
    if not path.exists():
        path.write_text(json.dumps(make_pairs(n), ensure_ascii=False, indent=0), encoding="utf-8")
    return path
