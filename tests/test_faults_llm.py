"""The LLM endpoint misbehaves while several people ask at once: 429 with Retry-After, 500, connection
refused, a timeout, a stream cut midway, garbage instead of JSON. Everyone still gets an answer (the
extractive one, with a one-line note) within a bounded time, and the bot keeps answering afterwards.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import socket
import threading
import time
from collections.abc import Awaitable, Callable

import pytest
from aiohttp import web
from fakes.bot_harness import USER, bot_settings, running_bot
from fakes.openai_server import FakeOpenAI, Reply, cite
from fakes.telegram_server import FakeTelegram

from articlebot.compose import build_answerer

Q = "서울관에는 서울 소재 스타트업이 몇 곳 참여했나?"
GROUP = -100321
BOUND = 20.0  # seconds: far above any retry budget below, far below "the bot is stuck"
Special = Callable[[web.Request, dict], Awaitable[web.StreamResponse]]


class MisbehavingOpenAI(FakeOpenAI):
    """FakeOpenAI that can also answer chat requests with hand-made broken streams (`special`)."""

    special: Special | None = None

    async def _chat(self, request: web.Request) -> web.StreamResponse:
        if self.special is None:
            return await super()._chat(request)
        body = await self._record(request)
        return await self.special(request, body)


def sse(delta: str, *, finish: str | None = None) -> bytes:
    event = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "fake-model",
             "choices": [{"index": 0, "delta": {"content": delta}, "finish_reason": finish}]}
    return f"data: {json.dumps(event, ensure_ascii=False)}\n\n".encode()


async def cut_midway(request: web.Request, body: dict) -> web.StreamResponse:
    """A stream that starts well, then the connection drops without the end of the body."""
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    for piece in ("서울관에는 서울 소재 ", "스타트업 81개 기업이 "):
        await resp.write(sse(piece))
        await asyncio.sleep(0.05)
    assert request.transport is not None
    request.transport.close()
    raise asyncio.CancelledError


async def garbage_events(request: web.Request, body: dict) -> web.StreamResponse:
    """An event stream whose events are not JSON."""
    resp = web.StreamResponse(headers={"Content-Type": "text/event-stream"})
    await resp.prepare(request)
    await resp.write(b"data: {\"choices\": [{\"delta\": \n\ndata: <html>oops</html>\n\n")
    await resp.write_eof()
    return resp


async def html_error_page(request: web.Request, body: dict) -> web.StreamResponse:
    return web.Response(status=200, text="<html><body>Service Temporarily Unavailable</body></html>",
                        content_type="text/html")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def first_n(n: int, failure: Reply, then) -> Callable[[dict], Reply | str]:
    """A handler: the first `n` chat requests fail with `failure`, the rest go to `then`."""
    seen = itertools.count()
    lock = threading.Lock()

    def handler(body: dict) -> Reply | str:
        with lock:
            i = next(seen)
        return failure if i < n else then(body)

    return handler


CHATS = [USER, USER + 1, USER + 2, USER + 3, GROUP]


async def ask_everyone(tg: FakeTelegram) -> dict[int, float]:
    """All chats ask at once; returns seconds until each chat's final (HTML) answer."""
    t0 = time.monotonic()
    since = tg.mark()
    for chat in CHATS:
        if chat > 0:
            tg.message(Q, user_id=chat)
        else:
            tg.message(f"/ask {Q}", chat_id=chat, chat_type="group", user_id=USER + 50)
    took = {}
    for chat in CHATS:
        call = await final_answer(tg, chat, since)
        took[chat] = call.at - t0
    return took


async def final_answer(tg: FakeTelegram, chat: int, since: int):
    """The chat's final answer: the HTML message (or the HTML edit of a streamed placeholder in groups)."""
    def done(c) -> bool:
        return c.params.get("chat_id") == chat and c.params.get("parse_mode") == "HTML"

    deadline = time.monotonic() + BOUND + 10
    while time.monotonic() < deadline:
        for method in ("editMessageText", "sendMessage"):
            if (call := tg.find(method, done, since)) is not None:
                return call
        await asyncio.sleep(0.01)
    raise TimeoutError(f"no final answer in chat {chat}: {tg.summary()}")


def llm_settings(tg: FakeTelegram, base_url: str, tmp_path, **kw):
    # The circuit breaker stays closed here: every question meets the fault itself (test_bot_llm.py and
    # test_llm_breaker.py test the breaker).
    values = dict(openai_api_key="test", openai_base_url=base_url, llm_model="fake-model", llm_retries=2,
                  llm_timeout=2.0, llm_breaker_failures=10**6)
    values.update(kw)
    return bot_settings(tg, tmp_path / "bot", **values)


# fault: (reply for failing requests, hand-made broken stream, how many requests fail, reason in the note)
FAULTS = {
    "429 with a short Retry-After, then fine": (Reply(status=429, headers={"Retry-After": "1"}), None, 5, None),
    "429 asking for two minutes": (Reply(status=429, headers={"Retry-After": "120"}), None, 10**6, "HTTP 429"),
    "500 every time": (Reply(status=500), None, 10**6, "HTTP 500"),
    "no answer within the timeout": (Reply("늦은 답 [1]", delay=6.0), None, 10**6, "timed out"),
    "stream cut midway": (None, cut_midway, 10**6, "connection lost"),
    "non-JSON events": (None, garbage_events, 10**6, "unreadable reply"),
    "an HTML page instead of a stream": (None, html_error_page, 10**6, "unreadable reply"),
    "garbage body with status 200": (Reply(raw="%%% not json at all %%%"), None, 10**6, "unreadable reply"),
}


@pytest.mark.parametrize("fault", list(FAULTS))
async def test_everyone_gets_an_answer_when_the_llm_fails(tmp_path, service, fault):
    failure, special, n, reason = FAULTS[fault]
    with MisbehavingOpenAI() as llm, FakeTelegram() as tg:
        llm.handler = first_n(n, failure, cite("스타트업 81개")) if failure else cite("스타트업 81개")
        llm.special = special
        settings = llm_settings(tg, llm.base_url, tmp_path)
        async with running_bot(settings, service, build_answerer(settings, service)):
            took = await ask_everyone(tg)
            assert max(took.values()) < BOUND, took
            for chat in CHATS:
                text = (await final_answer(tg, chat, 0)).params["text"]
                assert "81" in text and "[1]" in text, (chat, text)
                if reason:  # the extractive answer, with a plain one-line note saying why
                    note = text.split("<i>")[1]
                    assert "LLM" in note and f"({reason})" in note, (chat, text)
                else:
                    assert "<i>" not in text, (chat, text)
            assert not tg.find("sendMessage", lambda c: "went wrong" in str(c.params.get("text")))

            # The endpoint recovers: the very next question is the LLM's again.
            llm.special, llm.handler = None, cite("스타트업 81개")
            since = tg.mark()
            tg.message("서울관 참여 스타트업 수는?", user_id=USER + 9)
            text = (await final_answer(tg, USER + 9, since)).params["text"]
            assert "81" in text and "<i>" not in text, text


async def test_a_refused_connection_falls_back_at_once(tmp_path, service):
    port = free_port()
    with FakeTelegram() as tg:
        settings = llm_settings(tg, f"http://127.0.0.1:{port}/v1", tmp_path)
        async with running_bot(settings, service, build_answerer(settings, service)):
            took = await ask_everyone(tg)
            assert max(took.values()) < 10, took  # nothing to wait for: refused is immediate
            for chat in CHATS:
                text = (await final_answer(tg, chat, 0)).params["text"]
                assert "cannot connect" in text and "[1]" in text, text


async def test_a_slow_llm_for_one_chat_does_not_hold_up_the_others(tmp_path, service):
    with MisbehavingOpenAI() as llm, FakeTelegram() as tg:
        answer = cite("스타트업 81개")
        llm.handler = lambda body: Reply(answer(body), delay=6.0) if "천천히" in str(body) else answer(body)
        settings = llm_settings(tg, llm.base_url, tmp_path, llm_retries=0, llm_timeout=3.0)
        async with running_bot(settings, service, build_answerer(settings, service)):
            t0 = time.monotonic()
            tg.message("천천히: " + Q, user_id=USER)
            await asyncio.sleep(0.2)
            since = tg.mark()
            tg.message(Q, user_id=USER + 1)
            fast = await final_answer(tg, USER + 1, since)
            slow = await final_answer(tg, USER, 0)
            assert fast.at - t0 < 2.5 < slow.at - t0 < BOUND
            assert "<i>" in slow.params["text"] and "timed out" in slow.params["text"]
