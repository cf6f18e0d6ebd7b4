"""Usage events behind /stats: one row per question's outcome."""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from retrieval.models import Answer

from .db import Database


class EventsTable(Database):
    SCHEMA = """
CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, user_id INTEGER, chat_id INTEGER, kind TEXT NOT NULL,
    mode TEXT, answerable INTEGER, latency_ms REAL, prompt_tokens INTEGER DEFAULT 0,
    completion_tokens INTEGER DEFAULT 0, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_time ON events(created);
CREATE INDEX IF NOT EXISTS events_by_user ON events(user_id, created);
"""

    def record(self, user_id: int | None, chat_id: int, kind: str, answer: Answer | None = None,
               latency_ms: float | None = None) -> None:
        """One question's outcome: kind is answer, error or cancelled."""
        usage = (answer.usage or {}) if answer else {}
        self._q("INSERT INTO events(user_id, chat_id, kind, mode, answerable, latency_ms, prompt_tokens, "
                "completion_tokens, created) VALUES (?,?,?,?,?,?,?,?,?)",
                (user_id, chat_id, kind, answer.mode if answer else None,
                 int(answer.answerable) if answer else None, latency_ms,
                 _tokens(usage, "input_tokens", "prompt_tokens"), _tokens(usage, "output_tokens", "completion_tokens"),
                 time.time()))

    def user_usage(self, user_id: int, since: float) -> tuple[int, int]:
        """(questions answered, LLM tokens) of one user since `since`: what the daily budget counts."""
        (asked, tokens), = self._q("SELECT SUM(kind='answer'), COALESCE(SUM(prompt_tokens + completion_tokens), 0) "
                                   "FROM events WHERE user_id=? AND created >= ?", (user_id, since))
        return int(asked or 0), int(tokens)

    def users_at_limit(self, since: float, questions: int, tokens: int, exempt: Sequence[int] = ()) -> int:
        """How many users (not `exempt`) have used a budget up since `since` (a budget of 0 is off)."""
        marks = ",".join("?" * len(exempt))
        (n,), = self._q("SELECT COUNT(*) FROM (SELECT SUM(kind='answer') AS q, SUM(prompt_tokens + completion_tokens) "
                        "AS t FROM events WHERE created >= ? AND user_id IS NOT NULL "
                        f"AND user_id NOT IN ({marks}) GROUP BY user_id "
                        "HAVING (? > 0 AND q >= ?) OR (? > 0 AND t >= ?))",
                        (since, *exempt, questions, questions, tokens, tokens))
        return int(n)

    def stats(self, since: float | None = None) -> dict[str, Any]:
        """Usage over every event, or over those at or after `since` (a time.time() value: /stats 7d)."""
        where, args = ("WHERE created >= ?", (since,)) if since is not None else ("", ())
        both = f"{where} AND" if where else "WHERE"
        (users, questions, refusals, errors, cancelled, p_tok, c_tok, chats), = self._q(
            "SELECT COUNT(DISTINCT user_id), COUNT(*), SUM(kind='answer' AND answerable=0), SUM(kind='error'), "
            "SUM(kind='cancelled'), COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0), "
            f"COUNT(DISTINCT chat_id) FROM events {where}", args)
        by_mode = dict(self._q(f"SELECT mode, COUNT(*) FROM events {both} kind='answer' GROUP BY mode", args))
        lat = [r[0] for r in self._q(f"SELECT latency_ms FROM events {both} kind='answer' "
                                     "AND latency_ms IS NOT NULL ORDER BY id DESC LIMIT 10000", args)]
        return {"users": users, "questions": questions, "answers_by_mode": by_mode,
                "refusals": refusals or 0, "errors": errors or 0, "cancelled": cancelled or 0,
                "latency_p50_ms": percentile(lat, 50), "latency_p95_ms": percentile(lat, 95),
                "prompt_tokens": p_tok, "completion_tokens": c_tok, "chats": chats}


def _tokens(usage: dict[str, int], *names: str) -> int:
    """LangChain says input/output_tokens, the OpenAI API prompt/completion_tokens: accept either."""
    return next((int(usage[n]) for n in names if usage.get(n)), 0)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (a value that occurred), None for no values; the benchmarks use the same."""
    if not values:
        return None
    return float(np.percentile(values, p, method="inverted_cdf"))
