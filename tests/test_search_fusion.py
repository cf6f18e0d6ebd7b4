"""Fusion rules of the hybrid searcher, on hand-set dense similarities and BM25 terms (no model, no Chroma)."""

from __future__ import annotations

import numpy as np
import pytest

from retrieval.index.lexical import BM25Index
from retrieval.index.search import HybridSearcher, Snapshot
from retrieval.index.store import Records
from retrieval.korean import terms


class StubStore:
    """`query` answers with the similarities set for the test, best first."""

    def __init__(self, sims: dict[str, float]) -> None:
        self.sims = sims

    def query(self, name: str, vector: np.ndarray, n: int) -> list[tuple[str, float]]:
        return sorted(self.sims.items(), key=lambda kv: -kv[1])[:n]


class StubEmbedder:
    id = "stub"

    def embed_query(self, text: str) -> np.ndarray:
        return np.zeros(4, dtype=np.float32)


TEXTS = {
    "coex": "서울시는 올해 10월 서울 스마트 라이프 위크를 코엑스에서 개최한다.",
    "hotel": "오세훈 시장은 라스베이거스 시저스 팰리스 호텔에서 장재민 회장을 만났다.",
    "rate": "한국은행은 기준금리를 연 3.5%로 동결했다.",
    "ballpark": "프로야구 정규시즌이 다음 달 23일 개막한다.",
}


def snapshot(texts: dict[str, str] = TEXTS) -> Snapshot:
    ids = list(texts)
    metas = [{"article_id": i, "terms": " ".join(terms(texts[i]))} for i in ids]
    return Snapshot.build("c", "stub", Records(ids, [texts[i] for i in ids], metas))


def ranked(sims: dict[str, float], query: str, extra: list[str] | None = None,
           texts: dict[str, str] = TEXTS) -> list[str]:
    snap = snapshot(texts)
    searcher = HybridSearcher(StubStore(sims), StubEmbedder())
    return [p.chunk_id for p in searcher.search(snap, query, k=len(snap), extra_terms=extra)]


def test_full_lexical_match_beats_a_slightly_closer_vector():
    sims = {"hotel": 0.84, "coex": 0.83, "rate": 0.80, "ballpark": 0.79}
    assert ranked(sims, "스마트 라이프 위크는 어디에서 개최하나?")[0] == "coex"


def test_without_shared_words_the_dense_order_stands():
    sims = {"hotel": 0.86, "coex": 0.82, "rate": 0.80, "ballpark": 0.78}
    assert ranked(sims, "Which hotel hosted the meeting?") == ["hotel", "coex", "rate", "ballpark"]


def test_a_stray_matching_word_does_not_outvote_dense():
    # One word of a long English question is in the wrong chunk: BM25 explains little of the question.
    sims = {"hotel": 0.84, "ballpark": 0.81, "coex": 0.79, "rate": 0.78}
    texts = {**TEXTS, "ballpark": TEXTS["ballpark"] + " Seoul"}
    order = ranked(sims, "Where did the mayor of Seoul meet the newspaper chairman in Las Vegas?", texts=texts)
    assert order[0] == "hotel"


def test_near_equal_vectors_in_a_small_index_leave_the_choice_to_words():
    sims = {"rate": 0.812, "coex": 0.809, "hotel": 0.808, "ballpark": 0.807}
    assert ranked(sims, "프로야구 개막은 언제인가?")[0] == "ballpark"


def test_scores_stay_in_unit_range_and_extra_terms_steer():
    snap = snapshot()
    searcher = HybridSearcher(StubStore({"hotel": 0.9, "coex": 0.8, "rate": 0.7, "ballpark": 0.6}), StubEmbedder())
    plain = searcher.scores(snap, "얼마야?")
    # Follow-ups borrow terms from the conversation, already in `terms` form.
    steered = searcher.scores(snap, "얼마야?", terms("기준금리 동결"))
    assert plain.max() <= 1.0 + 1e-6 and plain.min() >= 0.0
    assert int(np.argmax(steered)) == snap.row["rate"]


def test_coverage_is_the_share_of_the_ideal_score():
    index = BM25Index([["a", "b", "c"], ["a", "d", "e"], ["f", "g", "h"]])
    full = index.scores(["b", "c"]).max()
    assert index.coverage(["b", "c"], full) == pytest.approx(1.0, abs=1e-3)
    # A word no chunk has still counts in the ideal: half the question matched, about half the coverage.
    partial = index.scores(["b", "zzz"]).max()
    assert 0.2 < index.coverage(["b", "zzz"], partial) < 0.6
    assert index.coverage([], 0.0) == 0.0
