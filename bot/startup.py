"""Reaching Telegram at start: retry a network blip with backoff; a rejected token is one clear line.

PTB's own bootstrap retries wait a fixed second, log at DEBUG, and by default (0 retries) one failed
connect ended the process with a long traceback whose text held the token.
"""

from __future__ import annotations

import logging

from telegram.error import InvalidToken, NetworkError, RetryAfter
from telegram.ext import Application
from tenacity import AsyncRetrying, RetryCallState, retry_if_exception_type, stop_after_attempt, stop_never
from tenacity import wait_exponential

from retrieval.errors import ArticlebotError

log = logging.getLogger(__name__)
FIRST_WAIT_S, MAX_WAIT_S = 1.0, 60.0


class StartError(ArticlebotError):
    """The bot cannot start: Telegram refused the token, or stayed unreachable for every retry."""


def _said(exc: BaseException, token: str) -> str:
    return (str(exc) or type(exc).__name__).replace(token, "<token>")


async def connect(app: Application, retries: int, *, first_wait: float = FIRST_WAIT_S,
                  max_wait: float = MAX_WAIT_S) -> None:
    """Initialize `app` (its first call to Telegram), retrying network failures `retries` times (< 0:
    until it works), waiting `first_wait` s, doubling up to `max_wait`; a log line per failed attempt."""
    token = app.bot.token

    def before_sleep(state: RetryCallState) -> None:
        exc = state.outcome.exception() if state.outcome else None
        wait = state.next_action.sleep if state.next_action else 0.0
        log.warning("cannot reach Telegram (attempt %d%s): %s; trying again in %.0f s", state.attempt_number,
                    f" of {retries + 1}" if retries >= 0 else "", _said(exc, token) if exc else "?", wait)

    retrying = AsyncRetrying(
        retry=retry_if_exception_type((NetworkError, RetryAfter)),
        wait=wait_exponential(multiplier=first_wait, max=max_wait),
        stop=stop_never if retries < 0 else stop_after_attempt(retries + 1),
        before_sleep=before_sleep, reraise=True)
    try:
        async for attempt in retrying:
            with attempt:
                await app.initialize()
    except InvalidToken:
        raise StartError("Telegram rejected TELEGRAM_BOT_TOKEN (check it with @BotFather)") from None
    except (NetworkError, RetryAfter) as exc:
        raise StartError(f"cannot reach Telegram after {retries + 1} attempt(s): {_said(exc, token)}") from None
    log.info("connected to Telegram as @%s", app.bot.username)
