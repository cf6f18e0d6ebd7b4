"""Each chat's chosen article, and the questions behind its question buttons."""

from __future__ import annotations

import time
from collections.abc import Sequence

from .db import Database

KEEP_ASKS = 60  # per chat: the question buttons of the last ~20 messages


class ChoicesTable(Database):
    SCHEMA = """
CREATE TABLE IF NOT EXISTS focus(chat_id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS asks(id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, article_id TEXT NOT NULL,
    question TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS asks_by_chat ON asks(chat_id, id);
"""

    def focus(self, chat_id: int) -> str | None:
        """The article this chat asks about, or None for all articles."""
        rows = self._q("SELECT article_id FROM focus WHERE chat_id=?", (chat_id,))
        return rows[0][0] if rows else None

    def set_focus(self, chat_id: int, article_id: str | None) -> None:
        """Choose an article for this chat (None: all articles again)."""
        if article_id is None:
            self._q("DELETE FROM focus WHERE chat_id=?", (chat_id,))
        else:
            self._q("INSERT OR REPLACE INTO focus(chat_id, article_id, created) VALUES (?,?,?)",
                    (chat_id, article_id, time.time()))

    def save_asks(self, chat_id: int, asks: Sequence[tuple[str, str]]) -> list[int]:
        """Store (article id, question) pairs shown as buttons; their ids go into the callback data, so
        a button keeps asking the same question after a restart and the data itself carries no text."""
        ids = []
        with self._lock, self._db:
            self._db.execute("BEGIN")
            for article_id, question in asks:
                cur = self._db.execute("INSERT INTO asks(chat_id, article_id, question, created) VALUES (?,?,?,?)",
                                       (chat_id, article_id, question, time.time()))
                ids.append(int(cur.lastrowid or 0))
            self._db.execute("DELETE FROM asks WHERE chat_id=? AND id NOT IN "
                             "(SELECT id FROM asks WHERE chat_id=? ORDER BY id DESC LIMIT ?)",
                             (chat_id, chat_id, KEEP_ASKS))
        return ids

    def ask_of(self, chat_id: int, ask_id: int) -> tuple[str, str] | None:
        """(article id, question) of a button in this chat; None for another chat's or a forgotten one."""
        rows = self._q("SELECT article_id, question FROM asks WHERE chat_id=? AND id=?", (chat_id, ask_id))
        return (rows[0][0], rows[0][1]) if rows else None
