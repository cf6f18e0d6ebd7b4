"""The grey-zone judge over the configured LLM: one batched yes/no call per answer, at temperature 0.

Only clauses the counting rule could not decide reach it, each with the exact passage sentences it was
checked against. One call, no retries: a second wait for a clause that will be dropped anyway is not
worth it, and any failure (timeout, HTTP error, an unreadable reply) drops the clauses (`check.entail`).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from pathlib import Path

from langchain_core.language_models import BaseChatModel
from langchain_core.prompts import ChatPromptTemplate
from langchain_core.runnables import Runnable

from ..check.entail import Item
from .client import PerLoop, text_of
from .prompting import PROMPTS_DIR, defuse, load_prompt

_VERDICT = re.compile(r"^\W*(\d{1,3})\**\s*[:.)\-]\s*\**\s*(yes|no|예|네|아니(?:요|오)?)\b", re.IGNORECASE | re.MULTILINE)


def format_items(items: Sequence[Item]) -> str:
    """Numbered items, the claim and its support each in its own delimited block."""
    return "\n\n".join(f'<item n="{n}">\n<statement>{defuse(it.claim)}</statement>\n'
                       f"<passage>{defuse(it.support)}</passage>\n</item>" for n, it in enumerate(items, 1))


def parse_verdicts(text: str, count: int) -> list[bool]:
    """Verdicts by item number; an item the reply skips or garbles is False (not supported)."""
    found: dict[int, bool] = {}
    for m in _VERDICT.finditer(text):
        n = int(m.group(1))
        if 1 <= n <= count and n not in found:
            found[n] = m.group(2).lower() in ("yes", "예", "네")
    return [found.get(n, False) for n in range(1, count + 1)]


class LLMEntailment:
    """`check.entail.Entailment` over a chat model: the prompt is `prompts/entail.md`."""

    def __init__(self, make_llm: Callable[[], BaseChatModel], prompts_dir: Path = PROMPTS_DIR) -> None:
        prompt = ChatPromptTemplate.from_messages([("human", load_prompt("entail", prompts_dir))])
        # Temperature 0: the same clause and passage should get the same verdict every time.
        self._chain: PerLoop[Runnable] = PerLoop(lambda: prompt | make_llm().bind(temperature=0))

    def __call__(self, items: Sequence[Item]) -> list[bool]:
        reply = self._chain.get().invoke({"items": format_items(items)})
        return parse_verdicts(text_of(reply), len(items))
