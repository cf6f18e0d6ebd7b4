"""BM25 (Lucene variant, as bm25s computes it) over Kiwi content morphemes, scored from postings.

Written here rather than taken from bm25s: bm25s bakes each term's idf and the average length into its
index, so one added article would mean indexing the whole corpus again. Scoring from raw postings (row, tf)
at query time lets the postings live in a file that grows by the new articles only (lexicon.py); only the
query's terms are read. tests/test_lexical.py checks the scores against bm25s.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from functools import lru_cache

import numpy as np

# bm25s defaults (Lucene variant). k1 0.9-1.5 and b 0.5-1.0 all measured within ±0.003 R@1 of these on
# KorQuAD dev (bench/korquad.py), so the textbook values stay.
K1 = 1.2
B = 0.75
EMPTY = (np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32))


def idf(n: int, df: int) -> float:
    """Rarity of a term found in `df` of `n` units (chunks or sentences), as the answerers and the citation
    check weigh words; smoothed so an unseen term is rare but finite."""
    return math.log(1 + (n + 1) / (df + 0.5))


class BM25:
    """Scores over `size` rows of the given lengths; subclasses say where a term's postings come from."""

    def __init__(self, lengths: np.ndarray, k1: float = K1, b: float = B) -> None:
        self.size = len(lengths)
        self.k1 = k1
        avgdl = float(lengths.mean()) if self.size else 1.0
        self._norm = (k1 * (1 - b + b * lengths / max(avgdl, 1e-9))).astype(np.float32)
        self.postings = lru_cache(maxsize=256)(self._postings)

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        """(rows, term frequencies) of the rows holding `term`."""
        raise NotImplementedError

    def df(self, term: str) -> int:
        return len(self.postings(term)[0])

    def scores(self, query_terms: list[str]) -> np.ndarray:
        out = np.zeros(self.size, dtype=np.float32)
        for term in query_terms:  # a repeated term counts again, as in bm25s
            rows, tf = self.postings(term)
            if len(rows):
                out[rows] += self._idf(term) * tf / (tf + self._norm[rows])
        return out

    def _idf(self, term: str) -> float:
        df = self.df(term)  # a word no chunk has is as rare as can be
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


class BM25Index(BM25):
    """BM25 over term lists held in memory (a small corpus, or a test's)."""

    def __init__(self, corpus_terms: list[list[str]], k1: float = K1, b: float = B) -> None:
        postings: dict[str, tuple[list[int], list[int]]] = defaultdict(lambda: ([], []))
        for row, doc in enumerate(corpus_terms):
            for term, tf in Counter(doc).items():
                postings[term][0].append(row)
                postings[term][1].append(tf)
        self._index = {t: (np.asarray(r, dtype=np.int64), np.asarray(f, dtype=np.float32))
                       for t, (r, f) in postings.items()}
        super().__init__(np.asarray([len(d) for d in corpus_terms], dtype=np.float32), k1, b)

    def _postings(self, term: str) -> tuple[np.ndarray, np.ndarray]:
        return self._index.get(term, EMPTY)
