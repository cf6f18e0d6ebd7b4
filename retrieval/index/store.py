"""Chroma holding chunks written once and versions as manifests; one pointer write swaps versions.

A version is a metadata-only collection holding its manifest, or a delta on the version it was written
from (versions.py says why and how they are resolved and collected).

Why the manifests live in Chroma (a metadata-only collection per version) and not in a local SQLite file:
in server mode the bot and the CLI may run on different machines against one `chroma run` server, and the
pointer, the manifests and the chunks must be one truth that every client reaches. Chroma changes one
collection's metadata in one step, which is all the swap needs (as before this design).
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Any

import numpy as np

from ..errors import StoreUnavailable
from ..foreground import Pause, no_pause
from . import manifest as mf
# Re-exported: callers know these names from the store.
from .client import META, SERVER_CONNECT_TIMEOUT, SERVER_TIMEOUT, ChromaCalls, Records, make_client  # noqa: F401
from .manifest import Entry, Manifest
from .versions import PREFIX  # noqa: F401 (re-exported: callers know it from the store)
from .versions import Chains, dead_chunks, intact, kept_versions, listing, meta_of, number, version_meta

# Records per upsert or delete. Chroma's local client holds the GIL for a whole upsert, and its maximum
# batch (5,461) froze every question and the bot's event loop for 11 s per call of a 5 MB upload's write.
# Fewer records do not shorten a call much (measured on a loaded 2-core machine: 25 records held the
# GIL 0.3-1.5 s, 500 records 0.5-1.1 s), so the batch stays at a few hundred and, between calls, the
# writer waits for the questions in flight (`pause`, see retrieval/foreground.py).
WRITE_BATCH = 500


class VectorStore(ChromaCalls):
    """Versions of one logical index; readers use whichever version the pointer names."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._chains = Chains()

    def active_name(self) -> str | None:
        """The active version's name: one small read, cheap enough to check before every question."""
        return self._call(lambda client: (self._meta(client).metadata or {}).get("active") or None)

    def recent(self) -> tuple[str | None, str | None]:
        """(active, the one active before it): the versions a switch keeps as roots."""
        meta = self._call(lambda client: self._meta(client).metadata or {})
        return meta.get("active") or None, meta.get("previous") or None

    def active(self) -> tuple[str, dict[str, Any]] | None:
        """(name, metadata without the manifest) of the active version, or None before the first ingest."""
        name = self.active_name()
        meta = None if name is None else self._call(lambda client: meta_of(client, name))
        return None if meta is None else (name, {k: v for k, v in meta.items() if k not in ("manifest", "drop")})

    def manifest(self, name: str) -> Manifest:
        """A version's manifest: one small read when this process resolved the version it rests on."""

        def run(client):
            meta = meta_of(client, name)
            if meta is None:
                raise StoreUnavailable(f"version {name} of the index is gone")
            return self._chains.resolve(name, meta, lambda vname: meta_of(client, vname))

        return self._call(run)

    def intact(self, name: str) -> bool:
        """Whether version `name` and every version its chain rests on exist (read, not from the cache)."""
        return self._call(lambda client: intact(client, name))

    def write_version(self, embedder_id: str, entries: list[Entry], fresh: Records,
                      vectors: np.ndarray, pause: Pause = no_pause, base: str | None = None) -> str:
        """Write a new (inactive) version: its manifest, then the chunks no earlier version wrote.

        `fresh.ids` are record ids (`key:position`). The manifest goes first: from then on a collector in
        another process keeps every chunk it names, including the ones about to be written.

        With `base` (the version `entries` were made from) still active, only the change is stored: a
        collector keeps the versions a kept one rests on. Had another writer's switch come between, the
        base may be collected soon, so the whole manifest is written. `pause` is called before each batch.
        """
        collection = mf.chunk_collection(embedder_id)

        def run(client):
            meta = self._meta(client)
            active = (meta.metadata or {}).get("active")
            version = int((meta.metadata or {}).get("next_version", 1))
            on = self._chains.cached(base) if base is not None and base == active else None
            info = version_meta(embedder_id, collection, entries, on, self._chains.created(base) if on else 0.0)
            created = time.time()
            for _ in range(20):
                meta.modify(metadata={**(meta.metadata or {}), "next_version": version + 1})
                name = f"{PREFIX}{version}"
                try:
                    client.create_collection(name, embedding_function=None,
                                             metadata={**info, "version": version, "created": created})
                    break
                except Exception as exc:
                    # Another process took this number between our read and our create: take the next.
                    if "exist" not in str(exc).lower():
                        raise
                    version += 1
            else:
                raise StoreUnavailable("could not find a free version name in the vector store")
            self._chains.remember(name, created, Manifest(name, embedder_id, collection, list(entries),
                                                          depth=int(info["depth"])))
            if fresh.ids:
                col = self._chunks(client, collection, create=True)
                step = min(WRITE_BATCH, client.get_max_batch_size())
                for i in range(0, len(fresh.ids), step):
                    pause()
                    # upsert: a key names its content, so a chunk a crashed write left behind is the same.
                    col.upsert(ids=fresh.ids[i : i + step], documents=fresh.texts[i : i + step],
                               metadatas=fresh.metas[i : i + step], embeddings=vectors[i : i + step])
            return name

        return self._call(run)

    def activate(self, name: str, pause: Pause = no_pause) -> set[str]:
        """Point readers at `name` (one metadata write: the swap), then collect what no version needs.

        The previous version stays one cycle (a query already running against it may finish), with every
        chunk it names. Only older versions go: a newer one may be another process's write, about to be
        activated. Returns the keys whose chunks were deleted; `pause` is called before each delete.
        """

        def run(client):
            meta = self._meta(client)
            previous = (meta.metadata or {}).get("active")
            meta.modify(metadata={**(meta.metadata or {}), "active": name, "previous": previous or ""})
            numbers = [n for n in (number(name), number(previous)) if n is not None]
            floor = min(numbers) if numbers else 0
            metas, listed = listing(client)
            # Roots: versions a reader or a writer may still use; kept too: the versions their chains rest on.
            roots = {c for c in metas if number(c) >= floor or c in (name, previous)}
            kept = kept_versions(metas, roots)
            self._chains.keep_only(kept)
            dropped = [c for c in metas if c not in kept]
            if not dropped:
                return set()
            return self._collect(client, metas, roots, dropped, listed, pause)

        return self._call(run)

    def _collect(self, client, metas: dict[str, dict[str, Any]], roots: set[str], dropped: list[str],
                 existing: set[str], pause: Pause) -> set[str]:
        def resolve(cname: str) -> Manifest:
            return self._chains.resolve(cname, metas[cname], lambda v: metas.get(v))

        dead = dead_chunks(metas, roots, dropped, resolve)
        if dead is None:
            return set()
        collections = {str(metas[c].get("chunks", "")) for c in metas if c not in dropped}
        for cname, keys in dead.items():
            if cname not in existing:
                continue
            if cname not in collections:  # a former embedder's chunks: the whole collection goes
                client.delete_collection(cname)
                self._handles.pop(cname, None)
                continue
            ids = [mf.record_id(k, i) for k, n in keys.items() for i in range(n)]
            col = self._chunks(client, cname)
            step = min(WRITE_BATCH, client.get_max_batch_size())
            for i in range(0, len(ids), step):
                pause()
                col.delete(ids=ids[i : i + step])
        # Manifests last: a collection cut short by a crash is collected again at the next activation.
        for cname in dropped:
            client.delete_collection(cname)
        return {k for keys in dead.values() for k in keys}

    # ----- chunks ---------------------------------------------------------------------------------
    def get(self, collection: str, ids: Sequence[str], include: Sequence[str] = ("metadatas",)) -> dict[str, dict]:
        """Stored chunks by record id (missing ids are left out), each as {"metadata", "embedding", ...}."""
        if not ids:
            return {}
        names = {"metadatas": "metadata", "embeddings": "embedding", "documents": "document"}

        def run(client):
            col = self._chunks(client, collection)
            out: dict[str, dict] = {}
            step = client.get_max_batch_size()
            for i in range(0, len(ids), step):
                got = col.get(ids=list(ids[i : i + step]), include=list(include))
                for j, rid in enumerate(got["ids"]):
                    out[rid] = {names[k]: got[k][j] for k in include}
            return out

        try:
            return self._call(run)
        except Exception as exc:
            if "does not exist" in str(exc).lower():
                return {}
            raise

    def query(self, collection: str, vector: np.ndarray, n: int,
              where: dict[str, Any] | None = None) -> list[tuple[str, float]]:
        """Nearest chunks as (record id, cosine similarity), any version's: callers filter by theirs."""

        def run(client):
            col = self._chunks(client, collection)
            # No count() first: Chroma answers with fewer when fewer are there, and the call costs 1 ms.
            res = col.query(query_embeddings=[vector], n_results=n, include=["distances"], where=where)
            return [(rid, 1.0 - float(d)) for rid, d in zip(res["ids"][0], res["distances"][0])]

        return self._call(run)

    def containing(self, collection: str, needle: str, limit: int = 64) -> list[str]:
        """Record ids of chunks whose document (the squashed text) holds `needle`."""

        def run(client):
            col = self._chunks(client, collection)
            return list(col.get(where_document={"$contains": needle}, limit=limit, include=[])["ids"])

        return self._call(run)

    def legacy(self, name: str) -> tuple[Records, np.ndarray]:
        """Records (by chunk id) and vectors of a version the copy-on-write design wrote, to upgrade it."""

        def run(client):
            got = client.get_collection(name, embedding_function=None).get(
                include=["documents", "metadatas", "embeddings"])
            vectors = np.asarray(got["embeddings"], dtype=np.float32) if len(got["ids"]) else np.zeros((0, 0))
            return Records(list(got["ids"]), list(got["documents"] or []), list(got["metadatas"] or [])), vectors

        return self._call(run)

    # ----- whole versions (tools and tests; O(version)) ----------------------------------------------
    def records(self, name: str) -> Records:
        """Every chunk of a version, ids being chunk ids, with the article facts of its manifest."""
        m = self.manifest(name)
        out = Records([], [], [])
        got = self.get(m.collection, [rid for e in m.entries for rid in e.record_ids()])
        for e in m.entries:
            for rid in e.record_ids():
                meta = dict(got[rid]["metadata"])
                out.ids.append(str(meta.pop("chunk_id")))
                out.texts.append(str(meta.pop("text")))
                out.metas.append({**meta, "source": e.source, "indexed_at": e.indexed_at, "article_hash": e.key})
        return out

    def vectors(self, name: str, ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors of a version by chunk id."""
        if not ids:
            return {}
        m, wanted = self.manifest(name), set(ids)
        got = self.get(m.collection, [rid for e in m.entries for rid in e.record_ids()],
                       include=("metadatas", "embeddings"))
        return {str(g["metadata"]["chunk_id"]): np.asarray(g["embedding"], dtype=np.float32)
                for g in got.values() if g["metadata"]["chunk_id"] in wanted}
