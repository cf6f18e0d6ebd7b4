"""A version of the index is a manifest: the live articles, each naming its chunks by a content key.

Chunks are written once, to one collection per embedder, under ids `<key>:<position>`, where the key is a
hash of everything the chunks are made from. A manifest therefore names every live chunk without listing
them: an article of 30 chunks costs one entry, and at 100,000 chunks (about 4,000 articles) a manifest is
about 1 MB of JSON, written once per version.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

# Part of every key: a change to how articles are cut into chunks or to what a chunk record holds must
# give new keys, or old chunks would be taken for new ones.
CHUNK_FORMAT = "chunks-2"


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

    @property
    def size(self) -> int:
        return sum(e.chunks for e in self.entries)


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


def decode(name: str, meta: dict[str, Any]) -> Manifest:
    raw = meta.get("manifest")
    entries = [Entry(*row) for row in json.loads(raw)] if isinstance(raw, str) else []
    return Manifest(name, str(meta.get("embedder", "")), str(meta.get("chunks", "")), entries,
                    legacy=meta.get("format") != 2)
