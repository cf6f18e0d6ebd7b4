"""Versions stored as chains of manifest deltas, resolved through a cache, and which of them a switch collects.

Why deltas: a whole manifest at 100,000 chunks is about 1 MB of JSON. Written, listed and parsed again at
every version switch, it made adding one article cost 0.12 s more at 100,000 chunks than at 1,000. A
version whose base is the active one stores only what changed (manifest.delta); every MAX_CHAIN versions a
whole manifest starts a new chain. Versions never change once written and their names are never reused
(see store.py), so a process keeps the manifests it resolved, and the next version costs its delta.

A chain's versions are kept as long as a version that is still kept rests on them; a switch collects the
rest, and the chunks that only those named (the candidates are the entries each dropped version stored
itself: anything else it named came from a version that is either kept or dropped with it).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from typing import Any

from ..errors import StoreUnavailable
from . import manifest as mf
from .manifest import Entry, Manifest

PREFIX = "articlebot-v"  # a version's collection: PREFIX + its number
MetaOf = Callable[[str], "dict[str, Any] | None"]
CACHED = 64  # resolved manifests kept per process: the kept versions and their chains, with room to spare


class Chains:
    """Resolved manifests by version name, each checked by its creation time."""

    def __init__(self) -> None:
        self._cache: dict[str, tuple[float, Manifest]] = {}

    def remember(self, name: str, created: float, manifest: Manifest) -> None:
        self._cache[name] = (created, manifest)
        if len(self._cache) > CACHED:
            self._cache.pop(next(iter(self._cache)))

    def cached(self, name: str, created: float | None = None) -> Manifest | None:
        hit = self._cache.get(name)
        if hit is None or (created is not None and hit[0] != created):
            return None
        return hit[1]

    def created(self, name: str) -> float:
        hit = self._cache.get(name)
        return hit[0] if hit else 0.0

    def keep_only(self, names: set[str]) -> None:
        for name in [n for n in self._cache if n not in names]:
            del self._cache[name]

    def resolve(self, name: str, meta: dict[str, Any], meta_of: MetaOf) -> Manifest:
        """The manifest of version `name` (its metadata `meta`): a whole one, or its chain's deltas applied
        to the nearest version this process resolved before."""
        hit = self.cached(name, _created(meta))
        if hit is not None:
            return hit
        chain: list[tuple[str, dict[str, Any]]] = []
        current, current_meta = name, meta
        while True:
            link = mf.base(current_meta)
            if link is None:
                found = mf.decode(current, current_meta)
                self.remember(current, _created(current_meta), found)
                break
            chain.append((current, current_meta))
            found = self.cached(*link)
            if found is not None:
                break
            current, current_meta = link[0], meta_of(link[0])
            # Gone, or another version under the same name (a store emptied and written again).
            if current_meta is None or (link[1] and _created(current_meta) != link[1]):
                raise StoreUnavailable(f"version {chain[-1][0]} of the index rests on {link[0]}, which is gone; "
                                       "write the index again (articlebot reload)")
        for vname, vmeta in reversed(chain):
            found = Manifest(vname, found.embedder, found.collection,
                             mf.apply(found.entries, mf.rows(vmeta), mf.dropped(vmeta)),
                             depth=int(vmeta.get("depth", 0)))
            self.remember(vname, _created(vmeta), found)
        return found


def version_meta(embedder_id: str, collection: str, entries: list[Entry], base: Manifest | None,
                 base_created: float) -> dict[str, Any]:
    """What a new version's collection metadata holds: a delta on `base`, or (no base, another collection,
    a full chain, or a reordering) the whole manifest."""
    info: dict[str, Any] = {"embedder": embedder_id, "chunks": collection, "format": 3}
    change = None
    if base is not None and base.collection == collection and base.depth < mf.MAX_CHAIN and not base.legacy:
        change = mf.delta(base.entries, entries)
    if change is None:
        return {**info, "manifest": mf.encode(entries), "depth": 0}
    put, drop = change
    return {**info, "manifest": mf.encode(put), "drop": json.dumps(drop, ensure_ascii=False), "base": base.name,
            "base_created": base_created, "depth": base.depth + 1}


def _chain(name: str, meta_of: MetaOf) -> Iterator[tuple[str, dict[str, Any] | None]]:
    """(version, its metadata) from `name` down the versions it rests on; a missing one (None) ends it."""
    current: str | None = name
    while current is not None:
        meta = meta_of(current)
        yield current, meta
        link = mf.base(meta) if meta is not None else None
        current = link[0] if link else None


def kept_versions(metas: dict[str, dict[str, Any]], roots: set[str]) -> set[str]:
    """The roots and every version their chains rest on (that still exists)."""
    kept: set[str] = set()
    for root in roots:
        for name, meta in _chain(root, metas.get):
            if meta is None or name in kept:
                break
            kept.add(name)
    return kept


def dead_chunks(metas: dict[str, dict[str, Any]], roots: set[str], dropped: list[str],
                resolve: Callable[[str], Manifest]) -> dict[str, dict[str, int]] | None:
    """{chunk collection: {key: chunks}} named by dropped versions and by no root; None when a root cannot
    be resolved (a chain cut short by another process): nothing is collected then, rather than a live chunk."""
    try:
        live = [resolve(name) for name in roots]
    except StoreUnavailable:
        return None
    dead: dict[str, dict[str, int]] = {}
    for name in dropped:
        collection = str(metas[name].get("chunks", ""))
        for e in mf.rows(metas[name]):
            # Only the candidates are looked up (in each root's key set, made once per version).
            if not any(m.collection == collection and e.key in m.keys for m in live):
                dead.setdefault(collection, {})[e.key] = e.chunks
    return dead


def _created(meta: dict[str, Any]) -> float:
    return float(meta.get("created", 0.0))


def number(name: object) -> int | None:
    """The version number of a version collection's name, else None."""
    if not isinstance(name, str) or not name.startswith(PREFIX):
        return None
    try:
        return int(name[len(PREFIX):])
    except ValueError:
        return None


def meta_of(client: Any, name: str) -> dict[str, Any] | None:
    """A version's metadata, None when it does not exist."""
    try:
        return dict(client.get_collection(name, embedding_function=None).metadata or {})
    except Exception as exc:
        if "does not exist" in str(exc).lower():
            return None
        raise


def listing(client: Any) -> tuple[dict[str, dict[str, Any]], set[str]]:
    """({version: its metadata}, every collection's name), in one listing."""
    metas, names = {}, set()
    for col in client.list_collections():
        cname = col if isinstance(col, str) else col.name
        names.add(cname)
        if number(cname) is not None:
            metas[cname] = dict((client.get_collection(cname).metadata if isinstance(col, str) else col.metadata)
                                or {})
    return metas, names


def intact(client: Any, name: str) -> bool:
    """Whether version `name` and every version its chain rests on exist."""
    return all(meta is not None for _, meta in _chain(name, lambda v: meta_of(client, v)))
