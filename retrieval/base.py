"""The bottom of the import graph: the answering interface and the constants every stage shares."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from typing import Protocol

from .korean import is_mostly_hangul
from .models import Answer, Turn

# The refusal, in the languages the product answers in; the LLM prompt asks for exactly this text.
NOT_IN_ARTICLE = {
    "ko": "기사에는 이 질문에 대한 내용이 나와 있지 않습니다.",
    "en": "The article doesn't say.",
}


def lang_of(text: str) -> str:
    """`ko` for mostly-Hangul text, else `en` (the refusal and the notes exist in those two)."""
    return "ko" if is_mostly_hangul(text) else "en"


class Answerer(Protocol):
    """Answers a question in a conversation; `astream` yields text deltas, then one final `Answer`.
    With `article_id`, the answer comes from that article only."""

    def ask(self, question: str, history: Sequence[Turn] = (), article_id: str | None = None) -> Answer: ...

    def astream(self, question: str, history: Sequence[Turn] = (),
                article_id: str | None = None) -> AsyncIterator[str | Answer]: ...
