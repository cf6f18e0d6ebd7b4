"""The bot with the real LLM answerer (LangChain + openai client) against the fake OpenAI server."""

from __future__ import annotations

import asyncio
import time

from fakes.bot_harness import USER, bot_settings, from_bot, running_bot
from fakes.openai_server import FakeOpenAI, Reply, cite, fake_openai, is_rewrite  # noqa: F401 (fixture)
from fakes.telegram_server import FakeTelegram

from articlebot.compose import build_answerer

Q = "서울관에는 스타트업이 몇 개 참여했나?"


def _llm_settings(tg: FakeTelegram, openai: FakeOpenAI, tmp_path):
    return bot_settings(tg, tmp_path / "bot", openai_api_key="test", openai_base_url=openai.base_url,
                        llm_model="fake-model", llm_retries=0)


SECOND = " 특히, 참여기업 중 18개 기업이 CES 2024 혁신상을 수상했고, 2개 기업은 참여기업 중 1%에만 주어지는 최고혁신상의 영예를 안았습니다 [{n}]."
GPT_STYLE = "- **{sentence}** [{n}]\n- 참여기업 중 **18개 기업**이 CES 2024 혁신상을 수상했습니다 [{n}]."


async def answered(tg: FakeTelegram):
    """Ask Q in the private chat; the final answer message (the one with the Sources button)."""
    tg.message(Q)
    return await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == USER and "reply_markup" in c.params,
                         timeout=30)


async def test_llm_answers_stream_checked_sentences_as_drafts_and_end_cited_with_tokens_counted(tmp_path, service,
                                                                                                 fake_openai):
    fake_openai.handler = cite("스타트업 81개", "{sentence} [{n}]" + SECOND)
    fake_openai.chunk_delay = 0.15  # a model that writes for about two seconds
    with FakeTelegram() as tg:
        settings = _llm_settings(tg, fake_openai, tmp_path)
        async with running_bot(settings, service, build_answerer(settings, service)):
            final = await answered(tg)
            assert "81" in final.params["text"] and "[1]" in final.params["text"]
            drafts = [c.params["text"] for c in tg.calls_to("sendMessageDraft", USER)]
            assert len(drafts) >= 2 and "최고혁신상" not in drafts[0]  # checked sentences, visible while written
            tg.message("/stats", user_id=900)
            stats = await tg.wait("sendMessage", from_bot(900, "Usage"))
            assert "llm: 1" in stats.params["text"] and "0 prompt" not in stats.params["text"]

            since = tg.mark()
            tg.message("그중 혁신상을 받은 기업은?")  # a follow-up: the chain rewrites it with the history
            await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == USER and c.params.get("parse_mode"),
                          since=since, timeout=30)
            assert any(is_rewrite(body) and Q in str(body) for body in fake_openai.chat_requests)


async def test_two_chats_with_a_slow_llm_finish_together(tmp_path, service, fake_openai):
    fake_openai.handler = cite("스타트업 81개")
    fake_openai.delay = 1.5
    chats = [USER, USER + 1, USER + 2, -100900]
    with FakeTelegram() as tg:
        settings = _llm_settings(tg, fake_openai, tmp_path)
        async with running_bot(settings, service, build_answerer(settings, service)):
            t0 = time.monotonic()
            for chat in chats:
                if chat > 0:
                    tg.message(Q, user_id=chat)
                else:
                    tg.message(f"/ask {Q}", chat_id=chat, chat_type="group")
            done = []
            for chat in chats:
                method = "sendMessage" if chat > 0 else "editMessageText"
                call = await tg.wait(method, lambda c, chat=chat: c.params.get("chat_id") == chat
                                     and "reply_markup" in c.params, timeout=30)
                done.append(call.at - t0)
            assert max(done) < 1.5 * 2, done  # one slow call at a time would take 6 s
            assert max(done) - min(done) < 0.8, done


async def test_markdown_from_the_model_reaches_telegram_as_html(tmp_path, service, fake_openai):
    fake_openai.handler = cite("스타트업 81개", GPT_STYLE)
    with FakeTelegram() as tg:
        settings = _llm_settings(tg, fake_openai, tmp_path)
        async with running_bot(settings, service, build_answerer(settings, service)):
            final = await answered(tg)
            text = final.params["text"]
            assert "**" not in text and "<b>18개 기업</b>" in text and "\n• 참여기업 중" in text and "[1]" in text
            assert all("**" not in c.params["text"] for c in tg.calls_to("sendMessageDraft", USER))


async def test_an_llm_outage_opens_the_circuit_answers_at_once_then_tries_again(tmp_path, service, fake_openai):
    from articlebot.compose import make_breaker

    fake_openai.handler = lambda body: Reply(status=500, delay=0.3)  # every call fails, a little slowly
    with FakeTelegram() as tg:
        settings = _llm_settings(tg, fake_openai, tmp_path).model_copy(
            update={"llm_breaker_failures": 2, "llm_breaker_cooldown": 2.0})
        breaker = make_breaker(settings)
        answerer = build_answerer(settings, service, breaker)

        async def ask(chat: int) -> str:
            since = tg.mark()
            tg.message(Q, user_id=chat)
            call = await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == chat and "reply_markup" in c.params,
                                 since=since, timeout=30)
            return call.params["text"]

        async with running_bot(settings, service, answerer, llm_state=breaker.state):
            for chat in (USER, USER + 1):
                assert "HTTP 500" in await ask(chat)
            calls = len(fake_openai.chat_requests)
            paused = await ask(USER + 2)
            assert "paused" in paused and "81" in paused  # the extractive answer, with the note
            assert len(fake_openai.chat_requests) == calls  # ... without calling the LLM at all
            tg.message("/stats", user_id=900)
            stats = await tg.wait("sendMessage", from_bot(900, "Usage"))
            assert "LLM circuit breaker: open" in stats.params["text"]

            await asyncio.sleep(2.1)  # the cool-down: the next question tries the LLM again, and it is back
            fake_openai.handler = cite("스타트업 81개")
            assert "[1]" in await ask(USER + 3) and len(fake_openai.chat_requests) == calls + 1
            assert breaker.state() == "closed"
