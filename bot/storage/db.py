"""One SQLite connection shared by the bot's tables, with the pragmas and locking they all rely on."""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar


class Database:
    """The connection; each table mixin adds its `SCHEMA`, all created when the store opens."""

    SCHEMA: ClassVar[str] = ""

    def __init__(self, path: Path | str) -> None:
        if str(path) != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path), check_same_thread=False, isolation_level=None)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            # WAL + NORMAL: a crash cannot corrupt the file, only a power cut may lose the last commits;
            # FULL would fsync on every commit, milliseconds each on the event loop (bench/load.py).
            self._db.execute("PRAGMA synchronous=NORMAL")
            for cls in type(self).__mro__:
                if "SCHEMA" in vars(cls) and cls.SCHEMA:
                    self._db.executescript(cls.SCHEMA)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def _q(self, sql: str, args: Sequence[Any] = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()
