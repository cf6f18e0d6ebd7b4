"""KorQuAD 1.0 dev at answer level: which titles fit the answerer, which report on it, which are left out.

Data: KorQuAD 1.0 dev set by LG CNS AI Research (https://korquad.github.io/), CC BY-ND 2.0 KR, read as is.

Every Wikipedia title falls in one half by a hash of its name: `fit` (the model and its refusal threshold
are fitted there) or `report` (figures only). In each half one title in five is left out of the index; its
questions whose answer text occurs nowhere in the index are the ones that must be refused. Every paragraph of
the other titles is indexed as its own article, so both halves' questions are asked over the same index.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# ../shared beside the checkout; ARTICLEBOT_SHARED points elsewhere (a git worktree has no ../shared).
SHARED = Path(os.environ.get("ARTICLEBOT_SHARED", ROOT.parent / "shared"))
KORQUAD = SHARED / "eval" / "korquad" / "KorQuAD_v1.0_dev.json"
ATTRIBUTION = "KorQuAD 1.0 dev (LG CNS AI Research, https://korquad.github.io/), CC BY-ND 2.0 KR, unmodified"


def _h(title: str) -> int:
    return int(hashlib.sha256(title.encode("utf-8")).hexdigest()[:12], 16)


def half(title: str) -> str:
    return "fit" if _h(title) % 2 == 0 else "report"


def left_out(title: str) -> bool:
    return (_h(title) // 2) % 5 == 0


@dataclass(frozen=True)
class Question:
    id: str
    q: str
    answer: str
    pid: str
    title: str
    half: str
    answerable: bool


def load(path: Path = KORQUAD) -> tuple[list[dict], list[Question]]:
    """(indexed paragraphs as JSON Lines articles, every usable question)."""
    data = json.loads(path.read_text(encoding="utf-8"))
    paragraphs: dict[str, dict] = {}
    raw = []
    for article in data["data"]:
        title = article["title"]
        for para in article["paragraphs"]:
            ctx = para["context"]
            if ctx not in paragraphs:  # 3 paragraphs repeat another's text: one document each text
                paragraphs[ctx] = {"id": f"kq{len(paragraphs):04d}", "title": title, "text": ctx}
            for qa in para["qas"]:
                raw.append((qa["id"], qa["question"], qa["answers"][0]["text"], paragraphs[ctx]["id"], title))
    indexed = [p for p in paragraphs.values() if not left_out(p["title"])]
    corpus = "\n".join(p["text"] for p in indexed)
    questions = []
    for qid, q, ans, pid, title in raw:
        if left_out(title) and ans in corpus:
            continue  # neither answerable here nor a fair refusal
        questions.append(Question(qid, q, ans, pid, title, half(title), not left_out(title)))
    return indexed, questions


def sample(questions: list[Question], which: str, answerable: int, refusals: int, seed: int = 0) -> list[Question]:
    """Up to `answerable` indexed and `refusals` left-out questions of one half, in a fixed random order."""
    pool = [q for q in questions if q.half == which]
    rng = random.Random(seed)
    rng.shuffle(pool)
    return ([q for q in pool if q.answerable][:answerable] + [q for q in pool if not q.answerable][:refusals])


def write_jsonl(paragraphs: list[dict], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join(json.dumps(p, ensure_ascii=False) + "\n" for p in paragraphs), encoding="utf-8")
    return path
