"""bench/followpairs.py: a synthetic follow-up drops the topic the first question named, with its particle,
and keeps the rest as written (the pairs themselves need KorQuAD: `make bench-answers`)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "bench"))

from followpairs import _without  # noqa: E402

from retrieval.answer.evidence import analyze  # noqa: E402


def _follow_up(first: str, second: str) -> tuple[str, int]:
    return _without(second, set(analyze(first).nouns) & set(analyze(second).nouns))


def test_the_shared_topic_and_its_particle_are_cut():
    assert _follow_up("김영삼의 전공은?", "김영삼이 입학한 대학은?") == ("입학한 대학은?", 1)
    assert _follow_up("티베트 고원의 면적은?", "티베트 고원의 평균 높이는?") == ("평균 높이는?", 2)


def test_a_compound_topic_goes_whole():
    assert _follow_up("반포주공아파트는 언제 지어졌나?", "반포주공아파트는 몇가구로 구성되었나?") == ("몇가구로 구성되었나?", 3)


def test_nothing_shared_leaves_the_question_as_asked():
    assert _without("서울관을 둘러본 사람은?", set()) == ("서울관을 둘러본 사람은?", 0)
