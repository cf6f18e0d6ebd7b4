"""Hybrid retrieval: dense vectors from Chroma fused with BM25 over Kiwi morphemes."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .embeddings import Embedder
from .korean import terms
from .lexical import BM25Index
from .models import Passage
from .store import Records, VectorStore

# Fusion weights, tuned on the shared dev QA set and checked on KorQuAD dev (see bench/).
DENSE_WEIGHT = 0.5
DENSE_CANDIDATES = 50


@dataclass
class Snapshot:
    """One immutable view of an index version: records, their BM25 index and the collection name."""

    collection: str
    embedder_id: str
    records: Records
    bm25: BM25Index
    row: dict[str, int] = field(default_factory=dict)

    @classmethod
    def build(cls, collection: str, embedder_id: str, records: Records) -> Snapshot:
        corpus = [str(m.get("terms", "")).split() for m in records.metas]
        return cls(collection, embedder_id, records, BM25Index(corpus),
                   {cid: i for i, cid in enumerate(records.ids)})

    def __len__(self) -> int:
        return len(self.records.ids)

    def passage(self, i: int, score: float = 0.0) -> Passage:
        m: dict[str, Any] = self.records.metas[i]
        return Passage(
            chunk_id=self.records.ids[i], article_id=str(m.get("article_id", "")),
            title=str(m.get("title", "")), text=self.records.texts[i], score=float(score),
            url=str(m.get("url", "")), published=str(m.get("published", "")),
            position=int(m.get("position", 0)), start=int(m.get("start", 0)), end=int(m.get("end", 0)),
        )


def _minmax(x: np.ndarray) -> np.ndarray:
    lo, hi = float(x.min()), float(x.max())
    return (x - lo) / (hi - lo) if hi > lo else np.zeros_like(x)


class HybridSearcher:
    """Scores every chunk by a weighted sum of normalized dense and BM25 scores."""

    def __init__(self, store: VectorStore, embedder: Embedder, dense_weight: float = DENSE_WEIGHT,
                 candidates: int = DENSE_CANDIDATES) -> None:
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight
        self.candidates = candidates

    def scores(self, snap: Snapshot, query: str, extra_terms: list[str] | None = None) -> np.ndarray:
        """A fused score per chunk row of `snap` (higher is better)."""
        n = len(snap)
        q_terms = terms(query) + list(extra_terms or [])
        lexical = snap.bm25.scores(q_terms)
        dense = np.zeros(n, dtype=np.float32)
        hits = self.store.query(snap.collection, self.embedder.embed_query(query), self.candidates)
        rows = [(snap.row[cid], sim) for cid, sim in hits if cid in snap.row]
        if rows:
            sims = np.array([s for _, s in rows], dtype=np.float32)
            # Chunks outside the dense candidates get the floor of what was seen.
            dense[:] = sims.min()
            dense[[r for r, _ in rows]] = sims
        w = self.dense_weight if lexical.max() > 0 else 1.0
        return w * _minmax(dense) + (1 - w) * _minmax(lexical)

    def search(self, snap: Snapshot, query: str, k: int = 5,
               extra_terms: list[str] | None = None) -> list[Passage]:
        """The top `k` passages for `query`."""
        if len(snap) == 0:
            return []
        fused = self.scores(snap, query, extra_terms)
        order = np.argsort(-fused, kind="stable")[:k]
        return [snap.passage(int(i), float(fused[i])) for i in order]
