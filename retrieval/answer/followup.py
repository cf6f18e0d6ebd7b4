"""Offline follow-up handling: carry the previous turn's topic into a short or referring question."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..korean import noun_phrases, terms
from ..models import Turn

# Words that point back at something said before (Korean and English).
_REFERRING = re.compile(
    r"(^|\s)(그|그녀|그가|그는|그의|그를|그들|그곳|거기|그거|그것|그중|그 중|이것|이거|이곳|해당|저곳|그때|당시|"
    r"이 사람|그 사람|위의?|앞의?)|\b(it|its|he|him|his|she|her|they|them|their|there|that|this|those|these)\b",
    re.IGNORECASE,
)
FEW_TERMS = 2


@dataclass
class Condensed:
    """The question as retrieval should see it, plus terms borrowed from the conversation."""

    standalone: str
    context_terms: list[str] = field(default_factory=list)
    carried_chunk_ids: list[str] = field(default_factory=list)


def carried_chunk_ids(history: Sequence[Turn]) -> list[str]:
    """The chunks the last answer cited: a follow-up's candidates whatever retrieval finds."""
    last_bot = next((t for t in reversed(history) if t.role == "assistant"), None)
    return list(last_bot.chunk_ids) if last_bot else []


def needs_context(question: str) -> bool:
    """A question that refers back, or says too little on its own, is a follow-up."""
    return bool(_REFERRING.search(question)) or len(terms(question)) <= FEW_TERMS


def condense(question: str, history: list[Turn]) -> Condensed:
    """Without an LLM: put the topic of the last questions (their nouns, as written) before this one."""
    question = question.strip()
    users = [t for t in reversed(history) if t.role == "user"][:2]
    if not users or not needs_context(question):
        return Condensed(question)
    carried = carried_chunk_ids(history)
    asked = set(terms(question))
    topic: list[str] = []
    # The previous question may itself be a bare follow-up ("규모는?"); then the one before names the topic.
    for turn in users:
        topic += [p for p in noun_phrases(turn.content) if not set(terms(p)) <= asked and p not in topic]
        if len(topic) >= 2:
            break
    if not topic:
        return Condensed(question, carried_chunk_ids=carried)
    prefix = " ".join(topic)
    return Condensed(f"{prefix} — {question}", [t for t in terms(prefix) if t not in asked], carried)
