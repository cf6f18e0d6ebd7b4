"""The chat model over any OpenAI-compatible endpoint, and the bounded retry policy around its calls.

Retries are ours (tenacity), not the openai client's: the client honours a Retry-After of up to two
minutes, which is far longer than anyone waits for a chat answer. Here every attempt is bounded by
`timeout`, there are at most `retries` more attempts, a wait never exceeds min(`timeout`, 8 s), and
a server asking for a longer pause is not retried at all (the caller falls back to the extractive
answer at once rather than keep a person waiting).
"""

from __future__ import annotations

import asyncio
import email.utils
import threading
import time
import weakref
from collections.abc import Awaitable, Callable
from typing import Any, Generic, TypeVar

import openai
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI
from tenacity import AsyncRetrying, RetryCallState, Retrying, retry_if_exception

from ..errors import LLMUnavailable

T = TypeVar("T")
MAX_BACKOFF = 8.0


def chat_model(*, model: str, api_key: str, base_url: str | None, timeout: float,
               temperature: float | None = None) -> ChatOpenAI:
    """ChatOpenAI with retries left to `RetryPolicy`; usage is asked for on streams too.

    No structured output or tools are used, so vLLM, Ollama and llama.cpp servers work as well.
    Each model gets its own async HTTP pool: langchain-openai otherwise shares one per base URL
    across the process, and a pool opened on one event loop fails on the next ("Event loop is closed").
    No socket options: langchain's custom transport would bypass httpx's HTTP(S)_PROXY / NO_PROXY
    handling and print a warning on every run wherever such variables are set.
    """
    return ChatOpenAI(model=model, api_key=api_key, base_url=base_url or None, timeout=timeout,
                      max_retries=0, stream_usage=True, temperature=temperature, http_socket_options=(),
                      http_async_client=openai.DefaultAsyncHttpxClient(timeout=timeout))


class PerLoop(Generic[T]):
    """One value for sync callers and one per running event loop, built on first use.

    Async HTTP connections belong to the loop that opened them; the bot runs one loop, but tests,
    benchmarks and `asyncio.run` callers start many.
    """

    def __init__(self, build: Callable[[], T]) -> None:
        self._build = build
        self._lock = threading.Lock()
        self._sync: T | None = None
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, T] = weakref.WeakKeyDictionary()

    def get(self) -> T:
        try:
            loop: asyncio.AbstractEventLoop | None = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        with self._lock:
            if loop is None:
                if self._sync is None:
                    self._sync = self._build()
                return self._sync
            if loop not in self._loops:
                self._loops[loop] = self._build()
            return self._loops[loop]


def retryable(exc: BaseException) -> bool:
    """Timeouts, dropped connections, 408/409/429 and 5xx are worth another try; 4xx mistakes are not."""
    if isinstance(exc, openai.APIConnectionError):  # includes APITimeoutError
        return True
    if isinstance(exc, openai.APIStatusError):
        return exc.status_code in (408, 409, 429) or exc.status_code >= 500
    return False


def retry_after(exc: BaseException | None) -> float | None:
    """Seconds the server asked us to wait (Retry-After / retry-after-ms), if it said."""
    response = getattr(exc, "response", None)
    headers = getattr(response, "headers", None)
    if not headers:
        return None
    if (ms := headers.get("retry-after-ms")) is not None:
        try:
            return max(float(ms) / 1000, 0.0)
        except ValueError:
            pass
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        return max(float(value), 0.0)
    except ValueError:
        parsed = email.utils.parsedate_tz(value)
        return max(email.utils.mktime_tz(parsed) - time.time(), 0.0) if parsed else None


def _kinds(exc: BaseException) -> set[str]:
    # By name: the openai client may use httpx or its fork httpx2, whose classes are distinct.
    return {c.__name__ for c in type(exc).__mro__}


def describe(exc: BaseException) -> str:
    """A short reason for the one-line note and the log (never a traceback, never a parser's message)."""
    if isinstance(exc, LLMUnavailable):  # already in our words (the circuit breaker's pause)
        return str(exc)
    root = exc  # LangChain wraps openai's error, which wraps the HTTP client's
    while isinstance(root, openai.APIConnectionError) and root.__cause__ is not None:
        root = root.__cause__
    if isinstance(exc, openai.APITimeoutError) or "TimeoutException" in _kinds(root):
        return "timed out"
    if isinstance(exc, openai.APIStatusError):
        return f"HTTP {exc.status_code}"
    if "TransportError" in _kinds(root) and "ConnectError" not in _kinds(root):
        return "connection lost"
    if isinstance(exc, openai.APIConnectionError) or "ConnectError" in _kinds(root):
        return "cannot connect"
    if isinstance(exc, ValueError):  # events that are not JSON, a stream without chunks, an unknown reply shape
        return "unreadable reply"
    return type(exc).__name__


class RetryPolicy:
    """At most 1 + `retries` attempts; waits follow Retry-After when given, else capped exponential backoff."""

    def __init__(self, retries: int, timeout: float, backoff: float = 0.5) -> None:
        self.retries = retries
        self.cap = min(timeout, MAX_BACKOFF)
        self.backoff = backoff

    def _wait(self, state: RetryCallState) -> float:
        asked = retry_after(state.outcome.exception() if state.outcome else None)
        if asked is not None:
            return asked
        return min(self.backoff * 2 ** (state.attempt_number - 1), self.cap)

    def _stop(self, state: RetryCallState) -> bool:
        if state.attempt_number > self.retries:
            return True
        asked = retry_after(state.outcome.exception() if state.outcome else None)
        return asked is not None and asked > self.cap  # longer than we would ever wait: give up now

    def _kwargs(self) -> dict[str, Any]:
        return {"retry": retry_if_exception(retryable), "wait": self._wait, "stop": self._stop, "reraise": True}

    def call(self, fn: Callable[[], T]) -> T:
        for attempt in Retrying(**self._kwargs()):
            with attempt:
                return fn()
        raise AssertionError("unreachable")

    async def acall(self, fn: Callable[[], Awaitable[T]]) -> T:
        async for attempt in AsyncRetrying(**self._kwargs()):
            with attempt:
                return await fn()
        raise AssertionError("unreachable")

    def attempts(self) -> AsyncRetrying:
        """For streams: retry only until the first chunk arrives (text already shown cannot be unsent)."""
        return AsyncRetrying(**self._kwargs())


def text_of(message: BaseMessage) -> str:
    """The text of a reply, whether content is a string or a list of content blocks."""
    content = message.content
    if isinstance(content, str):
        return content
    return "".join(b if isinstance(b, str) else str(b.get("text", "")) for b in content
                   if isinstance(b, str) or isinstance(b, dict) and b.get("type") in (None, "text"))


def add_usage(total: dict[str, int], message: BaseMessage) -> None:
    """Sum token counts of every call of one answer (rewrite + generation)."""
    usage = getattr(message, "usage_metadata", None)
    if not usage:  # servers that do not report usage: unknown, not zero
        return
    for key in ("input_tokens", "output_tokens", "total_tokens"):
        total[key] = total.get(key, 0) + int(usage.get(key, 0) or 0)
