"""Suggested questions written by the model (prompts/suggest.md); the offline ones when it cannot.

Like the offline candidates, these are only candidates: `answer/suggest.py` keeps those the product answers.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate

from ..answer.questions import offline_questions
from ..models import Passage
from .client import RetryPolicy, describe, text_of
from .prompting import PROMPTS_DIR, _attr, defuse, load_prompt

log = logging.getLogger(__name__)
ARTICLE_CHARS = 6000  # the lead and body of a news article; the model needs no more to ask about it
MAX_QUESTION_CHARS = 120  # a button label, not an essay
_BULLET = re.compile(r"^\s*(?:[-*•·]|\d+[.)]|Q\d*[.:])\s*")


def parse_questions(reply: str, limit: int) -> list[str]:
    """One question per line; bullets, numbering and wrapping quotes removed; over-long lines dropped."""
    out: list[str] = []
    for line in reply.splitlines():
        q = _BULLET.sub("", line).strip().strip("\"'“”‘’`").strip()
        if 4 <= len(q) <= MAX_QUESTION_CHARS and q not in out:
            out.append(q)
    return out[:limit]


class LLMQuestions:
    """A `Generate` for `Suggester`: asks the chat model for questions about one article."""

    def __init__(self, make_llm: Callable[[], BaseChatModel], *, count: int = 8, retries: int = 1,
                 timeout: float = 30.0, prompts_dir: Path = PROMPTS_DIR) -> None:
        self.chain = ChatPromptTemplate.from_messages([("human", load_prompt("suggest", prompts_dir))]) | make_llm()
        self.count = count
        self.policy = RetryPolicy(retries, timeout)

    def __call__(self, passages: Sequence[Passage]) -> list[str]:
        if not passages:
            return []
        text = "\n".join(p.text.strip() for p in passages)[:ARTICLE_CHARS]
        vars_ = {"count": str(self.count), "title": _attr(passages[0].title), "article": defuse(text)}
        try:
            reply = text_of(self.policy.call(lambda: self.chain.invoke(vars_)))
        except Exception as exc:  # any failure of the endpoint: the article's own questions instead
            log.warning("LLM suggestions unavailable (%s); using offline ones", describe(exc))
            return offline_questions(passages)
        questions = parse_questions(reply, self.count)
        return questions or offline_questions(passages)
