"""Telegram misbehaves (429, 502, dropped connections on getUpdates and sendMessage, lost responses, a
restart in between): every question is answered exactly once.

"Exactly once" is checked on the fake's side: each question gets one successful sendMessage replying to
it, and the answerer sees each question once. Which drops can be survived without a duplicate:

  * a getUpdates response lost after Telegram sent it is harmless: updates are confirmed only by the
    next call's `offset`, so the same updates come again and nothing was processed yet;
  * a sendMessage connection dropped *before* the Bot API handled it (a reset at a proxy, `drop_next`)
    delivered nothing: the bot retries, and the reply arrives once;
  * a sendMessage whose response never comes back (a timeout) may well have been delivered; the Bot
    API has no idempotency key, so the bot must not send it again (it says the reply may have failed).
    A connection dropped *after* the message was posted looks, to the bot, exactly like the first
    kind of drop; the bot retries those (a lost answer is the likelier harm), so that case is not
    claimed here.
"""

from __future__ import annotations

import asyncio
import time
from collections import Counter

from aiohttp import web
from fakes.bot_harness import (
    USER,
    ScriptedAnswerer,
    bot_settings,
    from_bot,
    running_bot,
)
from fakes.telegram_server import Call, FakeTelegram, RateLimits

QUESTIONS = ["서울관에는 스타트업이 몇 곳 참여했나?", "AI 서울테크시티는 어디에 있나?", "CES는 언제 열리나?"]
CHATS = [USER, 1002, 1003]
BOUND = 45.0  # seconds for any one reply: retries and backoffs take a few, a busy machine more


class LossyTelegram(FakeTelegram):
    """FakeTelegram that can also lose responses after handling them, and take getUpdates offline."""

    def __init__(self, **kw) -> None:
        super().__init__(**kw)
        self.lose_after: list[str] = []  # methods whose next response is lost after the call was handled
        self.lose_delivery = False  # lose the next getUpdates response that carries updates
        self.updates_down = False  # getUpdates answers 502 before reaching the Bot API (confirms nothing)
        self.down_after_delivery = False  # set updates_down as soon as a getUpdates delivers something
        self.delivered: list[int] = []  # update ids in every getUpdates result, lost ones included

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        method = request.match_info["method"]
        if method == "getUpdates" and self.updates_down:
            with self._lock:
                self.calls.append(Call(method, {}, time.monotonic(), 502))
            return web.Response(status=502, text="<html>Bad Gateway</html>", content_type="text/html")
        delivered = len(self.delivered)
        response = await super()._handle(request)
        with self._lock:
            lose = method in self.lose_after
            if lose:
                self.lose_after.remove(method)
            elif self.lose_delivery and len(self.delivered) > delivered:
                lose, self.lose_delivery = True, False
        if lose:  # handled and recorded, but the bot never hears back
            assert request.transport is not None
            request.transport.close()
            raise asyncio.CancelledError
        return response

    async def _m_getUpdates(self, p: dict) -> list[dict]:
        updates = await super()._m_getUpdates(p)
        self.delivered += [u["update_id"] for u in updates]
        if updates and self.down_after_delivery:
            self.updates_down = True
        return updates


def replies_to(tg: FakeTelegram, msg: dict) -> list[Call]:
    """Successful sendMessage calls that reply to this user message."""
    chat, mid = msg["chat"]["id"], msg["message_id"]
    return [c for c in tg.calls_to("sendMessage", chat)
            if (c.params.get("reply_parameters") or {}).get("message_id") == mid]


async def answer_of(tg: FakeTelegram, msg: dict) -> Call:
    return await tg.wait("sendMessage", lambda c: c in replies_to(tg, msg), timeout=BOUND)


def assert_exactly_once(tg: FakeTelegram, answerers: list[ScriptedAnswerer], asked: list[dict]) -> None:
    for msg in asked:
        assert len(replies_to(tg, msg)) == 1, (msg["text"], tg.summary())
    seen = Counter(q for a in answerers for q, _ in a.calls)
    assert seen == Counter(m["text"] for m in asked if not m["text"].startswith("/")), seen


async def test_faults_on_polling_and_sending_lose_no_reply_and_send_none_twice(tmp_path, service):
    answerer = ScriptedAnswerer(service)
    asked: list[dict] = []
    with LossyTelegram(rate_limits=RateLimits(overall_per_sec=2.0)) as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer):
            # Round 1: polling fails every way while three chats ask at once; the overall limit of 2/s
            # turns the burst of answers into genuine 429s with retry_after.
            tg.drop_next("getUpdates")
            tg.fail_next("getUpdates", status=502)
            tg.lose_delivery = True
            asked += [tg.message(q, user_id=chat) for q, chat in zip(QUESTIONS, CHATS)]
            await asyncio.gather(*(answer_of(tg, m) for m in asked))
            assert len(tg.delivered) > len(set(tg.delivered)), "the lost batch was delivered again"

            # Round 2: the answers' own sends fail once each (502, a drop before handling), then a 429.
            tg.fail_next("sendMessage", status=502)
            tg.drop_next("sendMessage")
            tg.rate_limits = RateLimits(per_chat_burst=1)
            # /help first spends chat 1002's burst, so the answer after it meets a 429; its own reply
            # is a reply that must not be lost either.
            round2 = [tg.message("/help", user_id=CHATS[1])]
            round2 += [tg.message(f"{q} 다시", user_id=chat) for q, chat in zip(QUESTIONS, CHATS)]
            await asyncio.gather(*(answer_of(tg, m) for m in round2))
            asked += round2
            await asyncio.sleep(1.0)  # a late duplicate would show up now
    statuses = Counter(c.status for c in tg.calls if c.method == "sendMessage")
    assert statuses[502] >= 1 and statuses[0] >= 1 and statuses[429] >= 1, statuses
    assert_exactly_once(tg, [answerer], asked)


async def test_a_reply_whose_response_times_out_is_not_sent_again(tmp_path, service):
    answerer = ScriptedAnswerer(service)
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer):
            # PTB's read timeout is 5 s; the fake posts the message after 6 s, when the bot gave up.
            tg.delay_next("sendMessage", seconds=6.0)
            msg = tg.message(QUESTIONS[0])
            await answer_of(tg, msg)
            # The bot says the reply may have failed, without claiming it did.
            await tg.wait("sendMessage", from_bot(USER, "Telegram"), timeout=BOUND)
            await asyncio.sleep(1.0)
        texts = [m.text for m in tg.sent(USER)]
        assert sum(QUESTIONS[0] in t for t in texts) == 1, texts
        assert any("may not have reached you" in t for t in texts), texts
        assert [q for q, _ in answerer.calls] == [QUESTIONS[0]]


async def test_updates_are_not_processed_again_after_a_restart(tmp_path, service):
    tg = LossyTelegram()
    first, second, third = ScriptedAnswerer(service), ScriptedAnswerer(service), ScriptedAnswerer(service)
    with tg:
        settings = bot_settings(tg, tmp_path / "bot")
        async with running_bot(settings, service, first):
            asked = [tg.message(q, user_id=chat) for q, chat in zip(QUESTIONS[:2], CHATS)]
            await asyncio.gather(*(answer_of(tg, m) for m in asked))
        # A clean stop confirms what was fetched (PTB's last getUpdates carries the new offset).
        assert not tg._updates
        async with running_bot(settings, service, second):
            asked.append(tg.message(QUESTIONS[2], user_id=CHATS[2]))
            await answer_of(tg, asked[-1])

            # Now Telegram becomes unreachable for polling right after delivering a question, and stays
            # so through the stop: nothing confirms that update to Telegram before the restart.
            tg.down_after_delivery = True
            asked.append(tg.message("서울관은 어디에 있나?", user_id=CHATS[0]))
            await answer_of(tg, asked[-1])
        tg.updates_down = tg.down_after_delivery = False
        pending = len(tg._updates)

        async with running_bot(settings, service, third):
            asked.append(tg.message("다음 질문입니다", user_id=CHATS[1]))
            await answer_of(tg, asked[-1])
            await asyncio.sleep(1.0)
    assert pending >= 1, "the last answered update was still pending at Telegram (the case under test)"
    assert max(Counter(tg.delivered).values()) == 2, "... and was delivered again after the restart"
    assert_exactly_once(tg, [first, second, third], asked)
    assert [q for q, _ in third.calls] == ["다음 질문입니다"]


async def test_replies_and_answers_outlast_a_429_storm(tmp_path, service):
    answerer = ScriptedAnswerer(service)
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer):
            # 429 with retry_after 2 s on the next 4 messages: the old limiter gave up
            # after 4 tries and the reply was lost (replaced by an apology that was rate-limited too).
            tg.flood_next("sendMessage", retry_after=2, count=4)
            start = tg.message("/start")
            await tg.wait("sendMessage", lambda c: c in replies_to(tg, start), timeout=BOUND)
            tg.flood_next("sendMessage", retry_after=1, count=4)
            await answer_of(tg, tg.message(QUESTIONS[0], user_id=CHATS[1]))
    assert sum(c.status == 429 for c in tg.calls) == 8
    assert not any("Telegram did not accept" in str(c.params.get("text", "")) for c in tg.calls)


async def test_an_unreadable_update_is_skipped_once_and_polling_goes_on(tmp_path, service, caplog):
    answerer = ScriptedAnswerer(service)
    secret = "내 비밀번호는 hunter2"
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer):
            polls = len(tg.calls_to("getUpdates"))
            bad = tg.push_update({"message": {"message_id": 7, "chat": {"id": USER, "type": "private"},
                                              "from": {"id": USER, "is_bot": False, "first_name": "U"},
                                              "text": secret}})  # no `date`: PTB cannot parse it
            good = tg.message(QUESTIONS[0])
            await answer_of(tg, good)
            await asyncio.sleep(0.5)
            assert len(tg.calls_to("getUpdates")) - polls < 20  # PTB fetched such a batch 3,050 times in 25 s
    said = [r for r in caplog.records if str(bad["update_id"]) in r.getMessage() and "could not be read" in r.getMessage()]
    assert len(said) == 1 and said[0].levelname == "ERROR"
    assert not [r for r in caplog.records if "hunter2" in r.getMessage() or "hunter2" in str(r.exc_text or "")]
    assert [q for q, _ in answerer.calls] == [QUESTIONS[0]]
