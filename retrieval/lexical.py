"""BM25 over Kiwi content morphemes (bm25s), rebuilt from the stored terms without re-tokenizing."""

from __future__ import annotations

import numpy as np


class BM25Index:
    """Scores every chunk for a query's terms; the term lists come from the chunks' metadata."""

    def __init__(self, corpus_terms: list[list[str]], k1: float = 1.2, b: float = 0.75) -> None:
        import bm25s

        self.size = len(corpus_terms)
        self._bm25 = None
        if any(corpus_terms):
            self._bm25 = bm25s.BM25(k1=k1, b=b)
            self._bm25.index(corpus_terms, show_progress=False)

    def scores(self, query_terms: list[str]) -> np.ndarray:
        if self._bm25 is None or not query_terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query_terms), dtype=np.float32)
