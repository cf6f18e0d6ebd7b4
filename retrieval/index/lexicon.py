"""The lexical side of the index on local disk: per-article term postings that grow by what is added.

A cache of what the chunk records in Chroma hold (their terms), keyed by the same content keys, so it is
never wrong, only incomplete: a version's articles missing here are read from Chroma once (see
`ArticleIndex.sync`). A process start reads the lengths of the live chunks (4 bytes a chunk) and nothing
else; a query reads the postings of its own terms.

Postings of a term are stored in parts, one per write; when a term has more than MAX_PARTS parts they are
merged into one, dropping rows of articles no longer cached. A query thus reads a few blobs per term, and
an add rewrites only the terms it touches.
"""

from __future__ import annotations

import sqlite3
import threading
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from ..foreground import Pause, no_pause
from .lexical import BM25, EMPTY

MAX_PARTS = 16
ADD_BATCH = 500  # articles (or terms) written per turn of the connection's lock
SCHEMA = """
CREATE TABLE IF NOT EXISTS counter (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS articles (key TEXT PRIMARY KEY, first_row INTEGER NOT NULL,
    chunks INTEGER NOT NULL, lengths BLOB NOT NULL, chunk_ids TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS postings (term TEXT NOT NULL, part INTEGER NOT NULL, data BLOB NOT NULL,
    PRIMARY KEY (term, part)) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS meta (name TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS articles_by_row ON articles (first_row);
"""


class Lexicon:
    """The SQLite file (or an in-memory database when no directory is given); safe across threads and
    processes (SQLite's own locking; writes in one IMMEDIATE transaction).

    `terms_by` names the tokenizer whose terms are wanted (korean.terms_id()); a file holding another's
    (or, written before the stamp, nobody's) is emptied, and `indexer.sync` fills it again from the stored chunks."""

    def __init__(self, directory: Path | None, terms_by: str | None = None) -> None:
        if directory is not None:
            directory.mkdir(parents=True, exist_ok=True)
        path = str(directory / "lexicon.sqlite3") if directory is not None else ":memory:"
        self._db = sqlite3.connect(path, check_same_thread=False, isolation_level=None, timeout=60)
        self._lock = threading.RLock()  # the connection: one statement (or a short batch) at a time
        self._writer = threading.Lock()  # one write transaction at a time in this process
        # The articles table as this process last read it (see _refresh): key -> (first row, chunks), and
        # (key, first row) -> its chunks' lengths.
        self._rows: dict[str, tuple[int, int]] = {}
        self._lengths: dict[tuple[str, int], bytes] = {}
        self._seen = 0  # the rows counter when they were read
        with self._lock:
            if directory is not None:
                self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=NORMAL")
            self._db.executescript(SCHEMA)
        if terms_by is not None and self._terms_by() != terms_by:
            self._restamp(terms_by)

    def _terms_by(self) -> str | None:
        with self._lock:
            got = self._db.execute("SELECT value FROM meta WHERE name='terms_by'").fetchone()
        return got[0] if got else None

    def _restamp(self, terms_by: str) -> None:
        """Forget every article (their terms are another tokenizer's) and name the tokenizer from now on."""
        with self._writer, self._lock:
            db = self._db
            db.execute("BEGIN IMMEDIATE")
            try:
                if self._terms_by() != terms_by:  # unless another process just did it
                    for table in ("articles", "postings", "counter"):
                        db.execute(f"DELETE FROM {table}")
                    db.execute("INSERT OR REPLACE INTO meta VALUES ('terms_by', ?)", (terms_by,))
                    self._forget()
                db.execute("COMMIT")
            except BaseException:
                db.execute("ROLLBACK")
                raise

    def _forget(self) -> None:
        self._rows, self._lengths, self._seen = {}, {}, 0

    def _refresh(self) -> int:
        """Bring this process's copy of the articles table up to date; returns the rows counter.

        Each version switch asks which articles are cached and makes a view of them: reading the whole table
        (0.4 MB of lengths at 100,000 chunks) cost 16 ms a switch. Rows are numbered in order of adding and
        never change, so only articles from the counter last seen on are read. An article another process
        pruned stays here, harmlessly: no version names it until it is added again, under new rows."""
        total = (self._db.execute("SELECT value FROM counter WHERE name='rows'").fetchone() or (0,))[0]
        if total < self._seen:  # emptied by another process (another tokenizer's terms)
            self._forget()
        if total != self._seen or not self._rows:
            for k, f, n, ln in self._db.execute(
                    "SELECT key, first_row, chunks, lengths FROM articles WHERE first_row >= ?", (self._seen,)):
                self._rows[k] = (f, n)
                self._lengths[(k, f)] = ln
            self._seen = total
        return total

    def missing(self, keys: Iterable[str]) -> list[str]:
        with self._lock:
            self._refresh()
            return [k for k in dict.fromkeys(keys) if k not in self._rows]

    def add(self, articles: Sequence[tuple[str, list[str], list[list[str]]]], pause: Pause = no_pause) -> None:
        """Cache articles given as (key, chunk ids, terms of each chunk); keys already here are skipped.

        One transaction, but the connection's lock is taken per batch: a question reading postings gets
        its turn in between (a 10,000-article upload held it for 21 s on a loaded machine, and every
        question waited). What it reads meanwhile is unchanged for it: rows not yet in any version are
        outside every view. `pause` is called before each batch (questions in flight go first)."""
        if not articles:
            return
        with self._writer:
            db = self._db
            with self._lock:
                db.execute("BEGIN IMMEDIATE")
            try:
                with self._lock:
                    have = {k for (k,) in db.execute("SELECT key FROM articles")}
                    row = first = (db.execute("SELECT value FROM counter WHERE name='rows'").fetchone() or (0,))[0]
                # Rows and postings are plain Python: built without the lock (no other writer can run).
                postings: dict[str, list[int]] = defaultdict(list)
                entries: list[tuple[str, int, int, bytes, str]] = []
                for key, chunk_ids, chunk_terms in articles:
                    if key in have:
                        continue
                    have.add(key)
                    lengths = np.asarray([len(t) for t in chunk_terms], dtype=np.int32)
                    entries.append((key, row, len(chunk_ids), lengths.tobytes(), "\n".join(chunk_ids)))
                    for i, doc in enumerate(chunk_terms):
                        for term, tf in Counter(doc).items():
                            postings[term] += (row + i, tf)
                    row += len(chunk_ids)
                for start in range(0, len(entries), ADD_BATCH):
                    pause()
                    with self._lock:
                        db.executemany("INSERT INTO articles VALUES (?, ?, ?, ?, ?)", entries[start:start + ADD_BATCH])
                rows = [(t, first, np.asarray(p, dtype=np.int32).tobytes()) for t, p in postings.items()]
                with self._lock:
                    db.execute("INSERT OR REPLACE INTO counter VALUES ('rows', ?)", (row,))
                for start in range(0, len(rows), ADD_BATCH):
                    pause()
                    with self._lock:
                        db.executemany("INSERT INTO postings VALUES (?, ?, ?)", rows[start:start + ADD_BATCH])
                terms = list(postings)
                for start in range(0, len(terms), ADD_BATCH):
                    pause()
                    with self._lock:
                        self._merge(terms[start:start + ADD_BATCH])
                with self._lock:
                    db.execute("COMMIT")
            except BaseException:
                with self._lock:
                    db.execute("ROLLBACK")
                raise

    def _merge(self, touched: list[str]) -> None:
        db, alive = self._db, None
        for term in touched:
            parts = db.execute("SELECT part, data FROM postings WHERE term=?", (term,)).fetchall()
            if len(parts) <= MAX_PARTS:
                continue
            if alive is None:
                alive = self._alive()
            data = np.frombuffer(b"".join(d for _, d in parts), dtype=np.int32).reshape(-1, 2)
            rows = data[:, 0]
            data = data[(rows < len(alive)) & alive[np.minimum(rows, len(alive) - 1)]]
            db.execute("DELETE FROM postings WHERE term=?", (term,))
            if len(data):
                db.execute("INSERT INTO postings VALUES (?, ?, ?)", (term, parts[0][0], data.tobytes()))

    def _alive(self) -> np.ndarray:
        total = (self._db.execute("SELECT value FROM counter WHERE name='rows'").fetchone() or (0,))[0]
        alive = np.zeros(max(total, 1), dtype=bool)
        for first, n in self._db.execute("SELECT first_row, chunks FROM articles"):
            alive[first:first + n] = True
        return alive

    def prune(self, keys: Iterable[str]) -> None:
        """Forget articles no version needs; their postings go at the next merge of each term."""
        keys = set(keys)
        with self._writer, self._lock:
            self._db.executemany("DELETE FROM articles WHERE key=?", [(k,) for k in keys])
            for key in keys & self._rows.keys():
                self._lengths.pop((key, self._rows.pop(key)[0]), None)

    def view(self, keys: Sequence[str]) -> LexicalView:
        """BM25 over the given articles (a version's, in its order); they must all be cached."""
        with self._lock:
            total = self._refresh()
            wanted = [(*self._rows[k], k) for k in keys]
            return LexicalView(self, [(f, n, self._lengths[(k, f)]) for f, n, k in wanted], total)

    def chunk_ids(self, key: str) -> list[str]:
        with self._lock:
            got = self._db.execute("SELECT chunk_ids FROM articles WHERE key=?", (key,)).fetchone()
        return got[0].split("\n") if got and got[0] else []

    def postings(self, term: str) -> np.ndarray:
        """(global row, tf) pairs of every cached chunk holding `term`, live or not."""
        with self._lock:
            parts = self._db.execute("SELECT data FROM postings WHERE term=?", (term,)).fetchall()
        return np.frombuffer(b"".join(d for (d,) in parts), dtype=np.int32).reshape(-1, 2)


class LexicalView(BM25):
    """One version's rows (0..size-1, in manifest order) over the cache's global rows."""

    def __init__(self, lexicon: Lexicon, articles: list[tuple[int, int, bytes]], total_rows: int) -> None:
        self._lexicon = lexicon
        counts = np.asarray([n for _, n, _ in articles], dtype=np.int64)
        firsts = np.asarray([f for f, _, _ in articles], dtype=np.int64)
        self.starts = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
        # Global row -> this version's row, -1 where the chunk is not in this version (made in numpy: a
        # loop over 4,000 articles cost 6 ms a version switch).
        self._local = np.full(max(total_rows, 1), -1, dtype=np.int32)
        size = int(self.starts[-1])
        local = np.arange(size, dtype=np.int64)
        self._local[np.repeat(firsts - self.starts[:-1], counts) + local] = local
        lengths = np.frombuffer(b"".join(ln for _, _, ln in articles), dtype=np.int32).astype(np.float32)
        super().__init__(lengths)

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        data = self._lexicon.postings(term)
        if not len(data):
            return EMPTY
        rows = data[:, 0]
        local = np.where(rows < len(self._local), self._local[np.minimum(rows, len(self._local) - 1)], -1)
        keep = local >= 0
        return local[keep].astype(np.int64), data[keep, 1].astype(np.float32)
