"""Per-user daily budgets: questions, and LLM tokens when an LLM answers; shown by /stats."""

from __future__ import annotations

import pytest
from fakes.bot_harness import ADMIN, USER, ScriptedAnswerer, bot_settings, from_bot, running_bot
from fakes.telegram_server import FakeTelegram

from bot.access import DailyBudget, OverBudget
from bot.storage import BotStore
from bot.texts import error
from retrieval.models import Answer


def test_budget_counts_questions_and_tokens_per_utc_day():
    used = {"q": 0, "t": 0}
    budget = DailyBudget(lambda uid, since: (used["q"], used["t"]), questions=3, tokens=1000)
    budget.check(1)
    used["q"] = 3
    with pytest.raises(OverBudget) as err:
        budget.check(1)
    assert err.value.what == "questions" and err.value.limit == 3 and 0 < err.value.resets_in <= 86400
    used.update(q=0, t=1000)
    with pytest.raises(OverBudget, match="tokens"):
        budget.check(1)
    DailyBudget(lambda uid, since: (10**6, 10**9)).check(1)  # both off: no limit
    assert DailyBudget.day_start(86400 * 3 + 5000) == 86400 * 3


def test_over_budget_is_told_in_the_users_language():
    exc = OverBudget("tokens", 5000, 3 * 3600)
    assert error(exc, "en") == "You have used today's LLM tokens (5000). More at midnight UTC, in 3 h."
    assert "LLM 토큰(5000)" in error(exc, "ko") and "3시간" in error(exc, "ko")


def test_usage_is_read_from_the_events():
    store = BotStore(":memory:")
    llm = Answer("q", "q", "a [1]", True, "llm", usage={"input_tokens": 300, "output_tokens": 50})
    for _ in range(2):
        store.record(1, 10, "answer", llm, 10.0)
    store.record(1, 10, "error")
    store.record(2, 20, "answer", llm, 10.0)
    start = DailyBudget.day_start()
    assert store.user_usage(1, start) == (2, 700) and store.user_usage(3, start) == (0, 0)
    assert store.users_at_limit(start, 2, 0) == 1 and store.users_at_limit(start, 0, 350) == 2
    assert store.users_at_limit(start, 0, 0) == 0
    assert store.users_at_limit(start, 0, 350, exempt=[1]) == 1, "admins are exempt"


async def test_the_bot_refuses_past_the_budget_and_stats_shows_it(tmp_path, service):
    with FakeTelegram() as tg:
        settings = bot_settings(tg, tmp_path, daily_questions_per_user=2)
        async with running_bot(settings, service, ScriptedAnswerer(service)):
            for _ in range(2):
                since = tg.mark()
                tg.message("서울관에는 스타트업이 몇 개 참여했나?", user_id=USER)
                await tg.wait("sendMessage", from_bot(USER, "답변"), since=since)
            tg.message("하나 더?", user_id=USER)
            refused = await tg.wait("sendMessage", from_bot(USER, "today's questions (2)"))
            assert "midnight UTC" in refused.params["text"]
            for _ in range(3):  # admins are exempt
                since = tg.mark()
                tg.message("서울관에는 스타트업이 몇 개 참여했나?", user_id=ADMIN)
                await tg.wait("sendMessage", from_bot(ADMIN, "답변"), since=since)
            tg.message("/stats", user_id=ADMIN)
            stats = (await tg.wait("sendMessage", from_bot(ADMIN, "Usage"))).params["text"]
    assert "Daily budget per user: 2 questions, no limit LLM tokens; users at a limit today: 1" in stats
