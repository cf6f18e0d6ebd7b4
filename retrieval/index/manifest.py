"""A version of the index is a manifest: the live articles, each naming its chunks by a content key.

Chunks are written once, to one collection per embedder, under ids `<key>:<position>`, where the key is a
hash of everything the chunks are made from. A manifest therefore names every live chunk without listing
them: an article of 30 chunks costs one entry. At 100,000 chunks (about 4,000 articles) a whole manifest
is about 1 MB of JSON, so a version is stored as a delta on the one before (the entries put and the ids
dropped), with a whole manifest every MAX_CHAIN versions: writing, reading and switching a version then
cost what changed, not the index (see versions.py).
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from functools import cached_property
from typing import Any

# Part of every key: a change to how articles are cut into chunks or to what a chunk record holds must
# give new keys, or old chunks would be taken for new ones.
CHUNK_FORMAT = "chunks-2"
# Deltas in a row before a whole manifest is written again: a new reader applies up to this many, and
# every delta keeps its chain's versions (small, but with the chunks only they named) until the next one.
MAX_CHAIN = 16


@dataclass(frozen=True)
class Entry:
    """One live article of a version: its chunks are `<key>:0` ... `<key>:<chunks - 1>`."""

    id: str
    key: str
    chunks: int
    title: str = ""
    source: str = ""
    indexed_at: str = ""
    url: str = ""
    published: str = ""

    def record_ids(self) -> list[str]:
        return [record_id(self.key, i) for i in range(self.chunks)]


@dataclass
class Manifest:
    """A version: its name, the embedder and chunk collection its vectors live in, its articles in order."""

    name: str
    embedder: str
    collection: str
    entries: list[Entry]
    legacy: bool = False  # written by the copy-on-write design: the records are in the version itself
    depth: int = 0  # deltas between this version and the whole manifest it rests on

    @property
    def size(self) -> int:
        return sum(e.chunks for e in self.entries)

    @cached_property
    def keys(self) -> frozenset[str]:
        return frozenset(e.key for e in self.entries)


def record_id(key: str, position: int) -> str:
    return f"{key}:{position}"


def split_record_id(rid: str) -> tuple[str, int]:
    key, _, pos = rid.rpartition(":")
    return key, int(pos)


def content_key(article_id: str, *fields: str) -> str:
    """The key of an article's chunks: same id and content (and chunk format), same chunks."""
    text = "\x1f".join((CHUNK_FORMAT, article_id, *fields))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:24]


def chunk_collection(embedder_id: str) -> str:
    """Vectors of two embedders never share a collection (nor, usually, a dimension)."""
    return "articlebot-chunks-" + hashlib.sha256(embedder_id.encode("utf-8")).hexdigest()[:12]


def encode(entries: list[Entry]) -> str:
    # Lists, not objects: field names repeated 4,000 times would double the manifest.
    rows = [[e.id, e.key, e.chunks, e.title, e.source, e.indexed_at, e.url, e.published] for e in entries]
    return json.dumps(rows, ensure_ascii=False, separators=(",", ":"))


def rows(meta: dict[str, Any]) -> list[Entry]:
    """The entries a version's metadata holds itself: the whole manifest, or a delta's entries put."""
    raw = meta.get("manifest")
    return [Entry(*row) for row in json.loads(raw)] if isinstance(raw, str) else []


def decode(name: str, meta: dict[str, Any]) -> Manifest:
    """A version that is not a delta (see `base`): its manifest is in its own metadata."""
    return Manifest(name, str(meta.get("embedder", "")), str(meta.get("chunks", "")), rows(meta),
                    legacy=meta.get("format") not in (2, 3))


def base(meta: dict[str, Any]) -> tuple[str, float] | None:
    """(name, creation time) of the version a delta applies to; None for a whole manifest."""
    name = meta.get("base")
    return (str(name), float(meta.get("base_created", 0.0))) if name else None


def delta(old: list[Entry], new: list[Entry]) -> tuple[list[Entry], list[str]] | None:
    """(entries put, ids dropped) that turn `old` into `new`, or None when order changed otherwise (then
    the whole manifest is written). Entries kept are the same objects, so the comparisons are cheap."""
    by_id = {e.id: e for e in old}
    new_ids = {e.id for e in new}
    put = [e for e in new if (was := by_id.get(e.id)) is not e and was != e]  # `is` first: no field compares
    drop = [e.id for e in old if e.id not in new_ids]
    return (put, drop) if apply(old, put, drop) == new else None


def apply(old: list[Entry], put: list[Entry], drop: list[str]) -> list[Entry]:
    """`old` with `drop` taken out, `put` replacing entries of the same id in place, new ids at the end
    (the order `indexer.merge` makes)."""
    dropped, puts = set(drop), {e.id: e for e in put}
    present = {e.id for e in old}
    return [puts.get(e.id, e) for e in old if e.id not in dropped] + [e for e in put if e.id not in present]


def dropped(meta: dict[str, Any]) -> list[str]:
    raw = meta.get("drop")
    return list(json.loads(raw)) if isinstance(raw, str) else []
