"""Turn articles into a new index version: write only the chunks no version has, then swap manifests.

The cost of a write follows what changed, not the index: the new articles are chunked, embedded (unless
their chunks' vectors can be carried over) and written; the manifest (one entry per article) is written
whole, and the pointer is swapped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from ..errors import StoreUnavailable
from ..foreground import Pause, no_pause
from ..index.embeddings import Embedder
from ..index.lexicon import Lexicon
from ..index.manifest import Entry, Manifest, chunk_collection, content_key, record_id
from ..index.snapshot import StoredSnapshot
from ..index.store import Records, VectorStore
from ..korean import squash, terms, terms_id
from ..models import Article, IngestReport
from .worker import sized
from .chunking import chunk_article

# progress(stage, done, total): "reading sources" (from the service), "embedding" while vectors are
# computed (0/N first, while the model loads), "writing" at the end.
ProgressFn = Callable[[str, int, int], None]
SYNC_BATCH = 2000  # chunk records read at a time when the local lexicon catches up with a version


def article_key(article: Article) -> str:
    return content_key(article.id, article.title, article.text, article.url, article.published, article.byline)


def article_records(article: Article, key: str) -> Records:
    """The chunk records of one article (ids are record ids), with what citations and BM25 need."""
    chunks = chunk_article(article)
    metas: list[dict[str, Any]] = []
    for c in chunks:
        metas.append({
            "chunk_id": c.id, "text": c.text, "article_id": article.id, "title": article.title,
            "url": article.url, "published": article.published, "byline": article.byline,
            "position": c.position, "start": c.start, "end": c.end, "chunks": len(chunks),
            # Stored so any client can build its lexicon without running Kiwi over the corpus again.
            "terms": chunk_terms(article.title, c.text, c.position), "terms_by": terms_id(),
        })
    # The document is the squashed text: Chroma's full-text index then answers "does any chunk mention
    # this?" as the answerer means it (whitespace-insensitive); the passage text is in the metadata.
    return Records([record_id(key, i) for i in range(len(chunks))], [squash(c.text) for c in chunks], metas)


def chunk_terms(title: str, text: str, position: int) -> str:
    """A chunk's BM25 terms, space-separated; the first chunk of an article carries its title."""
    return " ".join(terms(f"{title}\n{text}" if position == 0 else text))


def _chunk_terms_of_all(chunks: list[tuple[str, str, int]]) -> list[str]:
    return [chunk_terms(*c) for c in chunks]


def current_terms(metas: list[dict[str, Any]]) -> None:
    """Chunk records whose terms another tokenizer made (korean.terms_id; records from before the stamp name
    none) get this one's, made again from their stored text, in place: nothing is embedded again."""
    stale = [m for m in metas if m.get("terms_by") != terms_id() and "text" in m]
    if stale:
        chunks = [(str(m.get("title", "")), str(m["text"]), int(m.get("position", 1))) for m in stale]
        made = sized(_chunk_terms_of_all, chunks, sum(len(text) for _, text, _ in chunks))
        for m, t in zip(stale, made):
            m["terms"], m["terms_by"] = t, terms_id()


def _records_of_all(items: list[tuple[Article, str]]) -> list[Records]:
    return [article_records(article, key) for article, key in items]


def records_of(items: list[tuple[Article, str]]) -> list[Records]:
    """The records of (article, key) pairs; a large batch is analysed in the worker process (worker.py):
    Kiwi holds the GIL for each call, and minutes of it in a thread stalled every question (one waited 128 s)."""
    return sized(_records_of_all, items, sum(len(article.text) for article, _ in items))


@dataclass
class Plan:
    """The target version's articles, and the new ones whose chunks must be made."""

    entries: list[Entry]
    fresh: dict[str, Records] = field(default_factory=dict)  # by key


def merge(current: list[Entry], articles: Iterable[Article], *, replace_all: bool = False,
          drop: set[str] | None = None) -> Plan:
    """Current entries with `articles` put in (by id) and `drop` taken out; unchanged articles keep theirs."""
    articles = list(articles)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    incoming = {a.id: a for a in articles}
    by_id = {e.id: e for e in current}
    keep_ids = set() if replace_all else set(by_id) - set(incoming) - (drop or set())
    order = [e.id for e in current if e.id in keep_ids or e.id in incoming] + [
        aid for aid in incoming if aid not in by_id]
    plan = Plan([])
    pending: list[tuple[int, Article, str]] = []  # (slot in entries, article, key) of the changed ones
    for aid in order:
        old, art = by_id.get(aid), incoming.get(aid)
        if art is None:
            plan.entries.append(old)
            continue
        key = article_key(art)
        if old is not None and old.key == key:
            # The same chunks: a new source is recorded, nothing is written.
            plan.entries.append(old if old.source == art.source else replace(old, source=art.source, indexed_at=now))
            continue
        pending.append((len(plan.entries), art, key))
        plan.entries.append(None)  # filled in below, once the new articles' chunks are made
    todo = list({key: (art, key) for _, art, key in pending}.values())
    plan.fresh.update(zip((key for _, key in todo), records_of(todo)))
    for slot, art, key in pending:
        plan.entries[slot] = Entry(art.id, key, len(plan.fresh[key].ids), art.title, art.source, now, art.url,
                                   art.published)
    return plan


def commit(store: VectorStore, lexicon: Lexicon, embedder: Embedder, current: StoredSnapshot | None, plan: Plan,
           progress: ProgressFn | None = None, report: IngestReport | None = None, pause: Pause = no_pause
           ) -> tuple[StoredSnapshot, IngestReport]:
    """Write the chunks the target lacks (carrying vectors over where the text is unchanged), the manifest,
    then make it active and collect what no version needs any more. `pause` is called between steps that
    hold the interpreter (each text embedded, each batch written): the bot's questions go first there."""
    started = time.perf_counter()
    report = report or IngestReport()
    collection = chunk_collection(embedder.id)
    same = current is not None and current.embedder_id == embedder.id
    present = {e.key for e in current.entries} if same else set()
    needed = {e.key: e for e in plan.entries if e.key not in present}
    # Written by a version not yet collected (an article removed and added back, a write cut short).
    for key in _stored(store, collection, list(needed.values())):
        plan.fresh.pop(key, None)
        del needed[key]
    fresh = _records(store, current, plan, needed)
    carried = _carried(store, current, plan, fresh) if same else {}
    todo = [i for i, m in enumerate(fresh.metas) if m["chunk_id"] not in carried]
    texts = [fresh.metas[i]["text"] for i in todo]
    if progress and texts:  # shown while the embedder loads its model, before the first batch is done
        progress("embedding", 0, len(texts))
    def embedding(done: int, total: int) -> None:
        if progress:
            progress("embedding", done, total)
        pause()

    embedded = embedder.embed_passages(texts, embedding)
    vectors = np.zeros((len(fresh.ids), embedded.shape[1] if len(todo) else _dim(carried)), dtype=np.float32)
    for row, vec in zip(todo, embedded):
        vectors[row] = vec
    for row, m in enumerate(fresh.metas):
        if m["chunk_id"] in carried:
            vectors[row] = carried[m["chunk_id"]]
    if progress:
        progress("writing", len(fresh.ids), len(fresh.ids))
    cache_terms(lexicon, fresh, pause)
    name = store.write_version(embedder.id, plan.entries, fresh, vectors, pause,
                               base=current.collection if current is not None else None)
    _check_reused(store, collection, current, plan, present, name)
    lexicon.prune(store.activate(name, pause))
    manifest = store.manifest(name)  # what was just written (held by the store: no read)
    sync(store, lexicon, manifest)
    snap = StoredSnapshot(manifest, store, lexicon)
    report.added += len(todo)
    # Unchanged chunks of the articles this write was about: other articles in the index are not news.
    about = set(report.article_ids)
    report.unchanged += (sum(e.chunks for e in plan.entries if e.id in about)
                         - sum(1 for i in todo if fresh.metas[i]["article_id"] in about))
    report.removed += _removed(lexicon, current, plan) if current is not None else 0
    report.embedded_chars += sum(len(t) for t in texts)
    report.seconds += time.perf_counter() - started
    return snap, report


def _check_reused(store: VectorStore, collection: str, current: StoredSnapshot | None, plan: Plan,
                  present: set[str], name: str) -> None:
    """Refuse to activate a version naming chunks another writer collected while this one embedded.

    Our manifest is written, so collections from now on keep what it names (and the version it rests on);
    but if two writes were activated since we read `current`, the chunks we reuse from it, or that version,
    may be gone already.
    """
    if current is None:
        return
    active, previous = store.recent()
    if active == current.collection:
        return
    # Two switches since `current` was read: under whole-manifest versions its chunks were collected by
    # then; with deltas they may survive, but the write would undo both others' changes, so it is refused.
    if current.collection != previous or not store.intact(name):
        raise StoreUnavailable("another process changed the index while this write ran; the index is "
                               "unchanged, try again")
    reused = [e for e in plan.entries if e.key in present]
    stored = set(_stored(store, collection, reused))
    if any(e.key not in stored for e in reused if e.chunks):
        raise StoreUnavailable("another process changed the index while this write ran; the index is unchanged, "
                               "try again")


def _stored(store: VectorStore, collection: str, entries: list[Entry]) -> list[str]:
    """Keys whose chunks are all in the collection already (first and last checked: writes go in order)."""
    ids = [rid for e in entries if e.chunks for rid in {record_id(e.key, 0), record_id(e.key, e.chunks - 1)}]
    got = store.get(collection, ids, include=())
    return [e.key for e in entries if e.chunks and all(rid in got for rid in
                                                       (record_id(e.key, 0), record_id(e.key, e.chunks - 1)))]


def _records(store: VectorStore, current: StoredSnapshot | None, plan: Plan, needed: dict[str, Entry]) -> Records:
    """Records of every needed key: new articles from the plan, the rest (an embedder change) from the store."""
    out = Records([], [], [])
    copy = [e for k, e in needed.items() if k not in plan.fresh]
    old = store.get(current.chunks, [rid for e in copy for rid in e.record_ids()]) if copy and current else {}
    for key, entry in needed.items():
        recs = plan.fresh.get(key)
        if recs is None:
            rids = [rid for rid in entry.record_ids() if rid in old]
            recs = Records(rids, [squash(old[r]["metadata"]["text"]) for r in rids], [old[r]["metadata"] for r in rids])
        out.ids += recs.ids
        out.texts += recs.texts
        out.metas += recs.metas
    return out


def _carried(store: VectorStore, current: StoredSnapshot, plan: Plan, fresh: Records) -> dict[str, np.ndarray]:
    """Vectors of unchanged chunks of changed articles, by chunk id, from the articles' previous chunks."""
    changed = {m["article_id"] for m in fresh.metas}
    old = [e for e in current.entries if e.id in changed]
    got = store.get(current.chunks, [rid for e in old for rid in e.record_ids()], include=("metadatas", "embeddings"))
    return {str(g["metadata"]["chunk_id"]): np.asarray(g["embedding"], dtype=np.float32) for g in got.values()}


def _dim(vectors: dict[str, np.ndarray]) -> int:
    return len(next(iter(vectors.values()))) if vectors else 0


def open_lexicon(directory: Path | None) -> Lexicon:
    """The data dir's lexicon, holding this Kiwi's terms only (korean.terms_id; another's are dropped)."""
    return Lexicon(directory, terms_by=terms_id())


def cache_terms(lexicon: Lexicon, records: Records, pause: Pause = no_pause) -> None:
    current_terms(records.metas)
    by_key: dict[str, tuple[list[str], list[list[str]]]] = {}
    for rid, m in zip(records.ids, records.metas):
        ids, docs = by_key.setdefault(rid.rpartition(":")[0], ([], []))
        ids.append(str(m["chunk_id"]))
        docs.append(str(m.get("terms", "")).split())
    lexicon.add([(key, ids, docs) for key, (ids, docs) in by_key.items()], pause)


def sync(store: VectorStore, lexicon: Lexicon, manifest: Manifest) -> None:
    """Bring the local lexicon up to a version: read the terms of articles it has not seen (once)."""
    missing = set(lexicon.missing(e.key for e in manifest.entries))
    batch: list[str] = []
    for entry in [e for e in manifest.entries if e.key in missing] + [None]:
        if entry is not None:
            batch += entry.record_ids()  # whole articles per batch: the lexicon adds an article at once
        if batch and (entry is None or len(batch) >= SYNC_BATCH):
            got = store.get(manifest.collection, batch)
            found = [r for r in batch if r in got]
            cache_terms(lexicon, Records(found, [], [got[r]["metadata"] for r in found]))
            batch = []


def _removed(lexicon: Lexicon, current: StoredSnapshot, plan: Plan) -> int:
    """Chunk ids of the current version that the target no longer has (only changed articles can lose any)."""
    target = {e.id: e.key for e in plan.entries}
    gone = 0
    for e in current.entries:
        if target.get(e.id) == e.key:
            continue
        before = set(lexicon.chunk_ids(e.key))
        after = set(lexicon.chunk_ids(target[e.id])) if e.id in target else set()
        gone += len(before - after)
    return gone
