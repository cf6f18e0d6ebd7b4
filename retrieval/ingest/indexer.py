"""Turn articles into a new index version, embedding only chunks the active version lacks."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable, Iterable
from datetime import datetime, timezone
from typing import Any

import numpy as np

from ..index.embeddings import Embedder
from ..index.search import Snapshot
from ..index.store import Records, VectorStore
from ..korean import terms
from .worker import in_worker
from ..models import Article, IngestReport
from .chunking import chunk_article

# progress(stage, done, total): "reading sources" (from the service), "embedding" while vectors are
# computed (0/N first, while the model loads), "writing" at the end.
ProgressFn = Callable[[str, int, int], None]
# Text (characters) analysed right here; more goes to the worker process. A typical article or /add is
# below it (no process start-up to pay); a big upload, a .jsonl batch or a reload is above it.
IN_PROCESS_CHARS = 100_000


def article_hash(article: Article) -> str:
    fields = (article.title, article.text, article.url, article.published, article.byline)
    return hashlib.sha256("\x1f".join(fields).encode("utf-8")).hexdigest()[:16]


def article_records(article: Article, indexed_at: str) -> Records:
    """The chunk records of one article, with the metadata citations and BM25 need."""
    chunks = chunk_article(article)
    terms_of = [terms(f"{article.title}\n{c.text}" if c.position == 0 else c.text) for c in chunks]
    digest = article_hash(article)
    metas: list[dict[str, Any]] = []
    for c, chunk_terms in zip(chunks, terms_of):
        metas.append({
            "article_id": article.id, "title": article.title, "url": article.url,
            "published": article.published, "byline": article.byline, "source": article.source,
            "indexed_at": indexed_at, "article_hash": digest, "position": c.position,
            "start": c.start, "end": c.end, "chunks": len(chunks),
            # Stored so BM25 is rebuilt at start without running Kiwi over the whole corpus again.
            "terms": " ".join(chunk_terms),
        })
    return Records([c.id for c in chunks], [c.text for c in chunks], metas)


def _records_of_all(articles: list[Article], indexed_at: str) -> list[Records]:
    return [article_records(a, indexed_at) for a in articles]


def records_of(articles: list[Article], indexed_at: str) -> list[Records]:
    """The records of `articles`; a large batch is analysed in the worker process (worker.py): Kiwi holds
    the GIL for each call, and minutes of it in a thread stalled every question (one waited 128 s)."""
    if sum(len(a.text) for a in articles) < IN_PROCESS_CHARS:
        return _records_of_all(articles, indexed_at)
    return in_worker(_records_of_all, articles, indexed_at)


def merge(current: Records | None, articles: Iterable[Article], *, replace_all: bool = False,
          drop: set[str] | None = None) -> Records:
    """Current records with `articles` put in (by id) and `drop` taken out; unchanged articles keep theirs."""
    articles = list(articles)
    now = datetime.now(timezone.utc).isoformat(timespec="seconds")
    incoming = {a.id: a for a in articles}
    by_article: dict[str, list[int]] = {}
    if current is not None:
        for i, m in enumerate(current.metas):
            by_article.setdefault(str(m.get("article_id")), []).append(i)
    out = Records([], [], [])
    keep_ids = set() if replace_all else set(by_article) - set(incoming) - (drop or set())
    order = [aid for aid in by_article if aid in keep_ids or aid in incoming] + [
        aid for aid in incoming if aid not in by_article]
    changed = [art for aid, art in incoming.items() if not (
        (rows := by_article.get(aid)) and current.metas[rows[0]].get("article_hash") == article_hash(art)
        and current.metas[rows[0]].get("source") == art.source)]
    fresh_of = dict(zip((a.id for a in changed), records_of(changed, now)))
    for aid in order:
        rows = by_article.get(aid, [])
        art = incoming.get(aid)
        if art is not None and aid in fresh_of:
            fresh = fresh_of[aid]
            out.ids += fresh.ids
            out.texts += fresh.texts
            out.metas += fresh.metas
            continue
        for i in rows:
            out.ids.append(current.ids[i])
            out.texts.append(current.texts[i])
            out.metas.append(current.metas[i])
    return out


def commit(store: VectorStore, embedder: Embedder, current: Snapshot | None, target: Records,
           progress: ProgressFn | None = None, report: IngestReport | None = None) -> tuple[Snapshot, IngestReport]:
    """Write `target` as a new version (copying vectors we already have), then make it active."""
    started = time.perf_counter()
    report = report or IngestReport()
    reusable = current is not None and current.embedder_id == embedder.id
    old_ids = set(current.records.ids) if current is not None else set()
    have = store.vectors(current.collection, [i for i in target.ids if i in old_ids]) if reusable else {}
    todo = [i for i, cid in enumerate(target.ids) if cid not in have]
    texts = [target.texts[i] for i in todo]
    if progress and texts:  # shown while the embedder loads its model, before the first batch is done
        progress("embedding", 0, len(texts))
    fresh = embedder.embed_passages(texts, (lambda d, t: progress("embedding", d, t)) if progress else None)
    dim = fresh.shape[1] if len(todo) else (len(next(iter(have.values()))) if have else 0)
    vectors = np.zeros((len(target.ids), dim), dtype=np.float32)
    for row, vec in zip(todo, fresh):
        vectors[row] = vec
    for row, cid in enumerate(target.ids):
        if cid in have:
            vectors[row] = have[cid]
    if progress:
        progress("writing", len(target.ids), len(target.ids))
    name = store.write_version(target, vectors, embedder.id)
    store.activate(name)
    report.added += len(todo)
    # Unchanged chunks of the articles this write was about: other articles in the index are not news.
    about = set(report.article_ids)
    report.unchanged += sum(1 for i, cid in enumerate(target.ids)
                            if cid in have and str(target.metas[i].get("article_id")) in about)
    report.removed += len(old_ids - set(target.ids))
    report.embedded_chars += sum(len(t) for t in texts)
    report.seconds += time.perf_counter() - started
    return Snapshot.build(name, embedder.id, target), report
