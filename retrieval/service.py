"""The one object the outside calls: ask, search, ingest, reload, articles, remove."""

from __future__ import annotations

import threading
import time
from collections.abc import Sequence
from pathlib import Path

from .answer.extractive import ExtractiveAnswerer
from .answer.sentences import SentenceIndex
from .asking import MAX_QUESTION_CHARS, Questions, validate_question  # noqa: F401 (the service's API)
from .errors import ArticleNotFound, SourceError, listed
from .foreground import Foreground
from .index.embeddings import Embedder
from .index.search import HybridSearcher
from .index.snapshot import IndexStats, StoredSnapshot
from .index.store import VectorStore
from .ingest import indexer
from .ingest.sources import Loaded, is_url, load_source, parse_document
from .ingest.upgrade import upgrade
from .models import ArticleInfo, IngestReport, Passage
from .redact import redact_credentials

# Sources recorded for uploaded files: there is nothing to read again on reload.
_UPLOAD_PREFIX = "upload:"


class ArticleService(Questions):
    """Owns the active index snapshot; writes are serialized, reads never wait for them."""

    def __init__(self, store: VectorStore, embedder: Embedder, *, default_sources: Sequence[str] = (),
                 top_k: int = 5, max_fetch_bytes: int = 5_000_000, sentence_cache: Path | None = None) -> None:
        self.store, self.embedder = store, embedder
        self.searcher = HybridSearcher(store, embedder)
        # Sentence splits, terms and vectors, computed at ingest and kept by content hash (None: in memory).
        self.sentences = SentenceIndex(embedder, sentence_cache)
        self.extractive = ExtractiveAnswerer(self.sentences)
        self.default_sources = list(default_sources)
        self.top_k, self.max_fetch_bytes = top_k, max_fetch_bytes
        self.lexicon = indexer.open_lexicon(store.cache_dir)
        self._snap: StoredSnapshot | None = None
        self._stats: IndexStats | None = None
        self._write = threading.RLock()
        self.foreground = Foreground()  # the bot marks its answers in flight; writes give way to them

    # ----- reading -------------------------------------------------------------------------
    def open(self, progress: indexer.ProgressFn | None = None) -> IngestReport | None:
        """Load the active version; index the default article on first use; re-embed on embedder change."""
        with self._write:
            name = self.store.active_name()
            if name is None:
                loaded = self._load(self.default_sources, progress=progress)
                return self._commit(None, indexer.merge([], loaded.articles), progress, loaded)
            snap = self._read(name)
            if snap.embedder_id != self.embedder.id:
                # Vectors of two embedders never mix: rebuild every vector from the stored text.
                return self._commit(snap, indexer.Plan(list(snap.entries)), progress, Loaded())
            self._set(snap)
            return None

    def _read(self, name: str) -> StoredSnapshot:
        manifest = self.store.manifest(name)
        if manifest.legacy:
            with self._write:
                manifest = upgrade(self.store, self.lexicon, manifest)
        indexer.sync(self.store, self.lexicon, manifest)
        return StoredSnapshot(manifest, self.store, self.lexicon)

    def snapshot(self) -> StoredSnapshot:
        """The active version. Another process (the CLI while the bot runs) may have swapped it: then the
        new one is loaded, so reads never query a dropped version and writes never undo the other's."""
        snap = self._snap
        if snap is None:
            self.open()
        else:
            name = self.store.active_name()
            if name is not None and name != snap.collection:
                fresh = self._read(name)
                if fresh.embedder_id != self.embedder.id:
                    self.open()  # re-embeds under the write lock; never mix two embedders' vectors
                elif self._snap is snap:  # unless our own write got there first
                    self._set(fresh)
        assert self._snap is not None
        return self._snap

    def _set(self, snap: StoredSnapshot) -> None:
        self._snap, self._stats = snap, IndexStats(snap)

    def search(self, query: str, k: int | None = None, extra_terms: list[str] | None = None,
               article_id: str | None = None) -> list[Passage]:
        """Hybrid search over the active index (one article's passages only when `article_id` is set)."""
        snap = self.snapshot()
        self.require_article(article_id)
        return self.searcher.search(snap, query, k or self.top_k, extra_terms, article_id)

    def articles(self) -> list[ArticleInfo]:
        """Indexed articles in index order (from the manifest: no chunk is read)."""
        return list(self.snapshot().articles)

    def require_article(self, article_id: str | None) -> None:
        """ArticleNotFound unless `article_id` is None or an indexed article."""
        if article_id is not None and not any(e.id == article_id for e in self.snapshot().entries):
            raise ArticleNotFound(f"no article with id {article_id!r}")

    def article_passages(self, article_id: str) -> list[Passage]:
        """One article's passages in reading order (what suggested questions are made from)."""
        self.require_article(article_id)
        snap = self.snapshot()
        rows = [int(i) for i in snap.article_rows(article_id)]
        return sorted(snap.passages(rows, [0.0] * len(rows)), key=lambda p: p.position)

    # ----- writing -------------------------------------------------------------------------
    def _load(self, sources: Sequence[str], allow_private: bool = True,
              progress: indexer.ProgressFn | None = None) -> Loaded:
        loaded = Loaded()
        for i, src in enumerate(sources):
            if progress:  # fetching pages and reading big files takes a while before any embedding
                progress("reading sources", i, len(sources))
            try:
                loaded.extend(load_source(src, allow_private=allow_private, max_bytes=self.max_fetch_bytes))
            except SourceError as exc:
                loaded.problems.append(str(exc))
        if progress and sources:
            progress("reading sources", len(sources), len(sources))
        return loaded.unique()

    def _commit(self, current: StoredSnapshot | None, target: indexer.Plan, progress: indexer.ProgressFn | None,
                loaded: Loaded) -> IngestReport:
        report = IngestReport(articles=len(loaded.articles), failures=[redact_credentials(p) for p in loaded.problems],
                              article_ids=[a.id for a in loaded.articles])
        # The new chunks' sentences are split, analysed and embedded now, once, not per question.
        fresh_texts = [m["text"] for records in target.fresh.values() for m in records.metas]
        pause = self.foreground.pause
        snap, report = indexer.commit(self.store, self.lexicon, self.embedder, current, target, progress, report, pause)
        self._set(snap)  # it is active: questions meanwhile use it, not each read it again (a 9,168-article manifest)
        t0 = time.perf_counter()
        report.sentences += self.sentences.update(fresh_texts, pause)
        report.seconds += time.perf_counter() - t0
        return report

    def ingest(self, sources: Sequence[str], *, replace: bool = False, allow_private: bool = True,
               urls_only: bool = False, progress: indexer.ProgressFn | None = None) -> IngestReport:
        """Add (or with `replace`, replace the index with) the articles in `sources`.

        Good articles are indexed in one atomic step even when other sources fail; the failures
        are listed in the report. Nothing is written when no article could be read. `allow_private`
        lets URLs reach private or local addresses; with `urls_only`, anything but an http(s) URL is
        reported instead of read (the caller decides who may name files on this machine).
        """
        local = [s for s in sources if urls_only and not is_url(s)]
        loaded = self._load([s for s in sources if s not in local], allow_private=allow_private, progress=progress)
        loaded.problems += [f"{s[:200]}: not an http(s) URL (add web pages, or upload a file)" for s in local]
        return self._ingest_loaded(loaded, replace=replace, progress=progress)

    def ingest_document(self, name: str, data: bytes, *,
                        progress: indexer.ProgressFn | None = None) -> IngestReport:
        """Add the articles of an uploaded file (text, Markdown, HTML or JSON Lines); a reload keeps them."""
        try:
            loaded = parse_document(name, data, _UPLOAD_PREFIX + name).unique()
        except SourceError as exc:
            loaded = Loaded(problems=[str(exc)])
        return self._ingest_loaded(loaded, progress=progress)

    def _ingest_loaded(self, loaded: Loaded, *, replace: bool = False,
                       progress: indexer.ProgressFn | None = None) -> IngestReport:
        if not loaded.articles:
            raise SourceError(listed(loaded.problems) or "no articles found")
        with self._write:
            current = self.snapshot()
            target = indexer.merge(current.entries, loaded.articles, replace_all=replace)
            return self._commit(current, target, progress, loaded)

    def reload(self, progress: indexer.ProgressFn | None = None, *, allow_private: bool = True) -> IngestReport:
        """Re-read every source and swap the index in one step; any failure leaves the old index serving.
        `allow_private` as for `ingest`."""
        with self._write:
            current = self.snapshot()
            sources = list(dict.fromkeys(e.source for e in current.entries))
            kept = [s for s in sources if s.startswith(_UPLOAD_PREFIX)]  # nothing to re-read: kept as is
            rereadable = [s for s in sources if s not in kept]
            loaded, unreadable = Loaded(), []
            for src in rereadable:
                try:
                    loaded.extend(load_source(src, allow_private=allow_private, max_bytes=self.max_fetch_bytes))
                except SourceError as exc:
                    unreadable.append(str(exc))
            loaded = loaded.unique()
            keep_ids = {e.id for e in current.entries if e.source in kept}
            all_ids = {e.id for e in current.entries}
            lost = all_ids - keep_ids - {a.id for a in loaded.articles}
            # A source that cannot be read stops the reload. A bad line in a JSON Lines file stops it only
            # when an indexed article went missing with it: a line that was always bad must not block
            # every reload (it is still reported); a line removed on purpose drops its article.
            if unreadable or (loaded.problems and lost):
                problems = unreadable + loaded.problems
                raise SourceError("reload stopped, the index is unchanged: " + listed(problems))
            target = indexer.merge(current.entries, loaded.articles, drop=lost)
            return self._commit(current, target, progress, loaded)

    def remove(self, article_id: str) -> ArticleInfo:
        """Remove one article; the index swaps atomically without it."""
        with self._write:
            info = next((a for a in self.articles() if a.id == article_id), None)
            if info is None:
                raise ArticleNotFound(f"no article with id {article_id!r}")
            current = self.snapshot()
            self._commit(current, indexer.merge(current.entries, [], drop={article_id}), None, Loaded())
            return info
