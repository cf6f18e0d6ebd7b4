"""Delivering one answer: a typing indicator, throttled streaming previews, then the final HTML parts."""

from __future__ import annotations

import asyncio
import logging
import random
import time
from functools import partial

from telegram import (
    Bot,
    InlineKeyboardMarkup,
    LinkPreviewOptions,
    Message,
    ReplyParameters,
)
from telegram.constants import ChatAction, ParseMode
from telegram.error import BadRequest, NetworkError, TelegramError

from .flood import PREVIEW, FloodLimiter, PreviewDropped
from .render import draft_text
from .replies import is_not_modified, retrying

log = logging.getLogger(__name__)

DRAFT_INTERVAL = 0.5  # drafts are not messages, but there is no point animating faster than people read
EDIT_INTERVAL = 1.0  # Telegram allows about one message per second per chat
GROUP_EDIT_INTERVAL = 3.0  # ... and 20 per minute per group; keep most of that budget for answers
TYPING_EVERY = 4.5  # the "typing" status lasts five seconds


async def keep_typing(bot: Bot, chat_id: int, thread_id: int | None) -> None:
    """Show "typing…" until cancelled; a failed chat action is cosmetic and never stops an answer."""
    while True:
        try:
            await bot.send_chat_action(chat_id, ChatAction.TYPING, message_thread_id=thread_id)
        except TelegramError as exc:
            log.debug("chat action failed in %s: %s", chat_id, exc)
        await asyncio.sleep(TYPING_EVERY)


class AnswerReply:
    """One answer's messages. Private chats stream with sendMessageDraft; other chats (or a Bot API
    server without drafts) stream by editing one placeholder message, throttled per chat. From creation
    to `finish` (or `close`), the flood limiter counts the answer as being written, so previews leave
    budget for its final message."""

    def __init__(self, bot: Bot, chat_id: int, reply_to: int | None, *, private: bool,
                 thread_id: int | None = None) -> None:
        self.bot, self.chat_id, self.thread_id = bot, chat_id, thread_id
        self.reply = ReplyParameters(reply_to, allow_sending_without_reply=True) if reply_to else None
        self.draft = private
        self.interval = DRAFT_INTERVAL if private else GROUP_EDIT_INTERVAL
        self.draft_id = random.randint(1, 2**31 - 1)  # must be non-zero; same id animates one draft
        self.message: Message | None = None
        self.shown = ""
        self.last = 0.0
        limiter = getattr(bot, "rate_limiter", None)
        self.limiter = limiter if isinstance(limiter, FloodLimiter) else None
        if self.limiter is not None:
            self.limiter.answer_started(chat_id)

    def close(self) -> None:
        """The answer is no longer being written (its final message was handed over, or it failed);
        safe to call more than once."""
        if self.limiter is not None:
            self.limiter.answer_ended(self.chat_id)
            self.limiter = None

    async def preview(self, text: str) -> None:
        """Show the partial answer, unless the last preview was too recent (the final one always wins).
        Previews use spare flood budget only: under load the limiter drops them (PreviewDropped)."""
        now = time.monotonic()
        body = draft_text(text)
        if now - self.last < self.interval or body == self.shown:
            return
        self.last = now
        spare = {"rate_limit_args": PREVIEW} if getattr(self.bot, "rate_limiter", None) else {}
        try:
            if self.draft:
                try:
                    await self.bot.send_message_draft(self.chat_id, self.draft_id, body,
                                                      message_thread_id=self.thread_id, **spare)
                    self.shown = body
                    return
                except TelegramError as exc:
                    log.info("drafts unavailable in chat %s (%s); streaming by edits", self.chat_id, exc)
                    self.draft, self.interval = False, EDIT_INTERVAL
            if self.message is None:
                self.message = await self.bot.send_message(self.chat_id, body, reply_parameters=self.reply,
                                                           message_thread_id=self.thread_id, **spare)
            else:
                await self.bot.edit_message_text(body, chat_id=self.chat_id, message_id=self.message.message_id,
                                                 **spare)
            self.shown = body
        except PreviewDropped:
            pass  # the budget went to answers; the next preview (or the final answer) shows more
        except BadRequest as exc:
            if not is_not_modified(exc):
                raise
        except NetworkError as exc:  # a lost preview is cosmetic; the final answer is retried
            log.info("preview failed in chat %s: %s", self.chat_id, exc)

    async def finish(self, parts: list[str], markup: InlineKeyboardMarkup | None) -> list[Message]:
        """Send the final HTML parts; the first replaces the streamed placeholder, the last gets the button."""
        self.close()  # from here the parts queue for the budget like any message, ahead of any preview
        sent: list[Message] = []
        for i, part in enumerate(parts):
            keyboard = markup if i == len(parts) - 1 else None
            if i == 0 and self.message is not None:
                try:
                    edited = await retrying(partial(
                        self.message.edit_text, part, parse_mode=ParseMode.HTML, reply_markup=keyboard,
                        link_preview_options=LinkPreviewOptions(is_disabled=True)))
                    sent.append(edited if isinstance(edited, Message) else self.message)
                except BadRequest as exc:
                    if not is_not_modified(exc):
                        raise
                    sent.append(self.message)
                continue
            sent.append(await retrying(partial(
                self.bot.send_message, self.chat_id, part, parse_mode=ParseMode.HTML, reply_markup=keyboard,
                reply_parameters=self.reply if i == 0 else None, message_thread_id=self.thread_id,
                link_preview_options=LinkPreviewOptions(is_disabled=True))))
        return sent

    async def abort(self, note: str) -> None:
        """Mark a streamed placeholder as stopped (drafts simply expire)."""
        if self.message is None:
            return
        try:
            await self.message.edit_text(f"{self.shown}\n\n{note}")
        except TelegramError as exc:
            log.debug("could not mark the stopped answer in %s: %s", self.chat_id, exc)
