"""Answers' citations, kept per chat for the Sources button and /sources."""

from __future__ import annotations

import json
import time
from collections.abc import Sequence
from dataclasses import asdict

from retrieval.models import Citation

from .db import Database

KEEP_ANSWERS = 50  # per chat: enough for Sources buttons on recent answers


class AnswersTable(Database):
    SCHEMA = """
CREATE TABLE IF NOT EXISTS answers(id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, question TEXT NOT NULL,
    citations TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS answers_by_chat ON answers(chat_id, id);
"""

    def save_answer(self, chat_id: int, question: str, citations: Sequence[Citation]) -> int:
        with self._lock, self._db:
            self._db.execute("BEGIN")
            cur = self._db.execute("INSERT INTO answers(chat_id, question, citations, created) VALUES (?,?,?,?)",
                                   (chat_id, question, json.dumps([asdict(c) for c in citations]), time.time()))
            self._db.execute("DELETE FROM answers WHERE chat_id=? AND id NOT IN "
                             "(SELECT id FROM answers WHERE chat_id=? ORDER BY id DESC LIMIT ?)",
                             (chat_id, chat_id, KEEP_ANSWERS))
            return int(cur.lastrowid or 0)

    def citations(self, chat_id: int, answer_id: int | None = None) -> list[Citation] | None:
        """The citations of one answer (or the chat's last), None when there is none in this chat."""
        if answer_id is None:
            rows = self._q("SELECT citations FROM answers WHERE chat_id=? ORDER BY id DESC LIMIT 1", (chat_id,))
        else:
            rows = self._q("SELECT citations FROM answers WHERE chat_id=? AND id=?", (chat_id, answer_id))
        return [Citation(**c) for c in json.loads(rows[0][0])] if rows else None
