"""The question side of the service: retrieval for a question in a conversation, and the offline answer.

`ArticleService` (service.py) owns the index; this half only reads it, through the snapshot and searcher the
service holds.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from functools import partial

from .answer.extractive import ExtractiveAnswerer
from .answer.followup import Condensed, carried_chunk_ids, condense
from .answer.intent import is_summary_request, summary_topic
from .answer.sentences import SentenceIndex
from .answer.summary import summarize
from .answer.thread import thread_article, thread_first
from .errors import InputError
from .index.embeddings import Embedder, unit
from .index.search import HybridSearcher
from .index.snapshot import IndexStats, StoredSnapshot
from .models import Answer, Passage, Turn

MAX_QUESTION_CHARS = 1000


def validate_question(question: str) -> str:
    """The question stripped; empty or over-long questions are refused before any work is spent."""
    question = question.strip()
    if not question:
        raise InputError("the question is empty")
    if len(question) > MAX_QUESTION_CHARS:
        raise InputError(f"the question is too long ({len(question)} characters; the limit is "
                         f"{MAX_QUESTION_CHARS})")
    return question


class Questions:
    """Asking and retrieving; mixed into `ArticleService`, which provides the attributes below and the index
    reads `snapshot`, `search`, `require_article` and `article_passages`."""

    embedder: Embedder
    searcher: HybridSearcher
    sentences: SentenceIndex
    extractive: ExtractiveAnswerer
    top_k: int
    _stats: IndexStats | None

    def retrieve(self, question: str, history: Sequence[Turn] = (), article_id: str | None = None, *,
                 thread: str | None = None) -> tuple[str, list[str], list[Passage], dict]:
        """(standalone question, borrowed terms, passages, timings) for a question in a conversation; with
        `article_id`, every passage (carried ones too) comes from it; `thread`'s (answer/thread.py) rank first."""
        cond, passages, timings = self._retrieve(validate_question(question), history, article_id, thread)
        return cond.standalone, cond.context_terms, passages, timings

    def _retrieve(self, question: str, history: Sequence[Turn], article_id: str | None,
                  thread: str | None) -> tuple[Condensed, list[Passage], dict]:
        """`retrieve` for a question already validated."""
        t0 = time.perf_counter()
        cond = condense(question, list(history), follow_up=thread is not None)
        snap = self.snapshot()
        self.require_article(article_id)
        passages = self._thread_search(snap, cond.standalone, cond.context_terms, thread, article_id)
        passages = self._carry(snap, passages, cond.carried_chunk_ids, article_id)
        return cond, passages, {"retrieve": (time.perf_counter() - t0) * 1000}

    def _thread_search(self, snap: StoredSnapshot, query: str, extra_terms: list[str] | None, thread: str | None,
                       article_id: str | None) -> list[Passage]:
        """Top-k passages (of `article_id` only, when set), the conversation's article's (`thread`) first."""
        found = partial(self.searcher.search, snap, query, self.top_k, extra_terms)
        return found(article_id) if thread in (None, article_id) else thread_first(found(thread), found(None))

    def with_carried(self, passages: list[Passage], history: Sequence[Turn],
                     article_id: str | None = None) -> list[Passage]:
        """`passages` plus the chunks the conversation's last answer cited (they stay candidates), of
        `article_id` only when one is given."""
        return self._carry(self.snapshot(), passages, carried_chunk_ids(history), article_id)

    @staticmethod
    def _carry(snap: StoredSnapshot, passages: list[Passage], chunk_ids: Sequence[str],
               article_id: str | None) -> list[Passage]:
        seen = {p.chunk_id for p in passages}
        carried = [snap.row[cid] for cid in dict.fromkeys(chunk_ids) if cid not in seen and cid in snap.row]
        return passages + [p for p in snap.passages(carried, [0.0] * len(carried))
                           if article_id is None or p.article_id == article_id]

    def ask(self, question: str, history: Sequence[Turn] = (), article_id: str | None = None) -> Answer:
        """Answer from the articles (or the one article `article_id`) only, with citations; offline. A
        question that continues the conversation is first answered as one (answer/thread.py)."""
        t0 = time.perf_counter()
        thread = self.thread(question, history, article_id)
        answer = self._ask(question, history, article_id, t0, thread) if thread else None
        return answer if answer and answer.answerable else self._ask(question, history, article_id, t0)

    def thread(self, question: str, history: Sequence[Turn], article_id: str | None = None) -> str | None:
        """The article a question continuing the conversation is first answered from (answer/thread.py)."""
        return (article_id or thread_article(self.snapshot(), question, history)) if history else None

    def search_thread(self, query: str, thread: str | None, article_id: str | None = None) -> list[Passage]:
        """`search`, with the conversation's article's passages first (all of them from `article_id`)."""
        self.require_article(article_id)
        return self._thread_search(self.snapshot(), query, None, thread, article_id)

    def _ask(self, question: str, history: Sequence[Turn], article_id: str | None, t0: float,
             thread: str | None = None) -> Answer:
        question = validate_question(question)
        answer = self._summary(question, history, article_id or thread, thread, t0)
        if answer is not None:  # a summary reads the whole article: the top-k search would go unused
            return answer
        cond, passages, timings = self._retrieve(question, history, article_id, thread)
        t1 = time.perf_counter()
        # A borrowed topic is what the conversation's whole article is about; a borrowed referent ("그
        # 교수" → 오병하) is one name that only some of its sentences hold.
        topic = None if cond.referent or not cond.context_terms else thread
        qvec = self.embedder.embed_query(cond.standalone)
        if topic:
            # The standalone question is mostly the borrowed topic ("결승 상대 … 서울대회 팀 — 받은 상금은
            # 어디에 쓴대?"), so its vector finds the lead that introduced the topic; within the topic's article
            # the sentence that answers is the one like the question itself. Both count equally (checked on
            # synthetic follow-ups from KorQuAD's report half: the question alone lost as many as it won).
            qvec = unit(qvec + self.embedder.embed_query(question))
        answer = self.extractive.answer(question, cond.standalone, cond.context_terms, qvec, passages,
                                        self._stats, follow_up=thread is not None, topic_article=topic)
        answer.passages = passages
        answer.timings_ms = {**timings, "answer": (time.perf_counter() - t1) * 1000,
                             "total": (time.perf_counter() - t0) * 1000}
        return answer

    def _summary(self, question: str, history: Sequence[Turn], article_id: str | None, thread: str | None,
                 t0: float) -> Answer | None:
        """The offline summary for a summary request; None for any other question (or an article with no
        prose sentence)."""
        summary = self.summary_passages(question, history, article_id)
        if summary is None:
            return None
        t1 = time.perf_counter()
        table = self.sentences.table_for([p.text for p in summary[0]])
        standalone = condense(question, list(history), follow_up=thread is not None).standalone
        answer = summarize(question, standalone, summary[0], table, summary[1])
        if answer is not None:
            answer.passages = summary[0]
            answer.timings_ms = {"retrieve": (t1 - t0) * 1000, "answer": (time.perf_counter() - t1) * 1000,
                                 "total": (time.perf_counter() - t0) * 1000}
        return answer

    def summary_passages(self, question: str, history: Sequence[Turn] = (), article_id: str | None = None
                         ) -> tuple[list[Passage], bool] | None:
        """For a summary request: every chunk of the article it is scoped to, or names by topic, or the only
        one, in order, and whether other articles are indexed; None for any other question."""
        if not is_summary_request(question):
            return None
        snap = self.snapshot()
        ids = [e.id for e in snap.entries]
        if article_id is not None:
            return self.article_passages(article_id), len(ids) > 1
        if not ids:
            return None
        article = ids[0]
        if len(ids) > 1:
            cond = condense(summary_topic(question) or question, list(history))
            hits = self.searcher.search(snap, cond.standalone, 1, cond.context_terms)
            article = hits[0].article_id if hits else article
        return self.article_passages(article), len(ids) > 1
