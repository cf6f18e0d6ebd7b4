"""Who may talk to the bot, how often, and when a group message is meant for it."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from telegram import Message, MessageEntity, Update

from retrieval.errors import ArticlebotError


class RateLimited(ArticlebotError):
    """This user asked more questions in the last minute than the limit allows."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"too many questions; try again in {retry_after:.0f} s")
        self.retry_after = retry_after


class OverBudget(ArticlebotError):
    """This user has used today's questions or LLM tokens."""

    def __init__(self, what: str, limit: int, resets_in: float) -> None:
        super().__init__(f"daily {what} budget of {limit} used up")
        self.what, self.limit, self.resets_in = what, limit, resets_in


class DailyBudget:
    """Questions and LLM tokens per user per UTC day; 0 means no limit. Counted from the stats events,
    so the budget survives restarts and needs no state of its own."""

    def __init__(self, usage: Callable[[int, float], tuple[int, int]], questions: int = 0, tokens: int = 0) -> None:
        self.usage, self.questions, self.tokens = usage, questions, tokens

    @staticmethod
    def day_start(now: float | None = None) -> float:
        now = time.time() if now is None else now
        return now - now % 86400

    def check(self, user_id: int) -> None:
        if not (self.questions or self.tokens):
            return
        start = self.day_start()
        asked, used = self.usage(user_id, start)
        resets_in = start + 86400 - time.time()
        if self.questions and asked >= self.questions:
            raise OverBudget("questions", self.questions, resets_in)
        if self.tokens and used >= self.tokens:
            raise OverBudget("tokens", self.tokens, resets_in)


class Busy(ArticlebotError):
    """This chat already has an answer in flight."""


class Access:
    """Allow-lists and admins. With no allow-list set, everyone may ask; admins are always allowed."""

    def __init__(self, admins: Iterable[int], users: Iterable[int] = (), chats: Iterable[int] = ()) -> None:
        self.admins, self.users, self.chats = set(admins), set(users), set(chats)

    def is_admin(self, user_id: int | None) -> bool:
        return user_id is not None and user_id in self.admins

    def allows(self, update: Update) -> bool:
        if not (self.users or self.chats):
            return True
        user = update.effective_user
        chat = update.effective_chat
        uid = user.id if user else None
        return (uid is not None and (uid in self.users or uid in self.admins)) or (
            chat is not None and chat.id in self.chats)


class UserRateLimit:
    """A sliding one-minute window per user; memory is bounded by the number of active users."""

    def __init__(self, per_minute: int, window: float = 60.0) -> None:
        self.per_minute, self.window = per_minute, window
        self._seen: dict[int, deque[float]] = {}
        self._pruned = time.monotonic()

    def check(self, user_id: int) -> None:
        """Count one question, or raise RateLimited when the user is over the limit."""
        now = time.monotonic()
        times = self._seen.setdefault(user_id, deque())
        while times and now - times[0] >= self.window:
            times.popleft()
        if len(times) >= self.per_minute:
            raise RateLimited(self.window - (now - times[0]))
        times.append(now)
        if now - self._pruned >= self.window:  # once a window, forget idle users: memory follows active ones
            self._pruned = now
            for uid in [u for u, t in self._seen.items() if not t or now - t[-1] >= self.window]:
                del self._seen[uid]


def addressed_text(message: Message, bot_id: int, username: str) -> str | None:
    """In a group: the question with the bot's @mention removed, or None when not meant for the bot.

    A message is meant for the bot when it mentions @username or replies to one of the bot's messages.
    Entity offsets count UTF-16 code units (an emoji is two), so the text is cut in that space.
    """
    text = message.text or ""
    mention = f"@{username}".lower()
    units = text.encode("utf-16-le")

    def part(start: int, end: int | None = None) -> str:
        return units[start * 2:None if end is None else end * 2].decode("utf-16-le", "replace")

    mentions = [e for e in message.entities if e.type == MessageEntity.MENTION
                and part(e.offset, e.offset + e.length).lower() == mention]
    reply = message.reply_to_message
    replied = bool(reply and reply.from_user and reply.from_user.id == bot_id)
    if not (mentions or replied):
        return None
    if mentions:
        first = mentions[0]
        text = (part(0, first.offset) + part(first.offset + first.length)).strip(" ,:\n")
    return text.strip()
