"""Sending replies that survive a flaky network: retried sends, HTML replies split to Telegram's size, and
the one harmless edit error."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from functools import partial
from typing import TypeVar

from telegram import LinkPreviewOptions, Message
from telegram.error import BadRequest, NetworkError, TimedOut

from .render import split_html

log = logging.getLogger(__name__)
RETRIES = 2  # a 502 or a dropped connection should not lose a reply
T = TypeVar("T")


def is_not_modified(exc: BadRequest) -> bool:
    """Telegram refuses an edit that changes nothing; for us that edit has simply already happened."""
    return "not modified" in str(exc).lower()


async def retrying(send: Callable[[], Awaitable[T]]) -> T:
    """Retry a send after a transient failure (bad gateway, dropped connection). Not after a timeout:
    the message may have arrived, and a duplicate answer is worse than a late error message."""
    for attempt in range(RETRIES + 1):
        try:
            return await send()
        except NetworkError as exc:
            if isinstance(exc, (BadRequest, TimedOut)) or attempt == RETRIES:
                raise
            log.info("send failed (%s); retrying", exc)
            await asyncio.sleep(0.5 * 2**attempt)
    raise AssertionError("unreachable")


async def reply_html(message: Message | None, html: str) -> None:
    """Reply with HTML, split when long; every part after the first is a plain follow-on message."""
    if message is None:
        return
    for i, part in enumerate(split_html(html)):
        # Retried like answers: one 502 or dropped connection must not lose a command's reply.
        await retrying(partial(message.reply_html, part, do_quote=i == 0,
                               link_preview_options=LinkPreviewOptions(is_disabled=True)))
