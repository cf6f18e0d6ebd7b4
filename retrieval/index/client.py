"""The Chroma client (embedded or a `chroma run` server) and calls to it that survive a server restart."""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from ..errors import StoreUnavailable

T = TypeVar("T")
META = "articlebot-meta"
# Per request to a Chroma server. chromadb's HttpClient sets no timeout at all, so a server that hangs
# (frozen, or a network that drops packets) would hold a question, and its worker thread, forever.
SERVER_TIMEOUT = 20.0
SERVER_CONNECT_TIMEOUT = 5.0


@dataclass
class Records:
    """Chunks with their texts and metadata (ids are chunk ids, or record ids where said)."""

    ids: list[str]
    texts: list[str]
    metas: list[dict[str, Any]]

def make_client(data_dir: Path, host: str | None = None, port: int = 8000):
    """A Chroma client: embedded under the data dir, or a `chroma run` server when a host is set."""
    _defer_otel_exporter()
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


_OTLP = "opentelemetry.exporter.otlp.proto.grpc.trace_exporter"


def _defer_otel_exporter() -> None:
    """Importing chromadb imports OpenTelemetry's gRPC span exporter (grpc, protobuf: about 0.1-0.16 s of a
    one-shot command's start), which Chroma only instantiates when its OTel tracing is configured
    (CHROMA_OTEL_GRANULARITY; this app never sets it). Until then a stand-in module holds the name; the
    first instantiation imports the real exporter and builds that, so configured tracing still works, in
    embedded and server mode alike. Nothing of Chroma's is patched: only the import is deferred."""
    if _OTLP in sys.modules or "chromadb" in sys.modules:
        return
    stand_in = types.ModuleType(_OTLP)

    def real() -> types.ModuleType:
        if sys.modules.get(_OTLP) is stand_in:
            del sys.modules[_OTLP]
        return importlib.import_module(_OTLP)

    class OTLPSpanExporter:  # noqa: D101 - the stand-in for the one name chromadb imports from the module
        def __new__(cls, *args: Any, **kwargs: Any) -> Any:
            return real().OTLPSpanExporter(*args, **kwargs)

    def attribute(name: str) -> Any:
        # The import machinery asks a module for `__path__` and the like: those must not load the real one.
        if name.startswith("__"):
            raise AttributeError(name)
        return getattr(real(), name)

    stand_in.OTLPSpanExporter = OTLPSpanExporter  # type: ignore[attr-defined]
    stand_in.__getattr__ = attribute  # type: ignore[method-assign]
    sys.modules[_OTLP] = stand_in


class ChromaCalls:
    """Runs calls against a client made on demand; one retry with a fresh client after a dropped connection.

    `cache_dir` holds the local lexical cache (see lexicon.py); None keeps it in memory.
    """

    def __init__(self, client_factory: Callable[[], Any], cache_dir: Path | None = None) -> None:
        self._factory = client_factory
        self._client = None
        self._handles: dict[str, Any] = {}  # chunk collections by name: a lookup per call costs 1 ms
        self.cache_dir = cache_dir

    def _call(self, fn: Callable[[Any], T]) -> T:
        # One retry with a fresh client: a restarted Chroma server invalidates the old connection.
        for attempt in (0, 1):
            try:
                if self._client is None:
                    self._handles = {}
                    self._client = self._factory()
                return fn(self._client)
            except StoreUnavailable:
                self._client = None
                if attempt:
                    raise
            except Exception as exc:
                self._handles = {}  # a collection collected by another process must be looked up again
                if not _looks_like_connection_error(exc):
                    raise
                self._client = None
                if attempt:
                    raise StoreUnavailable(f"the vector store is unavailable: {exc}") from exc
        raise AssertionError("unreachable")

    def _meta(self, client):
        try:  # a plain get first: get_or_create costs a write attempt on every question
            return client.get_collection(META, embedding_function=None)
        except Exception as exc:
            if "does not exist" not in str(exc).lower():
                raise
            return client.get_or_create_collection(META, embedding_function=None)

    def _chunks(self, client, name: str, create: bool = False):
        col = self._handles.get(name)
        if col is None:
            if create:
                col = client.get_or_create_collection(name, embedding_function=None,
                                                      configuration={"hnsw": {"space": "cosine"}})
            else:
                col = client.get_collection(name, embedding_function=None)
            self._handles[name] = col
        return col

    # ----- versions ------------------------------------------------------------------------------


def _looks_like_connection_error(exc: Exception) -> bool:
    text = f"{type(exc).__name__} {exc}".lower()
    return any(w in text for w in ("connect", "timeout", "timed out", "unavailable", "refused", "reset"))
