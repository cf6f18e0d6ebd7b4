"""Features of candidate sentences and of the answer-or-refuse decision, shared by run time and fitting.

Everything here is cheap: the sentences' terms and vectors come from the `SentenceIndex` built at ingest,
the question is analysed once. No feature vetoes: a question word missing from a sentence (or from the
whole index) only moves a number the fitted model weighs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import partial

import numpy as np

from ..index.lexical import idf
from ..korean import squash
from ..models import Passage
from . import names
from .evidence import Kind, Question, contains, has_kind, is_statement, names_new
from .sentences import SentenceInfo, SentenceTable

# Column order of the sentence model; model.json stores its coefficients in this order.
SENTENCE_FEATURES = (
    "nouns", "nouns_near", "others", "passage_terms", "compound", "typed", "dense", "dense_z", "dense_gap",
    "passage_score", "passage_rank", "kind_asked", "kind_ok", "statement", "length", "first", "lex_gap",
    "names", "names_asked", "focus", "focus_asked", "titled", "names_titled", "novel", "proper_new",
)
# Other languages share no words with a Korean article: only these speak for them.
DENSE_FEATURES = ("dense_z", "dense_gap", "passage_score", "passage_rank", "kind_asked", "kind_ok", "statement",
                  "length", "first", "names", "names_asked", "names_titled")
# The answer-or-refuse decision, from the best sentence and the question as a whole. The passage's fused score
# is left out here: it is relative to the whole index (near 1 for any question on a one-article index, lower
# on KorQuAD's 750 paragraphs), so a threshold learned on one index size would not carry to another.
# Words the index never mentions are weighed in three parts: names (the question is about something else),
# the noun the question word asks about (the asked thing is missing) and the rest (often only the reader's
# own wording: on a few news articles most words of a reworded question are unmentioned). Whether the index
# mentions a word says little once it holds hundreds of articles, so the same is asked of the article quoted
# (`_article_features`), and the best sentence's own similarity (top_dense) joins its relative standing.
DECISION_FEATURES = ("top", "margin", "top_nouns", "best_nouns", "top_dense_z", "peak", "unmentioned", "q_terms",
                     "top_names", "top_focus", "focus_asked", "focus_unmentioned", "names_unmentioned",
                     "top_titled", "top_dense", "focus_article", "nouns_article", "kind_article")
# Decision features in the embedder's own cosine scale (E5's sit near 0.85, other embedders' far lower): under
# an embedder other than the one the model was fitted with, they are read at their fitted mean (no evidence
# either way) rather than as a far-off value that would refuse every question.
EMBEDDER_SCALED = ("top_dense",)
DENSE_DECISION_FEATURES = ("top", "margin", "top_dense_z", "peak", "top_names", "names_asked", "top_names_titled")


@dataclass
class Candidate:
    """A sentence of a retrieved passage, with its features and (once scored) the model's logit."""

    passage: Passage
    info: SentenceInfo
    rank: int
    features: dict[str, float] = field(default_factory=dict)
    logit: float = 0.0

    @property
    def text(self) -> str:
        return self.passage.text[self.info.start : self.info.end]


class CorpusStats:
    """Term rarity over the index, and whether the index mentions a term at all."""

    def __init__(self, corpus_terms: list[list[str]], texts: list[str]) -> None:
        self.n = max(len(corpus_terms), 1)
        self.df: dict[str, int] = {}
        for doc in corpus_terms:
            for t in set(doc):
                self.df[t] = self.df.get(t, 0) + 1
        self._known = set(self.df)
        self._squashed = "\n".join(squash(t) for t in texts)

    def idf(self, term: str) -> float:
        return idf(self.n, self.df.get(term, 0))

    def mentions(self, term: str) -> bool:
        """True when any indexed chunk contains the term (as a morpheme or a substring)."""
        return contains(term, self._known, self._squashed)


class _Found:
    """Which question words each sentence holds, each tested once per question (the shares below reuse it)."""

    def __init__(self, words: list[str], stats: CorpusStats) -> None:
        self.words = list(dict.fromkeys(words))
        self.idf = {w: stats.idf(w) for w in self.words}
        self._seen: dict[int, frozenset[str]] = {}
        self._titles: dict[str, frozenset[str]] = {}

    def of(self, s: SentenceInfo) -> frozenset[str]:
        key = id(s)
        found = self._seen.get(key)
        if found is None:
            found = self._seen[key] = frozenset(w for w in self.words if contains(w, s.terms, s.squashed))
        return found

    def titled(self, title: str) -> frozenset[str]:
        """The words a title holds."""
        found = self._titles.get(title)
        if found is None:
            title_terms, squashed, _ = names.of_title(title)
            found = self._titles[title] = frozenset(w for w in self.words if contains(w, title_terms, squashed))
        return found

    def share(self, words: list[str], where: list[SentenceInfo], also: frozenset[str] = frozenset()) -> float:
        """Idf-weighted share of `words` found in any of the sentences `where` (or in `also`)."""
        total = sum(self.idf[w] for w in words)
        if not total:
            return 0.0
        held = also.union(*(self.of(s) for s in where))
        return sum(self.idf[w] for w in words if w in held) / total


def candidates(q: Question, qvec: np.ndarray, passages: list[Passage], index: SentenceTable,
               stats: CorpusStats, topic: tuple[str, list[str]] | None = None) -> list[Candidate]:
    """Every distinct sentence (two content terms or more) of the passages, with its features.

    `topic`: (article id, words) of a follow-up that borrowed its topic from the conversation. Every sentence
    of that article counts as holding the topic's words: the article is about them, and a sentence answering
    "하루 운영 시간은?" seldom repeats the beach's name, while the lead that introduced it holds every
    borrowed word and would win on them alone."""
    out: list[Candidate] = []
    near: list[list[SentenceInfo]] = []
    whole: list[list[SentenceInfo]] = []
    seen: set[str] = set()
    for rank, p in enumerate(passages):
        sents = index.sentences(p.text)
        for i, s in enumerate(sents):
            text = p.text[s.start : s.end]
            if text in seen or len(s.terms) < 2:  # labels like "[기자]" answer nothing
                continue
            seen.add(text)
            out.append(Candidate(p, s, rank))
            near.append(sents[max(i - 1, 0) : i] + sents[i + 1 : i + 2])
            whole.append(sents)
    if not out:
        return out
    sims = index.vectors[[c.info.row for c in out]] @ qvec
    mean, std, best = float(sims.mean()), float(sims.std()) or 1.0, float(sims.max())
    q_terms = q.all_terms
    found = _Found(q_terms + q.type_words + q.focus, stats)
    borrowed = frozenset(topic[1]) if topic else frozenset()
    title_names: dict[str, frozenset[str]] = {}  # the question's anchors each title holds
    asked = squash(q.text)
    for c, sim, nb, allp in zip(out, sims, near, whole):
        f = c.features
        # A sentence, its neighbours and its passage are of one article: the borrowed topic is said for
        # them all or for none.
        given = borrowed if topic and c.passage.article_id == topic[0] else frozenset()
        share = partial(found.share, also=given)
        f["nouns"] = share(q.nouns, [c.info])
        f["nouns_near"] = max(share(q.nouns, [c.info, *nb]) - f["nouns"], 0.0)
        f["others"] = share(q.others, [c.info])
        f["passage_terms"] = share(q_terms, allp)
        f["compound"] = (sum(1 for x in q.compounds if x in c.info.squashed) / len(q.compounds)
                         if q.compounds else 0.0)
        f["typed"] = float(bool(found.of(c.info) & set(q.type_words)))
        f["dense"] = float(sim)
        f["dense_z"] = (float(sim) - mean) / std
        f["dense_gap"] = float(sim) - best
        f["passage_score"] = c.passage.score
        f["passage_rank"] = 1.0 / (1 + c.rank)
        f["kind_asked"] = float(q.kind is not Kind.ANY)
        f["kind_ok"] = float(q.kind is not Kind.ANY and has_kind(q.kind, c.text, q.text, c.info.proper))
        f["statement"] = float(is_statement(c.text))
        f["length"] = math.log1p(len(c.text)) / 6
        f["first"] = float(c.passage.position == 0 and c.info.start == 0)
        named = names.held(q.anchors, c.info.terms, c.info.squashed, c.info.proper)
        f["names"] = len(named) / len(q.anchors) if q.anchors else 0.0
        f["names_asked"] = float(bool(q.anchors))
        f["focus"] = share(q.focus, [c.info, *nb])
        f["focus_asked"] = float(bool(q.focus))
        # The headline names what the whole article is about; its sentences seldom repeat it ("제주도 해수욕장
        # 개장 계획" … "운영시간은 오전 10시부터…"), as a Wikipedia paragraph seldom repeats its title.
        f["titled"] = found.share(q.nouns, [c.info], given | found.titled(c.passage.title))
        # The same for names, which is all an English question shares with a Korean article ("Jeju" is in
        # "제주도 해수욕장 개장 계획", not in "안전관리에는 총 246명이 투입된다").
        if c.passage.title not in title_names:
            title_names[c.passage.title] = names.held(q.anchors, *names.of_title(c.passage.title))
        f["names_titled"] = len(named | title_names[c.passage.title]) / len(q.anchors) if q.anchors else 0.0
        # A sentence that only restates the question ("한국 최초의 러시아산 원유 도입이다.") holds every word
        # of it and no answer; the answer is what the sentence says beyond the question, often a name.
        f["novel"] = sum(t not in asked for t in c.info.terms) / len(c.info.terms)
        f["proper_new"] = float(names_new(c.info.proper, asked))
    _article_features(out, q, found)
    lex = [0.75 * c.features["nouns"] + 0.25 * c.features["others"] for c in out]
    top = max(lex)
    for c, x in zip(out, lex):
        c.features["lex_gap"] = x - top
    return out


def _article_features(out: list[Candidate], q: Question, found: _Found) -> None:
    """What the retrieved text of each candidate's article holds: the asked noun, the question's nouns, a
    sentence of the asked kind. Whether the *index* mentions a word says little once it holds hundreds of
    articles (some paragraph always says 학술지); whether the article being quoted says it is the same
    question at any index size, and it is what tells an on-topic question the article never answers."""
    by_article: dict[str, list[Candidate]] = {}
    for c in out:
        by_article.setdefault(c.passage.article_id, []).append(c)
    for group in by_article.values():
        infos = [c.info for c in group]
        focus, nouns = found.share(q.focus, infos), found.share(q.nouns, infos)
        kind = max(c.features["kind_ok"] for c in group)
        for c in group:
            c.features["focus_article"], c.features["nouns_article"], c.features["kind_article"] = focus, nouns, kind


def question_features(q: Question, stats: CorpusStats) -> dict[str, float]:
    """How much of the question the index knows at all: the idf-weighted share of its common nouns and of
    the noun it asks about that the index never mentions, and the share of its names. None vetoes."""
    named = set(q.anchors)
    names = [a for a in q.anchors if not a[:1].isdigit()]
    return {"unmentioned": _unmentioned([w for w in q.nouns if w not in named], stats),
            "focus_unmentioned": _unmentioned(q.focus, stats),
            "names_unmentioned": sum(not stats.mentions(a) for a in names) / len(names) if names else 0.0,
            "q_terms": math.log1p(len(q.all_terms))}


def _unmentioned(words: list[str], stats: CorpusStats) -> float:
    total = sum(stats.idf(w) for w in words)
    return sum(stats.idf(w) for w in words if not stats.mentions(w)) / total if total else 0.0


def decision_features(asked: dict[str, float], ranked: list[Candidate]) -> dict[str, float]:
    """What the refusal model sees: the best candidate's strength and what `question_features` found."""
    top = ranked[0]
    return {
        **asked,
        "top": top.logit,
        "margin": top.logit - ranked[1].logit if len(ranked) > 1 else 5.0,
        "top_nouns": top.features["nouns"] + 0.5 * top.features["nouns_near"],
        "best_nouns": max(c.features["nouns"] for c in ranked),
        "top_dense_z": top.features["dense_z"],
        "top_names": top.features["names"],
        "names_asked": top.features["names_asked"],
        "top_focus": top.features["focus"],
        "top_titled": top.features["titled"],
        "top_names_titled": top.features["names_titled"],
        "top_dense": top.features["dense"],
        "focus_asked": top.features["focus_asked"],
        "peak": top.features["dense"] - float(np.mean([c.features["dense"] for c in ranked])),
        "passage_score": top.passage.score,
        "focus_article": top.features["focus_article"],
        "nouns_article": top.features["nouns_article"],
        "kind_article": top.features["kind_article"],
    }
