"""The offline answerer: quote the sentences that answer, or say plainly that the article doesn't."""

from __future__ import annotations

import re
from collections import OrderedDict
from dataclasses import dataclass, field

import numpy as np

from ..base import NOT_IN_ARTICLE, lang_of
from ..check.citations import CitationBook
from ..index.embeddings import Embedder
from ..index.lexical import idf
from ..korean import sentence_spans, squash, terms
from ..models import Answer, Passage
from .evidence import Kind, Question, analyze, contains, has_kind, is_statement


class CorpusStats:
    """Term rarity over the index, and whether the index mentions a term at all."""

    def __init__(self, corpus_terms: list[list[str]], texts: list[str]) -> None:
        self.n = max(len(corpus_terms), 1)
        self.df: dict[str, int] = {}
        for doc in corpus_terms:
            for t in set(doc):
                self.df[t] = self.df.get(t, 0) + 1
        self._squashed = "\n".join(squash(t) for t in texts)

    def idf(self, term: str) -> float:
        return idf(self.n, self.df.get(term, 0))

    def mentions(self, term: str) -> bool:
        """True when any indexed chunk contains the term (as a morpheme or a substring)."""
        return contains(term, set(self.df), self._squashed)


@dataclass
class Sentence:
    passage: Passage
    text: str
    nouns: float = 0.0  # idf-weighted share of the question's nouns found here
    others: float = 0.0  # the same for its verbs and adverbs
    context: float = 0.0  # the same for words borrowed from earlier turns
    dense: float = 0.0  # cosine similarity to the question
    kind_ok: bool = True
    missing: list[str] = field(default_factory=list)
    score: float = 0.0


class SentenceVectors:
    """A bounded cache of sentence vectors: the same articles are asked about again and again."""

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
        return np.vstack([self._cache[t] for t in texts])


def _coverage(words: list[str], here: tuple[set[str], str], before: tuple[set[str], str] | None,
              stats: CorpusStats) -> float:
    """Idf-weighted share of `words` in the sentence; a word only in the sentence before counts half,
    because news sentences lean on the previous one for their topic."""
    total = sum(stats.idf(w) for w in words)
    found = 0.0
    for w in words:
        if contains(w, *here):
            found += stats.idf(w)
        elif before is not None and contains(w, *before):
            found += 0.5 * stats.idf(w)
    return found / total if total else 0.0


# "장 회장", "오 시장": a person named by surname and title after the article introduced them in full.
_SHORT_NAME = re.compile(r"(?<![가-힣])([가-힣])\s(회장|시장|대표|장관|의원|대통령|총리|교수|사장|위원장|감독|선수|대변인|청장|지사)")


def introduction(best: Sentence, ranked: list[Sentence]) -> Sentence | None:
    """The sentence that gives the full name behind a short mention ("장 회장" → "장재민 … 회장")."""
    m = _SHORT_NAME.search(best.text)
    if m is None:
        return None
    full = re.compile(rf"(?<![가-힣]){m.group(1)}[가-힣]{{1,2}}\s[^.]{{0,40}}?{m.group(2)}")
    candidates = [s for s in ranked if s is not best and full.search(s.text)]
    return min(candidates, key=lambda s: (not is_statement(s.text), s.passage.position,
                                          s.passage.text.find(s.text))) if candidates else None


class ExtractiveAnswerer:
    """Ranks the retrieved passages' sentences and answers with the best ones, verbatim and cited."""

    # Evidence thresholds. Hangul questions are judged on the words a sentence shares with them;
    # other languages share no words with a Korean article, so only the semantic peak can speak.
    # MIN_PEAK: how far the best sentence's similarity stands above the candidates' mean; absolute
    # cosine levels shift with sentence language and length, the peak did not (measured on English
    # questions about two Korean articles: answerable 0.036-0.063, unanswerable 0.002-0.039).
    MIN_NOUNS = 0.5
    MIN_PEAK = 0.04

    def __init__(self, embedder: Embedder) -> None:
        self.vectors = SentenceVectors(embedder)

    def rank(self, q: Question, context: list[str], query_vec: np.ndarray, passages: list[Passage],
             stats: CorpusStats) -> list[Sentence]:
        """Candidate sentences, best first."""
        out: list[Sentence] = []
        before: dict[int, tuple[set[str], str] | None] = {}
        seen: set[str] = set()
        for p in passages:
            prev: tuple[set[str], str] | None = None
            for start, end in sentence_spans(p.text):
                text = p.text[start:end]
                here = (set(terms(text)), squash(text))
                if text not in seen and len(here[0]) >= 2:  # labels like "[기자]" answer nothing
                    seen.add(text)
                    before[len(out)] = prev
                    out.append(Sentence(p, text))
                prev = here
        if not out:
            return out
        sims = self.vectors.get([s.text for s in out]) @ query_vec
        mean, std = float(sims.mean()), float(sims.std()) or 1.0
        for i, (s, sim) in enumerate(zip(out, sims)):
            here = (set(terms(s.text)), squash(s.text))
            s.nouns = _coverage(q.nouns, here, before[i], stats)
            s.others = _coverage(q.others, here, before[i], stats)
            s.context = _coverage(context, here, before[i], stats) if context else 0.0
            s.dense = float(sim)
            s.kind_ok = has_kind(q.kind, s.text, q.text)
            s.missing = [w for w in q.nouns if not contains(w, *here)]
            whole = sum(1 for c in q.compounds if c in here[1]) / len(q.compounds) if q.compounds else 0.0
            typed = any(contains(w, *here) for w in q.type_words)  # "어느 호텔" → "… 호텔에서"
            lexical = 0.75 * s.nouns + 0.25 * s.others if q.nouns else s.others
            s.score = (lexical + 0.15 * (sim - mean) / std + 0.5 * s.context + 0.05 * s.passage.score
                       + 0.15 * whole + 0.15 * typed + (0.25 if q.kind is not Kind.ANY and s.kind_ok else 0.0)
                       + (0.3 if is_statement(s.text) else 0.0))
        out.sort(key=lambda s: -s.score)
        return out

    def answerable(self, q: Question, ranked: list[Sentence], stats: CorpusStats) -> bool:
        best = ranked[0]
        if not best.kind_ok:
            return False
        if q.hangul and q.all_terms:
            # A noun the articles never mention means they cannot hold the answer.
            if any(not stats.mentions(w) for w in best.missing):
                return False
            return best.nouns >= self.MIN_NOUNS if q.nouns else best.others >= self.MIN_NOUNS
        peak = best.dense - float(np.mean([s.dense for s in ranked]))
        return peak >= self.MIN_PEAK

    def answer(self, question: str, standalone: str, context: list[str], query_vec: np.ndarray,
               passages: list[Passage], stats: CorpusStats) -> Answer:
        q = analyze(question)
        if context and len(q.nouns) <= 1:
            # A bare follow-up ("어디서 열려?") is judged with the topic it borrowed.
            q.nouns = list(dict.fromkeys(q.nouns + [t for t in context if t not in q.others]))
        ranked = self.rank(q, context, query_vec, passages, stats)
        if not ranked or not self.answerable(q, ranked, stats):
            return Answer(question, standalone, NOT_IN_ARTICLE[lang_of(question)], False, "extractive")
        best = ranked[0]
        chosen = [best]
        for s in ranked[1:3]:
            # A second sentence only when nearly as good and it adds question words the first lacks.
            adds = [w for w in best.missing if w not in s.missing]
            if s.score >= 0.85 * best.score and adds:
                chosen.append(s)
                break
        if q.kind is Kind.PERSON:
            intro = introduction(best, ranked)
            if intro is not None and intro not in chosen:
                chosen.insert(0, intro)
        book = CitationBook()
        parts = [f"“{s.text}” [{book.cite(s.passage, s.text)}]" for s in chosen]
        return Answer(question, standalone, " ".join(parts), True, "extractive", book.citations)
