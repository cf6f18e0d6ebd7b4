"""A chat that went quiet starts afresh: after ARTICLEBOT_CONVERSATION_EXPIRY_MINUTES of silence the old
exchange is not history any more, and the answer says so in one line."""

from __future__ import annotations

import pytest
from fakes.bot_harness import USER, ScriptedAnswerer, bot_settings, from_bot, running_bot
from fakes.telegram_server import FakeTelegram

from bot.context import KEY

Q1 = "AI 서울테크시티는 어디에 조성되나?"
Q2 = "규모는?"


async def ask(tg: FakeTelegram, text: str) -> str:
    since = tg.mark()
    tg.message(text, user_id=USER)
    return (await tg.wait("sendMessage", from_bot(USER, "답변"), since=since)).params["text"]


@pytest.mark.parametrize(("minutes", "expires"), [(60, True), (0, False)])
async def test_a_follow_up_after_the_silence_starts_a_new_conversation(tmp_path, service, minutes, expires):
    answerer = ScriptedAnswerer(service)
    with FakeTelegram() as tg:
        settings = bot_settings(tg, tmp_path, conversation_expiry_minutes=minutes)
        async with running_bot(settings, service, answerer) as app:
            store = app.bot_data[KEY].store
            first = await ask(tg, Q1)
            assert "new conversation" not in first
            store._q("UPDATE turns SET created = created - 2 * 3600 WHERE chat_id = ?", (USER,))  # two hours ago
            second = await ask(tg, Q2)
            third = await ask(tg, Q2)
    history_of_second, history_of_third = answerer.calls[1][1], answerer.calls[2][1]
    if expires:
        assert history_of_second == [] and "(A new conversation: the last one was over 60 minutes ago.)" in second
        assert [t.content for t in history_of_third][0] == Q2, "the new conversation goes on as usual"
        assert "new conversation" not in third
    else:
        assert [t.content for t in history_of_second][0] == Q1 and "new conversation" not in second


def test_dropping_turns_keeps_the_sources_of_old_answers():
    from bot.storage import BotStore
    from retrieval.models import Answer, Citation

    store = BotStore(":memory:")
    cite = Citation(1, "a", "t", "a#1", "q", "p")
    answer_id = store.save_answer(5, "질문", [cite])
    store.add_exchange(5, "질문", Answer("질문", "질문", "답 [1]", True, "llm", [cite]), 12)
    assert store.last_turn_at(5) is not None
    assert store.drop_turns(5) == 2
    assert store.history(5, 12) == [] and store.last_turn_at(5) is None
    assert store.citations(5, answer_id) == [cite]
