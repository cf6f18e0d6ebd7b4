"""LLM answers: follow-up rewrite → hybrid retrieval → grounded generation → citation check in code.

Built from langchain-core runnables (prompt | ChatOpenAI) over any OpenAI-compatible endpoint. One
`LLMAnswerer` serves the CLI and the terminal chat (`ask`) and the bot (`astream`); both drive the same
steps (`_steps`), which yield the model calls they need. The bot's preview shows only sentences the
citation check accepted; claims it cannot decide go to one entailment call (`entail.py`). Whenever the
LLM cannot give a checked answer (errors after bounded retries, garbage, claims the article does not
support) the person still gets the extractive answer, with a one-line note saying why.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable, Generator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_core.runnables import Runnable

from ..answer.followup import carried_chunk_ids
from ..base import NOT_IN_ARTICLE, lang_of
from ..check.entail import Entailment
from ..check.preview import CheckedPreview
from ..check.verify import Checker
from ..errors import LLMUnavailable
from ..models import Answer, Passage, Turn
from ..service import ArticleService, validate_question
from .breaker import CircuitBreaker, guarded
from .client import PerLoop, RetryPolicy, add_usage, describe, text_of
from .entail import LLMEntailment
from .markdown import to_plain
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
    "removed": {"ko": "기사로 확인되지 않은 문장 {n}개를 답변에서 뺐습니다.",
                "en": "{n} statement(s) the article does not support were removed from this answer."},
}


@dataclass
class Call:
    """A model call the answer's steps need next: `key` names the chain and the timing."""

    key: str  # "rewrite" or "llm"
    vars: dict[str, str]


@dataclass
class Prepared:
    """Everything generation needs, decided before the answer call."""

    question: str
    standalone: str
    passages: list[Passage]
    lang: str
    usage: dict[str, int] = field(default_factory=dict)
    timings: dict[str, float] = field(default_factory=dict)
    checker: Checker | None = None  # built once the passages are known; the preview and the final check share it
    article_id: str | None = None  # answer from this article only

    def prompt_vars(self) -> dict[str, str]:
        return answer_vars(self.passages, self.standalone, self.lang)


class LLMAnswerer:
    """The `Answerer` whose answers an LLM writes from the retrieved passages only."""

    def __init__(self, service: ArticleService, make_llm: Callable[[], BaseChatModel], *, retries: int = 2,
                 timeout: float = 30.0, backoff: float = 0.5, prompts_dir: Path = PROMPTS_DIR,
                 entailment: bool = True, breaker: CircuitBreaker | None = None) -> None:
        """`make_llm` builds the chat model: once for sync use and once per event loop (see `PerLoop`).
        `entailment` puts the clauses the citation check cannot decide to the same model (one call per
        answer); without it they are dropped. With a `breaker`, every answer call goes through it (see
        breaker.py)."""
        self.service = service
        self.entail: Entailment | None = LLMEntailment(make_llm, prompts_dir) if entailment else None
        self.policy = guarded(RetryPolicy(retries, timeout, backoff), breaker)
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

    # ----- the steps, shared by the sync and the async path -------------------------------------
    def _steps(self, prep: Prepared, history: list[Turn], t0: float) -> Generator[Call, str, Answer]:
        """The answer as a sequence: it yields each model call it needs and is sent the reply's text."""
        rewritten = ""
        if history:
            snap, seen = self.service.snapshot(), {}
            for cid in carried_chunk_ids(history):  # the articles being discussed: their dates
                if cid in snap.row:
                    p = snap.passage(snap.row[cid])
                    seen.setdefault(p.article_id, (p.title, p.published))
            rewritten = clean_rewrite((yield Call("rewrite", rewrite_vars(list(seen.values()), history,
                                                                            prep.question))))
            prep.standalone = rewritten or prep.standalone
        t = time.perf_counter()
        # A follow-up reads the article the conversation is on first, as offline (answer/thread.py): searched
        # over the whole index, "하루 운영 시간은?" lands on whichever article uses its words most.
        thread = self.service.thread(prep.question, history, prep.article_id)
        if not rewritten:
            # No history, or the rewrite was unusable: the core's own retrieval (with its offline condense).
            prep.standalone, _, prep.passages, _ = self.service.retrieve(prep.question, history, prep.article_id,
                                                                         thread=thread)
        else:
            prep.passages = self.service.with_carried(
                self.service.search_thread(prep.standalone, thread, prep.article_id), history, prep.article_id)
        summary = self.service.summary_passages(prep.question, history, prep.article_id or thread)
        if summary is not None:  # a summary reads the whole article in order, not the top-k chunks
            prep.passages = summary[0]
        prep.timings["retrieve"] = _ms(t)
        if not prep.passages:
            return self._finish(prep, NOT_IN_ARTICLE[prep.lang], history, t0)
        prep.checker = Checker(prep.passages, refusals=list(NOT_IN_ARTICLE.values()), forbidden=self.forbidden)
        reply = yield Call("llm", prep.prompt_vars())
        return self._finish(prep, reply, history, t0)

    def _finish(self, prep: Prepared, reply: str, history: Sequence[Turn], t0: float) -> Answer:
        """The checked answer; a reply with nothing supported falls back to the extractive answer."""
        if not reply.strip():
            raise LLMUnavailable("empty reply")
        t = time.perf_counter()
        checker = prep.checker or Checker(prep.passages, refusals=list(NOT_IN_ARTICLE.values()),
                                          forbidden=self.forbidden)
        checked = checker.check(reply, self.entail)
        if checked.grey:
            prep.timings["entail"] = checked.judge_ms
        prep.timings["verify"] = _ms(t) - checked.judge_ms
        if checked.dropped:
            log.info("citation check dropped: %s", "; ".join(checked.dropped))
        if checked.citations:
            plain = to_plain(checked.text)
            answer = Answer(prep.question, prep.standalone, plain, True, "llm", checked.citations,
                            formatted=checked.text if plain != checked.text else "")
            if checked.removed:
                answer.note = NOTES["removed"][prep.lang].format(n=checked.removed)
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

    # ----- the two drivers of the steps: sync (CLI, terminal chat) and async (the bot) -------------
    def _timed(self, prep: Prepared, key: str, t: float, msg: BaseMessage) -> str:
        prep.timings[key] = _ms(t)
        add_usage(prep.usage, msg)
        return text_of(msg)

    def ask(self, question: str, history: Sequence[Turn] = (), article_id: str | None = None) -> Answer:
        t0, history = time.perf_counter(), list(history)
        prep = Prepared(validate_question(question), question.strip(), [], lang_of(question), article_id=article_id)
        steps = self._steps(prep, history, t0)
        try:
            step = _advance(steps, None)
            while isinstance(step, Call):
                chain = self.rewrite_chain if step.key == "rewrite" else self.answer_chain
                t, vars_ = time.perf_counter(), step.vars
                try:
                    msg = self.policy.call(lambda: chain.invoke(vars_))
                except Exception as exc:  # any failure of the endpoint or the client library: fall back
                    raise LLMUnavailable(describe(exc)) from exc
                step = _advance(steps, self._timed(prep, step.key, t, msg))
            return step
        except LLMUnavailable as exc:
            return self._unavailable(prep, history, t0, exc)

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
        """Checked text as the model writes (a preview), then exactly one final, checked `Answer`.

        Only sentences that passed the citation check are previewed (`CheckedPreview`); the final answer
        is what to keep: on any LLM failure it is the extractive answer with a note.
        """
        t0, history = time.perf_counter(), list(history)
        prep = Prepared(validate_question(question), question.strip(), [], lang_of(question), article_id=article_id)
        steps = self._steps(prep, history, t0)
        try:
            step = await asyncio.to_thread(_advance, steps, None)
            while isinstance(step, Call):
                if step.key == "rewrite":
                    t, vars_ = time.perf_counter(), step.vars
                    try:
                        msg = await self.policy.acall(lambda: self.rewrite_chain.ainvoke(vars_))
                    except Exception as exc:
                        raise LLMUnavailable(describe(exc)) from exc
                    reply = self._timed(prep, step.key, t, msg)
                else:
                    assert prep.checker is not None
                    parts: list[str] = []
                    preview = CheckedPreview(prep.checker)
                    async for delta in self._astream_reply(step.vars, prep):
                        parts.append(delta)
                        if shown := preview.feed(delta):
                            yield shown
                    if shown := preview.finish():
                        yield shown
                    reply = "".join(parts)
                step = await asyncio.to_thread(_advance, steps, reply)
            final = step
        except LLMUnavailable as exc:
            final = await asyncio.to_thread(self._unavailable, prep, history, t0, exc)
        yield final


def _advance(steps: Generator[Call, str, Answer], value: str | None) -> Call | Answer:
    """The next call the steps need, or their answer (StopIteration cannot cross a thread into a future)."""
    try:
        return steps.send(value)  # type: ignore[arg-type]  # None starts the generator
    except StopIteration as done:
        return done.value


def _ms(t: float) -> float:
    return (time.perf_counter() - t) * 1000
