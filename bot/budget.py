"""Send budgets: a sliding window (what Telegram enforces) and a token bucket (a soft per-chat pace).

Telegram counts messages in any sliding second (30 a bot) and any sliding minute (20 a group); it does
not promise a token bucket. A bucket of 29 on top of 29 a second let about 58 messages through in one
second, so the hard limits are windows here. Hand-written rather than a library's: `aiolimiter` is a
leaky bucket and `limits`' moving window counts a send when it starts, while a send here counts from
when its request *finished* (Telegram saw it somewhere between start and finish, so the next one may
start a full period after the finish and never land in the same window, however late the event loop
notices the response).
"""

from __future__ import annotations

import bisect
import time
from typing import Any

INFLIGHT_POLL = 0.01  # seconds between looks when every slot is held by a request still in flight


class Window:
    """At most `limit` sends in any `period` seconds, each counted until `period` after it finished."""

    def __init__(self, limit: int, period: float) -> None:
        self.limit, self.period = limit, period
        self.finished: list[float] = []  # finish times, sorted
        self.inflight = 0

    def _prune(self, now: float) -> None:
        cut = bisect.bisect_right(self.finished, now - self.period)
        if cut:
            del self.finished[:cut]

    def free(self, now: float) -> int:
        """Sends that may start now."""
        self._prune(now)
        return self.limit - len(self.finished) - self.inflight

    def wait(self, now: float) -> float:
        """Seconds until a send may start (0: now)."""
        if self.free(now) > 0:
            return 0.0
        if not self.finished:  # every slot is in flight: it frees a period after its finish, not known yet
            return INFLIGHT_POLL
        return max(INFLIGHT_POLL, self.finished[0] + self.period - now)

    def take(self) -> None:
        self.inflight += 1

    def done(self, now: float | None = None) -> None:
        """The request of one taken slot has finished (answered, failed or cancelled)."""
        self.inflight -= 1
        bisect.insort(self.finished, time.monotonic() if now is None else now)

    def idle(self, now: float) -> bool:
        return self.free(now) >= self.limit


class Bucket:
    """A token bucket: `rate` per second, at most `capacity` saved up (a pace, not a hard limit)."""

    def __init__(self, rate: float, capacity: float) -> None:
        self.rate, self.capacity, self.tokens, self.at = rate, capacity, capacity, time.monotonic()

    def level(self, now: float) -> float:
        self.tokens = min(self.capacity, self.tokens + (now - self.at) * self.rate)
        self.at = now
        return self.tokens

    def take(self, now: float) -> None:
        self.level(now)
        self.tokens -= 1

    def idle(self, now: float) -> bool:
        return self.level(now) >= self.capacity


def tracked(table: dict[Any, Any], key: Any, make: Any, bound: int) -> Any:
    """The budget of `key`, made on first use; past `bound` entries, idle ones are forgotten."""
    item = table.get(key)
    if item is None:
        if len(table) >= bound:
            now = time.monotonic()
            for k in [k for k, b in table.items() if b.idle(now)]:
                del table[k]
        item = table[key] = make()
    return item
