"""Per-chat conversation turns, with the chunk ids each answer cited, for follow-up questions."""

from __future__ import annotations

import json
import time

from retrieval.models import Answer, Turn

from .db import Database


class HistoryTable(Database):
    SCHEMA = """
CREATE TABLE IF NOT EXISTS turns(id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, role TEXT NOT NULL,
    content TEXT NOT NULL, chunk_ids TEXT NOT NULL DEFAULT '[]', created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS turns_by_chat ON turns(chat_id, id);
"""

    def history(self, chat_id: int, limit: int) -> list[Turn]:
        """The last `limit` turns of this chat, oldest first."""
        if limit <= 0:
            return []
        rows = self._q("SELECT role, content, chunk_ids FROM turns WHERE chat_id=? ORDER BY id DESC LIMIT ?",
                       (chat_id, limit))
        return [Turn(role, content, json.loads(ids)) for role, content, ids in reversed(rows)]

    def add_exchange(self, chat_id: int, question: str, answer: Answer, keep: int) -> None:
        """Store a question and its answer (with the cited chunk ids), keeping the last `keep` turns."""
        now = time.time()
        cited = json.dumps([c.chunk_id for c in answer.citations])
        with self._lock, self._db:
            self._db.execute("BEGIN")
            self._db.executemany(
                "INSERT INTO turns(chat_id, role, content, chunk_ids, created) VALUES (?,?,?,?,?)",
                [(chat_id, "user", question, "[]", now), (chat_id, "assistant", answer.answer, cited, now)])
            # Bounded: a long conversation never grows the prompt or the file without limit.
            self._db.execute("DELETE FROM turns WHERE chat_id=? AND id NOT IN "
                             "(SELECT id FROM turns WHERE chat_id=? ORDER BY id DESC LIMIT ?)",
                             (chat_id, chat_id, max(keep, 0)))

    def last_turn_at(self, chat_id: int) -> float | None:
        """When this chat's conversation last moved (time.time()), None when it has no turns."""
        rows = self._q("SELECT created FROM turns WHERE chat_id=? ORDER BY id DESC LIMIT 1", (chat_id,))
        return float(rows[0][0]) if rows else None

    def drop_turns(self, chat_id: int) -> int:
        """Forget the conversation but keep the answers behind its Sources buttons (a chat gone quiet)."""
        with self._lock:
            return self._db.execute("DELETE FROM turns WHERE chat_id=?", (chat_id,)).rowcount

    def reset(self, chat_id: int) -> int:
        """Forget this chat's conversation and its answers; returns how many turns were dropped."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            n = self._db.execute("DELETE FROM turns WHERE chat_id=?", (chat_id,)).rowcount
            self._db.execute("DELETE FROM answers WHERE chat_id=?", (chat_id,))
        return n
