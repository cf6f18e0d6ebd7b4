"""A circuit breaker for the LLM endpoint: after N failed calls in a row, stop calling it for a cool-down.

During an outage each question otherwise waits through its own retries and timeouts (up to 3 x 30 s
with a hanging endpoint) before the extractive answer. With the circuit open, questions get the
extractive answer at once, with the usual note; after the cool-down one call is let through (half-open):
if it works the circuit closes, if not it opens again. Hand-written: `pybreaker` and the like count
sync calls only, and the answerer's streams need "the first chunk arrived" as their success.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from ..errors import LLMUnavailable
from .client import RetryPolicy

log = logging.getLogger(__name__)
T = TypeVar("T")


class CircuitBreaker:
    """Closed (calls go through), open (refused until the cool-down ends) or half-open (one trial call)."""

    def __init__(self, failures: int = 3, cooldown: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.threshold, self.cooldown, self.clock = failures, cooldown, clock
        self.failures = 0
        self.opened_at: float | None = None
        self.trial = False  # a half-open trial call is in flight
        self._lock = threading.Lock()

    def admit(self) -> None:
        """Let a call through, or raise LLMUnavailable at once while the circuit is open."""
        with self._lock:
            if self.opened_at is None:
                return
            left = self.opened_at + self.cooldown - self.clock()
            if left > 0 or self.trial:
                raise LLMUnavailable(f"paused for {max(left, 1):.0f} s after {self.failures} failures in a row")
            self.trial = True
            log.info("LLM circuit half-open: trying the LLM again")

    def succeeded(self) -> None:
        with self._lock:
            if self.opened_at is not None:
                log.warning("LLM circuit closed: the LLM answers again")
            self.failures, self.opened_at, self.trial = 0, None, False

    def failed(self) -> None:
        with self._lock:
            self.failures += 1
            if self.trial or (self.opened_at is None and self.failures >= self.threshold):
                self.opened_at, self.trial = self.clock(), False
                log.warning("LLM circuit open: %d failures in a row; answering from the article only for %.0f s",
                            self.failures, self.cooldown)

    def release(self) -> None:
        """A trial call ended without a verdict (cancelled): let the next one try."""
        with self._lock:
            self.trial = False

    def state(self) -> str:
        """closed, open (with the seconds left) or half-open: for /stats."""
        with self._lock:
            if self.opened_at is None:
                return "closed" if not self.failures else f"closed ({self.failures} failure(s) in a row)"
            if self.trial:
                return "half-open (trying the LLM again)"
            left = self.opened_at + self.cooldown - self.clock()
            return f"open (answering from the article only; retry in {max(left, 0):.0f} s)"


class GuardedPolicy:
    """A RetryPolicy behind a breaker, with the same interface: one call = the policy's retries."""

    def __init__(self, policy: RetryPolicy, breaker: CircuitBreaker) -> None:
        self.policy, self.breaker = policy, breaker

    def __getattr__(self, name: str) -> Any:
        # The policy's own settings (retries, timeout) read through, as from the policy itself.
        return getattr(self.policy, name)

    @contextmanager
    def _guard(self) -> Iterator[None]:
        self.breaker.admit()
        ok: bool | None = None  # None: cancelled, no verdict
        try:
            yield
            ok = True
        except Exception:
            ok = False
            raise
        finally:
            if ok is None:
                self.breaker.release()
            elif ok:
                self.breaker.succeeded()
            else:
                self.breaker.failed()

    def call(self, fn: Callable[[], T]) -> T:
        with self._guard():
            return self.policy.call(fn)

    async def acall(self, fn: Callable[[], Awaitable[T]]) -> T:
        with self._guard():
            return await self.policy.acall(fn)

    async def attempts(self) -> AsyncIterator[Any]:
        """The policy's attempts for a stream: a success is the first chunk having arrived."""
        with self._guard():
            async for attempt in self.policy.attempts():
                yield attempt


def guarded(policy: RetryPolicy, breaker: CircuitBreaker | None) -> RetryPolicy | GuardedPolicy:
    return policy if breaker is None else GuardedPolicy(policy, breaker)
