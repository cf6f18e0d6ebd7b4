"""The offline `Answerer`: the extractive answer, whole, with no key and no network."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence

from ..models import Answer, Turn
from ..service import ArticleService


class OfflineAnswerer:
    """The offline default: no key needed; the whole answer arrives at once."""

    def __init__(self, service: ArticleService) -> None:
        self.service = service

    def ask(self, question: str, history: Sequence[Turn] = (), article_id: str | None = None) -> Answer:
        return self.service.ask(question, history, article_id)

    async def astream(self, question: str, history: Sequence[Turn] = (),
                      article_id: str | None = None) -> AsyncIterator[str | Answer]:
        yield await asyncio.to_thread(self.service.ask, question, list(history), article_id)
