"""Prompts for the LLM chain: loaded by name from `prompts/`, filled with delimited, numbered data."""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

from langchain_core.prompts import ChatPromptTemplate

from ..base import NOT_IN_ARTICLE
from ..models import Passage, Turn

PROMPTS_DIR = Path(__file__).resolve().parents[2] / "prompts"
# Our own tags inside data would let an article or a question close its block and "speak" as us.
_TAGS = re.compile(r"<(/?)\s*(passage|question|conversation|statement|item)\b", re.IGNORECASE)
_MARKERS = re.compile(r"\s*\[\s*\d+(?:\s*[,，]\s*\d+)*\s*\]")
HISTORY_TURNS = 6
HISTORY_CHARS = 600
MAX_REWRITE_CHARS = 1000  # the core's question limit
# The answer language, told to the model: Korean questions get Korean, others their own language.
LANGUAGE = {"ko": "Korean (한국어)", "en": "the language of the question (English if unsure)"}
_LABEL = re.compile(r"^\s*(?:standalone question|question|rewritten question|독립(?:된)? 질문|질문)\s*[:：]\s*",
                    re.IGNORECASE)


@lru_cache(maxsize=32)
def load_prompt(name: str, directory: Path = PROMPTS_DIR) -> str:
    """The text of `prompts/<name>.md`; a missing file is a clear error, not an empty prompt."""
    path = directory / f"{name}.md"
    try:
        return path.read_text(encoding="utf-8").strip()
    except OSError as exc:
        raise FileNotFoundError(f"prompt {name!r} not found at {path}") from exc


def answer_prompt(directory: Path = PROMPTS_DIR) -> ChatPromptTemplate:
    """System rules + the numbered passages and the question (variables: passages, question, language, refusal)."""
    return ChatPromptTemplate.from_messages(
        [("system", load_prompt("system", directory)), ("human", load_prompt("answer", directory))]
    )


def rewrite_prompt(directory: Path = PROMPTS_DIR) -> ChatPromptTemplate:
    """Follow-up → standalone question (variables: articles, history, question)."""
    return ChatPromptTemplate.from_messages([("human", load_prompt("rewrite", directory))])


def defuse(text: str) -> str:
    """Data text with our delimiter tags neutralized, so it cannot end its own block."""
    return _TAGS.sub(lambda m: f"‹{m.group(1)}{m.group(2)}", text)


def _attr(value: str) -> str:
    # An attribute value may hold no quote, bracket or line break that could end the tag early.
    return value.replace('"', "'").replace("<", "‹").replace(">", "›").replace("\n", " ").strip()


def format_passages(passages: Sequence[Passage]) -> str:
    """Passages numbered [1]..[k] in code, each in its own block with its article's title and date."""
    blocks = []
    for n, p in enumerate(passages, 1):
        blocks.append(f'<passage n="{n}" article="{_attr(p.title)}" date="{_attr(p.published) or "unknown"}">\n'
                      f"{defuse(p.text.strip())}\n</passage>")
    return "\n\n".join(blocks)


def format_history(history: Sequence[Turn], turns: int = HISTORY_TURNS, chars: int = HISTORY_CHARS) -> str:
    """The last turns, one line each; old `[n]` markers are dropped (their numbers meant other passages)."""
    lines = []
    for t in list(history)[-turns:]:
        text = _MARKERS.sub("", t.content).replace("\n", " ").strip()
        if len(text) > chars:
            text = text[:chars] + "…"
        lines.append(f"{'User' if t.role == 'user' else 'Assistant'}: {defuse(text)}")
    return "\n".join(lines)


def format_articles(articles: Sequence[tuple[str, str]]) -> str:
    """`- title (date: …)` lines: what the rewrite needs to resolve relative dates."""
    if not articles:
        return "- (unknown)"
    return "\n".join(f"- {_attr(title)} (date: {_attr(date) or 'unknown'})" for title, date in articles)


def answer_vars(passages: Sequence[Passage], question: str, lang: str) -> dict[str, str]:
    """The variables of `answer_prompt`."""
    return {"passages": format_passages(passages), "question": defuse(question), "language": LANGUAGE[lang],
            "refusal": NOT_IN_ARTICLE[lang]}


def rewrite_vars(articles: Sequence[tuple[str, str]], history: Sequence[Turn], question: str) -> dict[str, str]:
    """The variables of `rewrite_prompt`."""
    return {"articles": format_articles(articles), "history": format_history(history), "question": defuse(question)}


def clean_rewrite(text: str) -> str:
    """The first line of the model's rewrite without labels or wrapping quotes; '' when unusable."""
    line = next((ln for ln in text.strip().splitlines() if ln.strip()), "")
    line = _LABEL.sub("", line).strip().strip("\"'“”‘’`").strip()
    return line if 0 < len(line) <= MAX_REWRITE_CHARS else ""
