"""A deterministic, fast stand-in for the E5 embedder that counts what it embeds."""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

import numpy as np

from retrieval.korean import terms


class HashEmbedder:
    """Hashes Kiwi content terms into a normalized vector (the hashing trick).

    Texts sharing words get similar vectors, so dense search behaves sensibly; `id` salts the
    hash, so two embedders with different ids give different vectors (mixing them is detectable).
    Every call is recorded: `passage_calls` holds the lists of texts given to `embed_passages`.
    """

    def __init__(self, id: str = "test/hash-256", dim: int = 256) -> None:
        self.id = id
        self.dim = dim
        self.passage_calls: list[list[str]] = []
        self.query_calls: list[str] = []

    @property
    def embedded(self) -> int:
        """How many passages were embedded since the last `reset`."""
        return sum(len(c) for c in self.passage_calls)

    @property
    def embedded_texts(self) -> list[str]:
        return [t for call in self.passage_calls for t in call]

    def reset(self) -> None:
        self.passage_calls.clear()
        self.query_calls.clear()

    def vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for t in terms(text) or text.split() or [text]:
            h = hashlib.blake2b(f"{self.id}\x00{t}".encode(), digest_size=8).digest()
            v[int.from_bytes(h[:4], "little") % self.dim] += 1.0 if h[4] & 1 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            v[0], norm = 1.0, 1.0
        return v / norm

    def embed_passages(self, texts: Sequence[str], progress=None) -> np.ndarray:
        texts = list(texts)
        self.passage_calls.append(texts)
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self.vector(text)
            if progress:
                progress(i + 1, len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        self.query_calls.append(text)
        return self.vector(text)
