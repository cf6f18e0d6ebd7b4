"""Summary requests are told from fact questions, in Korean and English; the topic words are kept."""

from __future__ import annotations

import pytest

from retrieval.answer.intent import is_summary_request, summary_topic

SUMMARY = ["이 기사 요약해줘", "반도체 수출 실적 기사 핵심만 알려줘", "기사 요점만 정리해 줘", "이 기사는 무슨 내용이야?",
           "What is the article about?", "Summarize the article on chip exports", "Give me the key points",
           "요약<b>해줘</b>", "요\u200b약해줘",
           # The many other ways readers ask for the gist.
           "핵심이 뭐야?", "주요 내용은?", "이 뉴스 무슨 내용이야?", "세 줄로 정리해줘", "한마디로 뭐야?", "기사 내용 알려줘",
           "무슨 기사야?", "뉴스 브리핑해줘", "전체 내용 정리해줘", "이 기사의 내용은?", "What's the main point?",
           "Give me a quick rundown", "What's this about?", "Can you sum up the article?", "Key takeaways?",
           "What are the highlights?", "TL;DR"]
FACT = ["서울관에 참여한 기업은 몇 개야?", "누가 핵심 인물이야?", "오세훈 시장은 어떤 내용을 발표했나?",
        "What was the main reason?", "When does the festival open?",
        "편지는 무슨 내용이야?", "회의 주요 내용은 무엇이었나?", "합의 내용은?", "발표 내용은 뭐야?", "기사 내용 중 틀린 게 있어?",
        "What was the main point of his speech?", "What is the festival about?", "How many highlights were shown?",
        "What is it about the new law that worries people?", "한 줄 서기 행사는 언제야?",
        # A summary as the topic (KorQuAD's questions): "요약본", "골자로 한", "줄거리와".
        "요약본 전문에 명시된 사고원인은?", "연임 제한 철폐를 골자로 한 개헌안의 투표일은?",
        "줄거리와 게임플레이가 유사한 시리즈는?"]


@pytest.mark.parametrize("question", SUMMARY)
def test_summary_requests_are_recognized(question):
    assert is_summary_request(question)


@pytest.mark.parametrize("question", FACT)
def test_fact_questions_are_not_summary_requests(question):
    assert not is_summary_request(question)


def test_the_topic_is_what_remains():
    assert summary_topic("반도체 수출 실적 기사 핵심만 알려줘") == "반도체 수출 실적"
    assert summary_topic("이 기사 요약해줘") == ""
    assert summary_topic("제주 해수욕장 뉴스 3줄 요약") == "제주 해수욕장"
    assert summary_topic("Give me a quick rundown") == ""
