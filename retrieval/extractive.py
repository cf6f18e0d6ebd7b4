"""The offline answerer: quote the sentences that answer, or say plainly that the article doesn't."""

from __future__ import annotations

import math
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .citations import CitationBook
from .embeddings import Embedder
from .korean import is_mostly_hangul, sentence_spans, terms
from .models import Answer, Passage

NOT_IN_ARTICLE = {
    "ko": "기사에는 이 질문에 대한 내용이 나와 있지 않습니다.",
    "en": "The article doesn't say.",
}


def language(text: str) -> str:
    """`ko` for Hangul questions, else `en` (the bot answers other languages in English)."""
    return "ko" if is_mostly_hangul(text) else "en"


@dataclass
class Sentence:
    passage: Passage
    text: str
    lexical: float = 0.0  # idf-weighted share of the question's terms found in the sentence
    context: float = 0.0  # the same for terms borrowed from earlier turns
    dense: float = 0.0  # cosine similarity of sentence and question
    missing_rare: int = 0  # question terms the whole index has never seen, missing here too
    score: float = 0.0


class Idf:
    """Inverse document frequency over the index's chunks; unseen terms weigh the most."""

    def __init__(self, corpus_terms: list[list[str]]) -> None:
        self.n = max(len(corpus_terms), 1)
        self.df: dict[str, int] = {}
        for doc in corpus_terms:
            for t in set(doc):
                self.df[t] = self.df.get(t, 0) + 1

    def __call__(self, term: str) -> float:
        return math.log(1 + (self.n + 1) / (self.df.get(term, 0) + 0.5))

    def known(self, term: str) -> bool:
        return term in self.df


class SentenceVectors:
    """A bounded cache of sentence vectors: articles are asked about again and again."""

    def __init__(self, embedder: Embedder, size: int = 20_000) -> None:
        self.embedder = embedder
        self.size = size
        self._cache: OrderedDict[str, np.ndarray] = OrderedDict()

    def get(self, texts: list[str]) -> np.ndarray:
        missing = [t for t in dict.fromkeys(texts) if t not in self._cache]
        if missing:
            for t, v in zip(missing, self.embedder.embed_passages(missing)):
                self._cache[t] = v
                if len(self._cache) > self.size:
                    self._cache.popitem(last=False)
        for t in texts:
            self._cache.move_to_end(t)
        return np.vstack([self._cache[t] for t in texts]) if texts else np.zeros((0, 0))


def _coverage(q: list[str], s: set[str], idf: Idf) -> float:
    total = sum(idf(t) for t in q)
    return sum(idf(t) for t in q if t in s) / total if total else 0.0


class ExtractiveAnswerer:
    """Scores the retrieved passages' sentences and answers with the best, verbatim, cited."""

    # Thresholds are judged on evidence: lexical coverage for Hangul questions, semantic similarity for others.
    MIN_LEXICAL = 0.5
    MIN_DENSE_KO = 0.80
    MIN_DENSE_OTHER = 0.82

    def __init__(self, embedder: Embedder) -> None:
        self.vectors = SentenceVectors(embedder)

    def sentences(self, question: str, context_terms: list[str], query_vec: np.ndarray,
                  passages: list[Passage], idf: Idf) -> list[Sentence]:
        q_terms = list(dict.fromkeys(terms(question)))
        out: list[Sentence] = []
        for p in passages:
            for start, end in sentence_spans(p.text):
                out.append(Sentence(p, p.text[start:end]))
        if not out:
            return out
        sims = self.vectors.get([s.text for s in out]) @ query_vec
        rare = [t for t in q_terms if not idf.known(t)]
        for s, sim in zip(out, sims):
            s_terms = set(terms(s.text))
            s.lexical = _coverage(q_terms, s_terms, idf)
            s.context = _coverage(context_terms, s_terms, idf) if context_terms else 0.0
            s.dense = float(sim)
            s.missing_rare = sum(1 for t in rare if t not in s_terms)
            s.score = s.lexical + 0.3 * s.context + 2.0 * s.dense + 0.1 * p.score
        out.sort(key=lambda s: -s.score)
        return out

    def answerable(self, question: str, best: Sentence) -> bool:
        if is_mostly_hangul(question) and terms(question):
            if best.missing_rare:
                return False
            return best.lexical >= self.MIN_LEXICAL and best.dense >= self.MIN_DENSE_KO
        return best.dense >= self.MIN_DENSE_OTHER

    def answer(self, question: str, standalone: str, context_terms: list[str], query_vec: np.ndarray,
               passages: list[Passage], idf: Idf) -> Answer:
        lang = language(question)
        ranked = self.sentences(standalone if context_terms else question, context_terms, query_vec,
                                passages, idf)
        if not ranked or not self.answerable(question if not context_terms else standalone, ranked[0]):
            return Answer(question, standalone, NOT_IN_ARTICLE[lang], False, "extractive")
        best = ranked[0]
        chosen = [best]
        for s in ranked[1:3]:
            # A second sentence only when it is nearly as good and brings question words the first lacks.
            if s.score >= 0.9 * best.score and s.lexical > 0 and s.text != best.text and \
                    set(terms(s.text)) - set(terms(best.text)) & set(terms(standalone)):
                chosen.append(s)
                break
        book = CitationBook()
        parts = [f"“{s.text}” [{book.cite(s.passage, s.text)}]" for s in chosen]
        return Answer(question, standalone, " ".join(parts), True, "extractive", book.citations)
