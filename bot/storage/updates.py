"""Updates already handled: Telegram sends again what was never confirmed, and each is handled once."""

from __future__ import annotations

import time

from .db import Database

# Telegram keeps an unconfirmed update for at most 24 hours, so no update comes again later than that.
KEEP_UPDATE_IDS_S = 2 * 86400
PRUNE_EVERY = 1000  # updates between prunes of the seen-update table


class UpdatesTable(Database):
    SCHEMA = """
CREATE TABLE IF NOT EXISTS updates(bot_id INTEGER NOT NULL, update_id INTEGER NOT NULL, created REAL NOT NULL,
    PRIMARY KEY(bot_id, update_id)) WITHOUT ROWID;
"""
    _since_prune = 0

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
