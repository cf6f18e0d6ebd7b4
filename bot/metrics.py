"""Prometheus metrics of the running bot (served by the operators' port, articlebot/health.py).

Answers and their latency are observed where they happen; the flood limiter's counters are read at
scrape time from the limiter itself, so it keeps one set of counters (also shown by /stats).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

from prometheus_client import REGISTRY, Counter, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily
from prometheus_client.registry import Collector

QUESTIONS = Counter("articlebot_questions", "Questions by outcome (answer, error, cancelled) and answer mode.",
                    ["outcome", "mode"])
LATENCY = Histogram("articlebot_answer_seconds", "Time from a question's arrival to its answer, by answer mode.",
                    ["mode"], buckets=(0.25, 0.5, 1, 2, 3, 5, 8, 13, 21, 34, 60))
INGEST = Histogram("articlebot_ingest_seconds", "Index changes from the chat (/reload, /add, uploads) by kind.",
                   ["kind"], buckets=(0.5, 1, 2, 5, 10, 30, 60, 120, 300, 600, 1800))
# What the limiter counts, as Prometheus names: counters only grow; the rest are current levels.
_LIMITER_COUNTERS = {"messages": "sent messages", "previews": "sent streaming previews",
                     "previews_dropped": "streaming previews dropped to keep the budget for answers",
                     "http_429": "429 Too Many Requests answers from Telegram",
                     "global_pauses": "pauses of all sending after 429s in two chats"}


class LimiterCollector(Collector):
    """Reads `stats()` of the bot's current flood limiter at every scrape."""

    def __init__(self) -> None:
        self.stats: Callable[[], dict[str, Any]] | None = None

    def collect(self) -> Iterator[Any]:
        stats = self.stats() if self.stats is not None else {}
        for key, about in _LIMITER_COUNTERS.items():
            family = CounterMetricFamily(f"articlebot_telegram_{key}", f"Telegram: {about}.")
            family.add_metric([], float(stats.get(key, 0)))
            yield family
        waited = CounterMetricFamily("articlebot_telegram_waited_seconds", "Telegram: time messages waited for budget.")
        waited.add_metric([], float(stats.get("waited_s", 0.0)))
        yield waited
        queued = GaugeMetricFamily("articlebot_telegram_queued", "Telegram: messages waiting for the overall budget.")
        queued.add_metric([], float(stats.get("queued", 0)))
        yield queued


LIMITER = LimiterCollector()
REGISTRY.register(LIMITER)


def watch_limiter(stats: Callable[[], dict[str, Any]] | None) -> None:
    """Point the limiter metrics at this process's bot (one bot per process; tests build many)."""
    LIMITER.stats = stats


def answered(mode: str, seconds: float) -> None:
    QUESTIONS.labels("answer", mode).inc()
    LATENCY.labels(mode).observe(seconds)


def failed(outcome: str) -> None:
    QUESTIONS.labels(outcome, "").inc()
