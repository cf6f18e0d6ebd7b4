"""BM25 over Kiwi content morphemes (bm25s), rebuilt from the stored terms without re-tokenizing."""

from __future__ import annotations

import math
from collections import Counter

import numpy as np

# bm25s defaults (Lucene variant). k1 0.9-1.5 and b 0.5-1.0 all measured within ±0.003 R@1 of these on
# KorQuAD dev (bench/korquad.py), so the textbook values stay.
K1 = 1.2
B = 0.75


def idf(n: int, df: int) -> float:
    """Rarity of a term found in `df` of `n` units (chunks or sentences), as the answerers and the citation
    check weigh words; smoothed so an unseen term is rare but finite."""
    return math.log(1 + (n + 1) / (df + 0.5))


class BM25Index:
    """Scores every chunk for a query's terms; the term lists come from the chunks' metadata."""

    def __init__(self, corpus_terms: list[list[str]], k1: float = K1, b: float = B) -> None:
        import bm25s

        self.size = len(corpus_terms)
        self.k1 = k1
        self._df = Counter(t for terms in corpus_terms for t in set(terms))
        self._bm25 = None
        if any(corpus_terms):
            self._bm25 = bm25s.BM25(k1=k1, b=b)
            self._bm25.index(corpus_terms, show_progress=False)

    def scores(self, query_terms: list[str]) -> np.ndarray:
        if self._bm25 is None or not query_terms:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(query_terms), dtype=np.float32)

    def _idf(self, term: str) -> float:
        df = self._df.get(term, 0)  # a word no chunk has is as rare as can be
        return math.log(1 + (self.size - df + 0.5) / (df + 0.5))

    def ideal(self, query_terms: list[str]) -> float:
        """The score of an average-length chunk holding every query term once (Lucene BM25).

        The best real score over this says how much of the question the best lexical match explains.
        """
        return sum(self._idf(t) for t in query_terms) / (1 + self.k1)

    def coverage(self, query_terms: list[str], best: float) -> float:
        """`best` (a chunk's score) as a share of `ideal`, capped at 1; 0 when nothing can match."""
        ideal = self.ideal(query_terms)
        return min(1.0, best / ideal) if ideal > 0 and best > 0 else 0.0
