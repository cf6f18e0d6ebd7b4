"""Chroma behind versioned collections and an active pointer, so a reload swaps atomically."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np

from ..errors import StoreUnavailable

T = TypeVar("T")
META = "articlebot-meta"
PREFIX = "articlebot-v"
# Per request to a Chroma server. chromadb's HttpClient sets no timeout at all, so a server that hangs
# (frozen, or a network that drops packets) would hold a question, and its worker thread, forever.
SERVER_TIMEOUT = 20.0
SERVER_CONNECT_TIMEOUT = 5.0


@dataclass
class Records:
    """Everything a version holds but the vectors: enough to rebuild BM25 and cite passages."""

    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]


def make_client(data_dir: Path, host: str | None = None, port: int = 8000):
    """A Chroma client: embedded under the data dir, or a `chroma run` server when a host is set."""
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    settings = ChromaSettings(anonymized_telemetry=False)
    try:
        if host:
            import httpx

            # Creating the client already talks to the server, unbounded: check it answers first.
            url = httpx.URL(scheme="http", host=host, port=port, path="/api/v2/heartbeat")
            httpx.get(url, timeout=SERVER_CONNECT_TIMEOUT).raise_for_status()
            client = chromadb.HttpClient(host=host, port=port, settings=settings)
            session = getattr(getattr(client, "_server", None), "_session", None)
            if isinstance(session, httpx.Client):
                session.timeout = httpx.Timeout(SERVER_TIMEOUT, connect=SERVER_CONNECT_TIMEOUT)
            return client
        data_dir.mkdir(parents=True, exist_ok=True)
        return chromadb.PersistentClient(path=str(data_dir / "chroma"), settings=settings)
    except Exception as exc:  # chromadb raises bare ValueError/ConnectionError here
        where = f"{host}:{port}" if host else str(data_dir)
        raise StoreUnavailable(f"cannot open the Chroma store at {where}: {exc}") from exc


class VectorStore:
    """Copy-on-write versions of one logical collection; readers use whichever version is active."""

    def __init__(self, client_factory: Callable[[], Any]) -> None:
        self._factory = client_factory
        self._client = None

    def _call(self, fn: Callable[[Any], T]) -> T:
        # One retry with a fresh client: a restarted Chroma server invalidates the old connection.
        for attempt in (0, 1):
            try:
                if self._client is None:
                    self._client = self._factory()
                return fn(self._client)
            except StoreUnavailable:
                self._client = None
                if attempt:
                    raise
            except Exception as exc:
                if not _looks_like_connection_error(exc):
                    raise
                self._client = None
                if attempt:
                    raise StoreUnavailable(f"the vector store is unavailable: {exc}") from exc
        raise AssertionError("unreachable")

    def _meta(self, client):
        return client.get_or_create_collection(META, embedding_function=None)

    def active(self) -> tuple[str, dict[str, Any]] | None:
        """(collection name, its metadata) of the active version, or None before the first ingest."""

        def run(client):
            name = (self._meta(client).metadata or {}).get("active")
            if not name:
                return None
            col = client.get_collection(name, embedding_function=None)
            return name, dict(col.metadata or {})

        return self._call(run)

    def records(self, name: str) -> Records:
        def run(client):
            col = client.get_collection(name, embedding_function=None)
            got = col.get(include=["documents", "metadatas"])
            return Records(list(got["ids"]), list(got["documents"] or []), list(got["metadatas"] or []))

        return self._call(run)

    def vectors(self, name: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors by id, so unchanged chunks are copied instead of embedded again."""
        if not ids:
            return {}

        def run(client):
            col = client.get_collection(name, embedding_function=None)
            out: dict[str, np.ndarray] = {}
            step = client.get_max_batch_size()
            for i in range(0, len(ids), step):
                got = col.get(ids=list(ids[i : i + step]), include=["embeddings"])
                for cid, vec in zip(got["ids"], got["embeddings"]):
                    out[cid] = np.asarray(vec, dtype=np.float32)
            return out

        return self._call(run)

    def write_version(self, records: Records, vectors: np.ndarray, embedder_id: str) -> str:
        """Write a complete new (inactive) version and return its name."""

        def run(client):
            meta = self._meta(client)
            version = int((meta.metadata or {}).get("next_version", 1))
            for _ in range(20):
                meta.modify(metadata={**(meta.metadata or {}), "next_version": version + 1})
                name = f"{PREFIX}{version}"
                try:
                    col = client.create_collection(
                        name, embedding_function=None, configuration={"hnsw": {"space": "cosine"}},
                        metadata={"embedder": embedder_id, "version": version, "created": time.time()},
                    )
                    break
                except Exception as exc:
                    # Another process took this number between our read and our create: take the next.
                    if "exist" not in str(exc).lower():
                        raise
                    version += 1
            else:
                raise StoreUnavailable("could not find a free version name in the vector store")
            step = client.get_max_batch_size()
            for i in range(0, len(records.ids), step):
                col.add(ids=records.ids[i : i + step], documents=records.texts[i : i + step],
                        metadatas=records.metas[i : i + step], embeddings=vectors[i : i + step])
            return name

        return self._call(run)

    def activate(self, name: str) -> None:
        """Point readers at `name` (one metadata write: the swap), then drop stale versions."""

        def run(client):
            meta = self._meta(client)
            previous = (meta.metadata or {}).get("active")
            meta.modify(metadata={**(meta.metadata or {}), "active": name})
            # Keep the previous version one cycle: a query already running against it may finish. Only
            # older versions go: a newer one may be another process's write, about to be activated.
            numbers = [n for n in (_number(name), _number(previous)) if n is not None]
            floor = min(numbers) if numbers else 0
            for col in client.list_collections():
                cname = col if isinstance(col, str) else col.name
                n = _number(cname)
                if n is not None and n < floor and cname not in (name, previous):
                    client.delete_collection(cname)

        self._call(run)

    def query(self, name: str, vector: np.ndarray, n: int, article_id: str | None = None) -> list[tuple[str, float]]:
        """Nearest chunks as (id, cosine similarity); only one article's chunks when `article_id` is set."""

        def run(client):
            col = client.get_collection(name, embedding_function=None)
            count = col.count()
            if count == 0:
                return []
            where = {"article_id": article_id} if article_id is not None else None
            res = col.query(query_embeddings=[vector], n_results=min(n, count), where=where,
                            include=["distances"])
            return [(cid, 1.0 - float(d)) for cid, d in zip(res["ids"][0], res["distances"][0])]

        return self._call(run)


def _number(name: object) -> int | None:
    """The version number of a version collection's name, else None."""
    if not isinstance(name, str) or not name.startswith(PREFIX):
        return None
    try:
        return int(name[len(PREFIX):])
    except ValueError:
        return None


def _looks_like_connection_error(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(w in text for w in ("connect", "timeout", "timed out", "unavailable", "refused", "reset"))
