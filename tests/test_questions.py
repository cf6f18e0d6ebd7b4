"""Offline suggested-question candidates: built from a sentence's subject and the kind of fact it states."""

from __future__ import annotations

from conftest import DEFAULT_ARTICLE

from retrieval.answer.questions import _particle, central_sentences, offline_questions, questions_from
from retrieval.answer.suggest import is_summary_request
from retrieval.models import Passage


def test_the_topic_particle_follows_the_last_syllable():
    assert [_particle(w) for w in ("서울시", "관세청", "경남도", "AI", "2024")] == ["는", "은", "는", "는", "는"]
    assert _particle("교수팀", ("이", "가")) == "이"


def test_numbers_dates_places_objects_and_quotes_become_questions():
    assert "반도체 수출액은 몇 % 증가했나요?" in questions_from(  # "지난해" dates it, it is not the subject
        "지난해 반도체 수출액이 전년 대비 60.2% 증가했다.")
    assert "남해상주은모래비치는 언제 개장하나요?" in questions_from("남해상주은모래비치는 7월 5일 개장한다.")
    assert "서울시는 무엇을 조성하나요?" in questions_from("서울시는 AI 서울테크시티를 양재동에 조성한다고 밝혔다.")
    assert "경제 효과는 얼마로 분석됐나요?" in questions_from("축제의 경제 효과는 970억원으로 분석됐다.")
    assert "도교육청은 언제 위촉하나요?" in questions_from(
        "도교육청은 4월 1일부터 4월 30일까지 신청을 받아 홍보기자단을 위촉할 예정이다.")
    assert "거창에 On 봄축제는 언제 개최되나요?" in questions_from(
        "‘거창에 On 봄축제’는 오는 5월 15일부터 18일까지 거창창포원 일원에서 개최된다.")


def test_vague_subjects_relative_clauses_and_ordinals_make_no_question():
    assert questions_from("결과는 예상보다 좋았다.") == []  # "결과" alone: about what?
    assert not any("발표" in q for q in questions_from("관세청이 23일 발표한 자료가 공개됐다."))
    assert not any("몇 회" in q for q in questions_from("기자협회는 제6회 축구대회를 열었다."))


def test_the_lead_comes_first_then_the_most_central_sentences():
    text = DEFAULT_ARTICLE.read_text(encoding="utf-8")
    ranked = central_sentences([Passage("a#1", "a", "t", text, position=1)])
    assert ranked[0].startswith("장재민 서울경제신문") and len(ranked) > 5
    questions = offline_questions([Passage("a#1", "a", "t", text, position=1)])
    assert 3 <= len(questions) <= 12 and all(q.endswith("?") for q in questions)


def test_summary_requests_are_recognized():
    assert all(map(is_summary_request, ["이 기사 요약해줘", "핵심만 알려줘", "What is the article about?",
                                        "Summarize the festival story"]))
    assert not any(map(is_summary_request, ["서울관에는 몇 개 기업이 참여했나?", "Who won the final?"]))
