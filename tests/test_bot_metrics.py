"""Operators' numbers: Prometheus metrics of answers, Telegram limits and index changes; /stats by window."""

from __future__ import annotations

import asyncio
import time

from fakes.bot_harness import ADMIN, USER, ScriptedAnswerer, bot_settings, from_bot, running_bot
from fakes.telegram_server import FakeTelegram
from prometheus_client import REGISTRY

from bot.admin import window_seconds
from bot.storage import BotStore
from retrieval.models import Answer


def sample(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


async def settled(name: str, want: float, **labels: str) -> float:
    """The sample once it reaches `want`, or after 5 s: the bot counts an answer (with its latency, which
    includes sending it) after Telegram has taken the reply, a moment after the fake server has seen it."""
    deadline = time.monotonic() + 5
    while (value := sample(name, **labels)) != want and time.monotonic() < deadline:
        await asyncio.sleep(0.01)
    return value


def test_limiter_counters_are_read_at_scrape_time():
    from bot import metrics

    counts = {"messages": 5, "previews": 2, "previews_dropped": 3, "http_429": 4, "global_pauses": 1,
              "waited_s": 1.5, "queued": 2}
    metrics.watch_limiter(lambda: counts)
    try:
        assert sample("articlebot_telegram_http_429_total") == 4
        assert sample("articlebot_telegram_previews_dropped_total") == 3
        counts["http_429"] = 6
        assert sample("articlebot_telegram_http_429_total") == 6
        assert sample("articlebot_telegram_queued") == 2 and sample("articlebot_telegram_waited_seconds_total") == 1.5
    finally:
        metrics.watch_limiter(None)


def test_window_seconds():
    assert window_seconds("7d") == 7 * 86400 and window_seconds("24h") == 86400
    assert window_seconds("30m") == 1800 and window_seconds("2W") == 14 * 86400
    assert window_seconds("0d") is None and window_seconds("7 days") is None and window_seconds("d") is None


def test_stats_count_only_events_inside_the_window():
    store = BotStore(":memory:")
    answer = Answer("q", "q", "a [1]", True, "llm", usage={"input_tokens": 10, "output_tokens": 5})
    store.record(1, 10, "answer", answer, 100.0)
    store.record(2, 20, "error")
    store.record(3, 30, "answer", answer, 300.0)
    store._q("UPDATE events SET created = created - 10 * 86400 WHERE user_id = 1")  # ten days ago
    week = store.stats(time.time() - 7 * 86400)
    assert (week["users"], week["questions"], week["errors"], week["chats"]) == (2, 2, 1, 2)
    assert week["answers_by_mode"] == {"llm": 1} and week["prompt_tokens"] == 10
    assert week["latency_p50_ms"] == 300.0
    ever = store.stats()
    assert ever["questions"] == 3 and ever["prompt_tokens"] == 20 and ever["answers_by_mode"] == {"llm": 2}


async def test_answers_429s_and_reloads_reach_the_metrics_and_stats(tmp_path, service):
    before = sample("articlebot_questions_total", outcome="answer", mode="llm")
    latency_before = sample("articlebot_answer_seconds_count", mode="llm")
    reloads = sample("articlebot_ingest_seconds_count", kind="reload")
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path), service, ScriptedAnswerer(service)):
            tg.message("서울관에는 스타트업이 몇 개 참여했나?", user_id=USER)
            await tg.wait("sendMessage", from_bot(USER, "답변"), timeout=20)
            answered = await settled("articlebot_questions_total", before + 1, outcome="answer", mode="llm")
            assert answered == before + 1
            timed = await settled("articlebot_answer_seconds_count", latency_before + 1, mode="llm")
            assert timed == latency_before + 1
            assert sample("articlebot_telegram_messages_total") >= 1
            tg.message("/reload", user_id=ADMIN)
            await tg.wait("editMessageText", from_bot(ADMIN, "Reloaded"), timeout=60)
            assert sample("articlebot_ingest_seconds_count", kind="reload") == reloads + 1
            tg.message("/stats 7d", user_id=ADMIN)
            week = (await tg.wait("sendMessage", from_bot(ADMIN, "Usage"))).params["text"]
            assert "(last 7d)" in week and "Questions: 1" in week and "Telegram flood limits" in week
            assert "429s" in week and "dropped" in week
            tg.message("/stats lately", user_id=ADMIN)
            await tg.wait("sendMessage", from_bot(ADMIN, "Usage: /stats"))
