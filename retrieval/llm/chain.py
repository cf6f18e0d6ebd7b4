"""LLM answers: follow-up rewrite → hybrid retrieval → grounded generation → citation check in code.

Built from langchain-core runnables (prompt | ChatOpenAI) over any OpenAI-compatible endpoint. One
`LLMAnswerer` serves the CLI and the terminal chat (`ask`) and the bot (`astream`). Whenever the
LLM cannot give a checked answer (errors after bounded retries, garbage, claims the article does not
support) the person still gets the extractive answer, with a one-line note saying why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

from ..base import NOT_IN_ARTICLE, lang_of
from ..check.verify import PreviewGuard, check
from ..errors import LLMUnavailable
from ..models import Answer, Passage, Turn
from ..service import ArticleService, validate_question
from .client import PerLoop, RetryPolicy, add_usage, describe, text_of
from .prompting import (
    LANGUAGE,
    PROMPTS_DIR,
    answer_prompt,
    answer_vars,
    clean_rewrite,
    load_prompt,
    rewrite_prompt,
    rewrite_vars,
)

log = logging.getLogger(__name__)
NOTES = {
    "unavailable": {"ko": "LLM을 사용할 수 없어({why}) 기사 문장을 그대로 인용해 답했습니다.",
                    "en": "The LLM was unavailable ({why}), so this answer quotes the article directly."},
    "unchecked": {"ko": "LLM 답변을 기사 내용으로 확인할 수 없어 기사 문장을 그대로 인용해 답했습니다.",
                  "en": "The LLM's answer could not be checked against the article, so this answer quotes "
                        "the article directly."},
}
@dataclass
class Prepared:
    """Everything generation needs, decided before the answer call."""

    question: str
    standalone: str
    passages: list[Passage]
    lang: str
    usage: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    article_id: str | None = None  # answer from this article only

    def prompt_vars(self) -> dict[str, str]:
        return answer_vars(self.passages, self.standalone, self.lang)


class LLMAnswerer:
    """The `Answerer` whose answers an LLM writes from the retrieved passages only."""

    def __init__(self, service: ArticleService, make_llm: Callable[[], BaseChatModel], *, retries: int = 2,
                 timeout: float = 30.0, backoff: float = 0.5, prompts_dir: Path = PROMPTS_DIR) -> None:
        """`make_llm` builds the chat model: once for sync use and once per event loop (see `PerLoop`)."""
        self.service = service
        self.policy = RetryPolicy(retries, timeout, backoff)
        rewrite, answer = rewrite_prompt(prompts_dir), answer_prompt(prompts_dir)

        def chains() -> tuple[Runnable, Runnable]:
            llm = make_llm()
            return rewrite | llm, answer | llm

        self._chains = PerLoop(chains)
        # Our own instructions, as written and as the model sees them (placeholders filled in, both
        # languages): a sentence copied from them is a leak, never an answer.
        templates = [load_prompt("system", prompts_dir), load_prompt("answer", prompts_dir)]
        self.forbidden = templates + [t.format(passages="", question="", language=LANGUAGE[lang],
                                               refusal=NOT_IN_ARTICLE[lang]) for t in templates for lang in LANGUAGE]

    @property
    def rewrite_chain(self) -> Runnable:
        """rewrite prompt | chat model, for the current thread's event loop (or sync use)."""
        return self._chains.get()[0]

    @property
    def answer_chain(self) -> Runnable:
        """system + answer prompt | chat model, for the current thread's event loop (or sync use)."""
        return self._chains.get()[1]

    # ----- the steps ----------------------------------------------------------------------------
    def _rewrite_vars(self, question: str, history: Sequence[Turn]) -> dict[str, str]:
        snap = self.service.snapshot()
        seen: dict[str, tuple[str, str]] = {}
        for cid in _carried(history):
            if cid in snap.row:
                p = snap.passage(snap.row[cid])
                seen.setdefault(p.article_id, (p.title, p.published))
        return rewrite_vars(list(seen.values()), history, question)

    def _retrieve(self, prep: Prepared, history: Sequence[Turn], rewritten: bool) -> None:
        t = time.perf_counter()
        if not rewritten:
            # No history, or the rewrite was unusable: the core's own retrieval (with its offline condense).
            prep.standalone, _, prep.passages, _ = self.service.retrieve(prep.question, history, prep.article_id)
        else:
            prep.passages = self.service.search(prep.standalone, article_id=prep.article_id)
            snap, seen = self.service.snapshot(), {p.chunk_id for p in prep.passages}
            for cid in _carried(history):  # the previous answer's sources stay candidates
                p = snap.passage(snap.row[cid]) if cid in snap.row and cid not in seen else None
                if p is not None and prep.article_id in (None, p.article_id):
                    prep.passages.append(p)
                    seen.add(cid)
        prep.timings["retrieve"] = _ms(t)

    def _finish(self, prep: Prepared, reply: str, history: Sequence[Turn], t0: float) -> Answer:
        """The checked answer; a reply with nothing supported falls back to the extractive answer."""
        if not reply.strip():
            raise LLMUnavailable("empty reply")
        t = time.perf_counter()
        checked = check(reply, prep.passages, refusals=list(NOT_IN_ARTICLE.values()), forbidden=self.forbidden)
        prep.timings["verify"] = _ms(t)
        if checked.dropped:
            log.info("citation check dropped: %s", "; ".join(checked.dropped))
        if checked.citations:
            answer = Answer(prep.question, prep.standalone, checked.text, True, "llm", checked.citations)
        elif checked.refused:
            answer = Answer(prep.question, prep.standalone, NOT_IN_ARTICLE[prep.lang], False, "llm")
        else:
            # Policy: no supported citation left and no "the article doesn't say" → the model made claims
            # we cannot tie to the article. A refusal would hide an answer the article may well hold, so
            # the person gets the extractive answer (verbatim, always checkable) with a note instead.
            return self._fallback(prep, history, t0, NOTES["unchecked"][prep.lang])
        answer.passages, answer.usage = prep.passages, prep.usage or None
        answer.timings_ms = {**prep.timings, "total": _ms(t0)}
        return answer

    def _fallback(self, prep: Prepared, history: Sequence[Turn], t0: float, note: str) -> Answer:
        answer = self.service.ask(prep.question, history, prep.article_id)
        answer.note = note
        answer.usage = prep.usage or None
        answer.timings_ms = {**prep.timings, **answer.timings_ms, "total": _ms(t0)}
        return answer

    def _unavailable(self, prep: Prepared, history: Sequence[Turn], t0: float, exc: LLMUnavailable) -> Answer:
        log.warning("LLM unavailable, answering extractively: %s", exc)
        return self._fallback(prep, history, t0, NOTES["unavailable"][prep.lang].format(why=exc))

    # ----- sync: CLI and terminal chat ----------------------------------------------------------
    def _call(self, fn: Callable[[], BaseMessage], prep: Prepared, key: str) -> BaseMessage:
        t = time.perf_counter()
        try:
            msg = self.policy.call(fn)
        except Exception as exc:  # any failure of the endpoint or the client library: fall back
            raise LLMUnavailable(describe(exc)) from exc
        prep.timings[key] = _ms(t)
        add_usage(prep.usage, msg)
        return msg

    def ask(self, question: str, history: Sequence[Turn] = (), article_id: str | None = None) -> Answer:
        t0, history = time.perf_counter(), list(history)
        prep = Prepared(validate_question(question), question.strip(), [], lang_of(question), article_id=article_id)
        try:
            rewritten = ""
            if history:
                vars_ = self._rewrite_vars(prep.question, history)
                rewritten = clean_rewrite(text_of(self._call(lambda: self.rewrite_chain.invoke(vars_), prep,
                                                             "rewrite")))
                prep.standalone = rewritten or prep.standalone
            self._retrieve(prep, history, bool(rewritten))
            if not prep.passages:
                return self._finish(prep, NOT_IN_ARTICLE[prep.lang], history, t0)
            vars_ = prep.prompt_vars()
            reply = text_of(self._call(lambda: self.answer_chain.invoke(vars_), prep, "llm"))
            return self._finish(prep, reply, history, t0)
        except LLMUnavailable as exc:
            return self._unavailable(prep, history, t0, exc)

    # ----- async: the bot -----------------------------------------------------------------------
    async def _acall(self, fn: Callable[[], Awaitable[BaseMessage]], prep: Prepared, key: str) -> BaseMessage:
        t = time.perf_counter()
        try:
            msg = await self.policy.acall(fn)
        except Exception as exc:
            raise LLMUnavailable(describe(exc)) from exc
        prep.timings[key] = _ms(t)
        add_usage(prep.usage, msg)
        return msg

    async def _astream_reply(self, vars_: dict[str, str], prep: Prepared) -> AsyncIterator[str]:
        """Text deltas; retried only until the stream starts, since shown text cannot be taken back."""
        t, it = time.perf_counter(), None
        try:
            async for attempt in self.policy.attempts():
                with attempt:
                    it = self.answer_chain.astream(vars_).__aiter__()
                    first = await anext(it, None)
            if first is None:
                raise LLMUnavailable("empty reply")
            prep.timings["first_chunk"] = _ms(t)
            chunk = first
            while chunk is not None:
                add_usage(prep.usage, chunk)
                if text := text_of(chunk):
                    yield text
                chunk = await anext(it, None)
        except LLMUnavailable:
            raise
        except Exception as exc:
            raise LLMUnavailable(describe(exc)) from exc
        finally:
            if it is not None:
                await it.aclose()
        prep.timings["llm"] = _ms(t)

    async def astream(self, question: str, history: Sequence[Turn] = (),
                      article_id: str | None = None) -> AsyncIterator[str | Answer]:
        """Text deltas as the model writes (a preview), then exactly one final, checked `Answer`.

        The final answer is what to keep: the check may drop sentences and renumber `[n]`, and on
        any LLM failure it is the extractive answer with a note.
        """
        t0, history = time.perf_counter(), list(history)
        prep = Prepared(validate_question(question), question.strip(), [], lang_of(question), article_id=article_id)
        try:
            rewritten = ""
            if history:
                vars_ = await asyncio.to_thread(self._rewrite_vars, prep.question, history)
                msg = await self._acall(lambda: self.rewrite_chain.ainvoke(vars_), prep, "rewrite")
                rewritten = clean_rewrite(text_of(msg))
                prep.standalone = rewritten or prep.standalone
            await asyncio.to_thread(self._retrieve, prep, history, bool(rewritten))
            if not prep.passages:
                final = await asyncio.to_thread(self._finish, prep, NOT_IN_ARTICLE[prep.lang], history, t0)
            else:
                parts: list[str] = []
                preview = PreviewGuard(self.forbidden)  # a model that recites its prompt is not shown doing it
                async for delta in self._astream_reply(prep.prompt_vars(), prep):
                    parts.append(delta)
                    if shown := preview.feed(delta):
                        yield shown
                final = await asyncio.to_thread(self._finish, prep, "".join(parts), history, t0)
        except LLMUnavailable as exc:
            final = await asyncio.to_thread(self._unavailable, prep, history, t0, exc)
        yield final


def _carried(history: Sequence[Turn]) -> list[str]:
    last_bot = next((t for t in reversed(history) if t.role == "assistant"), None)
    return list(last_bot.chunk_ids) if last_bot else []


def _ms(t: float) -> float:
    return (time.perf_counter() - t) * 1000
