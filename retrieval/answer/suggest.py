"""Suggested questions that the product itself answers: candidates checked through the answerer, per article.

Candidates come from a generator (offline: `questions.offline_questions`; with an LLM: `llm/suggest.py`).
A candidate is kept only when the answerer, asked it with no history and scoped to its article, gives an
answer (not "the article doesn't say") that cites that article only. That costs one answer per candidate,
so verified lists are cached per article and index version, computed once, and reused by every chat.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Callable, Collection, Sequence

from ..base import Answerer
from ..errors import ArticlebotError
from ..models import Passage
from ..service import ArticleService
from .questions import offline_questions

log = logging.getLogger(__name__)
Generate = Callable[[Sequence[Passage]], list[str]]
POOL = 5  # verified questions kept per article: enough to offer new ones after a few answers
CANDIDATES = 10  # candidates tried per article at most (each costs one answer)
CACHED_ARTICLES = 512
# "요약해줘", "핵심만", "what is the article about": a request for the article as a whole.
_SUMMARY = re.compile(r"요약|핵심|줄거리|간추|정리해|무슨\s*내용|어떤\s*내용|summar|\bgist\b|(what|tell me)\b.*\babout\b",
                      re.IGNORECASE)


def is_summary_request(question: str) -> bool:
    return bool(_SUMMARY.search(question))


class Suggester:
    """Verified suggestions per article; thread-safe, each article's list is computed once."""

    def __init__(self, service: ArticleService, answerer: Answerer, generate: Generate = offline_questions,
                 *, pool: int = POOL, candidates: int = CANDIDATES) -> None:
        self.service, self.answerer, self.generate = service, answerer, generate
        self.pool, self.candidates = pool, candidates
        self._cache: OrderedDict[tuple[str, str], list[str]] = OrderedDict()
        self._lock = threading.Lock()
        self._computing: dict[tuple[str, str], threading.Lock] = {}

    def _key(self, article_id: str) -> tuple[str, str]:
        return self.service.snapshot().collection, article_id

    def cached(self, article_id: str) -> list[str] | None:
        """The verified list when already computed for the current index version, else None (no work)."""
        with self._lock:
            return self._cache.get(self._key(article_id))

    def questions(self, article_id: str) -> list[str]:
        """The verified list for one article (computing it on first use)."""
        key = self._key(article_id)
        with self._lock:
            if key in self._cache:
                self._cache.move_to_end(key)
                return self._cache[key]
            gate = self._computing.setdefault(key, threading.Lock())
        with gate:  # one computation per article; a second caller waits for it and reads the cache
            with self._lock:
                if key in self._cache:
                    return self._cache[key]
            verified = self._verified(article_id)
            with self._lock:
                self._cache[key] = verified
                self._computing.pop(key, None)
                while len(self._cache) > CACHED_ARTICLES:
                    self._cache.popitem(last=False)
        return verified

    def _verified(self, article_id: str) -> list[str]:
        try:
            candidates = self.generate(self.service.article_passages(article_id))[: self.candidates]
        except ArticlebotError as exc:
            log.warning("no suggestions for %s: %s", article_id, exc)
            return []
        kept: list[str] = []
        for question in candidates:
            if len(kept) >= self.pool:
                break
            try:
                answer = self.answerer.ask(question, [], article_id=article_id)
            except ArticlebotError as exc:
                log.info("suggestion %r not kept: %s", question, exc)
                continue
            if answer.answerable and answer.citations and all(c.article_id == article_id for c in answer.citations):
                kept.append(question)
        log.info("suggestions for %s: %d of %d candidates answered", article_id, len(kept), len(candidates))
        return kept

    def suggest(self, article_ids: Sequence[str], exclude: Collection[str] = (), n: int = 3) -> list[tuple[str, str]]:
        """Up to `n` (article id, question) pairs, taken in turn from each article, skipping `exclude`."""
        lists = [(aid, [q for q in self.questions(aid) if q not in exclude]) for aid in dict.fromkeys(article_ids)]
        out: list[tuple[str, str]] = []
        for depth in range(max((len(qs) for _, qs in lists), default=0)):
            for aid, qs in lists:
                if depth < len(qs) and len(out) < n:
                    out.append((aid, qs[depth]))
        return out
