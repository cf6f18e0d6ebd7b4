"""Score answers on QA files (format: eval/README.md): hit rate, refusal accuracy, follow-up accuracy."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from .models import Answer, Turn

Asker = Callable[[str, list[Turn]], Answer]


def judge(answer: Answer, keys: list[str], answerable: bool) -> bool:
    """Right when an answerable question's keys are in the answer and in a cited passage,
    and an unanswerable one is declined with nothing cited."""
    if not answerable:
        return not answer.answerable and not answer.citations
    if not answer.answerable or not answer.citations:
        return False
    return all(k in answer.answer and any(k in c.passage for c in answer.citations) for k in keys)


@dataclass
class EvalResult:
    answerable_total: int = 0
    answerable_hits: int = 0
    refusal_total: int = 0
    refusal_hits: int = 0
    followup_total: int = 0
    followup_hits: int = 0
    failures: list[dict] = field(default_factory=list)

    def as_dict(self) -> dict:
        def rate(a: int, b: int) -> float | None:
            return round(a / b, 3) if b else None

        return {
            "hit_rate": rate(self.answerable_hits, self.answerable_total),
            "refusal_accuracy": rate(self.refusal_hits, self.refusal_total),
            "followup_accuracy": rate(self.followup_hits, self.followup_total),
            "answerable": self.answerable_total, "unanswerable": self.refusal_total,
            "followup_turns": self.followup_total, "failures": self.failures,
        }


def _turn_problem(turn: object) -> str | None:
    if not isinstance(turn, dict):
        return "a question must be a JSON object"
    if not isinstance(turn.get("q"), str) or not turn["q"].strip():
        return 'needs "q", the question, as a non-empty string'
    keys = turn.get("keys", [])
    if not isinstance(keys, list) or not all(isinstance(k, str) and k for k in keys):
        return '"keys" must be a list of non-empty strings'
    if not isinstance(turn.get("answerable", True), bool):
        return '"answerable" must be true or false'
    return None


def row_problem(row: object) -> str | None:
    """Why a row breaks the format (eval/README.md), or None when it is fine."""
    if isinstance(row, dict) and "turns" in row:
        turns = row["turns"]
        if not isinstance(turns, list) or not turns:
            return '"turns" must be a non-empty list of questions'
        return next((f"turn {i + 1}: {p}" for i, t in enumerate(turns) if (p := _turn_problem(t))), None)
    return _turn_problem(row)


def read_jsonl(paths: Iterable[Path]) -> list[dict]:
    """Every row of the files; a row that is not JSON or breaks the format stops with its file and line."""
    rows = []
    for path in paths:
        for n, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), 1):
            if line.strip():
                try:
                    row = json.loads(line)
                except json.JSONDecodeError as exc:
                    raise ValueError(f"{path}:{n}: not JSON ({exc.msg})") from None
                if (problem := row_problem(row)) is not None:
                    raise ValueError(f"{path}:{n}: {problem} (the format is in eval/README.md)")
                rows.append(row)
    return rows


def evaluate(rows: Iterable[dict], ask: Asker) -> EvalResult:
    """Single questions (`q`) and conversations (`turns`); a turn is judged with the earlier turns as history."""
    res = EvalResult()
    for row in rows:
        turns = row.get("turns") or [row]
        history: list[Turn] = []
        for i, turn in enumerate(turns):
            keys = list(turn.get("keys") or [])
            answerable = bool(turn.get("answerable", True))
            ans = ask(turn["q"], history)
            ok = judge(ans, keys, answerable)
            if "turns" in row and i > 0:
                res.followup_total += 1
                res.followup_hits += ok
            elif answerable:
                res.answerable_total += 1
                res.answerable_hits += ok
            else:
                res.refusal_total += 1
                res.refusal_hits += ok
            if not ok:
                res.failures.append({"id": row.get("id"), "turn": i, "q": turn["q"], "keys": keys,
                                     "answerable": answerable, "answer": ans.answer})
            history += [Turn("user", turn["q"]), Turn("assistant", ans.answer, [c.chunk_id for c in ans.citations])]
    return res
