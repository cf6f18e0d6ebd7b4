"""The bot's own SQLite database: per-chat history, answers behind the Sources button, each chat's chosen
article and the questions behind its buttons, and usage stats.

It lives under the data dir next to the index, so a restart loses neither conversations nor counters.
Every call is a few-row query on an indexed table (well under a millisecond), so the handlers call it
directly on the event loop; a lock makes the one connection safe for the worker threads too.
"""

from __future__ import annotations

import json
import math
import sqlite3
import threading
import time
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

from retrieval.models import Answer, Citation, Turn

_SCHEMA = """
CREATE TABLE IF NOT EXISTS turns(id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, role TEXT NOT NULL,
    content TEXT NOT NULL, chunk_ids TEXT NOT NULL DEFAULT '[]', created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS turns_by_chat ON turns(chat_id, id);
CREATE TABLE IF NOT EXISTS answers(id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, question TEXT NOT NULL,
    citations TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS answers_by_chat ON answers(chat_id, id);
CREATE TABLE IF NOT EXISTS updates(bot_id INTEGER NOT NULL, update_id INTEGER NOT NULL, created REAL NOT NULL,
    PRIMARY KEY(bot_id, update_id)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS focus(chat_id INTEGER PRIMARY KEY, article_id TEXT NOT NULL, created REAL NOT NULL);
CREATE TABLE IF NOT EXISTS asks(id INTEGER PRIMARY KEY, chat_id INTEGER NOT NULL, article_id TEXT NOT NULL,
    question TEXT NOT NULL, created REAL NOT NULL);
CREATE INDEX IF NOT EXISTS asks_by_chat ON asks(chat_id, id);
CREATE TABLE IF NOT EXISTS events(id INTEGER PRIMARY KEY, user_id INTEGER, chat_id INTEGER, kind TEXT NOT NULL,
    mode TEXT, answerable INTEGER, latency_ms REAL, prompt_tokens INTEGER DEFAULT 0,
    completion_tokens INTEGER DEFAULT 0, created REAL NOT NULL);
"""
KEEP_ANSWERS = 50  # per chat: enough for Sources buttons on recent answers
KEEP_ASKS = 60  # per chat: the question buttons of the last ~20 messages
# Telegram keeps an unconfirmed update for at most 24 hours, so no update comes again later than that.
KEEP_UPDATE_IDS_S = 2 * 86400
PRUNE_EVERY = 1000  # updates between prunes of the seen-update table


class BotStore:
    """History, answers and stats; `path=":memory:"` for throwaway use."""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        self._since_prune = 0
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a crash cannot corrupt the file, only a power cut may lose the last commits;
            # FULL would fsync on every commit, milliseconds each on the event loop (bench/load.py).
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(_SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _q(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    # ----- updates -------------------------------------------------------------------------
    def first_delivery(self, bot_id: int, update_id: int) -> bool:
        """True the first time this update arrives. Telegram sends again what was never confirmed (the
        bot stopped while getUpdates could not reach it; a webhook reply got lost): handled once only."""
        now = time.time()
        with self._lock, self._db:
            self._db.execute("BEGIN")
            new = self._db.execute("INSERT OR IGNORE INTO updates(bot_id, update_id, created) VALUES (?,?,?)",
                                   (bot_id, update_id, now)).rowcount == 1
            self._since_prune += 1
            if self._since_prune >= PRUNE_EVERY:  # ids are not always increasing: prune by age
                self._since_prune = 0
                self._db.execute("DELETE FROM updates WHERE created < ?", (now - KEEP_UPDATE_IDS_S,))
        return new

    # ----- history -------------------------------------------------------------------------
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

    def reset(self, chat_id: int) -> int:
        """Forget this chat's conversation and its answers; returns how many turns were dropped."""
        with self._lock, self._db:
            self._db.execute("BEGIN")
            n = self._db.execute("DELETE FROM turns WHERE chat_id=?", (chat_id,)).rowcount
            self._db.execute("DELETE FROM answers WHERE chat_id=?", (chat_id,))
        return n

    # ----- answers (for /sources and the button) -------------------------------------------
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

    # ----- the chosen article and question buttons -------------------------------------------
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

    # ----- stats ---------------------------------------------------------------------------
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

    def stats(self) -> dict[str, Any]:
        (users, questions, refusals, errors, cancelled, p_tok, c_tok), = self._q(
            "SELECT COUNT(DISTINCT user_id), COUNT(*), SUM(kind='answer' AND answerable=0), SUM(kind='error'), "
            "SUM(kind='cancelled'), COALESCE(SUM(prompt_tokens),0), COALESCE(SUM(completion_tokens),0) FROM events")
        by_mode = dict(self._q("SELECT mode, COUNT(*) FROM events WHERE kind='answer' GROUP BY mode"))
        lat = sorted(r[0] for r in self._q("SELECT latency_ms FROM events WHERE kind='answer' "
                                           "AND latency_ms IS NOT NULL ORDER BY id DESC LIMIT 10000"))
        return {"users": users, "questions": questions, "answers_by_mode": by_mode,
                "refusals": refusals or 0, "errors": errors or 0, "cancelled": cancelled or 0,
                "latency_p50_ms": _pct(lat, 50), "latency_p95_ms": _pct(lat, 95),
                "prompt_tokens": p_tok, "completion_tokens": c_tok,
                "chats": self._q("SELECT COUNT(DISTINCT chat_id) FROM events")[0][0]}


def _tokens(usage: dict[str, int], *names: str) -> int:
    """LangChain says input/output_tokens, the OpenAI API prompt/completion_tokens: accept either."""
    return next((int(usage[n]) for n in names if usage.get(n)), 0)


def _pct(sorted_values: list[float], p: float) -> float | None:
    """Nearest-rank percentile."""
    if not sorted_values:
        return None
    k = max(0, min(len(sorted_values) - 1, math.ceil(p / 100 * len(sorted_values)) - 1))
    return sorted_values[k]
