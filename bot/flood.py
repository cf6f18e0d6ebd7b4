"""Telegram's flood limits, kept before sending: answers wait their turn, streaming previews give way.

Telegram allows a bot 30 messages in any second overall, 20 in any minute in a group and about one a
second in a chat (short bursts pass), and answers a 429 with `retry_after` beyond that. The first two
are sliding windows here (bot/budget.py), never exceeded; the chat's pace is a bucket previews respect. PTB's
AIORateLimiter queues every request first come, first served, so under load the drafts and
placeholder edits of a streaming answer (several per answer) queue ahead of the final answers and use
most of the budget; and any 429 halts every chat. Here:

  * messages (answers, replies, errors) wait for the budget in arrival order; a message waiting for
    its group's per-minute budget or for its chat's retry_after does not hold up other chats;
  * previews (drafts, the streaming placeholder and its edits: `rate_limit_args=PREVIEW`) are sent
    only from spare budget: when no message is waiting and, after the preview, the window still holds
    a slot for the final message of every answer being written (`writing`) and some reserve; otherwise
    they are dropped at once (PreviewDropped) and the stream goes on. Waiting for an empty queue alone
    was not enough: answers finishing together (bench/load.py: 60 chats asking at once) found the
    second's budget spent on their own drafts and went out a second later, and every follow-up after
    them (60 chats x 2 turns: 6.3 s against 5.2 s without previews). A placeholder or edit also
    leaves the chat's last message of a burst to the answer (bench/load.py --groups: a group answer
    is a placeholder + its final edit, so a quick follow-up's final edit met a 429 and waited 1 s);
  * a 429 pauses that chat for `retry_after` and the message is retried, for as long as Telegram keeps
    asking within RETRY_FOR seconds; only then is it given up, and logged; 429s in two chats within
    that time mean the bot's overall budget is exceeded, and everything pauses.
Messages never wait for a chat's own budget (Telegram's per-chat limit is loose: a 429 is retried),
but they spend it, so previews see it.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Coroutine
from typing import Any

from telegram.error import RetryAfter
from telegram.ext import BaseRateLimiter

from .budget import Bucket, Window, tracked

log = logging.getLogger(__name__)
PREVIEW = "preview"  # rate_limit_args for a streaming preview: sent only from spare budget
NOT_MESSAGES = {"sendChatAction", "answerCallbackQuery", "getFile", "getMe", "getUpdates"}
MAX_TRACKED = 1000  # per-group and per-chat budgets and chat pauses kept before idle ones are dropped
# How long one message keeps being retried while Telegram answers 429: a storm of a minute must not lose
# an answer (a person waits for it); past this, the error handler tells the chat and the log says why.
RETRY_FOR = 90.0


class PreviewDropped(Exception):
    """A preview was not sent: the budget is needed for answers (not an error, not a TelegramError)."""


def _retry_after(exc: RetryAfter) -> float:
    return exc._retry_after.total_seconds()  # int or timedelta in `retry_after`, depending on PTB's settings


class FloodLimiter(BaseRateLimiter[str]):
    """The bot's rate limiter (see the module docstring); `stats()` counts what it did."""

    def __init__(self, overall_per_sec: int = 30, group_per_min: int = 20, *, retry_for: float = RETRY_FOR,
                 reserve: float = 0.2, chat_per_sec: float = 1.0, chat_burst: float = 3.0) -> None:
        self.overall = Window(overall_per_sec, 1.0)
        self.group_limit = group_per_min
        self.chat_rate, self.chat_capacity = chat_per_sec, chat_burst
        self.retry_for = retry_for
        # Previews leave this share of a budget untouched, so a burst of answers goes out at once;
        # in a chat, one message: the answer's.
        self.reserve_overall, self.reserve_group = reserve * overall_per_sec, reserve * group_per_min
        self.reserve_chat = 1.0
        self.groups: dict[Any, Window] = {}
        self.chats: dict[Any, Bucket] = {}
        self.paused: dict[Any, float] = {}  # chat (or None: everything) -> until (monotonic)
        self.last_429: tuple[Any, float] | None = None
        self.queued = 0  # messages waiting for the overall budget
        # Answers being written, by chat: each will need a slot for its final message, so previews leave
        # that many free. Entries go when their answer ends, so this is bounded by the answers in flight.
        self.writing: dict[Any, int] = {}
        self.writing_total = 0
        self._turn: asyncio.Lock | None = None
        self.counts = {"messages": 0, "previews": 0, "previews_dropped": 0, "http_429": 0, "global_pauses": 0,
                       "given_up": 0, "waited_s": 0.0, "max_wait_s": 0.0}

    async def initialize(self) -> None:
        self._turn = asyncio.Lock()

    async def shutdown(self) -> None:
        pass

    def stats(self) -> dict[str, Any]:
        return {**self.counts, "writing": self.writing_total, "waited_s": round(self.counts["waited_s"], 3),
                "max_wait_s": round(self.counts["max_wait_s"], 3), "groups_tracked": len(self.groups),
                "chats_tracked": len(self.chats), "pauses_tracked": len(self.paused)}

    # ----- answers being written ------------------------------------------------------------------
    def answer_started(self, chat: Any) -> None:
        """An answer is being written in `chat`: its final message will need budget (previews keep it)."""
        self.writing[chat] = self.writing.get(chat, 0) + 1
        self.writing_total += 1

    def answer_ended(self, chat: Any) -> None:
        """That answer's final message was handed over (it queues like any message) or it failed."""
        if chat not in self.writing:
            return
        self.writing_total -= 1
        left = self.writing[chat] - 1
        if left > 0:
            self.writing[chat] = left
        else:
            self.writing.pop(chat, None)

    # ----- budgets -------------------------------------------------------------------------------
    def _group(self, chat: Any) -> Window | None:
        if not (isinstance(chat, str) or isinstance(chat, int) and chat < 0):
            return None
        return tracked(self.groups, chat, lambda: Window(self.group_limit, 60.0), MAX_TRACKED)

    def _chat(self, chat: Any) -> Bucket:
        return tracked(self.chats, chat, lambda: Bucket(self.chat_rate, self.chat_capacity), MAX_TRACKED)

    def _paused(self, chat: Any, now: float) -> float:
        """Seconds this chat must still wait after a 429 (its own or the bot's)."""
        if len(self.paused) >= MAX_TRACKED:
            self.paused = {k: t for k, t in self.paused.items() if t > now}
        return max(0.0, self.paused.get(chat, 0.0) - now, self.paused.get(None, 0.0) - now)

    def _hit_429(self, chat: Any, exc: RetryAfter) -> None:
        now, wait = time.monotonic(), _retry_after(exc) + 0.1
        self.counts["http_429"] += 1
        self.paused[chat] = max(self.paused.get(chat, 0.0), now + wait)
        last = self.last_429
        if last is not None and last[0] != chat and now - last[1] < wait:
            self.paused[None] = max(self.paused.get(None, 0.0), now + wait)
            self.counts["global_pauses"] += 1
            log.warning("flood limit: 429 in two chats; pausing all messages for %.1f s", wait)
        else:
            log.info("flood limit: 429 in chat %s; pausing it for %.1f s", chat, wait)
        self.last_429 = (chat, now)

    async def _acquire(self, chat: Any) -> list[Window]:
        """Wait until this message may go: its chat unpaused, its group's budget, then the overall one
        in arrival order; the slots are taken together, right before sending, and returned: the caller
        marks them done when the request has finished."""
        if self._turn is None:
            self._turn = asyncio.Lock()
        group = self._group(chat)
        while True:
            now = time.monotonic()
            wait = max(self._paused(chat, now), group.wait(now) if group else 0.0)
            if wait > 0:
                await asyncio.sleep(wait)
                continue
            self.queued += 1
            try:
                async with self._turn:
                    while (wait := self.overall.wait(time.monotonic())) > 0:
                        await asyncio.sleep(wait)
                    now = time.monotonic()
                    if self._paused(chat, now) or (group and group.wait(now)):
                        continue  # paused or spent while queueing: wait again outside the queue
                    self._chat(chat).take(now)  # spent, not waited for: previews see it
                    return self._take(group)
            finally:
                self.queued -= 1

    def _take(self, group: Window | None) -> list[Window]:
        taken = [self.overall] + ([group] if group else [])
        for window in taken:
            window.take()
        return taken

    def _spare(self, chat: Any, endpoint: str) -> list[Window] | None:
        """The slots for a preview when it may take budget now without delaying any message, else None."""
        now = time.monotonic()
        if self.queued or self._paused(chat, now) or (
                self.overall.free(now) < 1 + self.reserve_overall + self.writing_total):
            return None
        group = self._group(chat)
        if group is not None and group.free(now) < 1 + self.reserve_group + self.writing.get(chat, 0):
            return None
        own = None if endpoint == "sendMessageDraft" else self._chat(chat)  # a draft is no message in the chat
        if own is not None and own.level(now) < 1 + self.reserve_chat:
            return None
        if own is not None:
            own.take(now)
        return self._take(group)

    # ----- PTB's hook ----------------------------------------------------------------------------
    async def process_request(self, callback: Callable[..., Coroutine[Any, Any, Any]], args: Any,
                              kwargs: dict[str, Any], endpoint: str, data: dict[str, Any],
                              rate_limit_args: str | None) -> Any:
        chat = data.get("chat_id")
        if endpoint in NOT_MESSAGES or chat is None:
            return await callback(*args, **kwargs)
        try:
            chat = int(chat)
        except (TypeError, ValueError):
            pass  # @channelusername
        if rate_limit_args == PREVIEW or endpoint == "sendMessageDraft":
            slots = self._spare(chat, endpoint)
            if slots is None:
                self.counts["previews_dropped"] += 1
                raise PreviewDropped(endpoint)
            self.counts["previews"] += 1
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self._hit_429(chat, exc)
                raise PreviewDropped(endpoint) from exc
            finally:
                _done(slots)
        first = time.monotonic()
        while True:
            started = time.monotonic()
            slots = await self._acquire(chat)
            waited = time.monotonic() - started
            self.counts["waited_s"] += waited
            self.counts["max_wait_s"] = max(self.counts["max_wait_s"], waited)
            try:
                result = await callback(*args, **kwargs)
                self.counts["messages"] += 1
                return result
            except RetryAfter as exc:
                self._hit_429(chat, exc)
                if time.monotonic() + _retry_after(exc) - first > self.retry_for:
                    self.counts["given_up"] += 1
                    log.error("flood limit: gave up a %s to chat %s after %.0f s of 429s", endpoint, chat,
                              time.monotonic() - first)
                    raise
            finally:
                _done(slots)


def _done(slots: list[Window]) -> None:
    now = time.monotonic()
    for window in slots:
        window.done(now)
