"""The offline answerer: quote the sentences that answer, or say plainly that the article doesn't.

Which sentence answers, and whether any does, is decided by a model fitted on KorQuAD (model.py,
bench/fit_answerer.py), not by hand-set rules: every signal (words found, E5 similarity, answer type,
passage rank...) is a feature it weighs, and none vetoes on its own.
"""

from __future__ import annotations

import re

import numpy as np

from ..base import NOT_IN_ARTICLE, lang_of
from ..check.citations import CitationBook
from ..models import Answer, Passage
from .evidence import Kind, Question, analyze, is_statement
from .features import EMBEDDER_SCALED, Candidate, CorpusStats, candidates, decision_features, question_features
from .leads import short_answer
from .model import AnswerModel, load_model
from .sentences import SentenceIndex

__all__ = ["CorpusStats", "ExtractiveAnswerer"]

# "장 회장", "오 시장": a person named by surname and title after the article introduced them in full.
_SHORT_NAME = re.compile(r"(?<![가-힣])([가-힣])\s(회장|시장|대표|장관|의원|대통령|총리|교수|사장|위원장|감독|선수|대변인|청장|지사)")
# A second sentence is quoted when the model finds it at least this likely relative to the best (a
# presentation choice: it never decides whether to answer).
SECOND_RATIO = 0.3


def introduction(best: Candidate, ranked: list[Candidate]) -> Candidate | None:
    """The sentence that gives the full name behind a short mention ("장 회장" → "장재민 … 회장")."""
    m = _SHORT_NAME.search(best.text)
    if m is None:
        return None
    full = re.compile(rf"(?<![가-힣]){m.group(1)}[가-힣]{{1,2}}\s[^.]{{0,40}}?{m.group(2)}")
    found = [c for c in ranked if c is not best and full.search(c.text)]
    return min(found, key=lambda c: (not is_statement(c.text), c.passage.position, c.info.start)) if found else None


def _sigmoid(x: float) -> float:
    return float(1 / (1 + np.exp(-x)))


class ExtractiveAnswerer:
    """Ranks the retrieved passages' sentences with the fitted model and quotes the best, verbatim and cited."""

    def __init__(self, sentences: SentenceIndex, model: AnswerModel | None = None) -> None:
        self.sentences = sentences
        self._model = model

    @property
    def model(self) -> AnswerModel:
        if self._model is None:
            self._model = load_model()  # on first question: refitting (make fit-answerer) needs no model
        return self._model

    def rank(self, q: Question, query_vec: np.ndarray, passages: list[Passage],
             stats: CorpusStats, topic: tuple[str, list[str]] | None = None) -> list[Candidate]:
        """Candidate sentences, best first, each with the model's logit; `topic`: see `candidates`."""
        cands = candidates(q, query_vec, passages, self.sentences.table_for([p.text for p in passages]), stats,
                           topic)
        if cands:
            model = self.model.sentence if q.hangul else self.model.dense_sentence
            for c, z in zip(cands, model.logits([c.features for c in cands])):
                c.logit = float(z)
            cands.sort(key=lambda c: -c.logit)
        return cands

    def confidence(self, q: Question, ranked: list[Candidate], stats: CorpusStats) -> float:
        """The decision model's logit minus its threshold: answer when positive."""
        model = self.model.decision if q.hangul else self.model.dense_decision
        row = decision_features(question_features(q, stats), ranked)
        if self.model.meta.get("embedder") != getattr(self.sentences.embedder, "id", None):
            row |= {f: m for f, m in zip(model.features, model.mean) if f in EMBEDDER_SCALED}
        return float(model.logits([row])[0]) - model.threshold

    def answer(self, question: str, standalone: str, context: list[str], query_vec: np.ndarray,
               passages: list[Passage], stats: CorpusStats, *, follow_up: bool = False,
               topic_article: str | None = None) -> Answer:
        """`follow_up`: the question continues the conversation (answer/thread.py); `topic_article`: the
        conversation's article, when `context` is the topic it is about."""
        q = analyze(question)
        topic = None
        if context and (follow_up or len(q.nouns) <= 1):
            # A follow-up ("어디서 열려?", "하루 운영 시간은?") is judged with the topic it borrowed, as the
            # standalone question it stands for: the model was fitted on questions that name their topic.
            borrowed = [t for t in context if t not in q.others]
            q.nouns = list(dict.fromkeys(q.nouns + borrowed))
            topic = (topic_article, borrowed) if topic_article else None
        ranked = self.rank(q, query_vec, passages, stats, topic)
        if not ranked or self.confidence(q, ranked, stats) < 0:
            return Answer(question, standalone, NOT_IN_ARTICLE[lang_of(question)], False, "extractive")
        return self.compose(question, standalone, q, ranked)

    def compose(self, question: str, standalone: str, q: Question, ranked: list[Candidate]) -> Answer:
        """The best sentence (and a close second), the short answer first when there is exactly one."""
        best = ranked[0]
        chosen = [best]
        p_best = _sigmoid(best.logit)
        # The second sentence backs the first, so it comes from the same article: an answer to one question
        # that quotes two articles on close topics (two cities' halls at one fair) mixes up their facts.
        second = next((c for c in ranked[1:3] if _sigmoid(c.logit) >= SECOND_RATIO * p_best
                       and c.passage.article_id == best.passage.article_id), None)
        if second is not None:
            chosen.append(second)
        if q.kind is Kind.PERSON:
            intro = introduction(best, ranked)
            if intro is not None and intro not in chosen:
                chosen.insert(0, intro)
        book = CitationBook()
        parts = [f"“{c.text}” [{book.cite(c.passage, c.text)}]" for c in chosen]
        lead = short_answer(q, best.text, best.info.proper)
        text = " ".join(parts)
        if lead:
            text = f"{lead} — {text}"
        elif not q.hangul:
            text = f"The article says (in Korean): {text}"
        return Answer(question, standalone, text, True, "extractive", book.citations)
