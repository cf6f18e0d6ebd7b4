"""The LLM circuit breaker: N failures in a row open it, the cool-down ends in one trial call."""

from __future__ import annotations

import pytest

from retrieval.errors import LLMUnavailable
from retrieval.llm.breaker import CircuitBreaker, GuardedPolicy
from retrieval.llm.client import RetryPolicy


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _fail():
    raise ConnectionError("down")


def test_failures_in_a_row_open_it_and_a_failed_trial_opens_it_again(caplog):
    clock = Clock()
    breaker = CircuitBreaker(failures=3, cooldown=60, clock=clock)
    policy = GuardedPolicy(RetryPolicy(0, 1.0), breaker)
    for _ in range(2):
        with pytest.raises(ConnectionError):
            policy.call(_fail)
    assert policy.call(lambda: "ok") == "ok" and breaker.state() == "closed"  # a success resets the count
    for _ in range(3):
        with pytest.raises(ConnectionError):
            policy.call(_fail)
    with pytest.raises(LLMUnavailable, match="paused for 60 s after 3 failures"):
        policy.call(lambda: "never called")
    assert breaker.state().startswith("open")
    clock.now = 61
    with pytest.raises(ConnectionError):  # the trial call fails: open again, for a whole cool-down
        policy.call(_fail)
    clock.now = 100
    with pytest.raises(LLMUnavailable):
        policy.call(lambda: "never called")
    clock.now = 122
    assert policy.call(lambda: "back") == "back" and breaker.state() == "closed"
    said = [r.getMessage() for r in caplog.records]
    assert any("circuit open" in m for m in said) and any("circuit closed" in m for m in said)


async def test_streams_count_the_first_chunk_as_success_and_one_trial_at_a_time():
    clock = Clock()
    breaker = CircuitBreaker(failures=1, cooldown=10, clock=clock)
    policy = GuardedPolicy(RetryPolicy(0, 1.0), breaker)
    with pytest.raises(ConnectionError):
        async for attempt in policy.attempts():
            with attempt:
                _fail()
    clock.now = 11
    trial = policy.attempts()
    attempt = await anext(trial)  # the trial call is in flight ...
    with pytest.raises(LLMUnavailable):
        await anext(policy.attempts())  # ... so others answer extractively at once
    with attempt:
        pass
    with pytest.raises(StopAsyncIteration):
        await anext(trial)
    assert breaker.state() == "closed"
