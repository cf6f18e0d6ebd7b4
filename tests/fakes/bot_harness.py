"""Run the real bot in-process against FakeTelegram, with a scripted Answerer (reusable by benchmarks).

    with FakeTelegram() as tg:
        async with running_bot(bot_settings(tg, tmp_path), service, ScriptedAnswerer(service)) as app:
            tg.message("질문?", user_id=1)
            call = await tg.wait("sendMessage", lambda c: c.params["chat_id"] == 1)
"""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from telegram.ext import Application

from articlebot.compose import bot_config
from articlebot.settings import Settings, load_settings
from bot.app import build_application
from retrieval.models import Answer, Citation, Passage, Turn

from .telegram_server import FakeTelegram

ADMIN = 900
USER = 1001


def bot_settings(tg: FakeTelegram, data_dir: Path, **overrides: Any) -> Settings:
    """Settings pointing the bot at the fake server; admin id 900 unless overridden. Suggested questions
    are off unless asked for: their extra buttons and edits would change what other tests count."""
    values: dict[str, Any] = dict(telegram_bot_token=tg.token, telegram_api_url=tg.base_url,
                                  data_dir=data_dir, admin_ids=[ADMIN], user_rate_per_minute=1000,
                                  suggestions=False)
    values.update(overrides)
    return load_settings(**values)


def _citation(n: int, p: Passage) -> Citation:
    first = re.split(r"(?<=[.!?다])\s+", p.text.strip(), maxsplit=1)[0]
    return Citation(n, p.article_id, p.title, p.chunk_id, first, p.text, p.url)


class ScriptedAnswerer:
    """An `Answerer`: retrieves with the real service (so InputError and follow-up history behave as in
    production), then answers `reply(question, passages)` in `pieces` deltas spread over `delay` seconds.
    Every streamed call's (question, history) is recorded in `calls`, its article in `scopes`; `ask`
    (what suggestions are checked with) records in `checks`."""

    def __init__(self, service: Any = None, *, delay: float = 0.0, pieces: int = 1,
                 reply: Callable[[str, list[Passage]], str] | None = None, answerable: bool = True,
                 usage: dict[str, int] | None = None) -> None:
        self.service, self.delay, self.pieces = service, delay, pieces
        self.reply = reply or (lambda q, ps: f"답변: {q} [1]" if ps else "기사에서 찾을 수 없습니다.")
        self.answerable, self.usage = answerable, usage
        self.calls: list[tuple[str, list[Turn]]] = []
        self.scopes: list[str | None] = []  # the article each call was scoped to
        self.checks: list[tuple[str, str | None]] = []
        self.started: list[float] = []

    def _answer(self, question: str, history: Sequence[Turn], article_id: str | None = None) -> tuple[Answer, str]:
        passages: list[Passage] = []
        standalone = question
        if self.service is not None:
            standalone, _, passages, _ = self.service.retrieve(question, list(history), article_id)
        text = self.reply(question, passages)
        cites = [_citation(1, passages[0])] if passages and "[1]" in text else []
        return Answer(question, standalone, text, self.answerable and bool(cites), "llm", cites,
                      usage=self.usage), text

    def ask(self, question: str, history: Sequence[Turn] = (), article_id: str | None = None) -> Answer:
        self.checks.append((question, article_id))  # suggestions are checked this way, not asked by people
        return self._answer(question, history, article_id)[0]

    async def astream(self, question: str, history: Sequence[Turn] = (),
                      article_id: str | None = None) -> AsyncIterator[str | Answer]:
        self.calls.append((question, list(history)))
        self.scopes.append(article_id)
        self.started.append(time.monotonic())
        answer, text = await asyncio.to_thread(self._answer, question, history, article_id)
        step = max(1, -(-len(text) // self.pieces))
        for i in range(0, len(text), step):
            await asyncio.sleep(self.delay / self.pieces)  # a slow model: the event loop stays free
            if self.pieces > 1:
                yield text[i:i + step]
        yield answer


@asynccontextmanager
async def running_bot(settings: Settings, service: Any, answerer: Any, **kw: Any) -> AsyncIterator[Application]:
    """The real Application, polling the fake server in the current event loop until the block ends."""
    app = build_application(bot_config(settings), service, answerer, **kw)
    await app.initialize()
    if app.post_init:
        await app.post_init(app)
    await app.start()
    assert app.updater is not None
    await app.updater.start_polling(poll_interval=0.0, timeout=1)
    try:
        yield app
    finally:
        await app.updater.stop()
        await app.stop()
        if app.post_shutdown:
            await app.post_shutdown(app)
        await app.shutdown()


def from_bot(chat_id: int, contains: str = "") -> Callable[[Any], bool]:
    """A predicate for FakeTelegram.wait: a send or edit in this chat whose text contains `contains`."""
    return lambda c: c.params.get("chat_id") == chat_id and contains in str(c.params.get("text", ""))
