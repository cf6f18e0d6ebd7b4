"""One immutable view of an index version, as the searcher and the answerers read it.

`Snapshot` holds its records in memory (small corpora, tests). `StoredSnapshot` is what the service uses:
the manifest's articles, BM25 over the local lexicon, and nothing else; passage texts are fetched from
Chroma for the rows a question needs.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

import numpy as np

from ..korean import squash
from ..models import ArticleInfo, Passage
from .lexical import BM25, BM25Index, idf
from .lexicon import Lexicon
from .manifest import Manifest, record_id, split_record_id
from .store import Records, VectorStore


def _passage(chunk_id: str, text: str, m: dict[str, Any], score: float) -> Passage:
    return Passage(
        chunk_id=chunk_id, article_id=str(m.get("article_id", "")), title=str(m.get("title", "")), text=text,
        score=float(score), url=str(m.get("url", "")), published=str(m.get("published", "")),
        position=int(m.get("position", 0)), start=int(m.get("start", 0)), end=int(m.get("end", 0)),
    )


@dataclass
class Snapshot:
    """A version held in memory: records, their BM25 index; dense hits are named by chunk id."""

    collection: str
    embedder_id: str
    records: Records
    bm25: BM25
    row: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, collection: str, embedder_id: str, records: Records) -> Snapshot:
        corpus = [str(m.get("terms", "")).split() for m in records.metas]
        return cls(collection, embedder_id, records, BM25Index(corpus),
                   {cid: i for i, cid in enumerate(records.ids)})

    @property
    def chunks(self) -> str:
        return self.collection

    def __len__(self) -> int:
        return len(self.records.ids)

    def dense_rows(self, hits: list[tuple[str, float]]) -> list[tuple[int, float]]:
        return [(self.row[cid], sim) for cid, sim in hits if cid in self.row]

    def article_rows(self, article_id: str) -> np.ndarray:
        return np.asarray([i for i, m in enumerate(self.records.metas) if m.get("article_id") == article_id],
                          dtype=np.int64)

    def passage(self, i: int, score: float = 0.0) -> Passage:
        return _passage(self.records.ids[i], self.records.texts[i], self.records.metas[i], score)

    def passages(self, rows: list[int], scores: list[float]) -> list[Passage]:
        return [self.passage(r, s) for r, s in zip(rows, scores)]


class StoredSnapshot:
    """A version read from its manifest: in memory, about 12 bytes per chunk (BM25 length and norm, row map)."""

    def __init__(self, manifest: Manifest, store: VectorStore, lexicon: Lexicon) -> None:
        self.collection = manifest.name
        self.embedder_id = manifest.embedder
        self.chunks = manifest.collection
        self.entries = manifest.entries
        self.bm25 = lexicon.view([e.key for e in self.entries])
        self._store, self._lexicon = store, lexicon
        self._by_key = {e.key: i for i, e in enumerate(self.entries)}
        self._by_id = {e.id: i for i, e in enumerate(self.entries)}
        self._chunk_ids: OrderedDict[int, list[str]] = OrderedDict()
        self.row = RowMap(self)

    def __len__(self) -> int:
        return self.bm25.size

    @cached_property
    def articles(self) -> list[ArticleInfo]:
        """This version's articles as listed, made once: the bot lists them with every question, and
        making 9,168 took 0.3 s a question on a loaded machine."""
        return [ArticleInfo(e.id, e.title, e.chunks, e.source, e.indexed_at, e.url, e.published)
                for e in self.entries]

    @property
    def records(self) -> Records:
        """Every chunk of this version (read from the store: for tools and tests, not for questions)."""
        return self._store.records(self.collection)

    def _row(self, article: int, position: int) -> int | None:
        if 0 <= position < self.entries[article].chunks:
            return int(self.bm25.starts[article]) + position
        return None

    def dense_rows(self, hits: list[tuple[str, float]]) -> list[tuple[int, float]]:
        """Rows of the dense hits that belong to this version (the collection holds other versions' too)."""
        out = []
        for rid, sim in hits:
            key, pos = split_record_id(rid)
            article = self._by_key.get(key)
            row = None if article is None else self._row(article, pos)
            if row is not None:
                out.append((row, sim))
        return out

    def article_rows(self, article_id: str) -> np.ndarray:
        a = self._by_id.get(article_id)
        if a is None:
            return np.zeros(0, dtype=np.int64)
        return np.arange(self.bm25.starts[a], self.bm25.starts[a + 1], dtype=np.int64)

    def chunk_ids(self, article: int) -> list[str]:
        got = self._chunk_ids.get(article)
        if got is None:
            got = self._chunk_ids[article] = self._lexicon.chunk_ids(self.entries[article].key)
            if len(self._chunk_ids) > 256:
                self._chunk_ids.popitem(last=False)
        return got

    def passages(self, rows: list[int], scores: list[float]) -> list[Passage]:
        """The passages of `rows`, fetched in one call; a chunk collected meanwhile is left out."""
        articles = np.searchsorted(self.bm25.starts, rows, side="right") - 1
        rids = [record_id(self.entries[a].key, r - int(self.bm25.starts[a])) for a, r in zip(articles, rows)]
        got = self._store.get(self.chunks, rids)
        return [_passage(str(g["metadata"]["chunk_id"]), str(g["metadata"]["text"]), g["metadata"], s)
                for rid, s in zip(rids, scores) if (g := got.get(rid)) is not None]

    def passage(self, i: int, score: float = 0.0) -> Passage:
        found = self.passages([i], [score])
        if not found:
            raise KeyError(i)
        return found[0]

    def live(self, rid: str) -> bool:
        return bool(self.dense_rows([(rid, 0.0)]))


class RowMap:
    """chunk id -> row, looked up per article on demand instead of a dict of every chunk."""

    def __init__(self, snap: StoredSnapshot) -> None:
        self._snap = snap

    def get(self, chunk_id: str, default: int | None = None) -> int | None:
        article_id, _, _ = chunk_id.rpartition("#")
        a = self._snap._by_id.get(article_id)
        if a is None:
            return default
        ids = self._snap.chunk_ids(a)
        if chunk_id not in ids:
            return default
        return self._snap._row(a, ids.index(chunk_id))

    def __contains__(self, chunk_id: object) -> bool:
        return isinstance(chunk_id, str) and self.get(chunk_id) is not None

    def __getitem__(self, chunk_id: str) -> int:
        row = self.get(chunk_id)
        if row is None:
            raise KeyError(chunk_id)
        return row


class IndexStats:
    """Term rarity over a stored version and whether it mentions a term: what the extractive answerer asks
    of the corpus, answered from postings and Chroma's full-text index instead of the corpus in memory."""

    def __init__(self, snap: StoredSnapshot) -> None:
        self._snap = snap
        self.n = max(len(snap), 1)

    def idf(self, term: str) -> float:
        return idf(self.n, self._snap.bm25.df(term))

    def mentions(self, term: str) -> bool:
        from ..answer.evidence import contains

        return contains(term, _Vocabulary(self._snap), _Corpus(self._snap))


class _Vocabulary:
    """`term in vocabulary`: some live chunk has the morpheme."""

    def __init__(self, snap: StoredSnapshot) -> None:
        self._snap = snap

    def __contains__(self, term: object) -> bool:
        return isinstance(term, str) and self._snap.bm25.df(term) > 0


class _Corpus:
    """`needle in corpus`: some live chunk's squashed text holds it (chunk documents are stored squashed)."""

    def __init__(self, snap: StoredSnapshot) -> None:
        self._snap = snap

    def __contains__(self, needle: object) -> bool:
        if not isinstance(needle, str) or len(self._snap) == 0:
            return False
        hits = self._snap._store.containing(self._snap.chunks, squash(needle), limit=256)
        return any(self._snap.live(rid) for rid in hits)
