"""The bot's flood limiter (answers wait their turn, previews give way, a 429 pauses one chat) and a
follow-up sent the instant an answer shows (what bench/load.py found)."""

from __future__ import annotations

import asyncio
import time

import pytest
from fakes.bot_harness import USER, ScriptedAnswerer, bot_settings, running_bot
from fakes.telegram_server import FakeTelegram
from telegram.error import RetryAfter

from bot.flood import PREVIEW, FloodLimiter, PreviewDropped

Q1 = "서울관에는 스타트업이 몇 개 참여했나?"


class Sent:
    """Callbacks for process_request that record when each request would have gone out."""

    def __init__(self, fail: dict[int, int] | None = None) -> None:
        self.at: list[tuple[int, float]] = []
        self.fail = dict(fail or {})  # chat -> how many 429s to answer first

    def __call__(self, chat: int):
        async def send() -> bool:
            if self.fail.get(chat):
                self.fail[chat] -= 1
                raise RetryAfter(1)
            self.at.append((chat, time.monotonic()))
            return True
        return send


async def _message(limiter: FloodLimiter, sent: Sent, chat: int) -> object:
    return await limiter.process_request(sent(chat), (), {}, "sendMessage", {"chat_id": chat}, None)


async def _preview(limiter: FloodLimiter, sent: Sent, chat: int, endpoint: str = "sendMessageDraft") -> bool:
    try:
        await limiter.process_request(sent(chat), (), {}, endpoint, {"chat_id": chat}, PREVIEW)
        return True
    except PreviewDropped:
        return False


async def test_messages_keep_the_overall_rate_and_previews_only_use_spare_budget():
    limiter = FloodLimiter(overall_per_sec=10)
    await limiter.initialize()
    sent = Sent()
    assert await _preview(limiter, sent, 1)  # an idle bot shows previews
    t0 = time.monotonic()
    tasks = [asyncio.create_task(_message(limiter, sent, chat)) for chat in range(2, 22)]
    await asyncio.sleep(0.05)
    assert not await _preview(limiter, sent, 1)  # answers are waiting: the preview gives way at once
    assert not await _preview(limiter, sent, 1, "editMessageText")
    await asyncio.gather(*tasks)
    took = time.monotonic() - t0
    assert 1.9 <= took <= 2.6, took  # 10 in any second, the preview being one: 9 now, 10 after 1 s, 1 after 2 s
    assert [c for c, _ in sent.at[1:]] == list(range(2, 22))  # in arrival order
    await asyncio.sleep(0.5)
    assert await _preview(limiter, sent, 1)  # budget refilled past the reserve
    assert limiter.stats()["previews_dropped"] == 2


def _most_in_any(times: list[float], period: float) -> int:
    times = sorted(times)
    return max((sum(1 for u in times[i:] if u - t < period) for i, t in enumerate(times)), default=0)


async def test_never_more_than_30_in_any_sliding_second_nor_20_in_any_minute_to_a_group():
    limiter = FloodLimiter()
    await limiter.initialize()
    sent = Sent()
    t0 = time.monotonic()
    await asyncio.gather(*(_message(limiter, sent, chat) for chat in range(1, 91)))
    times = [t for _, t in sent.at]
    assert _most_in_any(times, 1.0) <= 30, _most_in_any(times, 1.0)  # a bucket of 29 + 29/s sent ~58
    assert time.monotonic() - t0 < 3.3  # ... and no slower than the limit: 90 at 30/s is 2 s after the first 30

    group = FloodLimiter(group_per_min=20, chat_burst=100)
    await group.initialize()
    sent = Sent()
    tasks = [asyncio.create_task(_message(group, sent, -100)) for _ in range(21)]
    await asyncio.sleep(1.0)
    assert len(sent.at) == 20  # the 21st waits a minute after the first one finished
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


async def test_a_429_storm_is_retried_for_a_minute_or_more_then_given_up_and_logged(caplog):
    limiter = FloodLimiter()
    await limiter.initialize()
    assert limiter.retry_for >= 60
    sent = Sent(fail={1: 8})
    await asyncio.wait_for(_message(limiter, sent, 1), 15)  # 8 × retry_after 1 s: delivered, not dropped
    assert sent.at[-1][0] == 1

    short = FloodLimiter(retry_for=2.5)
    await short.initialize()
    with pytest.raises(RetryAfter):
        await _message(short, Sent(fail={2: 10}), 2)
    assert short.stats()["given_up"] == 1 and short.stats()["http_429"] == 3
    assert any("gave up" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


async def test_a_429_pauses_its_chat_only_and_429s_in_two_chats_pause_everything():
    limiter = FloodLimiter()
    await limiter.initialize()
    sent = Sent(fail={1: 1})
    t0 = time.monotonic()
    first = asyncio.create_task(_message(limiter, sent, 1))
    await asyncio.sleep(0.05)
    await _message(limiter, sent, 2)
    assert time.monotonic() - t0 < 0.5  # another chat is not held up
    assert not await _preview(limiter, sent, 1)  # nor does the paused chat get previews
    await first
    assert sent.at[-1][0] == 1 and sent.at[-1][1] - t0 >= 1.0  # retried after retry_after

    sent = Sent(fail={3: 1, 4: 1})
    t0 = time.monotonic()
    await asyncio.gather(_message(limiter, sent, 3), _message(limiter, sent, 4))
    await _message(limiter, sent, 5)
    assert sent.at[-1][1] - t0 >= 1.0  # two chats limited at once: the bot's budget, everyone waits
    assert limiter.stats()["global_pauses"] == 1 and limiter.stats()["http_429"] == 3


async def test_a_groups_budget_keeps_a_reserve_for_answers():
    limiter = FloodLimiter(group_per_min=5, chat_burst=10)  # reserve: 1 of 5; the chat's own budget aside
    await limiter.initialize()
    sent = Sent()
    for _ in range(3):
        await _message(limiter, sent, -100)
    assert await _preview(limiter, sent, -100, "editMessageText")  # 2 left: one may go to a preview
    assert not await _preview(limiter, sent, -100, "editMessageText")  # the last one is the answer's
    await asyncio.wait_for(_message(limiter, sent, -100), 0.5)
    assert await _preview(limiter, sent, 7)  # private chats have their own budget


async def test_a_placeholder_or_edit_leaves_the_chats_last_message_to_the_answer():
    limiter = FloodLimiter()  # a chat: about 1 message/s, bursts of 3
    await limiter.initialize()
    sent = Sent()
    assert await _preview(limiter, sent, -100, "sendMessage")  # a group answer streams into a placeholder
    await _message(limiter, sent, -100)  # ... and ends with its final edit
    # A follow-up answered within the second: its placeholder would take the burst's last message and
    # the final edit would meet a 429 (1 s lost). It gives way; the answer is sent as a new message.
    assert not await _preview(limiter, sent, -100, "sendMessage")
    assert not await _preview(limiter, sent, -100, "editMessageText")
    await asyncio.wait_for(_message(limiter, sent, -100), 0.5)  # messages never wait for the chat's budget
    assert await _preview(limiter, sent, -100 - 1, "sendMessage")  # another chat has its own
    for _ in range(3):
        await _message(limiter, sent, 7)
    assert not await _preview(limiter, sent, 7, "editMessageText")
    assert await _preview(limiter, sent, 7, "sendMessageDraft")  # a draft is no message in the chat
    await asyncio.sleep(2.1)  # 1 message/s: two more, one of them spare
    assert await _preview(limiter, sent, -100, "editMessageText")


@pytest.mark.parametrize("delay", [0.0, 0.3])
async def test_a_follow_up_sent_the_moment_the_answer_shows_is_answered_with_its_history(tmp_path, service, delay):
    answerer = ScriptedAnswerer(service, delay=delay)
    follow_ups: list[dict] = []
    with FakeTelegram() as tg:
        def person(call) -> None:  # runs as the answer arrives, before the bot hears back from Telegram
            if call.method == "sendMessage" and "reply_markup" in call.params and not follow_ups:
                follow_ups.append(tg.message("그중 혁신상을 받은 기업은?"))

        tg.observers.append(person)
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer):
            tg.message(Q1)
            await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == USER and "reply_markup" in c.params
                          and c.params.get("reply_parameters", {}).get("message_id") == 3, timeout=10)
    assert not any("still answering" in str(c.params.get("text", "")) for c in tg.calls)
    assert [q for q, _ in answerer.calls] == [Q1, "그중 혁신상을 받은 기업은?"]
    assert [t.content for t in answerer.calls[1][1]][:1] == [Q1]  # the first exchange was in the history


async def test_previews_leave_a_slot_for_the_final_message_of_every_answer_being_written():
    limiter = FloodLimiter(overall_per_sec=10)  # reserve: 2 of 10
    await limiter.initialize()
    sent = Sent()
    for chat in range(1, 9):
        limiter.answer_started(chat)
    # Eight answers on their way and nothing queued yet: a preview now would take a slot one of them
    # needs within the second (60 chats asking at once lost a second to their own drafts).
    assert not await _preview(limiter, sent, 1)
    assert not await _preview(limiter, sent, 1, "editMessageText")
    limiter.answer_ended(8)
    limiter.answer_ended(8)  # ending twice (an error after the final message) changes nothing more
    assert limiter.stats()["writing"] == 7
    assert await _preview(limiter, sent, 1)  # 10 free: the preview, 7 answers, the reserve of 2
    for chat in range(1, 8):
        limiter.answer_ended(chat)
    assert limiter.stats()["writing"] == 0 and not limiter.writing  # nothing kept per chat
    assert limiter.stats()["previews_dropped"] == 2


async def test_a_group_preview_leaves_the_groups_budget_to_the_answer_being_written_there():
    limiter = FloodLimiter(group_per_min=6, chat_burst=10)  # reserve: 1.2 of 6
    await limiter.initialize()
    sent = Sent()
    for _ in range(3):
        await _message(limiter, sent, -100)
    limiter.answer_started(-100)
    assert not await _preview(limiter, sent, -100, "editMessageText")  # 3 left: preview + answer + reserve > 3
    assert await _preview(limiter, sent, -200, "sendMessage")  # another group's answer is not this one's
    limiter.answer_ended(-100)
    assert await _preview(limiter, sent, -100, "editMessageText")
