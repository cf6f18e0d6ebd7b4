"""The shared dev QA sets through the LLM path must score at least as well as the extractive path.

The fake plays a faithful model: for an answerable turn it quotes the passage sentences holding the
gold keys (cited with their passage numbers as the prompt gave them); when the prompt's passages do
not hold them, or the question is unanswerable, it gives the refusal. So the score measures what
the chain itself can lose: the rewrite and retrieval must put the right passage into the prompt,
and the citation check must keep a faithful answer and recognize a refusal.
"""

from __future__ import annotations

import pytest
from fakes.openai_server import (
    fake_openai,  # noqa: F401 (fixture)
    is_rewrite,
    passages_in,
    prompt_text,
    question_in,
    sentence_with,
)

from retrieval.base import NOT_IN_ARTICLE
from retrieval.evaluation import evaluate, read_jsonl
from retrieval.llm.chain import LLMAnswerer
from retrieval.llm.client import chat_model

pytestmark = pytest.mark.slow


class FaithfulModel:
    """Knows the gold keys of every turn; answers only from the passages in front of it."""

    def __init__(self, rows: list[dict]) -> None:
        self.turns = {t["q"]: t for row in rows for t in (row.get("turns") or [row])}

    def turn_for(self, question: str) -> dict | None:
        # The rewrite below appends the follow-up to its context: match the longest known question at the end.
        known = [q for q in self.turns if question == q or question.endswith(" " + q)]
        return self.turns[max(known, key=len)] if known else None

    def __call__(self, body: dict) -> str:
        question = question_in(body)
        if is_rewrite(body):
            # A plain but fair rewrite: the previous user question gives the follow-up its context.
            users = [ln[6:] for ln in prompt_text(body).splitlines() if ln.startswith("User: ")]
            return f"{users[-1]} {question}" if users else question
        turn = self.turn_for(question)
        refusal = NOT_IN_ARTICLE["ko" if any("가" <= c <= "힣" for c in question) else "en"]
        if turn is None or not turn.get("answerable", True) or not turn.get("keys"):
            return refusal
        said: list[str] = []
        for key in turn["keys"]:
            found = [(n, s) for n, text in passages_in(body).items() if (s := sentence_with(text, key))]
            if not found:
                return refusal
            n, s = found[0]
            if f"{s} [{n}]" not in said:
                said.append(f"{s} [{n}]")
        return " ".join(said)


def test_llm_path_scores_at_least_as_well_as_the_extractive_path(shared_eval, real_service, fake_openai):
    rows = read_jsonl([shared_eval / "seed_article_dev.jsonl", shared_eval / "seed_followups_dev.jsonl"])
    fake_openai.handler = FaithfulModel(rows)
    llm = LLMAnswerer(real_service, lambda: chat_model(model="fake-model", api_key="test",
                                                       base_url=fake_openai.base_url, timeout=10), retries=0, timeout=10)
    extractive = evaluate(rows, real_service.ask).as_dict()
    chain = evaluate(rows, llm.ask).as_dict()
    for key in ("hit_rate", "refusal_accuracy", "followup_accuracy"):
        assert chain[key] >= extractive[key], (key, chain, extractive)
    assert chain["hit_rate"] == 1.0 and chain["refusal_accuracy"] == 1.0, chain["failures"]
