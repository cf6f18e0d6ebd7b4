"""The short answer leads only when the sentence holds exactly one value of the asked type."""

from __future__ import annotations

from retrieval.answer.evidence import Kind, analyze
from retrieval.answer.leads import short_answer


def test_one_number_leads():
    q = analyze("AI 서울테크시티는 얼마나 큰 규모로 조성되나?")
    assert q.kind is Kind.NUMBER
    assert short_answer(q, "서울시는 양곡도매시장 부지에 20만㎡ 규모의 ‘AI 서울테크시티’를 조성하고 있다.") == "20만㎡"


def test_two_numbers_give_no_lead():
    q = analyze("방문객은 몇 명이야?")
    assert short_answer(q, "화천에는 156만4133명, 광주에는 139만7725명이 방문했다.") is None


def test_duration_and_not_clock_time():
    q = analyze("야간 운영은 몇 시간 동안 해?")
    assert q.kind is Kind.DURATION
    assert analyze("해수욕장은 언제 개장해?").kind is Kind.TIME
    assert short_answer(analyze("축제는 며칠 동안 열려?"), "축제는 오는 5월 15일부터 18일까지 4일간 열린다.") == "4일간"


def test_the_announcement_date_is_not_the_event_date():
    q = analyze("공연은 언제 열릴 예정이었나?")
    assert short_answer(q, "공연은 21일 열릴 예정이었다고 18일 밝혔다.") is None or \
        short_answer(q, "공연은 12월 21일 열릴 예정이었다고 18일 밝혔다.") == "12월 21일"


def test_a_question_without_a_type_gets_no_lead():
    assert short_answer(analyze("공연이 왜 취소됐어?"), "거리두기가 격상돼 공연이 취소됐다.") is None
