"""Telegram's flood limits, kept before sending: answers wait their turn, streaming previews give way.

Telegram allows a bot about 30 messages a second overall, 20 a minute in a group and about one a
second in a chat (short bursts pass), and answers a 429 with `retry_after` beyond that. PTB's
AIORateLimiter queues every request first come, first served, so under load the drafts and
placeholder edits of a streaming answer (several per answer) queue ahead of the final answers and use
most of the budget; and any 429 halts every chat. Here:

  * messages (answers, replies, errors) wait for the budget in arrival order; a message waiting for
    its group's per-minute budget or for its chat's retry_after does not hold up other chats;
  * previews (drafts, the streaming placeholder and its edits: `rate_limit_args=PREVIEW`) are sent
    only from spare budget: when no message is waiting and some budget stays in reserve; otherwise
    they are dropped at once (PreviewDropped) and the stream goes on. A placeholder or edit also
    leaves the chat's last message of a burst to the answer (bench/load.py --groups: a group answer
    is a placeholder + its final edit, so a quick follow-up's final edit met a 429 and waited 1 s);
  * a 429 pauses that chat for `retry_after` (the message is then retried); 429s in two chats
    within that time mean the bot's overall budget is exceeded, and everything pauses.
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

log = logging.getLogger(__name__)
PREVIEW = "preview"  # rate_limit_args for a streaming preview: sent only from spare budget
NOT_MESSAGES = {"sendChatAction", "answerCallbackQuery", "getFile", "getMe", "getUpdates"}
MAX_TRACKED = 1000  # per-group and per-chat buckets and chat pauses kept before idle ones are dropped


class PreviewDropped(Exception):
    """A preview was not sent: the budget is needed for answers (not an error, not a TelegramError)."""


class Bucket:
    """A token bucket: `rate` per second, at most `capacity` saved up."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity, self.tokens, self.at = rate, capacity, capacity, time.monotonic()

    def level(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return self.tokens

    def wait(self, now: float) -> float:
        """Seconds until one token is there (0: now)."""
        return max(0.0, (1 - self.level(now)) / self.rate)

    def take(self, now: float) -> None:
        self.level(now)
        self.tokens -= 1


def _tracked(buckets: dict[Any, Bucket], key: Any, rate: float, capacity: float) -> Bucket:
    """The bucket of `key`, made on first use; past MAX_TRACKED, idle ones (full again) are forgotten."""
    bucket = buckets.get(key)
    if bucket is None:
        if len(buckets) >= MAX_TRACKED:
            now = time.monotonic()
            for k in [k for k, b in buckets.items() if b.level(now) >= b.capacity]:
                del buckets[k]
        bucket = buckets[key] = Bucket(rate, capacity)
    return bucket


def _retry_after(exc: RetryAfter) -> float:
    return exc._retry_after.total_seconds()  # int or timedelta in `retry_after`, depending on PTB's settings


class FloodLimiter(BaseRateLimiter[str]):
    """The bot's rate limiter (see the module docstring); `stats()` counts what it did.

    29 a second, not 30: requests reach Telegram a few milliseconds after leaving the bucket, and
    not evenly; sending at exactly Telegram's rate, any bunching under load is a 429 (1 s lost)."""

    def __init__(self, overall_per_sec: float = 29.0, group_per_min: float = 20.0, *, max_retries: int = 3,
                 reserve: float = 0.2, chat_per_sec: float = 1.0, chat_burst: float = 3.0) -> None:
        self.overall = Bucket(overall_per_sec, overall_per_sec)
        self.group_rate, self.group_capacity = group_per_min / 60, group_per_min
        self.chat_rate, self.chat_capacity = chat_per_sec, chat_burst
        self.max_retries = max_retries
        # Previews leave this share of a budget untouched, so a burst of answers goes out at once;
        # in a chat, one message: the answer's.
        self.reserve_overall, self.reserve_group = reserve * overall_per_sec, reserve * group_per_min
        self.reserve_chat = 1.0
        self.groups: dict[Any, Bucket] = {}
        self.chats: dict[Any, Bucket] = {}
        self.paused: dict[Any, float] = {}  # chat (or None: everything) -> until (monotonic)
        self.last_429: tuple[Any, float] | None = None
        self.queued = 0  # messages waiting for the overall budget
        self._turn: asyncio.Lock | None = None
        self.counts = {"messages": 0, "previews": 0, "previews_dropped": 0, "http_429": 0, "global_pauses": 0,
                       "waited_s": 0.0, "max_wait_s": 0.0}

    async def initialize(self) -> None:
        self._turn = asyncio.Lock()

    async def shutdown(self) -> None:
        pass

    def stats(self) -> dict[str, Any]:
        return {**self.counts, "waited_s": round(self.counts["waited_s"], 3),
                "max_wait_s": round(self.counts["max_wait_s"], 3), "groups_tracked": len(self.groups),
                "chats_tracked": len(self.chats), "pauses_tracked": len(self.paused)}

    # ----- budgets -------------------------------------------------------------------------------
    def _group(self, chat: Any) -> Bucket | None:
        if not (isinstance(chat, str) or isinstance(chat, int) and chat < 0):
            return None
        return _tracked(self.groups, chat, self.group_rate, self.group_capacity)

    def _chat(self, chat: Any) -> Bucket:
        return _tracked(self.chats, chat, self.chat_rate, self.chat_capacity)

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

    async def _acquire(self, chat: Any) -> None:
        """Wait until this message may go: its chat unpaused, its group's budget, then the overall one
        in arrival order; the tokens are taken together, right before sending."""
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
                    self.overall.take(now)
                    if group:
                        group.take(now)
                    self._chat(chat).take(now)  # spent, not waited for: previews see it
                    return
            finally:
                self.queued -= 1

    def _spare(self, chat: Any, endpoint: str) -> bool:
        """Whether a preview may take budget now without delaying any message."""
        now = time.monotonic()
        if self.queued or self._paused(chat, now) or self.overall.level(now) < 1 + self.reserve_overall:
            return False
        group = self._group(chat)
        if group is not None and group.level(now) < 1 + self.reserve_group:
            return False
        own = None if endpoint == "sendMessageDraft" else self._chat(chat)  # a draft is no message in the chat
        if own is not None and own.level(now) < 1 + self.reserve_chat:
            return False
        for bucket in (self.overall, group, own):
            if bucket is not None:
                bucket.take(now)
        return True

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
            if not self._spare(chat, endpoint):
                self.counts["previews_dropped"] += 1
                raise PreviewDropped(endpoint)
            self.counts["previews"] += 1
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                self._hit_429(chat, exc)
                raise PreviewDropped(endpoint) from exc
        for attempt in range(self.max_retries + 1):
            started = time.monotonic()
            await self._acquire(chat)
            waited = time.monotonic() - started
            self.counts["waited_s"] += waited
            self.counts["max_wait_s"] = max(self.counts["max_wait_s"], waited)
            try:
                result = await callback(*args, **kwargs)
                self.counts["messages"] += 1
                return result
            except RetryAfter as exc:
                self._hit_429(chat, exc)
                if attempt == self.max_retries:
                    raise
        raise AssertionError("unreachable")
