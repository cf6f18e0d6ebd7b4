"""Summary requests are told from fact questions, in Korean and English; the topic words are kept."""

from __future__ import annotations

import pytest

from retrieval.answer.intent import is_summary_request, summary_topic

SUMMARY = ["이 기사 요약해줘", "반도체 수출 실적 기사 핵심만 알려줘", "기사 요점만 정리해 줘", "이 기사는 무슨 내용이야?",
           "What is the article about?", "Summarize the article on chip exports", "Give me the key points",
           "요약<b>해줘</b>", "요\u200b약해줘"]
FACT = ["서울관에 참여한 기업은 몇 개야?", "누가 핵심 인물이야?", "오세훈 시장은 어떤 내용을 발표했나?",
        "What was the main reason?", "When does the festival open?"]


@pytest.mark.parametrize("question", SUMMARY)
def test_summary_requests_are_recognized(question):
    assert is_summary_request(question)


@pytest.mark.parametrize("question", FACT)
def test_fact_questions_are_not_summary_requests(question):
    assert not is_summary_request(question)


def test_the_topic_is_what_remains():
    assert summary_topic("반도체 수출 실적 기사 핵심만 알려줘") == "반도체 수출 실적"
    assert summary_topic("이 기사 요약해줘") == ""
