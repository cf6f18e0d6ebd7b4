"""Answering questions in chats: one answer in flight per chat, history in, answer out, stats kept."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from contextlib import aclosing
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup

from retrieval.base import Answerer
from retrieval.foreground import Foreground
from retrieval.models import Answer

from . import metrics, texts
from .access import Busy, DailyBudget, RateLimited, UserRateLimit
from .render import answer_html, split_html
from .storage import BotStore
from .streaming import AnswerReply, keep_typing

if TYPE_CHECKING:  # scope imports texts, which imports this module
    from .scope import Catalog

log = logging.getLogger(__name__)
SOURCES_PREFIX = "src:"


@dataclass
class Question:
    """A question as the conversation layer needs it, independent of how it arrived."""

    chat_id: int
    text: str
    user_id: int | None = None
    message_id: int | None = None
    private: bool = True
    thread_id: int | None = None
    update_id: int | None = None  # for the log line: which update this answer belongs to
    lang: texts.Lang = "en"  # of the asker's Telegram app: the button and notes around the answer
    received: float = field(default_factory=time.monotonic)
    article_id: str | None = None  # a question button's own article
    from_button: bool = False  # asked by pressing a button: standalone, shown above its answer


def sources_row(answer_id: int | None, lang: texts.Lang = "en") -> list[list[InlineKeyboardButton]]:
    if answer_id is None:
        return []
    return [[InlineKeyboardButton(texts.SOURCES_BUTTON(lang), callback_data=f"{SOURCES_PREFIX}{answer_id}")]]


class Conversations:
    """Runs answers. Each answer is its own task, so a slow model call in one chat never delays
    another; a second question in the same chat is refused (Busy) instead of racing the first."""

    def __init__(self, answerer: Answerer, store: BotStore, history_turns: int,
                 limit: UserRateLimit | None = None, exempt: Callable[[int | None], bool] = lambda _: False,
                 catalog: Catalog | None = None, *, expire_after_s: float = 0.0,
                 budget: DailyBudget | None = None, foreground: Foreground | None = None) -> None:
        self.answerer, self.store, self.catalog = answerer, store, catalog
        # Answers in flight are marked here, and index writes (an upload, /add, /reload) give way to them.
        self.foreground = foreground or Foreground()
        self.expire_after_s = expire_after_s  # silence after which a chat starts afresh; 0: never
        self.budget = budget
        self.keep = 2 * history_turns  # a turn here is one exchange: a question and its answer
        self.limit, self.exempt = limit, exempt
        self._inflight: dict[int, asyncio.Task[Answer]] = {}
        self._told_busy: set[int] = set()  # chats told "still answering" during the answer in flight

    def busy(self, chat_id: int) -> bool:
        return chat_id in self._inflight

    def cancel(self, chat_id: int) -> bool:
        """Stop this chat's answer in flight; False when there is none."""
        task = self._inflight.get(chat_id)
        if task is None or task.done():
            return False
        task.cancel()
        return True

    def _release(self, chat_id: int) -> None:
        """Free the chat for its next question (only if the answer in flight is the current task's)."""
        if self._inflight.get(chat_id) is asyncio.current_task():
            del self._inflight[chat_id]
            self._told_busy.discard(chat_id)

    def _expired(self, chat_id: int) -> bool:
        """After a long silence the old exchange would only mislead a follow-up: start the chat afresh."""
        if not self.expire_after_s:
            return False
        last = self.store.last_turn_at(chat_id)
        if last is None or time.time() - last < self.expire_after_s:
            return False
        self.store.drop_turns(chat_id)
        return True

    def reset(self, chat_id: int) -> int:
        """Forget this chat's history. An answer in flight is stopped too: it would otherwise add its
        exchange to the history just forgotten."""
        self.cancel(chat_id)
        return self.store.reset(chat_id)

    async def ask(self, bot: Bot, q: Question) -> Answer | None:
        """Answer `q` in its chat; None when it was cancelled with /cancel or refused without a word
        (a notice was already given: one message per spammer, not one reply per message)."""
        # The user's limit first: a flood of questions is refused as too fast, and counted, before
        # anything else. Each refusal is said once (per window, per answer in flight), then dropped.
        if self.limit is not None and q.user_id is not None and not self.exempt(q.user_id):
            try:
                self.limit.check(q.user_id)
            except RateLimited as exc:
                if exc.told:
                    log.info("user %s is over the rate limit (already told); message dropped", q.user_id)
                    return None
                raise
        if self.budget is not None and q.user_id is not None and not self.exempt(q.user_id):
            self.budget.check(q.user_id)
        if q.chat_id in self._inflight:
            if q.chat_id in self._told_busy:
                log.info("chat %s is busy (already told); message dropped", q.chat_id)
                return None
            self._told_busy.add(q.chat_id)
            raise Busy("an answer is already in progress in this chat")
        # Registered before the first await, so two questions arriving together cannot both start.
        task = asyncio.create_task(self._answer(bot, q), name=f"answer-{q.chat_id}")
        self._inflight[q.chat_id] = task
        try:
            with self.foreground.serving():
                return await task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                raise  # we are being shut down, not /cancel-led
            return None
        finally:
            if self._inflight.get(q.chat_id) is task:
                del self._inflight[q.chat_id]
                self._told_busy.discard(q.chat_id)

    async def _answer(self, bot: Bot, q: Question) -> Answer:
        typing = asyncio.create_task(keep_typing(bot, q.chat_id, q.thread_id))
        reply = AnswerReply(bot, q.chat_id, q.message_id, private=q.private, thread_id=q.thread_id)
        try:
            expired = self._expired(q.chat_id)
            history = self.store.history(q.chat_id, self.keep)
            scope = None
            if self.catalog is not None:
                scope = await asyncio.to_thread(self.catalog.resolve, q.chat_id, q.text, q.article_id)
            article_id = scope.article_id if scope is not None else q.article_id
            answer: Answer | None = None
            streamed = ""
            # A button's question stands alone (and was checked that way): no history to reinterpret it.
            async with aclosing(self.answerer.astream(q.text, [] if q.from_button else history,
                                                      article_id=article_id)) as stream:
                async for item in stream:
                    if isinstance(item, str):
                        streamed += item
                        await reply.preview(streamed)
                    else:
                        answer = item
            if answer is None:
                raise RuntimeError("the answerer finished without a final Answer")
            typing.cancel()
            answer_id = self.store.save_answer(q.chat_id, q.text, answer.citations) if answer.citations else None
            # The person may reply the moment the answer shows, before Telegram's response reaches us:
            # the exchange must be in the history and the chat free by then (else "still answering").
            self.store.add_exchange(q.chat_id, q.text, answer, self.keep)
            self._release(q.chat_id)
            new_note = ""
            if expired:  # say why an apparent follow-up was not read as one
                minutes = round(self.expire_after_s / 60)
                new_note = f"<i>{texts.NEW_CONVERSATION(q.lang, minutes=minutes)}</i>\n\n"
            if self.catalog is None or scope is None:
                rows = sources_row(answer_id, q.lang)
                await reply.finish(split_html(new_note + answer_html(answer)),
                                   InlineKeyboardMarkup(rows) if rows else None)
            else:
                parts = split_html(new_note + self.catalog.answer_html(q.text if q.from_button else "", scope,
                                                                       answer, q.lang))
                rows = sources_row(answer_id, q.lang) + self.catalog.others_rows(q.chat_id, scope, q.text)
                asked = [t.content for t in history if t.role == "user"] + [q.text]

                async def send(markup: InlineKeyboardMarkup | None):
                    return (await reply.finish(parts, markup))[-1]

                about = await asyncio.to_thread(self.catalog.suggestion_articles, scope, answer)
                await self.catalog.send(q.chat_id, send, rows, about, asked)
            latency = (time.monotonic() - q.received) * 1000
            self.store.record(q.user_id, q.chat_id, "answer", answer, latency)
            log.info("answered: chat=%s user=%s update=%s mode=%s answerable=%s latency_ms=%.0f", q.chat_id,
                     q.user_id, q.update_id, answer.mode, answer.answerable, latency,
                     extra={"chat_id": q.chat_id, "user_id": q.user_id, "update_id": q.update_id,
                            "mode": answer.mode, "answerable": answer.answerable, "latency_ms": round(latency)})
            metrics.answered(answer.mode, latency / 1000)
            return answer
        except asyncio.CancelledError:
            self.store.record(q.user_id, q.chat_id, "cancelled")
            metrics.failed("cancelled")
            await reply.abort(texts.STOPPED_NOTE(q.lang))
            raise
        except Exception:
            self.store.record(q.user_id, q.chat_id, "error")
            metrics.failed("error")
            raise
        finally:
            typing.cancel()
            reply.close()
