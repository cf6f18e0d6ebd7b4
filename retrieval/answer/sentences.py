"""Sentences of every indexed chunk, with their terms and vectors, computed once at ingest.

The answerer ranks sentences, not chunks. Splitting, Kiwi analysis and E5 vectors cost far more than the
ranking itself (1.2 s a question when they were done per question on an 868-paragraph index), so they are
done when a chunk is indexed and kept in a small SQLite sidecar keyed by content hash: the Chroma store's
schema stays as it is, an unchanged sentence is never embedded twice, and a restart reads them back.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from ..foreground import Pause, no_pause
from ..ingest.worker import sized
from ..korean import normalize, sentence_spans, squash, terms, terms_id, tokens


@dataclass(frozen=True)
class SentenceInfo:
    """One sentence of a chunk: its offsets in the chunk, content terms, proper nouns and vector row."""

    start: int
    end: int
    terms: frozenset[str]
    squashed: str
    proper: tuple[str, ...]
    row: int


WRITE_BATCH = 1000  # sidecar rows written per turn of the lock


def _key(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def _analysis_key(text: str) -> str:
    """Splits and terms are Kiwi's output: kept per tokenizer (korean.terms_id), so another Kiwi's are
    never read back; vectors depend on the text alone and keep `_key`."""
    return _key(f"{terms_id()}\x1f{text}")


_SCHEMA = """
CREATE TABLE IF NOT EXISTS chunks (key TEXT PRIMARY KEY, spans TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS sentences (key TEXT PRIMARY KEY, terms TEXT NOT NULL, proper TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS vectors (key TEXT NOT NULL, embedder TEXT NOT NULL, vec BLOB NOT NULL,
                                    PRIMARY KEY (key, embedder));
"""


@dataclass(frozen=True)
class SentenceTable:
    """One consistent view: each chunk's sentences and the matrix their `row`s index."""

    chunks: dict[str, list[SentenceInfo]]
    vectors: np.ndarray

    def sentences(self, chunk_text: str) -> list[SentenceInfo]:
        """The sentences of an indexed chunk (empty for a chunk this table never saw)."""
        return self.chunks.get(chunk_text, [])


class SentenceIndex:
    """Sentence splits, terms and vectors kept by content hash: written at ingest, read per question."""

    def __init__(self, embedder, path: Path | None = None) -> None:
        self.embedder = embedder
        self.path = path
        self._lock = threading.Lock()
        self._db = None

    def _conn(self) -> sqlite3.Connection:
        if self._db is None:
            if self.path is not None:
                self.path.parent.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(str(self.path) if self.path else ":memory:", check_same_thread=False)
            self._db.executescript(_SCHEMA)
        return self._db

    def update(self, chunk_texts: Sequence[str], pause: Pause = no_pause) -> int:
        """Split, analyse and embed `chunk_texts` now (at ingest) and keep them. Returns how many sentence
        vectors were computed (sentences seen before cost nothing). `pause` is called between steps that
        hold the interpreter (each sentence embedded, each batch of rows written)."""
        return self._kept(chunk_texts, pause)[3]

    def table_for(self, chunk_texts: Sequence[str]) -> SentenceTable:
        """The table of a question's passages, read from the sidecar (anything missing, e.g. after an
        embedder change, is computed and kept): memory holds these chunks, never the whole index."""
        spans, info, vecs, _ = self._kept(chunk_texts)
        rows: dict[str, int] = {}
        chunks: dict[str, list[SentenceInfo]] = {}
        for chunk, sp in spans.items():
            out = []
            for s, e in sp:
                text = chunk[s:e]
                row = rows.setdefault(text, len(rows))
                words, proper = info[text]
                out.append(SentenceInfo(s, e, words, squash(text), proper, row))
            chunks[chunk] = out
        dim = next(iter(vecs.values())).shape[0] if vecs else 0
        matrix = np.zeros((len(rows), dim), dtype=np.float32)
        for text, row in rows.items():
            matrix[row] = vecs[text]
        return SentenceTable(chunks, matrix)

    def _kept(self, chunk_texts: Sequence[str], pause: Pause = no_pause
              ) -> tuple[dict, dict, dict[str, np.ndarray], int]:
        """(spans, analysis, vectors, how many vectors were new) of `chunk_texts`, stored for next time.

        The lock guards the SQLite connection only: Kiwi and the embedder run outside it, so an upload's
        thousands of new chunks never make a question wait to read its own few (bench/ingest_stall.py:
        questions queued behind the whole sidecar update of a 5 MB upload). A big batch is analysed in the
        worker process, since Kiwi holds the GIL for each call. Two callers computing the same content
        store the same rows."""
        chunks = list(dict.fromkeys(chunk_texts))
        emb = str(getattr(self.embedder, "id", ""))
        with self._lock:
            spans = _stored_spans(self._conn(), chunks)
        todo = [c for c in chunks if c not in spans]
        new_spans, analysed = sized(_split, todo, sum(map(len, todo)))
        spans.update(new_spans)
        sents = {chunk[s:e] for chunk, sp in spans.items() for s, e in sp}
        with self._lock:
            info = _stored_analysis(self._conn(), [x for x in sents if x not in analysed])
            vecs = _stored_vectors(self._conn(), emb, sents)
        missing = [x for x in sents if x not in info and x not in analysed]
        analysed.update(sized(_analyse, missing, sum(map(len, missing))))
        info.update(analysed)
        fresh = sorted(x for x in sents if x not in vecs)
        if fresh:
            embedded = self.embedder.embed_passages(fresh, lambda done, total: pause())
            vecs.update(zip(fresh, np.asarray(embedded, dtype=np.float32)))
        # The rows are built first and written a batch per turn of the lock: an upload's tens of
        # thousands of sentence rows are seconds of writing on a loaded machine.
        writes = [("INSERT OR REPLACE INTO chunks VALUES (?, ?)",
                   [(_analysis_key(c), json.dumps(new_spans[c])) for c in todo]),
                  ("INSERT OR REPLACE INTO sentences VALUES (?, ?, ?)",
                   [(_analysis_key(x), " ".join(sorted(w)), "\x1f".join(p)) for x, (w, p) in analysed.items()]),
                  ("INSERT OR REPLACE INTO vectors VALUES (?, ?, ?)",
                   [(_key(x), emb, vecs[x].tobytes()) for x in fresh])]
        for sql, rows in writes:
            for i in range(0, len(rows), WRITE_BATCH):
                pause()
                with self._lock:
                    self._conn().executemany(sql, rows[i : i + WRITE_BATCH])
        with self._lock:
            self._conn().commit()
        return spans, info, vecs, len(fresh)


Analysis = tuple[frozenset[str], tuple[str, ...]]  # a sentence's content terms and proper nouns


def _split(chunks: list[str]) -> tuple[dict[str, list[tuple[int, int]]], dict[str, Analysis]]:
    """Sentence spans of `chunks` and the analysis of their sentences (run in the worker when large)."""
    spans = {c: sentence_spans(c) for c in chunks}
    return spans, _analyse([c[s:e] for c, sp in spans.items() for s, e in sp])


def _analyse(sents: list[str]) -> dict[str, Analysis]:
    out: dict[str, Analysis] = {}
    for s in sents:
        if s not in out:
            proper = tuple(dict.fromkeys(t.form.lower() for t in tokens(normalize(s)) if t.tag == "NNP"))
            out[s] = (frozenset(terms(s)), proper)
    return out


def _stored_spans(db, chunks: list[str]) -> dict[str, list[tuple[int, int]]]:
    keys = {_analysis_key(c): c for c in chunks}
    return {keys[key]: [tuple(x) for x in json.loads(spans)]
            for key, spans in _select(db, "SELECT key, spans FROM chunks WHERE key IN ({})", list(keys))}


def _stored_analysis(db, sents: list[str]) -> dict[str, Analysis]:
    keys = {_analysis_key(s): s for s in sents}
    return {keys[key]: (frozenset(words.split()), tuple(proper.split("\x1f")) if proper else ())
            for key, words, proper in _select(db, "SELECT key, terms, proper FROM sentences WHERE key IN ({})",
                                              list(keys))}


def _stored_vectors(db, emb: str, sents: set[str]) -> dict[str, np.ndarray]:
    keys = {_key(s): s for s in sents}
    return {keys[key]: np.frombuffer(blob, dtype=np.float32)
            for key, blob in _select(db, "SELECT key, vec FROM vectors WHERE embedder = ? AND key IN ({})",
                                     list(keys), (emb,))}


def _select(db, sql: str, keys: list[str], params: tuple = ()) -> list[tuple]:
    """Rows for many keys, in batches below SQLite's bound-parameter limit."""
    rows: list[tuple] = []
    for i in range(0, len(keys), 500):
        part = keys[i : i + 500]
        rows += db.execute(sql.format(",".join("?" * len(part))), (*params, *part)).fetchall()
    return rows
