"""Flood limits and faults: the fake server enforces and injects them; the bot rides them out."""

from __future__ import annotations

import time

import httpx
import pytest
from fakes.bot_harness import (
    USER,
    ScriptedAnswerer,
    bot_settings,
    from_bot,
    running_bot,
)
from fakes.telegram_server import FakeTelegram, RateLimits

Q1 = "오세훈 시장이 조성한다는 AI 서울테크시티는 어디에 있나?"


_http = httpx.Client(timeout=5)  # keep-alive: a burst must arrive faster than the buckets refill


def _send(tg: FakeTelegram, chat_id: int, method: str = "sendMessage") -> httpx.Response:
    return _http.post(f"{tg.base_url}{tg.token}/{method}", data={"chat_id": str(chat_id), "text": "hi"})


def test_fake_server_enforces_per_chat_group_and_overall_limits():
    with FakeTelegram(rate_limits=RateLimits(per_chat_burst=3)) as tg:
        codes = [_send(tg, 5).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        body = _send(tg, 5).json()
        assert body["error_code"] == 429 and body["parameters"]["retry_after"] >= 1
        assert _send(tg, 6).status_code == 200  # another chat has its own budget
        assert _send(tg, 5, "sendChatAction").status_code == 200  # not a message
        time.sleep(1.05)
        assert _send(tg, 5).status_code == 200

    with FakeTelegram(rate_limits=RateLimits(per_chat_per_sec=100, per_chat_burst=100)) as tg:
        group = [_send(tg, -100777).status_code for _ in range(21)]
        assert group.count(200) == 20 and group[-1] == 429
        assert _send(tg, -100777).json()["parameters"]["retry_after"] >= 2  # 20 per minute refills slowly

    with FakeTelegram(rate_limits=RateLimits(overall_per_sec=5)) as tg:
        overall = [_send(tg, chat).status_code for chat in range(1, 8)]
        assert overall[:5] == [200] * 5 and overall.count(429) >= 1


def test_fake_server_in_sliding_mode_counts_any_second_and_any_minute():
    with FakeTelegram(rate_limits=RateLimits(sliding=True, per_chat_burst=100, per_chat_per_sec=100)) as tg:
        first = [_send(tg, chat).status_code for chat in range(1, 31)]
        assert first.count(200) == 30 and _send(tg, 99).status_code == 429  # a bucket would refill a little
        time.sleep(1.05)
        assert _send(tg, 99).status_code == 200  # the first second has slid out
        group = [_send(tg, -100777).status_code for _ in range(21)]
        assert group.count(200) == 20 and group[-1] == 429
        assert _send(tg, -100777).json()["parameters"]["retry_after"] >= 55  # the window is a whole minute


def test_fake_server_injects_faults_on_demand():
    with FakeTelegram() as tg:
        tg.fail_next("sendMessage", status=502)
        assert _send(tg, 5).status_code == 502
        assert _send(tg, 5).status_code == 200
        tg.drop_next()
        with pytest.raises(httpx.TransportError):
            _send(tg, 5)
        tg.delay_next("sendMessage", seconds=0.3)
        t0 = time.monotonic()
        assert _send(tg, 5).status_code == 200 and time.monotonic() - t0 >= 0.3
        assert httpx.post(f"{tg.base_url}wrong:token/getMe").status_code == 401


async def test_bot_retries_after_429_and_delivers_every_part(tmp_path, service):
    body = ("서울시는 AI 서울테크시티를 양재동에 조성한다고 밝혔다. " * 200)[:6000] + " [1]"
    answerer = ScriptedAnswerer(service, reply=lambda q, ps: body)
    with FakeTelegram(rate_limits=RateLimits(per_chat_burst=1)) as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer):
            tg.message(Q1)
            last = await tg.wait("sendMessage", lambda c: c.params.get("chat_id") == USER
                                 and "reply_markup" in c.params, timeout=15)
            limited = [c for c in tg.calls if c.method == "sendMessage" and c.status == 429]
            assert limited, tg.summary()
            first = tg.calls_to("sendMessage", USER)[0]
            assert last.at - first.at >= 0.9  # waited for retry_after instead of failing
            assert len(tg.calls_to("sendMessage", USER)) == 2


async def test_bot_survives_bad_gateways_and_dropped_connections(tmp_path, service):
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, ScriptedAnswerer(service)):
            tg.fail_next("sendMessage", status=502)
            since = tg.mark()
            tg.message(Q1)
            await tg.wait("sendMessage", from_bot(USER, "답변"), since=since)

            tg.drop_next("sendMessage")
            since = tg.mark()
            tg.message("서울관은?")
            await tg.wait("sendMessage", from_bot(USER, "답변: 서울관은?"), since=since)

            tg.fail_next("getUpdates", status=502, count=2)
            await tg.wait("getUpdates", lambda c: True, since=tg.mark())
            since = tg.mark()
            tg.message("CES는?")
            await tg.wait("sendMessage", from_bot(USER, "답변: CES는?"), since=since, timeout=20)
            assert sum(1 for c in tg.calls if c.method == "getUpdates" and c.status == 502) == 2
