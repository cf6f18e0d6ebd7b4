"""Hybrid retrieval: dense vectors from Chroma fused with BM25 over Kiwi morphemes."""

from __future__ import annotations

import logging
import threading

import numpy as np

from ..korean import terms
from ..models import Passage
from .embeddings import Embedder
from .snapshot import Snapshot, StoredSnapshot
from .store import VectorStore

AnySnapshot = Snapshot | StoredSnapshot
_log = logging.getLogger(__name__)

# Fusion, measured on KorQuAD 1.0 dev with bench/korquad.py (first 1000 questions; 1000-1999 held out;
# R@1/R@5): dense alone .823/.974, BM25 alone .935/.990, RRF(k=60) .903/.987, the earlier min-max sum with
# weight 0.5 .940/.992; this fusion .952/.996 (held out .934/.993). The dense weight is flat from 0.1 to 0.25
# (within ±.003 R@1); z-scores, a fixed-width dense scale and 20-200 candidates all measured the same.
# At full lexical coverage the dense side gets this share; as coverage falls it takes over (see `scores`).
DENSE_WEIGHT = 0.2
DENSE_CANDIDATES = 50
# Dense similarities closer than this to the best one are not stretched over the whole [0, 1]: in an index
# of a few chunks a 0.01 cosine difference would otherwise weigh as much as the clearest lexical evidence.
DENSE_MIN_SPREAD = 0.05


def _scale_dense(x: np.ndarray) -> np.ndarray:
    hi = float(x.max())
    lo = min(float(x.min()), hi - DENSE_MIN_SPREAD)
    return (x - lo) / (hi - lo)


class HybridSearcher:
    """Scores every chunk by a blend of normalized dense and BM25 scores, weighted by lexical coverage."""

    def __init__(self, store: VectorStore, embedder: Embedder, dense_weight: float = DENSE_WEIGHT,
                 candidates: int = DENSE_CANDIDATES) -> None:
        self.store = store
        self.embedder = embedder
        self.dense_weight = dense_weight
        self.candidates = candidates

    def scores(self, snap: AnySnapshot, query: str, extra_terms: list[str] | None = None,
               article_id: str | None = None) -> np.ndarray:
        """A fused score per chunk row of `snap` (higher is better, at most 1); with `article_id`, rows of
        other articles score -inf and the article's own rows are normalized among themselves."""
        n = len(snap)
        q_terms = terms(query) + list(extra_terms or [])
        lexical = snap.bm25.scores(q_terms)
        outside = None
        if article_id is not None:
            outside = np.ones(n, dtype=bool)
            outside[snap.article_rows(article_id)] = False
            lexical[outside] = 0.0
        dense = np.zeros(n, dtype=np.float32)
        rows = self._dense(snap, query, article_id)
        if rows:
            sims = np.array([s for _, s in rows], dtype=np.float32)
            # Chunks outside the dense candidates get the floor of what was seen.
            dense[:] = sims.min()
            dense[[r for r, _ in rows]] = sims
            dense = _scale_dense(dense)
        best = float(lexical.max()) if n else 0.0
        # The lexical share shrinks with how much of the question the best BM25 match explains: an English
        # question over Korean articles matches a stray word or two (or nothing), and then dense decides.
        lex_share = (1 - self.dense_weight) * snap.bm25.coverage(q_terms, best)
        fused = dense if lex_share == 0 else (1 - lex_share) * dense + lex_share * (lexical / best)
        if outside is not None:
            fused[outside] = -np.inf
        return fused

    def _dense(self, snap: AnySnapshot, query: str, article_id: str | None) -> list[tuple[int, float]]:
        """(row, similarity) of the nearest chunks of this version.

        The chunk collection also holds chunks of versions not yet collected (the previous one, a write in
        progress), so more are asked for than needed and those outside the version are dropped; when too
        few remain, the question is asked again wider.
        """
        vector = self.embedder.embed_query(query)
        want, n = self.candidates, self.candidates * 2
        where = {"article_id": article_id} if article_id is not None else None
        while True:
            hits = (self.store.query(snap.chunks, vector, n, where=where) if where
                    else self.store.query(snap.chunks, vector, n))
            rows = snap.dense_rows(hits)
            if len(rows) >= want or len(hits) < n:
                return rows[:want]
            n *= 4

    def warm_up(self, snap: AnySnapshot, query: str = "warm-up") -> threading.Thread:
        """Load the embedder and `snap`'s vector index in a background thread, returned started; `query` is
        embedded (a first question's: the embedder keeps it, so the question does not embed it again).

        A first question loads Kiwi, the embedder's model and the chunk collection's vector index. Kiwi holds
        the GIL while it loads (about 2 s), but the E5 engine (ctypes) and Chroma's Rust core release it, so
        these two load on the other core meanwhile instead of after. A daemon thread: a command that ends
        first does not wait for it. A failure is left to the question, which does the same work and says so.
        """

        def run() -> None:
            try:
                vector = self.embedder.embed_query(query.strip() or "warm-up")
                if len(snap):
                    self.store.query(snap.chunks, vector, 1)
            except Exception:  # noqa: BLE001 - the question repeats this and reports what went wrong
                _log.debug("warm-up failed", exc_info=True)

        thread = threading.Thread(target=run, name="articlebot-warm-up", daemon=True)
        thread.start()
        return thread

    def search(self, snap: AnySnapshot, query: str, k: int = 5, extra_terms: list[str] | None = None,
               article_id: str | None = None) -> list[Passage]:
        """The top `k` passages for `query` (of one article with `article_id`)."""
        if len(snap) == 0:
            return []
        fused = self.scores(snap, query, extra_terms, article_id)
        if article_id is not None:
            allowed = snap.article_rows(article_id)
            order = allowed[top(fused[allowed], k)]
        else:
            order = top(fused, k)
        return snap.passages([int(i) for i in order], [float(fused[i]) for i in order])


def top(scores: np.ndarray, k: int) -> np.ndarray:
    """Indices of the `k` best scores, best first, ties in index order (a stable sort of the whole array
    would cost 8 ms at 100,000 chunks; only the few that can be in the top k are sorted)."""
    if len(scores) > k > 0:
        kth = np.partition(-scores, k - 1)[k - 1]
        candidates = np.flatnonzero(-scores <= kth)
    else:
        candidates = np.arange(len(scores))
    return candidates[np.argsort(-scores[candidates], kind="stable")][:k]
