"""The Chroma server fails while the bot runs (stopped, or frozen so that it accepts connections and never
answers): people are told the index is unavailable within a bounded time, and once the server is back
(same port, same data) the next question is answered, with no restart of the bot."""

from __future__ import annotations

import asyncio
import signal
import time

import pytest
from conftest import DEFAULT_ARTICLE, make_store
from fakes.bot_harness import USER, bot_settings, running_bot
from fakes.embedder import HashEmbedder
from fakes.telegram_server import Call, FakeTelegram
from test_chroma_server import ChromaServer

from retrieval.answer.offline import OfflineAnswerer
from retrieval.index.store import SERVER_CONNECT_TIMEOUT, SERVER_TIMEOUT
from retrieval.service import ArticleService

pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]
Q = "서울관에는 서울 소재 스타트업이 몇 곳 참여했나?"
REPLY = 120.0  # seconds to wait for any reply: only so that a hang fails the test instead of stalling it
SLACK = 15.0  # seconds a busy machine may add to the bot's own bounds
UNAVAILABLE = "The article index is unavailable right now"


@pytest.fixture
def server(tmp_path):
    chroma = ChromaServer(tmp_path / "db").start()
    yield chroma
    if chroma.proc is not None and chroma.proc.poll() is None:
        chroma.proc.send_signal(signal.SIGCONT)  # a stopped process would ignore the terminate
    chroma.stop()


async def ask(tg: FakeTelegram, text: str) -> tuple[Call, float]:
    """The bot's reply to `text` and how many seconds it took."""
    mid, t0 = tg.message(text)["message_id"], time.monotonic()
    call = await tg.wait("sendMessage", lambda c: (c.params.get("reply_parameters") or {}).get("message_id") == mid,
                         timeout=REPLY)
    return call, call.at - t0


def bot_on(server: ChromaServer, tmp_path):
    service = ArticleService(make_store(tmp_path / "local", "127.0.0.1", server.port), HashEmbedder(),
                             default_sources=[str(DEFAULT_ARTICLE)])
    service.open()
    return service, OfflineAnswerer(service)


async def test_a_stopped_server_is_reported_then_reconnected_without_a_restart(server, tmp_path):
    service, answerer = bot_on(server, tmp_path)
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer):
            assert "81" in (await ask(tg, Q))[0].params["text"]

            await asyncio.to_thread(server.stop)  # off the loop: the bot keeps polling meanwhile
            down, took = await ask(tg, Q)
            assert UNAVAILABLE in down.params["text"] and took < SLACK, (took, down.params)
            # The bot itself is fine meanwhile: what needs no index still works.
            assert "Commands" in (await ask(tg, "/help"))[0].params["text"]

            await asyncio.to_thread(server.start)  # the same --path and --port
            back, _ = await ask(tg, Q)
            assert "81" in back.params["text"], back.params
        replies = [m.text for m in tg.sent(USER)]
    assert sum(UNAVAILABLE in t for t in replies) == 1, replies


async def test_a_frozen_server_gets_a_bounded_reply_not_a_hang(server, tmp_path):
    service, answerer = bot_on(server, tmp_path)
    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path / "bot"), service, answerer):
            assert "81" in (await ask(tg, Q))[0].params["text"]

            server.proc.send_signal(signal.SIGSTOP)  # the kernel still accepts connections; nothing answers
            try:
                down, took = await ask(tg, Q)
            finally:
                server.proc.send_signal(signal.SIGCONT)
            # One request times out, then the fresh client's heartbeat does.
            assert UNAVAILABLE in down.params["text"], down.params
            assert took < SERVER_TIMEOUT + SERVER_CONNECT_TIMEOUT + SLACK, took

            back, _ = await ask(tg, Q)
            assert "81" in back.params["text"], back.params
