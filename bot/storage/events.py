"""Usage events behind /stats: one row per question's outcome."""

from __future__ import annotations

import time
from typing import Any

import numpy as np

from retrieval.models import Answer

from .db import Database


class EventsTable(Database):
    SCHEMA = """
CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, user_id INTEGER, chat_id INTEGER, kind TEXT NOT NULL,
    mode TEXT, answerable INTEGER, latency_ms REAL, prompt_tokens INTEGER DEFAULT 0,
    completion_tokens INTEGER DEFAULT 0, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS events_by_created ON events(created);
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

    def prune_events(self, keep_days: float, now: float | None = None) -> int:
        """Drop events older than `keep_days`; returns how many went."""
        cutoff = (time.time() if now is None else now) - keep_days * 86400
        with self._lock:
            return self._db.execute("DELETE FROM events WHERE created < ?", (cutoff,)).rowcount

    def stats(self) -> dict[str, Any]:
        (users, questions, refusals, errors, cancelled, p_tok, c_tok), = self._q(
            "SELECT COUNT(DISTINCT user_id), COUNT(*), SUM(kind='answer' AND answerable=0), SUM(kind='error'), "
            "SUM(kind='cancelled'), COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0) FROM events")
        by_mode = dict(self._q("SELECT mode, COUNT(*) FROM events WHERE kind='answer' GROUP BY mode"))
        lat = [r[0] for r in self._q("SELECT latency_ms FROM events WHERE kind='answer' "
                                     "AND latency_ms IS NOT NULL ORDER BY id DESC LIMIT 10000")]
        return {"users": users, "questions": questions, "answers_by_mode": by_mode,
                "refusals": refusals or 0, "errors": errors or 0, "cancelled": cancelled or 0,
                "latency_p50_ms": percentile(lat, 50), "latency_p95_ms": percentile(lat, 95),
                "prompt_tokens": p_tok, "completion_tokens": c_tok,
                "chats": self._q("SELECT COUNT(DISTINCT chat_id) FROM events")[0][0]}


def _tokens(usage: dict[str, int], *names: str) -> int:
    """LangChain says input/output_tokens, the OpenAI API prompt/completion_tokens: accept either."""
    return next((int(usage[n]) for n in names if usage.get(n)), 0)


def percentile(values: list[float], p: float) -> float | None:
    """Nearest-rank percentile (a value that occurred), None for no values; the benchmarks use the same."""
    if not values:
        return None
    return float(np.percentile(values, p, method="inverted_cdf"))
