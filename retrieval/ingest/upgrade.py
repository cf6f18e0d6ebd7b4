"""Upgrade an index written by the copy-on-write design (every version a full copy of every record).

Without this, a data dir from before would open as an empty index. Its vectors are carried over, so the
upgrade embeds nothing; it runs once, the first time a process opens such a version.
"""

from __future__ import annotations

from ..index.lexicon import Lexicon
from ..index.manifest import Entry, Manifest, chunk_collection, content_key, record_id
from ..index.store import Records, VectorStore
from ..korean import squash
from .indexer import cache_terms

CHUNK_FIELDS = ("article_id", "title", "url", "published", "byline", "position", "start", "end", "chunks", "terms")


def upgrade(store: VectorStore, lexicon: Lexicon, old: Manifest) -> Manifest:
    """Write the old version's records as chunks plus a manifest, activate it, and return it."""
    records, vectors = store.legacy(old.name)
    entries: dict[str, Entry] = {}
    fresh = Records([], [], [])
    for cid, text, m in zip(records.ids, records.texts, records.metas):
        aid = str(m.get("article_id", ""))
        entry = entries.get(aid)
        if entry is None:
            # A key of its own (the old content hash): a later ingest of the article rewrites it once.
            entry = entries[aid] = Entry(aid, content_key(aid, "copy-on-write", str(m.get("article_hash", ""))), 0,
                                         str(m.get("title", "")), str(m.get("source", "")),
                                         str(m.get("indexed_at", "")), str(m.get("url", "")),
                                         str(m.get("published", "")))
        fresh.ids.append(record_id(entry.key, entry.chunks))
        fresh.texts.append(squash(text))
        fresh.metas.append({**{k: m[k] for k in CHUNK_FIELDS if k in m}, "chunk_id": cid, "text": text,
                            "position": entry.chunks})
        entries[aid] = Entry(**{**entry.__dict__, "chunks": entry.chunks + 1})
    cache_terms(lexicon, fresh)
    name = store.write_version(old.embedder, list(entries.values()), fresh, vectors)
    lexicon.prune(store.activate(name))
    return Manifest(name, old.embedder, chunk_collection(old.embedder), list(entries.values()))
