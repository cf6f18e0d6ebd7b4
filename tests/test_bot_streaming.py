"""One answer's messages (bot/streaming.py): the flood limiter knows the answer is being written until its
final message is handed over, so previews elsewhere leave it a slot."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

from fakes.bot_harness import USER, ScriptedAnswerer, bot_settings, from_bot, running_bot
from fakes.telegram_server import FakeTelegram

from bot.flood import FloodLimiter
from bot.streaming import AnswerReply

Q1 = "서울관에는 스타트업이 몇 개 참여했나?"


async def test_an_answer_counts_as_being_written_from_its_start_until_finish_or_close():
    limiter = FloodLimiter()
    bot = SimpleNamespace(rate_limiter=limiter)
    first = AnswerReply(bot, 7, None, private=True)
    second = AnswerReply(bot, 8, None, private=False)
    assert limiter.stats()["writing"] == 2
    assert await first.finish([], None) == []  # handed over: its parts queue like any message
    assert limiter.stats()["writing"] == 1
    second.close()
    second.close()  # the caller's `finally` closes again after a failure: no double count
    assert limiter.stats()["writing"] == 0 and not limiter.writing
    AnswerReply(SimpleNamespace(), 9, None, private=True).close()  # a bot without the limiter: nothing to count


class HeldAnswerer(ScriptedAnswerer):
    """Answers only when the test lets it, so the test sees the answer in flight."""

    def __init__(self, service, **kw) -> None:
        super().__init__(service, **kw)
        self.waiting, self.release = asyncio.Event(), asyncio.Event()

    async def astream(self, question, history=(), article_id=None):
        self.waiting.set()
        await self.release.wait()
        async for item in super().astream(question, history, article_id):
            yield item


async def test_the_bot_counts_an_answer_in_flight_and_forgets_it_after_the_answer_or_an_error(tmp_path, service):
    def reply(question, passages):
        if "실패" in question:
            raise RuntimeError("the model broke")
        return f"답변: {question} [1]"

    answerer = HeldAnswerer(service, pieces=3, reply=reply)
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer) as app:
            limiter = app.bot.rate_limiter
            assert isinstance(limiter, FloodLimiter)
            since = tg.mark()
            tg.message(Q1)
            await asyncio.wait_for(answerer.waiting.wait(), 10)
            assert limiter.stats()["writing"] == 1
            answerer.release.set()
            await tg.wait("sendMessage", lambda c: from_bot(USER)(c) and "reply_markup" in c.params, since=since)
            assert limiter.stats()["writing"] == 0

            since = tg.mark()
            tg.message("실패하는 질문")
            await tg.wait("sendMessage", lambda c: from_bot(USER)(c) and c.params.get("parse_mode") == "HTML"
                          and "reply_markup" not in c.params, since=since)
            assert limiter.stats()["writing"] == 0 and not limiter.writing
